"""Reference implementation: the register cleaning of one year as DuckDB SQL, for the benchmark.

The same rules as ``pipeline/sources/register.py`` on the same export files, so that
``bench_register.py`` can time both side by side and check that they agree (kept rows, the
quarantined (export, line, reason) and the pseudonyms). Not used by the pipeline; needs duckdb
(in the ``dev`` extra).

Written as a DuckDB user would write it: each export is read once into a table, then cleaned by
one ``CREATE TABLE … AS`` whose chain of CTEs applies the rules in the pipeline's order (a rule
only sees the rows no earlier rule quarantined: each CTE adds its reason with ``coalesce``, and the
rules over groups of rows are aggregates joined back, computed once: ``MATERIALIZED``). The only statements
beyond that are the one the cross-file rule needs (it compares two cleaned exports) and the writes.

The configuration is data/raw/register/exports.yaml as the pipeline resolves it
(``load_exports``: ``codes_file`` code lists read, limits and ``cross_file`` checked); every
column's type and rule (code lists with ``zero_pad`` and ``ignore_case``, id patterns, plausible
ages, earliest dates, number ranges, required cells) becomes a ``CASE`` branch in column order, so
a new column in exports.yaml needs no change here. The rules that name columns are the same few the
pipeline names: the person attributes ``kon``/``fodelsear``, the dates and insats of a registration,
the benefit of the benefit register.

What this reference leaves out, and why the comparison stays fair: the careful reading of
``pipeline.core.io`` (strict encodings, line endings, quoted line breaks, wrong field counts):
DuckDB's CSV reader reads the declared encoding and delimiter, and the line of a row is its
position + 2, right for files without blank lines or quoted line breaks, which is what the
benchmark's exports are (the pipeline takes its fast path on them too). The personal-data check
(``privacy.has_personal_data``: patterns and lists of Swedish names) is called from Python on each
column's distinct values, as the pipeline does; the flags are joined back in SQL. The HMAC
pseudonyms are computed in SQL (SHA-256 over the key's inner and outer pads, RFC 2104).

    from register_duckdb import clean_year_sql
    result = clean_year_sql(Path("data/raw/register"), 2022, key, out_dir)
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import duckdb

from pipeline.core.privacy import has_personal_data
from pipeline.sources.register import PERSON_ATTRIBUTES, accepted_codes, load_exports

WHOLE_ROW = "(hela raden)"


class StopError(Exception):
    """The cleaning stops (an unknown code with on_unknown_code: stop, too much quarantined, …)."""


def _q(text: object) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _in(values) -> str:
    return "(" + ", ".join(_q(v) for v in values) + ")"


def _hmac_pads(key: bytes) -> tuple[str, str]:
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block).hex(), bytes(b ^ 0x5C for b in block).hex()


def _required(rule: dict[str, Any]) -> str:
    required = "TRUE" if rule.get("required", True) else "FALSE"
    for other, accepted in (rule.get("required_if") or {}).items():  # the last one decides, as in the pipeline
        required = f"{_ident(other)} IN {_in(accepted)}"
    return required


def _value_case(name: str, rule: dict[str, Any], year: int, decimal: str) -> list[tuple[str, str]]:
    """(condition, reason) for a non-empty value of column ``name``, in the pipeline's order."""
    v = _ident(name)
    kind = rule["type"]
    out = [(f"{v} IN (SELECT value FROM pii WHERE col = {_q(name)})", "personuppgift_i_fel_kolumn")]
    if kind == "id":
        out.append((f"NOT regexp_full_match({v}, {_q(rule['pattern'])})", "ogiltigt_id"))
    elif kind == "code":
        probe = f"lower({v})" if rule.get("ignore_case") else v
        out.append((f"{probe} NOT IN {_in(accepted_codes(rule))}", "okand_kod"))
    elif kind in ("year", "birth_year"):
        number = f"TRY_CAST({v} AS INTEGER)"
        if kind == "year":
            out += [(f"NOT regexp_full_match({v}, '[0-9]{{4}}')", "ogiltigt_ar"), (f"{number} <> {year}", "fel_ar")]
        else:
            age = f"({year} - {number})"
            out += [(f"NOT regexp_full_match({v}, '[0-9]{{4}}')", "ogiltigt_fodelsear"),
                    (f"{age} < {rule.get('min_age', 0)} OR {age} > {rule.get('max_age', 120)}", "orimligt_fodelsear")]
    elif kind == "date":
        date = f"try_strptime({v}, '%Y-%m-%d')"
        out.append((f"NOT regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') OR {date} IS NULL", "ogiltigt_datum"))
        if rule.get("earliest"):
            out.append((f"{date} < TIMESTAMP {_q(rule['earliest'])}", "orimligt_datum"))
    elif kind == "number":
        pattern = "-?[0-9]+(?:" + re.escape(decimal) + "[0-9]+)?"
        number = f"TRY_CAST(replace({v}, {_q(decimal)}, '.') AS DOUBLE)"
        out += [(f"NOT regexp_full_match({v}, {_q(pattern)})", "ogiltigt_tal"),
                (f"{number} < {rule.get('min', '-1e308')} OR {number} > {rule.get('max', '1e308')}", "utanfor_intervall")]
    return out


