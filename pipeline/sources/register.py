"""Register microdata: read the raw exports, validate, clean, pseudonymise, count.

One year's exports (data/raw/register/<year>/) are read as data/raw/register/exports.yaml
describes them: encoding, delimiter, decimal mark, and every column with its type and rule.
Nothing is accepted that the configuration does not declare. A file that cannot be read as
declared stops with file, line (as a text editor counts it) and column; a row that breaks a
rule goes to the quarantine with a reason code, never silently away: rows in = rows kept +
rows quarantined, checked for every file. No message and no quarantine row shows a value
that could be personal data (``privacy.safe_value``).

Reading (``read_export``) stops on: a missing or empty file, a header without rows, NUL
bytes, bytes that are not the declared encoding (in a Latin-1 file also the Windows-1252
punctuation bytes 0x80–0x9F, and UTF-8 text), lone-CR or mixed line endings, a header with
the wrong delimiter, missing, unknown or repeated columns, and a quote that is never closed.
It quarantines rows with the wrong number of fields (``fel_antal_falt``), a row whose every field
is empty (``tom_rad``, as Excel writes below the data), a repeated header (``upprepad_rubrik``), a line break inside a field (``radbrytning_i_falt``), control
characters (``ogiltigt_tecken``), and over-long fields or rows (``for_langt_falt``,
``for_lang_rad``).

Cleaning rules, in order (the first that applies gives the reason):
1. ``dubblett``: an exact copy of an earlier row (every column equal) – the first is kept.
2. The column rules of exports.yaml, column by column in file order: ``saknat_varde``,
   ``personuppgift_i_fel_kolumn`` (a personnummer, e-mail, phone number or name in a column not
   meant for it), ``ogiltigt_id``, ``okand_kod`` (or a stop, as ``on_unknown_code`` says),
   ``ogiltigt_ar``/``fel_ar``, ``ogiltigt_fodelsear``/``orimligt_fodelsear``,
   ``ogiltigt_datum``/``orimligt_datum``, ``ogiltigt_tal``/``utanfor_intervall``.
3. ``personnummer_*``: a row with personal data needs a valid personnummer: form, date
   (samordningsnummer allowed), check digit, and a birth year equal to ``fodelsear``.
4. ``slut_fore_start``: an end date before the start date.
5. ``utanfor_aret``: a registration that does not overlap the export's year.
6. ``okand_insats``: an insats_id that no declared year's insats export has (the year's own and those of
   ``register.years``, which the stage passes; a folder of another year is not read).
7. ``motstridig_person``: one person with different sex or birth year on different rows (every
   row of that person: which one is right cannot be known); ``motstridig_insats``: one insats_id
   on rows of the insats export that differ (every such row, for the same reason).
8. ``dubbelregistrering``: the same person registered more than once in the same insats –
   the registration with the earliest start is kept; ``dubbel_forman``: the same person twice
   with the same benefit in the benefit register – the first row is kept.
9. ``motstridig_person_mellan_filer`` (across the exports of one year, ``cross_file.same_person``
   in exports.yaml): a person whose sex or birth year in one export differs from another export
   of the same year – every kept row of that person in those exports (or a stop naming both
   lines, with ``on_conflict: stop``). The value is never shown.
An export that is quarantined above ``limits.max_quarantine_share`` stops the stage.

Personnummer are replaced by keyed pseudonyms (HMAC-SHA256, pipeline/core/personnummer.py) before
anything is written; the output has no personnummer column, and ``nyckel.json`` records the
key's fingerprint (never the key) so outputs made with different keys are never mixed.
Definitions used for counting:

* **pågående deltagare** in year Y: distinct persons (registrations with personal data) with
  a registration that started on or before 31 December Y and has no end date or ended on or
  after 1 January Y;
* **nyregistrerad deltagare** in year Y: distinct persons with a registration that started in Y;
* the benefit a participant is counted under is the support at the start of the registration
  (``forsorjning_vid_start``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..core.errors import ConfigError, InputError
from ..core.io import (CONTROL_CHARS, decode_checked, has_control_chars, may_need_strip, parse_records, read_yaml,
                       split_plain, write_csv_atomic, write_parquet_atomic, write_text_atomic)
from ..core.personnummer import fingerprint, load_key, parse_personnummer, pseudonymise
from ..core.privacy import HIDDEN, has_personal_data, safe_value

EXPORTS_FILE = "exports.yaml"
KEY_FILE = "nyckel.json"
TYPES = ("id", "personnummer", "code", "year", "birth_year", "date", "number")
DEFAULT_LIMITS = {"max_field_length": 100, "max_line_length": 1000, "max_quarantine_share": 0.05,
                  "share_min_rows": 100, "min_rows": 1}
REASONS = {
    "fel_antal_falt": "raden har fel antal fält",
    "tom_rad": "raden har bara tomma fält",
    "upprepad_rubrik": "rubrikraden upprepas i filen",
    "radbrytning_i_falt": "radbrytning inuti ett fält",
    "ogiltigt_tecken": "styrtecken i ett fält",
    "for_langt_falt": "fältet är längre än tillåtet",
    "for_lang_rad": "raden är längre än tillåtet",
    "dubblett": "exakt dubblett av en tidigare rad",
    "saknat_varde": "obligatoriskt värde saknas",
    "personuppgift_i_fel_kolumn": "personuppgift i en kolumn som inte får innehålla personuppgifter",
    "ogiltigt_id": "id med otillåtna tecken eller fel längd",
    "okand_kod": "okänd kod",
    "ogiltigt_ar": "år som inte kan läsas",
    "fel_ar": "året är inte exportens år",
    "ogiltigt_fodelsear": "födelseår som inte kan läsas",
    "orimligt_fodelsear": "orimligt födelseår för exportens år",
    "ogiltigt_datum": "datum som inte finns eller inte kan läsas (ska vara ÅÅÅÅ-MM-DD)",
    "orimligt_datum": "datum före den tidigaste tillåtna dagen",
    "ogiltigt_tal": "tal som inte kan läsas",
    "utanfor_intervall": "tal utanför det tillåtna intervallet",
    "personnummer_saknas": "registrering med personuppgifter utan personnummer",
    "personnummer_format": "personnumret har fel form",
    "personnummer_datum": "personnumret innehåller inget giltigt datum",
    "personnummer_kontrollsiffra": "personnumrets kontrollsiffra stämmer inte",
    "personnummer_fodelsear": "personnumrets födelseår är inte kolumnen fodelsear",
    "slut_fore_start": "slutdatum före startdatum",
    "utanfor_aret": "registreringen ligger inte i exportens år",
    "okand_insats": "insatsen finns inte i någon insatsexport",
    "motstridig_person": "samma person med olika kön eller födelseår",
    "motstridig_insats": "samma insats-id på flera rader med olika innehåll (alla raderna)",
    "dubbelregistrering": "samma person registrerad flera gånger i samma insats (den tidigaste behålls)",
    "dubbel_forman": "samma person med samma förmån flera gånger (den första behålls)",
    "motstridig_person_mellan_filer": "samma person med olika kön eller födelseår i två exporter av samma år",
}
# The person attributes the cross-file rule compares: raw column → cleaned column.
PERSON_ATTRIBUTES = {"kon": "sex", "fodelsear": "birth_year"}


# --------------------------------------------------------------------------- configuration
def load_exports(register_raw: Path) -> dict[str, dict[str, Any]]:
    """The export descriptions of exports.yaml, checked; each spec also carries ``limits``."""
    path = Path(register_raw) / EXPORTS_FILE
    spec = read_yaml(path)  # unreadable, not UTF-8 or not YAML: one line with line and column
    try:
        exports = spec["exports"]
    except (KeyError, TypeError):
        raise ConfigError(f"{path}: no 'exports' section with the export descriptions") from None
    limits = DEFAULT_LIMITS | (spec.get("limits") or {})
    for key, value in limits.items():
        if key not in DEFAULT_LIMITS or not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{path}: limits.{key} must be a known limit with a number ≥ 0, got {value!r}")
    for kind, export in exports.items():
        where = f"{path}: exports.{kind}"
        for key in ("file", "encoding", "delimiter", "decimal", "columns"):
            if key not in export:
                raise ConfigError(f"{where}.{key} is missing")
        if export.get("on_unknown_code", "stop") not in ("stop", "quarantine"):
            raise ConfigError(f"{where}.on_unknown_code must be 'stop' or 'quarantine'")
        if not isinstance(export["columns"], dict) or not export["columns"]:
            raise ConfigError(f"{where}.columns must map every column to its type and rule")
        for name, rule in export["columns"].items():
            if not isinstance(rule, dict) or rule.get("type") not in TYPES:
                raise ConfigError(f"{where}.columns.{name}: type must be one of {', '.join(TYPES)}")
            if rule.get("codes_file"):  # a code list kept as data (kommun codes, förbund), relative to exports.yaml
                rule["codes"] = _codes_from_file(path.parent / str(rule["codes_file"]), rule.get("codes_column", name),
                                                 f"{where}.columns.{name}")
            if rule["type"] == "code" and not rule.get("codes"):
                raise ConfigError(f"{where}.columns.{name}: a code column needs its code list (codes)")
            if rule["type"] == "id" and not rule.get("pattern"):
                raise ConfigError(f"{where}.columns.{name}: an id column needs a pattern")
            try:
                re.compile(str(rule.get("pattern", "")))
            except re.error as exc:
                raise ConfigError(f"{where}.columns.{name}.pattern: {exc}") from None
        export["limits"] = limits
    cross = _cross_file(spec, exports, path)
    for export in exports.values():
        export["cross_file"] = cross
    return exports


def _cross_file(spec: dict[str, Any], exports: dict[str, dict[str, Any]], path: Path) -> dict[str, Any]:
    """``cross_file.same_person`` checked: the exports to compare (each with a personnummer column and
    the person attributes) and what a conflict does (``quarantine`` or ``stop``)."""
    rule = (spec.get("cross_file") or {}).get("same_person")
    if rule is None:
        return {}
    where = f"{path}: cross_file.same_person"
    kinds = rule.get("exports") if isinstance(rule, dict) else None
    if not isinstance(kinds, list) or len(kinds) < 2:
        raise ConfigError(f"{where}.exports must list at least two exports")
    for kind in kinds:
        columns = exports.get(kind, {}).get("columns", {})
        if not any(r.get("type") == "personnummer" for r in columns.values()) or \
                not all(c in columns for c in PERSON_ATTRIBUTES):
            raise ConfigError(f"{where}.exports: {kind!r} must be an export with a personnummer column and "
                              f"{', '.join(PERSON_ATTRIBUTES)}")
    if rule.get("on_conflict", "quarantine") not in ("stop", "quarantine"):
        raise ConfigError(f"{where}.on_conflict must be 'stop' or 'quarantine'")
    return {"exports": list(kinds), "on_conflict": rule.get("on_conflict", "quarantine")}


def _codes_from_file(path: Path, column: str, where: str) -> list[str]:
    from .geografi import code_column

    try:
        return code_column(path, column)
    except InputError as exc:
        raise ConfigError(f"{where}.codes_file: {exc}") from None


def accepted_codes(rule: dict[str, Any]) -> dict[str, str]:
    """Every accepted spelling → its value (lower-case keys when ``ignore_case``). With ``zero_pad``
    (kommun codes) a code whose leading zero Excel removed is accepted as the code (``114`` → ``0114``;
    the rule of pipeline/sources/geografi.py)."""
    codes = rule["codes"]
    mapping = {str(k): str(v) for k, v in codes.items()} if isinstance(codes, dict) else {str(c): str(c) for c in codes}
    if rule.get("zero_pad"):
        mapping |= {k[1:]: v for k, v in mapping.items() if len(k) == int(rule["zero_pad"]) and k.startswith("0")
                    and k[1:] not in mapping}
    return {k.lower(): v for k, v in mapping.items()} if rule.get("ignore_case") else mapping


def _allowed(rule: dict[str, Any], most: int = 12) -> str:
    keys = list(accepted_codes(rule))
    text = ", ".join(keys[:most]) + (f", … ({len(keys)} codes in {EXPORTS_FILE})" if len(keys) > most else "")
    return text + (" (upper or lower case)" if rule.get("ignore_case") else "")


# --------------------------------------------------------------------------- reading
@dataclass
class Export:
    """One export as read: every cell as stripped text, ``_line`` (the line the row starts on),
    and the rows already quarantined for their shape."""

    kind: str
    path: Path
    spec: dict[str, Any]
    frame: pd.DataFrame
    rejected: pd.DataFrame
    rows_in: int


def _shape_rejects(kind: str, rows: list[tuple[int, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame({"export": kind, "line": [r[0] for r in rows], "reason": [r[1] for r in rows],
                         "column": [r[2] or "(hela raden)" for r in rows], "value": ""})


def _check_export_header(path: Path, header: list[str], columns: list[str], delimiter: str) -> None:
    if len(header) == 1:
        other = next((d for d in (",", ";", "\t", "|") if d != delimiter and d in header[0]), None)
        if other:
            raise InputError(path, f"the header is split by {other!r}, but this export must use {delimiter!r}", 1)
    if not any(c in header for c in columns):
        raise InputError(path, f"line 1 is not this export's header (none of its {len(columns)} columns is "
                               "there): the first line must be the header, with no title or empty row above it", 1)
    unnamed = [n for n, c in enumerate(header, 1) if not c]
    if unnamed:
        trailing = unnamed == list(range(len(header) - len(unnamed) + 1, len(header) + 1))
        raise InputError(path, f"{len(unnamed)} column(s) of the header have no name (column number(s) "
                               f"{', '.join(map(str, unnamed[:10]))}){' at the end of the line' if trailing else ''}"
                               f"{'; Excel writes such columns when cells right of the data were used' if trailing else ''}: "
                               "delete them and export again", 1)
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(path, f"missing column(s): {', '.join(missing)}", 1, missing[0])
    unknown = [c for c in header if c not in columns]
    if unknown:
        raise InputError(path, f"unknown column(s): {', '.join(safe_value(c) for c in unknown)}", 1,
                         None if has_personal_data(unknown[0]) else unknown[0])
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise InputError(path, f"column(s) named twice in the header: {', '.join(repeated)}", 1, repeated[0])


def read_export(path: Path, kind: str, spec: dict[str, Any]) -> Export:
    """Read one export as ``spec`` (from ``load_exports``) declares it; see the module's doc."""
    path = Path(path)
    limits = spec.get("limits", DEFAULT_LIMITS)
    if not path.is_file():
        raise InputError(path, "export not found")
    raw = path.read_bytes()
    delimiter, columns = spec["delimiter"], list(spec["columns"])
    text = decode_checked(path, raw, spec["encoding"], delimiter)
    plain = split_plain(text, delimiter)
    if plain is not None:
        header, body, body_lines, longest = plain
    else:
        _, records, lines = parse_records(path, text, delimiter)
        header = [h.strip() for h in records[0]]
        longest = None
    _check_export_header(path, header, columns, delimiter)
    shape: list[tuple[int, str, str | None]] = []
    if plain is None:
        good, good_lines = [], []
        for fields, line in zip(records[1:], lines[1:]):
            if len(fields) != len(header):
                shape.append((line, "fel_antal_falt", None))
            else:
                good.append(fields)
                good_lines.append(line)
        body = pd.DataFrame(good, columns=range(len(header)), dtype=object)
        body_lines = np.asarray(good_lines, dtype=np.int64)
        rows_in = len(records) - 1
    else:
        rows_in = len(body)
    if rows_in < max(int(limits["min_rows"]), 1):
        raise InputError(path, f"the export has a header but {rows_in} data row(s); at least "
                               f"{max(int(limits['min_rows']), 1)} needed", 1)
    body.columns = header
    if plain is not None and not may_need_strip(text):
        frame = body[columns].copy()  # text columns already; nothing to strip anywhere in the file
    else:
        frame = body[columns].apply(lambda s: s.astype(str).str.strip())
    frame["_line"] = np.asarray(body_lines, dtype=np.int64)
    frame.index = pd.RangeIndex(len(frame))
    repeated_header = frame[columns[0]].eq(columns[0])
    for column in columns[1:]:
        if repeated_header.any():
            repeated_header &= frame[column].eq(column)
    if repeated_header.any():
        shape += [(int(line), "upprepad_rubrik", None) for line in frame.loc[repeated_header, "_line"]]
        frame = frame[~repeated_header]
    empty_row = frame[columns[0]].eq("")
    for column in columns[1:]:
        if empty_row.any():
            empty_row &= frame[column].eq("")
    if empty_row.any():
        shape += [(int(line), "tom_rad", None) for line in frame.loc[empty_row, "_line"]]
        frame = frame[~empty_row]
    # Fields and rows that cannot be right whatever the column: line breaks, control characters, length.
    bad = pd.Series(pd.NA, index=frame.index, dtype=object)
    bad_column = pd.Series(pd.NA, index=frame.index, dtype=object)

    def mark(mask: pd.Series, reason: str, column: str | None) -> None:
        hit = mask & bad.isna()
        if hit.any():
            bad[hit] = reason
            bad_column[hit] = column or "(hela raden)"

    short = longest is not None and longest <= min(limits["max_field_length"], limits["max_line_length"])
    controls = has_control_chars(text)
    for column in columns:
        values = frame[column]
        if '"' in text:
            mark(values.str.contains(r"[\r\n]", regex=True), "radbrytning_i_falt", column)
        if controls:
            mark(values.str.contains(CONTROL_CHARS.pattern, regex=True), "ogiltigt_tecken", column)
        if not short:
            mark(values.str.len() > limits["max_field_length"], "for_langt_falt", column)
    if not short:
        mark(sum(frame[c].str.len() for c in columns) + len(columns) - 1 > limits["max_line_length"], "for_lang_rad",
             None)
    if bad.notna().any():
        hit = bad.notna()
        shape += list(zip(frame.loc[hit, "_line"], bad[hit], bad_column[hit]))
        frame = frame[~hit]
    rejected = _shape_rejects(kind, sorted(shape))
    frame.attrs["path"] = str(path)
    return Export(kind, path, spec, frame, rejected, rows_in)


