"""The pipeline's stages. dvc.yaml calls each through the CLI (``finsam stage …``)."""

from __future__ import annotations

import logging
from pathlib import Path

import nbformat

from . import render
from .bilaga1 import RECONCILIATION_FILE
from .config import Project, validate_year
from .io import atomic_dir, write_csv_atomic, write_parquet_atomic
from .published import load_processed, load_published, save_processed
from .reconcile import reconcile
from .report_index import write_index

log = logging.getLogger(__name__)

BILAGA1_NOTEBOOK = "bilaga1.ipynb"


def stage_published(project: Project) -> Path:
    """Check the transcribed tables, write them as Parquet and reconcile derived figures."""
    data = load_published(project.published_raw)
    slack = float(project.params.get("reconciliation", {}).get("rounding_slack", 0.5))
    checks = reconcile(data, slack)
    with atomic_dir(project.published_processed) as tmp:
        save_processed(data, tmp)
        write_parquet_atomic(checks, tmp / RECONCILIATION_FILE)
        write_csv_atomic(checks, tmp / RECONCILIATION_FILE.replace(".parquet", ".csv"))
    log.info("published: %d checks, %d differ", len(checks), int((checks["status"] == "avviker").sum()))
    return project.published_processed


def stage_bilaga1(project: Project, year, formats: list[str] | None = None, out_root: Path | None = None,
                  use_quarto: bool | None = None) -> Path:
    """Execute notebooks/bilaga1.ipynb for ``year`` and render it into reports/<year>/bilaga1/."""
    data = load_processed(project.published_processed)
    year = validate_year(year, data.years, "published SUS tables (data/raw/published)")
    formats = formats or list(project.params.get("report", {}).get("formats", ["html", "pdf"]))
    final = (out_root or project.reports) / str(year) / "bilaga1"
    with atomic_dir(final) as tmp:
        executed = tmp / f"bilaga1_{year}.ipynb"
        render.execute_notebook(
            project.notebooks / BILAGA1_NOTEBOOK, executed,
            parameters={"year": year, "processed_dir": str(project.published_processed.resolve())},
            cwd=tmp,
        )
        nb = nbformat.read(executed, as_version=4)
        render.set_front_matter(nb, {"subtitle": f"Redovisningsår {year}"})
        nbformat.write(nb, executed)
        render.render_notebook(executed, formats, header_text=f"Bilaga 1 Tabeller – {year}", use_quarto=use_quarto)
    log.info("bilaga1 %s: %s", year, final)
    return final


def stage_index(project: Project, out_root: Path | None = None) -> Path:
    formats = list(project.params.get("report", {}).get("formats", ["html", "pdf"]))
    return write_index(out_root or project.reports, project.years, formats)

