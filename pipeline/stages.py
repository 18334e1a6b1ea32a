"""The pipeline's stages, declared once.

``STAGES`` below is the single list of stages, in pipeline order. Everything else follows from
it: ``dvc.yaml`` (written by ``finsam sync``, checked by a test), the CLI's ``finsam stage …``
commands and ``--help``, the README's stage table, and each stage's code dependencies, which
:mod:`pipeline.engine` computes as the import closure of the stage's function and notebook.

A stage declares what it reads and writes by dataset name (:mod:`pipeline.core.catalogue`) and which
settings it uses (dotted params.yaml keys). Its function receives them resolved, as a
:class:`pipeline.core.catalogue.Context`: it never builds a path, opens params.yaml or discovers the
project itself (docs/architecture.md, "Declaring a stage and its datasets").

Each stage function imports what it needs inside its body, so a stage's closure holds only the
modules it really runs; module-level imports here stay in the core layer.
"""

from __future__ import annotations

import functools
import inspect
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .core.catalogue import DATASETS, FAMILIES, Context, lookup, resolve
from .core.config import Project, SettingsSlice, validate_year
from .core.errors import ConfigError, PipelineError
from .core.io import atomic_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Option:
    """An extra command-line option of a stage (``finsam stage NAME --flag VALUE``)."""

    flag: str
    help: str
    choices: tuple[str, ...] | None = None
    switch: bool = False  # a flag without a value (``--force``); it does not override params.yaml


@dataclass(frozen=True)
class Stage:
    """One stage: what runs, what it reads and what it writes.

    ``foreach`` names the params.yaml list the stage is repeated over (``name@item`` in DVC).
    ``inputs`` and ``outputs`` are dataset references (:mod:`pipeline.core.catalogue`: ``name``,
    ``name[*]``, ``name@2022``); ``settings`` are the dotted params.yaml keys the stage reads
    (DVC's ``params``). Code dependencies are not listed here: the engine adds every project module
    the stage imports, and its notebooks (``notebook`` and ``extra_notebooks``).
    """

    name: str
    run: Callable[..., Path]
    summary: str
    example: str
    foreach: str | None = None
    notebook: str | None = None
    inputs: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    options: tuple[Option, ...] = field(default=())
    when: str | None = None  # a params.yaml key: the stage is part of the build only while it is true
    extra_notebooks: tuple[str, ...] = ()  # further notebooks the stage executes (code dependencies)

    @property
    def command(self) -> str:
        """The CLI name: the stage's name, spelt as the build, dvc.yaml and dvc.lock spell it."""
        return self.name


FORBUND = Option("--forbund", "only these förbund, comma-separated (default: params.yaml forbundsbilagor.names, "
                             "or every förbund)")
FORCE = Option("--force", "rebuild every report, also those whose inputs and code did not change", switch=True)
FORMATS = Option("--formats", "comma-separated output formats among html, pdf (PDF/UA-1) and docx "
                             "(default: params.yaml report.formats)")


def receives(func: Callable[..., Path]) -> Callable[..., Path]:
    """A stage function takes its :class:`Context`; called with a :class:`Project` (and, for a
    stage repeated over years, the year) instead, the context is resolved first, as the CLI does."""

    @functools.wraps(func)
    def call(where: Context | Project, *args: Any, **options: Any) -> Path:
        if isinstance(where, Context):
            return func(where, *args, **options)
        stage = by_command(func.__name__.removeprefix("stage_"))
        year = None
        if stage.foreach:
            year, args = (args[0], args[1:]) if args else (options.pop("year"), args)
        return func(stage_context(stage, where, year), *args, **options)

    call.__signature__ = inspect.signature(func)
    return call


def stage_context(stage: Stage, project: Project, year: Any = None) -> Context:
    """Resolve ``stage``'s declaration in ``project`` for one item (a year of its ``foreach``
    list): its inputs and outputs as paths, the typed settings cut to what it declares."""
    params, root = project.params, Path(project.root).resolve()
    if stage.foreach:
        year = validate_year(year, list(lookup(params, stage.foreach)), f"params.yaml {stage.foreach}")
    return Context(stage.name, root, year,
                   resolve(stage.inputs, root, params, stage.foreach, year),
                   resolve(stage.outputs, root, params, stage.foreach, year),
                   SettingsSlice(project.settings, stage.settings, stage.name),
                   root / "notebooks" / stage.notebook if stage.notebook else None)


# --- helpers shared by the stages -------------------------------------------------------------

def _report_formats(ctx: Context, formats: list[str] | None) -> list[str]:
    return formats or list(ctx.settings.report.formats)


