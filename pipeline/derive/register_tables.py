"""Bilaga 1's Tabell 1–6 counted from the cleaned register microdata, with disclosure control.

The tables have the same columns as the transcribed published ones (pipeline/sources/published.py),
so the same report can be built from either source. Everything counted here for one unit (the
nation, or the förbund named in params.yaml ``register.area``) goes through one linked
disclosure control (pipeline/derive/disclosure.py): Tabell 1–4 (counts, totals and shares), Tabell 5
(and the total the report's sentence gives), Tabell 6 (shares, whose numerators and
denominators are never written) and the Modellbilaga's composition of the participants for
every year (whose participants by sex are Tabell 1's and 3's cells). A hidden cell is ``NA``
with ``suppressed`` True in every table where it appears.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from . import models
from ..core.errors import ConfigError
from ..core.fmt import round_half_up
from ..core.io import write_tables
from ..core.progress import SILENT, counting
from ..sources.published import PARTICIPANT_TABLES, PublishedData
from ..sources.geografi import Geography, area_units, residents
from ..sources.register import check_same_key
from .disclosure import Linked, Settings

TARGET_FLAGS = {
    "unga_aktivitetsersattning": "malgrupp_unga_aktivitetsersattning",
    "sjukskrivna": "malgrupp_sjukskrivna",
    "unga_funktionsnedsattning": "malgrupp_unga_funktionsnedsattning",
}
ONGOING_TABLE = {"aktivitetsersattning": 1, "sjukpenning": 3}
NEW_TABLE = {"aktivitetsersattning": 2, "sjukpenning": 4}
# Progress: the counting after the reference populations (Tabell 6, the compositions, the one linked
# solve, the rows), in steps of about one year read or one reference population built.
COUNTING_STEPS = 4


def _whole_percent(part, whole):
    if pd.isna(part) or pd.isna(whole) or whole == 0:
        return pd.NA
    return int(round_half_up(100.0 * part / whole))


def _same_or_subset(linked: Linked, small, big) -> None:
    """``small`` counts people among ``big``'s; when the counts agree they are one cell."""
    if linked.value(small) == linked.value(big):
        linked.same(big, small)
    else:
        subset_if(linked, small, big)


# --------------------------------------------------------------------------- cells
def participant_counts(deltagare: dict[int, pd.DataFrame], by: str | None = None) -> dict:
    """Tabell 1–4's counts: (table, year, sex) → distinct persons with that benefit at the start,
    ongoing or new that year. With ``by`` (a column, e.g. forbund): {value of the column: such a dict},
    counted for every value in one pass."""
    out: dict = {}
    for year, d in sorted(deltagare.items()):
        d = d[d["person_id"].notna()]
        for table, (benefit, status) in PARTICIPANT_TABLES.items():
            sub = d[(d["support_at_start"] == benefit) & d["ongoing" if status == "pagaende" else "new"]]
            counts = sub.groupby([by, "sex"] if by else ["sex"])["person_id"].nunique()
            for index, n in counts.items():
                unit, sex = index if by else (None, index)
                out.setdefault(unit, {})[(table, year, sex)] = int(n)
    return out if by else out.get(None, {})


def add_participants(linked: Linked, deltagare: dict[int, pd.DataFrame], counts: dict | None = None) -> None:
    """Tabell 1–4: distinct persons per year, benefit at start, ongoing/new, sex; the total and the
    shares of women and men (whole per cent). ``counts``: :func:`participant_counts` of ``deltagare``
    if already counted (then only its years are read from ``deltagare``)."""
    counts = participant_counts(deltagare) if counts is None else counts
    for table in PARTICIPANT_TABLES:
        for year in sorted(deltagare):
            cells = [linked.cell(("T", table, year, sex), counts.get((table, year, sex), 0)) for sex in ("kvinna", "man")]
            linked.total(("T", table, year, "total"), cells)
            for sex in ("kvinna", "man"):
                linked.share(("T%", table, year, sex), ("T", table, year, sex), ("T", table, year, "total"))
    for benefit in ONGOING_TABLE:
        for year in deltagare:
            for sex in ("kvinna", "man", "total"):  # the new participants are among the ongoing ones
                subset_if(linked, ("T", NEW_TABLE[benefit], year, sex), ("T", ONGOING_TABLE[benefit], year, sex))


