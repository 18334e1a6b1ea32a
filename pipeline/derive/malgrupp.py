"""Bilaga 4: how many people need coordinated rehabilitation (the target-group size).

The förstudie (document 000, Bilaga 4) takes a count for each group from a public source,
assumes a share of it needs coordinated rehabilitation, rounds the product and adds the
groups up: 483 300 people, 6,6 % of a working-age population of 7 300 000.

Here that calculation is data plus parameters:

* the source tables and the summary table are transcriptions in ``data/raw/published``
  (``b4_kalltabeller.csv``, ``b4_sammanstallning.csv``, text figures in ``text_figures.csv``);
* each group's base count, assumed share, rounding and sensitivity range are in
  ``params.yaml`` (``bilaga4``), checked by :func:`parse_assumptions`;
* :func:`calculate` and :func:`sensitivity` do the arithmetic; :func:`checks` recomputes
  every figure of the document's calculation that can be recomputed from another one.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from ..core.errors import ConfigError, InputError
from ..core.fmt import round_half_up
from ..core.io import Column, Schema, read_csv_checked, write_csv_atomic, write_parquet_atomic, write_text_atomic
from ..sources.published import SOURCES, TEXT_FIGURES
from ..core.checks import Check
from ..core.checks import STATUS_ORDER as _STATUS_ORDER

DOCUMENT = "000_c59416c08b1b6909.txt"
SECTION = "Bilaga 4"

# --------------------------------------------------------------------------- raw files
SOURCE_TABLES = ("1", "2", "3", "4", "5", "sjukfall")
SEX_COLUMNS = ("total", "kvinna", "man")
EXTENTS = ("hel", "tre_fjardedelar", "halv", "en_fjardedel")
SICK_LEAVE_COLUMNS = tuple(f"{e}_{s}" for e in EXTENTS for s in ("kvinna", "man"))

KALLTABELLER = Schema(
    "b4_kalltabeller",
    (
        Column("table", allowed=frozenset(SOURCE_TABLES)),
        Column("row"),
        Column("label"),
        Column("level", "int", minimum=0, maximum=2),
        Column("column", allowed=frozenset(SEX_COLUMNS + SICK_LEAVE_COLUMNS)),
        Column("value", "float", minimum=0),
        Column("unit", allowed=frozenset({"antal", "tusental"})),
        Column("reconstructed", "bool"),
    ),
    key=("table", "row", "column"),
)
SAMMANSTALLNING = Schema(
    "b4_sammanstallning",
    (
        Column("row", "int", minimum=1),
        Column("group"),
        Column("label"),
        Column("label_share_pct", "float", required=False, minimum=0, maximum=100),
        Column("count", "int", minimum=0),
    ),
    key=("group",),
)

TABLE_TITLES = {
    "1": "Tabell 1 Unga som varken arbetar eller studerar, 1000-tal (SCB 2015)",
    "2": "Tabell 2 Antal vuxna biståndsmottagare fördelade efter ålder och kön år 2014 (Socialstyrelsen)",
    "3": "Tabell 3 Arbetsmarknadsdata – hela riket mars 2016, 16–64 år (Arbetsförmedlingen)",
    "4": "Tabell 4 Antal med aktivitetsersättning i december 2015, fördelat på kön och grad av ersättning "
         "(Försäkringskassan)",
    "5": "Tabell 5 Antal med sjukersättning i december 2015, fördelat på kön och grad av ersättning "
         "(Försäkringskassan)",
    "sjukfall": "Pågående sjukfall med rehabiliteringspenning och sjukpenning fördelat på omfattning och kön "
                "den sista december 2015 (Försäkringskassan, uttag 2016-04-18)",
}
SUMMARY_TITLE = "Sammanställning: andel av målgrupp och antal"


@dataclass(frozen=True)
class SourceTables:
    """The transcribed source tables (tidy: table, row, label, level, column, value, unit, reconstructed)."""

    frame: pd.DataFrame

    def value(self, table: str, row: str, column: str = "total") -> float | None:
        f = self.frame
        hit = f[(f["table"] == table) & (f["row"] == row) & (f["column"] == column)]
        return None if hit.empty else float(hit["value"].iloc[0])

    def rows(self, table: str) -> list[str]:
        f = self.frame
        return list(dict.fromkeys(f.loc[f["table"] == table, "row"]))

    def table(self, table: str) -> pd.DataFrame:
        return self.frame[self.frame["table"] == table]


@dataclass(frozen=True)
class Figures:
    """Figures stated in the running text of Bilaga 4 (``text_figures.csv``, document 000)."""

    frame: pd.DataFrame

    def value(self, figure_id: str) -> float | None:
        hit = self.frame[self.frame["figure_id"] == figure_id]
        return None if hit.empty else float(hit["value"].iloc[0])

    def row(self, figure_id: str) -> pd.Series:
        hit = self.frame[self.frame["figure_id"] == figure_id]
        if hit.empty:
            raise KeyError(f"text figure {figure_id!r} is not in text_figures.csv")
        return hit.iloc[0]


@dataclass(frozen=True)
class Published:
    tables: SourceTables
    summary: pd.DataFrame
    figures: Figures
    sources: pd.DataFrame

    def summary_count(self, group: str) -> int | None:
        hit = self.summary[self.summary["group"] == group]
        return None if hit.empty else int(hit["count"].iloc[0])

    def summary_row(self, group: str) -> pd.Series | None:
        hit = self.summary[self.summary["group"] == group]
        return None if hit.empty else hit.iloc[0]


def load_transcriptions(raw_dir: str | Path) -> Published:
    """Read and check the Bilaga 4 transcriptions in ``raw_dir`` (data/raw/published)."""
    raw_dir = Path(raw_dir)
    tables = read_csv_checked(raw_dir / "b4_kalltabeller.csv", KALLTABELLER)
    summary = read_csv_checked(raw_dir / "b4_sammanstallning.csv", SAMMANSTALLNING)
    unknown = [g for g in summary["group"] if g not in GROUPS and g != "totalt"]
    if unknown:
        lines = summary.attrs.get("source_lines", [None] * len(summary))
        line = lines[list(summary["group"]).index(unknown[0])]
        raise InputError(raw_dir / "b4_sammanstallning.csv",
                         f"unknown group {unknown[0]!r}; known: {', '.join(GROUPS)}, totalt", line, "group")
    figures = read_csv_checked(raw_dir / "text_figures.csv", TEXT_FIGURES)
    figures = figures[figures["document"] == "000"].reset_index(drop=True)
    sources = read_csv_checked(raw_dir / "sources.csv", SOURCES)
    sources = sources[sources["document"] == DOCUMENT].reset_index(drop=True)
    return Published(SourceTables(tables), summary, Figures(figures), sources)


# --------------------------------------------------------------------------- groups
def _sum(*values: float | None) -> float | None:
    return None if any(v is None for v in values) else float(sum(values))


@dataclass(frozen=True)
class GroupSpec:
    """What the document says about one group, and where its base comes from."""

    label: str  # Swedish, for the report
    short: str  # Swedish, for charts (the summary table's wording)
    base_figure: str  # text figure with the base the document used
    need_figure: str | None  # text figure with the document's count of those in need
    share_figure: str | None  # text figure with the share the text says it used
    table_base: Callable[[SourceTables], float | None]
    table_basis: str  # how the base is recomputed from the source tables (Swedish)
    same_source: bool = True  # False: the text's base is from another source or date than the table


GROUPS: dict[str, GroupSpec] = {
    "neet": GroupSpec(
        "Unga som varken arbetar eller studerar (NEET)", "NEET", "b4_neet_antal", None, None,
        lambda t: None if (v := _sum(t.value("1", "15-19"), t.value("1", "20-24"))) is None else 1000 * v,
        "tabell 1: 15–19 år + 20–24 år, båda könen (1000-tal)",
    ),
    "ekonomiskt_bistand": GroupSpec(
        "Vuxna med ekonomiskt bistånd", "Ekonomiskt bistånd", "b4_bistand_antal", "b4_bistand_behov", "b4_bistand_behov_pct",
        lambda t: t.value("2", "18-64"), "tabell 2: 18–64 år, båda könen",
    ),
    "arbetslosa": GroupSpec(
        "Öppet arbetslösa och sökande i program med aktivitetsstöd", "Arbetslösa", "b4_af_totalt", "b4_af_behov",
        "b4_af_behov_pct", lambda t: t.value("3", "oppet_och_program"),
        "tabell 3: öppet arbetslösa och sökande i program med aktivitetsstöd, totalt",
    ),
    "aktivitetsersattning": GroupSpec(
        "Unga med aktivitetsersättning", "Aktivitetsersättning", "b4_ae_antal", "b4_ae_behov", "b4_ae_behov_pct",
        lambda t: t.value("4", "samtliga"), "tabell 4: samtliga, båda könen",
    ),
    "sjukskrivna": GroupSpec(
        "Sjukskrivna", "Sjukskrivna", "b4_sjukskrivna", "b4_sjukskrivna_behov", "b4_sjukskrivna_behov_pct",
        lambda t: _sum(*(t.value("sjukfall", r, c) for r in ("sjukpenning", "rehabiliteringspenning")
                         for c in SICK_LEAVE_COLUMNS)),
        "sjukfallstabellerna: alla pågående sjukfall med sjukpenning eller rehabiliteringspenning 31 december "
        "2015; texten använder 194 200 sjukskrivna i mars 2016 ur en annan källa (förstudien, bilaga 4, avsnittet "
        "Sjukskrivningar, fotnot 34: ekonomifakta.se)", same_source=False,
    ),
    "sjukersattning_deltid": GroupSpec(
        "Sjukersättning på deltid", "Sjukersättning på deltid", "b4_se_deltid", "b4_se_behov", "b4_se_behov_pct",
        lambda t: _sum(*(t.value("5", r) for r in ("tre_fjardedelar", "halv", "en_fjardedel"))),
        "tabell 5: tre fjärdedelar + halv + en fjärdedel, båda könen",
    ),
}


# --------------------------------------------------------------------------- assumptions (params.yaml)
@dataclass(frozen=True)
class Assumption:
    group: str
    base: float
    share_pct: float
    round_to: int
    low_pct: float
    high_pct: float
    range_note: str = ""

    @property
    def label(self) -> str:
        return GROUPS[self.group].label

    @property
    def short(self) -> str:
        return GROUPS[self.group].short


@dataclass(frozen=True)
class Assumptions:
    year: int
    area: str
    population: float
    population_label: str
    benchmarks_pct: tuple[float, ...]
    groups: tuple[Assumption, ...] = field(default_factory=tuple)

    def get(self, group: str) -> Assumption | None:
        return next((a for a in self.groups if a.group == group), None)

    def with_share(self, group: str, share_pct: float) -> "Assumptions":
        """The same assumptions with one group's share changed (for sensitivity)."""
        groups = tuple(
            Assumption(**(asdict(a) | {"share_pct": share_pct})) if a.group == group else a for a in self.groups
        )
        return Assumptions(**(asdict(self) | {"groups": groups}))


