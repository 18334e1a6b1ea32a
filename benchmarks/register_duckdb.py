"""Reference implementation: the register cleaning of one year as DuckDB SQL, for the benchmark.

The same rules as ``pipeline/sources/register.py`` on the same export files, so that
``bench_register.py`` can time both side by side and check that they agree (kept rows and
quarantined rows per export and reason). Not used by the pipeline; needs the ``benchmarks``
extra (``pip install -e '.[benchmarks]'``).

Everything is generated from data/raw/register/exports.yaml: every column's type and rule (code
lists, id patterns, plausible ages, earliest dates, number ranges, required cells) becomes a
``CASE`` branch in column order, so a new column in exports.yaml (a new coded column, say) needs
no change here. The rules that name columns are the same few the pipeline names: the person
attributes ``kon``/``fodelsear``, the dates and insats of a registration, the benefit of the
benefit register.

What this reference leaves out, and why the comparison stays fair: the careful reading of
``pipeline.core.io`` (strict encodings, line endings, quoted line breaks, wrong field counts):
DuckDB's CSV reader reads the declared encoding and delimiter and the line of a row is its
position + 2, right for files without blank lines or quoted line breaks, which is what the
benchmark's exports are (the pipeline takes its fast path on them too). The personal-data check
(``privacy.has_personal_data``: patterns and lists of Swedish names) is called from Python on
each column's distinct values, as the pipeline does; the flags are joined back in SQL. The HMAC
pseudonyms are computed in SQL (SHA-256 over the key's inner and outer pads).

    from benchmarks.register_duckdb import clean_year_sql
    result = clean_year_sql(Path("data/raw/register"), 2022, key, out_dir)
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import duckdb
import yaml

from pipeline.core.privacy import has_personal_data

PERSON_ATTRIBUTES = {"kon": "sex", "fodelsear": "birth_year"}


class StopError(Exception):
    """The cleaning stops (an unknown code with on_unknown_code: stop, too much quarantined, …)."""


def _q(text: object) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _codes(rule: dict[str, Any]) -> dict[str, str]:
    codes = rule["codes"]
    mapping = {str(k): str(v) for k, v in codes.items()} if isinstance(codes, dict) else {str(c): str(c) for c in codes}
    return {k.lower(): v for k, v in mapping.items()} if rule.get("ignore_case") else mapping


def _hmac_pads(key: bytes) -> tuple[str, str]:
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block).hex(), bytes(b ^ 0x5C for b in block).hex()


def _value_case(name: str, rule: dict[str, Any], year: int, decimal: str) -> list[tuple[str, str]]:
    """(condition, reason) for a non-empty value of column ``name``, in the pipeline's order."""
    v = f"v.{_ident(name)}"
    kind = rule["type"]
    out = [(f"{v} IN (SELECT value FROM pii WHERE col = {_q(name)})", "personuppgift_i_fel_kolumn")]
    if kind == "id":
        out.append((f"NOT regexp_full_match({v}, {_q(rule['pattern'])})", "ogiltigt_id"))
    elif kind == "code":
        probe = f"lower({v})" if rule.get("ignore_case") else v
        out.append((f"{probe} NOT IN ({', '.join(_q(c) for c in _codes(rule))})", "okand_kod"))
    elif kind == "year":
        out += [(f"NOT regexp_full_match({v}, '[0-9]{{4}}')", "ogiltigt_ar"), (f"TRY_CAST({v} AS INTEGER) <> {year}", "fel_ar")]
    elif kind == "birth_year":
        age = f"({year} - TRY_CAST({v} AS INTEGER))"
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
    columns = spec["columns"]
    for name, rule in columns.items():
        v = f"v.{_ident(name)}"
        required = "TRUE" if rule.get("required", True) else "FALSE"
        for other, accepted in (rule.get("required_if") or {}).items():
            required = f"v.{_ident(other)} IN ({', '.join(_q(a) for a in accepted)})"
        if rule["type"] == "personnummer":
            branches.append((f"{v} = '' AND {required}", "personnummer_saknas", name))
            continue
        branches.append((f"{v} = '' AND {required}", "saknat_varde", name))
        for condition, reason in _value_case(name, rule, year, spec.get("decimal", ".")):
            branches.append((f"{v} <> '' AND ({condition})", reason, name))
    return "CASE " + " ".join(f"WHEN {c} THEN {_q(r + '|' + n)}" for c, r, n in branches) + " END"


