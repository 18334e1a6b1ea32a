"""The stage list, its dependencies, and the build through DVC's record (dvc.lock)."""

from __future__ import annotations

import ast
import inspect
import modulefinder
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import cli, engine
from pipeline.core.config import load_params
from pipeline.stages import STAGES

from .conftest import REPO, copy_project

PARAMS = load_params(REPO / "params.yaml")
LAYERS = {"core": 0, "sources": 1, "derive": 2, "reports": 3}


def test_dvc_yaml_is_written_from_the_stage_list():
    assert not engine.sync(REPO, PARAMS, check=True), "dvc.yaml is stale: run `finsam sync` and commit it"


def test_readme_stage_table_follows_the_stage_list():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert engine.readme_table() in readme, "README's stage table is stale: run `finsam sync`"


def test_jobs_expand_every_year_in_pipeline_order():
    names = [j.name for j in engine.jobs(REPO, PARAMS)]
    register = PARAMS["register"]["years"]
    assert names == (["published", "register_demo"] + [f"register@{y}" for y in register] + ["register_tables", "forbund"]
                     + [f"models@{y}" for y in register] + [f"modeller@{y}" for y in register]
                     + [f"bilaga1@{y}" for y in PARAMS["years"]]
                     + (["forbundsbilagor"] if PARAMS["forbundsbilagor"]["build"] else []) + ["enkat@2016", "bilaga3@2016"]
                     + ["malgrupp", "bilaga4", "indikator_demo"] + [f"indikator@{y}" for y in PARAMS["indikator"]["years"]]
                     + ["indikator_tabeller"] + [f"indikatorrapport@{y}" for y in PARAMS["indikator"]["years"]]
                     + (["indikatorbilagor"] if PARAMS["indikator"]["bilagor"]["build"] else []) + ["index"])
    jobs = {j.name: j for j in engine.jobs(REPO, PARAMS)}
    assert jobs["bilaga1@2022"].argv == ["run", "bilaga1", "--year", "2022"]
    assert jobs["bilaga4"].outs == (f"reports/{PARAMS['bilaga4']['year']}/bilaga4",)
    # every stage comes after the stages whose outputs it reads
    order = list(jobs)
    for job in jobs.values():
        assert all(order.index(up.name) < order.index(job.name) for up in engine.upstream(job, list(jobs.values())))


DISPATCH = ("pipeline.cli", "pipeline.stages", "pipeline.engine")


def _top_imports(module: str) -> list[str]:
    tree = ast.parse(inspect.getsource(sys.modules[module]))
    return [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]


def _finder_closure(stage) -> dict[str, str]:
    """Project modules found by the standard library's modulefinder (a bytecode scan with its own
    resolution) for: the module-level imports of the CLI and the stage list, the source of the
    stage's function and of the helpers it calls, and the notebook's code cells. The dispatch
    modules themselves are excluded, as only the stage's own function of them runs."""
    module_source = inspect.getsource(sys.modules[stage.run.__module__])
    helpers = {n.name: n for n in ast.parse(module_source).body if isinstance(n, ast.FunctionDef)}
    todo, sources = [stage.run.__name__], []
    while todo:
        node = helpers.pop(todo.pop(), None)
        if node is None:
            continue
        sources.append(ast.get_source_segment(module_source, node))
        todo += [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in helpers]
    script = [s for s in _top_imports("pipeline.cli") + _top_imports("pipeline.stages") if "__future__" not in s]
    script += sources
    script = [s.replace("from ..", "from pipeline.").replace("from . import", "from pipeline import")
              .replace("from .", "from pipeline.") for s in script]
    if stage.notebook:
        import nbformat

        nb = nbformat.read(REPO / "notebooks" / stage.notebook, as_version=4)
        script += [c.source for c in nb.cells if c.cell_type == "code"]
    path = REPO / ".pytest_cache" / f"closure_{stage.name}.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n\n".join(script))
    finder = modulefinder.ModuleFinder(path=[str(REPO)] + sys.path, excludes=list(DISPATCH) + [
        "pandas", "numpy", "matplotlib", "seaborn", "statsmodels", "scipy", "pyarrow", "nbformat", "papermill",
        "nbconvert", "yaml", "IPython", "pypandoc", "typst", "dvc"])
    finder.run_script(str(path))
    return {name: mod.__file__ for name, mod in finder.modules.items()
            if (name == "pipeline" or name.startswith("pipeline.")) and getattr(mod, "__file__", None)}