_GROUP_KEYS = {"base", "share_pct", "round_to", "range_pct", "range_note"}
_TOP_KEYS = {"year", "area", "population", "population_label", "benchmarks_pct", "groups"}


def _number(where: str, value: Any, minimum: float | None = None, maximum: float | None = None,
            what: str = "a number") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ConfigError(f"{where} must be {what}, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        span = f"between {minimum:g} and {maximum:g}" if maximum is not None else f"at least {minimum:g}"
        raise ConfigError(f"{where} must be {span}, got {value!r}")
    return float(value)


def parse_assumptions(params: dict[str, Any], source: str = "params.yaml") -> Assumptions:
    """Check the ``bilaga4`` block of params.yaml; any problem is one ``ConfigError`` naming the key."""
    block = params.get("bilaga4")
    if not isinstance(block, dict):
        raise ConfigError(f"{source}: the 'bilaga4' block is missing (see README, Bilaga 4)")
    unknown = sorted(set(block) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{source}: bilaga4 has unknown key(s) {', '.join(unknown)}; "
                          f"allowed: {', '.join(sorted(_TOP_KEYS))}")
    year = block.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
        raise ConfigError(f"{source}: bilaga4.year must be a year such as 2016, got {year!r}")
    population = _number(f"{source}: bilaga4.population", block.get("population"), minimum=1)
    benchmarks = block.get("benchmarks_pct", [])
    if not isinstance(benchmarks, list):
        raise ConfigError(f"{source}: bilaga4.benchmarks_pct must be a list of per cent values, got {benchmarks!r}")
    benchmarks = tuple(_number(f"{source}: bilaga4.benchmarks_pct[{i}]", b, 0, 100) for i, b in enumerate(benchmarks))
    groups = block.get("groups")
    if not isinstance(groups, dict) or not groups:
        raise ConfigError(f"{source}: bilaga4.groups must list at least one group ({', '.join(GROUPS)})")
    parsed = []
    for name, spec in groups.items():
        where = f"{source}: bilaga4.groups.{name}"
        if name not in GROUPS:
            raise ConfigError(f"{where}: unknown group {name!r}; known groups: {', '.join(GROUPS)}")
        if not isinstance(spec, dict):
            raise ConfigError(f"{where} must be a mapping with base and share_pct, got {spec!r}")
        extra = sorted(set(spec) - _GROUP_KEYS)
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(_GROUP_KEYS))}")
        for key in ("base", "share_pct"):
            if key not in spec:
                raise ConfigError(f"{where}.{key} is missing")
        base = _number(f"{where}.base", spec["base"], minimum=0, what="a count")
        share = _number(f"{where}.share_pct", spec["share_pct"], 0, 100, what="a share in per cent (0–100)")
        round_to = spec.get("round_to", 1)
        if isinstance(round_to, bool) or not isinstance(round_to, int) or round_to < 1:
            raise ConfigError(f"{where}.round_to must be a whole number ≥ 1 (1 = no rounding), got {round_to!r}")
        range_pct = spec.get("range_pct", [share, share])
        if not isinstance(range_pct, list) or len(range_pct) != 2:
            raise ConfigError(f"{where}.range_pct must be [low, high] in per cent, got {range_pct!r}")
        low = _number(f"{where}.range_pct[0]", range_pct[0], 0, 100, what="a share in per cent (0–100)")
        high = _number(f"{where}.range_pct[1]", range_pct[1], 0, 100, what="a share in per cent (0–100)")
        if not low <= share <= high:
            raise ConfigError(f"{where}: range_pct {range_pct} must contain share_pct {share:g} (low ≤ share ≤ high)")
        parsed.append(Assumption(name, base, share, round_to, low, high, str(spec.get("range_note", ""))))
    return Assumptions(
        year=year,
        area=str(block.get("area", "Hela riket")),
        population=population,
        population_label=str(block.get("population_label", "befolkningen")),
        benchmarks_pct=benchmarks,
        groups=tuple(parsed),
    )