def _rule_case(spec: dict[str, Any], year: int) -> str:
    """One CASE giving 'reason|column' of the first column rule a row breaks (NULL: none)."""
    branches = []
    for name, rule in spec["columns"].items():
        v = _ident(name)
        if rule["type"] == "personnummer":
            branches.append((f"{v} = '' AND {_required(rule)}", "personnummer_saknas", name))
            continue
        branches.append((f"{v} = '' AND {_required(rule)}", "saknat_varde", name))
        for condition, reason in _value_case(name, rule, year, spec.get("decimal", ".")):
            branches.append((f"{v} <> '' AND ({condition})", reason, name))
    return "CASE " + " ".join(f"WHEN {c} THEN {_q(r + '|' + n)}" for c, r, n in branches) + " END"


def _shape_case(columns: list[str], limits: dict[str, Any]) -> str:
    """The reasons of the reading that apply to the benchmark's plain files, per column in order (one
    regular expression over the whole row first; the columns are looked at only when it finds something)."""
    control = "'[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]'"
    longest = int(limits["max_field_length"])
    every = " AND ".join(f"{_ident(c)} = {_q(c)}" for c in columns)
    empty = " AND ".join(f"{_ident(c)} = ''" for c in columns)
    row = " || ".join(_ident(c) for c in columns)
    per_column = " ".join(f"WHEN regexp_matches({_ident(c)}, {control}) THEN {_q('ogiltigt_tecken|' + c)} "
                          f"WHEN length({_ident(c)}) > {longest} THEN {_q('for_langt_falt|' + c)}" for c in columns)
    widest = f"greatest({', '.join(f'length({_ident(c)})' for c in columns)})" if len(columns) > 1 \
        else f"length({_ident(columns[0])})"
    return (f"CASE WHEN {every} THEN 'upprepad_rubrik|{WHOLE_ROW}' WHEN {empty} THEN 'tom_rad|{WHOLE_ROW}' "
            f"WHEN regexp_matches({row}, {control}) OR {widest} > {longest} THEN CASE {per_column} END "
            f"WHEN length({row}) + {len(columns) - 1} > {int(limits['max_line_length'])} "
            f"THEN 'for_lang_rad|{WHOLE_ROW}' END")


def _read(con, table: str, path: Path, spec: dict[str, Any]) -> None:
    columns = list(spec["columns"])
    types = "{" + ", ".join(f"{_q(c)}: 'VARCHAR'" for c in columns) + "}"
    encoding = "latin-1" if spec["encoding"].lower().replace("_", "-") in ("latin-1", "latin1", "iso-8859-1") \
        else "utf-8"
    trimmed = ", ".join(f"trim(coalesce({_ident(c)}, '')) AS {_ident(c)}" for c in columns)
    con.execute(f"CREATE OR REPLACE TABLE {table}_raw AS SELECT {trimmed} FROM read_csv({_q(path)}, "
                f"delim={_q(spec['delimiter'])}, header=true, columns={types}, encoding={_q(encoding)}, quote='\"', "
                "escape='\"', auto_detect=false, null_padding=false)")


