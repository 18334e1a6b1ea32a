"""The pipeline's stages, declared once.

``STAGES`` below is the single list of stages, in pipeline order. Everything else follows from
it: ``dvc.yaml`` (written by ``finsam sync``, checked by a test), the CLI's ``finsam stage …``
commands and ``--help``, the README's stage table, and each stage's code dependencies, which
:mod:`pipeline.engine` computes as the import closure of the stage's function and notebook.

Each stage function imports what it needs inside its body, so a stage's closure holds only the
modules it really runs; module-level imports here stay in the core layer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .core.config import PARAMS_FILE, Project, section_years, validate_year
from .core.errors import ConfigError, PipelineError
from .core.io import atomic_dir
from .core.vocabulary import STANDARD_YEAR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Option:
    """An extra command-line option of a stage (``finsam stage NAME --flag VALUE``)."""

    flag: str
    help: str
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Stage:
    """One stage: what runs, what it reads and what it writes.

    ``foreach`` names the params.yaml list the stage is repeated over (``name@item`` in DVC);
    ``deps``, ``outs`` may use ``${item}``, ``${key.sub}`` (a params.yaml value) and ``${key[*]}`` (one path per element of a params.yaml list). Code dependencies are not
    listed here: the engine adds every project module the stage imports.
    """

    name: str
    run: Callable[..., Path]
    summary: str
    example: str
    foreach: str | None = None
    notebook: str | None = None
    deps: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()
    options: tuple[Option, ...] = field(default=())
    when: str | None = None  # a params.yaml key: the stage is part of the build only while it is true

    @property
    def command(self) -> str:
        """The CLI name: ``register_demo`` → ``register-demo``."""
        return self.name.replace("_", "-")


FORBUND = Option("--forbund", "only these förbund, comma-separated (default: params.yaml forbundsbilagor.names, "
                             "or every förbund)")
FORMATS = Option("--formats", "comma-separated output formats among html, pdf (PDF/UA-1) and docx "
                             "(default: params.yaml report.formats)")


# --- helpers shared by the stages -------------------------------------------------------------

def _formats(project: Project, formats: list[str] | None) -> list[str]:
    return formats or list(project.params.get("report", {}).get("formats", ["html", "pdf"]))


def _render_report(project: Project, family: str, year: int, inputs: dict[str, Path | None], source: str,
                   synthetic: bool, subtitle: str, formats: list[str], use_quarto: bool | None,
                   out_root: Path | None) -> Path:
    """Execute the family's notebook with the contract's parameters (pipeline/reports/contract.py)
    into reports/<year>/<family>/ (atomically) and render it there."""
    import nbformat

    from .reports import contract, render

    final = (out_root or project.reports) / str(year) / family
    with atomic_dir(final) as tmp:
        executed = tmp / f"{family}_{year}.ipynb"
        render.execute_notebook(project.notebooks / NOTEBOOKS[family], executed, cwd=tmp,
                                parameters=contract.parameters(year, inputs, source, synthetic))
        nb = nbformat.read(executed, as_version=4)
        render.set_front_matter(nb, {"subtitle": subtitle})
        nbformat.write(nb, executed)
        render.render_notebook(executed, formats, header_text=contract.header(family, year, synthetic),
                               use_quarto=use_quarto, root=project.root, params=project.params)
    log.info("%s %s: %s", family, year, final)
    return final


def _run_cleaning(project: Project, notebook: str, final: Path, stem: str, parameters: dict) -> Path:
    """Execute a cleaning notebook that writes into ``out_dir``; ``final`` is replaced only on success."""
    from .reports import render

    with atomic_dir(final) as tmp:
        render.execute_notebook(project.notebooks / notebook, tmp / f"{stem}.ipynb",
                                parameters=parameters | {"out_dir": str(tmp.resolve())}, cwd=tmp)
    return final


def _register_years(project: Project) -> list[int]:
    return section_years(project.params, "register")


def _register_year(project: Project, year) -> int:
    return validate_year(year, _register_years(project), "register years (params.yaml register.years)")


def _register_is_demo(project: Project) -> bool:
    return bool((project.params.get("register") or {}).get("demo", True))


def data_source(project: Project, family: str, year: int, source: str | None = None) -> tuple[str, bool]:
    """(source, synthetic) of one report: where its numbers come from, and whether they are the
    synthetic demo. Decided here and nowhere else: the report, its banner, header, colophon and
    the index's line all receive this answer.

    Published aggregates are never synthetic; register microdata are synthetic while
    params.yaml says ``register.demo``; a survey is synthetic when its questionnaire
    (fragor.yaml) says ``synthetic: true``.
    """
    if family in ("indikatorrapport", "indikatorbilaga"):  # the indicator surveys: synthetic while the demo is on
        return "survey", _indikator(project)["demo"]
    if source is None:
        source = {"bilaga1": str(project.params.get("report", {}).get("source", "published")),
                  "modeller": "microdata", "bilaga3": "survey", "bilaga4": "published",
                  "forbundsbilaga": "microdata", "jamforelse": "microdata"}[family]
    if source == "published":
        return source, False
    if source == "microdata":
        return source, _register_is_demo(project)
    if source == "survey":
        from .sources import enkat

        return source, enkat.load_survey(enkat.survey_folder(project.raw, year)).synthetic
    raise ConfigError(f"params.yaml: report.source must be 'published' or 'microdata', got {source!r}")


def _disclosure(project: Project):
    from .derive.disclosure import settings

    return settings(project.params, str(project.root / PARAMS_FILE))


def _area(project: Project) -> list[str] | None:
    """``register.area``: build the register tables and models for these förbund only (None: riket)."""
    return (project.params.get("register") or {}).get("area") or None


def _slack(project: Project) -> float:
    return float(project.params.get("reconciliation", {}).get("rounding_slack", 0.5))


# --- the stage functions ----------------------------------------------------------------------

def stage_published(project: Project) -> Path:
    """Check the transcribed tables, write them as Parquet and reconcile derived figures."""
    from .core.io import write_csv_atomic, write_parquet_atomic
    from .derive.reconcile import RECONCILIATION_FILE, reconcile
    from .sources.published import load_published, save_processed

    data = load_published(project.published_raw)
    checks = reconcile(data, _slack(project))
    with atomic_dir(project.published_processed) as tmp:
        save_processed(data, tmp)
        write_parquet_atomic(checks, tmp / RECONCILIATION_FILE)
        write_csv_atomic(checks, tmp / RECONCILIATION_FILE.replace(".parquet", ".csv"))
    log.info("published: %d checks, %d differ", len(checks), int((checks["status"] == "avviker").sum()))
    return project.published_processed


DEMO_MARK = "sanning.json"  # every demo year folder has it; real exports never do


def stage_register_demo(project: Project) -> Path:
    """Write the synthetic register exports (all years) into data/raw/register/<year>/.

    Refuses to touch a year folder that holds anything but an earlier demo: real exports are
    never overwritten, whatever params.yaml says.
    """
    from .demo.register_demo import write_demo

    spec = project.params.get("register") or {}
    if not spec.get("demo", True):
        raise ConfigError("params.yaml: register.demo is false, so the register exports are real data; "
                          "the synthetic demo is not written over them")
    for year in _register_years(project):
        folder = project.raw / "register" / str(year)
        if folder.is_dir() and any(folder.iterdir()) and not (folder / DEMO_MARK).is_file():
            raise ConfigError(f"{folder}: holds files that are not the synthetic demo (no {DEMO_MARK}); "
                              "move them away or set register.demo: false in params.yaml")
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
    from .derive import register_tables

    final = project.processed / "register" / "tabeller"
    area = _area(project)
    tables = register_tables.build(_register_years(project), project.processed / "register", _disclosure(project),
                                   area, _geography(project) if area else None)
    with atomic_dir(final) as tmp:
        register_tables.save(tables, tmp)
    return final


def _geography(project: Project):
    from .sources import geografi

    return geografi.load(project.raw / "geografi")


def stage_forbund(project: Project) -> Path:
    """Every förbund's figures beside the nation's, every year, in one pass (data/processed/forbund)."""
    from .derive import forbund

    final = project.processed / "forbund"
    national = project.processed / "register" / "tabeller" if _area(project) is None else None  # the same nation
    tables = forbund.build(_register_years(project), project.processed / "register", _geography(project),
                           _disclosure(project), _register_is_demo(project), national)
    with atomic_dir(final) as tmp:
        forbund.save(tables, tmp)
    log.info("forbund: %d förbund, %d years", int(tables["unit"]["forbund"].iloc[0]), len(_register_years(project)))
    return final


def stage_models(project: Project, year) -> Path:
    """Descriptions and models for one year into data/processed/models/<year>/ (tidy Parquet)."""
    from .derive import models

    year = _register_year(project, year)
    area = _area(project)
    tables = models.run_year(year, project.processed / "register", project.processed / "register" / "tabeller",
                             _disclosure(project).threshold, area, _geography(project) if area else None)
    final = project.processed / "models" / str(year)
    with atomic_dir(final) as tmp:
        models.save(tables, tmp)
    return final


def stage_modeller(project: Project, year, formats: list[str] | None = None, out_root: Path | None = None,
                   use_quarto: bool | None = None) -> Path:
    """Execute notebooks/modeller.ipynb for one year into reports/<year>/modeller/."""
    year = _register_year(project, year)
    source, synthetic = data_source(project, "modeller", year)
    return _render_report(project, "modeller", year, {"models": project.processed / "models" / str(year)},
                          source, synthetic, f"Redovisningsår {year}", _formats(project, formats), use_quarto,
                          out_root)


def stage_bilaga1(project: Project, year, formats: list[str] | None = None, out_root: Path | None = None,
                  use_quarto: bool | None = None, source: str | None = None) -> Path:
    """Execute notebooks/bilaga1.ipynb for ``year`` and render it into reports/<year>/bilaga1/."""
    from .sources.published import load_processed

    data = load_processed(project.published_processed)
    year = validate_year(year, data.years, "published SUS tables (data/raw/published)")
    source, synthetic = data_source(project, "bilaga1", year, source)
    if source not in ("published", "microdata"):
        raise ConfigError(f"params.yaml: report.source must be 'published' or 'microdata', got {source!r}")
    return _render_report(
        project, "bilaga1", year,
        {"published": project.published_processed,
         "register_tables": project.processed / "register" / "tabeller" if source == "microdata" else None},
        source, synthetic, f"Redovisningsår {year}" + (" – från mikrodata" if source == "microdata" else ""),
        _formats(project, formats), use_quarto, out_root)


def _survey_year(project: Project, year) -> int:
    from .sources import enkat

    year = validate_year(year, section_years(project.params, "enkat"), "enkät years (params.yaml enkat.years)")
    if not (enkat.survey_folder(project.raw, year) / enkat.QUESTIONS_FILE).is_file():
        raise ConfigError(f"{enkat.survey_folder(project.raw, year)}: no {enkat.QUESTIONS_FILE} for the {year} survey")
    return year


def stage_enkat_demo(project: Project, seed: int = 2016) -> Path:
    """Write the synthetic demo export data/raw/enkat/2016/export.csv (committed; rerun only by hand)."""
    from .demo.enkat_demo import write_demo

    return write_demo(project.raw / "enkat" / "2016", int(seed))


def stage_enkat(project: Project, year) -> Path:
    """Run notebooks/enkat_rensning.ipynb for one survey year into data/processed/enkat/<year>/."""
    from .sources import enkat

    year = _survey_year(project, year)
    final = _run_cleaning(project, CLEANING_NOTEBOOK, project.processed / "enkat" / str(year), f"rensning_{year}",
                          {"year": year, "survey_dir": str(enkat.survey_folder(project.raw, year).resolve())})
    log.info("enkat %s: %s", year, final)
    return final


def stage_bilaga3(project: Project, year, formats: list[str] | None = None, out_root: Path | None = None,
                  use_quarto: bool | None = None) -> Path:
    """Execute notebooks/bilaga3.ipynb for one survey year into reports/<year>/bilaga3/."""
    from .reports.contract import SYNTHETIC_NOTE
    from .sources import enkat

    year = _survey_year(project, year)
    folder = enkat.survey_folder(project.raw, year)
    source, synthetic = data_source(project, "bilaga3", year)
    return _render_report(
        project, "bilaga3", year, {"questionnaire": folder, "survey": project.processed / "enkat" / str(year)},
        source, synthetic, f"{enkat.load_survey(folder).title}, {year}" + (SYNTHETIC_NOTE if synthetic else ""),
        _formats(project, formats), use_quarto, out_root)


def _assumptions(project: Project):
    from .derive import malgrupp

    return malgrupp.parse_assumptions(project.params, str(project.root / PARAMS_FILE))


def stage_malgrupp(project: Project) -> Path:
    """Check the Bilaga 4 transcriptions and params.yaml's assumptions; write the calculation."""
    from .derive import malgrupp

    published = malgrupp.load_published(project.published_raw)
    assumptions = _assumptions(project)
    with atomic_dir(project.bilaga4_processed) as tmp:
        malgrupp.save_results(published, assumptions, tmp, _slack(project))
    log.info("malgrupp: total %d", malgrupp.total(assumptions))
    return project.bilaga4_processed