def flags_present(insatser: dict[int, pd.DataFrame]) -> dict[int, set[str]]:
    """The target groups each year's export has (2016 has no unga_funktionsnedsattning); read from
    the whole export, before any area filter."""
    return {year: {g for g, flag in TARGET_FLAGS.items() if not ins[flag].isna().all()}
            for year, ins in insatser.items()}


def insatser_counts(insatser: dict[int, pd.DataFrame], present: dict[int, set[str]] | None = None) -> pd.DataFrame:
    """Tabell 5's counts (NA where the year's export has no such flag)."""
    present = present or flags_present(insatser)
    counts = {}
    for year, ins in sorted(insatser.items()):
        counts[year] = {g: (int(ins[flag].fillna(False).sum()) if g in present[year] else pd.NA)
                        for g, flag in TARGET_FLAGS.items()}
    return pd.DataFrame(counts, index=list(TARGET_FLAGS)).T


def add_insatser(linked: Linked, counts: pd.DataFrame) -> None:
    """Tabell 5, and per year the sum over the target groups (the report's "Sammanlagt"). Insatser are
    activities, not people: a small count is shown (docs/assumptions_caveats.md, "Insatser")."""
    for year in counts.index:
        present = [g for g in TARGET_FLAGS if not pd.isna(counts.loc[year, g])]
        cells = [linked.cell(("I", year, g), int(counts.loc[year, g]), people=False) for g in present]
        if len(present) == len(TARGET_FLAGS):
            linked.total(("I", year, "total"), cells, people=False)


def diagnosis_counts(deltagare, reference) -> dict[tuple[str, int], tuple[int, int]]:
    """(benefit, year) → (n, k): new participants found in the benefit register (``reference``:
    :func:`reference_frames`), and of them with F00–F99."""
    out = {}
    for benefit in ("sjukpenning", "aktivitetsersattning"):
        for year, d in sorted(deltagare.items()):
            new = d[d["person_id"].notna() & d["new"] & (d["support_at_start"] == benefit)]["person_id"].unique()
            ref = reference[(year, benefit)]
            found = ref.loc[ref["person_id"].isin(set(new)), "psychiatric"]
            out[(benefit, year)] = (int(len(found)), int(found.sum()))
    return out


def add_diagnosis(linked: Linked, counts: dict[tuple[str, int], tuple[int, int]]) -> None:
    """Tabell 6: the share with a diagnosis per year and pooled. Its numerator k and the rest r = n − k
    are cells that are never written; the denominator n is Tabell 2's or 4's total when they agree."""
    for benefit in ("sjukpenning", "aktivitetsersattning"):
        years = sorted(y for b, y in counts if b == benefit)
        for year in years:
            n, k = counts[(benefit, year)]
            key = ("D", benefit, str(year))
            linked.cell(key + ("k",), k, published=False)
            linked.cell(key + ("r",), n - k, published=False)
            linked.total(key + ("n",), [key + ("k",), key + ("r",)], published=False)
            _same_or_subset(linked, key + ("n",), ("T", NEW_TABLE[benefit], year, "total"))
            linked.share(("D%", benefit, str(year)), key + ("k",), key + ("n",), protect=(key + ("k",), key + ("r",)))
        pooled = ("D", benefit, "total")
        for part in ("k", "r"):
            linked.total(pooled + (part,), [("D", benefit, str(y), part) for y in years], published=False)
        linked.total(pooled + ("n",), [pooled + ("k",), pooled + ("r",)], published=False)
        linked.share(("D%", benefit, "total"), pooled + ("k",), pooled + ("n",), protect=(pooled + ("k",), pooled + ("r",)))