# --------------------------------------------------------------------------- the calculation
def estimate(base: float, share_pct: float, round_to: int = 1) -> int:
    """``base × share``, rounded half up to a multiple of ``round_to`` (as the document rounds)."""
    product = base * share_pct / 100.0
    return int(round_half_up(product / round_to) * round_to)


def total(assumptions: Assumptions) -> int:
    return sum(estimate(a.base, a.share_pct, a.round_to) for a in assumptions.groups)


def calculate(assumptions: Assumptions, published: Published | None = None) -> pd.DataFrame:
    """One row per group and a total row: base, share, product, rounded estimate, share of the total.

    With ``published`` the document's summary count is added for comparison (``published``,
    ``difference``); a user's own assumptions will of course differ from it.
    """
    grand = total(assumptions)
    rows = []
    for a in assumptions.groups:
        value = estimate(a.base, a.share_pct, a.round_to)
        rows.append({
            "group": a.group, "label": a.label, "base": a.base, "share_pct": a.share_pct,
            "product": a.base * a.share_pct / 100.0, "round_to": a.round_to, "estimate": value,
            "pct_of_target_group": 100.0 * value / grand if grand else math.nan,
            "pct_of_population": 100.0 * value / assumptions.population,
        })
    rows.append({
        "group": "totalt", "label": "Totalt", "base": math.nan, "share_pct": math.nan,
        "product": math.nan, "round_to": math.nan, "estimate": grand, "pct_of_target_group": 100.0,
        "pct_of_population": 100.0 * grand / assumptions.population,
    })
    frame = pd.DataFrame(rows)
    if published is not None:
        frame["published"] = [published.summary_count(g) for g in frame["group"]]
        frame["published"] = frame["published"].astype("Int64")
        frame["difference"] = frame["estimate"].astype("Int64") - frame["published"]
    frame.insert(0, "year", assumptions.year)
    return frame


