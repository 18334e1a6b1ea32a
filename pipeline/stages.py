"""The pipeline's stages. dvc.yaml calls each through the CLI (``finsam stage …``)."""

from __future__ import annotations

import logging
from pathlib import Path

import nbformat

from . import enkat, fmt, malgrupp, register_tables, render
from .bilaga1 import RECONCILIATION_FILE
from .config import PARAMS_FILE, Project, section_years, validate_year
from .errors import ConfigError
from .io import atomic_dir, write_csv_atomic, write_parquet_atomic
from .published import load_processed, load_published, save_processed
from .reconcile import reconcile
from .report_index import write_index

log = logging.getLogger(__name__)

BILAGA1_NOTEBOOK = "bilaga1.ipynb"
BILAGA4_NOTEBOOK = "bilaga4.ipynb"
BILAGA3_NOTEBOOK = "bilaga3.ipynb"
CLEANING_NOTEBOOK = "enkat_rensning.ipynb"
REGISTER_NOTEBOOK = "register_rensning.ipynb"
MODELS_NOTEBOOK = "modeller.ipynb"


def stage_published(project: Project) -> Path:
    """Check the transcribed tables, write them as Parquet and reconcile derived figures."""
    data = load_published(project.published_raw)
    slack = _slack(project)
    checks = reconcile(data, slack)
    with atomic_dir(project.published_processed) as tmp:
        save_processed(data, tmp)
        write_parquet_atomic(checks, tmp / RECONCILIATION_FILE)
        write_csv_atomic(checks, tmp / RECONCILIATION_FILE.replace(".parquet", ".csv"))
    log.info("published: %d checks, %d differ", len(checks), int((checks["status"] == "avviker").sum()))
    return project.published_processed


def _formats(project: Project, formats: list[str] | None) -> list[str]:
    return formats or list(project.params.get("report", {}).get("formats", ["html", "pdf"]))


def _render_report(project: Project, notebook: str, final: Path, stem: str, parameters: dict,
                   subtitle: str, header: str, formats: list[str], use_quarto: bool | None) -> Path:
    """Execute ``notebook`` with papermill into ``final`` (atomically) and render it there."""
    with atomic_dir(final) as tmp:
        executed = tmp / f"{stem}.ipynb"
        render.execute_notebook(project.notebooks / notebook, executed, parameters=parameters, cwd=tmp)
        nb = nbformat.read(executed, as_version=4)
        render.set_front_matter(nb, {"subtitle": subtitle})
        nbformat.write(nb, executed)
        render.render_notebook(executed, formats, header_text=header, use_quarto=use_quarto)
    return final


def _register_years(project: Project) -> list[int]:
    return section_years(project.params, "register")


def _register_year(project: Project, year) -> int:
    return validate_year(year, _register_years(project), "register years (params.yaml register.years)")


def _register_is_demo(project: Project) -> bool:
    """The register exports are the synthetic demo (every page built from them says so)."""
    return bool((project.params.get("register") or {}).get("demo", True))


def _threshold(project: Project) -> int:
    return int(project.params.get("disclosure", {}).get("min_cell_count", 5))


def _slack(project: Project) -> float:
    return float(project.params.get("reconciliation", {}).get("rounding_slack", 0.5))


def _run_cleaning(project: Project, notebook: str, final: Path, stem: str, parameters: dict) -> Path:
    """Execute a cleaning notebook that writes into ``out_dir``; ``final`` is replaced only on success."""
    with atomic_dir(final) as tmp:
        render.execute_notebook(project.notebooks / notebook, tmp / f"{stem}.ipynb",
                                parameters=parameters | {"out_dir": str(tmp.resolve())}, cwd=tmp)
    return final


def stage_register_demo(project: Project) -> Path:
    """Write the synthetic register exports (all years) into data/raw/register/<year>/."""
    from .register_demo import write_demo

    spec = project.params.get("register") or {}
    write_demo(project.raw, project.published_raw, seed=int(spec.get("demo_seed", 2022)),
               population_scale=float(spec.get("population_scale", 1.0)), years=_register_years(project))
    return project.raw / "register"


def stage_register(project: Project, year) -> Path:
    """Run notebooks/register_rensning.ipynb for one year into data/processed/register/<year>/."""
    year = _register_year(project, year)
    final = _run_cleaning(project, REGISTER_NOTEBOOK, project.processed / "register" / str(year), f"rensning_{year}",
                          {"year": year, "register_dir": str((project.raw / "register").resolve())})
    log.info("register %s: %s", year, final)
    return final


def stage_register_tables(project: Project) -> Path:
    """Tabell 1–6 from the cleaned microdata of every year, with disclosure control."""
    final = project.processed / "register" / "tabeller"
    tables = register_tables.build(_register_years(project), project.processed / "register", _threshold(project))
    with atomic_dir(final) as tmp:
        register_tables.save(tables, tmp)
    return final


def stage_models(project: Project, year) -> Path:
    """Descriptions and models for one year into data/processed/models/<year>/ (tidy Parquet)."""
    from . import models

    year = _register_year(project, year)
    tables = models.run_year(year, project.processed / "register", project.processed / "register" / "tabeller",
                             _threshold(project))
    final = project.processed / "models" / str(year)
    with atomic_dir(final) as tmp:
        models.save(tables, tmp)
    return final


def stage_modeller(project: Project, year, formats: list[str] | None = None, out_root: Path | None = None,
                   use_quarto: bool | None = None) -> Path:
    """Execute notebooks/modeller.ipynb for one year into reports/<year>/modeller/."""
    year = _register_year(project, year)
    synthetic = _register_is_demo(project)
    return _render_report(
        project, MODELS_NOTEBOOK, (out_root or project.reports) / str(year) / "modeller", f"modeller_{year}",
        {"year": year, "models_dir": str((project.processed / "models" / str(year)).resolve()),
         "synthetic": synthetic},
        f"Redovisningsår {year}", f"Modellbilaga – {year}" + (f" · {fmt.SYNTHETIC}" if synthetic else ""),
        _formats(project, formats), use_quarto,
    )