@pytest.mark.parametrize("stage", STAGES, ids=[s.name for s in STAGES])
def test_every_imported_module_is_a_dependency(stage):
    deps = set(engine.code_deps(stage, REPO))
    found = _finder_closure(stage)
    files = {Path(finder_file).resolve().relative_to(REPO).as_posix() for finder_file in found.values()}
    files |= {f"pipeline/{m.split('.')[1]}.py" for m in DISPATCH[:2]}  # excluded above, always run
    assert len(files) > 3
    assert files - deps == set(), f"{stage.name}: imported but not in dvc.yaml deps"
    if stage.notebook:
        assert f"notebooks/{stage.notebook}" in deps


def test_layers_import_only_downward():
    offenders = []
    for path in sorted((REPO / "pipeline").rglob("*.py")):
        parts = path.relative_to(REPO / "pipeline").parts
        if len(parts) < 2 or parts[0] not in LAYERS | {"demo": None}:
            continue
        module = "pipeline." + ".".join(p.removesuffix(".py") for p in parts)
        for dep in engine.closure({module}) - {module}:
            layer = dep.split(".")[1] if dep.count(".") >= 1 else ""
            if parts[0] == "demo":
                if layer in ("derive", "reports"):
                    offenders.append(f"{module} → {dep} (the demo shares no estimator code)")
            elif layer in LAYERS and LAYERS[layer] > LAYERS[parts[0]]:
                offenders.append(f"{module} → {dep}")
            elif layer in ("demo", "stages", "engine", "cli"):
                offenders.append(f"{module} → {dep}")
    assert offenders == []


def test_no_two_modules_import_each_other():
    """No import circle, not even through an import inside a function (e.g. the kernel pool and its
    papermill engine: the engine module is told the default pool instead of importing it)."""
    modules = ["pipeline." + ".".join(p.relative_to(REPO / "pipeline").with_suffix("").parts)
               for p in sorted((REPO / "pipeline").rglob("*.py")) if p.name != "__init__.py"]
    closures = {m: engine.closure({m}) for m in modules}
    assert "pipeline.reports._papermill_engine" in closures["pipeline.reports.kernels"]
    circles = [(a, b) for a in modules for b in modules if a < b and b in closures[a] and a in closures[b]]
    assert circles == []


