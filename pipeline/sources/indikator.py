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
import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..core.errors import ConfigError, InputError
from ..core.io import read_delimited, read_sheet, write_tables
from ..core.privacy import has_personal_data, safe_value, scrub

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
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:  # libyaml's parser when PyYAML has it (every stage reads every year's description: 6 × 6 files)
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        pass
    try:  # the message as the pure-Python parser words it
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


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


def _checked_year(value: Any, where: str) -> int:
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
                                    _checked_year(e["from_year"], f"{where}.from_year"), tuple(points))
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
        cy = _checked_year(c["year"], f"{cw}.year")
        if cy > year:
            raise ConfigError(f"{cw}.year: {cy} is after the description's year {year}")
        changes.append(Change(cy, _text(c["what"], f"{cw}.what")))
    added = q.get("added")
    if added is not None:
        added = _checked_year(added, f"{where}.added")
        if added > year:
            raise ConfigError(f"{where}.added: {added} is after the description's year {year}")
    return Question(qid, kind, column, text, indicator, point, scale, tuple(sorted(changes, key=lambda c: c.year)),
                    added)


def load_description(folder: str | Path, indicators: dict[str, Indicator]) -> Description:
    """``<year>/enkater.yaml`` in ``folder`` (the year folder), checked against the indicators."""
    folder = Path(folder)
    path = folder / DESCRIPTION_FILE
    spec = _keys(_yaml(path), str(path), ("year", "enkater", "scales"), ("synthetic",))
    year = _checked_year(spec["year"], f"{path}: year")
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
            dy = _checked_year(d["year"], f"{dw}.year")
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
    raw = Path(raw)
    return load_described(raw / INDICATORS_FILE, {y: year_folder(raw, y) / DESCRIPTION_FILE for y in years})


def load_described(indicators_file: str | Path, description_files: dict[int, Path]
                   ) -> tuple[dict[str, Indicator], dict[int, Description]]:
    """As ``load_descriptions``, from the paths a stage receives: ``indikatorer.yaml`` and
    ``{year: <year>/enkater.yaml}``."""
    indicators_file = Path(indicators_file)
    if indicators_file.name != INDICATORS_FILE:
        raise ConfigError(f"{indicators_file}: the indicators are read from a file named {INDICATORS_FILE}")
    indicators = load_indicators(indicators_file.parent)
    descriptions = {}
    for year in sorted(description_files):
        path = Path(description_files[year])
        if path.name != DESCRIPTION_FILE:
            raise ConfigError(f"{path}: a year's questionnaires are described in a file named {DESCRIPTION_FILE}")
        descriptions[year] = load_description(path.parent, indicators)
        if descriptions[year].year != year:
            raise ConfigError(f"{path}: describes {descriptions[year].year}, expected {year}")
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


# --------------------------------------------------------------------------- reading the exports
REASONS = {
    "fel_antal_falt": "raden har fel antal fält",
    "tom_rad": "raden har bara tomma fält",
    "upprepad_rubrik": "rubrikraden upprepas i filen",
    "ogiltigt_tecken": "styrtecken i ett fält",
    "for_langt_falt": "fältet är längre än tillåtet",
    "personuppgift_i_fel_kolumn": "personuppgift i en kolumn som inte får innehålla personuppgifter",
    "saknat_varde": "obligatoriskt värde saknas",
    "ogiltigt_id": "svars-id med otillåtna tecken eller fel längd",
    "okant_forbund": "samordningsförbundet finns inte i förteckningen",
    "ogiltigt_datum": "datum som inte kan läsas (ÅÅÅÅ-MM-DD, med eller utan klockslag)",
    "fel_ar": "svaret är inte lämnat under enkätens år",
    "okant_svar": "svar som inte finns på frågans skala",
    "inga_svar": "inga frågor besvarade",
    "dubblett": "exakt dubblett av en tidigare rad",
    "dubbelt_svars_id": "samma svars-id på flera rader med olika svar (alla sådana rader)",
    "svarat_tva_ganger": "samma inbjudningskod har svarat flera gånger (det först inskickade svaret behålls)",
}
WHOLE_ROW = "(hela raden)"
MAX_LABEL = 200  # characters in a cell that is not free text
MAX_TEXT = 4000  # characters in a free-text answer
MAX_QUARANTINE_SHARE = 0.25  # of a file's rows, for files of at least MIN_ROWS_FOR_SHARE rows
MIN_ROWS_FOR_SHARE = 15
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_LABEL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_RESPONSE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_INTEGER = re.compile(r"^\d+(?:[.,]0+)?$")


