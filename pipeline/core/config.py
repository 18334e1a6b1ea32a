"""Project paths and settings (params.yaml), in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

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
    years = params.get("years")
    if not isinstance(years, list) or not years or not all(isinstance(y, int) for y in years):
        raise ConfigError(f"{path}: 'years' must be a non-empty list of whole years, got {years!r}")
    return params


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