def sensitivity(assumptions: Assumptions) -> pd.DataFrame:
    """One share at a time at the low and the high end of its range, the others as assumed.

    Sorted by swing (high − low total), widest first, as a tornado chart is drawn. Groups whose
    range is a single value have no swing and are kept at the end.
    """
    base_total = total(assumptions)
    rows = []
    for a in assumptions.groups:
        low = total(assumptions.with_share(a.group, a.low_pct))
        high = total(assumptions.with_share(a.group, a.high_pct))
        rows.append({
            "group": a.group, "label": a.label, "short": a.short, "share_pct": a.share_pct, "low_pct": a.low_pct,
            "high_pct": a.high_pct, "total_low": low, "total_high": high, "swing": high - low,
            "base_total": base_total, "range_note": a.range_note,
        })
    frame = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    frame.insert(0, "year", assumptions.year)
    return frame


def extremes(assumptions: Assumptions) -> tuple[int, int]:
    """The total with every share at the low end, and with every share at the high end."""
    low, high = assumptions, assumptions
    for a in assumptions.groups:
        low = low.with_share(a.group, a.low_pct)
        high = high.with_share(a.group, a.high_pct)
    return total(low), total(high)


# --------------------------------------------------------------------------- reconciliation
def rounding_tolerance(value: float) -> float:
    """A count printed with trailing zeros was rounded: half a unit of its last non-zero digit.

    ``80 000`` → 5 000, ``18 800`` → 50, ``307 446`` → 0. Used for counts stated in text and
    in the summary; cells of the source tables are exact counts (tolerance 0).
    """
    if value != int(value) or value == 0:
        return 0.0
    unit = 1
    as_int = int(abs(value))
    while as_int % (unit * 10) == 0:
        unit *= 10
    return unit / 2 if unit > 1 else 0.0


