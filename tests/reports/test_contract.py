"""The one report contract (pipeline/reports/contract.py): every appendix is loaded the same way,
from the same notebook parameters, and "synthetic" is decided once, by the stage."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from pipeline import stages
from pipeline.core.config import Project
from pipeline.core.errors import ConfigError
from pipeline.core.fmt import SYNTHETIC
from pipeline.reports import contract
from pipeline.reports.bilaga1 import Bilaga1
from pipeline.reports.bilaga3 import Bilaga3
from pipeline.reports.bilaga4 import Bilaga4
from pipeline.reports.colophon import DATA_SOURCE_TEXT, MICRODATA, PUBLISHED, collect
from pipeline.reports.colophon import SYNTHETIC as SYNTHETIC_SOURCE
from pipeline.reports.forbundsbilaga import Forbundsbilaga, Forbundsjamforelse
from pipeline.reports.indikatorrapport import Indikatorbilaga, Indikatorrapport
from pipeline.reports.modellbilaga import Modellbilaga

from ..conftest import REPO

FAMILIES = {family: contract.family_class(family) for family in contract.APPENDICES}  # the one registry


def _parameter_names(family: str) -> list[str]:
    nb = nbformat.read(REPO / "notebooks" / stages.NOTEBOOKS[family], as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return [t.id for node in ast.parse(cell.source).body for t in node.targets]


def test_every_family_is_declared_once_with_a_notebook_and_a_class():
    assert FAMILIES == {"bilaga1": Bilaga1, "modeller": Modellbilaga, "bilaga3": Bilaga3, "bilaga4": Bilaga4,
                        "forbundsbilaga": Forbundsbilaga, "jamforelse": Forbundsjamforelse,
                        "indikatorrapport": Indikatorrapport, "indikatorbilaga": Indikatorbilaga}
    assert set(contract.APPENDICES) == set(stages.NOTEBOOKS)
    for family, cls in FAMILIES.items():
        assert issubclass(cls, contract.Appendix) and cls.family == family
        assert (REPO / "notebooks" / stages.NOTEBOOKS[family]).is_file()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_notebook_has_the_same_parameters_and_load_call(family):
    assert _parameter_names(family) == ["year", "inputs", "source", "synthetic"]
    nb = nbformat.read(REPO / "notebooks" / stages.NOTEBOOKS[family], as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    calls = re.findall(r"(\w+)\.(from_parameters|load)\(([^)]*)\)", code)
    assert calls == [(FAMILIES[family].__name__, "from_parameters", "year, inputs, source, synthetic")]
    assert "report.banner_markdown()" in code  # every report shows the banner (empty unless synthetic)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_parameters_are_checked_with_one_clear_error(family, tmp_path):
    cls = FAMILIES[family]
    with pytest.raises(ConfigError, match="input\\(s\\) missing: " + cls.inputs_needed[0]):
        cls.from_parameters(2022, {}, cls.sources[0])
    inputs = {name: tmp_path for name in cls.inputs_needed}
    with pytest.raises(ConfigError, match="unknown input\\(s\\): typo_dir"):
        cls.from_parameters(2022, inputs | {"typo_dir": tmp_path}, cls.sources[0])
    wrong = next(s for s in contract.SOURCES if s not in cls.sources)
    with pytest.raises(ConfigError, match=f"cannot be built from '{wrong}' data"):
        cls.from_parameters(2022, inputs, wrong)


def test_stage_parameters_follow_the_contract(tmp_path):
    params = contract.parameters(2022, {"published": tmp_path, "register_tables": None}, "published", False)
    assert params == {"year": 2022, "inputs": {"published": str(tmp_path.resolve())}, "source": "published",
                      "synthetic": False}
    with pytest.raises(ConfigError, match="unknown data source 'excel'"):
        contract.parameters(2022, {}, "excel", False)


def test_banner_and_header_come_from_the_flag_alone(published_project):
    report = Bilaga1.from_parameters(2022, {"published": published_project.published_processed})
    assert report.banner_markdown() == ""
    report.synthetic = True
    assert report.banner_markdown().startswith(f"::: banner\n{SYNTHETIC}. ")
    assert contract.header("modeller", 2022, True) == f"Modellbilaga – 2022 · {SYNTHETIC}"
    assert contract.header("bilaga4", 2016, False) == "Bilaga 4 Målgruppens storlek – 2016"


def _project(tmp_path: Path, register: dict, survey_synthetic: bool) -> Project:
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"years": [2022], "register": register,
                                                          "report": {"source": "published"}}), encoding="utf-8")
    folder = tmp_path / "data" / "raw" / "enkat" / "2016"
    folder.mkdir(parents=True)
    questions = yaml.safe_load((REPO / "data" / "raw" / "enkat" / "2016" / "fragor.yaml").read_text(encoding="utf-8"))
    questions["survey"]["synthetic"] = survey_synthetic
    (folder / "fragor.yaml").write_text(yaml.safe_dump(questions, allow_unicode=True), encoding="utf-8")
    return Project(tmp_path)


@pytest.mark.parametrize("demo", [True, False])
def test_synthetic_is_decided_once_per_data_source(tmp_path, demo):
    project = _project(tmp_path, {"years": [2022], "demo": demo}, survey_synthetic=not demo)
    assert stages.data_source(project, "bilaga1", 2022) == ("published", False)
    assert stages.data_source(project, "bilaga1", 2022, "microdata") == ("microdata", demo)
    assert stages.data_source(project, "modeller", 2022) == ("microdata", demo)
    assert stages.data_source(project, "bilaga4", 2016) == ("published", False)
    assert stages.data_source(project, "bilaga3", 2016) == ("survey", not demo)
    with pytest.raises(ConfigError, match="report.source must be"):
        stages.data_source(project, "bilaga1", 2022, "excel")


def test_no_report_module_decides_synthetic_on_its_own():
    """The flag is read from the stage's decision only: no report module looks at register.demo,
    at the questionnaire's flag or at the rendered text to decide it."""
    offenders = []
    for path in sorted((REPO / "pipeline" / "reports").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"survey\.synthetic", r"\"demo\"", r"SYNTHETIC in "):
            if re.search(pattern, text):
                offenders.append(f"{path.name}: {pattern}")
    assert offenders == []


