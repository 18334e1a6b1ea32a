"""Every samordningsförbund and every year in one pass: Bilaga 1's figures per förbund beside the
nation's, the coverage of the benefit population, and the funnel plot's data.

For each förbund of data/raw/geografi/forbund_kommuner.csv and each register year:

* participants per benefit at the start, sex, ongoing and new (Tabell 1–4), insatser per target
  group (Tabell 5), the share of new participants with a psychiatric diagnosis (Tabell 6) – the
  same definitions and code as the national tables (:mod:`register_tables`), on the registrations
  and insatser of the förbund (the SUS ``forbund`` column);
* the **reference population**: distinct persons with the benefit whose kommun of folkbokföring on
  the reference date (31 December of the year, the benefit register's ``kommun``) is one of the
  förbund's kommuner that year (docs/assumptions_caveats.md: why a reference date, and movers);
* **coverage**: ongoing participants with the benefit at the start per 1 000 of the reference
  population (one decimal).

**One disclosure control for everything published together.** Every unit (the nation, "Hela
riket", and each förbund) has its tables linked as in :mod:`register_tables`, and all units are
one :class:`~pipeline.derive.disclosure.Linked` set (:func:`link_all`): where the nation's count is
the sum of the förbund's (each person is in one förbund; checked on the data, cell by cell), that
sum is a constraint, so a hidden förbund cell cannot be recovered as the national figure minus the
shown förbund figures. The reference populations are linked the same way, with the residents of
kommuner in no förbund as an unpublished remainder. :func:`protect_sums` solves each unit, applies
a cheap rule for the sums, and then proves the whole with one linear program (and hides more where
that finds a cell still exposed).

**Funnel plot.** For each benefit and year, the national coverage is the target; around it, the
95 % and 99,8 % control limits for an area with a reference population of n people. The count of
participants is compared with its expectation (national rate × n), not as a proportion of n: the
participants counted for a förbund are its SUS participants, not a subset of its residents (people
who moved or live outside take part too). The limits allow for chance (Poisson) and for the ordinary
spread between förbund estimated from the förbund themselves (an additive random effect,
Spiegelhalter 2005; :func:`forbund_model.overdispersion`, the same computation as the adjusted
comparison's), so that a förbund outside them differs by more than förbund usually do. A förbund's
flag says whether its published coverage is within, above or below.

Output (:func:`build_forbund_figures` → :func:`save_forbund_figures`, data/processed/forbund/; the schema is in
docs/architecture.md): participants, insatser, diagnosis, coverage, funnel, standardised (the
adjusted comparison, :mod:`forbund_model`), geografi, unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import forbund_model
from . import register_tables as rt
from ..core.fmt import round_half_up
from ..core.io import write_tables
from ..core.progress import SILENT, counting
from ..core.vocabulary import BENEFITS, PSYCHIATRIC
from ..sources.geografi import Geography, area_units, check_registrations
from ..sources.register import check_same_key
from .disclosure import Linked, Settings

NATIONAL = "Hela riket"
REST = "(kommuner utan förbund)"  # the remainder of the reference population: never published
OVERLAP = "(i flera förbund)"  # where a person counts in two förbund: the sum over förbund and the excess
LIMITS = {"95": 0.95, "998": 0.998}
# Progress (:func:`forbund_progress_total`) in steps of about one unit's own solve, from the parts' times at
# national scale (docs/performance.md): reading a year, counting every unit, one year and benefit's
# model of the adjusted comparison, the one program over every unit, the published rows.
READ_STEPS, COUNT_STEPS, MODEL_STEPS, PROGRAM_STEPS, ROWS_STEPS = 3, 70, 10, 150, 40
FUNNEL_LIMITS = ("95 % och 99,8 %: slumpen (Poisson) och den vanliga spridningen mellan förbund (additiv "
                 "slumpeffekt, Spiegelhalter 2005)")
REFERENCE_RULE = ("folkbokföringskommun den 31 december (referensdag); den som flyttat under året räknas helt i "
                  "kommunen på referensdagen")


# --------------------------------------------------------------------------- one Linked, many units
class _Scope:
    """A view of one unit in the shared Linked set (or Decision): every key gets the unit in front,
    so that the functions of :mod:`register_tables` build and read one unit's cells unchanged."""

    def __init__(self, target, unit: str):
        self._t, self._u = target, unit

    def _k(self, key):
        return (self._u,) + tuple(key)

    # building (Linked)
    def cell(self, key, value, published: bool = True, people: bool = True):
        self._t.cell(self._k(key), value, published, people)
        return key

    def total(self, key, parts, published: bool = True, people: bool = True):
        self._t.total(self._k(key), [self._k(p) for p in parts], published, people)
        return key

    def subset(self, small, big):
        self._t.subset(self._k(small), self._k(big))

    def same(self, a, b):
        self._t.same(self._k(a), self._k(b))

    def share(self, key, num, den, decimals=0, protect=()):
        self._t.share(self._k(key), self._k(num), self._k(den), decimals, [self._k(p) for p in protect])
        return key

    # reading (Linked or Decision)
    def has(self, key) -> bool:
        return self._t.has(self._k(key))

    def value(self, key):
        return self._t.value(self._k(key))

    def count(self, key):
        return self._t.count(self._k(key))

    def hidden(self, key) -> bool:
        return self._t.hidden(self._k(key))

    def share_hidden(self, key) -> bool:
        return self._t.share_hidden(self._k(key))

    @property
    def values(self):
        scope = self

        class _Keys:
            def __contains__(self, key) -> bool:
                return scope._t._root(scope._k(key)) in scope._t.values

        return _Keys()