def _pii_table(con, exports: dict[str, dict[str, Any]]) -> None:
    """Distinct values of every column that must not hold personal data, flagged by the project's check."""
    flagged = []
    for table, spec in exports.items():
        for name, rule in spec["columns"].items():
            if rule["type"] == "personnummer":
                continue
            values = con.execute(f"SELECT DISTINCT {_ident(name)} FROM {table}_raw WHERE {_ident(name)} <> ''").fetchall()
            flagged += [(name, v) for (v,) in values if has_personal_data(v)]
    con.execute("CREATE OR REPLACE TABLE pii (col VARCHAR, value VARCHAR)")
    if flagged:
        con.executemany("INSERT INTO pii VALUES (?, ?)", flagged)


def _luhn(nine: str) -> str:
    """The Luhn check digit of ``nine``, a BIGINT of nine digits (weights 2, 1, 2, …; a product's digits
    summed: 2·d − 9 when d ≥ 5)."""
    terms = []
    for i in range(9):
        digit = f"({nine} // {10 ** (8 - i)} % 10)"
        terms.append(f"(2 * {digit} - CASE WHEN {digit} >= 5 THEN 9 ELSE 0 END)" if i % 2 == 0 else digit)
    return f"(10 - ({' + '.join(terms)}) % 10) % 10"


def _person_ctes(spec: dict[str, Any], year: int, pads: tuple[str, str]) -> list[str]:
    """CTEs p1 … p3 over r2 (rows after the column rules): the personnummer rules, the pseudonym and
    the person attributes (the pipeline's ``personnummer.parse_personnummer`` and ``pseudonymise``)."""
    rules = spec["columns"]
    name = next(c for c, r in rules.items() if r["type"] == "personnummer")
    pattern = r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$"
    parts = ["century", "yy", "mm", "dd", "sep", "serial", "check"]
    ipad, opad = pads
    kon = rules["kon"]
    probe = "lower(kon)" if kon.get("ignore_case") else "kon"
    sex = "CASE " + probe + " " + " ".join(f"WHEN {_q(k)} THEN {_q(v)}" for k, v in accepted_codes(kon).items()) + " END"
    with_pnr = f"reason IS NULL AND {_ident(name)} <> '' AND {_required(rules[name])}"
    return [
        f"""p1 AS (SELECT *, CASE WHEN {with_pnr} THEN regexp_extract(replace({_ident(name)}, ' ', ''), {_q(pattern)},
                   {parts}) END AS p FROM r2)""",
        f"""p2 AS (SELECT *, TRY_CAST(p.yy || p.mm || p.dd || p.serial AS BIGINT) AS nine,
                   CASE WHEN p.century <> '' THEN TRY_CAST(p.century || p.yy AS INTEGER)
                   ELSE {year} - ((({year} % 100 - TRY_CAST(nullif(p.yy, '') AS INTEGER)) % 100 + 100) % 100)
                        - CASE WHEN p.sep = '+' THEN 100 ELSE 0 END END AS birth FROM p1)""",
        f"""p3 AS (SELECT *, CASE WHEN p.yy <> '' AND mm BETWEEN 1 AND 12 AND birth >= 1 AND day >= 1
                   AND day <= day(last_day(make_date(greatest(birth, 1), least(greatest(mm, 1), 12), 1))) THEN TRUE
                   END AS born
                   FROM (SELECT *, TRY_CAST(p.mm AS INTEGER) AS mm, TRY_CAST(p.dd AS INTEGER)
                         - CASE WHEN TRY_CAST(p.dd AS INTEGER) > 60 THEN 60 ELSE 0 END AS day FROM p2))""",
        f"""p4 AS (SELECT * EXCLUDE (reason, p, birth, born, nine, mm, day),
                   coalesce(reason, CASE WHEN p IS NULL THEN NULL
                       WHEN p.yy = '' THEN 'personnummer_format|{name}'
                       WHEN born IS NULL THEN 'personnummer_datum|{name}'
                       WHEN {_luhn("nine")} <> TRY_CAST(p."check" AS INTEGER)
                           THEN 'personnummer_kontrollsiffra|{name}'
                       WHEN birth <> CAST(fodelsear AS INTEGER) THEN 'personnummer_fodelsear|{name}' END) AS reason,
                   CASE WHEN p IS NOT NULL AND p.yy <> '' THEN
                       CAST(birth AS VARCHAR) || p.mm || p.dd || p.serial || p."check" END AS normalised,
                   {sex} AS sex, TRY_CAST(fodelsear AS INTEGER) AS birth_year
            FROM p3)""",
        f"""p5 AS (SELECT * EXCLUDE (normalised), CASE WHEN reason IS NULL AND normalised IS NOT NULL THEN
                   left(sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode(normalised)))), 32)
                   END AS person_id FROM p4)""",
    ]


