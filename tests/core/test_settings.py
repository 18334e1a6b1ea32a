"""The typed settings (params.yaml) and the catalogue of datasets: what a stage may read."""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

import pytest
import yaml

from pipeline.core import catalogue
from pipeline.core.config import Params, SettingsSlice, parse_settings
from pipeline.core.errors import ConfigError, PipelineError
from pipeline.stages import STAGES, stage_context

from ..conftest import REPO

RAW = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))


def _error(change) -> str:
    params = copy.deepcopy(RAW)
    change(params)
    with pytest.raises(ConfigError) as err:
        parse_settings(params)
    message = str(err.value)
    assert "\n" not in message
    return message


# --- unknown or misspelt keys: named, with a suggestion ------------------------------------------
@pytest.mark.parametrize("change, words", [
    (lambda p: p["disclosure"].update(min_cel_count=10),
     "unknown setting disclosure.min_cel_count (did you mean disclosure.min_cell_count?)"),
    (lambda p: p["disclosure"].update(protection_intervall=5),
     "unknown setting disclosure.protection_intervall (did you mean disclosure.protection_interval?)"),
    (lambda p: p["register"].update(colour="blå"), "unknown setting register.colour (known: register.years,"),
    (lambda p: p["forbundsbilagor"].update(name=["Samordningsförbund 07"]),
     "unknown setting forbundsbilagor.name (did you mean forbundsbilagor.names?)"),
    (lambda p: p["forbundsbilagor"].update(poolsize=3),
     "unknown setting forbundsbilagor.poolsize (did you mean forbundsbilagor.pool_size?)"),
    (lambda p: p["forbundsbilagor"].update(byggd=True), "unknown setting forbundsbilagor.byggd"),
    (lambda p: p["report"].update(format=["html"]), "unknown setting report.format (did you mean report.formats?)"),
    (lambda p: p["bilaga4"]["groups"]["neet"].update(andel=50), "unknown setting bilaga4.groups.neet.andel"),
    (lambda p: p.update(enkät={"years": [2016]}), "unknown setting enkät (did you mean enkat?)"),
])
def test_an_unknown_key_in_any_section_is_named_with_a_suggestion(change, words):
    assert words in _error(change)


# --- strict types: text is never taken for a number -------------------------------------------
@pytest.mark.parametrize("change, words", [
    (lambda p: p["register"].update(population_scale="0.1"), "register.population_scale: input should be a valid number, got '0.1'"),
    (lambda p: p["disclosure"].update(min_cell_count="5"), "disclosure.min_cell_count must be a whole number of at least 3, got '5'"),
    (lambda p: p["disclosure"].update(protection_interval="5"), "protection_interval must be a whole number of at least 1, got '5'"),
    (lambda p: p["reconciliation"].update(rounding_slack="0.5"), "reconciliation.rounding_slack: input should be a valid number"),
    (lambda p: p["forbundsbilagor"].update(pool_size="2"), "forbundsbilagor.pool_size: input should be a valid integer"),
    (lambda p: p["register"].update(demo="true"), "register.demo: input should be a valid boolean"),
    (lambda p: p["register"].update(demo_seed=20.5), "register.demo_seed: input should be a valid integer"),
    (lambda p: p["bilaga4"].update(year="2016"), "bilaga4.year: input should be a valid integer"),
    (lambda p: p["bilaga4"]["groups"]["neet"].update(base="80000"), "bilaga4.groups.neet.base: input should be a valid number"),
    (lambda p: p["forbundsbilagor"].update(names="Samordningsförbund 07"), "forbundsbilagor.names: input should be a valid list"),
    (lambda p: p["forbundsbilagor"].update(formats=["pdf"]), "forbundsbilagor.formats must list html"),
])
def test_every_setting_is_typed_strictly(change, words):
    assert words in _error(change)


def test_a_whole_number_is_a_valid_float_setting():
    params = copy.deepcopy(RAW)
    params["register"]["population_scale"] = 1
    assert parse_settings(params).register_.population_scale == 1.0