# --------------------------------------------------------------------------- counting
@dataclass
class Counts:
    """Everything counted for one unit, before disclosure control."""

    participants: dict[tuple[int, int, str], int]  # (table, year, sex) → persons (Tabell 1–4)
    insatser: pd.DataFrame  # Tabell 5 counts (years × target groups)
    diagnosis: dict[tuple[str, int], tuple[int, int]]  # (benefit, year) → (n, k)
    population: dict[tuple[int, str], int]  # (year, benefit) → persons in the reference population
    # (year, benefit) → of them, participants in any förbund (the adjusted comparison's O)
    residents_taking_part: dict[tuple[int, str], int] = field(default_factory=dict)


def _split(frames: dict[int, pd.DataFrame], units: list[str]) -> dict[str, dict[int, pd.DataFrame]]:
    """Per unit and year, the rows of a SUS export in that förbund (an empty frame where none)."""
    out: dict[str, dict[int, pd.DataFrame]] = {u: {} for u in units}
    for year, frame in frames.items():
        groups = dict(tuple(frame.groupby("forbund", sort=False)))
        for unit in units:
            out[unit][year] = groups.get(unit, frame.iloc[:0])
    return out


def _diagnosis(deltagare: dict[int, pd.DataFrame], psychiatric: dict[tuple[int, str], pd.Series],
               units: list[str]) -> dict[str, dict[tuple[str, int], tuple[int, int]]]:
    """Tabell 6's (n, k) per unit: new participants with the benefit at the start found in that
    year's benefit register with the benefit, and of them with F00–F99 (as
    :func:`register_tables.diagnosis_counts`, for every förbund with one join per year)."""
    out = {u: {} for u in units}
    for year, d in deltagare.items():
        for benefit in BENEFITS:
            new = d.loc[d["person_id"].notna() & d["new"] & (d["support_at_start"] == benefit),
                        ["forbund", "person_id"]].drop_duplicates()
            found = new.join(psychiatric[(year, benefit)], on="person_id", how="inner")
            by = found.groupby("forbund")["psychiatric"].agg(["size", "sum"])
            for unit in units:
                n, k = (by.loc[unit, "size"], by.loc[unit, "sum"]) if unit in by.index else (0, 0)
                out[unit][(benefit, year)] = (int(n), int(k))
    return out


def _benefit_population(formaner: dict[int, pd.DataFrame], geography: Geography, units: list[str]
                        ) -> dict[str, dict[tuple[int, str], int]]:
    """Distinct persons with each benefit per förbund (by the kommun on the reference date) and the
    remainder living in kommuner in no förbund (``REST``). A year in which every kommun is in a
    förbund has no remainder at all (not a count of zero: nobody could be in it, and a reader of the
    mapping knows that)."""
    out: dict[str, dict[tuple[int, str], int]] = {u: {} for u in [*units, REST]}
    every = set(geography.kommuner["kommunkod"])
    for year, f in formaner.items():
        area = f["kommun"].map(geography.forbund_of(year)).fillna(REST)
        persons = pd.DataFrame({"area": area, "benefit": f["benefit"], "person_id": f["person_id"]})
        counts = persons.drop_duplicates(["benefit", "person_id"]).groupby(["area", "benefit"]).size()
        rest = bool(every - set(geography.forbund_of(year)))
        if not rest and (area == REST).any():
            raise RuntimeError(f"{year}: people live in a kommun that is in no förbund, but every kommun is in one")
        for unit in out if rest else units:
            for benefit in BENEFITS:
                out[unit][(year, benefit)] = int(counts.get((unit, benefit), 0))
    return out


def count_all(deltagare: dict[int, pd.DataFrame], insatser: dict[int, pd.DataFrame],
              formaner: dict[int, pd.DataFrame], geography: Geography) -> dict[str, Counts]:
    """The counts of the nation and of every förbund of the mapping, each year (one pass)."""
    missing = "kommun" not in next(iter(formaner.values())).columns
    if missing:
        from ..core.errors import ConfigError

        raise ConfigError("the cleaned benefit register has no kommun: rerun `finsam stage register` (the exports "
                          "need the column kommun, see data/raw/register/exports.yaml)")
    units = geography.forbund
    deltagare = {y: d.assign(forbund=geography.unit(d["forbund"])) for y, d in deltagare.items()}  # renames
    insatser = {y: i.assign(forbund=geography.unit(i["forbund"])) for y, i in insatser.items()}
    check_registrations(geography, {y: set(deltagare[y]["forbund"]) | set(insatser.get(y, pd.DataFrame(
        columns=["forbund"]))["forbund"]) for y in deltagare})
    present = rt.flags_present(insatser)
    psychiatric = {(y, b): f.loc[f["benefit"] == b].drop_duplicates("person_id").set_index("person_id")[
        "diagnosis_chapter"].eq(PSYCHIATRIC).rename("psychiatric") for y, f in formaner.items() for b in BENEFITS}
    national_d = {y: d.assign(forbund=NATIONAL) for y, d in deltagare.items()}
    participants = rt.participant_counts(deltagare, "forbund") | {NATIONAL: rt.participant_counts(deltagare)}
    by_i = _split(insatser, units) | {NATIONAL: insatser}
    diagnosis = _diagnosis(deltagare, psychiatric, units) | _diagnosis(national_d, psychiatric, [NATIONAL])
    population = _benefit_population(formaner, geography, units)
    population[NATIONAL] = {(y, b): int(f.loc[f["benefit"] == b, "person_id"].nunique())
                            for y, f in formaner.items() for b in BENEFITS}
    counts = {u: Counts(participants.get(u, {}), rt.insatser_counts(by_i[u], present), diagnosis[u], population[u])
              for u in [NATIONAL, *units]}
    counts[REST] = Counts({}, pd.DataFrame(), {}, population[REST])
    return counts