def stage_bilaga4(project: Project, formats: list[str] | None = None, out_root: Path | None = None,
                  use_quarto: bool | None = None) -> Path:
    """Execute notebooks/bilaga4.ipynb and render it into reports/<bilaga4.year>/bilaga4/."""
    assumptions = _assumptions(project)
    year = assumptions.year
    source, synthetic = data_source(project, "bilaga4", year)
    return _render_report(project, "bilaga4", year, {"malgrupp": project.bilaga4_processed}, source, synthetic,
                          f"{assumptions.area}, {year}", _formats(project, formats), use_quarto, out_root)


def _forbund_settings(project: Project) -> dict:
    """params.yaml ``forbundsbilagor``: which förbund (all by default), output formats and kernels."""
    from .reports.render import SUPPORTED_FORMATS

    spec = project.params.get("forbundsbilagor") or {}
    if not isinstance(spec, dict):
        raise ConfigError(f"params.yaml: forbundsbilagor must be a mapping (build, names, formats, pool_size), got {spec!r}")
    names = spec.get("names") or []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise ConfigError(f"params.yaml: forbundsbilagor.names must be a list of förbund names, got {names!r}")
    formats = spec.get("formats") or ["html"]
    if not isinstance(formats, list) or "html" not in formats or any(f not in SUPPORTED_FORMATS for f in formats):
        raise ConfigError(f"params.yaml: forbundsbilagor.formats must list html and any of {', '.join(SUPPORTED_FORMATS)}, "
                          f"got {formats!r}")
    pool_size = spec.get("pool_size", 2)
    if not isinstance(pool_size, int) or isinstance(pool_size, bool) or pool_size < 1:
        raise ConfigError(f"params.yaml: forbundsbilagor.pool_size must be a whole number of at least 1, got {pool_size!r}")
    return {"names": names, "formats": formats, "pool_size": pool_size}