def _read(con, table: str, path: Path, spec: dict[str, Any]) -> None:
    columns = list(spec["columns"])
    types = "{" + ", ".join(f"{_q(c)}: 'VARCHAR'" for c in columns) + "}"
    encoding = "latin-1" if spec["encoding"].lower().replace("_", "-") in ("latin-1", "latin1", "iso-8859-1") \
        else "utf-8"
    con.execute(f"CREATE OR REPLACE TABLE {table}_raw AS SELECT * FROM read_csv({_q(path)}, delim={_q(spec['delimiter'])}, "
                f"header=true, columns={types}, encoding={_q(encoding)}, quote='\"', escape='\"', "
                "auto_detect=false, null_padding=false)")
    trimmed = ", ".join(f"trim(coalesce({_ident(c)}, '')) AS {_ident(c)}" for c in columns)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT rowid + 2 AS _line, {trimmed} FROM {table}_raw")
    con.execute(f"DROP TABLE {table}_raw")


def _pii_table(con, tables: dict[str, dict[str, Any]]) -> None:
    """Distinct values of every column that must not hold personal data, flagged by the project's check."""
    flagged = []
    for table, spec in tables.items():
        for name, rule in spec["columns"].items():
            if rule["type"] == "personnummer":
                continue
            values = con.execute(f"SELECT DISTINCT {_ident(name)} FROM {table} WHERE {_ident(name)} <> ''").fetchall()
            flagged += [(name, v) for (v,) in values if has_personal_data(v)]
    con.execute("CREATE OR REPLACE TABLE pii (col VARCHAR, value VARCHAR)")
    if flagged:
        con.executemany("INSERT INTO pii VALUES (?, ?)", flagged)


def _set_reason(con, table: str, condition: str, reason: str, column: str) -> None:
    con.execute(f"UPDATE {table} SET reason = {_q(reason)}, rcolumn = {_q(column)} WHERE reason IS NULL AND ({condition})")


