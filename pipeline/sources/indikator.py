"""The annual indicator questionnaires: their descriptions, reading their exports, cleaning.

Inputs (``data/raw/indikator/``, docs/data_dictionary.md "Indikatorenkäter"):

* ``indikatorer.yaml`` — the indicators (I01…I16) with level, kind, first year and measurement
  points (``load_indicators``);
* ``<year>/enkater.yaml`` — per year the questionnaires (deltagare during and at the end of an
  insats, insatspersonal, styrelse, chefer, remittenter): respondent group, the export file(s)
  and their layout, each column's question, each question's indicator, measurement point and
  scale, "vet ej" labels, free-text questions and declared changes (``load_description``);
  ``load_descriptions`` checks the years against each other: a question keeps its id, indicator,
  measurement point and scale, and a new wording, a new question or a dropped one must be
  declared in the year it happens.

Every problem with a description is one ``ConfigError`` naming the file and the entry.
"""

from __future__ import annotations

import codecs
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..core.errors import ConfigError

INDICATORS_FILE = "indikatorer.yaml"
DESCRIPTION_FILE = "enkater.yaml"
LEVELS = ("samhälle", "organisation", "personal", "deltagare")
KINDS = ("process", "effekt")
# The questionnaires and the respondent group each belongs to.
QUESTIONNAIRES = {"deltagare_pagaende": "deltagare", "deltagare_avslut": "deltagare",
                  "insatspersonal": "insatspersonal", "styrelse": "styrelse", "chefer": "chefer",
                  "remittenter": "remittenter"}
GROUPS = ("deltagare", "insatspersonal", "styrelse", "chefer", "remittenter")
LAYOUTS = ("per_forbund", "samlad")  # one file per förbund, or one file with a förbund column
FORMATS = ("csv", "xlsx")
ANSWERS = ("labels", "numbers")  # the scale as its labels, or as its positions 1..k
QUESTION_KINDS = ("skala", "fritext")
_POINT = re.compile(r"^(I\d{2})\.(\d+)$")
_ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def normalise_label(text: str) -> str:
    """A label as it is compared: case and runs of blank space do not matter ("Vet ej" = "vet  ej")."""
    return " ".join(str(text).split()).casefold()


# --------------------------------------------------------------------------- indicators
@dataclass(frozen=True)
class Point:
    id: str
    name: str
    indicator: str


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    level: str
    kind: str
    from_year: int
    points: tuple[Point, ...]


