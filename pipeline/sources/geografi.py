"""Geography: Sweden's kommuner and which kommuner each samordningsförbund covers.

Two files in data/raw/geografi/ (docs/data_dictionary.md, "Geografi"):

* ``kommuner.csv`` – the 290 kommuner with their four-digit code (kommunkod), name and län, as
  Statistics Sweden (SCB) lists them (README.md there gives the source). The register exports'
  ``kommun`` columns are checked against it (``codes_file`` in exports.yaml).
* ``forbund_kommuner.csv`` – one row per förbund and member kommun: ``forbund``, ``kommunkod``,
  optionally ``kommun`` (the name, checked against the code: a typo in a code is caught when the
  name does not match), ``fran_ar`` and ``till_ar`` (the first and last year of membership; empty:
  open). Lines starting with ``#`` are comments (the demo's file says there that it is synthetic).
  Comma or semicolon (Excel's Swedish default) as the delimiter, UTF-8 with or without BOM.

**Leading zeros.** Kommun codes are four digits and the codes of län 01–09 start with a zero
(Upplands Väsby is 0114). Excel reads such a column as a number and writes ``114``. The rule,
here and in the register exports: a code of exactly three digits gets one leading zero
(``114`` → ``0114``); a code of four digits is taken as written; anything else (two digits, five
digits, letters, ``114.0``) is not a kommun code. No valid code is lost or confused by the rule:
every kommun code is at least 0114, so a three-digit value can only be a code that lost its zero.

**Rules for the mapping** (each break stops with file, line and column):
a code that is not a kommun code, or not in ``kommuner.csv``; a name that is not the code's; an
empty förbund; a year that is not a year, or ``fran_ar`` after ``till_ar``; the same kommun in two
förbund in the same year (a kommun is a member of at most one samordningsförbund at a time; the
years may differ, e.g. a kommun that changes förbund in 2020), and the same kommun twice in one
förbund with overlapping years. A kommun in no förbund is allowed: its residents are counted in
the national figures only. A förbund may not take a label the outputs reserve (``RESERVED``: the
nation's "Hela riket", "Riket", "Sverige", "Totalt", … and any name in brackets).

**Renames** (optional ``forbund_namnbyten.csv``: ``fran_namn,till_namn,fran_ar``; the förbund
``fran_namn`` is called ``till_namn`` from the year ``fran_ar``). A renamed förbund is one unit
under its newest name in every year and every table (renames are followed: A → B, B → C makes A
and B into C); its old name may stay in the mapping and in exports of any year (exports often lag
behind a rename). A name renamed twice, a rename into itself or in a circle, and a new name that
is reserved stop with file, line and column.

**Registrations against kommuner, per year** (:func:`check_registrations`): a förbund whose name
has SUS registrations in a year but no kommuner that year stops; where another förbund has
kommuner but no registrations that year, the message names it and suggests the rename that would
join the two names.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.errors import InputError
from ..core.io import decode_utf8

KOMMUNER_FILE = "kommuner.csv"
MAPPING_FILE = "forbund_kommuner.csv"
RENAMES_FILE = "forbund_namnbyten.csv"
RENAME_COLUMNS = ("fran_namn", "till_namn", "fran_ar")
# Labels the outputs use for something else than a förbund (the nation, sums, remainders), compared
# without regard to case; a name in brackets is reserved as well (derive/forbund.py's remainders).
RESERVED = frozenset({"hela riket", "riket", "sverige", "hela sverige", "nationellt", "totalt", "total", "summa",
                      "alla", "alla förbund", "övriga", "okänt", "okänd"})
MAPPING_COLUMNS = ("forbund", "kommunkod", "kommun", "fran_ar", "till_ar")
MAPPING_REQUIRED = ("forbund", "kommunkod")
FIRST_YEAR, LAST_YEAR = 1900, 2100


def normalise_code(value: str) -> str | None:
    """A kommun code as written in a file → its four digits, or None if it cannot be one.
    Three digits get back the leading zero Excel removes (``114`` → ``0114``)."""
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        return text
    if re.fullmatch(r"\d{3}", text):
        return "0" + text
    return None


def _csv_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and data rows of a small CSV file with ``#`` comment lines, each row with its line
    (as a text editor counts it). Comma or semicolon, decided by the header."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    text = decode_utf8(path, path.read_bytes())
    lines = text.splitlines()
    content = [(n, line) for n, line in enumerate(lines, start=1) if line.strip() and not line.lstrip().startswith("#")]
    if not content:
        raise InputError(path, "the file has no header and no rows", 1)
    header_line, header_text = content[0]
    delimiter = ";" if header_text.count(";") > header_text.count(",") else ","
    parsed = []
    for n, line in content:
        fields = next(csv.reader(io.StringIO(line), delimiter=delimiter))
        parsed.append((n, [f.strip() for f in fields]))
    header = [h.lstrip("\ufeff").strip() for h in parsed[0][1]]
    for n, fields in parsed[1:]:
        if len(fields) != len(header):
            raise InputError(path, f"{len(fields)} fields, but the header has {len(header)}", n)
    return header, parsed[1:]


def code_column(path: Path, column: str) -> list[str]:
    """The distinct values of one column of a geography file, in file order (a code list for
    exports.yaml: ``codes_file``/``codes_column``)."""
    header, rows = _csv_rows(path)
    if column not in header:
        raise InputError(path, f"missing column {column!r}", 1, column)
    index = header.index(column)
    codes = list(dict.fromkeys(fields[index] for _, fields in rows if fields[index]))
    if Path(path).name == MAPPING_FILE and column == "forbund":  # a declared rename: both names are förbund
        renames = read_renames(Path(path).with_name(RENAMES_FILE))
        codes += [n for n in dict.fromkeys([*renames["fran_namn"], *renames["till_namn"]]) if n not in codes]
    return codes


def read_kommuner(path: Path) -> pd.DataFrame:
    """``kommuner.csv``: kommunkod (four digits, unique), kommun, lan."""
    header, rows = _csv_rows(path)
    for column in ("kommunkod", "kommun"):
        if column not in header:
            raise InputError(path, f"missing column {column!r}", 1, column)
    frame = pd.DataFrame([fields for _, fields in rows], columns=header)
    frame["line"] = [n for n, _ in rows]
    for r in frame.itertuples():
        if not re.fullmatch(r"\d{4}", r.kommunkod):
            raise InputError(path, f"{r.kommunkod!r} is not a four-digit kommun code", r.line, "kommunkod")
    repeated = frame[frame["kommunkod"].duplicated()]
    if len(repeated):
        r = repeated.iloc[0]
        raise InputError(path, f"kommun code {r.kommunkod} is listed twice", int(r.line), "kommunkod")
    return frame.drop(columns="line").reset_index(drop=True)


def _year_cell(path: Path, line: int, column: str, text: str) -> int | None:
    if text == "":
        return None
    if not re.fullmatch(r"\d{4}", text) or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise InputError(path, f"{text!r} is not a year (four digits, e.g. 2019)", line, column)
    return int(text)


def _rows_with_columns(path: Path, required: tuple[str, ...], known: tuple[str, ...]
                       ) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """``_csv_rows`` of a file whose header must have the ``required`` columns and no other than ``known``."""
    header, rows = _csv_rows(path)
    for column in required:
        if column not in header:
            raise InputError(path, f"missing column {column!r} (columns: {', '.join(known)})", 1, column)
    unknown = [c for c in header if c not in known]
    if unknown:
        raise InputError(path, f"unknown column {unknown[0]!r} (columns: {', '.join(known)})", 1, unknown[0])
    return header, rows


def read_mapping(path: Path, kommuner: pd.DataFrame) -> pd.DataFrame:
    """``forbund_kommuner.csv`` checked against the kommun list: forbund, kommunkod, kommun (the
    name from the list), fran_ar, till_ar (nullable years), line. See the module's doc for the rules."""
    path = Path(path)
    header, rows = _rows_with_columns(path, MAPPING_REQUIRED, MAPPING_COLUMNS)
    names = dict(zip(kommuner["kommunkod"], kommuner["kommun"]))
    out = []
    for line, fields in rows:
        row = dict(zip(header, fields))
        if not row["forbund"]:
            raise InputError(path, "empty förbund name", line, "forbund")
        check_name(path, line, "forbund", row["forbund"])
        code = normalise_code(row["kommunkod"])
        if code is None:
            raise InputError(path, f"{row['kommunkod']!r} is not a kommun code (four digits, e.g. 0114; three digits "
                                   "are read as a code whose leading zero was lost)", line, "kommunkod")
        if code not in names:
            raise InputError(path, f"kommun code {code} is not in {KOMMUNER_FILE} (SCB's kommun codes)", line,
                             "kommunkod")
        given = row.get("kommun", "")
        if given and given.casefold() != names[code].casefold():
            raise InputError(path, f"kommun code {code} is {names[code]}, but the row names {given!r}: is the code or "
                                   "the name wrong?", line, "kommun")
        first = _year_cell(path, line, "fran_ar", row.get("fran_ar", ""))
        last = _year_cell(path, line, "till_ar", row.get("till_ar", ""))
        if first is not None and last is not None and first > last:
            raise InputError(path, f"fran_ar {first} is after till_ar {last}", line, "till_ar")
        out.append({"forbund": row["forbund"], "kommunkod": code, "kommun": names[code], "fran_ar": first,
                    "till_ar": last, "line": line})
    if not out:
        raise InputError(path, "the mapping has a header but no rows", 1)
    mapping = pd.DataFrame(out).astype({"fran_ar": "Int64", "till_ar": "Int64"})
    _check_overlaps(path, mapping)
    return mapping