def _personnummer(con, table: str, spec: dict[str, Any], year: int, pads: tuple[str, str]) -> None:
    """Parse, check and pseudonymise the personnummer of rows with personal data (the pipeline's
    ``personnummer.parse`` and ``pseudonymise``)."""
    rules = spec["columns"]
    name = next(c for c, r in rules.items() if r["type"] == "personnummer")
    required = "TRUE"
    for other, accepted in (rules[name].get("required_if") or {}).items():
        required = f"{_ident(other)} IN ({', '.join(_q(a) for a in accepted)})"
    pattern = r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$"
    parts = ["century", "yy", "mm", "dd", "sep", "serial", "check"]
    ipad, opad = pads
    nine = "(p.yy || p.mm || p.dd || p.serial)"
    terms = []
    for i in range(9):  # Luhn: weights 2, 1, 2, …; the digits of each product summed
        digit = f"(ascii(substr({nine}, {i + 1}, 1)) - 48) * {2 - i % 2}"
        terms.append(f"({digit}) // 10 + ({digit}) % 10")
    luhn = " + ".join(terms)
    con.execute(f"""
        CREATE OR REPLACE TABLE {table}_p AS
        WITH t AS (SELECT _line, regexp_extract(replace({_ident(name)}, ' ', ''), {_q(pattern)}, {parts}) AS p
                   FROM {table} WHERE reason IS NULL AND {_ident(name)} <> '' AND {required}),
        y AS (SELECT _line, p, p.yy <> '' AS ok,
                     CASE WHEN p.century <> '' THEN TRY_CAST(p.century || p.yy AS INTEGER)
                          ELSE {year} - ((({year} % 100 - TRY_CAST(nullif(p.yy, '') AS INTEGER)) % 100 + 100) % 100)
                               - CASE WHEN p.sep = '+' THEN 100 ELSE 0 END END AS birth
              FROM t),
        d AS (SELECT *, CASE WHEN ok THEN try_cast(format('{{:04d}}-{{}}-{{:02d}}', birth, p.mm,
                   TRY_CAST(p.dd AS INTEGER) - CASE WHEN TRY_CAST(p.dd AS INTEGER) > 60 THEN 60 ELSE 0 END) AS DATE) END AS born
              FROM y),
        l AS (SELECT *, (10 - ({luhn}) % 10) % 10 AS expected
              FROM d WHERE ok AND born IS NOT NULL)
        SELECT d._line,
               CASE WHEN NOT d.ok THEN 'personnummer_format' WHEN d.born IS NULL THEN 'personnummer_datum'
                    WHEN l.expected <> TRY_CAST(d.p."check" AS INTEGER) THEN 'personnummer_kontrollsiffra' END AS problem,
               d.birth, TRY_CAST(d.birth AS VARCHAR) || d.p.mm || d.p.dd || d.p.serial || d.p."check" AS normalised
        FROM d LEFT JOIN l USING (_line)""")
    con.execute(f"""UPDATE {table} SET reason = p.problem, rcolumn = {_q(name)} FROM {table}_p p
                    WHERE {table}._line = p._line AND p.problem IS NOT NULL""")
    con.execute(f"""UPDATE {table} SET reason = 'personnummer_fodelsear', rcolumn = {_q(name)} FROM {table}_p p
                    WHERE {table}._line = p._line AND p.problem IS NULL AND {table}.reason IS NULL
                    AND p.birth <> CAST({table}.fodelsear AS INTEGER)""")
    con.execute(f"ALTER TABLE {table} ADD COLUMN person_id VARCHAR")
    con.execute(f"""UPDATE {table} SET person_id = left(sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}')
                    || encode(p.normalised)))), 32) FROM {table}_p p
                    WHERE {table}._line = p._line AND {table}.reason IS NULL""")
    codes = _codes(rules["kon"])
    probe = "lower(kon)" if rules["kon"].get("ignore_case") else "kon"
    con.execute(f"ALTER TABLE {table} ADD COLUMN sex VARCHAR")
    con.execute(f"ALTER TABLE {table} ADD COLUMN birth_year INTEGER")
    con.execute(f"UPDATE {table} SET sex = CASE {probe} "
                + " ".join(f"WHEN {_q(k)} THEN {_q(v)}" for k, v in codes.items())
                + " END, birth_year = CAST(fodelsear AS INTEGER) WHERE reason IS NULL")
    con.execute(f"DROP TABLE {table}_p")


def _person_conflicts(con, table: str) -> None:
    _set_reason(con, table, f"""person_id IN (SELECT person_id FROM {table} WHERE reason IS NULL AND person_id IS NOT NULL
                                GROUP BY person_id HAVING count(DISTINCT sex) > 1 OR count(DISTINCT birth_year) > 1)""",
                "motstridig_person", "kon")


