"""Benchmark: the marginal cost of one more report, fresh kernel per notebook vs warm kernel pool.

In a temporary copy of the project (inputs built with `finsam run published` and `finsam run
malgrupp`, a few seconds), the same report notebooks are executed by papermill, side by side in
one run:

- cold: `render.execute_notebook` as the stages do today, a fresh kernel per notebook;
- warm, 1 and 2 kernels: `kernels.execute_batch` on a `KernelPool` (start-up timed separately).

Workloads: a tiny report (imports pandas, matplotlib, seaborn, statsmodels; one table and one
chart), the real notebooks/bilaga1.ipynb for every year 2016–2022, and notebooks/bilaga4.ipynb
(repeated). Only notebook execution is timed (what the pool changes); the HTML + PDF rendering of
one executed Bilaga 1 is timed once for context. Prints Markdown tables for docs/performance.md.

    .venv/bin/python benchmarks/bench_kernels.py [--tiny 8] [--bilaga4 4] [--years 2016-2022] [--pools 1 2]
        [--workloads tiny bilaga1 bilaga4]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
FINSAM = Path(sys.executable).parent / "finsam"
YEARS = list(range(2016, 2023))

TINY = [
    "import matplotlib.pyplot as plt\nimport pandas as pd\nimport seaborn as sns\nimport statsmodels.api as sm\n"
    "from IPython.display import Markdown, display",
    "frame = pd.DataFrame({'år': range(2016, 2023), 'deltagare': [5, 7, 9, 8, 12, 15, 14]})\n"
    "fit = sm.OLS(frame['deltagare'], sm.add_constant(frame['år'])).fit()\n"
    "display(Markdown(frame.to_string(index=False)))",
    "fig, ax = plt.subplots(figsize=(4, 3))\nsns.barplot(data=frame, x='år', y='deltagare', ax=ax)\nplt.show()",
]


def _tiny_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("year = 2022")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(c) for c in TINY]
    nbformat.write(nb, path)
    return path


def _project(root: Path) -> None:
    shutil.copy2(REPO / "params.yaml", root / "params.yaml")
    shutil.copytree(REPO / "data" / "raw" / "published", root / "data" / "raw" / "published")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    for stage in ("published", "malgrupp"):
        subprocess.run([str(FINSAM), "run", stage], cwd=root, check=True, capture_output=True)


def _jobs(root: Path, name: str, mode: str, count: int, years: list[int] = YEARS) -> list[tuple]:
    """(input, output, parameters, cwd) for one workload; every job has its own output folder."""
    from pipeline.reports import contract

    out = root / "out" / mode / name
    processed = root / "data" / "processed"
    if name == "tiny":
        specs = [(root / "tiny.ipynb", {"year": 2022}) for _ in range(count)]
    elif name == "bilaga1":
        specs = [(root / "notebooks" / "bilaga1.ipynb",
                  contract.parameters(y, {"published": processed / "published"}, "published", False)) for y in years]
    else:
        specs = [(root / "notebooks" / "bilaga4.ipynb",
                  contract.parameters(2016, {"malgrupp": processed / "bilaga4"}, "published", False))
                 for _ in range(count)]
    jobs = []
    for i, (nb, params) in enumerate(specs):
        cwd = out / f"{i:02d}"
        cwd.mkdir(parents=True)
        jobs.append((nb, cwd / f"{name}.ipynb", params, cwd))
    return jobs


def _cold(jobs: list[tuple]) -> tuple[float, list[float]]:
    from pipeline.reports.render import execute_notebook

    each = []
    start = time.perf_counter()
    for nb, output, params, cwd in jobs:
        t = time.perf_counter()
        execute_notebook(nb, output, params, cwd)
        each.append(time.perf_counter() - t)
    return time.perf_counter() - start, each


def _warm(jobs: list[tuple], size: int, home: Path) -> tuple[float, float, list[float]]:
    from pipeline.reports.kernels import KernelPool, execute_batch

    t = time.perf_counter()
    pool = KernelPool(size=size, home=home)
    startup = time.perf_counter() - t
    try:
        t = time.perf_counter()
        results = execute_batch(jobs, pool=pool)
        wall = time.perf_counter() - t
    finally:
        pool.close()
    return startup, wall, [r.seconds for r in results]


def _render_once(executed: Path) -> float:
    from pipeline.reports.render import render_notebook

    t = time.perf_counter()
    render_notebook(executed, ["html", "pdf"], use_quarto=False)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiny", type=int, default=8, help="how many tiny reports per mode")
    parser.add_argument("--bilaga4", type=int, default=4, help="how many Bilaga 4 runs per mode")
    parser.add_argument("--years", default="2016-2022", help="the Bilaga 1 years, first-last")
    parser.add_argument("--pools", type=int, nargs="+", default=[1, 2], help="warm pool sizes to time")
    parser.add_argument("--workloads", nargs="+", default=["tiny", "bilaga1", "bilaga4"],
                        choices=["tiny", "bilaga1", "bilaga4"])
    args = parser.parse_args()
    first, last = (int(y) for y in args.years.split("-"))
    years = list(range(first, last + 1))
    rows = []
    render_s = None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _project(root)
        _tiny_notebook(root / "tiny.ipynb")
        counts = {"tiny": args.tiny, "bilaga1": len(years), "bilaga4": args.bilaga4}
        for name in args.workloads:
            count = counts[name]
            label = {"tiny": "tiny report", "bilaga1": f"Bilaga 1, {first}–{last}", "bilaga4": "Bilaga 4"}[name]
            wall, each = _cold(_jobs(root, name, "cold", count, years))
            rows.append((label, "cold: fresh kernel each (today)", "–", wall, len(each), statistics.median(each)))
            for size in args.pools:
                startup, wall, each = _warm(_jobs(root, name, f"warm{size}", count, years), size, root)
                # Marginal cost: batch wall time per report once the pool is up. With 2 kernels
                # two reports run at once, so this is below the single report's own duration.
                rows.append((label, f"warm pool, {size} kernel{'s' if size > 1 else ''}", f"{startup:.2f}",
                             wall, len(each), statistics.median(each)))
        if "bilaga1" in args.workloads:
            render_s = _render_once(root / "out" / "cold" / "bilaga1" / f"{len(years) - 1:02d}" / "bilaga1.ipynb")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, python {platform.python_version()}, "
          f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    print()
    print("| workload | how | pool start s | reports | wall s | s per report (wall / n) | median s of one report |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, how, startup, wall, n, median in rows:
        print(f"| {label} | {how} | {startup} | {n} | {wall:.2f} | {wall / n:.2f} | {median:.2f} |")
    if render_s is not None:
        print()
        print(f"Rendering one executed Bilaga 1 ({last}) to HTML + PDF (pandoc, Typst), not part of the above: "
              f"{render_s:.2f} s")


if __name__ == "__main__":
    main()