def check_name(path: Path, line: int | None, column: str, name: str) -> None:
    """A förbund name may not be a label the outputs reserve (``RESERVED``, or a name in brackets)."""
    if name.strip().casefold() in RESERVED or name.strip().startswith("("):
        raise InputError(path, f"{name!r} is reserved for the outputs' own rows (the nation is 'Hela riket'; "
                               "names in brackets are remainders) and cannot be a förbund's name; give the förbund "
                               "its own name", line, column)


def read_renames(path: Path) -> pd.DataFrame:
    """``forbund_namnbyten.csv``: fran_namn, till_namn, fran_ar, line (an empty frame if the file is
    absent). See the module's doc for the rules."""
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=[*RENAME_COLUMNS, "line"])
    header, rows = _rows_with_columns(path, RENAME_COLUMNS, RENAME_COLUMNS)
    out, seen = [], {}
    for line, fields in rows:
        row = dict(zip(header, fields))
        for column in ("fran_namn", "till_namn"):
            if not row[column]:
                raise InputError(path, "empty förbund name", line, column)
        check_name(path, line, "till_namn", row["till_namn"])
        year = _year_cell(path, line, "fran_ar", row["fran_ar"])
        if year is None:
            raise InputError(path, "the year of the rename is missing", line, "fran_ar")
        if row["fran_namn"] == row["till_namn"]:
            raise InputError(path, f"{row['fran_namn']!r} is renamed into itself", line, "till_namn")
        if row["fran_namn"] in seen:
            raise InputError(path, f"{row['fran_namn']!r} is renamed twice (also on line {seen[row['fran_namn']]}); a "
                                   "name takes one new name (rename the new name again to follow a second change)",
                             line, "fran_namn")
        seen[row["fran_namn"]] = line
        out.append({"fran_namn": row["fran_namn"], "till_namn": row["till_namn"], "fran_ar": year, "line": line})
    renames = pd.DataFrame(out, columns=[*RENAME_COLUMNS, "line"])
    final_names(renames, path)  # a circle stops here
    return renames


