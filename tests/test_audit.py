"""Nothing read undeclared, proven: every stage runs at small scale in a copy of the project under
an audit hook on file opens (``sys.addaudithook``), in the stage's process and in every Python
process it starts (its notebook kernels); a file of the project a stage reads must be one of its
declared inputs (pipeline/stages.py, resolved through pipeline/core/catalogue.py), one of its code
dependencies (the engine's import closure, as in dvc.yaml), its own output, or params.yaml (which
the command line reads once into the typed settings and hands out only as the stage's declared
slice).

The hook is installed by a ``sitecustomize`` module put first on PYTHONPATH: Python imports it at
start-up in every process that inherits the environment. Each process names its stage from its own
command line (``python -m pipeline.cli run NAME [--year Y]``) and hands the name on to its children
through the environment. What it cannot see: programs that are not Python (pandoc and typst read
the temporary Markdown and images inside the stage's own output folder, which the stage wrote).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
import yaml

from pipeline import engine

from .conftest import REPO, copy_project

pytestmark = pytest.mark.slow

SITECUSTOMIZE = r'''
import os, sys

_log = os.environ.get("FINSAM_AUDIT_LOG")
if _log:
    argv = list(getattr(sys, "orig_argv", sys.argv))
    if "pipeline.cli" in argv and "run" in argv[argv.index("pipeline.cli"):]:
        rest = argv[argv.index("run", argv.index("pipeline.cli")) + 1:]
        name = rest[0].replace("-", "_") if rest else "?"
        if "--year" in rest:
            name += "@" + rest[rest.index("--year") + 1]
        os.environ["FINSAM_AUDIT_STAGE"] = name  # children (kernels) inherit it
    _stage = os.environ.get("FINSAM_AUDIT_STAGE", "")
    _out = open(os.path.join(_log, f"{os.getpid()}.log"), "a", encoding="utf-8", buffering=1)
    _WRITE = os.O_WRONLY | os.O_RDWR

    def _record(path, _out=_out, _stage=_stage, os=os):
        if _stage and isinstance(path, (str, bytes, os.PathLike)):
            _out.write(_stage + "\t" + os.path.abspath(os.fsdecode(os.fspath(path))) + "\n")

    def _hook(event, args, os=os):
        if event != "open":
            return
        path, mode, flags = (tuple(args) + (None, None))[:3]
        if isinstance(path, int) or path is None:
            return
        reading = (not any(c in mode for c in "wax+")) if isinstance(mode, str) else not ((flags or 0) & _WRITE)
        if reading:
            _record(path)

    sys.addaudithook(_hook)

    # Arrow opens Parquet files in C++, where Python's open event does not fire: its readers note the
    # path they are given (measured: without this, no stage's Parquet reads were seen).
    import importlib.abc, importlib.util

    def _note(source):
        for one in (source if isinstance(source, (list, tuple)) else [source]):
            _record(one)

    def _noting(fn):
        def read(source, *args, **kwargs):
            _note(source)
            return fn(source, *args, **kwargs)
        return read

    def _noting_init(init):
        def __init__(self, source, *args, **kwargs):
            _note(source)
            init(self, source, *args, **kwargs)
        return __init__

    def _patch(pq):
        pq.read_table = pq.core.read_table = _noting(pq.read_table)
        for cls in (pq.ParquetFile, pq.ParquetDataset):
            cls.__init__ = _noting_init(cls.__init__)

    class _AfterParquet(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "pyarrow.parquet":
                return None
            sys.meta_path.remove(self)
            try:
                spec = importlib.util.find_spec(name)
            finally:
                sys.meta_path.insert(0, self)
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                _patch(module)
            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _AfterParquet())
'''


def undeclared_reads(reads: dict[str, set[str]], jobs: list[engine.Job], root: Path) -> dict[str, list[str]]:
    """Per stage, the project files it read that are neither declared (inputs, code) nor its own."""
    root = root.resolve()
    by_name = {j.name: j for j in jobs}
    offenders: dict[str, list[str]] = {}
    for stage, paths in reads.items():
        job = by_name.get(stage)
        if job is None:
            offenders[stage] = ["(a process named a stage that is not in the plan)"]
            continue
        allowed = [root / d for d in job.deps] + [root / o for o in job.outs] + [root / "params.yaml"]
        outs = [root / o for o in job.outs]
        bad = []
        for text in sorted(paths):
            path = Path(text)
            if root not in path.parents or not path.exists():
                continue  # not a project file (the virtualenv, the system, a folder elsewhere, a path hook's name)
            if path.parent.name == "__pycache__":  # the compiled form of a module: its source must be a dependency
                path = path.parent.parent / (path.name.split(".")[0] + ".py")
            if any(path == a or a in path.parents for a in allowed):
                continue
            if any(o.parent in path.parents and path.relative_to(o.parent).parts[0].startswith(f".{o.name}.")
                   for o in outs):
                continue  # the stage's own temporary output folder (written atomically) or its lock
            bad.append(path.relative_to(root).as_posix())
        if bad:
            offenders[stage] = bad
    return offenders


def _reads(log_dir: Path) -> dict[str, set[str]]:
    reads: dict[str, set[str]] = {}
    for log in log_dir.glob("*.log"):
        for line in log.read_text(encoding="utf-8").splitlines():
            stage, _, path = line.partition("\t")
            reads.setdefault(stage, set()).add(path)
    return reads


def test_the_checker_flags_an_undeclared_read(tmp_path):
    jobs = {j.name: j for j in engine.jobs(REPO, yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8")))}
    root = tmp_path
    reads = {"index": {str(root / "data/raw/enkat/2016/fragor.yaml"), str(root / "data/processed/models/2022/rates.parquet"),
                       str(root / "__editable__.finsam_pipeline-0.1.0.finder.__path_hook__x"),
                       str(root / "data/raw/register/2019/sus_insatser_2019.csv"), str(root / "pipeline/stages.py"),
                       str(root / "reports/.index.html.x1.tmp/index.html"), "/usr/lib/python3/os.py"},
             "register@2022": {str(root / "data/raw/register/2019/sus_insatser_2019.csv"),
                               str(root / "pipeline/__pycache__/stages.cpython-311.pyc")}}
    for paths in reads.values():
        for path in paths:
            if path.startswith(str(root)) and "__path_hook__" not in path:  # that one is no file
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                Path(path).touch()
    assert undeclared_reads(reads, list(jobs.values()), root) == {
        "index": ["data/raw/register/2019/sus_insatser_2019.csv"]}
    # without the questionnaires among the index's inputs (the drift issue 20 found), the read is flagged
    blind = dataclasses.replace(jobs["index"], deps=tuple(d for d in jobs["index"].deps if "enkat/2016/fragor" not in d))
    assert "data/raw/enkat/2016/fragor.yaml" in undeclared_reads({"index": reads["index"]}, [blind], root)["index"]


def test_every_stage_reads_only_what_it_declares(tmp_path, monkeypatch):
    """A whole build at small scale (population 2 %, one förbund's reports, HTML only) under the hook."""
    root = tmp_path / "project"
    root.mkdir()
    copy_project(root)
    shutil.copytree(REPO / "pipeline", root / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "README.md", root / "README.md")
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    params["register"]["population_scale"] = 0.02
    params["forbundsbilagor"]["names"] = ["Samordningsförbund 07"]
    params["report"]["formats"] = ["html"]
    (root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    logs = tmp_path / "opens"
    logs.mkdir()
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    monkeypatch.setenv("FINSAM_AUDIT_LOG", str(logs))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.delenv("FINSAM_PSEUDONYM_KEY", raising=False)  # the demo's published key, as `make build` uses
    report = engine.build_pipeline(root, params, echo=lambda _: None)
    assert {status for _, status, _ in report} == {"ran"}
    jobs = engine.jobs(root, params)
    reads = _reads(logs)
    assert set(reads) == {j.name for j in jobs}  # every stage was seen, also through its kernels
    assert any("notebooks/bilaga1.ipynb" in p for p in reads["bilaga1@2022"])
    assert any("data/processed/forbund/" in p for p in reads["forbundsbilagor"])
    assert undeclared_reads(reads, jobs, root) == {}
