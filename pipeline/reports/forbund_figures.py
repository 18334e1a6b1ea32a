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
NATIONAL = "Hela riket"  # as the förbund stage names the nation (docs/architecture.md)
# One row per figure: unit (a förbund, or "Riket"), year, measure and its breakdown; value is NaN
# where the figure is hidden (suppressed True) or where there is nothing to report.
COLUMNS = ("unit", "year", "measure", "benefit", "status", "sex", "target_group", "value", "suppressed")
MEASURES = ("deltagare", "insatser", "psykiatrisk_andel", "referensbefolkning", "tackning", "tratt_lage",
            "tratt_tau2", "tratt_utover_slump", "boende_deltagare", "forvantade_deltagare", "standardkvot",
            "standardkvot_nedre", "standardkvot_ovre", "standardkvot_grans_nedre", "standardkvot_grans_ovre",
            "standardkvot_utover_slump", "standardkvot_modell")
# The funnel plot's flag of the förbund stage (pipeline/derive/forbund.py) as a number: the position
# is the stage's, computed once; the reports only label it.
FUNNEL_CODES = {"below_998": -2.0, "below_95": -1.0, "within": 0.0, "above_95": 1.0, "above_998": 2.0}
# The adjusted comparison (pipeline/derive/forbund_model.py): its columns as measures.
# limit_low/limit_high: the control limits for the ratio that allow for the ordinary spread between
# förbund; beyond_chance: the share of the spread between förbund that is more than chance (0–1).
STANDARDISED = {"observed": "boende_deltagare", "expected": "forvantade_deltagare", "ratio": "standardkvot",
                "ci_low": "standardkvot_nedre", "ci_high": "standardkvot_ovre", "limit_low": "standardkvot_grans_nedre",
                "limit_high": "standardkvot_grans_ovre", "beyond_chance": "standardkvot_utover_slump"}
# The funnel plot's spread (coverage): tau2 (to draw the limits) and beyond_chance.
SPREAD = {"tau2": "tratt_tau2", "beyond_chance": "tratt_utover_slump"}


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
    """The disclosed figures (:data:`COLUMNS`) from ``folder``: a report's own input (``figures.parquet``)
    or the förbund stage's tables (:func:`from_forbund_tables`). A missing column is a clear error."""
    path = Path(folder) / FIGURES_FILE
    if not path.is_file() and (Path(folder) / "coverage.parquet").is_file():
        return from_forbund_tables(folder)
    if not path.is_file():
        raise ConfigError(f"{path}: no förbund figures (run `finsam stage forbund` first)")
    return _read_table(path, COLUMNS)