def final_names(renames: pd.DataFrame, path: Path | None = None) -> dict[str, str]:
    """Every renamed name → the name its förbund has last (renames followed; a circle stops)."""
    step = dict(zip(renames["fran_namn"], renames["till_namn"]))
    lines = dict(zip(renames["fran_namn"], renames["line"]))
    out = {}
    for name in step:
        seen, current = [name], step[name]
        while current in step:
            if current in seen:
                raise InputError(path or RENAMES_FILE, f"the renames go in a circle: {' → '.join(seen + [current])}",
                                 int(lines[name]), "till_namn")
            seen.append(current)
            current = step[current]
        out[name] = current
    return out


def _check_overlaps(path: Path, mapping: pd.DataFrame) -> None:
    """A kommun in two förbund (or twice in one) in the same year stops, naming both lines."""
    for code, rows in mapping.groupby("kommunkod", sort=False):
        if len(rows) < 2:
            continue
        spans = [(r.line, r.forbund, FIRST_YEAR if pd.isna(r.fran_ar) else int(r.fran_ar),
                  LAST_YEAR if pd.isna(r.till_ar) else int(r.till_ar)) for r in rows.itertuples()]
        for i, (line_a, forbund_a, lo_a, hi_a) in enumerate(spans):
            for line_b, forbund_b, lo_b, hi_b in spans[i + 1:]:
                lo, hi = max(lo_a, lo_b), min(hi_a, hi_b)
                if lo <= hi:
                    years = "every year" if (lo, hi) == (FIRST_YEAR, LAST_YEAR) else (
                        f"{lo}–{hi}" if lo != FIRST_YEAR and hi != LAST_YEAR else
                        (f"up to {hi}" if lo == FIRST_YEAR else f"from {lo}"))
                    what = (f"is listed twice for {forbund_a!r}" if forbund_a == forbund_b else
                            f"is in {forbund_a!r} (line {line_a}) and in {forbund_b!r}")
                    raise InputError(path, f"kommun {code} {what} in the same years ({years}); a kommun belongs to "
                                           "at most one samordningsförbund a year (use fran_ar/till_ar when it "
                                           "changes förbund)", max(line_a, line_b), "kommunkod")