def add_models(linked: Linked, compositions: dict[tuple[int, str], pd.DataFrame]) -> None:
    """The Modellbilaga's composition per year and benefit, linked to Tabell 1/3 (the same participants
    by sex) and Tabell 6 (the new participants with a diagnosis are among the participants with one)."""
    for (year, benefit), counts in compositions.items():
        prefix = ("C", year, benefit)
        models.add_composition(linked, prefix, counts)
        table = ONGOING_TABLE[benefit]
        for sex in ("kvinna", "man"):
            if linked.has(prefix + ("P", "sex", sex)):
                _same_or_subset(linked, prefix + ("P", "sex", sex), ("T", table, year, sex))
        _same_or_subset(linked, prefix + ("P", "total"), ("T", table, year, "total"))
        diag = ("D", benefit, str(year))
        if linked.has(diag + ("k",)) and linked.has(prefix + ("P", "psychiatric", "True")):
            subset_if(linked, diag + ("k",), prefix + ("P", "psychiatric", "True"))
        if linked.has(diag + ("n",)):
            subset_if(linked, diag + ("n",), prefix + ("P", "total"))


def subset_if(linked: Linked, small, big) -> None:
    """``small`` is among ``big``'s people (linked only where the counts allow it)."""
    if linked.value(small) <= linked.value(big):
        linked.subset(small, big)


# --------------------------------------------------------------------------- published rows
def participant_rows(decision, years) -> pd.DataFrame:
    rows = []
    for table, (benefit, status) in PARTICIPANT_TABLES.items():
        for year in years:
            total = decision.count(("T", table, year, "total"))
            for sex in ("kvinna", "man"):
                count = decision.count(("T", table, year, sex))
                rows.append({"table": table, "year": int(year), "benefit": benefit, "status": status, "sex": sex,
                             "count": count, "published_pct": _whole_percent(count, total),
                             "suppressed": pd.isna(count)})
            rows.append({"table": table, "year": int(year), "benefit": benefit, "status": status, "sex": "total",
                         "count": total, "published_pct": pd.NA, "suppressed": pd.isna(total)})
    return pd.DataFrame(rows).astype({"count": "Int64", "published_pct": "Int64", "suppressed": bool})


def insatser_rows(decision, counts: pd.DataFrame) -> pd.DataFrame:
    """Tabell 5 per target group, and the sum over the groups (``target_group`` "total")."""
    rows = []
    for year in counts.index:
        for group in [*TARGET_FLAGS, "total"]:
            if group != "total" and pd.isna(counts.loc[year, group]):
                rows.append({"table": 5, "year": int(year), "target_group": group, "count": pd.NA, "suppressed": False})
            elif group != "total" or ("I", year, "total") in decision.values:
                count = decision.count(("I", year, group))
                rows.append({"table": 5, "year": int(year), "target_group": group, "count": count,
                             "suppressed": pd.isna(count)})
    return pd.DataFrame(rows).astype({"count": "Int64", "suppressed": bool})


def diagnosis_rows(decision, counts) -> pd.DataFrame:
    """Tabell 6 as published: the share only (its numerator and denominator are not written)."""
    rows = []
    for benefit in ("sjukpenning", "aktivitetsersattning"):
        years = sorted(y for b, y in counts if b == benefit)
        for period in [str(y) for y in years] + ["total"]:
            hidden = decision.share_hidden(("D%", benefit, period))
            k, n = (decision.value(("D", benefit, period, x)) for x in ("k", "n"))
            rows.append({"table": 6, "period": period, "benefit": benefit,
                         "published_pct": pd.NA if hidden else _whole_percent(k, n), "suppressed": hidden})
    return pd.DataFrame(rows).astype({"published_pct": "Int64", "suppressed": bool})