@dataclass
class Sheet:
    """One export file as read: header and rows (each with its line or Excel row)."""

    path: Path
    name: str  # the path below the year folder, as messages and the quarantine name it
    sheet: str  # "" for CSV
    forbund: str  # the förbund of a per_forbund file; "" for samlad
    header: list[str]
    rows: list[tuple[int, list[object]]]


def export_files(folder: Path, qn: Questionnaire, known: set[str]) -> list[tuple[Path, str]]:
    """The files of one questionnaire's export in a year folder, each with its förbund ("" for samlad)."""
    e = qn.export
    if e.layout == "samlad":
        path = folder / e.files
        if not path.is_file():
            raise InputError(path, f"export of {qn.id} not found (enkater.yaml: enkater.{qn.id}.export.files)")
        return [(path, "")]
    pattern = re.compile(re.escape(e.files).replace(re.escape("{forbund}"), "(?P<forbund>[^/]+)") + "$")
    found = []
    for path in sorted(folder.glob(e.files.replace("{forbund}", "*"))):
        if not path.is_file() or path.name.startswith("~$"):  # Excel's lock file of an open workbook
            continue
        m = pattern.match(path.relative_to(folder).as_posix())
        forbund = m.group("forbund").strip() if m else ""
        if forbund not in known:
            raise InputError(path, f"the file name does not name a förbund of the förbund list (expected "
                                   f"{e.files.replace('{forbund}', '<förbund>')} with a name such as "
                                   f"{sorted(known)[0]!r})")
        found.append((path, forbund))
    return found


def _read_export_file(path: Path, folder: Path, qn: Questionnaire, forbund: str) -> Sheet:
    e = qn.export
    name = path.relative_to(folder).as_posix()
    if e.format == "xlsx":
        header, rows = read_sheet(path, e.sheet, e.header_row)
        return Sheet(path, name, e.sheet, forbund, header, rows)
    if not path.is_file():
        raise InputError(path, "export not found")
    _, header, records, lines = read_delimited(path, path.read_bytes(), e.encoding, e.delimiter, DESCRIPTION_FILE)
    if len(header) == 1 and len(header[0]) > 0:
        other = next((d for d in ";,\t" if d != e.delimiter and d in header[0]), None)
        if other:
            raise InputError(path, f"the header is split by {other!r}, but enkater.yaml declares delimiter "
                                   f"{e.delimiter!r} for {qn.id}", 1)
    return Sheet(path, name, "", forbund, header, list(zip(lines[1:], records[1:])))


def _check_sheet_header(sheet: Sheet, qn: Questionnaire) -> None:
    """The header holds the declared columns, each once, and nothing else."""
    where = dict(path=sheet.path, line=qn.export.header_row if sheet.sheet else 1, sheet=sheet.sheet or None)
    seen: set[str] = set()
    for name in sheet.header:
        if name in seen:
            raise InputError(message=f"column {safe_value(name)} is named twice in the header", column=name, **where)
        seen.add(name)
    declared = list(qn.admin_columns) + [q.column for q in qn.questions]
    missing = [c for c in declared if c not in seen]
    if missing:
        asked = {q.column: q.id for q in qn.questions}
        named = "; ".join(f"{c!r}" + (f" (question {asked[c]})" if c in asked else "") for c in missing)
        raise InputError(message=f"missing column(s) of {qn.id}: {named}", column=missing[0], **where)
    unknown = [c for c in sheet.header if c not in set(declared)]
    if unknown:
        if all(c == "" for c in unknown):
            raise InputError(message=f"{len(unknown)} column(s) of the header have no name (a spreadsheet's empty "
                                     "columns at the end?)", **where)
        shown = ", ".join(safe_value(c) for c in unknown)
        raise InputError(message=f"unknown column(s), not declared for {qn.id} in enkater.yaml: {shown}",
                         column=unknown[0] if not has_personal_data(unknown[0]) else None, **where)


