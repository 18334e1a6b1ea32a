"""The catalogue of data: every dataset the pipeline reads or writes, named once.

A dataset has a name, a path pattern relative to the project root and a format. A pattern may
hold ``{year}``; ``years`` then names the params.yaml setting whose value(s) the year ranges over
(a list such as ``register.years``, or one year such as ``bilaga4.year``). Stage declarations
(:mod:`pipeline.stages`) refer to datasets by name, never by path:

- ``"register_clean"``: the one year of a single-year setting (``bilaga4.year``); else, in a
  stage repeated over years (``foreach``), the item's year;
- ``"register_clean[*]"``: every year of the dataset's setting (the stage receives ``{year: path}``);
- ``"register_clean@2022"``: one fixed year.

The engine (:mod:`pipeline.engine`) expands these references for ``dvc.yaml`` and resolves them
to paths for the stage function and its notebook; nothing else spells a path under ``data/`` or
``reports/`` (a test looks for such literals in ``pipeline/`` and ``notebooks/``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class Dataset:
    name: str
    pattern: str  # relative to the project root; may hold {year}
    format: str  # what is there, in words (shown in docs/architecture.md's table)
    years: str | None = None  # the params.yaml setting {year} ranges over

    def path(self, root: Path, year: Any = None) -> Path:
        return Path(root) / self.relative(year)

    def relative(self, year: Any = None) -> str:
        if "{year}" in self.pattern:
            if year is None:
                raise ConfigError(f"dataset {self.name} ({self.pattern}) needs a year")
            return self.pattern.format(year=year)
        return self.pattern


# The three top folders; every dataset lies in one of them.
RAW, PROCESSED, REPORTS = "data/raw", "data/processed", "reports"


def _d(name: str, pattern: str, fmt: str, years: str | None = None) -> Dataset:
    return Dataset(name, pattern, fmt, years)


# Every dataset, raw inputs first. The order is the order of docs/architecture.md's table.
DATASETS: dict[str, Dataset] = {d.name: d for d in (
    # raw inputs (never written by code, except the demo generators)
    _d("published_raw", f"{RAW}/published", "CSV tables transcribed from the source documents, sources.csv"),
    _d("register_exports_spec", f"{RAW}/register/exports.yaml", "YAML: every export's columns, types and rules"),
    _d("register_exports", f"{RAW}/register/{{year}}", "CSV exports of one year (SUS, insatser, benefit register)",
       "register.years"),
    _d("geografi", f"{RAW}/geografi", "CSV: kommun codes and the förbund–kommun mapping"),
    _d("survey_raw", f"{RAW}/enkat/{{year}}", "one survey year: fragor.yaml and the export it names", "enkat.years"),
    _d("survey_questions", f"{RAW}/enkat/{{year}}/fragor.yaml", "YAML: the questionnaire description", "enkat.years"),
    _d("indikator_spec", f"{RAW}/indikator/indikatorer.yaml", "YAML: the indicators and their measurement points"),
    _d("indikator_descriptions", f"{RAW}/indikator/{{year}}/enkater.yaml",
       "YAML: one year's indicator questionnaires (columns, questions, scales, changes)", "indikator.years"),
    _d("indikator_exports", f"{RAW}/indikator/{{year}}/svar",
       "CSV and .xlsx: one year's indicator survey exports (the demo's are written by indikator_demo)",
       "indikator.years"),
    _d("indikator_truth", f"{RAW}/indikator/sanning.json", "JSON: what the indicator demo planted (demo only)"),
    # processed data
    _d("published_tables", f"{PROCESSED}/published", "Parquet + CSV: the checked tables and reconciliation"),
    _d("register_clean", f"{PROCESSED}/register/{{year}}", "Parquet: one year's cleaned, pseudonymised register",
       "register.years"),
    _d("register_tables", f"{PROCESSED}/register/tabeller", "Parquet: Tabell 1–6 from microdata, disclosure-controlled"),
    _d("forbund_figures", f"{PROCESSED}/forbund", "Parquet + CSV: every förbund's figures beside the nation's"),
    _d("models", f"{PROCESSED}/models/{{year}}", "Parquet + CSV: one year's tidy model estimates", "register.years"),
    _d("survey_clean", f"{PROCESSED}/enkat/{{year}}", "Parquet + CSV: one cleaned survey year", "enkat.years"),
    _d("indikator_clean", f"{PROCESSED}/indikator/{{year}}",
       "Parquet + CSV: one cleaned year of the indicator surveys (svar, respondenter, fritext, karantan, …)",
       "indikator.years"),
    _d("indikator_tables", f"{PROCESSED}/indikator/tabeller",
       "Parquet + CSV: indicator shares, changes, trends and funnel, every year, disclosure-controlled"),
    _d("malgrupp", f"{PROCESSED}/bilaga4", "Parquet + CSV: Bilaga 4's assumptions, calculation, sensitivity"),
    # reports
    _d("bilaga1_report", f"{REPORTS}/{{year}}/bilaga1", "report folder: HTML, PDF, DOCX, executed notebook", "years"),
    _d("modeller_report", f"{REPORTS}/{{year}}/modeller", "report folder: HTML, PDF, DOCX, executed notebook",
       "register.years"),
    _d("bilaga3_report", f"{REPORTS}/{{year}}/bilaga3", "report folder: HTML, PDF, DOCX, executed notebook", "enkat.years"),
    _d("bilaga4_report", f"{REPORTS}/{{year}}/bilaga4", "report folder: HTML, PDF, DOCX, executed notebook", "bilaga4.year"),
    _d("forbund_reports", f"{REPORTS}/forbund", "one report folder per förbund and year"),
    _d("jamforelse_reports", f"{REPORTS}/jamforelse", "one comparison page folder per year"),
    _d("indikatorrapport_report", f"{REPORTS}/{{year}}/indikatorrapport",
       "report folder: HTML, PDF, DOCX, executed notebook", "indikator.years"),
    _d("indikatorbilaga_reports", f"{REPORTS}/indikator", "one Indikatorbilaga folder per förbund and year it answered"),
    _d("index", f"{REPORTS}/index.html", "HTML: every appendix and year on one page"),
)}

# A reference to a dataset in a stage declaration: name, name[*], name@YEAR.
_REF = re.compile(r"^(?P<name>[a-z0-9_]+)(?:(?P<all>\[\*\])|@(?P<year>\d{4}))?$")


@dataclass(frozen=True)
class Ref:
    """One parsed reference: ``every`` (all years) or a fixed ``year``, else the stage's own year."""

    name: str
    every: bool = False
    year: int | None = None

    @property
    def dataset(self) -> Dataset:
        return DATASETS[self.name]


