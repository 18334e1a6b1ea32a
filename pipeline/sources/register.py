"""Register microdata: read the raw exports, validate, clean, pseudonymise, count.

One year's exports (data/raw/register/<year>/, described in data/raw/register/exports.yaml)
are read with their declared encoding, delimiter and decimal mark; a file that cannot be
read that way stops with file, line and column. Rows are then validated with pandera and
the cleaning rules below; a row that fails goes to the quarantine with a reason code, never
silently away: rows in = rows kept + rows quarantined, checked for every file.

Rules, in order (the first that applies gives the reason):
1. ``dubblett``: an exact copy of an earlier row (every column equal) – the first is kept.
2. ``saknat_varde``, ``okand_kod``, ``ogiltigt_datum``: the pandera schema (values required,
   codes in their code lists, dates as YYYY-MM-DD).
3. ``personnummer_*``: a registration with personal data needs a valid personnummer: form,
   date (samordningsnummer allowed), check digit, and a birth year equal to ``fodelsear``.
4. ``slut_fore_start``: an end date before the start date.
5. ``utanfor_aret``: a registration that does not overlap the export's year.
6. ``dubbelregistrering``: the same person registered more than once in the same insats –
   the registration with the earliest start is kept.

Personnummer are replaced by keyed pseudonyms (HMAC-SHA256, pipeline/core/personnummer.py) before
anything is written; the output has no personnummer column. Definitions used for counting:

* **pågående deltagare** in year Y: distinct persons (registrations with personal data) with
  a registration that started on or before 31 December Y and has no end date or ended on or
  after 1 January Y;
* **nyregistrerad deltagare** in year Y: distinct persons with a registration that started in Y;
* the benefit a participant is counted under is the support at the start of the registration
  (``forsorjning_vid_start``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..core.errors import ConfigError, InputError
from ..core.io import write_csv_atomic, write_parquet_atomic
from ..core.personnummer import load_key, parse, pseudonymise
from ..core.vocabulary import BENEFITS, SUPPORT

EXPORTS_FILE = "exports.yaml"
SEX = {"k": "kvinna", "kvinna": "kvinna", "2": "kvinna", "m": "man", "man": "man", "1": "man"}
REGISTRATION_TYPES = ("personuppgifter", "anonym", "volym")
INSATS_TYPES = ("individinriktad", "strukturövergripande")
REASONS = {
    "dubblett": "exakt dubblett av en tidigare rad",
    "saknat_varde": "obligatoriskt värde saknas",
    "okand_kod": "okänd kod",
    "ogiltigt_datum": "datum som inte kan läsas (ska vara ÅÅÅÅ-MM-DD)",
    "ogiltigt_tal": "tal som inte kan läsas",
    "personnummer_saknas": "registrering med personuppgifter utan personnummer",
    "personnummer_format": "personnumret har fel form",
    "personnummer_datum": "personnumret innehåller inget giltigt datum",
    "personnummer_kontrollsiffra": "personnumrets kontrollsiffra stämmer inte",
    "personnummer_fodelsear": "personnumrets födelseår är inte kolumnen fodelsear",
    "slut_fore_start": "slutdatum före startdatum",
    "utanfor_aret": "registreringen ligger inte i exportens år",
    "dubbelregistrering": "samma person registrerad flera gånger i samma insats (den tidigaste behålls)",
}


def load_exports(register_raw: Path) -> dict[str, dict[str, Any]]:
    path = register_raw / EXPORTS_FILE
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))["exports"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the export descriptions ({exc})") from None
    return spec


# --------------------------------------------------------------------------- reading
def read_export(path: Path, spec: dict[str, Any]) -> pd.DataFrame:
    """All cells as text, stripped, plus ``_line`` (line in the file); errors name file/line/column."""
    if not path.is_file():
        raise InputError(path, "export not found")
    raw = path.read_bytes()
    encoding = spec["encoding"]
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, f"cannot be read as {encoding} (byte 0x{raw[exc.start]:02x}); the export must be "
                               f"{encoding}", line) from None
    text = text.lstrip("\ufeff")
    header_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = spec["delimiter"]
    header = [h.strip() for h in header_line.split(delimiter)]
    if len(header) == 1:
        other = next((d for d in (",", ";", "\t", "|") if d != delimiter and d in header_line), None)
        if other:
            raise InputError(path, f"the header is split by {other!r}, but this export must use {delimiter!r}", 1)
    missing = [c for c in spec["columns"] if c not in header]
    if missing:
        raise InputError(path, f"missing column(s): {', '.join(missing)}", 1, missing[0])
    unknown = [c for c in header if c not in spec["columns"]]
    if unknown:
        raise InputError(path, f"unknown column(s): {', '.join(unknown)}", 1, unknown[0])
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_filter=False,
                            engine="c")
    except pd.errors.ParserError as exc:
        raise InputError(path, f"not a well-formed {delimiter!r}-separated file: {exc}") from None
    frame = frame.apply(lambda s: s.str.strip())
    frame["_line"] = np.arange(2, len(frame) + 2)
    frame.attrs["path"] = str(path)
    return frame


# --------------------------------------------------------------------------- validation
def _schema(kind: str, decimal: str):
    import pandera.pandas as pa

    date = pa.Check.str_matches(r"^\d{4}-\d{2}-\d{2}$", name="ogiltigt_datum")
    code = lambda values: pa.Check.isin(list(values), name="okand_kod")  # noqa: E731
    required = pa.Check(lambda s: s != "", element_wise=False, name="saknat_varde")
    year = pa.Check.str_matches(r"^\d{4}$", name="ogiltigt_datum")
    if kind == "deltagare":
        return pa.DataFrameSchema({
            "registrering_id": pa.Column(str, required),
            "registreringstyp": pa.Column(str, [required, code(REGISTRATION_TYPES)]),
            "kon": pa.Column(str, [required, code(SEX)]),
            "fodelsear": pa.Column(str, [required, year]),
            "insats_id": pa.Column(str, required),
            "forbund": pa.Column(str, required),
            "startdatum": pa.Column(str, [required, date]),
            "slutdatum": pa.Column(str, pa.Check.str_matches(r"^(\d{4}-\d{2}-\d{2})?$", name="ogiltigt_datum")),
            "forsorjning_vid_start": pa.Column(str, [required, code(SUPPORT)]),
        }, strict=False)
    if kind == "insatser":
        flag = pa.Check.isin(["0", "1", ""], name="okand_kod")  # empty: the target group did not exist that year
        return pa.DataFrameSchema({
            "insats_id": pa.Column(str, required), "forbund": pa.Column(str, required),
            "ar": pa.Column(str, [required, year]), "typ": pa.Column(str, [required, code(INSATS_TYPES)]),
            "inriktning": pa.Column(str, required),
            "malgrupp_unga_aktivitetsersattning": pa.Column(str, flag),
            "malgrupp_sjukskrivna": pa.Column(str, flag), "malgrupp_unga_funktionsnedsattning": pa.Column(str, flag),
        }, strict=False)
    number = pa.Check.str_matches(r"^\d+([" + ("," if decimal == "," else ".") + r"]\d+)?$", name="ogiltigt_tal")
    return pa.DataFrameSchema({
        "personnummer": pa.Column(str, required), "kon": pa.Column(str, [required, code(SEX)]),
        "fodelsear": pa.Column(str, [required, year]), "forman": pa.Column(str, [required, code(BENEFITS)]),
        "diagnoskapitel": pa.Column(str, required), "formansstart": pa.Column(str, [required, date]),
        "formansgrad": pa.Column(str, [required, number]),
        "arbete_studier_12m": pa.Column(str, pa.Check.isin(["0", "1", ""], name="okand_kod")),
    }, strict=False)


def _allowed(kind: str, column: str) -> list[str]:
    codes = {"kon": list(dict.fromkeys(SEX)) + ["(stora eller små bokstäver)"], "registreringstyp": REGISTRATION_TYPES,
             "forsorjning_vid_start": SUPPORT, "forman": BENEFITS, "typ": INSATS_TYPES}
    return list(codes.get(column, ["0", "1", "(tomt)"]))


def path_of(frame: pd.DataFrame) -> Path:
    return Path(frame.attrs.get("path", "<export>"))


def _first_failure(frame: pd.DataFrame, kind: str, decimal: str) -> pd.DataFrame:
    """For every failing row: the first failing check's reason and column (pandera, lazy)."""
    import pandera.pandas as pa

    check_frame = frame.drop(columns="_line").copy()
    if "kon" in check_frame:
        check_frame["kon"] = check_frame["kon"].str.lower()
    try:
        _schema(kind, decimal).validate(check_frame, lazy=True)
        return pd.DataFrame(columns=["reason", "column", "failure_case"])
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        cases = cases[cases["index"].notna()].copy()
        cases["reason"] = cases["check"].astype(str).str.replace(r"\(.*", "", regex=True)
        cases["index"] = cases["index"].astype(int)
        first = cases.drop_duplicates("index").set_index("index")[["reason", "column", "failure_case"]]
        first["reason"] = first["reason"].where(first["reason"].isin(REASONS), "okand_kod")
        return first