def _read_table(path: Path, needed: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: column(s) {', '.join(missing)} missing; expected {', '.join(needed)}")
    return frame


# The förbund stage's tables (docs/architecture.md, "Per-förbund figures") and the columns read here.
FORBUND_TABLES = {"participants": ("forbund", "year", "benefit", "status", "sex", "count", "suppressed"),
                  "insatser": ("forbund", "year", "target_group", "count", "suppressed"),
                  "diagnosis": ("forbund", "period", "benefit", "published_pct", "suppressed"),
                  "coverage": ("forbund", "year", "benefit", "population", "per_1000", "suppressed", "funnel_flag",
                               "tau2", "beyond_chance"),
                  "standardised": ("forbund", "year", "benefit", "observed", "expected", "ratio", "ci_low", "ci_high",
                                   "limit_low", "limit_high", "beyond_chance", "model_ok")}
_STATUS = {"pagaende": "pagaende", "nyregistrerad": "ny"}


def from_forbund_tables(folder: str | Path) -> pd.DataFrame:
    """The förbund stage's tables (participants, insatser, diagnosis, coverage with the funnel flag,
    the adjusted comparison; every unit, the nation as "Hela riket") as one tidy frame of
    :data:`COLUMNS`. Values are taken as written: a hidden value stays hidden, nothing is recomputed."""
    frames = {}
    for name, needed in FORBUND_TABLES.items():
        path = Path(folder) / f"{name}.parquet"
        if not path.is_file():
            raise ConfigError(f"{path}: missing (the förbund stage writes it)")
        frames[name] = _read_table(path, needed)

    def tidy(frame: pd.DataFrame, measure: str, value: str, **columns) -> pd.DataFrame:
        out = pd.DataFrame({"unit": frame["forbund"].astype(str), "year": frame["year"].astype(int), "measure": measure})
        for column in ("benefit", "status", "sex", "target_group"):
            out[column] = columns.get(column, frame[column].astype(str) if column in frame.columns else "")
        out["value"] = pd.to_numeric(frame[value], errors="coerce").astype(float).to_numpy()
        out["suppressed"] = frame["suppressed"].astype(bool).to_numpy()
        return out

    p = frames["participants"]
    unknown = sorted(set(p["status"]) - set(_STATUS))
    if unknown:
        raise ConfigError(f"{Path(folder) / 'participants.parquet'}: unknown status {unknown[0]!r}")
    d = frames["diagnosis"]
    d = d[d["period"].astype(str) != "total"].assign(year=lambda x: x["period"].astype(int))
    c = frames["coverage"]
    population = tidy(c.assign(suppressed=c["population"].isna()), "referensbefolkning", "population")
    flags = c["funnel_flag"].astype("string")
    unknown = sorted(set(flags.dropna()) - set(FUNNEL_CODES))
    if unknown:
        raise ConfigError(f"{Path(folder) / 'coverage.parquet'}: unknown funnel_flag {unknown[0]!r}")
    funnel = tidy(c.assign(code=flags.map(FUNNEL_CODES).astype(float)), "tratt_lage", "code")
    spread = [tidy(c.assign(suppressed=False), measure, column) for column, measure in SPREAD.items()]
    s = frames["standardised"]
    comparison = [tidy(s.assign(suppressed=s["observed"].isna() if column == "observed" else False), measure, column)
                  for column, measure in STANDARDISED.items()]
    comparison.append(tidy(s.assign(ok=s["model_ok"].astype(float), suppressed=False), "standardkvot_modell", "ok"))
    parts = [tidy(p, "deltagare", "count", status=p["status"].map(_STATUS).to_numpy()),
             tidy(frames["insatser"], "insatser", "count"), tidy(d, "psykiatrisk_andel", "published_pct"),
             population, tidy(c, "tackning", "per_1000"), funnel, *spread, *comparison]
    return pd.concat(parts, ignore_index=True)[list(COLUMNS)]


UNIT_FILE = "unit.json"


def write_forbund_input(folder: Path, figures: pd.DataFrame, unit: str, threshold: int) -> Path:
    """A förbund report's own input: its förbund's and the nation's figures of the year, and which
    förbund it is with the disclosure threshold the report states."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    figures.to_parquet(folder / FIGURES_FILE, index=False)
    (folder / UNIT_FILE).write_text(json.dumps({"unit": unit, "min_cell_count": int(threshold)}, ensure_ascii=False)
                                    + "\n", encoding="utf-8")
    return folder


def read_unit(folder: str | Path) -> tuple[str, int]:
    """(förbund, threshold) of a folder written by :func:`write_forbund_input`."""
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


def check_names(chosen: list[str], known: list[str], where: str) -> list[str]:
    """``chosen`` if every name is a förbund of ``known``; else one line with the nearest name."""
    import difflib

    from ..core.errors import ConfigError

    for name in chosen:
        if name not in known:
            if not known:
                raise ConfigError(f"förbund {name!r}: the förbund figures are empty")
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            raise ConfigError(f"förbund {name!r} is not in the förbund figures ({where}); "
                              + (f"did you mean {close[0]!r}?" if close else f"names look like {known[0]!r}"))
    return chosen


def available(tables_dir: Path) -> dict[str, list[int]]:
    """Indicator surveys: förbund → the years it answered (for the index, which must not import the
    report batch and its kernels); empty when the tables are not built."""
    path = Path(tables_dir) / "forbund.parquet"
    if not path.is_file():
        return {}
    f = pd.read_parquet(path)
    return {n: sorted(int(y) for y in g["year"]) for n, g in f.groupby("forbund")}
