"""Benchmark: build every report for every year, cold and with nothing changed.

Runs in a temporary copy of the project so the checkout's reports are untouched, and
prints a Markdown table to paste into docs/performance.md.

    .venv/bin/python benchmarks/bench_build.py [--jobs 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FINSAM = Path(sys.executable).parent / "finsam"


def _copy(target: Path) -> None:
    for name in ("params.yaml", "dvc.yaml"):
        shutil.copy2(REPO / name, target / name)
    for folder in ("data/raw", "notebooks", "pipeline"):
        shutil.copytree(REPO / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__"))


def _timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cold, noop = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            _copy(root)
            cold.append(_timed([str(FINSAM), "build", "--jobs", str(args.jobs)], root))
            noop.append(_timed([str(FINSAM), "build", "--jobs", str(args.jobs)], root))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, "
          f"jobs={args.jobs}, repeats={args.repeat}")
    print("| build | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    for name, values in (("cold (all 7 years, HTML + PDF)", cold), ("nothing changed", noop)):
        values = sorted(values)
        print(f"| {name} | {values[len(values) // 2]:.2f} | {values[0]:.2f} | {values[-1]:.2f} |")
    print(f"peak RSS of the largest child process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