@dataclass
class Cleaned:
    kept: pd.DataFrame
    quarantine: pd.DataFrame  # export, line, reason, column, value
    rows_in: int


def _quarantine(rows: pd.DataFrame, kind: str, reason: pd.Series | str, column: pd.Series | str) -> pd.DataFrame:
    out = pd.DataFrame({"export": kind, "line": rows["_line"].to_numpy(), "reason": reason, "column": column})
    if isinstance(reason, pd.Series):
        out["reason"] = reason.to_numpy()
    if isinstance(column, pd.Series):
        out["column"] = column.to_numpy()
    values = []
    for (_, row), col in zip(rows.iterrows(), out["column"]):
        values.append("(personnummer, visas inte)" if col == "personnummer" or col not in row else str(row[col]))
    out["value"] = values
    return out


def clean_export(frame: pd.DataFrame, kind: str, year: int, decimal: str, key: bytes) -> Cleaned:
    """Apply the rules above to one export; the result holds no personnummer."""
    rows_in = len(frame)
    source = path_of(frame)
    parts: list[pd.DataFrame] = []
    data_columns = [c for c in frame.columns if c != "_line"]
    dup = frame.duplicated(subset=data_columns, keep="first")
    parts.append(_quarantine(frame[dup], kind, "dubblett", "(hela raden)"))
    frame = frame[~dup]
    failures = _first_failure(frame, kind, decimal)
    unknown = failures[failures["reason"] == "okand_kod"]
    if len(unknown):  # a code outside the code list is a changed export, not a bad row: stop
        index, row = next(iter(unknown.iterrows()))
        raise InputError(source, f"unknown code {row['failure_case']!r} ({len(unknown)} row(s) in all); "
                         f"allowed: {', '.join(_allowed(kind, row['column']))}", int(frame.loc[index, "_line"]),
                         row["column"])
    failures = failures.drop(columns="failure_case")
    if len(failures):
        bad = frame.loc[failures.index]
        parts.append(_quarantine(bad, kind, failures["reason"], failures["column"]))
        frame = frame.drop(index=failures.index)
    if kind in ("deltagare", "formaner"):
        has_pnr = frame["registreringstyp"].eq("personuppgifter") if kind == "deltagare" else pd.Series(True, frame.index)
        missing = has_pnr & frame["personnummer"].eq("")
        parts.append(_quarantine(frame[missing], kind, "personnummer_saknas", "personnummer"))
        frame = frame[~missing]
        has_pnr = has_pnr[frame.index]
        parsed = parse(frame.loc[has_pnr, "personnummer"], year)
        problem = parsed["problem"].copy()
        wrong_year = problem.isna() & (parsed["birth_year"].astype("Int64") != frame.loc[has_pnr, "fodelsear"].astype(int))
        problem = problem.mask(wrong_year.fillna(False), "personnummer_fodelsear")
        bad_index = problem.index[problem.notna()]
        parts.append(_quarantine(frame.loc[bad_index], kind, problem[bad_index], "personnummer"))
        frame = frame.drop(index=bad_index)
        person = pd.Series(pd.NA, index=frame.index, dtype="string")
        good = parsed.loc[parsed.index.isin(frame.index), "normalised"]
        person.loc[good.index] = pseudonymise(good, key)
        frame = frame.drop(columns="personnummer").assign(person_id=person)
        frame["sex"] = frame["kon"].str.lower().map(SEX)
        frame["birth_year"] = frame["fodelsear"].astype(int)
        frame = frame.drop(columns=["kon", "fodelsear"])
    if kind == "deltagare":
        start = pd.to_datetime(frame["startdatum"], format="%Y-%m-%d", errors="coerce")
        end = pd.to_datetime(frame["slutdatum"].replace("", None), format="%Y-%m-%d", errors="coerce")
        bad_date = start.isna() | (frame["slutdatum"].ne("") & end.isna())
        parts.append(_quarantine(frame[bad_date], kind, "ogiltigt_datum",
                                 np.where(start[bad_date].isna(), "startdatum", "slutdatum")))
        keep = ~bad_date
        before = keep & end.notna() & (end < start)
        parts.append(_quarantine(frame[before], kind, "slut_fore_start", "slutdatum"))
        keep &= ~before
        outside = keep & ((start > pd.Timestamp(f"{year}-12-31")) | (end.notna() & (end < pd.Timestamp(f"{year}-01-01"))))
        parts.append(_quarantine(frame[outside], kind, "utanfor_aret", "startdatum"))
        keep &= ~outside
        frame = frame[keep].assign(start=start[keep], end=end[keep])
        ordered = frame.sort_values(["start", "_line"], kind="stable")
        twice = ordered["person_id"].notna() & ordered.duplicated(subset=["person_id", "insats_id"], keep="first")
        parts.append(_quarantine(ordered[twice], kind, "dubbelregistrering", "insats_id"))
        frame = frame.drop(index=ordered.index[twice])
        frame = frame.rename(columns={"registrering_id": "registration_id", "registreringstyp": "registration_type",
                                      "forbund": "forbund", "forsorjning_vid_start": "support_at_start"})
        frame = frame.drop(columns=["startdatum", "slutdatum"])
        frame["ongoing"] = (frame["start"] <= pd.Timestamp(f"{year}-12-31")) & (
            frame["end"].isna() | (frame["end"] >= pd.Timestamp(f"{year}-01-01")))
        frame["new"] = frame["start"].dt.year == year
    elif kind == "insatser":
        for column in ("malgrupp_unga_aktivitetsersattning", "malgrupp_sjukskrivna",
                       "malgrupp_unga_funktionsnedsattning"):
            frame[column] = frame[column].map({"1": True, "0": False, "": pd.NA}).astype("boolean")
        frame["ar"] = frame["ar"].astype(int)
    else:
        frame = frame.rename(columns={"forman": "benefit", "diagnoskapitel": "diagnosis_chapter",
                                      "formansstart": "benefit_start", "formansgrad": "grade"})
        frame["benefit_start"] = pd.to_datetime(frame["benefit_start"], format="%Y-%m-%d", errors="coerce")
        frame["grade"] = frame["grade"].str.replace(",", ".", regex=False).astype(float)
        frame["work_or_study_12m"] = frame.pop("arbete_studier_12m").map({"1": True, "0": False, "": pd.NA}).astype("boolean")
    quarantine = pd.concat([p for p in parts if len(p)] or [_quarantine(frame.iloc[:0], kind, "", "")],
                           ignore_index=True)
    kept = frame.drop(columns="_line").reset_index(drop=True)
    if len(kept) + len(quarantine) != rows_in:  # the promise of the module: nothing is lost
        raise AssertionError(f"{kind} {year}: {rows_in} rows in, {len(kept)} kept + {len(quarantine)} quarantined")
    return Cleaned(kept, quarantine, rows_in)