def _render_report(ctx: Context, family: str, inputs: dict[str, Path | None], source: str,
                   synthetic: bool, subtitle: str, formats: list[str], use_quarto: bool | None,
                   out_root: Path | None, year: int | None = None) -> Path:
    """Execute the family's notebook with the contract's parameters (pipeline/reports/contract.py)
    into its report folder (atomically) and render it there."""
    import shutil

    import nbformat

    from .reports import contract, render

    year = ctx.year if year is None else year
    final = Path(out_root) / str(year) / family if out_root else ctx.output
    with atomic_dir(final) as tmp:
        executed = tmp / f"{family}_{year}.ipynb"
        render.execute_notebook(ctx.notebook, executed, cwd=tmp,
                                parameters=contract.parameters(year, inputs, source, synthetic))
        nb = nbformat.read(executed, as_version=4)
        render.set_front_matter(nb, {"subtitle": subtitle})
        nbformat.write(nb, executed)
        render.render_notebook(executed, formats, header_text=contract.header(family, year, synthetic),
                               use_quarto=use_quarto, root=ctx.root, params=ctx.settings.as_dict())
        for other in set(render.SUPPORTED_FORMATS) - set(formats):  # a narrower --formats keeps the others
            kept = final / f"{family}_{year}.{other}"
            if kept.is_file():
                shutil.copy2(kept, tmp / kept.name)
    log.info("%s %s: %s", family, year, final)
    return final


def _run_cleaning(ctx: Context, stem: str, parameters: dict) -> Path:
    """Execute a cleaning notebook that writes into ``out_dir``; the output is replaced only on success."""
    from .reports import render

    with atomic_dir(ctx.output) as tmp:
        render.execute_notebook(ctx.notebook, tmp / f"{stem}.ipynb",
                                parameters=parameters | {"out_dir": str(tmp.resolve())}, cwd=tmp)
    return ctx.output


def _folder(years: dict[Any, Path]) -> Path:
    """The one folder holding every year's folder of a dataset (``name[*]``), for readers that take it."""
    parents = {p.parent for p in years.values()}
    if len(parents) != 1:
        raise ConfigError(f"expected one folder of years, got {sorted(map(str, parents))}")
    return parents.pop()


def data_source(where: Context | Project, family: str, year: int, source: str | None = None) -> tuple[str, bool]:
    """(source, synthetic) of one report: where its numbers come from, and whether they are the
    synthetic demo. Decided here and nowhere else: the report, its banner, header, colophon and
    the index's line all receive this answer.

    Published aggregates are never synthetic; register microdata are synthetic while
    params.yaml says ``register.demo``; a survey is synthetic when its questionnaire
    (fragor.yaml) says ``synthetic: true``.
    """
    if family in ("indikatorrapport", "indikatorbilaga"):  # the indicator surveys: synthetic while the demo is on
        return "survey", bool(where.settings.indikator.demo)
    if source is None:
        source = FAMILIES[family].source or where.settings.report.source
    if source == "published":
        return source, False
    if source == "microdata":
        return source, bool(where.settings.register.demo)
    if source == "survey":
        from .sources import enkat

        return source, enkat.load_survey(_survey_folder(where, year)).synthetic
    raise ConfigError(f"params.yaml: report.source must be 'published' or 'microdata', got {source!r}")


def _disclosure(ctx: Context):
    from .derive.disclosure import Settings

    spec = ctx.settings.disclosure  # checked by the typed settings (pipeline/core/config.py)
    return Settings(spec.min_cell_count, spec.protection)


def _register_area(ctx: Context) -> list[str] | None:
    """``register.area``: build the register tables and models for these förbund only (None: riket);
    each förbund by its newest name (checked against the mapping: geografi.area_units)."""
    from .sources.geografi import area_units

    names = list(ctx.settings.register.area)
    return area_units(_geography(ctx), names) if names else None


# --- the stage functions ----------------------------------------------------------------------

@receives
def stage_published(ctx: Context) -> Path:
    """Check the transcribed tables, write them as Parquet and reconcile derived figures."""
    from .core.io import write_csv_atomic, write_parquet_atomic
    from .derive.reconcile import RECONCILIATION_FILE, reconcile_published
    from .sources.published import load_published, save_processed

    data = load_published(ctx.inputs["published_raw"])
    checks = reconcile_published(data, ctx.settings.reconciliation.rounding_slack)
    with atomic_dir(ctx.output) as tmp:
        save_processed(data, tmp)
        write_parquet_atomic(checks, tmp / RECONCILIATION_FILE)
        write_csv_atomic(checks, tmp / RECONCILIATION_FILE.replace(".parquet", ".csv"))
    log.info("published: %d checks, %d differ", len(checks), int((checks["status"] == "avviker").sum()))
    return ctx.output


DEMO_MARK = "sanning.json"  # every demo year folder has it; real exports never do


