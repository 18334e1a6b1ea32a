"""The enkät: questionnaire definition, cleaning of a survey export, summaries and group tests.

A survey lives in ``data/raw/enkat/<year>/``: ``fragor.yaml`` (the questionnaire: column
headers, kinds, scales, invited per role) and the export itself, one row per respondent with
the question texts as headers and the answers as text labels, as a web-survey tool writes it.

Cleaning maps every label to its place on an ordered scale (``Vet ej`` kept apart as its own
category), splits multiple-choice cells, groups roles (förbundschef vs styrelseledamot) and
scrubs free text of personnummer, e-mail addresses, phone numbers and names before anything is
written. An unknown label stops with file, line, column, question and the label.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.errors import ConfigError, InputError, visible
from ..core.io import read_delimited, read_yaml, write_tables
from ..core.privacy import has_personal_data, safe_value, scrub

QUESTIONS_FILE = "fragor.yaml"
KINDS = ("id", "role", "single", "scale", "multi", "text")


@dataclass(frozen=True)
class Scale:
    name: str
    labels: tuple[str, ...]  # ordered, most negative first
    dont_know: str | None

    @property
    def negative(self) -> tuple[str, ...]:
        return self.labels[: len(self.labels) // 2]

    @property
    def positive(self) -> tuple[str, ...]:
        return self.labels[(len(self.labels) + 1) // 2:]


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    header: str
    short: str = ""
    scale: str | None = None
    options: tuple[str, ...] = ()
    asked: tuple[str, ...] = ()
    bild: tuple[int, ...] = ()  # slides of the published appendix that show the question
    published_n: int | None = None  # respondents the appendix prints for the question
    published_n_ocr: str | None = None  # the printed n as the OCR text garbles it, where unreadable
    published_n_note: str = ""  # Swedish, for the reader: why a printed n cannot be right

    @property
    def title(self) -> str:
        return self.short or self.header

    @property
    def published_n_state(self) -> str:
        """``printed`` (a number), ``unreadable`` (printed, but not legible) or ``absent``."""
        if self.published_n is not None:
            return "printed"
        return "unreadable" if self.published_n_ocr is not None else "absent"


@dataclass(frozen=True)
class Survey:
    year: int
    title: str
    fielded: str
    export: str
    separator: str
    synthetic: bool
    invited: dict[str, int]
    groups: dict[str, tuple[str, ...]]
    scales: dict[str, Scale]
    questions: tuple[Question, ...]
    folder: Path = field(default=Path("."))
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    id_pattern: str = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$"
    max_text_length: int = 4000
    max_label_length: int = 200
    appendix: str = ""  # the published report of the survey, as the report names it
    appendix_title: str = ""

    def question(self, qid: str) -> Question:
        return next(q for q in self.questions if q.id == qid)

    def of_kind(self, *kinds: str) -> list[Question]:
        return [q for q in self.questions if q.kind in kinds]

    @property
    def role_question(self) -> Question:
        return self.of_kind("role")[0]

    def group_of(self, role: str) -> str:
        return next(g for g, roles in self.groups.items() if role in roles)


def _published(q: dict, where: str) -> dict:
    """``bild``, ``published_n`` and ``published_n_ocr`` of one question, checked."""
    bild = q.get("bild") or []
    if not isinstance(bild, list) or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in bild):
        raise ConfigError(f"{where} ({q['id']}): bild must be a list of slide numbers, got {bild!r}")
    n = q.get("published_n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
        raise ConfigError(f"{where} ({q['id']}): published_n must be a whole number or null, got {n!r}")
    ocr = q.get("published_n_ocr")
    if ocr is not None and n is not None:
        raise ConfigError(f"{where} ({q['id']}): published_n_ocr is for an n that cannot be read; "
                          f"published_n is {n}")
    if (n is not None or ocr is not None) and not bild:
        raise ConfigError(f"{where} ({q['id']}): a published n needs the slide (bild) it is printed on")
    return {"bild": tuple(bild), "published_n": n, "published_n_ocr": None if ocr is None else str(ocr),
            "published_n_note": str(q.get("published_n_note") or "")}


def load_survey(folder: str | Path) -> Survey:
    """Read and check ``fragor.yaml`` in ``folder``; any problem is one ``ConfigError``."""
    folder = Path(folder)
    path = folder / QUESTIONS_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: the questionnaire file is missing")
    spec = read_yaml(path) or {}  # not UTF-8 or not YAML: one line with line and column
    meta = spec.get("survey") or {}
    for key in ("year", "invited", "groups", "export"):
        if key not in meta:
            raise ConfigError(f"{path}: survey.{key} is missing")
    scales = {}
    for name, s in (spec.get("scales") or {}).items():
        if not isinstance(s, dict) or not s.get("labels"):
            raise ConfigError(f"{path}: scales.{name} needs a list of labels")
        scales[name] = Scale(name, tuple(str(x) for x in s["labels"]), s.get("dont_know"))
    questions = []
    seen = set()
    for i, q in enumerate(spec.get("questions") or []):
        where = f"{path}: questions[{i}]"
        if not isinstance(q, dict) or "id" not in q or "header" not in q:
            raise ConfigError(f"{where} needs an id and a header")
        if q["id"] in seen:
            raise ConfigError(f"{where}: id {q['id']!r} is used twice")
        seen.add(q["id"])
        kind = q.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"{where} ({q['id']}): kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if kind == "scale" and q.get("scale") not in scales:
            raise ConfigError(f"{where} ({q['id']}): unknown scale {q.get('scale')!r}; defined: {', '.join(scales)}")
        if kind in ("role", "single", "multi") and not q.get("options"):
            raise ConfigError(f"{where} ({q['id']}): a {kind} question needs options")
        questions.append(Question(id=str(q["id"]), kind=kind, header=str(q["header"]), short=str(q.get("short", "")),
                                  scale=q.get("scale"), options=tuple(str(o) for o in q.get("options") or ()),
                                  asked=tuple(str(a) for a in q.get("asked") or ()), **_published(q, where)))
    if [q.kind for q in questions].count("id") != 1 or [q.kind for q in questions].count("role") != 1:
        raise ConfigError(f"{path}: exactly one question of kind id and one of kind role are needed")
    id_pattern = str(meta.get("id_pattern", Survey.id_pattern))
    try:
        re.compile(id_pattern)
    except re.error as exc:
        raise ConfigError(f"{path}: survey.id_pattern is not a regular expression: {exc}") from None
    if any(q.bild for q in questions) and not meta.get("appendix"):
        raise ConfigError(f"{path}: questions name slides (bild) of a published report, but survey.appendix "
                          f"does not say which report")
    role = next(q for q in questions if q.kind == "role")
    groups = {str(g): tuple(str(r) for r in roles) for g, roles in meta["groups"].items()}
    grouped = [r for roles in groups.values() for r in roles]
    if sorted(grouped) != sorted(role.options) or sorted(meta["invited"]) != sorted(role.options):
        raise ConfigError(f"{path}: survey.groups and survey.invited must cover each role exactly once: "
                          f"{', '.join(role.options)}")
    return Survey(
        year=int(meta["year"]), title=str(meta.get("title", "Enkät")), fielded=str(meta.get("fielded", "")),
        export=str(meta["export"]), separator=str(meta.get("separator", ";")), synthetic=bool(meta.get("synthetic")),
        invited={str(k): int(v) for k, v in meta["invited"].items()}, groups=groups, scales=scales,
        questions=tuple(questions), folder=folder, encoding=str(meta.get("encoding", "utf-8-sig")),
        delimiter=str(meta.get("delimiter", ",")), id_pattern=id_pattern,
        max_text_length=int(meta.get("max_text_length", 4000)), max_label_length=int(meta.get("max_label_length", 200)),
        appendix=str(meta.get("appendix", "")), appendix_title=str(meta.get("appendix_title", "")),
    )


# --------------------------------------------------------------------------- cleaning
@dataclass(frozen=True)
class CleanSurvey:
    """The cleaned survey, tidy. No free text here is unscrubbed."""

    respondents: pd.DataFrame  # respondent, role, group
    answers: pd.DataFrame  # respondent, question, answer, position (1.. on the scale; NA for Vet ej/options)
    choices: pd.DataFrame  # respondent, question, option (one row per ticked option)
    texts: pd.DataFrame  # respondent, question, text (scrubbed)
    log: pd.DataFrame  # step, count (rows read, kept; personal data removed by kind)

    TABLES = ("respondents", "answers", "choices", "texts", "log")


def _read_export(path: Path, survey: "Survey") -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and rows, each with the line it starts on (as a text editor counts it)."""
    if not path.is_file():
        raise InputError(path, "survey export not found")
    _, header, records, lines = read_delimited(path, path.read_bytes(), survey.encoding, survey.delimiter)
    if len(header) == 1 and ";" in header[0] and survey.delimiter != ";":
        raise InputError(path, "the header is one field containing ';': the export must be comma-separated", 1)
    rows = [(line, r) for line, r in zip(lines[1:], records[1:]) if any(c.strip() for c in r)]
    if not rows:
        raise InputError(path, "the export has a header but no answers", 1)
    return header, rows