def ref(text: str) -> Ref:
    """Parse a reference; an unknown dataset is one line with a suggestion."""
    import difflib

    match = _REF.match(text)
    name = match.group("name") if match else text
    if not match or name not in DATASETS:
        close = difflib.get_close_matches(name, list(DATASETS), n=1)
        raise ConfigError(f"unknown dataset {text!r} in the stage list" + (f" (did you mean {close[0]!r}?)" if close else "")
                          + "; datasets are named in pipeline/core/catalogue.py")
    return Ref(name, bool(match.group("all")), int(match.group("year")) if match.group("year") else None)


def lookup(params: dict[str, Any], dotted: str) -> Any:
    """A params.yaml value by dotted key (the raw mapping: what DVC reads too)."""
    value: Any = params
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise ConfigError(f"params.yaml: {dotted} is needed by the stage list but is not set")
        value = value[part]
    return value


def years_of(dataset: Dataset, params: dict[str, Any]) -> list[Any]:
    """The years a dataset exists for under these params (one value for a single-year setting)."""
    if dataset.years is None:
        return []
    value = lookup(params, dataset.years)
    return list(value) if isinstance(value, list) else [value]


def expand(text: str, params: dict[str, Any], foreach: str | None, item: Any = None) -> dict[Any, str] | str:
    """A reference as relative path(s): ``{year: path}`` for ``name[*]``, else one path.

    ``item`` is the stage's own year (None while only the pattern is wanted: then a per-item
    reference keeps DVC's ``${item}``)."""
    r = ref(text)
    d = r.dataset
    if "{year}" not in d.pattern:
        return d.pattern
    if r.year is not None:
        return d.relative(r.year)
    if r.every:
        return {y: d.relative(y) for y in years_of(d, params)}
    if d.years is not None and not isinstance(lookup(params, d.years), list):
        return d.relative(lookup(params, d.years))  # a single-year setting such as bilaga4.year
    if foreach:
        return d.relative("${item}" if item is None else item)
    raise ConfigError(f"dataset reference {text!r}: {d.pattern} needs a year; write {d.name}[*] for every year "
                      f"or {d.name}@YEAR, or repeat the stage over {d.years}")


def relative_paths(refs: tuple[str, ...], params: dict[str, Any], foreach: str | None, item: Any = None) -> list[str]:
    """Every path the references stand for, in declaration order (for dvc.yaml and the engine)."""
    out: list[str] = []
    for text in refs:
        value = expand(text, params, foreach, item)
        out.extend(value.values() if isinstance(value, dict) else [value])
    return out


def resolve(refs: tuple[str, ...], root: Path, params: dict[str, Any], foreach: str | None,
            item: Any) -> dict[str, Path | dict[Any, Path]]:
    """``{dataset name: absolute path}`` (``{year: path}`` for ``name[*]``; ``name@YEAR`` is
    keyed ``name@YEAR``), as a stage receives its inputs and outputs."""
    root = Path(root).resolve()
    out: dict[str, Path | dict[Any, Path]] = {}
    for text in refs:
        r = ref(text)
        value = expand(text, params, foreach, item)
        key = text if r.year is not None else r.name
        if key in out:
            raise ConfigError(f"dataset {r.name} is declared twice in one stage ({', '.join(refs)})")
        out[key] = {y: root / p for y, p in value.items()} if isinstance(value, dict) else root / value
    return out