def clean_year_sql(register_raw: Path, year: int, key: bytes, out_dir: Path | None = None,
                   threads: int | None = None) -> dict[str, dict[str, Any]]:
    """Clean ``year`` as the pipeline does; returns per export: rows_in, kept, quarantine (reason → rows).
    With ``out_dir``, writes the kept rows and the quarantine as Parquet."""
    register_raw = Path(register_raw)
    config = yaml.safe_load((register_raw / "exports.yaml").read_text(encoding="utf-8"))
    exports, limits = config["exports"], config.get("limits") or {}
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    folder = register_raw / str(year)
    for kind, spec in exports.items():
        _read(con, kind, folder / spec["file"].format(year=year), spec)
    rows_in = {kind: con.execute(f"SELECT count(*) FROM {kind}").fetchone()[0] for kind in exports}
    for kind, spec in exports.items():
        columns = list(spec["columns"])
        con.execute(f"ALTER TABLE {kind} ADD COLUMN reason VARCHAR")
        con.execute(f"ALTER TABLE {kind} ADD COLUMN rcolumn VARCHAR")
        every = " AND ".join(f"{_ident(c)} = {_q(c)}" for c in columns)
        _set_reason(con, kind, every, "upprepad_rubrik", "(hela raden)")
        _set_reason(con, kind, " AND ".join(f"{_ident(c)} = ''" for c in columns), "tom_rad", "(hela raden)")
        control = " OR ".join(f"regexp_matches({_ident(c)}, '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]')" for c in columns)
        _set_reason(con, kind, control, "ogiltigt_tecken", "(hela raden)")
        longest = int(limits.get("max_field_length", 100))
        for c in columns:
            _set_reason(con, kind, f"length({_ident(c)}) > {longest}", "for_langt_falt", c)
        line = " + ".join(f"length({_ident(c)})" for c in columns) + f" + {len(columns) - 1}"
        _set_reason(con, kind, f"{line} > {int(limits.get('max_line_length', 1000))}", "for_lang_rad", "(hela raden)")
        partition = ", ".join(_ident(c) for c in columns)
        _set_reason(con, kind, f"""_line IN (SELECT _line FROM (SELECT _line, row_number() OVER (PARTITION BY {partition}
                                   ORDER BY _line) AS n FROM {kind} WHERE reason IS NULL) WHERE n > 1)""",
                    "dubblett", "(hela raden)")
    _pii_table(con, exports)
    pads = _hmac_pads(key)
    insats_ids = []
    for kind, spec in exports.items():
        con.execute(f"""UPDATE {kind} SET reason = split_part(r, '|', 1), rcolumn = split_part(r, '|', 2)
                        FROM (SELECT v._line, {_rule_case(spec, year)} AS r FROM {kind} v WHERE v.reason IS NULL) x
                        WHERE {kind}._line = x._line AND x.r IS NOT NULL""")
        if spec.get("on_unknown_code", "stop") == "stop":
            first = con.execute(f"SELECT _line, rcolumn FROM {kind} WHERE reason = 'okand_kod' ORDER BY _line LIMIT 1").fetchone()
            if first:
                raise StopError(f"{kind}: unknown code on line {first[0]}, column {first[1]}")
        if any(r["type"] == "personnummer" for r in spec["columns"].values()):
            _personnummer(con, kind, spec, year, pads)
        if any(r.get("references") == "insatser" for r in spec["columns"].values()):
            insats_ids.append(kind)
    if insats_ids:  # every insats_id of every year's insats export (the current year's as read)
        files = sorted(str(p / exports["insatser"]["file"].format(year=p.name)) for p in register_raw.iterdir()
                       if p.is_dir() and p.name.isdigit() and p.name != str(year)
                       and (p / exports["insatser"]["file"].format(year=p.name)).is_file())
        con.execute("CREATE OR REPLACE TABLE known_insats AS SELECT DISTINCT insats_id FROM insatser")
        for path in files:
            con.execute(f"INSERT INTO known_insats SELECT DISTINCT trim(insats_id) FROM read_csv({_q(path)}, "
                        f"delim={_q(exports['insatser']['delimiter'])}, header=true, all_varchar=true) WHERE insats_id IS NOT NULL")
    if "deltagare" in exports:
        t = "deltagare"
        con.execute(f"ALTER TABLE {t} ADD COLUMN start DATE")
        con.execute(f"ALTER TABLE {t} ADD COLUMN \"end\" DATE")
        con.execute(f"UPDATE {t} SET start = CAST(startdatum AS DATE), \"end\" = CAST(nullif(slutdatum, '') AS DATE) "
                    "WHERE reason IS NULL")
        _set_reason(con, t, '"end" < start', "slut_fore_start", "slutdatum")
        _set_reason(con, t, f"start > DATE '{year}-12-31' OR \"end\" < DATE '{year}-01-01'", "utanfor_aret", "startdatum")
        if insats_ids:
            _set_reason(con, t, "insats_id NOT IN (SELECT insats_id FROM known_insats)", "okand_insats", "insats_id")
        _person_conflicts(con, t)
        _set_reason(con, t, f"""_line IN (SELECT _line FROM (SELECT _line, row_number() OVER (PARTITION BY person_id,
                               insats_id ORDER BY start, _line) AS n FROM {t} WHERE reason IS NULL AND person_id IS NOT NULL)
                               WHERE n > 1)""", "dubbelregistrering", "insats_id")
    if "formaner" in exports:
        t = "formaner"
        _person_conflicts(con, t)
        _set_reason(con, t, f"""_line IN (SELECT _line FROM (SELECT _line, row_number() OVER (PARTITION BY person_id, forman
                               ORDER BY _line) AS n FROM {t} WHERE reason IS NULL) WHERE n > 1)""", "dubbel_forman", "forman")
    same = (config.get("cross_file") or {}).get("same_person")
    if same:
        kinds = [k for k in same["exports"] if k in exports]
        union = " UNION ALL ".join(f"SELECT DISTINCT person_id, sex, birth_year FROM {k} WHERE reason IS NULL "
                                   "AND person_id IS NOT NULL" for k in kinds)
        con.execute(f"""CREATE OR REPLACE TABLE conflict AS SELECT person_id, count(DISTINCT sex) > 1 AS by_sex
                        FROM ({union}) GROUP BY person_id
                        HAVING count(DISTINCT sex) > 1 OR count(DISTINCT birth_year) > 1""")
        if con.execute("SELECT count(*) FROM conflict").fetchone()[0]:
            if same.get("on_conflict", "quarantine") == "stop":
                raise StopError("a person with another sex or birth year in another export")
            for k in kinds:
                con.execute(f"""UPDATE {k} SET reason = 'motstridig_person_mellan_filer',
                                rcolumn = CASE WHEN c.by_sex THEN 'kon' ELSE 'fodelsear' END FROM conflict c
                                WHERE {k}.person_id = c.person_id AND {k}.reason IS NULL""")
    result = {}
    for kind, spec in exports.items():
        counts = dict(con.execute(f"SELECT reason, count(*) FROM {kind} WHERE reason IS NOT NULL GROUP BY reason").fetchall())
        kept = con.execute(f"SELECT count(*) FROM {kind} WHERE reason IS NULL").fetchone()[0]
        share = sum(counts.values()) / rows_in[kind] if rows_in[kind] else 0.0
        if share > float(limits.get("max_quarantine_share", 0.05)) and rows_in[kind] >= limits.get("share_min_rows", 100):
            raise StopError(f"{kind}: {100 * share:.1f} % would be quarantined")
        result[kind] = {"rows_in": rows_in[kind], "kept": kept, "quarantine": counts}
        if out_dir is not None:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            personal = [c for c, r in spec["columns"].items() if r["type"] == "personnummer"] + [
                c for c in PERSON_ATTRIBUTES if c in spec["columns"] and "person_id" in _columns(con, kind)]
            keep = ", ".join(_ident(c) for c in _columns(con, kind) if c not in personal + ["reason", "rcolumn", "_line"])
            con.execute(f"COPY (SELECT {keep} FROM {kind} WHERE reason IS NULL) TO "
                        f"{_q(Path(out_dir) / f'{kind}.parquet')} (FORMAT parquet)")
    if out_dir is not None:
        union = " UNION ALL ".join(f"SELECT {_q(k)} AS export, _line AS line, reason, rcolumn AS \"column\" FROM {k} "
                                   "WHERE reason IS NOT NULL" for k in exports)
        con.execute(f"COPY ({union} ORDER BY export, line) TO {_q(Path(out_dir) / 'karantan.parquet')} (FORMAT parquet)")
    con.close()
    return result


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