# --------------------------------------------------------------------------- the linked cells
def _add_unit(linked: Linked, unit: str, c: Counts) -> None:
    scope = _Scope(linked, unit)
    years = sorted({year for year, _ in c.population})
    rt.add_participants(scope, dict.fromkeys(years), c.participants)
    rt.add_insatser(scope, c.insatser)
    rt.add_diagnosis(scope, c.diagnosis)
    for (year, benefit), n in sorted(c.population.items()):
        scope.cell(("N", year, benefit), n)
        # coverage: per 1 000 with one decimal = per cent with two (the share's rounding interval)
        scope.share(("COV", year, benefit), ("T", rt.ONGOING_TABLE[benefit], year, "total"), ("N", year, benefit), 2)
    _add_residents(scope, c)


# --------------------------------------------------------------------------- the adjusted comparison
def resident_key(year: int, benefit: str) -> tuple:
    """The cell of the reference population's participants (O of :mod:`forbund_model`): an "N" key, so
    that the nation's count, the sum over the areas, is protected like the reference populations."""
    return ("N", year, benefit, "deltagare")


def _add_residents(scope, c: Counts) -> None:
    """O within N: a published count, hidden and linked like any other. O is nearly the förbund's own
    ongoing participants (Tabell 1/3's total: the same people but for movers and residents in a
    neighbour's insats), so where that total is hidden O must not show it approximately:
    :func:`_solve` then hides O too (:func:`residents_to_hide`)."""
    for (year, benefit), o in sorted(c.residents_taking_part.items()):
        scope.cell(resident_key(year, benefit), o)
        scope.subset(resident_key(year, benefit), ("N", year, benefit))


def residents_to_hide(decision, unit: str, c: Counts, kept=frozenset()) -> set:
    """O keys shown beside a hidden Tabell 1/3 total of the same year and benefit: to be hidden as
    well. Within a unit O is bound only by 0 ≤ O ≤ N, so a hidden O lies anywhere in [0, N] and
    hiding a number removes information only: where N is at least the protection interval no second
    solve is needed (:func:`_solve` solves again with O protected otherwise). Across units,
    :func:`protect_sums` reads the decision and protects the nation's O like any other sum. ``kept``: keys
    another publication shows (the nation's O in the Modellbilaga), never hidden here."""
    out = set()
    for year, benefit in c.residents_taking_part:
        key = resident_key(year, benefit)
        total_hidden = decision.hidden((unit, "T", rt.ONGOING_TABLE[benefit], year, "total"))
        if key not in kept and total_hidden and not decision.hidden((unit,) + key):
            out.add(key)
    return out


def attach_residents(counts: dict[str, Counts], model: pd.DataFrame) -> None:
    """Give every unit (and the remainder) its O from :func:`forbund_model.expected`; the model's
    reference populations must be the ones counted for coverage (one rule, checked)."""
    by = model.set_index(["area", "year", "benefit"])
    for unit, c in counts.items():
        for (year, benefit), n in c.population.items():
            row = by.loc[(unit, year, benefit)] if (unit, year, benefit) in by.index else None
            if (0 if row is None else int(row["population"])) != n:
                raise RuntimeError(f"{unit} {year} {benefit}: the model's reference population differs from coverage's")
            c.residents_taking_part[(year, benefit)] = 0 if row is None else int(row["observed"])


def standardised_rows(decisions: dict[str, Any], model: pd.DataFrame, units: list[str], years: list[int]) -> pd.DataFrame:
    """The published comparison (docs/architecture.md, ``standardised``): O and N as disclosed, E and
    O/E only where :func:`forbund_model.reason` allows, the verdict against limits that allow for the
    ordinary spread between förbund (:func:`forbund_model.with_limits`)."""
    by = model.set_index(["area", "year", "benefit"])
    rows, raw = [], []
    for unit in units:
        scope = _Scope(decisions[unit], unit)
        for year in years:
            for benefit in BENEFITS:
                o, n = scope.count(resident_key(year, benefit)), scope.count(("N", year, benefit))
                known = (unit, year, benefit) in by.index
                e = float(by.loc[(unit, year, benefit), "expected"]) if known else 0.0
                ok = bool(by.loc[(NATIONAL, year, benefit), "model_ok"])
                rows.append(forbund_model.published(unit, year, benefit, o, pd.isna(o), n, pd.isna(n), e, ok))
                raw.append(e)
    frame = pd.DataFrame(rows).astype({"observed": "Int64", "population": "Int64", "verdict": "string"})
    return forbund_model.with_limits(frame, raw, NATIONAL)


@dataclass
class Publication:
    """The national register tables' decision on the figures the förbund stage publishes for the nation
    too (:func:`national_publication`): keys in the förbund stage's terms (without the unit)."""

    hidden: set = field(default_factory=set)  # counts hidden there: hidden here
    shown: dict = field(default_factory=dict)  # counts shown there (key → value): never hidden here
    hidden_shares: set = field(default_factory=set)  # Tabell 6 shares hidden there
    shown_shares: set = field(default_factory=set)  # Tabell 6 shares shown there

    @classmethod
    def of(cls, national) -> "Publication":
        """``national`` as given to :func:`forbund_figures_from_frames`: a Publication, or (hidden, shown)
        counts only."""
        if national is None or isinstance(national, Publication):
            return national or cls()
        hidden, shown = national
        return cls(set(hidden), dict(shown))


