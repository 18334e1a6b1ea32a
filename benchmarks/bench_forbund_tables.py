"""Benchmark: every förbund and every year in one pass (``forbund.build_forbund_figures``), and where the time goes.

Times the per-förbund stage's work on cleaned register data: counting (participants, insatser,
Tabell 6, reference populations for every förbund), the linked disclosure control of every unit
(``Linked.solve``) including the rounds that protect the national sums, and the coverage and
funnel rows. By default it generates the synthetic demo for 2016–2022 (participants at national
scale; the benefit register at ``--scale`` of national scale, which only changes the counting of
the reference populations) and cleans it; ``--cleaned DIR`` uses cleaned data already there
(e.g. data/processed/register). Prints Markdown for docs/performance.md.

    .venv/bin/python benchmarks/bench_forbund_tables.py [--scale 0.05] [--cleaned DIR] [--years 2016-2022]
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _time_model(forbund) -> list[float]:
    """Time ``forbund_model.expected`` as the stage calls it (absent before the adjusted comparison)."""
    model = getattr(forbund, "forbund_model", None)
    times: list[float] = []
    if model is None:
        return times
    original = model.expected

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times.append(time.perf_counter() - start)

    model.expected = timed
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.05, help="benefit register scale for the generated demo")
    parser.add_argument("--cleaned", type=Path, help="cleaned register data (one folder per year) to use instead")
    parser.add_argument("--years", default="2016-2022", help="first-last year")
    args = parser.parse_args()
    first, last = (int(y) for y in args.years.split("-"))
    years = list(range(first, last + 1))
    from pipeline.derive import disclosure, forbund
    from pipeline.sources import geografi

    from _timing import demo_cleaned, time_solves

    solve_times = time_solves(disclosure)
    model_times = _time_model(forbund)
    with tempfile.TemporaryDirectory() as tmp:
        cleaned = args.cleaned or demo_cleaned(Path(tmp), args.scale, years)
        geo = geografi.load_geography(REPO / "data" / "raw" / "geografi")
        start = time.perf_counter()
        tables = forbund.build_forbund_figures(years, cleaned, geo, disclosure.Settings(5, 5))
        total = time.perf_counter() - start
        out = Path(tmp) / "out"
        start = time.perf_counter()
        forbund.save_forbund_figures(tables, out)
        writing = time.perf_counter() - start
    unit = tables["unit"].iloc[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()}, python {platform.python_version()}; "
          f"{'cleaned data: ' + str(args.cleaned) if args.cleaned else f'generated demo, benefit register at scale {args.scale}'}")
    print("| what | s |")
    print("|---|---:|")
    print(f"| `forbund.build_forbund_figures`: {int(unit['forbund'])} förbund + riket × {len(years)} years, all | {total:.1f} |")
    print(f"| of which linked disclosure control ({len(solve_times)} solves, incl. rounds for national sums) "
          f"| {sum(solve_times):.1f} |")
    if model_times:
        print(f"| of which the adjusted comparison's national models and expected counts "
              f"(`forbund_model.expected`) | {sum(model_times):.1f} |")
    print(f"| writing the tables (Parquet + CSV) | {writing:.1f} |")
    print(f"\nhidden cells {int(unit['hidden_cells'])}, hidden for national sums {int(unit['hidden_for_national_sums'])}, "
          f"rounds {int(unit['rounds'])}; peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