def clean(survey: Survey, export: str | Path | None = None) -> CleanSurvey:
    """Clean the export of ``survey`` (default: the file named in fragor.yaml)."""
    path = Path(export) if export else survey.folder / survey.export
    header, rows = _read_export(path, survey)
    missing = [q.header for q in survey.questions if q.header not in header]
    if missing:
        raise InputError(path, f"missing column(s): {'; '.join(missing)}", 1)
    unknown = [h for h in header if h not in {q.header for q in survey.questions}]
    if unknown:
        raise InputError(path, f"unknown column(s), not in {QUESTIONS_FILE}: "
                               f"{'; '.join(safe_value(u, 120) for u in unknown)}", 1)
    position = {h: i for i, h in enumerate(header)}
    id_q, role_q = survey.of_kind("id")[0], survey.role_question
    respondents, answers, choices, texts = [], [], [], []
    removed = {"personnummer": 0, "e-post": 0, "telefon": 0, "namn": 0}
    withheld = 0
    seen_ids: dict[str, int] = {}

    def fail(line: int, q: Question, message: str) -> None:
        raise InputError(path, f"{message} (question {q.id!r})", line, q.header)

    for line, row in rows:
        if len(row) != len(header):
            raise InputError(path, f"expected {len(header)} fields, found {len(row)}", line)
        if [c.strip() for c in row] == header:
            raise InputError(path, "the header row is repeated (two exports pasted together?)", line)
        cell = {q.id: row[position[q.header]].strip() for q in survey.questions}
        for q in survey.questions:  # personal data only in free text (scrubbed below), never elsewhere
            value = cell[q.id]
            if q.kind != "text" and has_personal_data(value):
                fail(line, q, "personal data (a personnummer, e-mail address, phone number or name) in a column "
                              "that must not hold it; the value is not shown")
            limit = survey.max_text_length if q.kind == "text" else survey.max_label_length
            if len(value) > limit:
                fail(line, q, f"the answer has {len(value)} characters, more than the {limit} allowed")
            if q.kind != "text" and re.search(r"[\x00-\x1f\x7f-\x9f]", value):
                fail(line, q, "a line break or control character inside an answer that must be a label")
        rid = cell[id_q.id]
        if not rid:
            fail(line, id_q, "respondent id is missing")
        if not re.fullmatch(survey.id_pattern, rid):
            fail(line, id_q, f"respondent id {safe_value(rid)} does not match survey.id_pattern in {QUESTIONS_FILE}")
        if rid in seen_ids:
            fail(line, id_q, f"respondent id {safe_value(rid)} also on line {seen_ids[rid]}")
        seen_ids[rid] = line
        role = cell[role_q.id]
        if role not in role_q.options:
            fail(line, role_q, f"unknown label {safe_value(role)}; allowed: {', '.join(role_q.options)}")
        respondents.append({"respondent": rid, "role": role, "group": survey.group_of(role)})
        for q in survey.questions:
            value = cell[q.id]
            if q.kind in ("id", "role") or value == "":
                continue  # an empty cell is a question not answered (or not asked)
            if q.asked and role not in q.asked:
                fail(line, q, f"answered by a {role}, but the question is only asked of {', '.join(q.asked)}")
            if q.kind == "scale":
                scale = survey.scales[q.scale]
                if value in scale.labels:
                    answers.append({"respondent": rid, "question": q.id, "answer": value,
                                    "position": scale.labels.index(value) + 1})
                elif value == scale.dont_know:
                    answers.append({"respondent": rid, "question": q.id, "answer": value, "position": None})
                else:
                    allowed = list(scale.labels) + ([scale.dont_know] if scale.dont_know else [])
                    fail(line, q, f"unknown label {safe_value(value)}; allowed: {', '.join(allowed)}")
            elif q.kind == "single":
                if value not in q.options:
                    fail(line, q, f"unknown label {safe_value(value)}; allowed: {', '.join(q.options)}")
                answers.append({"respondent": rid, "question": q.id, "answer": value, "position": None})
            elif q.kind == "multi":
                picked = [v.strip() for v in value.split(survey.separator) if v.strip()]
                for option in picked:
                    if option not in q.options:
                        fail(line, q, f"unknown option {safe_value(option)}; allowed: {', '.join(q.options)}")
                for option in dict.fromkeys(picked):
                    choices.append({"respondent": rid, "question": q.id, "option": option})
            elif q.kind == "text":
                text, counts = scrub(value, withhold=True)
                for kind in removed:
                    removed[kind] += counts[kind]
                if text is None:  # cannot be made safe: left out, counted, never published
                    withheld += 1
                    continue
                texts.append({"respondent": rid, "question": q.id, "text": text})
    log = [("rader i exporten", len(rows)), ("svarande", len(respondents))]
    log += [(f"borttagna ur fritext: {kind}", n) for kind, n in removed.items()]
    log += [("fritextsvar utelämnade (kan inte göras säkra)", withheld)]
    return CleanSurvey(
        respondents=pd.DataFrame(respondents, columns=["respondent", "role", "group"]),
        answers=pd.DataFrame(answers, columns=["respondent", "question", "answer", "position"]).astype(
            {"position": "Int64"}),
        choices=pd.DataFrame(choices, columns=["respondent", "question", "option"]),
        texts=pd.DataFrame(texts, columns=["respondent", "question", "text"]),
        log=pd.DataFrame(log, columns=["step", "count"]),
    )