def _text_of(value: object) -> str:
    """A cell as text: numbers without a trailing .0, Excel dates as YYYY-MM-DD HH:MM."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "SANT" if value else "FALSKT"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _date(value: object, workbook: bool) -> dt.date | None:
    """A submission date from a cell: an Excel date, an Excel serial number (workbooks only: the
    cell lost its date format), or text YYYY-MM-DD with or without a time. None if it cannot be read."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if workbook and isinstance(value, (int, float)) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        if 1 <= value < 2958466:  # 1900-01-01 … 9999-12-31
            converted = from_excel(value)
            return converted.date() if isinstance(converted, dt.datetime) else converted
        return None
    m = _DATE.match(_text_of(value).strip())
    if not m:
        return None
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m.group(4) is not None:
            dt.time(int(m.group(4)), int(m.group(5)), int(m.group(6) or 0))
    except ValueError:
        return None
    return day


@dataclass(frozen=True)
class Answer:
    value: int | None  # position 1..k
    vet_ej: bool


def _answer(cell: object, scale: Scale, export: Export) -> Answer | None:
    """The answer in a cell, or None if the cell holds something the scale does not have."""
    text = _text_of(cell).strip()
    if text == "":
        return Answer(None, False)
    if export.answers == "numbers":
        if isinstance(cell, float) and not cell.is_integer():
            return None
        if not _INTEGER.match(text):
            return None
        number = int(re.split(r"[.,]", text)[0])
        if export.vet_ej_code is not None and number == int(export.vet_ej_code):
            return Answer(None, True)
        return Answer(number, False) if 1 <= number <= len(scale.labels) else None
    if scale.is_vet_ej(text):
        return Answer(None, True)
    position = scale.position(text)
    return None if position is None else Answer(position, False)


def _looks_numbered(cell: object, scale: Scale) -> bool:
    text = _text_of(cell).strip()
    return bool(_INTEGER.match(text)) and 1 <= int(re.split(r"[.,]", text)[0]) <= len(scale.labels) + 9


def _check_answer_form(sheet: Sheet, qn: Questionnaire, scales: dict[str, Scale]) -> None:
    """A scale exported as numbers where the description says labels (or the other way round) is a
    file-level mistake, not many bad answers: one error naming the column and its first such row."""
    position = {c: i for i, c in enumerate(sheet.header)}
    for q in qn.scale_questions:
        scale = scales[q.scale]
        cells = [(line, row[position[q.column]]) for line, row in sheet.rows if position[q.column] < len(row)]
        filled = [(line, c) for line, c in cells if _text_of(c).strip() and not scale.is_vet_ej(_text_of(c))]
        if len(filled) < 3:
            continue
        numbered = [(line, c) for line, c in filled if _looks_numbered(c, scale)]
        if qn.export.answers == "labels" and len(numbered) > len(filled) / 2:
            raise InputError(sheet.path, f"the answers are numbers (such as {_text_of(numbered[0][1])!r}) but "
                                         f"enkater.yaml declares answers: labels for {qn.id}; if this year's export "
                                         "gives the scale's positions, declare answers: numbers (and vet_ej_code)",
                             numbered[0][0], q.column, sheet.sheet or None)
        if qn.export.answers == "numbers" and len(numbered) < len(filled) / 2:
            first = next((line, c) for line, c in filled if not _looks_numbered(c, scale))
            raise InputError(sheet.path, f"the answers are labels, not numbers, but enkater.yaml declares answers: "
                                         f"numbers for {qn.id}; declare answers: labels for this year",
                             first[0], q.column, sheet.sheet or None)