FORBUND_FIGURES = "data/processed/forbund"


def forbund_names(project: Project) -> list[str]:
    """The förbund the reports are built for: params.yaml forbundsbilagor.names, or every förbund in the figures."""
    from .reports.forbund_figures import load_figures, units

    chosen = _forbund_settings(project)["names"]
    if chosen:
        return chosen
    try:
        return units(load_figures(project.root / FORBUND_FIGURES))
    except (PipelineError, OSError):
        return []


def stage_forbundsbilagor(project: Project, forbund: list[str] | None = None, formats: list[str] | None = None,
                  use_quarto: bool | None = None, force: bool = False) -> Path:
    """Every förbund's Förbundsbilaga for every register year, and the comparison page per year, in
    one process on warm kernels; reports whose figures did not change are not rebuilt.
    ``forbund``: only these förbund (no comparison pages, nothing removed)."""
    from .reports import forbund_build
    from .reports.forbund_figures import load_figures

    settings = _forbund_settings(project)
    figures_dir = project.root / FORBUND_FIGURES
    figures = load_figures(figures_dir)
    chosen = forbund or settings["names"] or None
    formats = formats or settings["formats"]
    synthetic = data_source(project, "forbundsbilaga", 0)[1]  # microdata: the demo or not, for every year alike
    jobs = forbund_build.plan(figures, figures_dir, project.notebooks, project.reports, _register_years(project),
                              chosen, formats, synthetic, _disclosure(project).threshold)
    outcome = forbund_build.build(jobs, formats, project.root, project.params, settings["pool_size"],
                                  use_quarto=use_quarto, force=force)
    if not forbund:
        forbund_build.remove_others(project.reports, jobs)
    log.info("forbund: %d reports built, %d up to date", len(outcome.built), len(outcome.skipped))
    print(f"förbund reports: {len(outcome.built)} built, {len(outcome.skipped)} up to date")
    return project.reports / forbund_build.FORBUND_DIR


