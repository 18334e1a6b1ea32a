"""Command line. Stage commands follow from the stage list in :mod:`pipeline.stages`.

- ``finsam build``: every out-of-date stage, through DVC's record (dvc.lock), with progress.
- ``finsam status``: each stage up to date or out of date, with the reason.
- ``finsam stage NAME``: one stage now, by hand (recorded in dvc.lock unless options override
  params.yaml).
- ``finsam run NAME``: what dvc.yaml's commands call (runs the stage, records nothing).
- ``finsam sync``: rewrite dvc.yaml from the stage list (``--check``: only say if it is stale).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings

from . import __version__
from .core.config import Project
from .core.errors import PipelineError
from .stages import MANUAL, STAGES, Stage, by_command, stage_context


def _stage_table() -> str:
    width = max(len(s.command) for s in STAGES)
    lines = ["stages, in pipeline order (example after each):"]
    for stage in STAGES:
        each = f" (for each of params.yaml {stage.foreach})" if stage.foreach else ""
        lines.append(f"  {stage.command:<{width}}  {stage.summary}{each}")
        lines.append(f"  {'':<{width}}    e.g. {stage.example}")
    for command, (_, summary, example) in MANUAL.items():
        lines.append(f"  {command:<{width}}  {summary} (not part of the build)")
        lines.append(f"  {'':<{width}}    e.g. {example}")
    return "\n".join(lines)


def _add_stage_parsers(sub, with_options: bool) -> None:
    for stage in STAGES:
        p = sub.add_parser(stage.command, help=stage.summary, description=f"{stage.summary}. Example: {stage.example}")
        if stage.foreach:
            p.add_argument("--year", required=True, help=f"one of params.yaml {stage.foreach}")
        for option in stage.options:  # `run` takes only what `finsam build` passes (--forbund, --force)
            if option.switch and (with_options or option.flag == "--force"):
                p.add_argument(option.flag, action="store_true", help=option.help)
            elif with_options or option.flag == "--forbund":
                kind = {"--formats": _formats_option, "--forbund": _names}.get(option.flag)
                p.add_argument(option.flag, default=None, choices=option.choices, help=option.help, type=kind)
    if with_options:
        for command, (_, summary, example) in MANUAL.items():
            p = sub.add_parser(command, help=summary, description=f"{summary}. Example: {example}")
            p.add_argument("--seed", type=int, default=2016)


def _formats_option(text: str) -> list[str]:
    """``--formats html,pdf,docx``: a comma-separated choice among the renderer's formats."""
    from .reports.render import SUPPORTED_FORMATS

    chosen = [f.strip() for f in text.split(",") if f.strip()]
    if not chosen or any(f not in SUPPORTED_FORMATS for f in chosen):
        raise argparse.ArgumentTypeError(f"choose from {', '.join(SUPPORTED_FORMATS)} (comma-separated), got {text!r}")
    return chosen


