"""Project paths and settings (params.yaml), in one place."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .catalogue import DATASETS, PROCESSED, RAW, REPORTS
from .errors import ConfigError, YearNotAvailableError

PARAMS_FILE = "params.yaml"


def find_root(start: str | Path | None = None) -> Path:
    """The project root: $FINSAM_ROOT, else the nearest folder upwards holding params.yaml."""
    env = os.environ.get("FINSAM_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PARAMS_FILE).is_file():
            return folder
    raise ConfigError(f"no {PARAMS_FILE} found in {here} or any folder above it; set FINSAM_ROOT")


@dataclass(frozen=True)
class Project:
    """Paths of one checkout. Everything else derives from ``root``."""

    root: Path

    @classmethod
    def discover(cls, start: str | Path | None = None) -> "Project":
        return cls(find_root(start))

    # The top folders and two datasets by their catalogue paths (pipeline/core/catalogue.py), for
    # tests and scripts; stages receive their paths instead.
    @property
    def raw(self) -> Path:
        return self.root / RAW

    @property
    def published_raw(self) -> Path:
        return DATASETS["published_raw"].path(self.root)

    @property
    def processed(self) -> Path:
        return self.root / PROCESSED

    @property
    def published_processed(self) -> Path:
        return DATASETS["published_tables"].path(self.root)

    @property
    def bilaga4_processed(self) -> Path:
        return DATASETS["malgrupp"].path(self.root)

    @property
    def reports(self) -> Path:
        return self.root / REPORTS

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @cached_property
    def params(self) -> dict[str, Any]:
        return load_params(self.root / PARAMS_FILE)

    @cached_property
    def settings(self) -> "Params":
        """params.yaml as the typed settings object (read and checked once)."""
        return parse_settings(self.params, self.root / PARAMS_FILE)

    @property
    def years(self) -> list[int]:
        return list(self.settings.years)


def load_params(path: str | Path) -> dict[str, Any]:
    from .io import read_yaml

    path = Path(path)
    params = read_yaml(path) or {}  # unreadable, not UTF-8 or not YAML: one line with line and column
    validate_params(params, path)
    return params


# ---------------------------------------------------------------- params.yaml schema
# Every section and setting of params.yaml, typed strictly (a number written as text is refused,
# never converted), each with its one default. A key the model does not know is an error naming it,
# with the closest known key as a suggestion. Checks that need data (a förbund name exists, a year
# has data) are made by the stage that has the data; bilaga4's ranges by malgrupp.parse_assumptions.
Year = Annotated[int, Field(ge=1, le=9999, strict=True)]  # whether a year has data is checked by each stage
MIN_CELL_COUNT = 3  # the smallest disclosure threshold params.yaml may set


# A field's ``title`` is its Swedish label where a report prints the setting (the colophon:
# pipeline/reports/colophon.py, which settings per family: catalogue.FAMILIES[...].colophon).
DEMO_SEED = "Slumpfrö för demodata"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ReportParams(_Section):
    source: Literal["published", "microdata"] = Field("published", title="Datakälla för tabellerna")
    formats: list[Literal["html", "pdf", "docx"]] = Field(default_factory=lambda: ["html", "pdf"], min_length=1)
    # The web address the reports folder is published at (the folder holding index.html): links
    # inside PDF and Word files are absolute under it; empty: those files say so in plain words.
    base_url: str = Field("", pattern=r"^(https?://\S+)?$")


class DisclosureParams(_Section):
    """``min_cell_count``: counts below it are hidden; ``protection_interval``: the narrowest range
    (persons) a hidden count may be pinned to from everything published (default: the threshold).
    An interval below the threshold is refused unless ``allow_protection_below_threshold: true``
    says it is meant (docs/assumptions_caveats.md)."""

    min_cell_count: int = Field(5, title="Minsta antal i en redovisad cell")
    protection_interval: int | None = None  # None: min_cell_count
    allow_protection_below_threshold: bool = False

    @field_validator("min_cell_count", mode="before")
    @classmethod
    def _threshold(cls, value: Any) -> Any:
        if not isinstance(value, int) or isinstance(value, bool) or value < MIN_CELL_COUNT:
            raise ValueError(f"disclosure.min_cell_count must be a whole number of at least {MIN_CELL_COUNT}, "
                             f"got {value!r}")
        return value

    @field_validator("protection_interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> Any:
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f"disclosure.protection_interval must be a whole number of at least 1, got {value!r}")
        return value

    @model_validator(mode="after")
    def _interval_covers_threshold(self) -> "DisclosureParams":
        if (self.protection_interval is not None and self.protection_interval < self.min_cell_count
                and not self.allow_protection_below_threshold):
            raise ValueError(f"disclosure.protection_interval ({self.protection_interval}) is below "
                             f"disclosure.min_cell_count ({self.min_cell_count}): a hidden count could be pinned "
                             f"more narrowly than the threshold hides; raise it, or set "
                             f"disclosure.allow_protection_below_threshold: true if that is meant")
        return self

    @property
    def protection(self) -> int:
        return self.min_cell_count if self.protection_interval is None else self.protection_interval


class ReconciliationParams(_Section):
    rounding_slack: float = Field(0.5, ge=0, le=5,
                                  title="Avrundningsmarginal i avstämningen (enheter i sista siffran)")


class RegisterParams(_Section):
    years: list[Year] = Field(default_factory=list)
    demo: bool = False
    demo_seed: int = Field(2022, ge=0, title=DEMO_SEED)
    population_scale: float = Field(1.0, gt=0, le=1)
    area: list[str] = Field(default_factory=list)


class _ReportBatchParams(_Section):
    """A batch of reports per förbund and year on warm kernels: whether to build it, its formats
    (html always) and how many kernels."""

    _section: ClassVar[str]
    build: bool = True
    formats: list[Literal["html", "pdf", "docx"]] = Field(default_factory=lambda: ["html"], min_length=1)
    pool_size: int = Field(2, ge=1)

    @field_validator("formats")
    @classmethod
    def _html_always(cls, value: list[str]) -> list[str]:
        if "html" not in value:
            raise ValueError(f"{cls._section}.formats must list html (and any of pdf, docx), got {value!r}")
        return value


class ForbundsbilagorParams(_ReportBatchParams):
    _section: ClassVar[str] = "forbundsbilagor"
    names: list[str] = Field(default_factory=list)


class EnkatParams(_Section):
    years: list[Year] = Field(default_factory=list)


class IndikatorBilagorParams(_ReportBatchParams):
    """The Indikatorbilagor (one per participating förbund and year it answered)."""

    _section: ClassVar[str] = "indikator.bilagor"


class IndikatorParams(_Section):
    """The annual indicator questionnaires (data/raw/indikator/<year>/enkater.yaml)."""

    years: list[Year] = Field(default_factory=list)
    demo: bool = False
    demo_seed: int = Field(2017, ge=0, title=DEMO_SEED)
    bilagor: IndikatorBilagorParams = Field(default_factory=IndikatorBilagorParams)


class Bilaga4Group(_Section):
    base: float | None = None  # required, and in range: malgrupp.parse_assumptions says so with the group's name
    share_pct: float | None = None
    round_to: int = 1
    range_pct: list[float] | None = None
    range_note: str = ""


class Bilaga4Params(_Section):
    year: Year = 2016
    area: str = Field("Hela riket", title="Område")
    population: float | None = Field(None, title="Befolkning i arbetsför ålder")
    population_label: str = "befolkningen"
    benchmarks_pct: list[float] = Field(default_factory=list)
    groups: dict[str, Bilaga4Group] = Field(default_factory=dict)


class Params(_Section):
    years: list[Year] = Field(min_length=1)
    report: ReportParams = Field(default_factory=ReportParams)
    disclosure: DisclosureParams = Field(default_factory=DisclosureParams)
    reconciliation: ReconciliationParams = Field(default_factory=ReconciliationParams)
    register_: RegisterParams = Field(default_factory=RegisterParams, alias="register")
    forbundsbilagor: ForbundsbilagorParams = Field(default_factory=ForbundsbilagorParams)
    enkat: EnkatParams = Field(default_factory=EnkatParams)
    indikator: IndikatorParams = Field(default_factory=IndikatorParams)
    bilaga4: Bilaga4Params = Field(default_factory=Bilaga4Params)

    @property
    def register(self) -> RegisterParams:  # type: ignore[override]  # the field is register_ (BaseModel has a register)
        return self.register_


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(model, keyed): the settings model a field holds, directly or as the values of a mapping."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    args = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is dict and len(args) == 2:
        model, _ = _model_of(args[1])
        return model, True
    return None, False


def setting_label(dotted: str) -> str:
    """A setting's Swedish label (its field's ``title``) by its dotted key as params.yaml spells it
    (``disclosure.min_cell_count``); an unknown setting or one without a label is a ConfigError."""
    model: type[BaseModel] | None = Params
    info = None
    for part in dotted.split("."):
        fields = {(i.alias or n): i for n, i in model.model_fields.items()} if model is not None else {}
        if part not in fields:
            raise ConfigError(f"no setting {dotted} in params.yaml's settings model")
        info = fields[part]
        model, _ = _model_of(info.annotation)
    if info is None or not info.title:
        raise ConfigError(f"the setting {dotted} has no Swedish label (its Field title) for the reports")
    return info.title


def _unknown_keys(params: dict[str, Any], model: type[BaseModel], prefix: str, path: Path) -> None:
    """Every key must be a setting of ``model``: else one line naming it, with the nearest setting."""
    fields = {(info.alias or name): info for name, info in model.model_fields.items()}
    for key, value in params.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            hint = f"did you mean {prefix}{close[0]}?" if close else \
                f"known: {', '.join(prefix + k for k in fields)}"
            raise ConfigError(f"{path}: unknown setting {prefix}{key} ({hint})")
        sub, keyed = _model_of(fields[key].annotation)
        if sub is not None and isinstance(value, dict):
            for name, item in (value.items() if keyed else [(None, value)]):
                if isinstance(item, dict):
                    _unknown_keys(item, sub, f"{prefix}{key}." + (f"{name}." if keyed else ""), path)


def _checked(model: type[BaseModel], params: dict[str, Any], prefix: str, path: Path) -> Any:
    _unknown_keys(params, model, prefix, path)
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        error = exc.errors()[0]
        if error["type"] == "value_error":  # our own rule: the message names the setting already
            raise ConfigError(f"{path}: {error['ctx']['error']}") from None
        where = prefix + ".".join(str(part) for part in error["loc"])
        got = error.get("input")
        shown = "nothing" if error["type"] == "missing" else repr(got)
        raise ConfigError(f"{path}: {where}: {error['msg'][0].lower()}{error['msg'][1:]}, got {shown}") from None


def disclosure_settings(section: Any, path: str | Path = PARAMS_FILE) -> DisclosureParams:
    """params.yaml's ``disclosure`` section alone, checked as in :func:`parse_settings`."""
    if section is None:
        return DisclosureParams()
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: disclosure must be a mapping with min_cell_count, got {section!r}")
    return _checked(DisclosureParams, section, "disclosure.", Path(path))


