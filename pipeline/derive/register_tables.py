"""Bilaga 1's Tabell 1–6 counted from the cleaned register microdata, with disclosure control.

The tables have the same columns as the transcribed published ones (pipeline/sources/published.py),
so the same report can be built from either source. Counts below the threshold in
params.yaml (``disclosure.min_cell_count``) and the complementary cells that would reveal
them are hidden (``count`` is NA and ``suppressed`` True); see pipeline/derive/disclosure.py.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pandas as pd

from .disclosure import suppress
from ..core.fmt import round_half_up
from ..core.io import write_tables
from ..core.vocabulary import PSYCHIATRIC
from ..sources.published import PARTICIPANT_TABLES, PublishedData
from ..sources.register import check_same_key

TARGET_FLAGS = {
    "unga_aktivitetsersattning": "malgrupp_unga_aktivitetsersattning",
    "sjukskrivna": "malgrupp_sjukskrivna",
    "unga_funktionsnedsattning": "malgrupp_unga_funktionsnedsattning",
}


def _pct(part, whole):
    if pd.isna(part) or pd.isna(whole) or whole == 0:
        return pd.NA
    return int(round_half_up(100.0 * part / whole))


def participant_rows(deltagare: dict[int, pd.DataFrame], threshold: int) -> pd.DataFrame:
    """Tabell 1–4: distinct persons per year, benefit at start, ongoing/new, sex; K and M hidden together."""
    rows = []
    for table, (benefit, status) in PARTICIPANT_TABLES.items():
        counts = {}
        for year, d in sorted(deltagare.items()):
            sub = d[d["person_id"].notna() & (d["support_at_start"] == benefit) & d["ongoing" if status == "pagaende" else "new"]]
            by_sex = sub.groupby("sex")["person_id"].nunique()
            counts[year] = {"kvinna": int(by_sex.get("kvinna", 0)), "man": int(by_sex.get("man", 0))}
        interior = pd.DataFrame(counts).T[["kvinna", "man"]]
        result = suppress(interior, threshold, row_totals=True)
        for year in interior.index:
            total = int(interior.loc[year].sum())
            total_hidden = bool(result.hidden_row_totals[year])
            for sex in ("kvinna", "man"):
                hidden = bool(result.hidden.loc[year, sex])
                value = int(interior.loc[year, sex])
                rows.append({"table": table, "year": int(year), "benefit": benefit, "status": status, "sex": sex,
                             "count": pd.NA if hidden else value,
                             "published_pct": pd.NA if hidden or total_hidden else _pct(value, total),
                             "suppressed": hidden})
            rows.append({"table": table, "year": int(year), "benefit": benefit, "status": status, "sex": "total",
                         "count": pd.NA if total_hidden else total, "published_pct": pd.NA,
                         "suppressed": total_hidden})
    return pd.DataFrame(rows).astype({"count": "Int64", "published_pct": "Int64"})


def insatser_rows(insatser: dict[int, pd.DataFrame], threshold: int) -> pd.DataFrame:
    """Tabell 5: insatser per prioritised target group and year (NA where the year has no such flag)."""
    counts = {}
    for year, ins in sorted(insatser.items()):
        counts[year] = {g: (pd.NA if ins[flag].isna().all() else int(ins[flag].fillna(False).sum()))
                        for g, flag in TARGET_FLAGS.items()}
    interior = pd.DataFrame(counts).T
    present = interior.notna()
    result = suppress(interior.fillna(threshold).astype(int), threshold)  # no margins in Tabell 5
    rows = []
    for year in interior.index:
        for group in TARGET_FLAGS:
            hidden = bool(result.hidden.loc[year, group]) and bool(present.loc[year, group])
            value = interior.loc[year, group]
            rows.append({"table": 5, "year": int(year), "target_group": group,
                         "count": pd.NA if hidden or pd.isna(value) else int(value), "suppressed": hidden})
    return pd.DataFrame(rows).astype({"count": "Int64"})


def diagnosis_rows(deltagare: dict[int, pd.DataFrame], formaner: dict[int, pd.DataFrame], threshold: int) -> pd.DataFrame:
    """Tabell 6: share with an F00–F99 diagnosis among those who started an insats, per year and pooled.

    A share is hidden when the number with or the number without a diagnosis is below the
    threshold (either could be worked out from the share and the published participant count).
    """
    rows = []
    pooled: dict[str, list[int]] = {}
    for benefit in ("sjukpenning", "aktivitetsersattning"):
        for year, d in sorted(deltagare.items()):
            new = d[d["person_id"].notna() & d["new"] & (d["support_at_start"] == benefit)]["person_id"].unique()
            f = formaner[year]
            chapters = f[f["benefit"] == benefit].drop_duplicates("person_id").set_index("person_id")["diagnosis_chapter"]
            found = chapters.reindex(new)
            n, k = int(found.notna().sum()), int((found == PSYCHIATRIC).sum())
            pooled.setdefault(benefit, [0, 0])
            pooled[benefit][0] += n
            pooled[benefit][1] += k
            rows.append(_share_row(str(year), benefit, k, n, threshold))
        n, k = pooled[benefit]
        rows.append(_share_row("total", benefit, k, n, threshold))
    return pd.DataFrame(rows).astype({"published_pct": "Int64"})


def _share_row(period: str, benefit: str, k: int, n: int, threshold: int) -> dict:
    hidden = k < threshold or (n - k) < threshold
    return {"table": 6, "period": period, "benefit": benefit, "published_pct": pd.NA if hidden else _pct(k, n),
            "n": n, "n_psychiatric": k, "suppressed": hidden}


def population_rows(formaner: dict[int, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for year, f in sorted(formaner.items()):
        for benefit, fid in (("aktivitetsersattning", "population_ae"), ("sjukpenning", "population_sp")):
            rows.append({"figure_id": fid, "year": int(year),
                         "value": float(f.loc[f["benefit"] == benefit, "person_id"].nunique())})
    return pd.DataFrame(rows)


def build(years: list[int], cleaned_root: Path, threshold: int) -> dict[str, pd.DataFrame]:
    check_same_key(cleaned_root, years)  # pseudonyms link across years only under one key
    read = lambda name: {y: pd.read_parquet(cleaned_root / str(y) / f"{name}.parquet") for y in years}  # noqa: E731
    deltagare, insatser, formaner = read("deltagare"), read("insatser"), read("formaner")
    quality = pd.concat([pd.read_parquet(cleaned_root / str(y) / "kvalitet.parquet") for y in years], ignore_index=True)
    return {
        "participants": participant_rows(deltagare, threshold),
        "insatser": insatser_rows(insatser, threshold),
        "diagnosis": diagnosis_rows(deltagare, formaner, threshold),
        "population": population_rows(formaner),
        "quality": quality,
    }


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
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
    extra = population.assign(document="register", section="register", unit="count", approx=False,
                              description="Distinct persons with the benefit in the cleaned benefit register")
    text = pd.concat([text, extra[text.columns]], ignore_index=True)
    keep = {f.name: None for f in fields(PublishedData)}
    keep.update(participants=participants, insatser=insatser,  # `suppressed` marks cells shown as ".."
                diagnosis=diagnosis[["table", "period", "benefit", "published_pct"]], text_figures=text,
                sources=published.sources)
    return PublishedData(**keep)