def national_publication(tables_dir: Path, area: bool = False) -> Publication:
    """The national register tables' decision (data/processed/register/tabeller, written by the national
    Bilaga 1 from microdata; the Modellbilaga's tables are copied from it): every figure that the förbund
    stage publishes for the nation as well. Tabell 1–5's counts, Tabell 6's shares, the reference
    populations (``population``, ``model_totals.n_population``) and the residents taking part (the
    Modellbilaga's participants, ``model_totals.n_participants``: the nation's O). The nation's rows
    beside the förbund hide what is hidden there and never hide what is shown there, so that every
    published copy of a national figure is shown or hidden alike (decided once, in the national tables).

    ``area``: the tables are ``register.area``'s (:class:`Area`): its Modellbilaga's totals and
    composition keep register_tables' keys (``("C", year, benefit, "P"|"N", …)``): its participants are
    those living in the area, not the förbund's O, and its population is linked to the förbund's N."""
    tables_dir = Path(tables_dir)
    out = Publication()
    p = pd.read_parquet(tables_dir / "participants.parquet", columns=["table", "year", "sex", "count", "suppressed"])
    i = pd.read_parquet(tables_dir / "insatser.parquet", columns=["year", "target_group", "count", "suppressed"])
    m = pd.read_parquet(tables_dir / "model_totals.parquet", columns=["year", "benefit", "n_participants", "n_population"])
    rows = [(("T", int(r.table), int(r.year), str(r.sex)), r.count, r.suppressed) for r in p.itertuples()]
    rows += [(("I", int(r.year), str(r.target_group)), r.count, r.suppressed) for r in i.itertuples()]
    for r in m.itertuples():
        y, b = int(r.year), str(r.benefit)
        population, taking_part = (("C", y, b, "N", "total"), ("C", y, b, "P", "total")) if area else (
            ("N", y, b), resident_key(y, b))
        rows.append((population, r.n_population, pd.isna(r.n_population)))
        rows.append((taking_part, r.n_participants, pd.isna(r.n_participants)))
    if area:
        c = pd.read_parquet(tables_dir / "composition.parquet",
                            columns=["year", "benefit", "variable", "category", "n_participants", "n_population"])
        for r in c.itertuples():
            for who, count in (("P", r.n_participants), ("N", r.n_population)):
                rows.append((("C", int(r.year), str(r.benefit), who, str(r.variable), str(r.category)), count,
                             pd.isna(count)))
    for key, count, suppressed in rows:
        if suppressed:
            out.hidden.add(key)
        elif not pd.isna(count):
            out.shown[key] = int(count)
    d = pd.read_parquet(tables_dir / "diagnosis.parquet", columns=["period", "benefit", "suppressed"])
    for r in d.itertuples():
        (out.hidden_shares if r.suppressed else out.shown_shares).add(("D%", str(r.benefit), str(r.period)))
    return out


def _publish_as(linked: Linked, unit: str, publication: Publication) -> None:
    """Hide what ``publication`` hides and keep what it shows (the nation's figures in the national tables)."""
    for key in publication.shown:
        if linked.has((unit,) + key):
            linked.keep((unit,) + key)
    for key in publication.hidden_shares:
        if (unit,) + key in linked.shares:
            linked.hide_share((unit,) + key)
    for key in publication.shown_shares:
        if (unit,) + key in linked.shares:
            linked.keep_share((unit,) + key)


AREA = "(område)"  # register.area of several förbund: its cells' unit here (a reserved label, never a förbund's)


@dataclass
class Area:
    """``register.area`` in the förbund stage. The area's own tables (register/tabeller and the
    Modellbilaga's, :mod:`register_tables`) publish its Tabell 1–6, reference populations and
    composition; the förbund tables publish its förbund's. Both are one publication: the area's cells
    (built by the same :func:`register_tables.link_unit`) join the förbund stage's one program, linked
    to its förbund's (an area of one förbund *is* that förbund: one cell per figure; of several, their
    sums), and follow the area's decision: hidden there, hidden here; shown there, never hidden here."""

    names: list[str]  # the förbund (newest names)
    publication: Publication  # the area's tables' decision (:func:`national_publication` with area=True)
    frames: tuple = ()  # (deltagare, insatser, formaner) as read, for the area's cells
    reference: dict | None = None  # register_tables.reference_frames of the whole register, made once

    @property
    def unit(self) -> str:
        return self.names[0] if len(self.names) == 1 else AREA

    def add(self, linked: Linked, geography: Geography) -> None:
        """The area's cells in ``linked`` (every förbund already in it), their links and the decision."""
        unit, scope = self.unit, _Scope(linked, self.unit)
        if self.reference is None:
            self.reference = rt.reference_frames(self.frames[2])
        cells = rt.link_unit(scope, *self.frames, self.names, self.reference, geography)
        if len(self.names) > 1:  # an area of one förbund shares its cells (the same keys)
            for key in sorted((k[1:] for k in [*linked.values, *linked.aliases] if k[0] == unit), key=repr):
                if key[0] in ("T", "I") or (key[0] == "D" and key[2] != "total" and key[3] in ("k", "r")):
                    parts = [(m,) + key for m in self.names if linked.has((m,) + key)]
                    _link_whole(linked, (unit,) + key, parts, key[0] != "I")
        for year, benefit in cells.compositions:
            population = [(m, "N", year, benefit) for m in self.names]
            _link_whole(linked, (unit, "C", year, benefit, "N", "total"), population, same=len(population) == 1)
            # the area's participants living there are among its residents taking part in any förbund (O)
            taking_part = [(m,) + resident_key(year, benefit) for m in self.names]
            if len(taking_part) > 1:
                taking_part = [linked.total((AREA, "O", year, benefit), taking_part, published=False)]
            rt.subset_if(linked, (unit, "C", year, benefit, "P", "total"), taking_part[0])
        _publish_as(linked, unit, self.publication)
        for key in self.publication.hidden:
            if linked.has((unit,) + key):
                linked.hide((unit,) + key)