# --------------------------------------------------------------------------- rules
def _pii_mask(values: pd.Series) -> pd.Series:
    unique = set(values.tolist()) - {""}  # Python strings at once (iterating Arrow text is slower)
    flagged = {v for v in unique if has_personal_data(v)}
    return values.isin(flagged) if flagged else pd.Series(False, index=values.index)


def _value_reasons(values: pd.Series, rule: dict[str, Any], year: int, decimal: str) -> np.ndarray:
    """The first rule each (non-empty, distinct) value breaks on its own, or None."""
    reason = np.full(len(values), None, dtype=object)

    def mark(mask: pd.Series, why: str) -> None:
        hit = np.asarray(mask, dtype=bool) & (reason == None)  # noqa: E711 (element-wise)
        reason[hit] = why

    kind = rule["type"]
    mark(_pii_mask(values), "personuppgift_i_fel_kolumn")
    if kind == "id":
        mark(~values.str.fullmatch(str(rule["pattern"])), "ogiltigt_id")
    elif kind == "code":
        probe = values.str.lower() if rule.get("ignore_case") else values
        mark(~probe.isin(list(accepted_codes(rule))), "okand_kod")
    elif kind in ("year", "birth_year"):
        digits = values.str.fullmatch(r"\d{4}")
        mark(~digits, "ogiltigt_ar" if kind == "year" else "ogiltigt_fodelsear")
        number = pd.to_numeric(values.where(digits), errors="coerce")
        if kind == "year":
            mark(digits & number.ne(year), "fel_ar")
        else:
            age = year - number
            mark(digits & ((age < rule.get("min_age", 0)) | (age > rule.get("max_age", 120))), "orimligt_fodelsear")
    elif kind == "date":
        parsed = pd.to_datetime(values.where(values.str.fullmatch(r"\d{4}-\d{2}-\d{2}")), format="%Y-%m-%d",
                                errors="coerce")
        mark(parsed.isna(), "ogiltigt_datum")
        if rule.get("earliest"):
            mark(parsed < pd.Timestamp(str(rule["earliest"])), "orimligt_datum")
    elif kind == "number":
        ok = values.str.fullmatch(r"-?\d+(?:" + re.escape(decimal) + r"\d+)?")
        mark(~ok, "ogiltigt_tal")
        number = pd.to_numeric(values.where(ok).str.replace(decimal, ".", regex=False), errors="coerce")
        mark(ok & ((number < rule.get("min", -np.inf)) | (number > rule.get("max", np.inf))), "utanfor_intervall")
    return reason