# --- the indicator surveys (issue 19): figures, the national report, the förbund reports -------------
INDIKATOR_TABLES = "data/processed/indikator/tabeller"


def _indikator(project: Project) -> dict:
    """params.yaml ``indikator``: years, demo, and ``bilagor`` (build, formats, pool_size)."""
    spec = project.params.get("indikator") or {}  # typed in pipeline/core/config.py (IndikatorParams)
    bilagor = spec.get("bilagor") or {}
    formats = bilagor.get("formats") or ["html"]
    if "html" not in formats:
        raise ConfigError(f"params.yaml: indikator.bilagor.formats must list html (and any of pdf, docx), got {formats!r}")
    return {"years": section_years(project.params, "indikator"), "demo": bool(spec.get("demo", False)),
            "build": bool(bilagor.get("build", True)), "formats": formats,
            "pool_size": int(bilagor.get("pool_size", 2))}


def _indikator_year(project: Project, year) -> int:
    return validate_year(year, _indikator(project)["years"], "indicator survey years (params.yaml indikator.years)")


def _indikator_changes_and_names(project: Project):
    """The declared changes that break a series and the indicator names, from the questionnaire
    descriptions (pipeline/sources/indikator.py); (None, None) where they are not there."""
    import pandas as pd

    try:
        from .sources import indikator as source
    except ImportError:  # the descriptions' reader is not in this tree
        return None, None
    raw = project.raw / "indikator"
    indicators, descriptions = source.load_descriptions(raw, _indikator(project)["years"])
    questions = source.question_table(descriptions, indicators)
    changes = questions.loc[questions["bruten_serie"], ["fraga", "year", "forandring"]]
    names = pd.DataFrame([{"id": i.id, "namn": i.name} for i in indicators.values()]
                         + [{"id": p.id, "namn": p.name} for i in indicators.values() for p in i.points])
    return changes, names