def parse_settings(params: Any, path: str | Path = PARAMS_FILE) -> Params:
    """params.yaml's mapping as the typed settings; the first problem is one line naming the
    setting, the rule and the value."""
    path = Path(path)
    if not isinstance(params, dict):
        raise ConfigError(f"{path}: must be a mapping of settings, got {type(params).__name__}")
    checked = _checked(Params, params, "", path)
    for name, years in (("years", checked.years), ("register.years", checked.register_.years),
                        ("enkat.years", checked.enkat.years), ("indikator.years", checked.indikator.years)):
        if len(set(years)) != len(years):
            raise ConfigError(f"{path}: {name} lists a year twice: {years}")
    return checked


def validate_params(params: Any, path: str | Path = PARAMS_FILE) -> None:
    """Check params.yaml (see :func:`parse_settings`)."""
    parse_settings(params, path)


def validate_year(year: object, available: list[int], what: str = "data") -> int:
    """Return ``year`` as int if it is one of ``available``; otherwise one clear error."""
    try:
        as_int = int(str(year).strip())
    except ValueError:
        raise YearNotAvailableError(year, available, what) from None
    if as_int not in set(available):
        raise YearNotAvailableError(year, available, what)
    return as_int


class SettingsSlice:
    """The settings a stage declared, read from the typed settings object and nothing more.

    ``slice.register.years`` works when the stage declares ``register`` or ``register.years``;
    reading a setting the stage did not declare is an error naming the stage and the setting, so
    what a stage reads is exactly what DVC tracks for it (its ``params``).
    """

    def __init__(self, model: BaseModel, declared: tuple[str, ...], stage: str, prefix: str = ""):
        self._model, self._declared, self._stage, self._prefix = model, tuple(declared), stage, prefix

    def _field(self, name: str) -> Any:
        for attr in (name, name + "_"):
            if attr in type(self._model).model_fields:
                return getattr(self._model, attr)
        raise AttributeError(f"no setting {self._prefix}{name}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        dotted = self._prefix + name
        value = self._field(name)
        if any(dotted == d or dotted.startswith(d + ".") for d in self._declared):
            return value
        if isinstance(value, BaseModel) and any(d.startswith(dotted + ".") for d in self._declared):
            return SettingsSlice(value, self._declared, self._stage, dotted + ".")
        raise ConfigError(f"stage {self._stage} reads the setting {dotted} but does not declare it "
                          f"(add it to the stage's settings in pipeline/stages.py)")

    def get(self, dotted: str) -> Any:
        """A declared setting by dotted key (``disclosure.min_cell_count``)."""
        value: Any = self
        for part in dotted.split("."):
            value = getattr(value, part)
        return value

    def as_dict(self) -> dict[str, Any]:
        """The declared settings as params.yaml spells them (nested, JSON-ready: a notebook's parameter)."""
        out: dict[str, Any] = {}
        for dotted in self._declared:
            if self._prefix and not dotted.startswith(self._prefix):
                continue
            value = self.get(dotted[len(self._prefix):])
            if isinstance(value, BaseModel):
                value = value.model_dump(by_alias=True, mode="json")
            node = out
            parts = dotted[len(self._prefix):].split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        return out