def _conflicts(source: str, target: str) -> list[str]:
    """``motstridig_person``: a kept person with more than one sex or birth year among the kept rows."""
    return [f"""{target}_c AS (SELECT person_id FROM {source} WHERE reason IS NULL AND person_id IS NOT NULL
                GROUP BY person_id HAVING min(sex) <> max(sex) OR min(birth_year) <> max(birth_year))""",
            f"""{target} AS (SELECT *, coalesce(reason, CASE WHEN person_id IN (SELECT person_id FROM {target}_c)
                THEN 'motstridig_person|kon' END) AS reason2 FROM {source})"""]


def _first_rows(source: str, target: str, keys: str, kept: str, reason: str, column: str) -> list[str]:
    """Rows of ``source`` that repeat ``keys`` of an earlier kept row (``kept``: the reason column that
    is NULL for a kept row) get ``reason``; the first of each group is kept (an aggregate, not a window)."""
    return [f"{target}_f AS (SELECT min(_line) AS _line FROM {source} WHERE {kept} IS NULL GROUP BY {keys})",
            f"""{target} AS (SELECT s.* EXCLUDE ({kept}), coalesce({kept}, CASE WHEN f._line IS NULL
                THEN '{reason}|{column}' END) AS reason FROM {source} s LEFT JOIN {target}_f f USING (_line))"""]