def _rule_failures(export: Export, frame: pd.DataFrame, year: int) -> tuple[pd.Series, pd.Series]:
    """For every row, the reason and column of the first rule of exports.yaml it breaks (NA: none).
    Value rules are evaluated once per distinct value (a column of 650 000 dates has a few thousand)."""
    reason = np.full(len(frame), None, dtype=object)
    column = np.full(len(frame), None, dtype=object)
    free = np.ones(len(frame), dtype=bool)

    def mark(mask: np.ndarray, why: object, name: str) -> None:
        hit = np.asarray(mask, dtype=bool) & free
        reason[hit] = why[hit] if isinstance(why, np.ndarray) else why
        column[hit] = name
        free[hit] = False

    decimal = export.spec.get("decimal", ".")
    for name, rule in export.spec["columns"].items():
        values = frame[name]
        empty = values.eq("").to_numpy()
        required = np.full(len(frame), bool(rule.get("required", True)))
        for other, accepted in (rule.get("required_if") or {}).items():
            required = frame[other].isin([str(a) for a in accepted]).to_numpy()
        if rule["type"] == "personnummer":
            mark(empty & required, "personnummer_saknas", name)
            continue  # checked with the personnummer rules; never shown
        mark(empty & required, "saknat_varde", name)
        codes, uniques = pd.factorize(values)
        per_value = _value_reasons(pd.Series(uniques, dtype=object).astype(str), rule, year, decimal)
        row_reason = per_value[codes] if len(codes) else np.full(0, None, dtype=object)
        mark(~empty & (row_reason != None), row_reason, name)  # noqa: E711 (element-wise)
    return pd.Series(reason, index=frame.index, dtype=object), pd.Series(column, index=frame.index, dtype=object)