def _pct_tolerance(value: float, slack: float) -> float:
    text = f"{value:g}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return slack * 10 ** (-decimals)


# Sums that the layout of Tabell 3 implies (headings in capitals, programmes under them);
# each one is proven by the printed totals, see docs/assumptions_caveats.md.
TABLE3_SUMS: dict[str, tuple[str, ...]] = {
    "oppet_och_program": ("oppet_arbetslosa", "program"),
    "kvarstaende_sokande": ("oppet_arbetslosa", "program", "arbete_utan_stod", "arbete_med_stod",
                            "ovriga_inskrivna", "nystartsjobb", "yrkesintroduktion", "utbildningskontrakt"),
    "program": ("arbetsmarknadsutbildning", "arbetspraktik", "arbetstraning_handledare", "arbetstraning_basar",
                "start_naringsverksamhet", "ungdomsinsatser", "forberedande_insatser",
                "projekt_arbetsmarknadspolitik", "jobb_utvecklingsgarantin"),
    "arbete_utan_stod": ("deltidsarbetslosa", "tillfallig_timanstallning", "tillfalligt_arbete", "ombytessokande"),
    "arbete_med_stod": ("anstallningsstod", "insatser_funktionsnedsattning"),
    "anstallningsstod": ("sarskilt_anstallningsstod", "forstarkt_anstallningsstod", "instegsjobb", "trainee_brist",
                         "trainee_valfard", "extratjanster"),
    "insatser_funktionsnedsattning": ("lonebidrag", "osa", "utvecklingsanstallning", "trygghetsanstallning",
                                      "kulturarvslyftet", "utvecklingsanstallning_samhall"),
}
DEGREE_ROWS = ("hel", "tre_fjardedelar", "halv", "en_fjardedel")
_SEX_SV = {"total": "båda könen", "kvinna": "kvinnor", "man": "män"}


def _row_label(tables: SourceTables, table: str, row: str) -> str:
    f = tables.frame
    hit = f.loc[(f["table"] == table) & (f["row"] == row), "label"]
    return str(hit.iloc[0]) if len(hit) else row