def _clean_sql(kind: str, spec: dict[str, Any], year: int, pads: tuple[str, str], has_known_insats: bool) -> str:
    """The one statement that cleans export ``kind``: table ``kind`` with _line, the cells, reason
    ('reason|column' or NULL) and the derived columns."""
    columns = list(spec["columns"])
    rules = spec["columns"]
    cells = ", ".join(_ident(c) for c in columns)
    twice = {"r0", "d1", "f1"}  # the CTEs the aggregates read beside the next step
    ctes = [
        f"r0 AS (SELECT rowid + 2 AS _line, *, {_shape_case(columns, spec['limits'])} AS reason FROM {kind}_raw)",
        *_first_rows("r0", "r1", cells, "reason", "dubblett", WHOLE_ROW),
        f"r2 AS (SELECT * EXCLUDE (reason), coalesce(reason, {_rule_case(spec, year)}) AS reason FROM r1)",
    ]
    last = "r2"
    if any(r["type"] == "personnummer" for r in rules.values()):
        ctes += _person_ctes(spec, year, pads)
        last = "p5"
    if kind == "deltagare":
        orphan = "WHEN insats_id NOT IN (SELECT insats_id FROM known_insats) THEN 'okand_insats|insats_id' " \
            if has_known_insats else ""
        ctes += [
            f"""d0 AS (SELECT *, CASE WHEN reason IS NULL THEN CAST(startdatum AS DATE) END AS start,
                       CASE WHEN reason IS NULL THEN CAST(nullif(slutdatum, '') AS DATE) END AS "end" FROM {last})""",
            f"""d1 AS (SELECT * EXCLUDE (reason), coalesce(reason, CASE WHEN "end" < start THEN 'slut_fore_start|slutdatum'
                       WHEN start > DATE '{year}-12-31' OR "end" < DATE '{year}-01-01' THEN 'utanfor_aret|startdatum'
                       {orphan}END) AS reason FROM d0)""",
            *_conflicts("d1", "d2"),
            f"""d3 AS (SELECT * EXCLUDE (reason, reason2), coalesce(reason2, CASE WHEN reason2 IS NULL AND person_id IS NOT NULL
                       AND row_number() OVER (PARTITION BY reason2 IS NULL AND person_id IS NOT NULL, person_id, insats_id
                       ORDER BY start, _line) > 1 THEN 'dubbelregistrering|insats_id' END) AS reason FROM d2)""",
        ]
        last = "d3"
    elif kind == "formaner":
        twice.add(last)
        ctes += [
            *_conflicts(last, "f1"),
            *_first_rows("(SELECT * EXCLUDE (reason) FROM f1)", "f2", "person_id, forman", "reason2", "dubbel_forman",
                         "forman"),
        ]
        last = "f2"
    # A CTE read twice (an aggregate over it joined back) is computed once: MATERIALIZED.
    ctes = [c.replace(" AS (", " AS MATERIALIZED (", 1) if c.split(" ", 1)[0] in twice else c for c in ctes]
    return f"CREATE OR REPLACE TABLE {kind} AS WITH {', '.join(ctes)} SELECT * FROM {last}"


def _known_insats(con, register_raw: Path, exports: dict[str, dict[str, Any]], year: int) -> None:
    """Every insats_id of every year's insats export (the current year's as read)."""
    spec = exports["insatser"]
    files = sorted(str(p / spec["file"].format(year=p.name)) for p in register_raw.iterdir()
                   if p.is_dir() and p.name.isdigit() and p.name != str(year)
                   and (p / spec["file"].format(year=p.name)).is_file())
    others = "".join(f" UNION SELECT trim(insats_id) FROM read_csv({_q(f)}, delim={_q(spec['delimiter'])}, header=true, "
                     "all_varchar=true) WHERE insats_id IS NOT NULL" for f in files)
    con.execute(f"CREATE OR REPLACE TABLE known_insats AS SELECT insats_id FROM insatser_raw{others}")


def _cross_file(con, spec: dict[str, Any], kinds: list[str]) -> None:
    """``motstridig_person_mellan_filer``: a person whose sex or birth year differs between the exports."""
    union = " UNION ALL ".join(f"SELECT DISTINCT person_id, sex, birth_year FROM {k} WHERE reason IS NULL "
                               "AND person_id IS NOT NULL" for k in kinds)
    con.execute(f"""CREATE OR REPLACE TABLE conflict AS SELECT person_id, min(sex) <> max(sex) AS by_sex
                    FROM ({union}) GROUP BY person_id
                    HAVING min(sex) <> max(sex) OR min(birth_year) <> max(birth_year)""")
    if not con.execute("SELECT count(*) FROM conflict").fetchone()[0]:
        return
    if spec.get("on_conflict", "quarantine") == "stop":
        raise StopError("a person with another sex or birth year in another export")
    for k in kinds:
        con.execute(f"""UPDATE {k} SET reason = 'motstridig_person_mellan_filer|'
                        || CASE WHEN c.by_sex THEN 'kon' ELSE 'fodelsear' END FROM conflict c
                        WHERE {k}.person_id = c.person_id AND {k}.reason IS NULL""")


