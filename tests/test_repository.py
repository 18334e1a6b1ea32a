"""Repository hygiene that CI checks on every change."""

import ast
import json
import re
import subprocess
from collections import defaultdict

from .conftest import REPO


def test_top_level_layout():
    for name in ("notebooks", "pipeline", "data/raw", "data/processed", "reports", "tests",
                 "environment.yml", "dvc.yaml", "README.md", "pyproject.toml", "params.yaml", ".ci/run", "Makefile"):
        assert (REPO / name).exists(), name


def test_committed_notebooks_have_no_outputs():
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True, text=True).stdout.split()
    notebooks = tracked or [str(p.relative_to(REPO)) for p in (REPO / "notebooks").glob("*.ipynb")]
    assert notebooks
    for name in notebooks:
        nb = json.loads((REPO / name).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            assert not cell.get("outputs"), f"{name} has outputs"
            assert cell.get("execution_count") is None, f"{name} has execution counts"


def test_every_report_notebook_has_parameters_and_front_matter():
    for path in (REPO / "notebooks").glob("bilaga*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        first = nb["cells"][0]
        assert first["cell_type"] == "raw" and "".join(first["source"]).startswith("---"), path.name
        assert "lang: sv" in "".join(first["source"])
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb["cells"]), path.name


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make build" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


# Functions two modules define on purpose under one name: the register demo groups people with its own
# code, apart from the models', and tests/demo/test_demo_independence.py compares the two by name.
MIRRORED = {name: ["pipeline/demo/register_demo.py", "pipeline/derive/models.py"]
            for name in ("age_group", "design_columns", "time_group")}


def shared_function_names(sources: dict[str, str]) -> dict[str, list[str]]:
    """Public top-level function names (module → source) defined in more than one module."""
    where = defaultdict(list)
    for module, source in sources.items():
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                where[node.name].append(module)
    return {name: sorted(modules) for name, modules in where.items() if len(modules) > 1}


def _pipeline_sources() -> dict[str, str]:
    return {p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted((REPO / "pipeline").rglob("*.py"))}


def test_no_two_pipeline_modules_define_a_function_of_the_same_name():
    """A name says what the function does (``build_register_tables``, not ``build``): no two modules
    of pipeline/ define the same public top-level function, except the demo's deliberate mirrors."""
    assert shared_function_names(_pipeline_sources()) == MIRRORED


def test_a_function_name_defined_twice_is_found():
    # negative control: the check sees a second module defining a name (and only top-level public functions)
    sources = _pipeline_sources() | {"pipeline/derive/extra.py": "def build_pipeline(root):\n    return root\n"}
    assert shared_function_names(sources)["build_pipeline"] == ["pipeline/derive/extra.py", "pipeline/engine.py"]
    assert shared_function_names({"a.py": "def load(p):\n    pass\n\n\ndef _read(p):\n    pass\n",
                                  "b.py": "def _read(p):\n    pass\n\n\nclass Store:\n    def load(self):\n        pass\n",
                                  "c.py": "async def load(p):\n    pass\n"}) == {"load": ["a.py", "c.py"]}


def module_table(doc: str) -> dict[str, list[str]]:
    """The table of docs/architecture.md's "Modules" section: module → the test folders its row names."""
    section = doc.split("\n## Modules\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`pipeline/") and cells[1]:
            rows[cells[0].strip("`")] = re.findall(r"`(tests/[^`]*)`", cells[2])
    return rows


def undocumented(doc: str, modules: list[str]) -> tuple[list[str], list[str]]:
    """(modules missing from the table, rows naming a module that does not exist)."""
    rows = module_table(doc)
    return sorted(set(modules) - set(rows)), sorted(set(rows) - set(modules))


def _modules() -> list[str]:
    return sorted(p.relative_to(REPO).as_posix() for p in (REPO / "pipeline").rglob("*.py") if p.name != "__init__.py")


def _architecture() -> str:
    return (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_the_architecture_names_every_module_and_the_tests_that_cover_it():
    assert undocumented(_architecture(), _modules()) == ([], [])
    for module, folders in module_table(_architecture()).items():
        assert folders and all((REPO / f).is_dir() for f in folders), (module, folders)


def test_a_module_missing_from_the_architecture_is_found():
    # negative control: a row taken out, a new module, a module gone
    doc = _architecture()
    without = "\n".join(line for line in doc.splitlines() if not line.startswith("| `pipeline/core/fmt.py`"))
    assert undocumented(without, _modules()) == (["pipeline/core/fmt.py"], [])
    assert undocumented(doc, [*_modules(), "pipeline/derive/new.py"]) == (["pipeline/derive/new.py"], [])
    assert undocumented(doc, [m for m in _modules() if m != "pipeline/cli.py"]) == ([], ["pipeline/cli.py"])