def _integers(values: pd.Series) -> pd.Series:
    """Text already checked to be whole numbers (``fodelsear``, ``ar``) as int64, cast by pyarrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pd.Series(pc.cast(pa.array(values, type=pa.string(), from_pandas=True), pa.int64()).to_numpy(),
                     index=values.index, name=values.name)


def _quarantine(rows: pd.DataFrame, kind: str, reason: pd.Series | str, column: pd.Series | str) -> pd.DataFrame:
    """Quarantine rows: export, line, reason, column and the offending value (hidden if it could be personal data)."""
    out = pd.DataFrame({"export": kind, "line": rows["_line"].to_numpy(), "reason": reason, "column": column})
    if isinstance(reason, pd.Series):
        out["reason"] = reason.to_numpy()
    if isinstance(column, pd.Series):
        out["column"] = column.to_numpy()
    columns = out["column"].to_numpy()
    values = np.full(len(rows), "", dtype=object)
    for name in set(columns):
        if name in rows.columns and name not in ("personnummer", "_line"):
            hit = columns == name
            values[hit] = rows[name].to_numpy()[hit]
    hidden = {v for v in set(values) if v and (has_personal_data(v) or re.search(r"\d{6,}", str(v)))}
    out["value"] = [HIDDEN if (v in hidden or c == "personnummer") else str(v) for v, c in zip(values, columns)]
    return out


@dataclass
class Cleaned:
    kept: pd.DataFrame
    quarantine: pd.DataFrame  # export, line, reason, column, value
    rows_in: int
    fingerprint: str = ""
    path: Path | None = field(default=None)
    lines: np.ndarray | None = field(default=None)  # the raw line of each kept row (cross-file rules)
    notes: dict[str, int] = field(default_factory=dict)  # rows kept after a documented repair, by repair


def _stop_on_unknown_codes(export: Export, frame: pd.DataFrame, reason: pd.Series, column: pd.Series) -> None:
    if export.spec.get("on_unknown_code", "stop") != "stop":
        return
    unknown = reason.eq("okand_kod")
    if not unknown.any():
        return
    first = frame.loc[unknown, "_line"].idxmin()
    name = column[first]
    raise InputError(export.path, f"unknown code {safe_value(frame.loc[first, name])} ({int(unknown.sum())} row(s) "
                                  f"in all); allowed: {_allowed(export.spec['columns'][name])}. (With "
                                  f"on_unknown_code: quarantine in {EXPORTS_FILE} such rows go to the quarantine.)",
                     int(frame.loc[first, "_line"]), name)


def _per_value(values: pd.Series, convert) -> pd.Series:
    """``convert(values)`` worked out on the distinct values and spread back over the rows (a column of
    650 000 dates, codes or grades has a few thousand distinct values at most); same dtype, index and
    name as converting the whole column. (Object columns are converted whole: factorising them turns
    None into NaN.)"""
    if values.dtype == object:
        return convert(values)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    converted = convert(pd.Series(uniques, dtype=values.dtype, name=values.name))
    return converted.iloc[codes].set_axis(values.index)


def _repeats(values: pd.Series) -> np.ndarray:
    """``values.duplicated(keep=False)`` as a boolean array (NA equal to NA, as pandas has it): one
    factorisation and a count per code, about half the time of pandas' own on 650 000 Arrow strings."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    codes, _ = pd.factorize(values, use_na_sentinel=False)
    return np.bincount(codes)[codes] > 1