def stage_indikator_tabeller(project: Project) -> Path:
    """Every year's indicator figures, changes, trends and funnel positions, through the linked
    disclosure control (data/processed/indikator/tabeller)."""
    from .derive import indikator

    settings = _indikator(project)
    changes, names = _indikator_changes_and_names(project)
    tables = indikator.build(settings["years"], project.processed / "indikator", _disclosure(project), changes, names,
                             settings["demo"])
    final = project.root / INDIKATOR_TABLES
    with atomic_dir(final) as tmp:
        indikator.save(tables, tmp)
    return final


def stage_indikatorrapport(project: Project, year, formats: list[str] | None = None, out_root: Path | None = None,
                           use_quarto: bool | None = None) -> Path:
    """Execute notebooks/indikatorrapport.ipynb for one year into reports/<year>/indikatorrapport/."""
    from .reports.contract import SYNTHETIC_NOTE

    year = _indikator_year(project, year)
    source, synthetic = data_source(project, "indikatorrapport", year)
    return _render_report(project, "indikatorrapport", year, {"indikator": project.root / INDIKATOR_TABLES}, source,
                          synthetic, f"Hela riket, {year}" + (SYNTHETIC_NOTE if synthetic else ""),
                          _formats(project, formats), use_quarto, out_root)


def stage_indikatorbilagor(project: Project, forbund: list[str] | None = None, formats: list[str] | None = None,
                           use_quarto: bool | None = None, force: bool = False) -> Path:
    """Every participating förbund's Indikatorbilaga for every year it answered, on warm kernels;
    reports whose input did not change are not rebuilt. ``forbund``: only these (nothing removed)."""
    from .reports import forbund_build, indikator_build
    from .reports.indikatorrapport import load_tables

    settings = _indikator(project)
    tables = load_tables(project.root / INDIKATOR_TABLES)
    fritext = indikator_build.open_answers(project.processed / "indikator", settings["years"])
    formats = formats or settings["formats"]
    synthetic = data_source(project, "indikatorbilaga", 0)[1]
    jobs = indikator_build.plan(tables, fritext, project.notebooks, project.reports, settings["years"], forbund,
                                formats, synthetic, _disclosure(project).threshold)
    outcome = forbund_build.build(jobs, formats, project.root, project.params, settings["pool_size"],
                                  use_quarto=use_quarto, force=force)
    if not forbund:
        forbund_build.remove_others(project.reports, jobs, (indikator_build.DIR,))
    print(f"indikatorbilagor: {len(outcome.built)} built, {len(outcome.skipped)} up to date")
    return project.reports / indikator_build.DIR


