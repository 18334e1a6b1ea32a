"""Published aggregates transcribed from the source documents (data/raw/published/).

The raw CSV files are the single transcription of the documents; this module checks them
(file, line and column on any problem), and writes the validated tidy tables to
data/processed/published/ as Parquet for the reports.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from ..core.errors import InputError
from ..core.io import Column, Schema, read_csv_checked, write_csv_atomic, write_parquet_atomic
from ..core.vocabulary import BENEFIT_LABELS

STATUS_LABELS = {"pagaende": "pågående", "nyregistrerad": "nyregistrerade"}
SEX_LABELS = {"kvinna": "Kvinna", "man": "Man", "total": "Total"}
TARGET_GROUP_LABELS = {
    "unga_aktivitetsersattning": "Unga med aktivitetsersättning",
    "sjukskrivna": "Sjukskrivna",
    "unga_funktionsnedsattning": "Unga med funktionsnedsättning",
}

# Table number → (benefit, status) for the participant tables, as in 002 Bilaga 1.
PARTICIPANT_TABLES = {
    1: ("aktivitetsersattning", "pagaende"),
    2: ("aktivitetsersattning", "nyregistrerad"),
    3: ("sjukpenning", "pagaende"),
    4: ("sjukpenning", "nyregistrerad"),
}
# The tables' titles: the document's numbers (which trace a table to its source), our own wording.
TABLE_TITLES = {
    1: "Tabell 1 Pågående deltagare med aktivitetsersättning",
    2: "Tabell 2 Nyregistrerade deltagare med aktivitetsersättning",
    3: "Tabell 3 Pågående deltagare med sjukpenning",
    4: "Tabell 4 Nyregistrerade deltagare med sjukpenning",
    5: "Tabell 5 Insatser per prioriterad målgrupp",
    6: "Tabell 6 Andel med psykiatrisk diagnos bland deltagarna i insatser som samordningsförbunden finansierar",
}

DOCUMENTS = {
    "000": "000_c59416c08b1b6909.txt",
    "002": "002_602d25f77de43db0.txt",
    "003": "003_da61e1a8fcf56ad9.txt",
}

PARTICIPANTS = Schema(
    "b1_deltagare",
    (
        Column("table", "int", allowed=frozenset({"1", "2", "3", "4"})),
        Column("year", "int", minimum=2000, maximum=2100),
        Column("benefit", allowed=frozenset(BENEFIT_LABELS)),
        Column("status", allowed=frozenset(STATUS_LABELS)),
        Column("sex", allowed=frozenset(SEX_LABELS)),
        Column("count", "int", minimum=0),
        Column("published_pct", "int", required=False, minimum=0, maximum=100),
    ),
    key=("table", "year", "sex"),
)
INSATSER = Schema(
    "b1_insatser",
    (
        Column("table", "int", allowed=frozenset({"5"})),
        Column("year", "int", minimum=2000, maximum=2100),
        Column("target_group", allowed=frozenset(TARGET_GROUP_LABELS)),
        Column("count", "int", required=False, minimum=0),
    ),
    key=("year", "target_group"),
)
DIAGNOSIS = Schema(
    "b1_psykiatrisk_diagnos",
    (
        Column("table", "int", allowed=frozenset({"6"})),
        Column("period"),
        Column("benefit", allowed=frozenset(BENEFIT_LABELS)),
        Column("published_pct", "int", minimum=0, maximum=100),
    ),
    key=("period", "benefit"),
)
TEXT_FIGURES = Schema(
    "text_figures",
    (
        Column("figure_id"),
        Column("document", allowed=frozenset(DOCUMENTS)),
        Column("section"),
        Column("year", "int", minimum=2000, maximum=2100),
        Column("value", "float"),
        Column("unit", allowed=frozenset({"count", "percent", "percentage_points", "years"})),
        Column("approx", "bool"),
        Column("description"),
    ),
    key=("figure_id", "year"),
)
SOURCES = Schema(
    "sources",
    (
        Column("file"),
        Column("table"),
        Column("document"),
        Column("document_title"),
        Column("section"),
        Column("page"),
        Column("note", required=False),
    ),
    key=("file", "table"),
)


@dataclass(frozen=True)
class PublishedData:
    participants: pd.DataFrame
    insatser: pd.DataFrame
    diagnosis: pd.DataFrame
    text_figures: pd.DataFrame
    sources: pd.DataFrame

    @property
    def years(self) -> list[int]:
        return sorted(set(self.participants["year"].astype(int)) | set(self.insatser["year"].astype(int)))

    def participant_count(self, table: int, year: int, sex: str = "total") -> int | None:
        p = self.participants
        hit = p[(p["table"] == table) & (p["year"] == year) & (p["sex"] == sex)]
        return None if hit.empty or pd.isna(hit["count"].iloc[0]) else int(hit["count"].iloc[0])

    def insatser_count(self, year: int, group: str) -> int | None:
        i = self.insatser
        hit = i[(i["year"] == year) & (i["target_group"] == group)]
        if hit.empty or pd.isna(hit["count"].iloc[0]):
            return None
        return int(hit["count"].iloc[0])

    def diagnosis_pct(self, period: str | int, benefit: str) -> int | None:
        d = self.diagnosis
        hit = d[(d["period"] == str(period)) & (d["benefit"] == benefit)]
        return None if hit.empty or pd.isna(hit["published_pct"].iloc[0]) else int(hit["published_pct"].iloc[0])

    def figure(self, figure_id: str, year: int) -> float | None:
        t = self.text_figures
        hit = t[(t["figure_id"] == figure_id) & (t["year"] == year)]
        return None if hit.empty else float(hit["value"].iloc[0])

    def figure_row(self, figure_id: str, year: int) -> pd.Series:
        t = self.text_figures
        hit = t[(t["figure_id"] == figure_id) & (t["year"] == year)]
        if hit.empty:
            raise KeyError(f"text figure {figure_id!r} for {year} is not in text_figures.csv")
        return hit.iloc[0]


def _check_participant_tables(frame: pd.DataFrame, path: Path) -> None:
    """Each table number must carry the benefit and status the document gives it."""
    lines = frame.attrs.get("source_lines", [None] * len(frame))
    for (_, row), line in zip(frame.iterrows(), lines):
        expected = PARTICIPANT_TABLES[int(row["table"])]
        if (row["benefit"], row["status"]) != expected:
            raise InputError(
                path,
                f"Tabell {row['table']} is {expected[0]}/{expected[1]}, not {row['benefit']}/{row['status']}",
                line,
                "benefit",
            )


def _check_diagnosis_periods(frame: pd.DataFrame, path: Path) -> None:
    lines = frame.attrs.get("source_lines", [None] * len(frame))
    for period, line in zip(frame["period"], lines):
        if period != "total" and not str(period).isdigit():
            raise InputError(path, f"period must be a year or 'total', got {period!r}", line, "period")


def load_published(raw_dir: str | Path) -> PublishedData:
    """Read and check every transcribed file in ``raw_dir`` (data/raw/published)."""
    raw_dir = Path(raw_dir)
    participants = read_csv_checked(raw_dir / "b1_deltagare.csv", PARTICIPANTS)
    _check_participant_tables(participants, raw_dir / "b1_deltagare.csv")
    diagnosis = read_csv_checked(raw_dir / "b1_psykiatrisk_diagnos.csv", DIAGNOSIS)
    _check_diagnosis_periods(diagnosis, raw_dir / "b1_psykiatrisk_diagnos.csv")
    return PublishedData(
        participants=participants,
        insatser=read_csv_checked(raw_dir / "b1_insatser.csv", INSATSER),
        diagnosis=diagnosis,
        text_figures=read_csv_checked(raw_dir / "text_figures.csv", TEXT_FIGURES),
        sources=read_csv_checked(raw_dir / "sources.csv", SOURCES),
    )


def save_processed(data: PublishedData, out_dir: str | Path) -> list[Path]:
    """Write each validated table as Parquet (and CSV for people without Parquet tools)."""
    out_dir = Path(out_dir)
    written = []
    for field in fields(data):
        frame = getattr(data, field.name)
        written.append(write_parquet_atomic(frame, out_dir / f"{field.name}.parquet"))
        written.append(write_csv_atomic(frame, out_dir / f"{field.name}.csv"))
    return written


def load_processed(out_dir: str | Path) -> PublishedData:
    out_dir = Path(out_dir)
    missing = [f.name for f in fields(PublishedData) if not (out_dir / f"{f.name}.parquet").is_file()]
    if missing:
        raise InputError(out_dir, f"processed tables missing ({', '.join(missing)}); run `finsam stage published` first")
    return PublishedData(**{f.name: pd.read_parquet(out_dir / f"{f.name}.parquet") for f in fields(PublishedData)})
