"""Project paths and settings (params.yaml), in one place."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

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

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def published_raw(self) -> Path:
        return self.raw / "published"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def published_processed(self) -> Path:
        return self.processed / "published"

    @property
    def bilaga4_processed(self) -> Path:
        return self.processed / "bilaga4"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @cached_property
    def params(self) -> dict[str, Any]:
        return load_params(self.root / PARAMS_FILE)

    @property
    def years(self) -> list[int]:
        return list(self.params["years"])


def load_params(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    validate_params(params, path)
    return params


# ---------------------------------------------------------------- params.yaml schema
# One model per section this module knows; a section's other settings are checked where they are
# used (bilaga4: malgrupp.parse_assumptions; disclosure: the disclosure layer). A key that is not
# known but looks like a known one (a typo) is an error; other keys are left to their owners.
Year = Annotated[int, Field(ge=1, le=9999, strict=True)]  # whether a year has data is checked by each stage


class _Section(BaseModel):
    model_config = ConfigDict(extra="allow")


class ReportParams(_Section):
    source: Literal["published", "microdata"] = "published"
    formats: list[Literal["html", "pdf", "docx"]] = Field(default_factory=lambda: ["html", "pdf"], min_length=1)


class ReconciliationParams(_Section):
    rounding_slack: float = Field(0.5, ge=0, le=5)


class RegisterParams(_Section):
    years: list[Year] = Field(default_factory=list)
    demo: StrictBool = False
    demo_seed: int = Field(2022, strict=True, ge=0)
    population_scale: float = Field(1.0, gt=0, le=1)


class EnkatParams(_Section):
    years: list[Year] = Field(default_factory=list)


class IndikatorBilagorParams(_Section):
    """The Indikatorbilagor (one per participating förbund and year)."""

    build: StrictBool = True
    formats: list[Literal["html", "pdf", "docx"]] = Field(default_factory=lambda: ["html"], min_length=1)
    pool_size: int = Field(2, strict=True, ge=1)


class IndikatorParams(_Section):
    """The annual indicator questionnaires (data/raw/indikator/<year>/enkater.yaml)."""

    years: list[Year] = Field(default_factory=list)
    demo: StrictBool = False
    demo_seed: int = Field(2017, strict=True, ge=0)
    bilagor: IndikatorBilagorParams = Field(default_factory=IndikatorBilagorParams)


class Params(_Section):
    years: list[Year] = Field(min_length=1)
    report: ReportParams = Field(default_factory=ReportParams)
    reconciliation: ReconciliationParams = Field(default_factory=ReconciliationParams)
    register_: RegisterParams = Field(default_factory=RegisterParams, alias="register")
    enkat: EnkatParams = Field(default_factory=EnkatParams)
    indikator: IndikatorParams = Field(default_factory=IndikatorParams)


_OTHER_SECTIONS = ("disclosure", "bilaga4")  # checked by their owners; named here so typos are caught


def _typos(params: dict[str, Any], model: type[BaseModel], prefix: str, path: Path) -> None:
    fields = {(info.alias or name): info for name, info in model.model_fields.items()}
    known = list(fields) + (list(_OTHER_SECTIONS) if model is Params else [])
    for key, value in params.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.75)
            if close:
                raise ConfigError(f"{path}: unknown setting {prefix}{key} (did you mean {prefix}{close[0]}?)")
        elif isinstance(value, dict) and key in fields:
            sub = fields[key].annotation
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                _typos(value, sub, f"{prefix}{key}.", path)


def validate_params(params: Any, path: str | Path = PARAMS_FILE) -> None:
    """Check params.yaml; the first problem is one line naming the setting, the rule and the value."""
    path = Path(path)
    if not isinstance(params, dict):
        raise ConfigError(f"{path}: must be a mapping of settings, got {type(params).__name__}")
    try:
        checked = Params.model_validate(params)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        got = error.get("input")
        shown = "nothing" if error["type"] == "missing" else repr(got)
        raise ConfigError(f"{path}: {where}: {error['msg'][0].lower()}{error['msg'][1:]}, got {shown}") from None
    _typos(params, Params, "", path)
    for name, years in (("years", checked.years), ("register.years", checked.register_.years),
                        ("enkat.years", checked.enkat.years), ("indikator.years", checked.indikator.years)):
        if len(set(years)) != len(years):
            raise ConfigError(f"{path}: {name} lists a year twice: {years}")


def section_years(params: dict[str, Any], section: str) -> list[int]:
    """``params[section]["years"]``, checked: a list of whole years (empty if the section is absent)."""
    years = (params.get(section) or {}).get("years", [])
    if not isinstance(years, list) or not all(isinstance(y, int) and not isinstance(y, bool) for y in years):
        raise ConfigError(f"{PARAMS_FILE}: {section}.years must be a list of years, got {years!r}")
    return list(years)


def validate_year(year: object, available: list[int], what: str = "data") -> int:
    """Return ``year`` as int if it is one of ``available``; otherwise one clear error."""
    try:
        as_int = int(str(year).strip())
    except ValueError:
        raise YearNotAvailableError(year, available, what) from None
    if as_int not in set(available):
        raise YearNotAvailableError(year, available, what)
    return as_int