def clean_year(register_raw: Path, year: int, key: bytes | None = None) -> dict[str, Cleaned]:
    exports = load_exports(register_raw)
    key = key if key is not None else load_key()
    folder = register_raw / str(year)
    out = {}
    for kind, spec in exports.items():
        frame = read_export(folder / spec["file"].format(year=year), spec)
        out[kind] = clean_export(frame, kind, year, spec["decimal"], key)
    return out


def quality_table(cleaned: dict[str, Cleaned], year: int) -> pd.DataFrame:
    """Rows read, kept and quarantined per export and reason."""
    rows = []
    for kind, c in cleaned.items():
        counts = c.quarantine["reason"].value_counts()
        rows.append({"year": year, "export": kind, "measure": "rader in", "count": c.rows_in})
        rows.append({"year": year, "export": kind, "measure": "behållna", "count": len(c.kept)})
        for reason, n in counts.items():
            rows.append({"year": year, "export": kind, "measure": f"karantän: {reason}", "count": int(n)})
    return pd.DataFrame(rows)


def save_year(cleaned: dict[str, Cleaned], year: int, out_dir: Path) -> list[Path]:
    written = []
    for kind, c in cleaned.items():
        written.append(write_parquet_atomic(c.kept, out_dir / f"{kind}.parquet"))
    quarantine = pd.concat([c.quarantine for c in cleaned.values()], ignore_index=True)
    quarantine["reason_text"] = quarantine["reason"].map(REASONS)
    written.append(write_parquet_atomic(quarantine, out_dir / "karantan.parquet"))
    written.append(write_csv_atomic(quarantine, out_dir / "karantan.csv"))
    quality = quality_table(cleaned, year)
    written.append(write_parquet_atomic(quality, out_dir / "kvalitet.parquet"))
    written.append(write_csv_atomic(quality, out_dir / "kvalitet.csv"))
    return written