@dataclass
class _Row:
    sheet: Sheet
    line: int
    cells: dict[str, object]
    forbund: str = ""
    response_id: str = ""
    code: str = ""
    submitted: dt.date | None = None
    answers: dict[str, Answer] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    column: str = ""

    def reject(self, reason: str, column: str) -> bool:
        if not self.reason:
            self.reason, self.column = reason, column
        return False


def _check_row(row: _Row, qn: Questionnaire, scales: dict[str, Scale], year: int, known: set[str]) -> bool:
    """The rules of one row, in order; the first that applies is its reason. True if the row is kept."""
    e = qn.export
    texts = {q.column for q in qn.text_questions}
    for column, cell in row.cells.items():
        value = _text_of(cell)
        pattern = _CONTROL if column in texts else _CONTROL_LABEL
        if pattern.search(value):
            return row.reject("ogiltigt_tecken", column)
        if len(value) > (MAX_TEXT if column in texts else MAX_LABEL):
            return row.reject("for_langt_falt", column)
    for column in qn.admin_columns:
        if has_personal_data(_text_of(row.cells[column])):
            return row.reject("personuppgift_i_fel_kolumn", column)
    row.response_id = _text_of(row.cells[e.id_column]).strip()
    if not row.response_id:
        return row.reject("saknat_varde", e.id_column)
    if not _RESPONSE_ID.match(row.response_id):
        return row.reject("ogiltigt_id", e.id_column)
    if e.forbund_column:
        forbund = " ".join(_text_of(row.cells[e.forbund_column]).split())
        if not forbund:
            return row.reject("saknat_varde", e.forbund_column)
        if forbund not in known:
            return row.reject("okant_forbund", e.forbund_column)
        row.forbund = forbund
    else:
        row.forbund = row.sheet.forbund
    if e.code_column:
        row.code = _text_of(row.cells[e.code_column]).strip()
        if not row.code:
            return row.reject("saknat_varde", e.code_column)
    if e.date_column:
        cell = row.cells[e.date_column]
        if not _text_of(cell).strip():
            return row.reject("saknat_varde", e.date_column)
        row.submitted = _date(cell, bool(row.sheet.sheet))
        if row.submitted is None:
            return row.reject("ogiltigt_datum", e.date_column)
        if row.submitted.year != year:
            return row.reject("fel_ar", e.date_column)
    for q in qn.scale_questions:
        cell = row.cells[q.column]
        answer = _answer(cell, scales[q.scale], e)
        if answer is None:
            reason = "personuppgift_i_fel_kolumn" if has_personal_data(_text_of(cell)) else "okant_svar"
            return row.reject(reason, q.column)
        row.answers[q.id] = answer
    for q in qn.text_questions:
        text = _text_of(row.cells[q.column]).strip()
        if text:
            row.texts[q.id] = text
    if all(a.value is None and not a.vet_ej for a in row.answers.values()) and not row.texts:
        return row.reject("inga_svar", WHOLE_ROW)
    return True


def _checked_rows(sheet: Sheet, qn: Questionnaire, scales: dict[str, Scale], year: int, known: set[str]) -> list[_Row]:
    """Every row of a file, checked one by one (shape first)."""
    out = []
    header = sheet.header
    for line, values in sheet.rows:
        cells = [_text_of(v) if not isinstance(v, (dt.date, int, float)) or isinstance(v, bool) else v for v in values]
        row = _Row(sheet, line, {})
        if len(values) != len(header):
            row.reject("fel_antal_falt", WHOLE_ROW)
        elif all(not _text_of(v).strip() for v in values):
            row.reject("tom_rad", WHOLE_ROW)
        elif [_text_of(v).strip() for v in values] == header:
            row.reject("upprepad_rubrik", WHOLE_ROW)
        else:
            row.cells = dict(zip(header, cells))
            _check_row(row, qn, scales, year, known)
        out.append(row)
    return out