def _table_checks(t: SourceTables, year: int) -> list[Check]:
    checks: list[Check] = []

    def add(area: str, figure: str, published, recomputed, basis: str) -> None:
        checks.append(Check(year=year, area=area, figure=figure, published=float(published),
                            recomputed=None if recomputed is None else float(recomputed), unit="count",
                            tolerance=0.0, basis=basis, document=DOCUMENT, section=SECTION))

    # Row totals: båda könen = kvinnor + män (not for cells the transcription reconstructed).
    f = t.frame
    for table in ("1", "2", "3", "4", "5"):
        for row in t.rows(table):
            cells = f[(f["table"] == table) & (f["row"] == row)].set_index("column")
            if "total" not in cells.index or bool(cells.loc["total", "reconstructed"]):
                continue
            women, men, both = (t.value(table, row, c) for c in ("kvinna", "man", "total"))
            label = _row_label(t, table, row)
            if women == 0 and men == 0 and both and both > 0:
                add(f"Tabell {table}", f"{label}: båda könen = kvinnor + män", both, None,
                    "uppgiften fördelas inte på kön (tabellen visar 0 för kvinnor och män)")
                continue
            scale = 1000 if table == "1" else 1  # Tabell 1 is in thousands with one decimal
            add(f"Tabell {table}", f"{label}: båda könen = kvinnor + män", round(both * scale),
                round(_sum(women, men) * scale), "kvinnor + män på samma rad" + (" (1000-tal)" if scale > 1 else ""))
    # Tabell 2: the age groups add up to 18–64 for each sex.
    ages = [r for r in t.rows("2") if r != "18-64"]
    for sex in ("kvinna", "man"):
        add("Tabell 2", f"18–64 år, {_SEX_SV[sex]} = summan av åldersgrupperna", t.value("2", "18-64", sex),
            _sum(*(t.value("2", r, sex) for r in ages)), "summan av åldersgrupperna 18–19 … 60–64")
    # Tabell 3: headings and their parts.
    for parent, parts in TABLE3_SUMS.items():
        for sex in SEX_COLUMNS:
            add("Tabell 3", f"{_row_label(t, '3', parent)}, {_SEX_SV[sex]} = summan av delarna",
                t.value("3", parent, sex), _sum(*(t.value("3", p, sex) for p in parts)),
                "summan av " + (" + ".join(_row_label(t, "3", p).lower() for p in parts) if len(parts) <= 2
                                else f"de {len(parts)} raderna under rubriken"))
    # Tabell 4 and 5: Samtliga = the four degrees of benefit.
    for table in ("4", "5"):
        for sex in SEX_COLUMNS:
            add(f"Tabell {table}", f"Samtliga, {_SEX_SV[sex]} = summan av graderna", t.value(table, "samtliga", sex),
                _sum(*(t.value(table, r, sex) for r in DEGREE_ROWS)), "hel + tre fjärdedelar + halv + en fjärdedel")
    return checks


def _text_check(figures: Figures, figure_id: str, figure: str, recomputed: float | None, basis: str,
                area: str = "Text", slack: float = 0.5, year: int | None = None, comparable: bool = True) -> Check:
    row = figures.row(figure_id)
    published = float(row["value"])
    unit = str(row["unit"])
    tolerance = rounding_tolerance(published) if unit == "count" else _pct_tolerance(published, slack)
    return Check(year=year or int(row["year"]), area=area, figure=figure, published=published,
                 recomputed=None if recomputed is None else float(recomputed), unit=unit, tolerance=tolerance,
                 basis=basis, document=DOCUMENT, section=str(row["section"]), comparable=comparable)


def _product_tolerance(count: float, base: float | None, base_tolerance: float, share_pct: float | None,
                       slack: float) -> float:
    """How far count = base × share may miss when all three were rounded as printed.

    The printed count agrees when it rounds to base × share at its own precision, or when
    count / base rounds to the printed share at the share's precision (half a unit of its last
    digit, times the base): whichever of the two was rounded. A rounded base adds its rounding
    times the share. "208 000 = 80 % of 258 827" agrees: 208 000 / 258 827 = 80,4 % → 80 %.
    """
    if base is None or share_pct is None:
        return rounding_tolerance(count)
    return (max(rounding_tolerance(count), _pct_tolerance(share_pct, slack) * abs(base) / 100.0)
            + base_tolerance * share_pct / 100.0)


