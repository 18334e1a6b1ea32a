"""Benchmark: the whole survey half of the build (issue 19), cold, in a throwaway project.

Phases, each timed with the stage's own code, in the order the build runs them:

1. ``demo`` – the synthetic exports of every year (pipeline/demo/indikator_demo.py);
2. ``cleaning`` – every year's exports read and cleaned (pipeline/sources/indikator.py) and written;
3. ``tabeller`` – the indicator figures, changes, trends, funnel and the linked disclosure control
   (stage ``indikator_tabeller``), with its parts timed apart (counting, disclosure, models, funnel);
4. ``indikatorrapport`` – the national report of every year (stage ``indikatorrapport``: a fresh kernel
   per year, HTML, PDF/UA and DOCX by default);
5. ``indikatorbilagor`` – every participating förbund × year (stage ``indikatorbilagor``: warm kernels,
   HTML), with the number of reports;
6. ``index``.

    .venv/bin/python benchmarks/bench_indikator.py [--years 2017-2022] [--forbund N] [--formats html,pdf,docx]
        [--total 3800,4000]

``--forbund N`` builds the förbund reports for the first N participating förbund only (default all);
``--total`` is the demo's range of questionnaires a year. The test suite runs :func:`run` at a tiny scale
(tests/test_bench_indikator.py); the numbers are in docs/performance.md. Each phase prints its wall time and
its CPU time (user + system of this process and the kernels and renderers it started and waited for).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _project(root: Path, years: list[int], formats: list[str]):
    import shutil

    from pipeline.core.config import Project

    for name in ("params.yaml", "dvc.yaml"):
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw",
                    ignore=shutil.ignore_patterns("svar", "sanning.json"))  # no earlier demo exports
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    (root / "data" / "processed").mkdir(parents=True, exist_ok=True)
    (root / "reports").mkdir(exist_ok=True)
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    params["indikator"] = dict(params.get("indikator") or {}, years=years, demo=True)
    params["report"] = dict(params.get("report") or {}, formats=formats)
    (root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Project(root)


def _cpu() -> float:
    """User + system seconds of this process and of its children that have ended (the kernels, pandoc,
    Typst): comparable between runs on a shared machine, where wall time depends on the others' load."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(root: Path, years: list[int], formats: list[str], forbund: int | None = None,
        total: tuple[int, int] | None = None, echo=print) -> dict[str, float]:
    """Build the survey half in ``root`` (an empty folder) and return seconds per phase."""
    from pipeline import stages
    from pipeline.core.catalogue import DATASETS
    from pipeline.demo.indikator_demo import write_indikator_demo
    from pipeline.derive import indikator
    from pipeline.reports.indikatorrapport import load_tables

    project = _project(root, years, formats)
    raw = DATASETS["indikator_spec"].path(project.root).parent
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name, fn, *args, **kwargs):
        start, used = time.perf_counter(), _cpu()
        out = fn(*args, **kwargs)
        seconds[name], cpu[name] = time.perf_counter() - start, _cpu() - used
        echo(f"{name:<24} {seconds[name]:8.1f} s  cpu {cpu[name]:8.1f} s")
        return out

    demo_args = {"total": total} if total else {}
    timed("demo", write_indikator_demo, raw, years=years, seed=int(project.params["indikator"].get("demo_seed", 2017)),
          **demo_args)

    def clean_all():  # the cleaning stage of every year
        for year in years:
            stages.stage_indikator(project, year)

    timed("cleaning", clean_all)
    # the parts of the figures, timed apart on the same data (the stage below does them all again)
    from pipeline.derive.disclosure import Settings

    clean = DATASETS["indikator_clean"]
    svar, _, _ = indikator.read_years({y: clean.path(project.root, y) for y in years})
    counts = timed("  counting", indikator.count, svar)
    d = project.settings.disclosure
    andelar, _ = timed("  disclosure", indikator.disclose, counts, Settings(d.min_cell_count, d.protection))
    timed("  models", indikator.changes_and_trends, counts, {})
    timed("  funnel", indikator.funnel_positions, andelar)
    timed("tabeller", stages.stage_indikator_tabeller, project)

    def national():
        for year in years:
            stages.stage_indikatorrapport(project, year, formats=formats)

    timed("indikatorrapport", national)
    taking = load_tables(DATASETS["indikator_tables"].path(project.root))["forbund"]
    names = sorted(taking["forbund"].unique())[:forbund] if forbund else None
    timed("indikatorbilagor", stages.stage_indikatorbilagor, project, forbund=names)
    reports = sum(1 for _ in DATASETS["indikatorbilaga_reports"].path(project.root).rglob("indikatorbilaga_*.html"))
    seconds["reports"] = reports
    echo(f"{'  (förbund reports)':<24} {reports:8d}")
    timed("index", stages.stage_index, project)
    phases = [k for k in seconds if not k.startswith("  ") and k != "reports"]
    seconds["total"] = sum(seconds[k] for k in phases)
    cpu["total"] = sum(cpu[k] for k in phases)
    echo(f"{'total (cold)':<24} {seconds['total']:8.1f} s  cpu {cpu['total']:8.1f} s")
    seconds |= {f"cpu {k}": v for k, v in cpu.items()}
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2017-2022")
    parser.add_argument("--forbund", type=int, default=None)
    parser.add_argument("--formats", default="html,pdf,docx")
    parser.add_argument("--total", default=None, help="questionnaires a year, e.g. 3800,4000")
    args = parser.parse_args(argv)
    first, _, last = args.years.partition("-")
    years = list(range(int(first), int(last or first) + 1))
    total = tuple(int(x) for x in args.total.split(",")) if args.total else None
    print(f"{platform.node()}: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; years {args.years}")
    with tempfile.TemporaryDirectory(prefix="bench_indikator_") as tmp:
        run(Path(tmp), years, args.formats.split(","), args.forbund, total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