def _names(text: str) -> list[str]:
    """``--forbund "Samordningsförbund 07,Samordningsförbund 12"``: one or more förbund names."""
    chosen = [n.strip() for n in text.split(",") if n.strip()]
    if not chosen:
        raise argparse.ArgumentTypeError(f"name at least one förbund, got {text!r}")
    return chosen


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="finsam", description="Finsam follow-up pipeline",
                                     epilog=_stage_table(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each step")
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="run every out-of-date stage (DVC's record, two at a time)")
    build.add_argument("-j", "--jobs", type=int, default=2, help="stages to run at once (default 2)")
    build.add_argument("--force", action="store_true", help="rerun every stage")
    build.add_argument("--dry-run", action="store_true", help="only say what would run and why")
    build.add_argument("--only", nargs="+", metavar="STAGE", help="only these stages (e.g. published bilaga1@2022)")
    build.add_argument("--forbund", type=_names, metavar="NAMES",
                       help="only this förbund's reports (comma-separated names) and the stages they need")
    status = sub.add_parser("status", help="list each stage as up to date or out of date, with the reason")
    status.add_argument("--check", action="store_true", help="exit 1 if any stage is out of date (for scripts)")
    sync = sub.add_parser("sync", help="write dvc.yaml from the stage list (pipeline/stages.py) and params.yaml")
    sync.add_argument("--check", action="store_true", help="exit 1 if dvc.yaml is stale, write nothing")

    key = sub.add_parser("key", help="the pseudonym key").add_subparsers(dest="key_command", required=True)
    key_init = key.add_parser("init", help="write a new random key (mode 0600) outside the repository")
    key_init.add_argument("--path", default=None, help="key file (default: $FINSAM_PSEUDONYM_KEY_FILE or "
                                                       "~/.config/finsam/pseudonym.key)")
    key_init.add_argument("--force", action="store_true", help="replace an existing key (changes every pseudonym)")

    stage = sub.add_parser("stage", help="run one stage now and record it", epilog=_stage_table(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_stage_parsers(stage.add_subparsers(dest="stage", required=True), with_options=True)
    run = sub.add_parser("run", help="run one stage as dvc.yaml's command does (records nothing)")
    _add_stage_parsers(run.add_subparsers(dest="stage", required=True), with_options=False)
    return parser


def _call(stage: Stage, project: Project, args: argparse.Namespace) -> tuple[object, bool]:
    """Run a declared stage; returns its result and whether options overrode params.yaml."""
    kwargs, overriding = {}, False
    for option in stage.options:
        value = getattr(args, option.flag.lstrip("-").replace("-", "_"), None)
        if value is not None and value is not False:
            kwargs[option.flag.lstrip("-").replace("-", "_")] = value  # --formats is a checked list already
            overriding = overriding or not option.switch
    ctx = stage_context(stage, project, args.year if stage.foreach else None)  # resolved once, here
    return stage.run(ctx, **kwargs), overriding


def _silence_notices() -> None:
    """Warnings that mean nothing to a user of the build."""
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    _silence_notices()
    try:
        if args.command == "key":
            return _key_init(args)
        project = Project.discover()
        if args.command in ("build", "status", "sync"):
            from . import engine

            if args.command == "sync":
                changed = engine.sync(project.root, project.params, check=args.check)
                print(f"dvc.yaml {'is stale' if args.check and changed else 'written' if changed else 'is current'}")
                return 1 if args.check and changed else 0
            if args.command == "status":
                stale, unbuilt = 0, 0
                for name, reasons in engine.status(project.root, project.params):
                    stale += bool(reasons)
                    unbuilt += reasons == [engine.NOT_BUILT]
                    shown = reasons[0] if reasons == [engine.NOT_BUILT] else \
                        "out of date: " + "; ".join(reasons) if reasons else "up to date"
                    print(f"{name:<22} {shown}")
                print("nothing is built yet: `finsam build` builds every stage" if unbuilt and unbuilt == stale
                      else f"{stale} stage(s) out of date" + (f", {unbuilt} of them not built yet" if unbuilt else ""))
                return 1 if args.check and stale else 0
            start = time.perf_counter()
            report = engine.build_pipeline(project.root, project.params, jobs_at_once=args.jobs, force=args.force,
                                           dry_run=args.dry_run, only=args.only, forbund=args.forbund)
            if args.dry_run:  # nothing ran and no log was written: say what a build would do
                would = sum(1 for _, s, _ in report if s == "would run")
                print(f"dry run: {would} of {len(report)} stages would run; "
                      "nothing was run or written")
                return 0
            ran = sum(1 for _, s, _ in report if s == "ran")
            print(f"{ran} of {len(report)} stages ran in {engine.seconds(time.perf_counter() - start)}; "
                  f"log: {project.root / '.finsam' / 'build.log'}; reports: {project.reports / 'index.html'}")
            return 0
        if args.stage in MANUAL:
            print(MANUAL[args.stage][0](stage_context(by_command(args.stage), project), args.seed))
            return 0
        stage = by_command(args.stage)
        result, overridden = _call(stage, project, args)
        print(result)
        if args.command == "stage":
            _record_by_hand(project, stage, args, overridden)
        return 0
    except PipelineError as exc:
        print(f"finsam: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a fault no stage turned into its own message: still one line with the real cause
        from .core.io import os_reason

        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"finsam: error: {where}{os_reason(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("finsam: interrupted; outputs are replaced only when a stage completes, so the previous "
              "ones are still in place", file=sys.stderr)
        return 130


def _key_init(args: argparse.Namespace) -> int:
    """``finsam key init``: a new random pseudonym key in a 0600 file outside the repository."""
    from pathlib import Path

    from .core.config import find_root
    from .core.personnummer import fingerprint, init_key

    try:
        repo = find_root()
    except PipelineError:
        repo = None
    path = init_key(Path(args.path) if args.path else None, force=args.force, repo=repo)
    key_bytes = bytes.fromhex(path.read_text(encoding="ascii"))
    print(f"{path}: new pseudonym key written (mode 0600), fingerprint {fingerprint(key_bytes)}")
    return 0


def _record_by_hand(project: Project, stage: Stage, args: argparse.Namespace, overridden: bool) -> None:
    """A stage run by hand with params.yaml's settings is recorded, so the build sees it up to date."""
    name = f"{stage.name}@{args.year}" if stage.foreach else stage.name
    if overridden:
        print(f"not recorded in dvc.lock: options override params.yaml, so `finsam build` reruns {name}")
        return
    from . import engine

    if engine.sync(project.root, project.params, check=True):
        print("not recorded in dvc.lock: dvc.yaml is stale (run `finsam sync` or `finsam build`)")
        return
    try:
        engine.record(engine.open_repo(project.root), name)
    except Exception as exc:  # DVC's own errors (e.g. a missing dependency) are reported, not fatal
        print(f"not recorded in dvc.lock: {exc}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