@pytest.mark.parametrize("source,synthetic,expected", [
    ("published", False, PUBLISHED), ("microdata", True, SYNTHETIC_SOURCE), ("microdata", False, MICRODATA),
    ("survey", True, SYNTHETIC_SOURCE), ("survey", False, MICRODATA)])
def test_colophon_states_the_stage_decision(tmp_path, source, synthetic, expected):
    notebook = tmp_path / "x.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    data = tmp_path / "in"
    data.mkdir()
    (data / "a.csv").write_text("1\n", encoding="utf-8")
    prov = collect("bilaga1", tmp_path, {}, notebook, contract.parameters(2022, {"x": data}, source, synthetic))
    assert prov.data_source == expected
    assert f"**Datakälla:** {DATA_SOURCE_TEXT[expected]}" in prov.markdown()
    assert prov.inputs_count == 2  # the notebook and the one file of the named input folder


# What every family's colophon printed when the list was a dict of its own in colophon.py (labels, in order).
_CELL, _SEED, _SLACK = ("Minsta antal i en redovisad cell", "Slumpfrö för demodata",
                        "Avrundningsmarginal i avstämningen (enheter i sista siffran)")
_ANSWERS = "Minsta antal svar i en redovisad uppgift"
COLOPHON_LABELS = {
    "bilaga1": ["År", "Datakälla för tabellerna", _SLACK, _CELL], "modeller": ["År", _CELL, _SEED], "bilaga3": ["År"],
    "bilaga4": ["År", "Område", "Befolkning i arbetsför ålder", _SLACK], "forbundsbilaga": ["År", _CELL, _SEED],
    "jamforelse": ["År", _CELL, _SEED], "indikatorrapport": ["År", _ANSWERS, _SEED],
    "indikatorbilaga": ["År", _ANSWERS, _SEED]}