def _across_rows(rows: list[_Row], qn: Questionnaire) -> None:
    """Rules between rows of one questionnaire: an exact duplicate (the later copy), one response id
    on rows that differ (all of them: which is right cannot be known), one invitation code answering
    more than once (every answer but the first submitted)."""
    seen: dict[tuple, _Row] = {}
    for row in rows:
        if row.reason:
            continue
        key = (row.sheet.name, tuple(_text_of(v) for v in row.cells.values()))
        if key in seen:
            row.reject("dubblett", WHOLE_ROW)
        else:
            seen[key] = row
    by_id: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        if not row.reason:
            by_id.setdefault((row.sheet.name, row.response_id), []).append(row)
    for group in by_id.values():
        if len(group) > 1:
            for row in group:
                row.reject("dubbelt_svars_id", qn.export.id_column)
    if qn.export.code_column:
        by_code: dict[tuple[str, str], list[_Row]] = {}
        for row in rows:
            if not row.reason:
                by_code.setdefault((row.forbund, row.code), []).append(row)
        for group in by_code.values():
            if len(group) > 1:
                order = sorted(group, key=lambda r: (r.submitted or dt.date.max, rows.index(r)))
                for row in order[1:]:
                    row.reject("svarat_tva_ganger", qn.export.code_column)


def respondent_id(year: int, enkat: str, forbund: str, file: str, response_id: str) -> str:
    """A non-personal respondent id: the first 16 hex digits of SHA-256 over the year, questionnaire,
    förbund, file and the tool's response id (stable between runs; not the tool's id)."""
    key = "\x1f".join([str(year), enkat, forbund, file, response_id])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class CleanYear:
    """The cleaned year: the tables of docs/data_dictionary.md, "Indikatorenkäter"."""

    tables: dict[str, pd.DataFrame]

    TABLES = ("svar", "respondenter", "fritext", "karantan", "kvalitet", "deltagande", "fragor")


SVAR_COLUMNS = ["year", "enkat", "grupp", "forbund", "respondent", "fraga", "indikator", "matpunkt", "varde",
                "vet_ej", "positiv"]


def _check_sheet_quarantine_share(sheet: Sheet, rows: list[_Row]) -> None:
    bad = [r for r in rows if r.reason]
    if len(rows) >= MIN_ROWS_FOR_SHARE and len(bad) > MAX_QUARANTINE_SHARE * len(rows):
        reasons = pd.Series([r.reason for r in bad]).value_counts()
        first = next(r for r in bad if r.reason == reasons.index[0])
        raise InputError(sheet.path, f"{len(bad)} of {len(rows)} rows would be quarantined, more than "
                                     f"{100 * MAX_QUARANTINE_SHARE:g} %; most often {reasons.index[0]} "
                                     f"({REASONS[reasons.index[0]]}), first at this row; is the export "
                                     "or its description wrong?", first.line, first.column or None,
                         sheet.sheet or None)