def _summary_check(year: int, figure: str, published: float, recomputed: float | None, basis: str,
                   unit: str = "count", tolerance: float | None = None, comparable: bool = True) -> Check:
    if tolerance is None:
        tolerance = rounding_tolerance(published) if unit == "count" else 0.0
    return Check(year=year, area="Sammanställning", figure=figure, published=float(published),
                 recomputed=None if recomputed is None else float(recomputed), unit=unit, tolerance=tolerance,
                 basis=basis, document=DOCUMENT, section="Bilaga 4, Sammanfattning och reflektioner",
                 comparable=comparable)


def _product(base: float | None, share_pct: float | None) -> float | None:
    return None if base is None or share_pct is None else base * share_pct / 100.0


def checks(published: Published, slack: float = 0.5) -> list[Check]:
    """Every figure of the document's calculation recomputed from the others.

    Per group: the share in the summary's label against the share the text says it used; the
    base in the text against the source table; the summary count against label share × base
    and against the share the text used × the table's base. Then the total, its percentage, the
    population and the benchmarks, and the sums inside the source tables.
    """
    t, fig = published.tables, published.figures
    year = int(fig.row("b4_malgrupp_totalt")["year"])
    out: list[Check] = []
    for group, spec in GROUPS.items():
        row = published.summary_row(group)
        if row is None:
            continue
        count = float(row["count"])
        label_share = None if pd.isna(row["label_share_pct"]) else float(row["label_share_pct"])
        text_base = fig.value(spec.base_figure)
        text_share = fig.value(spec.share_figure) if spec.share_figure else None
        table_base = spec.table_base(t)
        name = row["label"]
        if text_share is not None and label_share is not None:
            out.append(_summary_check(year, f"{name}: andelen i etiketten = andelen i texten", label_share,
                                      text_share, f"texten: {fig.row(spec.share_figure)['section']}",
                                      unit="percent", tolerance=0.0))
        out.append(_text_check(fig, spec.base_figure, f"{spec.label}: underlaget i texten = källtabellen",
                               table_base, spec.table_basis, area="Text mot tabell", comparable=spec.same_source))
        text_base_tolerance = rounding_tolerance(text_base) if text_base is not None else 0.0
        out.append(_summary_check(year, f"{name}: antal = andelen i etiketten × underlaget i texten", count,
                                  _product(text_base, label_share),
                                  f"{label_share:g} % av {text_base:,.0f}".replace(",", " "),
                                  tolerance=_product_tolerance(count, text_base, text_base_tolerance, label_share,
                                                               slack)))
        used_share = text_share if text_share is not None else label_share
        if used_share != label_share:
            out.append(_summary_check(year, f"{name}: antal = andelen i texten × underlaget i texten", count,
                                      _product(text_base, used_share),
                                      f"{used_share:g} % av {text_base:,.0f}".replace(",", " "),
                                      tolerance=_product_tolerance(count, text_base, text_base_tolerance, used_share,
                                                                   slack)))
        out.append(_summary_check(year, f"{name}: antal = använd andel × källtabellens underlag", count,
                                  _product(table_base, used_share), f"{used_share:g} % av {spec.table_basis}",
                                  tolerance=_product_tolerance(count, table_base, 0.0, used_share, slack),
                                  comparable=spec.same_source))
        if spec.need_figure:
            out.append(_summary_check(year, f"{name}: antal = antalet i texten", count, fig.value(spec.need_figure),
                                      f"texten: {fig.row(spec.need_figure)['section']}"))
    # The total and the percentage.
    parts = [published.summary_count(g) for g in GROUPS if published.summary_row(g) is not None]
    total_count = published.summary_count("totalt")
    if total_count is not None:
        out.append(_summary_check(year, "Totalt = summan av raderna", total_count, float(sum(parts)),
                                  "summan av sammanställningens rader", tolerance=0.0))
    population = fig.value("b4_arbetsfor_befolkning")
    out.append(_text_check(fig, "b4_malgrupp_pct", "Målgruppens andel av den arbetsföra befolkningen",
                           None if total_count is None or not population else 100.0 * total_count / population,
                           "totalt 483 300 / 7 300 000", slack=slack))
    out.append(_text_check(fig, "b4_malgrupp_cirka", "Beräkningens resultat som det återges i rapportens kapitel",
                           total_count, "sammanställningens totalt"))
    out.append(_text_check(fig, "b4_arbetsfor_befolkning", "Arbetsföra befolkningen (15–74 år)",
                           _product(fig.value("b4_befolkning"), fig.value("b4_arbetsfor_andel")),
                           "9,9 miljoner invånare × 74 % i arbetsför ålder"))
    out.append(_text_check(fig, "b4_handbok_antal", "Handbokens målgrupp (5 %) i antal personer",
                           _product(population, fig.value("b4_handbok_pct")),
                           "5 % av 7 300 000; handboken avsåg en tidigare och mindre befolkning, vanligen 20–64 år "
                           "(förstudien, bilaga 4, avsnittet Lagen och handboken)",
                           comparable=False))
    # Other sums in the running text.
    out.append(_text_check(fig, "b4_af_totalt", "Öppet arbetslösa + sökande i program (text)",
                           _sum(fig.value("b4_af_program"), fig.value("b4_af_oppet")), "181 800 + 190 400"))
    out.append(_text_check(fig, "b4_af_program", "Sökande i program med aktivitetsstöd (text)",
                           t.value("3", "program"), "tabell 3", area="Text mot tabell"))
    out.append(_text_check(fig, "b4_af_oppet", "Öppet arbetslösa (text)", t.value("3", "oppet_arbetslosa"),
                           "tabell 3", area="Text mot tabell"))
    out.append(_text_check(fig, "b4_se_antal", "Personer med sjukersättning (text)", t.value("5", "samtliga"),
                           "tabell 5: samtliga", area="Text mot tabell"))
    out.append(_text_check(fig, "b4_langtidssjukskrivna", "Långtidssjukskrivna = kvinnor + män",
                           _sum(fig.value("b4_langtidssjukskrivna_kvinnor"), fig.value("b4_langtidssjukskrivna_man")),
                           "81 000 + 42 000"))
    return out + _table_checks(t, year)