def _yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"{path}: the file is missing")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def _keys(entry: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    """``entry`` as a mapping with the required keys and no unknown ones (a typo names its likely key)."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a mapping, got {type(entry).__name__}")
    missing = [k for k in required if k not in entry]
    if missing:
        raise ConfigError(f"{where}: {', '.join(missing)} missing")
    known = required + optional
    for key in entry:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]}?)" if close else f"; known: {', '.join(known)}"
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")
    return entry


def _year(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 2000 <= value <= 2100:
        raise ConfigError(f"{where}: must be a year (2000–2100), got {value!r}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: must be a non-empty text, got {value!r}")
    return value.strip()


def load_indicators(folder: str | Path) -> dict[str, Indicator]:
    """``indikatorer.yaml`` in ``folder`` (data/raw/indikator), checked; id → Indicator in file order."""
    path = Path(folder) / INDICATORS_FILE
    spec = _keys(_yaml(path), str(path), ("indicators",))
    if not isinstance(spec["indicators"], list) or not spec["indicators"]:
        raise ConfigError(f"{path}: indicators must be a non-empty list")
    indicators: dict[str, Indicator] = {}
    points_seen: set[str] = set()
    for i, entry in enumerate(spec["indicators"]):
        where = f"{path}: indicators[{i}]"
        e = _keys(entry, where, ("id", "name", "level", "kind", "from_year", "points"))
        iid = str(e["id"])
        where = f"{where} ({iid})"
        if not re.fullmatch(r"I\d{2}", iid):
            raise ConfigError(f"{where}: id must be I and two digits (I01), got {iid!r}")
        if iid in indicators:
            raise ConfigError(f"{where}: id {iid} is used twice")
        if e["level"] not in LEVELS:
            raise ConfigError(f"{where}: level must be one of {', '.join(LEVELS)}, got {e['level']!r}")
        if e["kind"] not in KINDS:
            raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}, got {e['kind']!r}")
        if not isinstance(e["points"], list) or not e["points"]:
            raise ConfigError(f"{where}: points must be a non-empty list of measurement points")
        points = []
        for j, p in enumerate(e["points"]):
            pw = f"{where}: points[{j}]"
            p = _keys(p, pw, ("id", "name"))
            pid = str(p["id"])
            m = _POINT.match(pid)
            if not m or m.group(1) != iid:
                raise ConfigError(f"{pw}: a measurement point of {iid} is named {iid}.<number>, got {pid!r}")
            if pid in points_seen:
                raise ConfigError(f"{pw}: measurement point {pid} is listed twice")
            points_seen.add(pid)
            points.append(Point(pid, _text(p["name"], f"{pw}.name"), iid))
        indicators[iid] = Indicator(iid, _text(e["name"], f"{where}.name"), e["level"], e["kind"],
                                    _year(e["from_year"], f"{where}.from_year"), tuple(points))
    return indicators


def points_of(indicators: dict[str, Indicator]) -> dict[str, Point]:
    return {p.id: p for ind in indicators.values() for p in ind.points}


# --------------------------------------------------------------------------- questionnaires
@dataclass(frozen=True)
class Scale:
    name: str
    labels: tuple[str, ...]  # in order, position 1 first
    positive: tuple[str, ...]  # the labels that count as positive
    vet_ej: tuple[str, ...]  # labels meaning "vet ej" (kept apart: neither positive nor negative)

    def position(self, label: str) -> int | None:
        """1..k for a label of the scale (compared with ``normalise_label``), else None."""
        wanted = normalise_label(label)
        for i, own in enumerate(self.labels, 1):
            if normalise_label(own) == wanted:
                return i
        return None

    def is_vet_ej(self, label: str) -> bool:
        return normalise_label(label) in {normalise_label(v) for v in self.vet_ej}

    @property
    def positive_positions(self) -> frozenset[int]:
        return frozenset(self.labels.index(p) + 1 for p in self.positive)


@dataclass(frozen=True)
class Change:
    year: int
    what: str


@dataclass(frozen=True)
class Question:
    id: str
    kind: str  # skala | fritext
    column: str  # the column header exactly as the export writes it
    text: str  # the wording put to the respondent
    indicator: str | None = None
    point: str | None = None
    scale: str | None = None
    changed: tuple[Change, ...] = ()
    added: int | None = None


@dataclass(frozen=True)
class Export:
    layout: str  # per_forbund | samlad
    files: str  # per_forbund: a pattern with {forbund}; samlad: one file name (relative to the year folder)
    format: str  # csv | xlsx
    id_column: str  # the survey tool's response id
    answers: str = "labels"  # labels | numbers
    vet_ej_code: str | None = None  # numbers: the number that means "vet ej"
    encoding: str = "utf-8-sig"  # csv
    delimiter: str = ","  # csv
    sheet: str | None = None  # xlsx
    header_row: int = 1  # xlsx: the row holding the column headers
    forbund_column: str | None = None  # samlad
    code_column: str | None = None  # the invitation code (one per invited respondent): answering twice
    date_column: str | None = None  # when the answer was submitted


@dataclass(frozen=True)
class Dropped:
    id: str
    year: int
    what: str = "borttagen"


@dataclass(frozen=True)
class Questionnaire:
    id: str
    grupp: str
    title: str
    export: Export
    questions: tuple[Question, ...]
    dropped: tuple[Dropped, ...] = ()

    @property
    def scale_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind == "skala")

    @property
    def text_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind == "fritext")

    @property
    def admin_columns(self) -> tuple[str, ...]:
        e = self.export
        return tuple(c for c in (e.id_column, e.forbund_column, e.code_column, e.date_column) if c)


@dataclass(frozen=True)
class Description:
    year: int
    synthetic: bool
    scales: dict[str, Scale]
    questionnaires: dict[str, Questionnaire]
    folder: Path = field(default=Path("."))

    def question(self, qid: str) -> tuple[Questionnaire, Question]:
        for qn in self.questionnaires.values():
            for q in qn.questions:
                if q.id == qid:
                    return qn, q
        raise KeyError(qid)


def _scales(spec: Any, where: str) -> dict[str, Scale]:
    if not isinstance(spec, dict) or not spec:
        raise ConfigError(f"{where}: scales must be a mapping of named scales")
    scales = {}
    for name, s in spec.items():
        sw = f"{where}.{name}"
        s = _keys(s, sw, ("labels", "positive"), ("vet_ej",))
        labels = s["labels"]
        if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) and x.strip() for x in labels):
            raise ConfigError(f"{sw}.labels: at least two labels (texts), in order, got {labels!r}")
        if len({normalise_label(x) for x in labels}) != len(labels):
            raise ConfigError(f"{sw}.labels: a label is listed twice (case and spaces do not count)")
        positive = s["positive"]
        if not isinstance(positive, list) or not positive or any(p not in labels for p in positive):
            raise ConfigError(f"{sw}.positive: a non-empty list of labels of the scale, got {positive!r}")
        if len(positive) == len(labels):
            raise ConfigError(f"{sw}.positive: every label is positive; the share positive would always be 100 %")
        vet_ej = s.get("vet_ej") or []
        if not isinstance(vet_ej, list) or not all(isinstance(x, str) and x.strip() for x in vet_ej):
            raise ConfigError(f"{sw}.vet_ej: a list of labels, got {vet_ej!r}")
        clash = {normalise_label(v) for v in vet_ej} & {normalise_label(x) for x in labels}
        if clash:
            raise ConfigError(f"{sw}.vet_ej: {', '.join(sorted(clash))} is also a label of the scale")
        scales[str(name)] = Scale(str(name), tuple(x.strip() for x in labels), tuple(positive),
                                  tuple(v.strip() for v in vet_ej))
    return scales


_EXPORT_KEYS = ("answers", "vet_ej_code", "encoding", "delimiter", "sheet", "header_row", "forbund_column",
                "code_column", "date_column")


def _export(spec: Any, where: str) -> Export:
    e = _keys(spec, where, ("layout", "files", "format", "id_column"), _EXPORT_KEYS)
    if e["layout"] not in LAYOUTS:
        raise ConfigError(f"{where}.layout: must be one of {', '.join(LAYOUTS)}, got {e['layout']!r}")
    if e["format"] not in FORMATS:
        raise ConfigError(f"{where}.format: must be one of {', '.join(FORMATS)}, got {e['format']!r}")
    files = _text(e["files"], f"{where}.files")
    if (e["layout"] == "per_forbund") != ("{forbund}" in files):
        raise ConfigError(f"{where}.files: a per_forbund export names its files with {{forbund}} (and only it does), "
                          f"got {files!r}")
    if not files.endswith("." + e["format"]):
        raise ConfigError(f"{where}.files: a {e['format']} export's files end in .{e['format']}, got {files!r}")
    if e["layout"] == "samlad" and not e.get("forbund_column"):
        raise ConfigError(f"{where}: a samlad export needs forbund_column (the column naming the förbund)")
    if e["layout"] == "per_forbund" and e.get("forbund_column"):
        raise ConfigError(f"{where}: a per_forbund export takes the förbund from the file name; forbund_column "
                          "belongs to samlad exports")
    answers = e.get("answers", "labels")
    if answers not in ANSWERS:
        raise ConfigError(f"{where}.answers: must be one of {', '.join(ANSWERS)}, got {answers!r}")
    code = e.get("vet_ej_code")
    if code is not None and (answers != "numbers" or not isinstance(code, int) or isinstance(code, bool)):
        raise ConfigError(f"{where}.vet_ej_code: a whole number, only with answers: numbers, got {code!r}")
    if e["format"] == "csv":
        if e.get("sheet") is not None or e.get("header_row") is not None:
            raise ConfigError(f"{where}: sheet and header_row are for xlsx exports")
        encoding = str(e.get("encoding", "utf-8-sig"))
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"{where}.encoding: unknown encoding {encoding!r}") from None
        delimiter = str(e.get("delimiter", ","))
        if len(delimiter) != 1 or delimiter in "\"\r\n":
            raise ConfigError(f"{where}.delimiter: one character (not a quote or line break), got {delimiter!r}")
        sheet, header_row = None, 1
    else:
        if e.get("encoding") is not None or e.get("delimiter") is not None:
            raise ConfigError(f"{where}: encoding and delimiter are for csv exports")
        sheet = _text(e.get("sheet"), f"{where}.sheet")
        header_row = e.get("header_row", 1)
        if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
            raise ConfigError(f"{where}.header_row: a row number (1 or more), got {header_row!r}")
        encoding, delimiter = "utf-8", ","
    columns = [e["id_column"], e.get("forbund_column"), e.get("code_column"), e.get("date_column")]
    named = [c for c in columns if c is not None]
    for c in named:
        _text(c, f"{where}: a column name")
    if len(set(named)) != len(named):
        raise ConfigError(f"{where}: id_column, forbund_column, code_column and date_column must differ")
    return Export(layout=e["layout"], files=files, format=e["format"], id_column=e["id_column"].strip(),
                  answers=answers, vet_ej_code=None if code is None else str(code), encoding=encoding,
                  delimiter=delimiter, sheet=sheet, header_row=header_row,
                  forbund_column=(e.get("forbund_column") or None), code_column=(e.get("code_column") or None),
                  date_column=(e.get("date_column") or None))


def _question(q: Any, where: str, year: int, scales: dict[str, Scale], points: dict[str, Point],
              indicators: dict[str, Indicator]) -> Question:
    q = _keys(q, where, ("id", "text"), ("kind", "column", "indicator", "point", "scale", "changed", "added"))
    qid = str(q["id"])
    where = f"{where} ({qid})"
    if not _ID.match(qid):
        raise ConfigError(f"{where}: id must be lower-case letters, digits and _ (a stable name), got {qid!r}")
    kind = q.get("kind", "skala")
    if kind not in QUESTION_KINDS:
        raise ConfigError(f"{where}.kind: must be one of {', '.join(QUESTION_KINDS)}, got {kind!r}")
    text = _text(q["text"], f"{where}.text")
    column = _text(q.get("column", text), f"{where}.column")
    indicator = point = scale = None
    if kind == "skala":
        for key in ("indicator", "point", "scale"):
            if not q.get(key):
                raise ConfigError(f"{where}: a skala question needs {key}")
        indicator, point, scale = str(q["indicator"]), str(q["point"]), str(q["scale"])
        if indicator not in indicators:
            raise ConfigError(f"{where}.indicator: {indicator!r} is not in {INDICATORS_FILE}")
        if point not in points or points[point].indicator != indicator:
            raise ConfigError(f"{where}.point: {point!r} is not a measurement point of {indicator} in {INDICATORS_FILE}")
        if indicators[indicator].from_year > year:
            raise ConfigError(f"{where}: {indicator} is measured from {indicators[indicator].from_year} "
                              f"({INDICATORS_FILE}), not in {year}")
        if scale not in scales:
            raise ConfigError(f"{where}.scale: unknown scale {scale!r}; defined: {', '.join(scales)}")
    else:
        extra = [k for k in ("indicator", "point", "scale") if q.get(k)]
        if extra:
            raise ConfigError(f"{where}: a fritext question has no {', '.join(extra)}")
    changed = q.get("changed") or []
    if isinstance(changed, dict):
        changed = [changed]
    changes = []
    for k, c in enumerate(changed):
        cw = f"{where}.changed[{k}]"
        c = _keys(c, cw, ("year", "what"))
        cy = _year(c["year"], f"{cw}.year")
        if cy > year:
            raise ConfigError(f"{cw}.year: {cy} is after the description's year {year}")
        changes.append(Change(cy, _text(c["what"], f"{cw}.what")))
    added = q.get("added")
    if added is not None:
        added = _year(added, f"{where}.added")
        if added > year:
            raise ConfigError(f"{where}.added: {added} is after the description's year {year}")
    return Question(qid, kind, column, text, indicator, point, scale, tuple(sorted(changes, key=lambda c: c.year)),
                    added)


def load_description(folder: str | Path, indicators: dict[str, Indicator]) -> Description:
    """``<year>/enkater.yaml`` in ``folder`` (the year folder), checked against the indicators."""
    folder = Path(folder)
    path = folder / DESCRIPTION_FILE
    spec = _keys(_yaml(path), str(path), ("year", "enkater", "scales"), ("synthetic",))
    year = _year(spec["year"], f"{path}: year")
    if folder.name.isdigit() and int(folder.name) != year:
        raise ConfigError(f"{path}: year is {year}, but the file is in the folder of {folder.name}")
    synthetic = spec.get("synthetic", False)
    if not isinstance(synthetic, bool):
        raise ConfigError(f"{path}: synthetic must be true or false, got {synthetic!r}")
    scales = _scales(spec["scales"], f"{path}: scales")
    points = points_of(indicators)
    if not isinstance(spec["enkater"], dict) or not spec["enkater"]:
        raise ConfigError(f"{path}: enkater must be a mapping of questionnaires ({', '.join(QUESTIONNAIRES)})")
    questionnaires: dict[str, Questionnaire] = {}
    question_ids: dict[str, str] = {}
    point_of: dict[str, str] = {}
    for name, entry in spec["enkater"].items():
        where = f"{path}: enkater.{name}"
        if name not in QUESTIONNAIRES:
            close = difflib.get_close_matches(str(name), list(QUESTIONNAIRES), n=1, cutoff=0.7)
            raise ConfigError(f"{where}: unknown questionnaire" + (f" (did you mean {close[0]}?)" if close else
                                                                     f"; known: {', '.join(QUESTIONNAIRES)}"))
        e = _keys(entry, where, ("grupp", "title", "export", "questions"), ("dropped",))
        if e["grupp"] != QUESTIONNAIRES[name]:
            raise ConfigError(f"{where}.grupp: {name} is answered by {QUESTIONNAIRES[name]}, got {e['grupp']!r}")
        export = _export(e["export"], f"{where}.export")
        if not isinstance(e["questions"], list) or not e["questions"]:
            raise ConfigError(f"{where}.questions: a non-empty list")
        questions = []
        columns = {c: "the export's own column" for c in (export.id_column, export.forbund_column, export.code_column,
                                                           export.date_column) if c}
        for i, q in enumerate(e["questions"]):
            question = _question(q, f"{where}.questions[{i}]", year, scales, points, indicators)
            if question.id in question_ids:
                raise ConfigError(f"{where}.questions[{i}]: question id {question.id!r} is also in "
                                  f"{question_ids[question.id]}")
            question_ids[question.id] = name
            if question.column in columns:
                raise ConfigError(f"{where}.questions[{i}] ({question.id}): column {question.column!r} is also "
                                  f"{columns[question.column]}")
            columns[question.column] = f"question {question.id}"
            if question.point:
                if question.point in point_of:
                    raise ConfigError(f"{where}.questions[{i}] ({question.id}): measurement point {question.point} "
                                      f"is already measured by {point_of[question.point]}")
                point_of[question.point] = question.id
            if question.kind == "skala" and export.answers == "numbers" and export.vet_ej_code is not None:
                k = len(scales[question.scale].labels)
                if 1 <= int(export.vet_ej_code) <= k:
                    raise ConfigError(f"{where}.export.vet_ej_code: {export.vet_ej_code} is a position on the scale "
                                      f"{question.scale} (1–{k})")
            questions.append(question)
        dropped = []
        for k, d in enumerate(e.get("dropped") or []):
            dw = f"{where}.dropped[{k}]"
            d = _keys(d, dw, ("id", "year"), ("what",))
            dy = _year(d["year"], f"{dw}.year")
            if dy > year:
                raise ConfigError(f"{dw}.year: {dy} is after the description's year {year}")
            dropped.append(Dropped(str(d["id"]), dy, str(d.get("what", "borttagen"))))
        questionnaires[name] = Questionnaire(name, e["grupp"], _text(e["title"], f"{where}.title"), export,
                                             tuple(questions), tuple(dropped))
    for name, qn in questionnaires.items():
        for d in qn.dropped:
            if d.id in question_ids:
                raise ConfigError(f"{path}: enkater.{name}.dropped: {d.id!r} is declared dropped but is still asked "
                                  f"in {question_ids[d.id]}")
    return Description(year, synthetic, scales, questionnaires, folder)


def year_folder(raw: str | Path, year: int) -> Path:
    return Path(raw) / str(year)


def load_descriptions(raw: str | Path, years: list[int]) -> tuple[dict[str, Indicator], dict[int, Description]]:
    """The indicators and every year's description in ``raw`` (data/raw/indikator), checked across
    years (``check_series``)."""
    indicators = load_indicators(raw)
    descriptions = {y: load_description(year_folder(raw, y), indicators) for y in sorted(years)}
    check_series(descriptions)
    return indicators, descriptions


def check_series(descriptions: dict[int, Description]) -> None:
    """A question keeps its questionnaire, indicator, measurement point and scale over the years; a
    wording that differs from the year before needs ``changed`` with this year, a question that was
    not asked the year before needs ``added`` with this year (after the first year), and a question
    no longer asked needs ``dropped`` with this year."""
    years = sorted(descriptions)
    for before, year in zip(years, years[1:]):
        old = {q.id: (qn, q) for qn in descriptions[before].questionnaires.values() for q in qn.questions}
        new = {q.id: (qn, q) for qn in descriptions[year].questionnaires.values() for q in qn.questions}
        path = descriptions[year].folder / DESCRIPTION_FILE
        for qid, (qn, q) in new.items():
            where = f"{path}: enkater.{qn.id} question {qid}"
            if qid not in old:
                if q.added is None or q.added <= before:
                    raise ConfigError(f"{where}: not asked in {before}; declare added: {year} (a new question) "
                                      "or give it the id it had")
                continue
            oqn, oq = old[qid]
            for what, a, b in (("questionnaire", oqn.id, qn.id), ("indicator", oq.indicator, q.indicator),
                               ("measurement point", oq.point, q.point), ("kind", oq.kind, q.kind)):
                if a != b:
                    raise ConfigError(f"{where}: {what} was {a} in {before}, now {b}; a question keeps its "
                                      "id only while it measures the same thing (give it a new id)")
            if q.kind == "skala":
                s_old = descriptions[before].scales[oq.scale]
                s_new = descriptions[year].scales[q.scale]
                if (s_old.labels, s_old.positive) != (s_new.labels, s_new.positive):
                    if not any(c.year == year for c in q.changed):
                        raise ConfigError(f"{where}: its scale differs from {before}; declare changed: {{year: {year}, "
                                          "what: ...}}")
            if q.text != oq.text and not any(before < c.year <= year for c in q.changed):
                raise ConfigError(f"{where}: the wording differs from {before}; declare changed: {{year: {year}, "
                                  "what: omformulerad}}")
        for qid, (oqn, _) in old.items():
            if qid not in new:
                qn = descriptions[year].questionnaires.get(oqn.id)
                declared = qn is not None and any(d.id == qid and before < d.year <= year for d in qn.dropped)
                if not declared:
                    raise ConfigError(f"{path}: question {qid} of {oqn.id} ({before}) is not asked in {year}; "
                                      f"declare it under enkater.{oqn.id}.dropped with year {year}")


def question_table(descriptions: dict[int, Description], indicators: dict[str, Indicator]) -> pd.DataFrame:
    """Every scale question of every year: ``year, enkat, grupp, fraga, indikator, matpunkt, text, skala,
    steg`` (scale length), ``forandring`` (the change declared for this year: omformulerad, tillagd, …; empty)
    and ``bruten_serie`` (True when the question's trend cannot run across this year and the one before: a new
    wording or scale, or the question dropped – a dropped question has a row in the year it goes, with
    ``steg`` 0). A question ``tillagd`` this year starts its series; nothing is broken."""
    rows = []
    last: dict[str, tuple[str | None, str | None]] = {}  # question → (indicator, point) when last asked
    for year, d in sorted(descriptions.items()):
        for qn in d.questionnaires.values():
            for q in qn.scale_questions:
                change = next((c.what for c in q.changed if c.year == year), "")
                if q.added == year:
                    change = change or "tillagd"
                last[q.id] = (q.indicator, q.point)
                rows.append({"year": year, "enkat": qn.id, "grupp": qn.grupp, "fraga": q.id, "indikator": q.indicator,
                             "matpunkt": q.point, "text": q.text, "skala": q.scale,
                             "steg": len(d.scales[q.scale].labels), "forandring": change,
                             "bruten_serie": change not in ("", "tillagd")})
            for dr in qn.dropped:
                if dr.year == year:
                    indicator, point = last.get(dr.id, (None, None))
                    rows.append({"year": year, "enkat": qn.id, "grupp": qn.grupp, "fraga": dr.id, "indikator": indicator,
                                 "matpunkt": point, "text": "", "skala": None, "steg": 0, "forandring": dr.what,
                                 "bruten_serie": True})
    frame = pd.DataFrame(rows, columns=["year", "enkat", "grupp", "fraga", "indikator", "matpunkt", "text", "skala",
                                        "steg", "forandring", "bruten_serie"])
    return frame.astype({"year": "int64", "steg": "int64", "bruten_serie": "bool"})