# --- the protection interval covers the threshold unless overridden on purpose --------------------
def test_protection_interval_below_the_threshold_is_refused_without_the_override():
    assert "disclosure.protection_interval (2) is below disclosure.min_cell_count (5)" in _error(
        lambda p: p["disclosure"].update(min_cell_count=5, protection_interval=2))
    params = copy.deepcopy(RAW)
    params["disclosure"].update(min_cell_count=5, protection_interval=2, allow_protection_below_threshold=True)
    assert parse_settings(params).disclosure.protection == 2
    params["disclosure"] = {"min_cell_count": 7}
    assert parse_settings(params).disclosure.protection == 7  # default: the threshold


def test_the_stages_get_the_checked_disclosure_settings(tmp_project):
    from pipeline.stages import _disclosure, by_command

    params = copy.deepcopy(RAW)
    params["disclosure"] = {"min_cell_count": 6, "protection_interval": 9}
    (tmp_project.root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    from pipeline.core.config import Project

    ctx = stage_context(by_command("register_tables"), Project(tmp_project.root))
    assert (_disclosure(ctx).threshold, _disclosure(ctx).protection) == (6, 9)


def test_the_command_line_refuses_a_misspelt_disclosure_key_with_one_line(tmp_path, monkeypatch, capsys):
    from pipeline.cli import main

    params = copy.deepcopy(RAW)
    params["disclosure"]["min_cel_count"] = 10
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("FINSAM_ROOT", str(tmp_path))
    assert main(["status"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"finsam: error: {tmp_path / 'params.yaml'}: unknown setting disclosure.min_cel_count "
                   "(did you mean disclosure.min_cell_count?)"]


# --- one default per setting ------------------------------------------------------------------
def test_each_setting_has_its_one_default_in_the_model():
    defaults = Params.model_validate({"years": [2022]})
    assert defaults.register_.demo is False and defaults.disclosure.protection == 5
    assert defaults.forbundsbilagor.build is True and defaults.forbundsbilagor.formats == ["html"]
    # no stage, helper or notebook keeps a default of its own for a setting: they read the model
    for path in [*(REPO / "pipeline").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\.get\(\s*[\"'](demo|min_cell_count|population_scale|formats|pool_size)[\"']", text), path


# --- unknown förbund names ----------------------------------------------------------------------
def test_an_unknown_forbund_name_is_an_error_with_the_nearest_name():
    from pipeline.reports.forbund_figures import check_names

    known = ["Samordningsförbund 07", "Samordningsförbund 12"]
    assert check_names(["Samordningsförbund 12"], known, "x") == ["Samordningsförbund 12"]
    with pytest.raises(ConfigError, match="'Samordningsforbund 07' is not in the förbund figures .*did you mean "
                                          "'Samordningsförbund 07'"):
        check_names(["Samordningsforbund 07"], known, "named in params.yaml forbundsbilagor.names")


# --- a stage reads only the settings it declares ------------------------------------------------
def test_a_stage_reading_a_setting_it_did_not_declare_is_stopped():
    settings = parse_settings(RAW)
    part = SettingsSlice(settings, ("register.years", "disclosure"), "forbund")
    assert part.register.years == RAW["register"]["years"] and part.disclosure.min_cell_count == 5
    with pytest.raises(ConfigError, match="stage forbund reads the setting register.demo but does not declare it"):
        part.register.demo
    with pytest.raises(ConfigError, match="reads the setting report but does not declare it"):
        part.report
    assert part.as_dict()["register"] == {"years": RAW["register"]["years"]}


# --- the catalogue ------------------------------------------------------------------------------
_PATH = re.compile(r"^(?:\.\./)*(?:data|reports)/")


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def _path_literals(tree: ast.AST) -> list[str]:
    """String constants that are a path under data/ or reports/, and `/ "data"` style joins."""
    skip = _docstrings(tree)
    found = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and id(n) not in skip and _PATH.match(n.value)]
    found += [f"/ {side.value!r}" for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div)
              for side in (n.left, n.right) if isinstance(side, ast.Constant) and side.value in ("data", "reports")]
    return found


def test_no_path_under_data_or_reports_is_spelt_outside_the_catalogue():
    offenders = {}
    for path in sorted((REPO / "pipeline").rglob("*.py")):
        if path == REPO / "pipeline" / "core" / "catalogue.py":
            continue
        found = _path_literals(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            offenders[path.relative_to(REPO).as_posix()] = found
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        for cell in cells:
            code = "".join(cell["source"])
            code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
            found = _path_literals(ast.parse(code))
            if found or "Project" in code or "params.yaml" in code:
                offenders.setdefault(path.name, []).extend(found or ["discovers the project or reads params.yaml"])
    assert offenders == {}


def test_the_literal_scan_finds_what_it_looks_for():
    assert _path_literals(ast.parse('"""data/ in a docstring"""\nx = root / "data" / "raw"\ny = "reports/index.html"'))\
        == ["reports/index.html", "/ 'data'"]


def test_every_stage_names_only_catalogued_datasets_and_known_settings():
    fields = set(Params.model_fields) | {"register"}
    for stage in STAGES:
        for reference in (*stage.inputs, *stage.outputs):
            catalogue.ref(reference)  # raises on an unknown name
        for setting in stage.settings:
            assert setting.split(".")[0] in fields, (stage.name, setting)
    with pytest.raises(ConfigError, match="unknown dataset 'register_cleen' .*did you mean 'register_clean'"):
        catalogue.ref("register_cleen")


def test_references_resolve_to_paths(tmp_path):
    params = {"register": {"years": [2021, 2022]}, "bilaga4": {"year": 2016}}
    assert catalogue.resolve(("register_clean@2022", "register_clean", "bilaga4_report"),
                             tmp_path, params, "register.years", 2021) == {
        "register_clean": tmp_path / "data/processed/register/2021",  # the item's year
        "register_clean@2022": tmp_path / "data/processed/register/2022",
        "bilaga4_report": tmp_path / "reports/2016/bilaga4"}
    every = catalogue.resolve(("register_clean[*]",), tmp_path, params, None, None)
    assert every == {"register_clean": {2021: tmp_path / "data/processed/register/2021",
                                        2022: tmp_path / "data/processed/register/2022"}}
    with pytest.raises(ConfigError, match="declared twice"):
        catalogue.resolve(("register_clean[*]", "register_clean"), tmp_path, params, "register.years", 2021)
    with pytest.raises(ConfigError, match="needs a year"):
        catalogue.resolve(("register_clean",), tmp_path, params, None, None)


def test_a_stage_called_with_a_project_receives_its_declared_context(tmp_project):
    from pipeline.stages import by_command

    ctx = stage_context(by_command("register"), tmp_project, 2022)
    root = Path(tmp_project.root).resolve()
    assert ctx.year == 2022 and ctx.outputs == {"register_clean": root / "data/processed/register/2022"}
    assert set(ctx.inputs) == {"register_exports", "register_exports_spec", "geografi"}
    assert ctx.notebook == root / "notebooks" / "register_rensning.ipynb"
    with pytest.raises(PipelineError, match="year 2030 is not in the params.yaml register.years"):
        stage_context(by_command("register"), tmp_project, 2030)


@pytest.mark.parametrize("stage, year", [("bilaga3", 2016), ("index", None), ("enkat", 2016)])
def test_the_survey_folder_comes_from_the_stages_declared_input(tmp_project, stage, year):
    from pipeline.stages import by_command, data_source

    ctx = stage_context(by_command(stage), tmp_project, year)
    assert data_source(ctx, "bilaga3", 2016) == ("survey", True)  # the demo questionnaire says synthetic


def test_the_manual_demo_command_receives_its_folder(tmp_project):
    from pipeline.stages import stage_enkat_demo

    export = tmp_project.root / "data" / "raw" / "enkat" / "2016" / "export.csv"
    committed = export.read_bytes()
    export.unlink()
    assert stage_enkat_demo(tmp_project, 2016) == export and export.read_bytes() == committed
