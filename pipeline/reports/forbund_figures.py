"""The förbund figures the förbund reports read, and the förbund's folder names.

Kept apart from the report module (no charts, no rendering), so the index can list the förbund
without depending on how their reports are drawn.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from ..core.errors import ConfigError

FIGURES_FILE = "figures.parquet"
NATIONAL = "Riket"
# One row per figure: unit (a förbund, or "Riket"), year, measure and its breakdown; value is NaN
# where the figure is hidden (suppressed True) or where there is nothing to report.
COLUMNS = ("unit", "year", "measure", "benefit", "status", "sex", "target_group", "value", "suppressed")
MEASURES = ("deltagare", "insatser", "psykiatrisk_andel", "referensbefolkning", "tackning")


def slug(name: str) -> str:
    """A förbund's name as a folder name: ``Samordningsförbund 07`` → ``samordningsforbund-07``."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if not text:
        raise ConfigError(f"förbund name {name!r} gives no usable folder name")
    return text


def slugs(names: list[str]) -> dict[str, str]:
    """Folder names for every förbund; two names that would share a folder stop the build."""
    out: dict[str, str] = {}
    for name in names:
        s = slug(name)
        if s in out.values():
            other = next(k for k, v in out.items() if v == s)
            raise ConfigError(f"förbund {other!r} and {name!r} would share the report folder {s!r}; rename one")
        out[name] = s
    return out


def load_figures(folder: str | Path) -> pd.DataFrame:
    """The disclosed figures (:data:`COLUMNS`) from ``folder``; a missing column is a clear error."""
    path = Path(folder) / FIGURES_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: no förbund figures (run the stage that builds them first)")
    frame = pd.read_parquet(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: column(s) {', '.join(missing)} missing; expected {', '.join(COLUMNS)}")
    return frame


UNIT_FILE = "unit.json"


def write_unit(folder: Path, figures: pd.DataFrame, unit: str, threshold: int) -> Path:
    """A förbund report's own input: its förbund's and the nation's figures of the year, and which
    förbund it is with the disclosure threshold the report states."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    figures.to_parquet(folder / FIGURES_FILE, index=False)
    (folder / UNIT_FILE).write_text(json.dumps({"unit": unit, "min_cell_count": int(threshold)}, ensure_ascii=False)
                                    + "\n", encoding="utf-8")
    return folder


def read_unit(folder: str | Path) -> tuple[str, int]:
    """(förbund, threshold) of a folder written by :func:`write_unit`."""
    import json

    path = Path(folder) / UNIT_FILE
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        return str(spec["unit"]), int(spec["min_cell_count"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a förbund report's input ({type(exc).__name__}: {exc})") from None


def units(figures: pd.DataFrame) -> list[str]:
    """The förbund in the figures, sorted (the nation excluded)."""
    return sorted(u for u in figures["unit"].unique() if u != NATIONAL)


