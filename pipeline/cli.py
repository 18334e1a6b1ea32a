"""Command line: ``finsam build`` runs every stage of dvc.yaml; ``finsam stage …`` runs one."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from . import __version__
from .config import Project
from .errors import PipelineError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="finsam", description="Finsam follow-up pipeline")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each step")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="run every out-of-date stage of dvc.yaml (same commands as dvc repro)")
    build.add_argument("-j", "--jobs", type=int, default=2, help="stages to run at once (default 2)")
    build.add_argument("--force", action="store_true", help="rerun every stage")
    build.add_argument("--dry-run", action="store_true", help="only say what would run")
    build.add_argument("--only", nargs="+", metavar="STAGE", help="only these stages (e.g. published bilaga1@2022)")

    stage = sub.add_parser("stage", help="run one stage now")
    stage_sub = stage.add_subparsers(dest="stage", required=True)
    stage_sub.add_parser("published", help="check data/raw/published, write data/processed/published, reconcile")
    b1 = stage_sub.add_parser("bilaga1", help="execute and render Bilaga 1 for one year")
    b1.add_argument("--year", required=True, help="report year (one of params.yaml years)")
    b1.add_argument("--formats", default=None, help="comma-separated: html,pdf (default: params.yaml)")
    b1.add_argument("--source", choices=("published", "microdata"), default=None,
                    help="published aggregates or cleaned microdata (default: params.yaml report.source)")
    stage_sub.add_parser("register-demo", help="write the synthetic register exports into data/raw/register/<year>/")
    rg = stage_sub.add_parser("register", help="clean one year's register exports (notebooks/register_rensning.ipynb)")
    rg.add_argument("--year", required=True, help="one of params.yaml register.years")
    md = stage_sub.add_parser("models", help="descriptions and models for one year (data/processed/models/<year>)")
    md.add_argument("--year", required=True)
    mr = stage_sub.add_parser("modeller", help="execute and render the model appendix for one year")
    mr.add_argument("--year", required=True)
    mr.add_argument("--formats", default=None, help="comma-separated: html,pdf (default: params.yaml)")
    stage_sub.add_parser("register-tables", help="Tabell 1–6 from the cleaned microdata, with disclosure control")
    en = stage_sub.add_parser("enkat", help="clean one year's survey export (notebooks/enkat_rensning.ipynb)")
    en.add_argument("--year", required=True, help="survey year (one of params.yaml enkat.years)")
    b3 = stage_sub.add_parser("bilaga3", help="execute and render Bilaga 3 (enkät) for one survey year")
    b3.add_argument("--year", required=True, help="survey year (one of params.yaml enkat.years)")
    b3.add_argument("--formats", default=None, help="comma-separated: html,pdf (default: params.yaml)")
    demo = stage_sub.add_parser("enkat-demo", help="write the synthetic demo export data/raw/enkat/2016/export.csv")
    demo.add_argument("--seed", type=int, default=2016)
    stage_sub.add_parser("malgrupp", help="Bilaga 4: check transcriptions and params.yaml, write the calculation")
    b4 = stage_sub.add_parser("bilaga4", help="execute and render Bilaga 4 (year from params.yaml bilaga4.year)")
    b4.add_argument("--formats", default=None, help="comma-separated: html,pdf (default: params.yaml)")
    stage_sub.add_parser("index", help="write reports/index.html")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        project = Project.discover()
        if args.command == "build":
            from .runner import build

            start = time.perf_counter()
            report = build(project.root, project.params, jobs=args.jobs, force=args.force,
                           dry_run=args.dry_run, only=args.only)
            for name, status, seconds in report:
                print(f"{name:<20} {status:<11} {seconds:6.1f} s" if status == "ran" else f"{name:<20} {status}")
            ran = sum(1 for _, s, _ in report if s == "ran")
            print(f"{ran} of {len(report)} stages ran in {time.perf_counter() - start:.1f} s; "
                  f"reports in {project.reports / 'index.html'}")
            return 0
        from . import stages

        if args.stage == "published":
            print(stages.stage_published(project))
        elif args.stage == "bilaga1":
            formats = args.formats.split(",") if args.formats else None
            print(stages.stage_bilaga1(project, args.year, formats, source=args.source))
        elif args.stage == "register-demo":
            print(stages.stage_register_demo(project))
        elif args.stage == "register":
            print(stages.stage_register(project, args.year))
        elif args.stage == "models":
            print(stages.stage_models(project, args.year))
        elif args.stage == "modeller":
            print(stages.stage_modeller(project, args.year, args.formats.split(",") if args.formats else None))
        elif args.stage == "register-tables":
            print(stages.stage_register_tables(project))
        elif args.stage == "enkat":
            print(stages.stage_enkat(project, args.year))
        elif args.stage == "bilaga3":
            print(stages.stage_bilaga3(project, args.year, args.formats.split(",") if args.formats else None))
        elif args.stage == "enkat-demo":
            from .enkat_demo import write_demo

            print(write_demo(project.raw / "enkat" / "2016", args.seed))
        elif args.stage == "malgrupp":
            print(stages.stage_malgrupp(project))
        elif args.stage == "bilaga4":
            print(stages.stage_bilaga4(project, args.formats.split(",") if args.formats else None))
        elif args.stage == "index":
            print(stages.stage_index(project))
        return 0
    except PipelineError as exc:
        print(f"finsam: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
