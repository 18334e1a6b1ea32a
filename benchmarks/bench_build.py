"""Benchmark: the build through `finsam build` (DVC's record, two stages at a time) side by side
with DVC's own `dvc repro` (one stage at a time) on the same stages, cold and with nothing changed.

Runs in temporary copies of the project so the checkout's outputs are untouched, and prints a
Markdown table to paste into docs/performance.md.

    .venv/bin/python benchmarks/bench_build.py [--jobs 2] [--repeat 1] [--stages published malgrupp ...]

The default stages are the ones that need no register microdata (the national register demo
takes minutes on its own); `--stages all` builds everything.
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
BIN = Path(sys.executable).parent
DEFAULT = ["published", "enkat@2016", "bilaga3@2016", "malgrupp", "bilaga4", "index"]


def _copy(target: Path) -> None:
    for name in ("params.yaml", "dvc.yaml", "README.md"):
        shutil.copy2(REPO / name, target / name)
    def skip(folder: str, names: list[str]) -> list[str]:  # generated register exports are rebuilt
        generated = Path(folder).name == "register" and Path(folder).parent.name == "raw"
        return [n for n in names if n == "__pycache__" or (generated and n[:2] == "20")]

    for folder in ("data/raw", "notebooks", "pipeline"):
        shutil.copytree(REPO / folder, target / folder, ignore=skip)
    (target / "data" / "processed").mkdir()
    (target / "reports").mkdir()
    subprocess.run([str(BIN / "dvc"), "init", "--no-scm", "-q"], cwd=target, check=True)


def _timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(Path.home()), "FINSAM_PSEUDONYM_KEY": "ab" * 32}
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--stages", nargs="+", default=DEFAULT)
    args = parser.parse_args()
    only = [] if args.stages == ["all"] else args.stages
    finsam = [str(BIN / "finsam"), "build", "--jobs", str(args.jobs)] + (["--only", *only] if only else [])
    dvc = [str(BIN / "dvc"), "repro"] + (["--single-item", *only] if only else [])
    results: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for label, cmd in (("finsam build", finsam), ("dvc repro", dvc)):
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                _copy(root)
                results.setdefault(f"{label}: cold", []).append(_timed(cmd, root))
                results.setdefault(f"{label}: nothing changed", []).append(_timed(cmd, root))
                if label == "finsam build":
                    status = [str(BIN / "finsam"), "status"]
                    results.setdefault("finsam status (all stages)", []).append(_timed(status, root))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"machine: {platform.machine()}, python {platform.python_version()}, jobs={args.jobs}, "
          f"repeats={args.repeat}, stages: {', '.join(only) or 'all'}")
    print("| build | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    for name, values in results.items():
        values = sorted(values)
        print(f"| {name} | {values[len(values) // 2]:.2f} | {values[0]:.2f} | {values[-1]:.2f} |")
    print(f"peak RSS of the largest child process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