@receives
def stage_register_demo(ctx: Context) -> Path:
    """Write the synthetic register exports (all years) into data/raw/register/<year>/.

    Refuses to touch a year folder that holds anything but an earlier demo: real exports are
    never overwritten, whatever params.yaml says.
    """
    from .demo.register_demo import write_register_demo_to

    spec = ctx.settings.register
    if not spec.demo:
        raise ConfigError("params.yaml: register.demo is false, so the register exports are real data; "
                          "the synthetic demo is not written over them")
    folders = ctx.outputs["register_exports"]
    for folder in folders.values():
        if folder.is_dir() and any(folder.iterdir()) and not (folder / DEMO_MARK).is_file():
            raise ConfigError(f"{folder}: holds files that are not the synthetic demo (no {DEMO_MARK}); "
                              "move them away or set register.demo: false in params.yaml")
    write_register_demo_to(ctx.inputs["register_exports_spec"], ctx.inputs["geografi"], ctx.inputs["published_raw"],
                           folders, seed=spec.demo_seed, population_scale=spec.population_scale)
    return _folder(folders)


@receives
def stage_indikator_demo(ctx: Context) -> Path:
    """Write the synthetic indicator survey exports of every year (data/raw/indikator/<year>/svar/)
    and the planted truth (data/raw/indikator/sanning.json).

    Refuses to write into an export folder that holds files while there is no sanning.json: real
    exports are never overwritten, whatever params.yaml says.
    """
    from .demo.indikator_demo import write_indikator_demo_to
    from .sources import geografi

    spec = ctx.settings.indikator
    if not spec.demo:
        raise ConfigError("params.yaml: indikator.demo is false, so the indicator exports are real data; "
                          "the synthetic demo is not written over them")
    exports, truth = ctx.outputs["indikator_exports"], ctx.outputs["indikator_truth"]
    for folder in exports.values():
        if folder.is_dir() and any(p.is_file() for p in folder.rglob("*")) and not truth.is_file():
            raise ConfigError(f"{folder}: holds exports that are not the synthetic demo (no {truth.name}); "
                              "move them away or set indikator.demo: false in params.yaml")
    write_indikator_demo_to(ctx.inputs["indikator_descriptions"], exports, truth,
                            geografi.load_geography(ctx.inputs["geografi"]).forbund, seed=spec.demo_seed)
    log.info("indikator_demo: %d years", len(exports))
    return truth


@receives
def stage_indikator(ctx: Context) -> Path:
    """Clean one year's indicator survey exports into data/processed/indikator/<year>/ (the schema of
    docs/data_dictionary.md, "Indikatorenkäter"). Every year's description is read: a question's
    changes are checked against the years around it."""
    from .sources import geografi, indikator

    indicators, descriptions = indikator.load_described(ctx.inputs["indikator_spec"],
                                                        ctx.inputs["indikator_descriptions"])
    clean = indikator.clean_indikator_year(ctx.inputs["indikator_exports"], descriptions[ctx.year],
                                           geografi.load_geography(ctx.inputs["geografi"]).forbund, indicators)
    with atomic_dir(ctx.output) as tmp:
        indikator.save_indikator_year(clean, tmp)
    q = clean.tables["kvalitet"]
    log.info("indikator %s: %d rows, %d kept, %d quarantined", ctx.year, int(q["rows_in"].sum()), int(q["kept"].sum()),
             int(q["quarantined"].sum()))
    return ctx.output


@receives
def stage_register(ctx: Context) -> Path:
    """Run notebooks/register_rensning.ipynb for one year into data/processed/register/<year>/."""
    final = _run_cleaning(ctx, f"rensning_{ctx.year}",
                          {"year": ctx.year, "register_dir": str(ctx.inputs["register_exports_spec"].parent),
                           # the declared years only: an insats is looked up in their insats exports
                           "years": sorted(int(y) for y in ctx.inputs["register_exports"]),
                           "demo": bool(ctx.settings.register.demo)})
    log.info("register %s: %s", ctx.year, final)
    return final


@receives
def stage_register_tables(ctx: Context) -> Path:
    """Tabell 1–6 from the cleaned microdata of every year, with disclosure control."""
    from .derive import register_tables

    area = _register_area(ctx)
    tables = register_tables.build_register_tables(list(ctx.settings.register.years),
                                                   _folder(ctx.inputs["register_clean"]), _disclosure(ctx), area,
                                                   _geography(ctx) if area else None)
    with atomic_dir(ctx.output) as tmp:
        register_tables.save_register_tables(tables, tmp)
    return ctx.output


def _geography(ctx: Context):
    from .sources import geografi

    return geografi.load_geography(ctx.inputs["geografi"])


@receives
def stage_forbund(ctx: Context) -> Path:
    """Every förbund's figures beside the nation's, every year, in one pass (data/processed/forbund)."""
    from .derive import forbund

    years = list(ctx.settings.register.years)
    # the register tables are the nation's, or register.area's: either way their decision is followed
    tables = forbund.build_forbund_figures(years, _folder(ctx.inputs["register_clean"]), _geography(ctx),
                                           _disclosure(ctx), bool(ctx.settings.register.demo),
                                           ctx.inputs["register_tables"], _register_area(ctx))
    with atomic_dir(ctx.output) as tmp:
        forbund.save_forbund_figures(tables, tmp)
    log.info("forbund: %d förbund, %d years", int(tables["unit"]["forbund"].iloc[0]), len(years))
    return ctx.output