def _duplicated(frame: pd.DataFrame, columns: list[str], keep: str | bool = "first") -> np.ndarray:
    """``frame.duplicated(subset=columns, keep=keep)`` as a boolean array, worked out on the few rows that
    can be duplicates: a row equal to another in every column repeats the value of each column, so the
    rows are narrowed column by column to those whose value repeats among the rows left (one hash of the
    first column over every row, then a few thousand rows at most instead of every column of 650 000)."""
    rows = np.arange(len(frame))
    for column in columns:
        if len(rows) < 2:
            break
        values = frame[column] if len(rows) == len(frame) else frame[column].iloc[rows]
        rows = rows[_repeats(values)]
    out = np.zeros(len(frame), dtype=bool)
    if len(rows):
        out[rows] = frame.iloc[rows].duplicated(subset=columns, keep=keep).to_numpy()
    return out


def _person_conflicts(frame: pd.DataFrame) -> pd.Series:
    """Rows of persons who appear with more than one sex or birth year (more than one distinct pair)."""
    has = frame["person_id"].notna().to_numpy()
    repeated = has & _duplicated(frame, ["person_id"], keep=False)  # only a person on two rows can conflict
    persons = frame.loc[repeated, ["person_id", "sex", "birth_year"]]
    if persons.empty:
        return pd.Series(False, index=frame.index)
    distinct = persons.drop_duplicates()["person_id"]
    conflicting = distinct[distinct.duplicated()].unique()
    return pd.Series(has & frame["person_id"].isin(conflicting).fillna(False).to_numpy(dtype=bool), index=frame.index)