@dataclass(frozen=True)
class Geography:
    kommuner: pd.DataFrame  # kommunkod, kommun, lan
    mapping: pd.DataFrame  # forbund (the newest name), kommunkod, kommun, fran_ar, till_ar, line, named (as written)
    path: Path
    renames: dict[str, str] = field(default_factory=dict)  # an old name → the förbund's newest name

    def unit(self, names: pd.Series) -> pd.Series:
        """Förbund names as written (in an export or the mapping) → the unit's name (the newest)."""
        return names.replace(self.renames) if self.renames else names

    @property
    def forbund(self) -> list[str]:
        return sorted(self.mapping["forbund"].unique())

    def members(self, year: int) -> pd.DataFrame:
        """forbund, kommunkod of the memberships valid in ``year``."""
        m = self.mapping
        valid = (m["fran_ar"].isna() | (m["fran_ar"] <= year)) & (m["till_ar"].isna() | (m["till_ar"] >= year))
        return m.loc[valid.to_numpy(dtype=bool), ["forbund", "kommunkod"]].reset_index(drop=True)

    def forbund_of(self, year: int) -> dict[str, str]:
        """kommunkod → förbund in ``year`` (kommuner in no förbund are absent)."""
        members = self.members(year)
        return dict(zip(members["kommunkod"], members["forbund"]))


def load_geography(geografi_raw: Path) -> Geography:
    """Both files of data/raw/geografi, checked."""
    folder = Path(geografi_raw)
    kommuner = read_kommuner(folder / KOMMUNER_FILE)
    mapping = read_mapping(folder / MAPPING_FILE, kommuner)
    renames = final_names(read_renames(folder / RENAMES_FILE), folder / RENAMES_FILE)
    mapping = mapping.assign(named=mapping["forbund"], forbund=mapping["forbund"].replace(renames))
    return Geography(kommuner, mapping, folder / MAPPING_FILE, renames)