@receives
def stage_models(ctx: Context) -> Path:
    """Descriptions and models for one year into data/processed/models/<year>/ (tidy Parquet)."""
    from .derive import models

    area = _register_area(ctx)
    cleaned = ctx.inputs["register_clean"]  # every year's folder: the standard population's year is one of them
    tables = models.run_year(ctx.year, _folder(cleaned), ctx.inputs["register_tables"],
                             _disclosure(ctx).threshold, area, _geography(ctx) if area else None,
                             models.standard_year(sorted(cleaned)))
    with atomic_dir(ctx.output) as tmp:
        models.save_model_tables(tables, tmp)
    return ctx.output


@receives
def stage_modeller(ctx: Context, formats: list[str] | None = None, out_root: Path | None = None,
                   use_quarto: bool | None = None) -> Path:
    """Execute notebooks/modeller.ipynb for one year into reports/<year>/modeller/."""
    source, synthetic = data_source(ctx, "modeller", ctx.year)
    return _render_report(ctx, "modeller", {"models": ctx.inputs["models"]}, source, synthetic,
                          f"Redovisningsår {ctx.year}", _report_formats(ctx, formats), use_quarto, out_root)


@receives
def stage_bilaga1(ctx: Context, formats: list[str] | None = None, out_root: Path | None = None,
                  use_quarto: bool | None = None, source: str | None = None) -> Path:
    """Execute notebooks/bilaga1.ipynb for the year and render it into reports/<year>/bilaga1/."""
    from .sources.published import load_processed

    data = load_processed(ctx.inputs["published_tables"])
    validate_year(ctx.year, data.years, "published SUS tables (data/raw/published)")
    source, synthetic = data_source(ctx, "bilaga1", ctx.year, source)
    if source not in ("published", "microdata"):
        raise ConfigError(f"params.yaml: report.source must be 'published' or 'microdata', got {source!r}")
    return _render_report(
        ctx, "bilaga1",
        {"published": ctx.inputs["published_tables"],
         "register_tables": ctx.inputs["register_tables"] if source == "microdata" else None},
        source, synthetic, f"Redovisningsår {ctx.year}" + (" – från mikrodata" if source == "microdata" else ""),
        _report_formats(ctx, formats), use_quarto, out_root)


def _survey_folder(where: Context | Project, year: int) -> Path:
    """A survey year's folder (fragor.yaml and its export): from the stage's declared input
    (``survey_raw`` or ``survey_questions``, one year or every year), else the catalogue's path."""
    inputs = where.inputs if isinstance(where, Context) else {}
    for name in ("survey_raw", "survey_questions"):
        value = inputs.get(name)
        value = value.get(year) if isinstance(value, dict) else value
        if value is not None:
            return value if name == "survey_raw" else value.parent
    return DATASETS["survey_raw"].path(where.root, year)


def _questionnaire(ctx: Context) -> Path:
    """The survey year's folder with fragor.yaml (the stage's declared questionnaire)."""
    from .sources import enkat

    folder = _survey_folder(ctx, ctx.year)
    if not (folder / enkat.QUESTIONS_FILE).is_file():
        raise ConfigError(f"{folder}: no {enkat.QUESTIONS_FILE} for the {ctx.year} survey")
    return folder


@receives
def stage_enkat(ctx: Context) -> Path:
    """Run notebooks/enkat_rensning.ipynb for one survey year into data/processed/enkat/<year>/."""
    final = _run_cleaning(ctx, f"rensning_{ctx.year}", {"year": ctx.year, "survey_dir": str(_questionnaire(ctx))})
    log.info("enkat %s: %s", ctx.year, final)
    return final


@receives
def stage_bilaga3(ctx: Context, formats: list[str] | None = None, out_root: Path | None = None,
                  use_quarto: bool | None = None) -> Path:
    """Execute notebooks/bilaga3.ipynb for one survey year into reports/<year>/bilaga3/."""
    from .reports.contract import SYNTHETIC_NOTE
    from .sources import enkat

    folder = _questionnaire(ctx)
    source, synthetic = data_source(ctx, "bilaga3", ctx.year)
    return _render_report(
        ctx, "bilaga3", {"questionnaire": folder, "survey": ctx.inputs["survey_clean"]},
        source, synthetic, f"{enkat.load_survey(folder).title}, {ctx.year}" + (SYNTHETIC_NOTE if synthetic else ""),
        _report_formats(ctx, formats), use_quarto, out_root)


def _assumptions(ctx: Context):
    from .derive import malgrupp

    return malgrupp.parse_assumptions({"bilaga4": ctx.settings.bilaga4.model_dump(by_alias=True, exclude_none=True)})


