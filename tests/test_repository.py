"""Repository hygiene that CI checks on every change."""

import json
import subprocess

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