def check_registrations(geography: Geography, registered: dict[int, set[str]]) -> None:
    """Per year: every förbund with SUS registrations (``registered``: unit names per year, renames
    applied) has kommuner that year; otherwise stop, and when a förbund has kommuner but no
    registrations that year, suggest the rename that would join the two names. A förbund with
    kommuner and no registrations in a year, when every registration is placed, is not a rename:
    it had none (its report says so), and that is not a stop (docs/assumptions_caveats.md)."""
    first_seen: dict[str, int] = {}
    for year in sorted(registered):
        for name in registered[year] | set(geography.members(year)["forbund"]):
            first_seen.setdefault(name, year)
    how = (f"declare it in {RENAMES_FILE} beside this file (fran_namn,till_namn,fran_ar), e.g. ")
    for year in sorted(registered):
        members = geography.members(year)
        placed = set(members["forbund"])
        without_kommuner = sorted(registered[year] - placed)
        without_registrations = sorted(placed - registered[year])
        if without_kommuner:
            name = without_kommuner[0]
            if without_registrations:
                other = without_registrations[0]
                old, new = sorted((name, other), key=lambda n: (first_seen[n], n == other))
                hint = (f"; was it renamed? {other!r} has kommuner in {year} but no registrations: if they are one "
                        f"förbund, {how}'{old},{new},{year}'")
            else:
                hint = f"; add its kommuner for {year} (or, if it is another förbund's new or old name, {how}'old,new,year')"
            raise InputError(geography.path, f"{name!r} has SUS registrations in {year} but no kommuner in {year} in "
                                             f"this file{hint}", None, "forbund")


def area_units(geography: Geography, names: list[str], setting: str = "params.yaml register.area") -> list[str]:
    """The förbund an area setting names, checked against the mapping: each by its newest name (the name
    of the förbund tables, the Förbundsbilagor and every report). An old name declared in
    ``forbund_namnbyten.csv`` stops with the new name to write instead (one name per förbund in every
    output and setting); a name of no förbund stops with the nearest one. Registrations written under
    an old name belong to the förbund all the same (:meth:`Geography.unit`)."""
    import difflib

    from ..core.errors import ConfigError

    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise ConfigError(f"{setting} must be a list of förbund names, got {names!r}")
    known = geography.forbund
    for name in names:
        if name in geography.renames:
            raise ConfigError(f"{setting}: {name!r} is an old name of {geography.renames[name]!r} ({RENAMES_FILE}); "
                              f"name the förbund by its newest name, as the förbund tables and reports do: "
                              f"{geography.renames[name]!r}")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            raise ConfigError(f"{setting}: {name!r} is not a förbund of {geography.path.name} ("
                              + (f"did you mean {close[0]!r}?)" if close else f"names look like {known[0]!r})"))
    return list(dict.fromkeys(names))


def residents(formaner: pd.DataFrame, geography: Geography, area: list[str], year: int) -> pd.DataFrame:
    """The rows of a cleaned benefit register whose kommun (on the reference date) is one of the
    kommuner of the förbund in ``area`` in ``year``: the area's reference population."""
    from ..core.errors import ConfigError

    unknown = [a for a in area if a not in set(geography.mapping["forbund"])]
    if unknown:
        raise ConfigError(f"{geography.path}: {unknown[0]!r} (params.yaml register.area) has no kommuner in this file")
    if "kommun" not in formaner.columns:
        raise ConfigError("the cleaned benefit register has no kommun column: rerun `finsam stage register` with "
                          "exports that have it (data/raw/register/exports.yaml)")
    members = geography.members(year)
    codes = set(members.loc[members["forbund"].isin(area), "kommunkod"])
    return formaner[formaner["kommun"].isin(codes)]