def test_the_colophon_names_each_setting_once_and_prints_what_it_did():
    """The settings a colophon prints come from the family registry (FAMILIES[...].colophon) with their
    labels from the settings model; each family prints the labels it printed before, in the same order,
    and the stage rendering it declares them (the colophon reads them from the stage's settings)."""
    from pipeline.core.catalogue import FAMILIES
    from pipeline.reports.colophon import report_parameters

    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    assert set(COLOPHON_LABELS) == set(FAMILIES)
    for family, labels in COLOPHON_LABELS.items():
        printed = report_parameters(family, params, {"year": 2022, "source": FAMILIES[family].source or "microdata"})
        assert [label for label, _ in printed] == labels, family
        assert all(value for _, value in printed), family
        stage = next(s for s in stages.STAGES if FAMILIES[family].notebook in (s.notebook, *s.extra_notebooks))
        for dotted in FAMILIES[family].colophon:
            assert any(dotted == d or dotted.startswith(d + ".") for d in stage.settings), (family, dotted)
    published = report_parameters("bilaga1", params, {"year": 2022, "source": "published"})
    assert [label for label, _ in published] == ["År", "Datakälla för tabellerna", _SLACK]  # no disclosure line
    assert dict(published)["Datakälla för tabellerna"] == "publicerade uppgifter"


def test_colophon_commit_is_dirty_for_code_changes_only(tmp_path):
    """A build rewrites dvc.lock; that must not make every report say the program had local changes."""
    import subprocess

    from pipeline.reports.colophon import git_state

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "x.py").write_text("a = 1\n", encoding="utf-8")
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\n", encoding="utf-8")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "x")
    assert git_state(tmp_path / "pipeline")[2] is False
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n", encoding="utf-8")
    assert git_state(tmp_path / "pipeline")[2] is False
    (tmp_path / "pipeline" / "x.py").write_text("a = 2\n", encoding="utf-8")
    assert git_state(tmp_path / "pipeline")[2] is True


DUMMY_MODULE = """
from dataclasses import dataclass
from pathlib import Path

from pipeline.reports.contract import Appendix


@dataclass
class Provbilaga(Appendix):
    family = "provbilaga"
    inputs_needed = ("published",)
    sources = ("published",)
    synthetic_explanation = ""
    year: int
    synthetic: bool
    out_dir: Path

    @classmethod
    def _load(cls, year, inputs, source, synthetic, out_dir):
        return cls(year, synthetic, out_dir)
"""


def test_a_family_listed_once_appears_everywhere(tmp_path, monkeypatch):
    """One registry entry, one class, one notebook and one stage line: the family is then in the
    contract, the kernels' preload, the index, the data-source decision, the stage table and dvc.yaml."""
    import shutil

    from pipeline import engine
    from pipeline.core import catalogue
    from pipeline.reports import kernels, report_index

    (tmp_path / "provbilaga_module.py").write_text(DUMMY_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(catalogue.FAMILIES, "provbilaga", catalogue.Family(
        "Bilaga 9 Prov", "En bilaga som bara finns i testet", "provbilaga.ipynb", "published", "provbilaga_module",
        "provbilaga_report"))
    monkeypatch.setitem(catalogue.DATASETS, "provbilaga_report",
                        catalogue.Dataset("provbilaga_report", "reports/{year}/provbilaga", "report folder", "years"))
    root = tmp_path / "project"
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    shutil.copy2(REPO / "params.yaml", root / "params.yaml")
    shutil.copy2(REPO / "notebooks" / "bilaga4.ipynb", root / "notebooks" / "provbilaga.ipynb")
    line = stages.Stage("provbilaga", stages.stage_bilaga4, "render the test's appendix", "finsam stage provbilaga",
                        foreach="years", notebook="provbilaga.ipynb", inputs=("published_tables",),
                        settings=("report.formats",), outputs=("provbilaga_report",))
    monkeypatch.setattr(engine, "STAGES", engine.STAGES + (line,))

    assert contract.family_class("provbilaga").__name__ == "Provbilaga"
    assert contract.APPENDICES["provbilaga"].title == "Bilaga 9 Prov"
    assert "provbilaga_module" in kernels.report_modules()
    rows = report_index.index_rows({"provbilaga": [2022]}, ["html"])
    assert [(r["title"], r["files"][0][1]) for r in rows] == [("Bilaga 9 Prov", "2022/provbilaga/provbilaga_2022.html")]
    assert stages.data_source(Project(root), "provbilaga", 2022) == ("published", False)
    assert "| `provbilaga` (each of `years`) | render the test's appendix |" in engine.readme_table()
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    body = yaml.safe_load(engine.dvc_yaml(root, params))["stages"]["provbilaga"]["do"]
    assert body["deps"][0] == "notebooks/provbilaga.ipynb" and body["outs"] == [
        {"reports/${item}/provbilaga": {"cache": False, "persist": True}}]