def _isin(values: pd.Series, lookup) -> np.ndarray:
    """``values.isin(lookup)`` as a boolean array, with the lookup handed to Arrow as one array: pandas
    turns a lookup of Arrow strings into a Python scalar per value first (a third of a second for the
    20 000 people the cross-file rule compares)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lookup = list(lookup) if isinstance(lookup, (set, frozenset)) else lookup
    if values.dtype == object:  # NA in object columns follows pandas' own rules there
        return values.isin(list(lookup)).to_numpy(dtype=bool)
    if not len(lookup):
        return np.zeros(len(values), dtype=bool)
    array = pa.array(values, type=pa.string(), from_pandas=True)
    return np.asarray(pc.is_in(array, value_set=pa.array(lookup, type=pa.string(), from_pandas=True)), dtype=bool)


def _without(frame: pd.DataFrame, drop: np.ndarray) -> pd.DataFrame:
    """``frame`` without the rows marked in ``drop`` (the frame itself when none is: no copy)."""
    return frame[~drop] if drop.any() else frame


def clean_export(export: Export, year: int, key: bytes, insats_ids: set[str] | None = None) -> Cleaned:
    """Apply the rules above to one export; the result holds no personnummer. The export's rows are
    handed over (``export.frame`` is left empty), so that they are not held twice while cleaning."""
    kind, frame = export.kind, export.frame
    export.frame = pd.DataFrame(columns=frame.columns)  # not a slice: that would keep the rows' buffers
    parts: list[pd.DataFrame] = [export.rejected]
    data_columns = [c for c in frame.columns if c != "_line"]
    dup = _duplicated(frame, data_columns)
    parts.append(_quarantine(frame[dup], kind, "dubblett", "(hela raden)"))
    frame = _without(frame, dup)
    reason, column = _rule_failures(export, frame, year)
    _stop_on_unknown_codes(export, frame, reason, column)
    failed = reason.notna()
    parts.append(_quarantine(frame[failed], kind, reason[failed], column[failed]))
    frame = _without(frame, failed.to_numpy())
    rules = export.spec["columns"]
    pnr_column = next((c for c, r in rules.items() if r["type"] == "personnummer"), None)
    if pnr_column:
        has_pnr = frame[pnr_column].ne("")
        required = pd.Series(bool(rules[pnr_column].get("required", True)), index=frame.index)
        for other, accepted in (rules[pnr_column].get("required_if") or {}).items():
            required = frame[other].isin([str(a) for a in accepted])
        has_pnr &= required  # a personnummer in an anonymous registration is dropped, never used
        parsed = parse_personnummer(frame.loc[has_pnr, pnr_column], year)
        problem = parsed["problem"].copy()
        wrong_year = problem.isna() & (parsed["birth_year"].astype("Int64") !=
                                       _integers(frame.loc[has_pnr, "fodelsear"]).astype("Int64"))
        problem = problem.mask(wrong_year.fillna(False), "personnummer_fodelsear")
        bad_index = problem.index[problem.notna()]
        parts.append(_quarantine(frame.loc[bad_index], kind, problem[bad_index], pnr_column))
        frame = frame.drop(index=bad_index) if len(bad_index) else frame
        person = pseudonymise(parsed["normalised"].reindex(frame.index), key)  # NA (no personnummer) stays NA
        del parsed, problem, wrong_year, has_pnr, required
        frame = frame.drop(columns=pnr_column).assign(person_id=person)
        sex_codes = accepted_codes(rules["kon"])
        frame["sex"] = _per_value(frame["kon"], lambda v: (v.str.lower() if rules["kon"].get("ignore_case") else v)
                                   .map(sex_codes))
        frame["birth_year"] = _integers(frame["fodelsear"])
        frame = frame.drop(columns=["kon", "fodelsear"])
    if kind == "deltagare":
        start = pd.to_datetime(frame["startdatum"], format="%Y-%m-%d")
        end = pd.to_datetime(frame["slutdatum"].replace("", None), format="%Y-%m-%d")
        before = end.notna() & (end < start)
        parts.append(_quarantine(frame[before], kind, "slut_fore_start", "slutdatum"))
        keep = ~before
        outside = keep & ((start > pd.Timestamp(f"{year}-12-31")) | (end.notna() & (end < pd.Timestamp(f"{year}-01-01"))))
        parts.append(_quarantine(frame[outside], kind, "utanfor_aret", "startdatum"))
        keep &= ~outside
        if insats_ids is not None:
            orphan = keep & ~_isin(frame["insats_id"], insats_ids)
            parts.append(_quarantine(frame[orphan], kind, "okand_insats", "insats_id"))
            keep &= ~orphan
        frame = frame[keep].assign(start=start[keep], end=end[keep])
        conflict = _person_conflicts(frame)
        parts.append(_quarantine(frame[conflict], kind, "motstridig_person", "kon"))
        frame = _without(frame, conflict.to_numpy())
        ordered = frame.sort_values(["start", "_line"], kind="stable")
        twice = ordered["person_id"].notna() & ordered.duplicated(subset=["person_id", "insats_id"], keep="first")
        parts.append(_quarantine(ordered[twice], kind, "dubbelregistrering", "insats_id"))
        frame = frame.drop(index=ordered.index[twice])
        frame = frame.rename(columns={"registrering_id": "registration_id", "registreringstyp": "registration_type",
                                      "forsorjning_vid_start": "support_at_start"})
        frame = frame.drop(columns=["startdatum", "slutdatum"])
        frame["ongoing"] = (frame["start"] <= pd.Timestamp(f"{year}-12-31")) & (
            frame["end"].isna() | (frame["end"] >= pd.Timestamp(f"{year}-01-01")))
        frame["new"] = frame["start"].dt.year == year
    elif kind == "insatser":
        conflict = frame["insats_id"].duplicated(keep=False)  # exact copies are gone: these rows disagree
        parts.append(_quarantine(frame[conflict], kind, "motstridig_insats", "insats_id"))
        frame = frame[~conflict]
        for name, rule in rules.items():
            if name.startswith("malgrupp_"):
                frame[name] = frame[name].map({"1": True, "0": False, "": pd.NA}).astype("boolean")
        frame["ar"] = _integers(frame["ar"])
    elif kind == "formaner":
        conflict = _person_conflicts(frame)
        parts.append(_quarantine(frame[conflict], kind, "motstridig_person", "kon"))
        frame = _without(frame, conflict.to_numpy())
        twice = _duplicated(frame, ["person_id", "forman"])
        parts.append(_quarantine(frame[twice], kind, "dubbel_forman", "forman"))
        frame = _without(frame, twice)
        frame = frame.rename(columns={"forman": "benefit", "diagnoskapitel": "diagnosis_chapter",
                                      "formansstart": "benefit_start", "formansgrad": "grade"})
        frame["benefit_start"] = _per_value(frame["benefit_start"], lambda v: pd.to_datetime(v, format="%Y-%m-%d"))
        frame["grade"] = _per_value(frame["grade"], lambda v: v.str.replace(export.spec["decimal"], ".",
                                                                             regex=False).astype(float))
        frame["work_or_study_12m"] = _per_value(frame.pop("arbete_studier_12m"), lambda v: v.map(
            {"1": True, "0": False, "": pd.NA}).astype("boolean"))
    quarantine = pd.concat([p for p in parts if len(p)] or [_quarantine(frame.iloc[:0], kind, "", "")],
                           ignore_index=True).sort_values("line", kind="stable").reset_index(drop=True)
    frame, notes = _pad_codes(frame, rules)
    lines = frame["_line"].to_numpy()
    kept = frame.drop(columns="_line").reset_index(drop=True)
    cleaned = Cleaned(kept, quarantine, export.rows_in, fingerprint(key), export.path, lines, notes)
    _check_counts(cleaned, kind, year)
    _check_quarantine_share(export.spec, export.path, cleaned)
    return cleaned


def _pad_codes(frame: pd.DataFrame, rules: dict[str, dict[str, Any]]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Codes of ``zero_pad`` columns as their canonical four digits; how many got their zero back."""
    notes = {}
    for name, rule in rules.items():
        if rule.get("zero_pad"):
            canonical = _per_value(frame[name], lambda v: v.map(accepted_codes(rule)).fillna(v))  # '' stays 
            padded = int(canonical.ne(frame[name]).sum())
            if padded:
                notes[f"{name}: kod utan inledande nolla, nollan tillagd"] = padded
            frame = frame.assign(**{name: canonical})
    return frame, notes