def test_help_lists_stages_in_pipeline_order_with_examples(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    positions = [text.index(f"  {s.command}  ") for s in STAGES]
    assert positions == sorted(positions)
    for stage in STAGES:
        assert f"e.g. {stage.example}" in text


# --- DVC: one record for finsam build, finsam stage and dvc repro ------------------------------

@pytest.fixture
def dvc_project(tmp_path):
    """A copy with the package itself, so code deps can change without touching the checkout."""
    project = copy_project(tmp_path)
    shutil.copytree(REPO / "pipeline", tmp_path / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "README.md").write_text("copy\n")
    return project


def _dvc(root: Path, *args: str) -> str:
    exe = Path(sys.executable).parent / "dvc"
    proc = subprocess.run([str(exe), *args], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _index_inputs(project) -> None:
    """The index shows headline figures from the processed data of every report; the stages not
    run in these tests leave their folders empty, as a build that has not reached them yet would."""
    for folder in ["published", "bilaga4", "enkat/2016", "forbund", "indikator/tabeller"] + [f"models/{y}" for y in project.params["register"]["years"]]:
        (project.root / "data" / "processed" / folder).mkdir(parents=True, exist_ok=True)


def test_build_runs_records_and_reruns_exactly_the_dependents(dvc_project):
    root = dvc_project.root
    _index_inputs(dvc_project)
    lines: list[str] = []
    first = engine.build_pipeline(root, dvc_project.params, only=["malgrupp", "index"], echo=lines.append)
    assert [s for _, s, _ in first] == ["ran", "ran"]
    assert lines[0] == "[0/2] malgrupp …"  # the counter counts finished stages
    assert any(line.startswith("[1/2] malgrupp … ") and line.endswith(" s") and "," in line for line in lines)
    assert lines[-1].startswith("[2/2] index … ")
    assert (root / "dvc.lock").is_file() and (root / ".finsam" / "build.log").is_file()
    # DVC's own command reads the same record: nothing to do
    assert "up to date" in _dvc(root, "status", "malgrupp", "index")
    assert [s for _, s, _ in engine.build_pipeline(root, dvc_project.params, only=["malgrupp", "index"])] == ["up to date"] * 2

    # a helper only the index imports: only the index reruns
    with open(root / "pipeline" / "reports" / "report_index.py", "a") as f:
        f.write("\n# changed\n")
    plan = dict((n, s) for n, s, _ in engine.build_pipeline(root, dvc_project.params, only=["malgrupp", "index"],
                                                            dry_run=True, echo=lambda _: None))
    assert plan == {"malgrupp": "up to date", "index": "would run"}
    # a module only the calculation imports (the index reads bilaga4.year from the typed settings):
    # the index's own code dependencies do not include it
    with open(root / "pipeline" / "derive" / "malgrupp.py", "a") as f:
        f.write("\n# changed\n")
    reasons = dict(engine.status(root, dvc_project.params))
    assert any("pipeline/derive/malgrupp.py" in r for r in reasons["malgrupp"])
    assert reasons["index"] and not any("malgrupp.py" in r for r in reasons["index"])
    # a module both import: both rerun
    with open(root / "pipeline" / "core" / "catalogue.py", "a") as f:
        f.write("\n# changed\n")
    reasons = dict(engine.status(root, dvc_project.params))
    assert any("pipeline/core/catalogue.py" in r for r in reasons["malgrupp"])
    assert any("pipeline/core/catalogue.py" in r for r in reasons["index"])
    assert not any("malgrupp.py" in r for r in reasons["bilaga3@2016"])


def test_a_stage_run_by_hand_is_recorded(dvc_project, monkeypatch, capsys):
    root = dvc_project.root
    monkeypatch.chdir(root)
    monkeypatch.setenv("FINSAM_ROOT", str(root))
    _index_inputs(dvc_project)
    engine.sync(root, dvc_project.params)
    engine.open_repo(root)
    assert cli.main(["stage", "index"]) == 0
    repo = engine.open_repo(root)
    assert engine.changes(repo, ["index"]) == {"index": []}  # its own record is current
    # (status still lists it after its never-built inputs, which will be rebuilt before it)
    assert dict(engine.status(root, dvc_project.params))["index"][0].startswith("after published")
    assert "up to date" in _dvc(root, "status", "index")  # DVC itself agrees


def test_a_failing_stage_stops_the_build_with_its_message(dvc_project):
    root = dvc_project.root
    params = (root / "params.yaml").read_text(encoding="utf-8").replace("share_pct: 20 ", "share_pct: 120 ")
    (root / "params.yaml").write_text(params, encoding="utf-8")
    lines: list[str] = []
    with pytest.raises(engine.PipelineError, match=r"sjukskrivna.share_pct must be between 0 and 100") as err:
        engine.build_pipeline(root, load_params(root / "params.yaml"), only=["malgrupp", "bilaga4"], echo=lines.append)
    assert "build.log" in str(err.value)
    assert lines == ["[0/2] malgrupp …", "[1/2] malgrupp failed"]  # bilaga4 never started
    assert not (root / "data" / "processed" / "bilaga4").exists()


def test_rendering_templates_are_dependencies_of_every_report():
    for stage in STAGES:
        deps = engine.code_deps(stage, REPO)
        renders = "pipeline/reports/render.py" in deps
        assert ("pipeline/reports/templates" in deps) == renders, stage.name
    assert "pipeline/reports/templates" in engine.code_deps(next(s for s in STAGES if s.name == "bilaga1"), REPO)


def test_the_data_stage_does_not_depend_on_report_code():
    published = engine.code_deps(next(s for s in STAGES if s.name == "published"), REPO)
    assert not [d for d in published if d.startswith("pipeline/reports/")]


def test_real_register_exports_are_never_overwritten_by_the_demo(tmp_project):
    from pipeline.core.errors import ConfigError
    from pipeline.stages import stage_register_demo

    real = tmp_project.raw / "register" / "2022"
    shutil.rmtree(real, ignore_errors=True)  # (a checkout that has built the demo copies it too)
    real.mkdir(parents=True)
    (real / "deltagare.csv").write_text("personnummer;kon\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not the synthetic demo"):
        stage_register_demo(tmp_project)
    assert (real / "deltagare.csv").read_text(encoding="utf-8") == "personnummer;kon\n"
    params = dict(PARAMS, register=dict(PARAMS["register"], demo=False))
    assert "register_demo" not in [j.name for j in engine.jobs(REPO, params)]
    assert "register_demo" not in engine.dvc_yaml(REPO, params)


def test_inputs_edited_while_a_stage_runs_are_not_recorded(dvc_project, monkeypatch):
    root = dvc_project.root

    class EditedWhileRunning(subprocess.Popen):  # someone saves params.yaml while the stage runs
        def wait(self, timeout=None):
            code = super().wait(timeout)
            with open(root / "params.yaml", "a", encoding="utf-8") as f:
                f.write("\n# edited during the run\n")
            return code

    monkeypatch.setattr(engine.subprocess, "Popen", EditedWhileRunning)
    lines: list[str] = []
    with pytest.raises(engine.PipelineError, match="inputs changed while it ran"):
        engine.build_pipeline(root, dvc_project.params, only=["index"], echo=lines.append)
    assert lines[-1] == "[1/1] index not recorded: inputs changed while it ran"
    assert "index" not in engine.lock_summary(root).get("stages", {})


def test_status_explains_params_and_downstream(dvc_project):
    root = dvc_project.root
    engine.build_pipeline(root, dvc_project.params, only=["malgrupp", "bilaga4"], echo=lambda _: None)
    text = (root / "params.yaml").read_text(encoding="utf-8").replace("share_pct: 25 ", "share_pct: 30 ")
    (root / "params.yaml").write_text(text, encoding="utf-8")
    reasons = dict(engine.status(root, load_params(root / "params.yaml")))
    assert reasons["malgrupp"] == ["param bilaga4 modified"]
    assert "param bilaga4 modified" in reasons["bilaga4"]


def test_status_in_a_fresh_clone_says_not_built_yet(dvc_project, monkeypatch, capsys):
    """A fresh clone has the committed dvc.lock (DVC's convention) but none of the outputs: every
    stage is 'not built yet', not a list of modified dependencies."""
    root = dvc_project.root
    shutil.copy2(REPO / "dvc.lock", root / "dvc.lock")
    with open(root / "pipeline" / "core" / "fmt.py", "a") as f:  # the record is of older code, too
        f.write("\n# changed\n")
    assert all(why == [engine.NOT_BUILT] for _, why in engine.status(root, dvc_project.params))
    monkeypatch.setenv("FINSAM_ROOT", str(root))
    assert cli.main(["status"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "nothing is built yet: `finsam build` builds every stage"
    # once a stage has outputs again, its record speaks
    engine.build_pipeline(root, dvc_project.params, only=["malgrupp"], echo=lambda _: None)
    log = (root / ".finsam" / "build.log").read_text(encoding="utf-8")  # the build's log says the same
    assert "--- malgrupp: out of date: not built yet\n" in log and "modified" not in log
    reasons = dict(engine.status(root, dvc_project.params))
    assert reasons["malgrupp"] == [] and reasons["bilaga4"] == [engine.NOT_BUILT]


def test_a_dry_run_says_what_it_would_do_and_names_no_log(monkeypatch, capsys):
    monkeypatch.setattr(engine, "sync", lambda root, params, check=False: False)
    monkeypatch.setattr(engine, "open_repo", lambda root: None)
    monkeypatch.setattr(engine, "changes", lambda repo, names: {n: (["changed"] if n == "malgrupp" else []) for n in names})
    monkeypatch.setattr(engine, "run_job", lambda *a: pytest.fail("a dry run ran a stage"))
    monkeypatch.setattr(engine, "_unbuilt", lambda job, root, why: why)  # built or not, the reason given above
    monkeypatch.setenv("FINSAM_ROOT", str(REPO))
    assert cli.main(["build", "--dry-run", "--only", "malgrupp", "bilaga4", "index"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].endswith("malgrupp would run: changed")
    assert out[-1] == "dry run: 3 of 3 stages would run; nothing was run or written"
    assert "log" not in out[-1]


@pytest.mark.slow
def test_a_narrower_formats_keeps_the_other_formats(built_bilaga4, published_project):
    from pipeline.stages import stage_bilaga4

    pdf = built_bilaga4 / f"{built_bilaga4.name}_{built_bilaga4.parent.name}.pdf"
    assert pdf.is_file()
    before = pdf.read_bytes()
    folder = stage_bilaga4(published_project, ["html"], use_quarto=False)
    assert folder == built_bilaga4 and pdf.is_file() and pdf.read_bytes() == before
    assert (folder / pdf.name.replace(".pdf", ".html")).is_file()


def test_steps_of_unequal_size_count_finished_work_and_the_time_left(monkeypatch, capsys):
    from pipeline.core import progress

    monkeypatch.setenv(progress.ENV, "1")
    with progress.counting(10, "steg") as counter:
        counter.step(2)
        counter.step()
        counter.step(7)
    steps = [progress.parse_progress_line(line) for line in capsys.readouterr().err.splitlines()]
    assert [s[:2] for s in steps] == [(2, 10), (3, 10), (10, 10)] and steps[-1][2] == 0.0
    assert all(s[3] == "steg" for s in steps)
    progress.SILENT.step(3)  # outside a stage: nothing shown
    assert capsys.readouterr().err == ""


def test_a_long_stage_reports_finished_items_and_the_build_shows_them(monkeypatch, capsys):
    import io

    from pipeline.core import progress

    monkeypatch.setenv(progress.ENV, "1")
    assert list(progress.track(iter("abc"), 3, "rapporter")) == ["a", "b", "c"]
    lines = capsys.readouterr().err.splitlines()
    assert [progress.parse_progress_line(line)[:2] for line in lines] == [(1, 3), (2, 3), (3, 3)]
    assert all(progress.parse_progress_line(line)[3] == "rapporter" for line in lines)
    # the engine: progress lines to the console (throttled, the last always), the rest to the log
    job = engine.jobs(REPO, PARAMS)[0]
    shown: list[tuple] = []
    monkeypatch.setattr(engine, "_progress", lambda j, *step: shown.append((j.name, *step)))
    kept: list[str] = []
    stream = io.StringIO("warning: x\n" + "".join(f"{progress.PREFIX} {i} 4 {4 - i} rapporter\n" for i in (1, 2, 3, 4)))
    engine._stderr_lines(stream, job, kept)
    assert kept == ["warning: x\n"]
    assert shown == [(job.name, 1, 4, 3.0, "rapporter"), (job.name, 4, 4, 0.0, "rapporter")]