def save_clean(clean_survey: CleanSurvey, out_dir: Path) -> list[Path]:
    return write_tables({name: getattr(clean_survey, name) for name in CleanSurvey.TABLES}, out_dir)


def load_clean(out_dir: str | Path) -> CleanSurvey:
    out_dir = Path(out_dir)
    missing = [n for n in CleanSurvey.TABLES if not (out_dir / f"{n}.parquet").is_file()]
    if missing:
        raise InputError(out_dir, f"cleaned survey missing ({', '.join(missing)}); run `finsam stage enkat` first")
    return CleanSurvey(**{n: pd.read_parquet(out_dir / f"{n}.parquet") for n in CleanSurvey.TABLES})


# --------------------------------------------------------------------------- summaries
ALL = "Alla svarande"


def response_rates(survey: Survey, data: CleanSurvey) -> pd.DataFrame:
    """Invited, answered and rate per role, per group of roles and in total."""
    answered = data.respondents["role"].value_counts()
    rows = [(role, survey.invited[role], int(answered.get(role, 0))) for role in survey.role_question.options]
    for group, roles in survey.groups.items():
        if len(roles) > 1:
            rows.append((group, sum(survey.invited[r] for r in roles), sum(int(answered.get(r, 0)) for r in roles)))
    rows.append(("Totalt", sum(survey.invited.values()), len(data.respondents)))
    frame = pd.DataFrame(rows, columns=["group", "invited", "answered"])
    frame["rate_pct"] = 100.0 * frame["answered"] / frame["invited"]
    return frame