def _solve(unit: str, c: Counts, settings: Settings, forced: set = frozenset(),
           publication: Publication | None = None):
    """One unit alone; ``publication``: what another publication decided for this unit's figures (the nation's)."""
    publication = publication or Publication()
    linked = Linked(settings.threshold, settings.protection)
    _add_unit(linked, unit, c)
    for key in forced:
        linked.hide((unit,) + key)
    _publish_as(linked, unit, publication)
    decision = linked.solve()
    extra = residents_to_hide(decision, unit, c, publication.shown)
    if any(decision.value((unit, "N", *key[1:3])) < settings.protection for key in extra):
        return _solve(unit, c, settings, set(forced) | extra, publication)  # [0, N] too narrow: solve with O protected
    decision.hidden_cells.update((unit,) + key for key in extra)
    return linked, decision


def cross_keys(national: Linked) -> list[tuple]:
    """The nation's counts that are sums over the förbund when each person and insats is in one
    förbund: Tabell 1–5's cells, the reference populations, and Tabell 6's numerators and the rest
    (never written, but bounded by the shares)."""
    published = [k[1:] for k in national.published if k[1] in ("T", "I", "N")]
    diagnosis = [k[1:] for k in national.values if k[1] == "D" and k[3] != "total" and k[4] in ("k", "r")]
    return sorted(published + diagnosis, key=repr)


def _hidden(decision, unit: str, key: tuple) -> bool:
    """Is the cell unknown to a reader? Tabell 6's counts are never written: unknown when the share is hidden."""
    if key[0] == "D":
        return decision.share_hidden((unit, "D%", key[1], key[2])) or decision.hidden((unit,) + key)
    return decision.hidden((unit,) + key)


def link_all(units: dict[str, Counts], settings: Settings, keys: list[tuple]) -> Linked:
    """Every unit's cells in one :class:`Linked` set, with the nation's counts under ``keys``
    (:func:`cross_keys`) as the sums of the förbund's where they are (checked on the data, key by key;
    the reference population with the residents of kommuner in no förbund as an unpublished remainder)."""
    linked = Linked(settings.threshold, settings.protection)
    areas = [u for u in units if u not in (NATIONAL, REST)]
    for unit in [NATIONAL, *areas]:
        _add_unit(linked, unit, units[unit])
    rest = units[REST]
    for (year, benefit), n in rest.population.items():
        linked.cell((REST, "N", year, benefit), n, published=False)
        if (year, benefit) in rest.residents_taking_part:
            linked.cell((REST,) + resident_key(year, benefit), rest.residents_taking_part[(year, benefit)], published=False)
            linked.subset((REST,) + resident_key(year, benefit), (REST, "N", year, benefit))
    for (year, benefit) in units[NATIONAL].residents_taking_part:
        # the nation's residents taking part are the Modellbilaga's participants: among Tabell 1/3's total
        linked.subset((NATIONAL,) + resident_key(year, benefit),
                      (NATIONAL, "T", rt.ONGOING_TABLE[benefit], year, "total"))
    for key in keys:
        parts = [(u,) + key for u in [*areas, REST] if linked.has((u,) + key)]
        if parts:
            _link_whole(linked, (NATIONAL,) + key, parts, key[0] != "I")  # insatser are activities
    return linked


def _link_whole(linked: Linked, whole: tuple, parts: list[tuple], people: bool = True, same: bool = False) -> None:
    """``whole`` counts the people of ``parts`` together: their sum where the counts add up; where they
    add up to more, someone is counted in two parts (e.g. in insatser of two förbund in one year): the
    whole is at most the sum and at least each part, modelled with the unpublished sum and the overlap.
    Less than the whole: a bug, it stops. ``same``: the whole and its only part are one cell (one
    decision for both: an area of one förbund)."""
    total = sum(linked.value(p) for p in parts)
    if total < linked.value(whole) or (same and total != linked.value(whole)):
        raise RuntimeError(f"disclosure control: {whole!r} and its parts {parts[0]!r}… are counted differently "
                           "(rebuild the register tables and the förbund figures: `finsam build`)")
    if same:
        linked.same(whole, parts[0])
    elif total == linked.value(whole):
        linked.sums.append((whole, parts))
    else:
        summed, overlap = (OVERLAP, "sum") + whole, (OVERLAP, "overlap") + whole
        linked.total(summed, parts, published=False, people=people)
        linked.cell(overlap, total - linked.value(whole), published=False, people=people)
        linked.sums.append((summed, [whole, overlap]))
        for part in parts:
            linked.subset(part, whole)