def _check_counts(cleaned: Cleaned, kind: str, year: int) -> None:
    """The promise of the module: nothing is lost."""
    if len(cleaned.kept) + len(cleaned.quarantine) != cleaned.rows_in:
        raise AssertionError(f"{kind} {year}: {cleaned.rows_in} rows in, {len(cleaned.kept)} kept + "
                             f"{len(cleaned.quarantine)} quarantined")


def _check_quarantine_share(spec: dict[str, Any], path: Path, cleaned: Cleaned) -> None:
    limits = spec.get("limits", DEFAULT_LIMITS)
    limit, quarantine, rows_in = float(limits["max_quarantine_share"]), cleaned.quarantine, cleaned.rows_in
    share = len(quarantine) / rows_in if rows_in else 0.0
    if share > limit and rows_in >= limits["share_min_rows"]:
        top = quarantine["reason"].value_counts()
        first = quarantine[quarantine["reason"] == top.index[0]].sort_values("line", kind="stable").iloc[0]
        value = f": {first['value']!r}" if first["value"] and first["value"] != HIDDEN else ""
        raise InputError(path, f"{len(quarantine)} of {rows_in} rows ({100 * share:.1f} %) would be "
                               f"quarantined, more than limits.max_quarantine_share ({100 * limit:g} %) in "
                               f"{EXPORTS_FILE} allows; most often {top.index[0]} – {REASONS.get(top.index[0], '')} "
                               f"({int(top.iloc[0])} rows, first on line {int(first['line'])}, column "
                               f"{first['column']}{value}). Is this the right export?")


def _person_attributes(cleaned: Cleaned) -> pd.DataFrame:
    """One row per kept row with a person: person_id, the compared attributes and the raw line."""
    kept = cleaned.kept
    has = kept["person_id"].notna().to_numpy()
    out = kept.loc[has, ["person_id", *PERSON_ATTRIBUTES.values()]].reset_index(drop=True)
    out["line"] = np.asarray(cleaned.lines)[has]
    return out


def cross_file_rules(cleaned: dict[str, Cleaned], exports: dict[str, dict[str, Any]], year: int) -> None:
    """``cross_file.same_person``: a person whose sex or birth year differs between two exports of the
    year. Every kept row of such a person in those exports moves to the quarantine
    (``motstridig_person_mellan_filer``, column ``kon`` or ``fodelsear``, value never shown), or the stage
    stops naming the first such line in each file (``on_conflict: stop``). Changes ``cleaned`` in place."""
    rule = next(iter(exports.values()), {}).get("cross_file") or {}
    kinds = [k for k in rule.get("exports", []) if k in cleaned]
    if len(kinds) < 2:
        return
    people = {k: _person_attributes(cleaned[k]) for k in kinds}
    attributes = ["person_id", *PERSON_ATTRIBUTES.values()]
    column_of: dict[str, str] = {}  # conflicting person → the first raw column that differs
    for n, a in enumerate(kinds):
        for b in kinds[n + 1:]:
            small, large = sorted((a, b), key=lambda k: len(people[k]))
            # only a person in both can conflict: the larger export narrowed to the smaller's people first
            in_small = _isin(people[large]["person_id"], people[small]["person_id"])
            shared = {small: people[small], large: people[large][in_small]}
            both = shared[a].drop_duplicates(subset=attributes).merge(shared[b].drop_duplicates(subset=attributes),
                                                                      on="person_id", suffixes=("_a", "_b"))
            for raw, name in reversed(list(PERSON_ATTRIBUTES.items())):  # the first column wins
                differs = both[f"{name}_a"].ne(both[f"{name}_b"]).to_numpy()
                column_of.update(dict.fromkeys(both.loc[differs, "person_id"], raw))
    if not column_of:
        return
    if rule.get("on_conflict") == "stop":
        hits = {k: people[k][people[k]["person_id"].isin(list(column_of))].sort_values("line") for k in kinds}
        first_kind = next(k for k in kinds if len(hits[k]))
        first = hits[first_kind].iloc[0]
        others = [f"{cleaned[k].path.name if cleaned[k].path else k} line "
                  f"{int(hits[k].loc[hits[k]['person_id'] == first['person_id'], 'line'].iloc[0])}"
                  for k in kinds if k != first_kind and (hits[k]["person_id"] == first["person_id"]).any()]
        raise InputError(cleaned[first_kind].path or first_kind,
                         f"the same person has another {column_of[first['person_id']]} in {', '.join(others)} "
                         f"({len(column_of)} person(s) in all; values not shown). (With on_conflict: quarantine "
                         f"in {EXPORTS_FILE} such rows go to the quarantine.)", int(first["line"]),
                         column_of[first["person_id"]])
    for kind in kinds:
        c = cleaned[kind]
        hit = c.kept["person_id"].isin(list(column_of)).fillna(False).to_numpy(dtype=bool)
        if not hit.any():
            continue
        rows = pd.DataFrame({"export": kind, "line": np.asarray(c.lines)[hit],
                             "reason": "motstridig_person_mellan_filer",
                             "column": c.kept.loc[hit, "person_id"].map(column_of).to_numpy(), "value": HIDDEN})
        c.quarantine = pd.concat([c.quarantine, rows], ignore_index=True).sort_values(
            "line", kind="stable").reset_index(drop=True)
        c.kept = c.kept[~hit].reset_index(drop=True)
        c.lines = np.asarray(c.lines)[~hit]
        _check_counts(c, kind, year)
        _check_quarantine_share(exports[kind], c.path, c)