# --- what a stage receives --------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """What the engine hands a stage function: its resolved inputs and outputs (absolute paths,
    keyed by dataset name; ``{year: path}`` for ``name[*]``), its slice of the typed settings,
    its year (``foreach`` stages) and where the project's notebooks are. A stage reads nothing else."""

    stage: str
    root: Path
    year: Any
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    settings: Any  # pipeline.core.config.SettingsSlice
    notebook: Path | None = None  # the stage's notebook, if it has one

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def output(self) -> Path:
        """The stage's first (usually only) output."""
        return next(iter(self.outputs.values()))


# --- report families ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """One report family, listed once: what the index and page header say about it (``title``,
    ``description``: Swedish), its notebook, where its numbers come from (``source``: published,
    microdata or survey; None: the setting ``report.source``), the module holding its
    ``contract.Appendix`` class (warmed in the kernels) and its report folder (a dataset above,
    None for the families the förbund stage lays out itself)."""

    title: str
    description: str
    notebook: str
    source: str | None
    module: str
    report: str | None = None
    # The settings the colophon prints (dotted params.yaml keys, in order; labels from the settings
    # model, core/config.py) and, where the report words one for its own content, that label.
    colophon: tuple[str, ...] = ()
    colophon_labels: tuple[tuple[str, str], ...] = ()


# What the colophon prints for reports counted from the register's microdata and from the surveys' answers.
_MICRODATA = ("disclosure.min_cell_count", "register.demo_seed")
_SURVEY = ("disclosure.min_cell_count", "indikator.demo_seed")
_SURVEY_LABELS = (("disclosure.min_cell_count", "Minsta antal svar i en redovisad uppgift"),)

# Every report family, in the order the index lists them; the index, the colophon's data source, the
# kernels' preload, the stage list's notebooks and the tests read this. The description says nothing
# about synthetic data: the index adds that from the same decision the report itself was given.
FAMILIES: dict[str, Family] = {
    "bilaga1": Family("Bilaga 1 Tabeller",
                      "Deltagare och insatser i SUS, tabell 1–6, med avstämning mot publicerade uppgifter",
                      "bilaga1.ipynb", None, "pipeline.reports.bilaga1", "bilaga1_report",
                      colophon=("report.source", "reconciliation.rounding_slack", "disclosure.min_cell_count")),
    "modeller": Family("Modellbilaga",
                       "Deltagare jämförda med alla med samma ersättning: sammansättning, deltagandemodell, "
                       "trend och utfall jämfört med viktade övriga",
                       "modeller.ipynb", "microdata", "pipeline.reports.modellbilaga", "modeller_report",
                       colophon=_MICRODATA),
    "bilaga3": Family("Bilaga 3 Enkätresultat",
                      "Enkät till förbundschefer, ordförande och vice ordförande: svarsfrekvens och alla "
                      "frågor per grupp",
                      "bilaga3.ipynb", "survey", "pipeline.reports.bilaga3", "bilaga3_report"),
    "bilaga4": Family("Bilaga 4 Målgruppens storlek",
                      "Hur många som kan behöva samordnad rehabilitering: uppskattning med ändringsbara "
                      "antaganden, känslighetsanalys och avstämning mot förstudien",
                      "bilaga4.ipynb", "published", "pipeline.reports.bilaga4", "bilaga4_report",
                      colophon=("bilaga4.area", "bilaga4.population", "reconciliation.rounding_slack")),
    # Per förbund and year (reports/forbund/<förbund>/<year>/) and all förbund per year
    # (reports/jamforelse/<year>/); the index lists them in a section of their own.
    "forbundsbilaga": Family("Förbundsbilaga",
                             "Deltagare, insatser, psykiatrisk diagnos och täckning i ett samordningsförbund, "
                             "jämförda med riket",
                             "forbundsbilaga.ipynb", "microdata", "pipeline.reports.forbundsbilaga",
                             colophon=_MICRODATA),
    "jamforelse": Family("Förbunden sida vid sida",
                         "Täckning per förbund mot referensbefolkningens storlek: trattdiagram och tabell",
                         "forbund_jamforelse.ipynb", "microdata", "pipeline.reports.forbundsbilaga",
                         colophon=_MICRODATA),
    "indikatorrapport": Family("Indikatorrapport",
                               "Indikatorenkäterna: deltagande förbund, alla indikatorer per svarsgrupp med "
                               "intervall, trend sedan första året och tydliga förändringar",
                               "indikatorrapport.ipynb", "survey", "pipeline.reports.indikatorrapport",
                               "indikatorrapport_report", colophon=_SURVEY, colophon_labels=_SURVEY_LABELS),
    # Per participating förbund and year (reports/indikator/<förbund>/<year>/), listed in a section of its own.
    "indikatorbilaga": Family("Indikatorbilaga",
                              "Ett förbunds indikatorer jämförda med rikets, förbundets egen trend, jämförelsen "
                              "med andra förbund och förbundets öppna svar",
                              "indikatorbilaga.ipynb", "survey", "pipeline.reports.indikatorrapport",
                              colophon=_SURVEY, colophon_labels=_SURVEY_LABELS),
}