def appendix_years(project: Project) -> dict[str, list[int]]:
    """The years each appendix is built for (the index lists exactly these)."""
    return {"bilaga1": project.years,
            "modeller": _register_years(project),
            "bilaga3": section_years(project.params, "enkat"),
            "bilaga4": [_assumptions(project).year],
            "indikatorrapport": _indikator(project)["years"]}


def stage_index(project: Project, out_root: Path | None = None) -> Path:
    """Write reports/index.html: every appendix and year the build is configured to produce."""
    from .reports.report_index import headline_figures, write_index

    from .reports.forbund_figures import slugs

    years = appendix_years(project)
    synthetic = {(family, y): _synthetic_or_unknown(project, family, y) for family, ys in years.items() for y in ys}
    forbund = slugs(forbund_names(project)) if (project.params.get("forbundsbilagor") or {}).get("build") else {}
    from .reports.indikator_build import available

    indikator = available(project.root / INDIKATOR_TABLES) if _indikator(project)["build"] else {}
    return write_index(out_root or project.reports, years, _formats(project, None),
                       headline_figures(project.processed, project.raw, years, synthetic), synthetic, forbund,
                       _register_years(project), data_source(project, "forbundsbilaga", 0)[1],
                       indikator, _indikator(project)["demo"])


def _synthetic_or_unknown(project: Project, family: str, year: int) -> bool | None:
    try:
        return data_source(project, family, year)[1]
    except (ConfigError, OSError):  # e.g. a survey year without its questionnaire: the index says "–"
        return None


# The report notebook of each family (pipeline/reports/contract.py: APPENDICES).
NOTEBOOKS = {"bilaga1": "bilaga1.ipynb", "modeller": "modeller.ipynb", "bilaga3": "bilaga3.ipynb",
             "forbundsbilaga": "forbundsbilaga.ipynb", "jamforelse": "forbund_jamforelse.ipynb",
             "bilaga4": "bilaga4.ipynb", "indikatorrapport": "indikatorrapport.ipynb",
             "indikatorbilaga": "indikatorbilaga.ipynb"}
BILAGA1_NOTEBOOK, MODELS_NOTEBOOK, BILAGA3_NOTEBOOK, BILAGA4_NOTEBOOK = (
    NOTEBOOKS[f] for f in ("bilaga1", "modeller", "bilaga3", "bilaga4"))
CLEANING_NOTEBOOK = "enkat_rensning.ipynb"
REGISTER_NOTEBOOK = "register_rensning.ipynb"
FORBUND_NOTEBOOK = NOTEBOOKS["forbundsbilaga"]  # and NOTEBOOKS["jamforelse"] (pipeline/reports/forbund_build.py)