def reconcile_calculation(published: Published, slack: float = 0.5) -> pd.DataFrame:
    rows = []
    for check in checks(published, slack):
        record = asdict(check)
        record["difference"] = check.difference
        record["status"] = check.status
        rows.append(record)
    return pd.DataFrame(rows).astype({"recomputed": "Float64", "difference": "Float64"})


STATUS_ORDER = _STATUS_ORDER


# --------------------------------------------------------------------------- stage output
RESULT_FILES = ("kalltabeller", "sammanstallning", "textuppgifter", "kallor", "berakning", "kanslighet", "avstamning")
ASSUMPTIONS_FILE = "antaganden.json"


def assumptions_to_json(assumptions: Assumptions) -> str:
    return json.dumps(asdict(assumptions), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def assumptions_from_json(text: str) -> Assumptions:
    data = json.loads(text)
    data["groups"] = tuple(Assumption(**g) for g in data["groups"])
    data["benchmarks_pct"] = tuple(data["benchmarks_pct"])
    return Assumptions(**data)


def save_results(published: Published, assumptions: Assumptions, out_dir: Path, slack: float = 0.5) -> list[Path]:
    """Write inputs, calculation, sensitivity and reconciliation as Parquet (and CSV) to ``out_dir``."""
    frames = {
        "kalltabeller": published.tables.frame,
        "sammanstallning": published.summary,
        "textuppgifter": published.figures.frame,
        "kallor": published.sources,
        "berakning": calculate(assumptions, published),
        "kanslighet": sensitivity(assumptions),
        "avstamning": reconcile_calculation(published, slack),
    }
    written = []
    for name, frame in frames.items():
        written.append(write_parquet_atomic(frame, out_dir / f"{name}.parquet"))
        written.append(write_csv_atomic(frame, out_dir / f"{name}.csv"))
    written.append(write_text_atomic(out_dir / ASSUMPTIONS_FILE, assumptions_to_json(assumptions)))
    return written