def clean_indikator_year(folder: str | Path, description: Description, known_forbund: list[str] | set[str],
                         indicators: dict[str, Indicator] | None = None) -> CleanYear:
    """Read and clean every export of one year (``folder``: the year's export folder,
    data/raw/indikator/<year>/svar; the description's file names are relative to it).

    ``known_forbund``: the förbund names an export may name (data/raw/geografi). Returns the
    processed tables; nothing is written. Stops with an ``InputError`` (file, sheet, line or row,
    column) on an export that cannot be read as described; quarantines bad rows with a reason.
    """
    folder = Path(folder)
    known = set(known_forbund)
    year = description.year
    svar: list[tuple] = []
    respondents: list[tuple] = []
    texts: list[tuple] = []
    quarantine: list[tuple] = []
    quality: list[dict] = []
    for qn in description.questionnaires.values():
        sheets = [_read_export_file(path, folder, qn, forbund) for path, forbund in export_files(folder, qn, known)]
        all_rows: list[_Row] = []
        for sheet in sheets:
            _check_sheet_header(sheet, qn)
            _check_answer_form(sheet, qn, description.scales)
            all_rows.extend(_checked_rows(sheet, qn, description.scales, year, known))
        _across_rows(all_rows, qn)
        for sheet in sheets:
            _check_sheet_quarantine_share(sheet, [r for r in all_rows if r.sheet is sheet])
        positive = {q.id: description.scales[q.scale].positive_positions for q in qn.scale_questions}
        wording = {q.id: q.text for q in qn.text_questions}  # shown above the answers in the förbund's report
        removed = {s.name: dict.fromkeys(("personnummer", "e-post", "telefon", "namn"), 0) for s in sheets}
        for row in all_rows:
            if row.reason:
                quarantine.append((row.sheet.name, row.sheet.sheet, row.line, row.column, row.reason))
                continue
            rid = respondent_id(year, qn.id, row.forbund, row.sheet.name, row.response_id)
            respondents.append((year, qn.id, qn.grupp, row.forbund, rid))
            for q in qn.scale_questions:
                a = row.answers[q.id]
                svar.append((year, qn.id, qn.grupp, row.forbund, rid, q.id, q.indicator, q.point, a.value, a.vet_ej,
                             None if a.value is None else a.value in positive[q.id]))
            for qid, text in row.texts.items():
                clean_text, counts = scrub(text)
                for kind, n in counts.items():
                    removed[row.sheet.name][kind] = removed[row.sheet.name].get(kind, 0) + n
                texts.append((year, qn.id, row.forbund, qid, wording.get(qid, ""), clean_text))
        for sheet in sheets:
            mine = [r for r in all_rows if r.sheet is sheet]
            bad = sum(1 for r in mine if r.reason)
            r = removed[sheet.name]
            quality.append({"file": sheet.name, "sheet": sheet.sheet, "enkat": qn.id, "forbund": sheet.forbund,
                            "rows_in": len(mine), "kept": len(mine) - bad, "quarantined": bad,
                            "removed_personnummer": r["personnummer"], "removed_e_post": r["e-post"],
                            "removed_telefon": r["telefon"], "removed_namn": r["namn"]})
    tables = _frames(year, svar, respondents, texts, quarantine, quality)
    if indicators is not None:
        tables["fragor"] = question_table({year: description}, indicators)
    else:
        tables["fragor"] = question_table({year: description}, {})
    for q in quality:
        if q["rows_in"] != q["kept"] + q["quarantined"]:  # pragma: no cover - the counts above are built to agree
            raise InputError(folder / q["file"], "rows in differ from rows kept plus rows quarantined")
    return CleanYear(tables)


def _frames(year, svar, respondents, texts, quarantine, quality) -> dict[str, pd.DataFrame]:
    s = pd.DataFrame(svar, columns=SVAR_COLUMNS)
    s = s.astype({"year": "int64", "enkat": "string", "grupp": "string", "forbund": "string", "respondent": "string",
                  "fraga": "string", "indikator": "string", "matpunkt": "string", "varde": "Int64",
                  "vet_ej": "bool", "positiv": "boolean"})
    r = pd.DataFrame(respondents, columns=["year", "enkat", "grupp", "forbund", "respondent"]).astype(
        {"year": "int64"})
    t = pd.DataFrame(texts, columns=["year", "enkat", "forbund", "fraga", "fragetext", "text"]).astype({"year": "int64"})
    k = pd.DataFrame(quarantine, columns=["file", "sheet", "line", "column", "reason"]).astype({"line": "int64"})
    k["reason_text"] = k["reason"].map(REASONS)
    k = k.sort_values(["file", "sheet", "line"], kind="stable").reset_index(drop=True)
    q = pd.DataFrame(quality, columns=["file", "sheet", "enkat", "forbund", "rows_in", "kept", "quarantined",
                                       "removed_personnummer", "removed_e_post", "removed_telefon", "removed_namn"])
    d = (r.groupby(["year", "forbund", "enkat", "grupp"], as_index=False).size()
         .rename(columns={"size": "respondents"}).astype({"respondents": "int64"}))
    for frame in (r, t, k, q, d):
        for column in frame.columns:
            if frame[column].dtype == object:
                frame[column] = frame[column].astype("string")
    return {"svar": s, "respondenter": r, "fritext": t, "karantan": k, "kvalitet": q, "deltagande": d}


def save_indikator_year(clean: CleanYear, out_dir: str | Path) -> list[Path]:
    """Every table as Parquet and CSV in ``out_dir`` (the stage passes an atomic folder)."""
    return write_tables(clean.tables, out_dir)