def _pad_codes(spec: dict[str, Any], columns: list[str]) -> list[str]:
    """The kept cells as written: ``zero_pad`` codes as their canonical code."""
    out = []
    for c in columns:
        rule = spec["columns"].get(c, {})
        if rule.get("zero_pad"):
            pairs = {k: v for k, v in accepted_codes(rule).items() if k != v}
            out.append("CASE " + _ident(c) + " " + " ".join(f"WHEN {_q(k)} THEN {_q(v)}" for k, v in pairs.items())
                       + f" ELSE {_ident(c)} END AS {_ident(c)}" if pairs else _ident(c))
        else:
            out.append(_ident(c))
    return out


def clean_year_sql(register_raw: Path, year: int, key: bytes, out_dir: Path | None = None,
                   threads: int | None = None) -> dict[str, dict[str, Any]]:
    """Clean ``year`` as the pipeline does; returns per export: rows_in, kept, quarantine (reason → rows).
    With ``out_dir``, writes the kept rows and the quarantine (export, line, reason, column) as Parquet."""
    register_raw = Path(register_raw)
    exports = load_exports(register_raw)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    folder = register_raw / str(year)
    for kind, spec in exports.items():
        _read(con, kind, folder / spec["file"].format(year=year), spec)
    rows_in = {kind: con.execute(f"SELECT count(*) FROM {kind}_raw").fetchone()[0] for kind in exports}
    _pii_table(con, exports)
    known = "insatser" in exports and any(r.get("references") == "insatser" for s in exports.values()
                                          for r in s["columns"].values())
    if known:
        _known_insats(con, register_raw, exports, year)
    pads = _hmac_pads(key)
    for kind, spec in exports.items():
        con.execute(_clean_sql(kind, spec, year, pads, known and kind == "deltagare"))
        con.execute(f"DROP TABLE {kind}_raw")
        if spec.get("on_unknown_code", "stop") == "stop":
            first = con.execute(f"SELECT _line, split_part(reason, '|', 2) FROM {kind} "
                                "WHERE reason LIKE 'okand_kod|%' ORDER BY _line LIMIT 1").fetchone()
            if first:
                raise StopError(f"{kind}: unknown code on line {first[0]}, column {first[1]}")
    same = next(iter(exports.values()))["cross_file"]
    kinds = [k for k in same.get("exports", []) if k in exports]
    if len(kinds) >= 2:
        _cross_file(con, same, kinds)
    result = {}
    for kind, spec in exports.items():
        counts = dict(con.execute(f"SELECT split_part(reason, '|', 1), count(*) FROM {kind} WHERE reason IS NOT NULL "
                                  "GROUP BY ALL").fetchall())
        kept = rows_in[kind] - sum(counts.values())
        share = sum(counts.values()) / rows_in[kind] if rows_in[kind] else 0.0
        limits = spec["limits"]
        if share > float(limits["max_quarantine_share"]) and rows_in[kind] >= limits["share_min_rows"]:
            raise StopError(f"{kind}: {100 * share:.1f} % would be quarantined")
        result[kind] = {"rows_in": rows_in[kind], "kept": kept, "quarantine": counts}
        if out_dir is not None:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            have = [r[0] for r in con.execute(f"DESCRIBE {kind}").fetchall()]
            personal = [c for c, r in spec["columns"].items() if r["type"] == "personnummer"]
            if "person_id" in have:
                personal += list(PERSON_ATTRIBUTES)
            keep = [c for c in have if c not in personal + ["reason", "_line"]]
            con.execute(f"COPY (SELECT {', '.join(_pad_codes(spec, keep))} FROM {kind} WHERE reason IS NULL) TO "
                        f"{_q(Path(out_dir) / f'{kind}.parquet')} (FORMAT parquet)")
    if out_dir is not None:
        union = " UNION ALL ".join(f"SELECT {_q(k)} AS export, _line AS line, split_part(reason, '|', 1) AS reason, "
                                   f"split_part(reason, '|', 2) AS \"column\" FROM {k} WHERE reason IS NOT NULL"
                                   for k in exports)
        con.execute(f"COPY ({union} ORDER BY export, line) TO {_q(Path(out_dir) / 'karantan.parquet')} (FORMAT parquet)")
    con.close()
    return result