# --- the declaration --------------------------------------------------------------------------
# Order is pipeline order (a stage comes after every stage whose outputs it reads). Paths may use
# ${item} (the foreach item) and ${key.sub} (a params.yaml value); ${key[*]} below expands a list.

STAGES: tuple[Stage, ...] = (
    Stage("published", stage_published,
          "check data/raw/published, write data/processed/published, reconcile derived figures",
          "finsam stage published",
          deps=("data/raw/published",), params=("reconciliation",), outs=("data/processed/published",)),
    Stage("register_demo", stage_register_demo,
          "write the synthetic register exports into data/raw/register/<year>/",
          "finsam stage register-demo",
          deps=("data/raw/published", "data/raw/register/exports.yaml", "data/raw/geografi"),
          params=("register.years", "register.demo_seed", "register.population_scale"), when="register.demo",
          outs=("data/raw/register/${register.years[*]}",)),
    Stage("register", stage_register,
          "clean one year's register exports (notebooks/register_rensning.ipynb)",
          "finsam stage register --year 2022", foreach="register.years", notebook=REGISTER_NOTEBOOK,
          # every year: an insats is checked against the insats exports of all years
          deps=("data/raw/register/${register.years[*]}", "data/raw/register/exports.yaml", "data/raw/geografi"),
          outs=("data/processed/register/${item}",)),
    Stage("register_tables", stage_register_tables,
          "Tabell 1–6 from the cleaned microdata, with disclosure control",
          "finsam stage register-tables",
          deps=("data/processed/register/${register.years[*]}", "data/raw/geografi"),
          params=("disclosure", "register.years", "register.area"), outs=("data/processed/register/tabeller",)),
    Stage("forbund", stage_forbund,
          "every förbund's figures beside the nation's, all years in one pass (data/processed/forbund)",
          "finsam stage forbund",
          deps=("data/processed/register/${register.years[*]}", "data/raw/geografi", "data/processed/register/tabeller"),
          params=("disclosure", "register.years", "register.demo", "register.area"), outs=("data/processed/forbund",)),
    Stage("models", stage_models,
          "descriptions and models for one year (data/processed/models/<year>)",
          "finsam stage models --year 2022", foreach="register.years",
          deps=("data/processed/register/${item}", f"data/processed/register/{STANDARD_YEAR}",
                "data/processed/register/tabeller", "data/raw/geografi"),
          params=("disclosure", "register.area"), outs=("data/processed/models/${item}",)),
    Stage("modeller", stage_modeller,
          "execute and render the model appendix for one year",
          "finsam stage modeller --year 2022 --formats html", foreach="register.years", notebook=MODELS_NOTEBOOK,
          deps=("data/processed/models/${item}",), params=("report.formats", "register.demo"),
          outs=("reports/${item}/modeller",), options=(FORMATS,)),
    Stage("bilaga1", stage_bilaga1,
          "execute and render Bilaga 1 for one year",
          "finsam stage bilaga1 --year 2022 --source microdata", foreach="years", notebook=BILAGA1_NOTEBOOK,
          deps=("data/processed/published", "data/processed/register/tabeller"),
          params=("report", "register.demo"), outs=("reports/${item}/bilaga1",),
          options=(FORMATS, Option("--source", "published aggregates or cleaned microdata "
                                               "(default: params.yaml report.source)", ("published", "microdata")))),
    Stage("forbundsbilagor", stage_forbundsbilagor,
          "every förbund's Förbundsbilaga for every register year and the comparison pages (warm kernels)",
          "finsam stage forbundsbilagor --forbund \"Samordningsförbund 07\"", notebook=FORBUND_NOTEBOOK,
          deps=(FORBUND_FIGURES, "notebooks/forbund_jamforelse.ipynb"), when="forbundsbilagor.build",
          params=("forbundsbilagor", "register.years", "register.demo", "disclosure.min_cell_count"),
          outs=("reports/forbund", "reports/jamforelse"),
          options=(FORMATS, FORBUND)),
    Stage("enkat", stage_enkat,
          "clean one year's survey export (notebooks/enkat_rensning.ipynb)",
          "finsam stage enkat --year 2016", foreach="enkat.years", notebook=CLEANING_NOTEBOOK,
          deps=("data/raw/enkat/${item}",), outs=("data/processed/enkat/${item}",)),
    Stage("bilaga3", stage_bilaga3,
          "execute and render Bilaga 3 (enkät) for one survey year",
          "finsam stage bilaga3 --year 2016", foreach="enkat.years", notebook=BILAGA3_NOTEBOOK,
          deps=("data/raw/enkat/${item}/fragor.yaml", "data/processed/enkat/${item}"),
          params=("report.formats",), outs=("reports/${item}/bilaga3",), options=(FORMATS,)),
    Stage("malgrupp", stage_malgrupp,
          "Bilaga 4: check transcriptions and params.yaml, write the calculation",
          "finsam stage malgrupp",
          deps=("data/raw/published",), params=("bilaga4", "reconciliation"), outs=("data/processed/bilaga4",)),
    Stage("bilaga4", stage_bilaga4,
          "execute and render Bilaga 4 (year from params.yaml bilaga4.year)",
          "finsam stage bilaga4 --formats html,pdf", notebook=BILAGA4_NOTEBOOK,
          deps=("data/processed/bilaga4",), params=("report.formats", "bilaga4"),
          outs=("reports/${bilaga4.year}/bilaga4",), options=(FORMATS,)),
    Stage("indikator_tabeller", stage_indikator_tabeller,
          "indicator figures of every survey year: shares, changes, trends, funnel, with disclosure control",
          "finsam stage indikator-tabeller",
          deps=("data/processed/indikator/${indikator.years[*]}", "data/raw/indikator"),
          params=("disclosure", "indikator.years", "indikator.demo"), outs=(INDIKATOR_TABLES,)),
    Stage("indikatorrapport", stage_indikatorrapport,
          "execute and render the national Indikatorrapport for one survey year",
          "finsam stage indikatorrapport --year 2022 --formats html", foreach="indikator.years",
          notebook=NOTEBOOKS["indikatorrapport"], deps=(INDIKATOR_TABLES,),
          params=("report.formats", "indikator.demo", "disclosure.min_cell_count"),
          outs=("reports/${item}/indikatorrapport",), options=(FORMATS,)),
    Stage("indikatorbilagor", stage_indikatorbilagor,
          "every participating förbund's Indikatorbilaga for every year it answered (warm kernels)",
          "finsam stage indikatorbilagor --forbund \"Samordningsförbund 07\"", notebook=NOTEBOOKS["indikatorbilaga"],
          deps=(INDIKATOR_TABLES, "data/processed/indikator/${indikator.years[*]}"), when="indikator.bilagor.build",
          params=("indikator.bilagor", "indikator.years", "indikator.demo", "disclosure.min_cell_count"),
          outs=("reports/indikator",), options=(FORMATS, FORBUND)),
    Stage("index", stage_index,
          "write reports/index.html (every appendix and year)",
          "finsam stage index",
          deps=("data/processed/published", "data/processed/bilaga4", "data/processed/enkat/${enkat.years[*]}",
                "data/processed/models/${register.years[*]}",  # the headline figures beside the links
                FORBUND_FIGURES,  # the förbund listed (when forbundsbilagor.build)
                INDIKATOR_TABLES),  # the indicator reports listed, with their headline figures
          params=("years", "report", "bilaga4.year", "enkat.years", "register.years", "forbundsbilagor",
                  "indikator.years", "indikator.demo", "indikator.bilagor"),
          outs=("reports/index.html",)),
)

# Commands that are not stages of the build (they write committed demo inputs, by hand).
MANUAL = {"enkat-demo": (stage_enkat_demo, "write the synthetic demo export data/raw/enkat/2016/export.csv",
                         "finsam stage enkat-demo --seed 2016")}


def by_command(command: str) -> Stage:
    for stage in STAGES:
        if stage.command == command or stage.name == command:
            return stage
    raise ConfigError(f"no stage named {command!r}; stages are: " + ", ".join(s.command for s in STAGES))