def model_rows(decision, compositions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Modellbilaga's composition (per year and benefit) and its totals, as published."""
    parts, totals = [], []
    for (year, benefit), counts in compositions.items():
        prefix = ("C", year, benefit)
        parts.append(models.composition_rows(decision, prefix, counts).assign(year=year, benefit=benefit))
        totals.append({"year": year, "benefit": benefit, "n_participants": decision.count(prefix + ("P", "total")),
                       "n_population": decision.count(prefix + ("N", "total"))})
    return (pd.concat(parts, ignore_index=True),
            pd.DataFrame(totals).astype({"n_participants": "Int64", "n_population": "Int64"}))


def population_rows(decision, years) -> pd.DataFrame:
    """Everyone with the benefit per year (the reference population): the composition's total, so
    hidden there means hidden here (NaN)."""
    rows = []
    for year in sorted(years):
        for benefit, fid in (("aktivitetsersattning", "population_ae"), ("sjukpenning", "population_sp")):
            count = decision.count(("C", year, benefit, "N", "total"))
            rows.append({"figure_id": fid, "year": int(year), "value": float("nan") if pd.isna(count) else float(count)})
    return pd.DataFrame(rows)


def unit_label(area: list[str] | None) -> str:
    return "Hela riket" if not area else ", ".join(area)


def build_register_tables(years: list[int], cleaned_root: Path, settings: Settings | int, area: list[str] | None = None,
                          geography: Geography | None = None) -> dict[str, pd.DataFrame]:
    """Every table of one unit (``area``, or the nation), through one linked disclosure control."""
    check_same_key(cleaned_root, years)  # pseudonyms link across years only under one key
    read = lambda name, y: pd.read_parquet(cleaned_root / str(y) / f"{name}.parquet")  # noqa: E731
    with counting(register_progress_total(len(years), bool(area)), "steg: registrets tabeller") as steps:
        deltagare, insatser, formaner = {}, {}, {}
        for y in years:
            deltagare[y], insatser[y], formaner[y] = read("deltagare", y), read("insatser", y), read("formaner", y)
            steps.step()
        quality = pd.concat([read("kvalitet", y) for y in years], ignore_index=True)
        return register_tables_from_frames(deltagare, insatser, formaner, settings, area, geography=geography,
                            steps=steps) | {"quality": quality}


def register_progress_total(years: int, area: bool = False) -> int:
    """The progress steps of :func:`build_register_tables`: each year read, each year and benefit's reference population
    (twice for an area: the nation's for Tabell 6, the area's for the rest), the counting after."""
    return years * (1 + len(models.BENEFITS) * (2 if area else 1)) + COUNTING_STEPS


def reference_frames(formaner: dict[int, pd.DataFrame], steps=SILENT) -> dict[tuple[int, str], pd.DataFrame]:
    """The Modellbilaga's reference populations per year and benefit (of the register given);
    ``steps``: a progress counter (:mod:`pipeline.core.progress`), one step each."""
    out = {}
    for y, f in formaner.items():
        for b in models.BENEFITS:
            out[(y, b)] = models.reference_frame(f, y, b)
            steps.step()
    return out


def register_tables_from_frames(deltagare: dict[int, pd.DataFrame], insatser: dict[int, pd.DataFrame],
                 formaner: dict[int, pd.DataFrame], settings: Settings | int, area: list[str] | None = None,
                 reference: dict[tuple[int, str], pd.DataFrame] | None = None,
                 geography: Geography | None = None, steps=SILENT) -> dict[str, pd.DataFrame]:
    """:func:`build_register_tables` on cleaned frames already read (per year): :func:`link_unit`, one
    solve, the rows. ``steps``: a progress counter (:func:`register_progress_total` less the reading)."""
    if isinstance(settings, int):
        settings = Settings(settings, settings)
    linked = Linked(settings.threshold, settings.protection)
    unit = link_unit(linked, deltagare, insatser, formaner, area, reference, geography, steps)
    decision = linked.solve()
    composition, model_totals = model_rows(decision, unit.compositions)
    steps.step(COUNTING_STEPS)
    return {
        "participants": participant_rows(decision, unit.years),
        "insatser": insatser_rows(decision, unit.insatser),
        "diagnosis": diagnosis_rows(decision, unit.diagnosis),
        "population": population_rows(decision, unit.years),
        "composition": composition,
        "model_totals": model_totals,
        "unit": pd.DataFrame([{"unit": unit_label(unit.area), "area": "; ".join(unit.area or []),
                               "min_cell_count": settings.threshold, "protection_interval": settings.protection}]),
    }


@dataclass
class UnitCells:
    """What :func:`link_unit` counted (the published rows are written from these and the decision)."""

    area: list[str] | None
    years: list[int]
    insatser: pd.DataFrame  # Tabell 5's counts
    diagnosis: dict  # Tabell 6's (n, k)
    compositions: dict  # the Modellbilaga's composition per (year, benefit)


def link_unit(linked, deltagare: dict[int, pd.DataFrame], insatser: dict[int, pd.DataFrame],
              formaner: dict[int, pd.DataFrame], area: list[str] | None = None,
              reference: dict[tuple[int, str], pd.DataFrame] | None = None,
              geography: Geography | None = None, steps=SILENT) -> UnitCells:
    """Every cell of one unit (``area``, or the nation) in ``linked``: Tabell 1–6 and the Modellbilaga's
    composition of every year, with their links. For many areas, pass ``reference``
    (:func:`reference_frames` of the whole register) so that it is built once. ``linked`` may be a view
    of a larger set (the förbund stage links the area's cells to its förbund's, pipeline/derive/forbund.py).

    For an ``area`` (förbund by their newest names, :func:`geografi.area_units`; registrations under a
    declared old name count) the reference population (the composition's everyone with the benefit, and
    the population figures) is the area's: the people living in its kommuner (``geography``, on the
    reference date). Tabell 6 looks new participants up in the whole register (a diagnosis belongs
    to the person, wherever they live)."""
    years = sorted(deltagare)
    if area and geography is None:
        raise ConfigError("register.area needs the förbund–kommun mapping (data/raw/geografi) for the area's "
                          "reference population")
    area = area_units(geography, area) if area else None
    present = flags_present(insatser)
    deltagare = {y: models.in_area(d, area, geography) for y, d in deltagare.items()}
    insatser = {y: models.in_area(i, area, geography) for y, i in insatser.items()}
    add_participants(linked, deltagare)
    ins_counts = insatser_counts(insatser, present)
    add_insatser(linked, ins_counts)
    reference = reference or reference_frames(formaner, steps)
    diag_counts = diagnosis_counts(deltagare, reference)
    add_diagnosis(linked, diag_counts)
    if area:
        reference = reference_frames({y: residents(f, geography, area, y) for y, f in formaner.items()}, steps)
    compositions = {(y, b): models.composition_counts(models.mark_participants(reference[(y, b)], deltagare[y], b), b)
                    for y in years for b in models.BENEFITS}
    add_models(linked, compositions)
    return UnitCells(area, years, ins_counts, diag_counts, compositions)


def save_register_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    return write_tables(tables, out_dir)


def as_published(register_dir: Path, published: PublishedData) -> PublishedData:
    """Tables from microdata in the shape of the published data; text figures and sources from the
    documents, with the reference populations replaced by the register's counts for every year."""
    participants = pd.read_parquet(register_dir / "participants.parquet")
    insatser = pd.read_parquet(register_dir / "insatser.parquet")
    diagnosis = pd.read_parquet(register_dir / "diagnosis.parquet")
    population = pd.read_parquet(register_dir / "population.parquet")
    text = published.text_figures
    text = text[~text["figure_id"].isin(population["figure_id"].unique())]
    extra = population.dropna(subset=["value"]).assign(document="register", section="register", unit="count", approx=False,
                              description="Distinct persons with the benefit in the cleaned benefit register")
    text = pd.concat([text, extra[text.columns]], ignore_index=True)
    keep = {f.name: None for f in fields(PublishedData)}
    keep.update(participants=participants, insatser=insatser,  # rows of target_group "total" hold the sum; `suppressed` marks cells shown as ".."
                diagnosis=diagnosis[["table", "period", "benefit", "published_pct", "suppressed"]], text_figures=text,
                sources=published.sources)
    return PublishedData(**keep)