def protect_sums(units: dict[str, Counts], settings: Settings, national: Publication | tuple[set, dict] | None = None,
                 area: Area | None = None, geography: Geography | None = None, steps=SILENT
                 ) -> tuple[Any, dict[str, set], dict[str, int]]:
    """Every unit's figures, safe to publish together: the proof is one linear program over all of them.

    1. Each unit alone (:func:`_solve`): primary and complementary suppression within its tables.
    2. A rule for the national sums, which does most of what is left cheaply: the hidden parts of
       a sum over the förbund add up to a known number, so each hidden part needs at least the
       protection interval of other hidden people beside it. Where that fails, one more förbund
       hides the same cell (the smallest count that is enough) and is solved again with it
       protected like a small cell; repeated until it holds for every sum.
    3. The check that makes it a proof: every unit's cells and the national sums in one
       :class:`Linked` set (:func:`link_all`), everything hidden so far hidden from the start, and
       :meth:`Linked.solve` bounds every hidden cell given everything published at once – across
       tables, years and förbund – and hides more where a cell is still exposed.

    ``national``: the national tables' decision (:func:`national_publication`): the nation hides what
    they hide and never hides what they show (counts and Tabell 6's shares), so that its rows here are
    the national report's and the Modellbilaga's; the förbund are protected around the nation's shown
    figures (e.g. where the nation's reference population equals its residents taking part, N − O = 0,
    every förbund's N − O is 0 too, which the one program knows). Checked after the solve.

    ``area``: ``register.area``'s publication (:class:`Area`, with ``geography``): the area's cells join
    step 3, linked to its förbund's, and follow the area's tables the same way (checked after the solve).
    Steps 1 and 2 do not know the area; what they hid that the area shows is shown in step 3, which
    hides other numbers where that leaves a cell exposed.

    Returns the one decision (keys carry the unit first; :class:`_Scope` reads one unit), the cells
    the rule forced per unit, and counts of the work (rounds, cells and shares the check added).
    ``steps``: a progress counter (:mod:`pipeline.core.progress`): one step per unit solved alone,
    :data:`PROGRAM_STEPS` for the one program."""
    publication = Publication.of(national)
    nat_hidden, nat_shown = publication.hidden, publication.shown
    if national:  # before any solve: a count that differs could otherwise surface as a cell both kept and hidden
        probe = Linked()
        _add_unit(probe, NATIONAL, units[NATIONAL])
        differ = [k for k, v in nat_shown.items() if probe.has((NATIONAL,) + k) and probe.value((NATIONAL,) + k) != v]
        if differ:
            raise RuntimeError(f"the national register tables and the förbund figures count {differ[0]!r} differently "
                               "(rebuild both: `finsam build`)")
    forced: dict[str, set] = {u: set() for u in units if u != REST}
    forced[NATIONAL] = set(nat_hidden)
    solved = {}
    for u, c in units.items():
        if u != REST:
            solved[u] = _solve(u, c, settings, forced[u], publication if u == NATIONAL else None)
            steps.step()
    areas = [u for u in solved if u != NATIONAL]
    national = solved[NATIONAL][0]
    rest = units[REST].population
    every_key = cross_keys(national)
    keys = [k for k in every_key if k[0] != "N" or rest.get((k[1], k[2]), 0) == 0]
    rounds = 0
    while True:
        rounds += 1
        changed = set()
        for key in keys:
            parts = [u for u in areas if solved[u][0].has((u,) + key)]
            values = {u: solved[u][0].value((u,) + key) for u in parts}
            if not parts or sum(values.values()) != national.value((NATIONAL,) + key):
                continue
            hidden = [u for u in parts if _hidden(solved[u][1], u, key)]
            if not hidden:
                continue
            need = max(settings.protection - (sum(values[u] for u in hidden) - values[u]) for u in hidden)
            shown = [u for u in parts if u not in hidden]
            if need <= 0 or not shown:
                continue
            enough = [u for u in shown if values[u] >= need]
            partner = min(enough, key=lambda u: (values[u], u)) if enough else max(shown, key=lambda u: (values[u], u))
            forced[partner].add(key)
            changed.add(partner)
        if not changed:
            break
        for unit in changed:
            solved[unit] = _solve(unit, units[unit], settings, forced[unit], publication if unit == NATIONAL else None)
    first = set().union(*(d.hidden_cells for _, d in solved.values()))
    first_shares = set().union(*(d.hidden_shares for _, d in solved.values()))
    hidden, hidden_shares = first, first_shares
    while True:  # the one program; again if it hid a Tabell 1/3 total whose O (nearly the same people) shows
        linked = link_all(units, settings, every_key)
        _publish_as(linked, NATIONAL, Publication(shown=nat_shown, shown_shares=publication.shown_shares))
        if area is not None:
            area.add(linked, geography)
        kept = {linked._root(k) for k in linked.kept}
        for key in hidden:
            if linked._root(key) not in kept:  # the area shows it (steps 1–2 did not know)
                linked.hide(key)
        for key in hidden_shares - linked.kept_shares:
            linked.hide_share(key)
        decision = linked.solve()
        extra = {(u,) + key for u in solved
                 for key in residents_to_hide(decision, u, units[u], nat_shown if u == NATIONAL else ())}
        if not extra:
            break
        hidden, hidden_shares = set(decision.hidden_cells) | extra, set(decision.hidden_shares)
    steps.step(PROGRAM_STEPS)
    _check_follows(linked, decision, publication, NATIONAL)
    if area is not None:
        _check_follows(linked, decision, area.publication, area.unit)
    work = {"rounds": rounds, "cells_added_by_check": len(decision.hidden_cells - first),
            "shares_added_by_check": len(decision.hidden_shares - first_shares),
            "structural": len(decision.structural)}  # pinned by definitions alone, whatever is published
    return decision, forced, work


def _check_follows(linked: Linked, decision, publication: Publication, unit: str) -> None:
    """Every figure of ``unit`` published here is shown or hidden as in its register tables (the nation's,
    or register.area's): a broken promise is a bug, never a build (the two outputs together would give a
    hidden figure away)."""
    scope = _Scope(decision, unit)
    wrong = [k for k in publication.hidden if scope.has(k) and not scope.hidden(k)]
    wrong += [k for k in publication.shown if scope.has(k) and scope.hidden(k)]
    wrong += [k for k in publication.shown_shares | publication.hidden_shares if (unit,) + k in linked.shares
              and scope.share_hidden(k) != (k in publication.hidden_shares)]
    if wrong:
        raise RuntimeError(f"disclosure control: {unit}'s {sorted(wrong, key=repr)[0]!r} would be published "
                           "differently here and in the register tables")