@receives
def stage_malgrupp(ctx: Context) -> Path:
    """Check the Bilaga 4 transcriptions and params.yaml's assumptions; write the calculation."""
    from .derive import malgrupp

    published = malgrupp.load_transcriptions(ctx.inputs["published_raw"])
    assumptions = _assumptions(ctx)
    with atomic_dir(ctx.output) as tmp:
        malgrupp.save_results(published, assumptions, tmp, ctx.settings.reconciliation.rounding_slack)
    log.info("malgrupp: total %d", malgrupp.total(assumptions))
    return ctx.output


@receives
def stage_bilaga4(ctx: Context, formats: list[str] | None = None, out_root: Path | None = None,
                  use_quarto: bool | None = None) -> Path:
    """Execute notebooks/bilaga4.ipynb and render it into reports/<bilaga4.year>/bilaga4/."""
    assumptions = _assumptions(ctx)
    year = assumptions.year
    source, synthetic = data_source(ctx, "bilaga4", year)
    return _render_report(ctx, "bilaga4", {"malgrupp": ctx.inputs["malgrupp"]}, source, synthetic,
                          f"{assumptions.area}, {year}", _report_formats(ctx, formats), use_quarto, out_root, year=year)


def forbund_for_reports(ctx: Context) -> list[str]:
    """The förbund the reports are built for: params.yaml forbundsbilagor.names, or every förbund in the figures."""
    from .reports.forbund_figures import check_names, load_figures, units

    chosen = list(ctx.settings.forbundsbilagor.names)
    try:
        known = units(load_figures(ctx.inputs["forbund_figures"]))
    except (PipelineError, OSError):  # no figures yet: nothing to check the names against
        return chosen
    return check_names(chosen, known, "named in params.yaml forbundsbilagor.names") if chosen else known


@receives
def stage_forbundsbilagor(ctx: Context, forbund: list[str] | None = None, formats: list[str] | None = None,
                          use_quarto: bool | None = None, force: bool = False) -> Path:
    """Every förbund's Förbundsbilaga for every register year, and the comparison page per year, in
    one process on warm kernels; reports whose figures did not change are not rebuilt.
    ``forbund``: only these förbund (no comparison pages, nothing removed)."""
    from .reports import forbund_build
    from .reports.forbund_figures import load_figures

    settings = ctx.settings.forbundsbilagor
    figures_dir = ctx.inputs["forbund_figures"]
    figures = load_figures(figures_dir)
    chosen = forbund or list(settings.names) or None
    formats = formats or list(settings.formats)
    synthetic = data_source(ctx, "forbundsbilaga", 0)[1]  # microdata: the demo or not, for every year alike
    from .engine import code_deps  # the report keys use DVC's own code dependencies of this stage

    reports = ctx.outputs["forbund_reports"].parent
    shown = ctx.settings.as_dict()
    shown["forbundsbilagor"] = {k: v for k, v in shown["forbundsbilagor"].items() if k == "formats"}  # not on the page
    code_files = [ctx.root / f for f in code_deps(by_command(ctx.stage), ctx.root)]
    jobs = forbund_build.plan_forbund_reports(figures, figures_dir, ctx.notebooks, reports,
                                              list(ctx.settings.register.years), chosen, formats, synthetic,
                                              ctx.settings.disclosure.min_cell_count, code_files=code_files,
                                              settings=shown)
    outcome = forbund_build.render_reports(jobs, formats, ctx.root, ctx.settings.as_dict(), settings.pool_size,
                                           use_quarto=use_quarto, force=force)
    if not forbund:
        forbund_build.remove_others(reports, jobs)
        for folder in ctx.outputs.values():  # declared outputs exist after a full run (forbundsbilagor.names
            folder.mkdir(parents=True, exist_ok=True)  # set: no comparison pages), so DVC can record it
    log.info("forbund: %d reports built, %d up to date", len(outcome.built), len(outcome.skipped))
    print(f"förbund reports: {len(outcome.built)} built, {len(outcome.skipped)} up to date")
    return ctx.outputs["forbund_reports"]


# --- the indicator surveys (issue 19): figures, the national report, the förbund reports -------------
@receives
def stage_indikator_tabeller(ctx: Context) -> Path:
    """Every year's indicator figures, changes, trends and funnel positions, through the linked
    disclosure control (data/processed/indikator/tabeller)."""
    from .derive import indikator
    from .sources.indikator import load_indicators

    names = indikator.indicator_names(load_indicators(ctx.inputs["indikator_spec"].parent))
    tables = indikator.build_indikator_tables(ctx.inputs["indikator_clean"], _disclosure(ctx), names,
                                              ctx.settings.indikator.demo)
    with atomic_dir(ctx.output) as tmp:
        indikator.save_indikator_tables(tables, tmp)
    return ctx.output