def stage_bilaga1(project: Project, year, formats: list[str] | None = None, out_root: Path | None = None,
                  use_quarto: bool | None = None, source: str | None = None) -> Path:
    """Execute notebooks/bilaga1.ipynb for ``year`` and render it into reports/<year>/bilaga1/."""
    data = load_processed(project.published_processed)
    year = validate_year(year, data.years, "published SUS tables (data/raw/published)")
    source = source or str(project.params.get("report", {}).get("source", "published"))
    if source not in ("published", "microdata"):
        raise ConfigError(f"params.yaml: report.source must be 'published' or 'microdata', got {source!r}")
    register_dir = project.processed / "register" / "tabeller"
    synthetic = source == "microdata" and _register_is_demo(project)
    final = _render_report(
        project, BILAGA1_NOTEBOOK, (out_root or project.reports) / str(year) / "bilaga1", f"bilaga1_{year}",
        {"year": year, "processed_dir": str(project.published_processed.resolve()),
         "register_dir": str(register_dir.resolve()) if source == "microdata" else None, "synthetic": synthetic},
        f"Redovisningsår {year}" + (" – från mikrodata" if source == "microdata" else ""),
        f"Bilaga 1 Tabeller – {year}" + (f" · {fmt.SYNTHETIC}" if synthetic else ""),
        _formats(project, formats), use_quarto,
    )
    log.info("bilaga1 %s: %s", year, final)
    return final


def stage_malgrupp(project: Project) -> Path:
    """Check the Bilaga 4 transcriptions and params.yaml's assumptions; write the calculation."""
    published = malgrupp.load_published(project.published_raw)
    assumptions = malgrupp.parse_assumptions(project.params, str(project.root / PARAMS_FILE))
    slack = _slack(project)
    with atomic_dir(project.bilaga4_processed) as tmp:
        malgrupp.save_results(published, assumptions, tmp, slack)
    log.info("malgrupp: total %d", malgrupp.total(assumptions))
    return project.bilaga4_processed


def stage_bilaga4(project: Project, formats: list[str] | None = None, out_root: Path | None = None,
                  use_quarto: bool | None = None) -> Path:
    """Execute notebooks/bilaga4.ipynb and render it into reports/<bilaga4.year>/bilaga4/."""
    assumptions = malgrupp.parse_assumptions(project.params, str(project.root / PARAMS_FILE))
    year = assumptions.year
    final = _render_report(
        project, BILAGA4_NOTEBOOK, (out_root or project.reports) / str(year) / "bilaga4", f"bilaga4_{year}",
        {"processed_dir": str(project.bilaga4_processed.resolve())},
        f"{assumptions.area}, {year}", f"Bilaga 4 Målgruppens storlek – {year}", _formats(project, formats),
        use_quarto,
    )
    log.info("bilaga4 %s: %s", year, final)
    return final


def _survey_year(project: Project, year) -> int:
    year = validate_year(year, section_years(project.params, "enkat"), "enkät years (params.yaml enkat.years)")
    if not (enkat.survey_folder(project.raw, year) / enkat.QUESTIONS_FILE).is_file():
        raise ConfigError(f"{enkat.survey_folder(project.raw, year)}: no {enkat.QUESTIONS_FILE} for the {year} survey")
    return year


def stage_enkat(project: Project, year) -> Path:
    """Run notebooks/enkat_rensning.ipynb for one survey year into data/processed/enkat/<year>/."""
    year = _survey_year(project, year)
    final = _run_cleaning(project, CLEANING_NOTEBOOK, project.processed / "enkat" / str(year), f"rensning_{year}",
                          {"year": year, "survey_dir": str(enkat.survey_folder(project.raw, year).resolve())})
    log.info("enkat %s: %s", year, final)
    return final


def stage_bilaga3(project: Project, year, formats: list[str] | None = None, out_root: Path | None = None,
                  use_quarto: bool | None = None) -> Path:
    """Execute notebooks/bilaga3.ipynb for one survey year into reports/<year>/bilaga3/."""
    year = _survey_year(project, year)
    survey = enkat.load_survey(enkat.survey_folder(project.raw, year))
    header = f"Bilaga 3 Enkätresultat – {year}" + (f" · {fmt.SYNTHETIC}" if survey.synthetic else "")
    final = _render_report(
        project, BILAGA3_NOTEBOOK, (out_root or project.reports) / str(year) / "bilaga3", f"bilaga3_{year}",
        {"survey_dir": str(enkat.survey_folder(project.raw, year).resolve()),
         "processed_dir": str((project.processed / "enkat" / str(year)).resolve())},
        f"{survey.title}, {year}" + (" (syntetiska demodata)" if survey.synthetic else ""), header,
        _formats(project, formats), use_quarto,
    )
    log.info("bilaga3 %s: %s", year, final)
    return final


def appendix_years(project: Project) -> dict[str, list[int]]:
    """The years each appendix is built for (the index lists exactly these)."""
    return {"bilaga1": project.years,
            "modeller": _register_years(project),
            "bilaga3": section_years(project.params, "enkat"),
            "bilaga4": [malgrupp.parse_assumptions(project.params, str(project.root / PARAMS_FILE)).year]}


def stage_index(project: Project, out_root: Path | None = None) -> Path:
    return write_index(out_root or project.reports, appendix_years(project), _formats(project, None))