def _groups(survey: Survey) -> list[str]:
    return [ALL] + list(survey.groups)


def _counts(survey: Survey, rows: pd.DataFrame, column: str, values: list[str], qid: str) -> pd.DataFrame:
    """Per group (all respondents first): count of each value, respondents answering (n), share of n."""
    out = []
    for group in _groups(survey):
        sub = rows if group == ALL else rows[rows["group"] == group]
        n = sub["respondent"].nunique()
        counts = sub[column].value_counts()
        for value in values:
            k = int(counts.get(value, 0))
            out.append({"question": qid, "group": group, column: value, "count": k, "n": n,
                        "pct": 100.0 * k / n if n else math.nan})
    return pd.DataFrame(out)


def scale_distribution(survey: Survey, data: CleanSurvey, qid: str) -> pd.DataFrame:
    """Per group (all respondents first): n answering, count and share of each label incl. Vet ej."""
    scale = survey.scales[survey.question(qid).scale]
    labels = list(scale.labels) + ([scale.dont_know] if scale.dont_know else [])
    a = data.answers[data.answers["question"] == qid].merge(data.respondents, on="respondent")
    frame = _counts(survey, a.rename(columns={"answer": "label"}), "label", labels, qid)
    frame["dont_know"] = frame["label"] == scale.dont_know
    return frame