@receives
def stage_indikatorrapport(ctx: Context, formats: list[str] | None = None, out_root: Path | None = None,
                           use_quarto: bool | None = None) -> Path:
    """Execute notebooks/indikatorrapport.ipynb for one year into reports/<year>/indikatorrapport/."""
    from .reports.contract import SYNTHETIC_NOTE

    source, synthetic = data_source(ctx, "indikatorrapport", ctx.year)
    return _render_report(ctx, "indikatorrapport", {"indikator": ctx.inputs["indikator_tables"]}, source, synthetic,
                          f"Hela riket, {ctx.year}" + (SYNTHETIC_NOTE if synthetic else ""),
                          _report_formats(ctx, formats), use_quarto, out_root)


@receives
def stage_indikatorbilagor(ctx: Context, forbund: list[str] | None = None, formats: list[str] | None = None,
                           use_quarto: bool | None = None, force: bool = False) -> Path:
    """Every participating förbund's Indikatorbilaga for every year it answered, on warm kernels;
    reports whose input did not change are not rebuilt. ``forbund``: only these (nothing removed)."""
    from .engine import code_deps
    from .reports import forbund_build, indikator_build
    from .reports.indikatorrapport import load_tables

    settings = ctx.settings.indikator.bilagor
    tables = load_tables(ctx.inputs["indikator_tables"])
    fritext = indikator_build.open_answers(ctx.inputs["indikator_clean"])
    formats = formats or list(settings.formats)
    synthetic = data_source(ctx, "indikatorbilaga", 0)[1]
    reports = ctx.output.parent
    code_files = [ctx.root / f for f in code_deps(by_command(ctx.stage), ctx.root)]
    jobs = indikator_build.plan_indikator_reports(tables, fritext, ctx.notebooks, reports,
                                                  list(ctx.settings.indikator.years), forbund, formats, synthetic,
                                                  ctx.settings.disclosure.min_cell_count, code_files=code_files)
    outcome = forbund_build.render_reports(jobs, formats, ctx.root, ctx.settings.as_dict(), settings.pool_size,
                                           use_quarto=use_quarto, force=force)
    if not forbund:
        forbund_build.remove_others(reports, jobs, (indikator_build.DIR,))
    print(f"indikatorbilagor: {len(outcome.built)} built, {len(outcome.skipped)} up to date")
    return ctx.output


def appendix_years(ctx: Context) -> dict[str, list[int]]:
    """The years each appendix is built for (the index lists exactly these)."""
    return {"bilaga1": list(ctx.settings.years),
            "modeller": list(ctx.settings.register.years),
            "bilaga3": list(ctx.settings.enkat.years),
            "bilaga4": [ctx.settings.bilaga4.year],
            "indikatorrapport": list(ctx.settings.indikator.years)}


@receives
def stage_index(ctx: Context, out_root: Path | None = None) -> Path:
    """Write reports/index.html: every appendix and year the build is configured to produce."""
    from .reports.forbund_figures import slugs
    from .reports.report_index import headline_figures, write_index

    years = appendix_years(ctx)
    synthetic = {(family, y): _synthetic_or_unknown(ctx, family, y) for family, ys in years.items() for y in ys}
    forbund = slugs(forbund_for_reports(ctx)) if ctx.settings.forbundsbilagor.build else {}
    from .reports.forbund_figures import available

    indikator = available(ctx.inputs["indikator_tables"]) if ctx.settings.indikator.bilagor.build else {}
    return write_index(Path(out_root) if out_root else ctx.output.parent, years, _report_formats(ctx, None),
                       headline_figures(ctx.inputs, years, synthetic), synthetic, forbund,
                       list(ctx.settings.register.years), data_source(ctx, "forbundsbilaga", 0)[1],
                       indikator, bool(ctx.settings.indikator.demo))


def _synthetic_or_unknown(ctx: Context, family: str, year: int) -> bool | None:
    try:
        return data_source(ctx, family, year)[1]
    except (ConfigError, OSError):  # e.g. a survey year without its questionnaire: the index says "–"
        return None


@receives
def stage_enkat_demo(ctx: Context, seed: int = 2016) -> Path:
    """Write the synthetic demo export data/raw/enkat/2016/export.csv (committed; rerun only by hand)."""
    from .demo.enkat_demo import write_enkat_demo

    return write_enkat_demo(ctx.inputs["survey_raw@2016"], int(seed))


# The report notebook of each family (the registry: pipeline/core/catalogue.py, FAMILIES).
NOTEBOOKS = {family: info.notebook for family, info in FAMILIES.items()}
BILAGA1_NOTEBOOK, MODELS_NOTEBOOK, BILAGA3_NOTEBOOK, BILAGA4_NOTEBOOK = (
    NOTEBOOKS[f] for f in ("bilaga1", "modeller", "bilaga3", "bilaga4"))
