"""The indicator surveys' stages: indikator_demo writes the exports and the truth where the catalogue
says, never over real exports; indikator cleans one year into data/processed/indikator/<year>; a bad
export stops with one line and exit code 2, and the previous output stays."""

from __future__ import annotations

import json

import pandas as pd
import yaml

from pipeline import cli
from pipeline.core.catalogue import DATASETS
from pipeline.core.config import Project

from .conftest import copy_project


def _years(project: Project, years: list[int]) -> Project:
    path = project.root / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    params["indikator"]["years"] = years
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Project(project.root)


def test_the_demo_and_the_cleaning_stages(tmp_path, monkeypatch, capsys):
    project = _years(copy_project(tmp_path), [2020, 2021])
    monkeypatch.setenv("FINSAM_ROOT", str(project.root))
    assert cli.main(["stage", "indikator_demo"]) == 0
    truth_file = DATASETS["indikator_truth"].path(project.root)
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    assert truth["years"] == [2020, 2021] and truth["synthetic"]
    for year in (2020, 2021):
        exports = DATASETS["indikator_exports"].path(project.root, year)
        assert (exports / "chefer.csv").is_file() and any(exports.glob("styrelse/*.xlsx"))
        assert cli.main(["stage", "indikator", "--year", str(year)]) == 0
        out = DATASETS["indikator_clean"].path(project.root, year)
        for table in ("svar", "respondenter", "fritext", "karantan", "kvalitet", "deltagande", "fragor"):
            assert (out / f"{table}.parquet").is_file() and (out / f"{table}.csv").is_file()
        q = pd.read_parquet(out / "kvalitet.parquet")
        assert int(q["rows_in"].sum()) == truth["rows"][str(year)] and int(q["kept"].sum()) == truth["kept"][str(year)]
        assert len(pd.read_parquet(out / "karantan.parquet")) == len(truth["quarantine"][str(year)])
    # a bad export: one line, exit code 2, the previous output intact
    before = (DATASETS["indikator_clean"].path(project.root, 2021) / "svar.parquet").read_bytes()
    sheet = next(DATASETS["indikator_exports"].path(project.root, 2021).glob("styrelse/*.xlsx"))
    sheet.write_bytes(b"not a workbook")
    capsys.readouterr()
    assert cli.main(["stage", "indikator", "--year", "2021"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not an Excel workbook" in err[0] and sheet.name in err[0], err
    assert (DATASETS["indikator_clean"].path(project.root, 2021) / "svar.parquet").read_bytes() == before


def test_the_demo_never_writes_over_real_exports(tmp_path, monkeypatch, capsys):
    project = _years(copy_project(tmp_path), [2021])
    monkeypatch.setenv("FINSAM_ROOT", str(project.root))
    exports = DATASETS["indikator_exports"].path(project.root, 2021)
    exports.mkdir(parents=True, exist_ok=True)
    DATASETS["indikator_truth"].path(project.root).unlink(missing_ok=True)
    (exports / "chefer.csv").write_text("real export\n", encoding="utf-8")
    assert cli.main(["stage", "indikator_demo"]) == 2
    assert "not the synthetic demo" in capsys.readouterr().err
    assert (exports / "chefer.csv").read_text(encoding="utf-8") == "real export\n"


def test_the_indicator_stages_read_only_what_they_declare(tmp_path, monkeypatch):
    """indikator_demo and indikator run through the build under the audit hook of tests/test_audit.py:
    every project file they open is a declared input, a code dependency or their own output."""
    import os
    import shutil

    from pipeline import engine

    from .conftest import REPO
    from .test_audit import SITECUSTOMIZE, _reads, undeclared_reads

    root = tmp_path / "project"
    root.mkdir()
    project = _years(copy_project(root), [2021])
    shutil.copytree(REPO / "pipeline", root / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "README.md", root / "README.md")
    hook, logs = tmp_path / "hook", tmp_path / "opens"
    hook.mkdir()
    logs.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    monkeypatch.setenv("FINSAM_AUDIT_LOG", str(logs))
    params = project.params
    report = engine.build_pipeline(root, params, only=["indikator_demo", "indikator@2021"], echo=lambda _: None)
    assert [(name, status) for name, status, _ in report] == [("indikator_demo", "ran"), ("indikator@2021", "ran")]
    reads = _reads(logs)
    assert set(reads) == {"indikator_demo", "indikator@2021"}
    assert any("/svar/" in p for p in reads["indikator@2021"])  # the hook saw the exports being read
    assert undeclared_reads(reads, engine.jobs(root, params), root) == {}