def choice_counts(survey: Survey, data: CleanSurvey, qid: str) -> pd.DataFrame:
    """Per group: times each option was ticked, respondents answering the question, sorted by total count."""
    c = data.choices[data.choices["question"] == qid].merge(data.respondents, on="respondent")
    frame = _counts(survey, c, "option", list(survey.question(qid).options), qid)
    order = frame[frame["group"] == ALL].sort_values("count", ascending=False, kind="stable")["option"].tolist()
    frame["rank"] = frame["option"].map({o: i for i, o in enumerate(order)})
    group_order = {g: i for i, g in enumerate(_groups(survey))}
    return frame.sort_values(["group", "rank"], key=lambda s: s.map(group_order) if s.name == "group" else s,
                             kind="stable").reset_index(drop=True)


def single_counts(survey: Survey, data: CleanSurvey, qid: str) -> pd.DataFrame:
    a = data.answers[data.answers["question"] == qid].merge(data.respondents, on="respondent")
    return _counts(survey, a.rename(columns={"answer": "option"}), "option", list(survey.question(qid).options), qid)


# --------------------------------------------------------------------------- group comparison
@dataclass(frozen=True)
class GroupTest:
    question: str
    test: str  # Swedish name of the test
    statistic: str  # what the estimate is (Swedish)
    estimate: float | None
    p_value: float | None
    n_first: int
    n_second: int
    note: str = ""


def compare_groups(survey: Survey, data: CleanSurvey, qid: str) -> GroupTest:
    """Förbundschefer vs styrelseledamöter on one scale question, ``Vet ej`` left out.

    A two-label scale (ja/nej) gets Fisher's exact test on the 2 × 2 table and the odds ratio
    of answering the positive label; longer scales a proportional-odds (ordinal logit) model
    with the group as the only covariate, the odds ratio of a more positive answer and its
    Wald p-value.
    """
    q = survey.question(qid)
    scale = survey.scales[q.scale]
    first, second = list(survey.groups)[:2]
    a = data.answers[(data.answers["question"] == qid) & data.answers["position"].notna()]
    a = a.merge(data.respondents, on="respondent")
    a = a[a["group"].isin([first, second])]
    n1, n2 = int((a["group"] == first).sum()), int((a["group"] == second).sum())
    if n1 == 0 or n2 == 0:
        return GroupTest(qid, "–", "–", None, None, n1, n2, "en av grupperna saknar svar")
    if len(scale.labels) == 2:
        from scipy.stats import fisher_exact

        positive = scale.labels[-1]
        table = [[int(((a["group"] == g) & (a["answer"] == positive)).sum()),
                  int(((a["group"] == g) & (a["answer"] != positive)).sum())] for g in (second, first)]
        odds, p = fisher_exact(table)
        return GroupTest(qid, "Fishers exakta test", f"oddskvoten för {positive.lower()} bland {second.lower()} "
                         f"jämfört med {first.lower()}", float(odds), float(p), n1, n2)
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    used = sorted(int(x) for x in a["position"].unique())
    if len(used) < 2:
        return GroupTest(qid, "–", "–", None, None, n1, n2, "alla svar i samma kategori")
    endog = pd.Series(pd.Categorical(a["position"].astype(int), categories=used, ordered=True))
    exog = pd.DataFrame({"styrelse": (a["group"] == second).astype(float).to_numpy()})
    result = OrderedModel(endog, exog, distr="logit").fit(method="bfgs", disp=False, maxiter=200)
    coef = float(result.params["styrelse"])
    return GroupTest(qid, "Ordinal logistisk regression", f"oddskvoten för ett mer positivt svar bland "
                     f"{second.lower()} jämfört med {first.lower()}", math.exp(coef), float(result.pvalues["styrelse"]), n1, n2)


def survey_folder(raw: Path, year: int) -> Path:
    return raw / "enkat" / str(year)