def _referenced_insatser(register_raw: Path, exports: dict[str, dict[str, Any]], current: Export,
                         years: Iterable[int]) -> set[str]:
    """Every insats_id of the insats exports of ``years`` (a participant may be in an earlier year's
    insats) and of the year being cleaned. Only those years' folders are read: the stage declares them
    (``register_exports[*]``, the years of ``register.years``); a folder of another year is not an input."""
    ids = set(current.frame["insats_id"])
    spec = exports["insatser"]
    for year in sorted(set(int(y) for y in years)):
        path = register_raw / str(year) / spec["file"].format(year=year)
        if path.is_file() and path != current.path:
            ids |= set(read_export(path, "insatser", spec).frame["insats_id"])
    return ids


def clean_register_year(register_raw: Path, year: int, key: bytes | None = None, demo: bool = False,
               years: Iterable[int] = ()) -> dict[str, Cleaned]:
    """Read and clean one year's exports. The key comes from ``load_key(demo)`` unless given.
    ``years``: the other years whose insats exports a participant's insats may be in (the stage passes
    ``register.years``); by default only the year's own."""
    register_raw = Path(register_raw)
    exports = load_exports(register_raw)
    folder = register_raw / str(year)
    if not folder.is_dir():
        raise InputError(folder, f"no register exports for {year}: the folder does not exist")
    key = key if key is not None else load_key(demo)
    read = {kind: read_export(folder / spec["file"].format(year=year), kind, spec) for kind, spec in exports.items()}
    references = None
    if "insatser" in read and any(r.get("references") == "insatser" for s in exports.values()
                                  for r in s["columns"].values()):
        references = _referenced_insatser(register_raw, exports, read["insatser"], years)
    cleaned = {}
    for kind in list(read):  # each raw export is let go as soon as it is cleaned (memory)
        cleaned[kind] = clean_export(read.pop(kind), year, key, references if kind == "deltagare" else None)
    cross_file_rules(cleaned, exports, year)
    return cleaned


def quality_table(cleaned: dict[str, Cleaned], year: int) -> pd.DataFrame:
    """Rows read, kept and quarantined per export and reason."""
    rows = []
    for kind, c in cleaned.items():
        counts = c.quarantine["reason"].value_counts()
        rows.append({"year": year, "export": kind, "measure": "rader in", "count": c.rows_in})
        rows.append({"year": year, "export": kind, "measure": "behållna", "count": len(c.kept)})
        for reason, n in counts.items():
            rows.append({"year": year, "export": kind, "measure": f"karantän: {reason}", "count": int(n)})
        for note, n in c.notes.items():
            rows.append({"year": year, "export": kind, "measure": f"rättat: {note}", "count": int(n)})
    return pd.DataFrame(rows)


def save_register_year(cleaned: dict[str, Cleaned], year: int, out_dir: Path) -> list[Path]:
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
    prints = sorted({c.fingerprint for c in cleaned.values()})
    written.append(write_text_atomic(out_dir / KEY_FILE, json.dumps(
        {"year": year, "key_fingerprint": prints[0] if len(prints) == 1 else prints}, indent=2) + "\n"))
    return written


def key_fingerprint(out_dir: Path) -> str:
    """The key fingerprint recorded in one year's cleaned output."""
    path = Path(out_dir) / KEY_FILE
    if not Path(out_dir).is_dir():
        raise InputError(out_dir, "no cleaned register data for this year (the folder does not exist); run "
                                  f"`finsam stage register --year {Path(out_dir).name}` first")
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["key_fingerprint"])
    except FileNotFoundError:
        raise InputError(path, "missing: the cleaned data are older than this version or a run did not finish; "
                               f"rerun `finsam stage register --year {Path(out_dir).name}`") from None
    except (OSError, ValueError, KeyError):
        raise InputError(path, "no key fingerprint: the file is damaged; rerun `finsam stage register` for this "
                               "year") from None


def check_same_key(cleaned_root: Path, years: list[int]) -> str:
    """Refuse to combine years cleaned with different pseudonym keys (pseudonyms would not link)."""
    prints = {year: key_fingerprint(Path(cleaned_root) / str(year)) for year in years}
    if len(set(prints.values())) > 1:
        listing = ", ".join(f"{y}: {p}" for y, p in sorted(prints.items()))
        raise ConfigError(f"{cleaned_root}: the years were pseudonymised with different keys ({listing}); the same "
                          "person would get different pseudonyms. Rerun `finsam stage register` for every year with "
                          "one key.")
    return next(iter(prints.values()), "")