# --------------------------------------------------------------------------- funnel
def control_limits(rate: float, n: np.ndarray, level: float, tau2: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits (as rates) for areas of size ``n`` when the count of events has
    expectation ``rate · n``: chance (Poisson) plus the ordinary spread between areas ``tau2``
    (:func:`forbund_model.ratio_limits`, the same computation as the adjusted comparison's)."""
    n = np.asarray(n, dtype=float)
    low, high = forbund_model.ratio_limits(rate * n, level, tau2)
    return np.where(n > 0, rate * low, np.nan), np.where(n > 0, rate * high, np.nan)


def spread_of_coverage(frame: pd.DataFrame) -> dict[tuple[int, str], dict]:
    """Per year and benefit, the spread of the förbund's coverage beyond chance
    (:func:`forbund_model.overdispersion` on their shown participants against rate × population)."""
    out = {}
    for (year, benefit), group in frame.groupby(["year", "benefit"]):
        areas = group[(group["forbund"] != NATIONAL) & ~group["suppressed"] & group["participants"].notna()
                      & group["population"].notna()]
        rate = group["rate"].iloc[0]
        if pd.isna(rate):
            out[(year, benefit)] = forbund_model.overdispersion([], [])
            continue
        out[(year, benefit)] = forbund_model.overdispersion(areas["participants"].astype(float),
                                                            rate * areas["population"].astype(float))
    return out


def funnel_curves(coverage: pd.DataFrame, points: int = 60) -> pd.DataFrame:
    """The control limits per benefit and year on a grid of reference population sizes (log-spaced
    over the förbund's sizes), per 1 000."""
    rows = []
    areas = coverage[coverage["forbund"] != NATIONAL]
    for (year, benefit), group in areas.groupby(["year", "benefit"]):
        national = coverage[(coverage["forbund"] == NATIONAL) & (coverage["year"] == year)
                            & (coverage["benefit"] == benefit)].iloc[0]
        if pd.isna(national["per_1000"]):
            continue
        sizes = group["population"].dropna().astype(float)
        sizes = sizes[sizes > 0]
        if sizes.empty:
            continue
        grid = np.unique(np.round(np.geomspace(max(sizes.min() / 2, 1), sizes.max() * 1.5, points)))
        frame = pd.DataFrame({"year": year, "benefit": benefit, "population": grid.astype(int),
                              "national_per_1000": national["per_1000"], "tau2": national["tau2"]})
        for name, level in LIMITS.items():
            low, high = control_limits(national["rate"], grid, level, national["tau2"])
            frame[f"lower_{name}"], frame[f"upper_{name}"] = 1000 * low, 1000 * high
        rows.append(frame)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


# --------------------------------------------------------------------------- published rows
def _per_1000(num, den):
    if pd.isna(num) or pd.isna(den) or not den:
        return np.nan
    return float(round_half_up(1000.0 * num / den, 1))


def coverage_rows(decisions: dict[str, Any], units: list[str], years: list[int]) -> pd.DataFrame:
    rows = []
    for unit in units:
        scope = _Scope(decisions[unit], unit)
        for year in years:
            for benefit in BENEFITS:
                num_key = ("T", rt.ONGOING_TABLE[benefit], year, "total")
                p, n = scope.count(num_key), scope.count(("N", year, benefit))
                hidden = scope.share_hidden(("COV", year, benefit)) or pd.isna(p) or pd.isna(n)
                rows.append({"forbund": unit, "year": int(year), "benefit": benefit, "participants": p,
                             "population": n, "per_1000": np.nan if hidden else _per_1000(p, n),
                             "suppressed": bool(hidden)})
    frame = pd.DataFrame(rows).astype({"participants": "Int64", "population": "Int64"})
    national = frame[frame["forbund"] == NATIONAL].set_index(["year", "benefit"])
    frame["rate"] = [np.nan if pd.isna(national.loc[(y, b), "per_1000"])
                     else national.loc[(y, b), "participants"] / national.loc[(y, b), "population"]
                     for y, b in zip(frame["year"], frame["benefit"])]
    frame["national_per_1000"] = [national.loc[(y, b), "per_1000"] for y, b in zip(frame["year"], frame["benefit"])]
    size = frame["population"].astype("Float64").fillna(0).to_numpy(dtype=float)
    spread = spread_of_coverage(frame)
    frame["tau2"] = [spread[(y, b)]["tau2"] for y, b in zip(frame["year"], frame["benefit"])]
    frame["beyond_chance"] = [np.nan if np.isnan(spread[(y, b)]["beyond_chance"])
                              else float(round_half_up(spread[(y, b)]["beyond_chance"], 2))
                              for y, b in zip(frame["year"], frame["benefit"])]
    for name, level in LIMITS.items():
        frame[f"lower_{name}"], frame[f"upper_{name}"] = np.nan, np.nan
        for (rate, tau2), index in frame.groupby(["rate", "tau2"]).groups.items():
            low, high = control_limits(rate, size[frame.index.get_indexer(index)], level, tau2)
            frame.loc[index, f"lower_{name}"], frame.loc[index, f"upper_{name}"] = 1000 * low, 1000 * high
    flag = pd.Series(pd.NA, index=frame.index, dtype="string")
    known = frame["per_1000"].notna() & (frame["forbund"] != NATIONAL)
    flag[known] = "within"
    for name in ("95", "998"):  # the wider limits last: outside 99,8 % overrides outside 95 %
        flag[known & (frame["per_1000"] > frame[f"upper_{name}"])] = f"above_{name}"
        flag[known & (frame["per_1000"] < frame[f"lower_{name}"])] = f"below_{name}"
    frame["funnel_flag"] = flag
    return frame


def _with_unit(frame: pd.DataFrame, unit: str) -> pd.DataFrame:
    frame.insert(0, "forbund", unit)
    return frame


def forbund_progress_total(years: int, forbund: int) -> int:
    """How many progress steps :func:`build_forbund_figures` counts for ``years`` years and ``forbund`` förbund: each
    year read, the counting, each year and benefit's model, each unit solved alone (the nation, every
    förbund), the one program and the published rows, weighted by the constants above."""
    return (years * (READ_STEPS + len(BENEFITS) * MODEL_STEPS) + COUNT_STEPS + 1 + forbund + PROGRAM_STEPS
            + ROWS_STEPS)


def forbund_figures_from_frames(deltagare: dict[int, pd.DataFrame], insatser: dict[int, pd.DataFrame],
                 formaner: dict[int, pd.DataFrame], geography: Geography, settings: Settings | int,
                 synthetic: bool = True, national: "Publication | None" = None,
                 area: "Area | None" = None, steps=SILENT) -> dict[str, pd.DataFrame]:
    """Every förbund's and the nation's figures for every year, through one linked disclosure control;
    ``national``: the national tables' decision to agree with (:func:`national_publication`); ``area``:
    register.area's tables' decision (:class:`Area`, its frames filled in here); ``steps``: a progress
    counter (:func:`forbund_progress_total` less the reading)."""
    if isinstance(settings, int):
        settings = Settings(settings, settings)
    years = sorted(deltagare)
    counts = count_all(deltagare, insatser, formaner, geography)
    steps.step(COUNT_STEPS)
    deltagare = {y: d.assign(forbund=geography.unit(d["forbund"])) for y, d in deltagare.items()}  # renames
    model = forbund_model.expected(deltagare, formaner, {y: geography.forbund_of(y) for y in years}, NATIONAL, REST,
                                   steps, MODEL_STEPS)
    attach_residents(counts, model)
    units = [NATIONAL, *geography.forbund]
    if area is not None:
        area = Area(area_units(geography, area.names), area.publication, (deltagare, insatser, formaner))
    decision, forced, work = protect_sums(counts, settings, national, area, geography, steps)
    decisions = dict.fromkeys(units, decision)
    participants, ins, diagnosis = [], [], []
    for unit in units:
        scope = _Scope(decisions[unit], unit)
        participants.append(_with_unit(rt.participant_rows(scope, years), unit))
        ins.append(_with_unit(rt.insatser_rows(scope, counts[unit].insatser), unit))
        diagnosis.append(_with_unit(rt.diagnosis_rows(scope, counts[unit].diagnosis), unit))
    coverage = coverage_rows(decisions, units, years)
    members = pd.concat([geography.members(y).assign(year=y) for y in years], ignore_index=True)
    members = members.merge(geography.kommuner[["kommunkod", "kommun"]], on="kommunkod")
    funnel, standardised = funnel_curves(coverage), standardised_rows(decisions, model, units, years)
    steps.step(ROWS_STEPS)
    return {
        "participants": pd.concat(participants, ignore_index=True),
        "insatser": pd.concat(ins, ignore_index=True),
        "diagnosis": pd.concat(diagnosis, ignore_index=True),
        "coverage": coverage.drop(columns="rate"),
        "funnel": funnel,
        "standardised": standardised,
        "geografi": members[["year", "forbund", "kommunkod", "kommun"]],
        "unit": pd.DataFrame([{"units": len(units), "forbund": len(geography.forbund), "first_year": years[0],
                               "last_year": years[-1], "min_cell_count": settings.threshold,
                               "protection_interval": settings.protection, "synthetic": bool(synthetic),
                               "reference_rule": REFERENCE_RULE, "funnel_limits": FUNNEL_LIMITS,
                               "hidden_cells": len(decision.hidden_cells),
                               "hidden_for_national_sums": sum(len(f) for f in forced.values()),
                               "rounds": work["rounds"], "cells_added_by_check": work["cells_added_by_check"],
                               "shares_added_by_check": work["shares_added_by_check"],
                               "structural_cells": work["structural"]}]),
    }


def build_forbund_figures(years: list[int], cleaned_root: Path, geography: Geography, settings: Settings | int,
                          synthetic: bool = True, register_tables: Path | None = None,
                          area: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """:func:`forbund_figures_from_frames` on the cleaned register data of ``years``; ``register_tables``:
    the register tables (data/processed/register/tabeller) whose decision the nation's rows follow, or
    with ``area`` (params.yaml register.area) the area's, whose decision the area's förbund follow."""
    check_same_key(cleaned_root, years)
    read = lambda name, year, columns=None: pd.read_parquet(Path(cleaned_root) / str(year) / f"{name}.parquet",  # noqa: E731
                                                            columns=columns)
    columns = list(forbund_model.NEEDED) + (["work_or_study_12m"] if area else [])  # the area's composition
    if register_tables:
        built_for = str(pd.read_parquet(Path(register_tables) / "unit.parquet")["area"].iloc[0] or "")
        if built_for != "; ".join(area or []):
            from ..core.errors import ConfigError

            raise ConfigError(f"the register tables are for {built_for or NATIONAL!r} but params.yaml register.area is "
                              f"{list(area or [])}: rebuild them first (`finsam stage register_tables`)")
    published = national_publication(register_tables, area=bool(area)) if register_tables else None
    with counting(forbund_progress_total(len(years), len(geography.forbund)), "steg: förbundens tabeller") as steps:
        deltagare, insatser, formaner = {}, {}, {}
        for y in years:
            deltagare[y], insatser[y] = read("deltagare", y), read("insatser", y)
            formaner[y] = read("formaner", y, columns)
            steps.step(READ_STEPS)
        return forbund_figures_from_frames(deltagare, insatser, formaner, geography, settings, synthetic,
                                           None if area else published,
                                           Area(list(area), published) if area else None, steps)


def save_forbund_figures(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    return write_tables(tables, out_dir)
