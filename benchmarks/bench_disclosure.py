"""Benchmark: what the linked disclosure control costs, on a national year and on every förbund.

Generates the synthetic demo exports for 2022 at national scale in a temporary folder, cleans
them, then builds the publication stage's tables (Tabell 1–6 and the Modellbilaga's composition,
linked) once for the whole country and once for each of the demo's förbund, timing the linked
suppression (``Linked.solve``: primary and complementary suppression with its linear programs)
apart from the counting around it. Prints Markdown for docs/performance.md.

    .venv/bin/python benchmarks/bench_disclosure.py [--forbund 80] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--forbund", type=int, default=0, help="only the first N förbund (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="population_scale of the demo (1.0: national)")
    args = parser.parse_args()
    import pandas as pd

    from pipeline.derive import disclosure, register_tables
    from pipeline.sources import geografi
    from pipeline.sources.register import clean_register_year, save_register_year

    from _timing import DEMO_YEARS, demo_raw, time_solves

    solve_times = time_solves(disclosure)
    with tempfile.TemporaryDirectory() as tmp:
        raw = demo_raw(Path(tmp), args.scale)
        start = time.perf_counter()
        save_register_year(clean_register_year(raw / "register", 2022, key=b"k" * 32, years=DEMO_YEARS), 2022,
                  Path(tmp) / "clean" / "2022")
        cleaning = time.perf_counter() - start
        read = lambda name: {2022: pd.read_parquet(Path(tmp) / "clean" / "2022" / f"{name}.parquet")}  # noqa: E731
        frames = read("deltagare"), read("insatser"), read("formaner")
        settings = disclosure.Settings(5, 5)
        rows = []
        start = time.perf_counter()
        tables = register_tables.register_tables_from_frames(*frames, settings)
        total = time.perf_counter() - start
        rows.append(("Riket, 2022", total, solve_times[-1], _hidden(tables)))
        names = sorted(frames[0][2022]["forbund"].unique())
        if args.forbund:
            names = names[: args.forbund]
        per = []
        start = time.perf_counter()
        reference = register_tables.reference_frames(frames[2])  # once for every förbund
        geography = geografi.load_geography(raw / "geografi")
        shared = time.perf_counter() - start
        for name in names:
            start = time.perf_counter()
            tables = register_tables.register_tables_from_frames(*frames, settings, [name], reference, geography)
            per.append((time.perf_counter() - start, solve_times[-1], _hidden(tables)))
    totals, solves, hidden = zip(*per)
    print(f"machine: {platform.machine()}, python {platform.python_version()}; cleaning 2022 (national): "
          f"{cleaning:.1f} s")
    print("| build | tables s | of which linked suppression s | hidden cells |")
    print("|---|---:|---:|---:|")
    for label, t, s, h in rows:
        print(f"| {label} | {t:.2f} | {s:.2f} | {h} |")
    print(f"| reference populations, built once for all förbund | {shared:.2f} | – | – |")
    print(f"| {len(names)} förbund, 2022, one at a time (sum) | {sum(totals):.1f} | {sum(solves):.1f} | {sum(hidden)} |")
    print(f"| one förbund, median (max) | {statistics.median(totals):.2f} ({max(totals):.2f}) | "
          f"{statistics.median(solves):.2f} ({max(solves):.2f}) | {statistics.median(hidden):.0f} ({max(hidden)}) |")


def _hidden(tables) -> int:
    return int(tables["participants"]["suppressed"].sum() + tables["insatser"]["suppressed"].sum()
               + tables["diagnosis"]["suppressed"].sum() + tables["composition"]["suppressed"].sum())


if __name__ == "__main__":
    main()
