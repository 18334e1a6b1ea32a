"""Benchmark: clean one national-scale year of register exports (2022) with the pipeline and with a
DuckDB SQL implementation of the same rules (benchmarks/register_duckdb.py), side by side.

Generates the synthetic demo exports for 2016–2022 at national scale in a temporary folder (the
reference population of 654 134 people: 36 552 with aktivitetsersättning, 617 582 with
sjukpenning; every year, because 2022's participants are also in insatser of earlier years), then
cleans 2022 ``--repeat`` times with each, alternating, each run in a fresh process (time and peak
memory measured inside it, after the imports): the pipeline as `finsam stage register` does
without the notebook (``clean_register_year`` + ``save_register_year``), DuckDB reading the same files and writing
its kept rows and quarantine as Parquet. Before any number is printed the two must agree: rows
kept per export, the quarantined rows as (export, line, reason), and the pseudonyms of the kept
people. Prints Markdown tables for docs/performance.md. Needs duckdb (the ``dev`` extra).
``--raw DIR`` cleans exports already generated there (data/raw of a project copy) instead;
tests/test_benchmarks.py runs it at a tiny scale.

    .venv/bin/python benchmarks/bench_register.py [--repeat 5] [--scale 1.0] [--threads N] [--raw DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
KEY = "6b" * 16 + "00112233445566778899aabbccddeeff"  # hex; a fixed benchmark key, not a secret

# Peak resident memory of the child itself: VmHWM (ru_maxrss would carry over the parent's peak,
# which holds the generated demo, across fork and exec).
PEAK = """
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

# Each side's libraries are imported before its clock starts (the reference imports duckdb at the top
# of its module; the pipeline imports duckdb and pyarrow inside the functions that use them), so that
# both times are the cleaning's work and neither includes loading a library.
LIBRARIES = "import duckdb, pyarrow, pyarrow.compute, pyarrow.csv, pyarrow.parquet\n"

PIPELINE = LIBRARIES + """
import json, sys, time
from pathlib import Path
from pipeline.sources.register import clean_register_year, save_register_year
# every year folder of the exports, as the DuckDB reference reads them (a participant's insats may be in any)
years = [int(p.name) for p in Path(sys.argv[1]).iterdir() if p.is_dir() and p.name.isdigit()]
start = time.perf_counter()
cleaned = clean_register_year(Path(sys.argv[1]), int(sys.argv[3]), key=bytes.fromhex(sys.argv[4]), years=years)
save_register_year(cleaned, int(sys.argv[3]), Path(sys.argv[2]))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": sum(c.rows_in for c in cleaned.values()),
                  "kept": {k: len(c.kept) for k, c in cleaned.items()},
                  "peak_mb": peak_mb()}))
"""

DUCKDB = LIBRARIES + """
import json, sys, time
from pathlib import Path
sys.path.insert(0, ".")  # the child runs in benchmarks/
from register_duckdb import clean_year_sql
threads = int(sys.argv[5]) or None
start = time.perf_counter()
result = clean_year_sql(Path(sys.argv[1]), int(sys.argv[3]), bytes.fromhex(sys.argv[4]), Path(sys.argv[2]), threads)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": sum(r["rows_in"] for r in result.values()),
                  "kept": {k: r["kept"] for k, r in result.items()},
                  "peak_mb": peak_mb()}))
"""


def run(script: str, raw: Path, out: Path, year: int, threads: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", PEAK + script, str(raw), str(out), str(year), KEY, str(threads)],
                          cwd=Path(__file__).parent, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def agree(pipeline_out: Path, duckdb_out: Path, pipeline: dict, duck: dict) -> dict[str, dict[str, int]]:
    """Stop unless both kept the same rows and quarantined the same lines for the same reasons."""
    if pipeline["kept"] != duck["kept"] or pipeline["rows"] != duck["rows"]:
        raise SystemExit(f"kept rows differ: pipeline {pipeline['kept']}, DuckDB {duck['kept']}")
    ours = pd.read_parquet(pipeline_out / "karantan.parquet", columns=["export", "line", "reason"])
    theirs = pd.read_parquet(duckdb_out / "karantan.parquet", columns=["export", "line", "reason"])
    a, b = set(map(tuple, ours.astype(str).to_numpy())), set(map(tuple, theirs.astype(str).to_numpy()))
    if a != b or len(ours) != len(theirs):
        raise SystemExit(f"quarantines differ: only pipeline {sorted(a - b)[:10]}, only DuckDB {sorted(b - a)[:10]}")
    for kind in ("deltagare", "formaner"):
        p = set(pd.read_parquet(pipeline_out / f"{kind}.parquet", columns=["person_id"])["person_id"].dropna())
        d = set(pd.read_parquet(duckdb_out / f"{kind}.parquet", columns=["person_id"])["person_id"].dropna())
        if p != d:
            raise SystemExit(f"{kind}: the pseudonyms of the kept people differ ({len(p ^ d)} differ)")
    return {k: g["reason"].value_counts().to_dict() for k, g in ours.groupby("export")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="population_scale of the demo (1.0: national)")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: DuckDB's default, every core)")
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--raw", type=lambda p: Path(p).resolve(), help="data/raw with the register exports already generated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        if args.raw:
            raw, generate = args.raw, None
        else:
            from _timing import demo_raw

            raw = demo_raw(Path(tmp), args.scale)
            generate = time.perf_counter() - start
        runs: dict[str, list[dict]] = {"pipeline": [], "duckdb": []}
        reasons = {}
        for i in range(args.repeat):
            order = ("pipeline", "duckdb") if i % 2 == 0 else ("duckdb", "pipeline")  # neither always goes first
            outs = {}
            for name in order:
                outs[name] = Path(tmp) / f"{name}{i}"
                script = PIPELINE if name == "pipeline" else DUCKDB
                runs[name].append(run(script, raw / "register", outs[name], args.year, args.threads))
            reasons = agree(outs["pipeline"], outs["duckdb"], runs["pipeline"][-1], runs["duckdb"][-1])
    median = {name: statistics.median(r["seconds"] for r in rs) for name, rs in runs.items()}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"load average before/after {os.getloadavg()[0]:.1f}, repeats={args.repeat}, scale={args.scale}, "
          f"DuckDB threads={args.threads or 'default'}")
    made = f"generate demo exports: {generate:.1f} s; " if generate is not None else f"exports of {args.raw}; "
    print(f"{made}{runs['pipeline'][0]['rows']} rows in {args.year}")
    print("| cleaning of one year | median s | min s | max s | peak RSS MB |")
    print("|---|---:|---:|---:|---:|")
    for name, label in (("pipeline", "pipeline (`clean_register_year` + `save_register_year`)"),
                        ("duckdb", "DuckDB SQL, same rules (`benchmarks/register_duckdb.py`)")):
        seconds = [r["seconds"] for r in runs[name]]
        print(f"| {label} | {median[name]:.2f} | {min(seconds):.2f} | {max(seconds):.2f} | "
              f"{max(r['peak_mb'] for r in runs[name]):.0f} |")
    ratio = median["pipeline"] / median["duckdb"]
    memory = max(r["peak_mb"] for r in runs["pipeline"]) / max(r["peak_mb"] for r in runs["duckdb"])
    print(f"pipeline / DuckDB: time (medians) {ratio:.2f} ({'at least as fast' if ratio <= 1 else 'SLOWER'}), "
          f"peak memory {memory:.2f} ({'no higher' if memory <= 1 else 'HIGHER'})")
    print(f"both quarantined (reason → rows): {reasons}")


if __name__ == "__main__":
    main()