CLEANING_NOTEBOOK = "enkat_rensning.ipynb"
REGISTER_NOTEBOOK = "register_rensning.ipynb"
FORBUND_NOTEBOOK = NOTEBOOKS["forbundsbilaga"]  # and NOTEBOOKS["jamforelse"] (pipeline/reports/forbund_build.py)
FORBUND_FIGURES = DATASETS["forbund_figures"].pattern


def _with_colophon(settings: tuple[str, ...], *families: str) -> tuple[str, ...]:
    """A report stage's settings and those its colophon prints (FAMILIES[family].colophon: the colophon
    reads them from the stage's settings, so they are declared with it), each once."""
    out = list(settings)
    for family in families:
        for dotted in FAMILIES[family].colophon:
            if not any(dotted == d or dotted.startswith(d + ".") for d in out):
                out.append(dotted)
    return tuple(out)


# --- the declaration --------------------------------------------------------------------------
# Order is pipeline order (a stage comes after every stage whose outputs it reads). Inputs and
# outputs are dataset names of pipeline/core/catalogue.py (name, name[*] for every year, name@YEAR).

STAGES: tuple[Stage, ...] = (
    Stage("published", stage_published,
          "check data/raw/published, write data/processed/published, reconcile derived figures",
          "finsam stage published",
          inputs=("published_raw",), settings=("reconciliation",), outputs=("published_tables",)),
    Stage("register_demo", stage_register_demo,
          "write the synthetic register exports into data/raw/register/<year>/",
          "finsam stage register_demo",
          inputs=("published_raw", "register_exports_spec", "geografi"),
          settings=("register.years", "register.demo", "register.demo_seed", "register.population_scale"),
          when="register.demo", outputs=("register_exports[*]",)),
    Stage("register", stage_register,
          "clean one year's register exports (notebooks/register_rensning.ipynb)",
          "finsam stage register --year 2022", foreach="register.years", notebook=REGISTER_NOTEBOOK,
          # every year: an insats is checked against the insats exports of all years
          inputs=("register_exports[*]", "register_exports_spec", "geografi"), settings=("register.demo",),
          outputs=("register_clean",)),
    Stage("register_tables", stage_register_tables,
          "Tabell 1–6 from the cleaned microdata, with disclosure control",
          "finsam stage register_tables",
          inputs=("register_clean[*]", "geografi"),
          settings=("disclosure", "register.years", "register.area"), outputs=("register_tables",)),
    Stage("forbund", stage_forbund,
          "every förbund's figures beside the nation's, all years in one pass (data/processed/forbund)",
          "finsam stage forbund",
          inputs=("register_clean[*]", "geografi", "register_tables"),
          settings=("disclosure", "register.years", "register.demo", "register.area"), outputs=("forbund_figures",)),
    Stage("models", stage_models,
          "descriptions and models for one year (data/processed/models/<year>)",
          "finsam stage models --year 2022", foreach="register.years",
          # every year: the standard population's year is one of them (models.standard_year)
          inputs=("register_clean[*]", "register_tables", "geografi"),
          settings=("disclosure", "register.area", "register.years"), outputs=("models",)),
    Stage("modeller", stage_modeller,
          "execute and render the model appendix for one year",
          "finsam stage modeller --year 2022 --formats html", foreach="register.years", notebook=MODELS_NOTEBOOK,
          inputs=("models",),
          settings=_with_colophon(("report.formats", "register.demo", "register.years"), "modeller"),
          outputs=("modeller_report",), options=(FORMATS,)),
    Stage("bilaga1", stage_bilaga1,
          "execute and render Bilaga 1 for one year",
          "finsam stage bilaga1 --year 2022 --source microdata", foreach="years", notebook=BILAGA1_NOTEBOOK,
          inputs=("published_tables", "register_tables"),
          settings=_with_colophon(("years", "report", "register.demo"), "bilaga1"),
          outputs=("bilaga1_report",),
          options=(FORMATS, Option("--source", "published aggregates or cleaned microdata "
                                               "(default: params.yaml report.source)", ("published", "microdata")))),
    Stage("forbundsbilagor", stage_forbundsbilagor,
          "every förbund's Förbundsbilaga for every register year and the comparison pages (warm kernels)",
          "finsam stage forbundsbilagor --forbund \"Samordningsförbund 07\"", notebook=FORBUND_NOTEBOOK,
          extra_notebooks=(NOTEBOOKS["jamforelse"],), inputs=("forbund_figures",), when="forbundsbilagor.build",
          settings=_with_colophon(("forbundsbilagor", "register.years", "register.demo"),
                                  "forbundsbilaga", "jamforelse"),
          outputs=("forbund_reports", "jamforelse_reports"),
          options=(FORMATS, FORBUND, FORCE)),
    Stage("enkat", stage_enkat,
          "clean one year's survey export (notebooks/enkat_rensning.ipynb)",
          "finsam stage enkat --year 2016", foreach="enkat.years", notebook=CLEANING_NOTEBOOK,
          inputs=("survey_raw",), outputs=("survey_clean",)),
    Stage("bilaga3", stage_bilaga3,
          "execute and render Bilaga 3 (enkät) for one survey year",
          "finsam stage bilaga3 --year 2016", foreach="enkat.years", notebook=BILAGA3_NOTEBOOK,
          # the whole survey folder: the report's colophon checksums its questionnaire input folder
          inputs=("survey_raw", "survey_clean"),
          settings=("report.formats", "enkat.years"), outputs=("bilaga3_report",), options=(FORMATS,)),
    Stage("malgrupp", stage_malgrupp,
          "Bilaga 4: check transcriptions and params.yaml, write the calculation",
          "finsam stage malgrupp",
          inputs=("published_raw",), settings=("bilaga4", "reconciliation"), outputs=("malgrupp",)),
    Stage("bilaga4", stage_bilaga4,
          "execute and render Bilaga 4 (year from params.yaml bilaga4.year)",
          "finsam stage bilaga4 --formats html,pdf", notebook=BILAGA4_NOTEBOOK,
          inputs=("malgrupp",), settings=_with_colophon(("report.formats", "bilaga4"), "bilaga4"),
          outputs=("bilaga4_report",), options=(FORMATS,)),
    Stage("indikator_demo", stage_indikator_demo,
          "write the synthetic indicator survey exports into data/raw/indikator/<year>/svar/",
          "finsam stage indikator_demo",
          inputs=("indikator_descriptions[*]", "geografi"),
          settings=("indikator.years", "indikator.demo", "indikator.demo_seed"),
          when="indikator.demo", outputs=("indikator_exports[*]", "indikator_truth")),
    Stage("indikator", stage_indikator,
          "clean one year's indicator survey exports (CSV and Excel) into data/processed/indikator/<year>/",
          "finsam stage indikator --year 2022", foreach="indikator.years",
          inputs=("indikator_spec", "indikator_descriptions[*]", "indikator_exports", "geografi"),
          settings=("indikator.years",), outputs=("indikator_clean",)),
    Stage("indikator_tabeller", stage_indikator_tabeller,
          "indicator figures of every survey year: shares, changes, trends, funnel, with disclosure control",
          "finsam stage indikator-tabeller",
          inputs=("indikator_clean[*]", "indikator_spec"), settings=("disclosure", "indikator.years", "indikator.demo"),
          outputs=("indikator_tables",)),
    Stage("indikatorrapport", stage_indikatorrapport,
          "execute and render the national Indikatorrapport for one survey year",
          "finsam stage indikatorrapport --year 2022 --formats html", foreach="indikator.years",
          notebook=NOTEBOOKS["indikatorrapport"], inputs=("indikator_tables",),
          settings=_with_colophon(("report.formats", "indikator.demo", "indikator.demo_seed"), "indikatorrapport"),
          outputs=("indikatorrapport_report",), options=(FORMATS,)),
    Stage("indikatorbilagor", stage_indikatorbilagor,
          "every participating förbund's Indikatorbilaga for every year it answered (warm kernels)",
          "finsam stage indikatorbilagor --forbund \"Samordningsförbund 07\"", notebook=NOTEBOOKS["indikatorbilaga"],
          inputs=("indikator_tables", "indikator_clean[*]"), when="indikator.bilagor.build",
          settings=_with_colophon(("indikator.bilagor", "indikator.years", "indikator.demo", "indikator.demo_seed"),
                                  "indikatorbilaga"),
          outputs=("indikatorbilaga_reports",), options=(FORMATS, FORBUND, FORCE)),
    Stage("index", stage_index,
          "write reports/index.html (every appendix and year)",
          "finsam stage index",
          inputs=("published_tables", "malgrupp", "survey_questions[*]", "survey_clean[*]",
                  "models[*]",  # the headline figures beside the links
                  "forbund_figures",  # the förbund listed (when forbundsbilagor.build)
                  "indikator_tables"),  # the indicator reports listed, with their headline figures
          settings=("years", "report", "bilaga4", "enkat.years", "register.years", "register.demo",
                    "forbundsbilagor", "indikator.years", "indikator.demo", "indikator.bilagor"),
          outputs=("index",)),
)

# Commands that are not stages of the build (they write committed demo inputs, by hand).
ENKAT_DEMO = Stage("enkat_demo", stage_enkat_demo, "write the synthetic demo export data/raw/enkat/2016/export.csv",
                   "finsam stage enkat_demo --seed 2016", inputs=("survey_raw@2016",))
MANUAL = {"enkat_demo": (stage_enkat_demo, ENKAT_DEMO.summary, ENKAT_DEMO.example)}


def by_command(command: str) -> Stage:
    for stage in (*STAGES, ENKAT_DEMO):
        if stage.name == command:
            return stage
    raise ConfigError(f"no stage named {command!r}; stages are: " + ", ".join(s.command for s in STAGES))
