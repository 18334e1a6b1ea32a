"""Synthetic exports of the annual indicator questionnaires, 2017–2022, with a planted truth.

SYNTHETIC DATA – NOT REAL ANSWERS. For every year in data/raw/indikator/<year>/enkater.yaml this
writes the exports the description names (CSV in its declared encoding and delimiter, or .xlsx
written with openpyxl; one file per förbund or one file with a förbund column), as a survey tool
would deliver them, and ``data/raw/indikator/sanning.json`` with what was planted:

* **Who takes part** (``forbund``): about half of the 80 förbund a year; a core that always
  answers, a group that answers only 2017–2019 and one that answers only 2020–2022, and the rest
  now and then. About 3 800–4 000 questionnaires a year, most from deltagare, 3–8 board members
  and chefer per förbund.
* **The answers**: per measurement point the probability of a positive answer is
  ``expit(base + förbund effect + plants)``; the labels within the positive or negative part of
  the scale are then drawn. Non-response (an empty cell) and "vet ej" are drawn apart.
* **Plants** (``plants`` in sanning.json): ``rising`` — I12.1 (deltagare's delaktighet) rises in
  every förbund, so nationally; ``below`` — one förbund lies clearly below the others on I13 (both
  points); ``wording_change`` — I14.1 is reworded in 2020 (enkater.yaml declares it) and the new
  wording gets fewer positive answers everywhere: a broken trend, not a change; and
  ``participation_shift`` — on I09.1 the förbund that answer only from 2020 lie high and those that
  stop after 2019 lie low, while no förbund changes: the national share rises only because other
  förbund answered. ``unchanged`` lists the points with no planted change at all.
* **Dirt** (``quarantine``: file, sheet, line/row, column, reason for every row the cleaning must
  quarantine): a respondent answering twice (same invitation code), an export pasted twice (an exact
  duplicate row), unknown labels, rows with no answer at all, an unknown förbund, an e-mail address
  in the invitation code column, an answer submitted in another year, a missing response id.
  Dirt the cleaning must accept: "vet ej" in other cases and spacing, labels in other cases,
  numbers stored as text in the years whose answers are numbers, dates as Excel dates, as serial
  numbers and as text, blank lines.
* **Free text** with planted, fictitious personal data (names, phone numbers, e-mail addresses,
  personnummer), listed in ``personal_data`` so tests can check none of it reaches an output.

The generator reads enkater.yaml with yaml itself and shares no code with the cleaning
(pipeline/sources/indikator.py) or any estimator. Deterministic: one seed gives the same answers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from ..core.catalogue import DATASETS
from ..core.io import write_bytes_atomic, write_text_atomic

SEED = 2017
YEARS = list(range(2017, 2023))
DESCRIPTION = "enkater.yaml"
TRUTH = "sanning.json"
N_FORBUND = 80
CORE, JOINING, LEAVING = 24, 8, 8  # always; only 2020–; only –2019 (the rest now and then)
SHIFT_YEAR = 2020
OCCASIONAL = 0.2  # chance that one of the rest takes part in a year
# Questionnaires per participating förbund: (mean rows at size 1, lowest, highest, chance the förbund runs it)
SIZES = {"deltagare_pagaende": (36, 8, 120, 1.0), "deltagare_avslut": (21, 4, 80, 0.95),
         "insatspersonal": (12, 3, 40, 0.95), "styrelse": (5, 3, 8, 0.9), "chefer": (6, 3, 8, 0.9),
         "remittenter": (7, 2, 20, 0.85)}
FIXED_SIZE = ("styrelse", "chefer")  # a handful per förbund, whatever its size
TOTAL = (3800, 4000)  # questionnaires a year nationally (the instrument's reports: 3 759 in 2021, 3 970 in 2022)
NO_ANSWER = {"deltagare_pagaende": 0.04, "deltagare_avslut": 0.04, "insatspersonal": 0.03, "styrelse": 0.02,
             "chefer": 0.03, "remittenter": 0.04}
VET_EJ = {"deltagare_pagaende": 0.04, "deltagare_avslut": 0.04, "insatspersonal": 0.05, "styrelse": 0.07,
          "chefer": 0.07, "remittenter": 0.08}
EMPTY_ROWS = 0.008  # rows with no answer at all (the respondent opened the form and sent it empty)
FREE_TEXT = 0.18  # share of respondents who write in the free-text field
FORBUND_SD = 0.3  # spread of the förbund effects on the logit scale
# Base probability of a positive answer per measurement point (logit scale is expit⁻¹ of these).
BASE_SHARE = {"I01.1": 0.70, "I01.2": 0.62, "I02.1": 0.66, "I02.2": 0.55, "I03.1": 0.58, "I03.2": 0.50,
              "I04.1": 0.72, "I05.1": 0.60, "I05.2": 0.57, "I06.1": 0.52, "I07.1": 0.74, "I07.2": 0.48,
              "I08.1": 0.68, "I08.2": 0.55, "I09.1": 0.60, "I10.1": 0.71, "I11.1": 0.78, "I12.1": 0.55,
              "I12.2": 0.66, "I13.1": 0.86, "I13.2": 0.85, "I14.1": 0.58, "I14.2": 0.62, "I15.1": 0.60,
              "I16.1": 0.64, "I16.2": 0.58}
RISING = {"point": "I12.1", "logit_per_year": 0.2}
BELOW = {"indicator": "I13", "points": ["I13.1", "I13.2"], "logit_shift": -1.9}
WORDING = {"point": "I14.1", "year": 2020, "logit_shift": -0.9}
SHIFT = {"point": "I09.1", "logit_joining": 1.3, "logit_leaving": -1.1}
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # invitation codes: no 0/O, 1/I
FIELDED = (dt.date(2000, 9, 1), dt.date(2000, 11, 30))  # month and day of the fielding period (any year)

NAMES = ["Anna Lindberg", "Karin Svensson", "Lars Johansson", "Maria Andersson", "Erik Nilsson", "Eva Karlsson",
         "Johan Persson", "Sara Olsson", "Peter Gustafsson", "Lena Pettersson"]
FIRST = ["Anna", "Karin", "Lars", "Maria", "Erik", "Eva", "Johan", "Sara", "Mikael", "Lena"]
TEXTS = [
    "Bra bemötande och tydlig planering.",
    "Det tog lång tid innan jag fick komma igång.",
    "Jag hade önskat fler träffar med handläggaren.",
    "Samverkan mellan parterna fungerar bättre än förut.",
    "Svårt att veta vem som ansvarar för vad.",
    "Jag känner mig tryggare nu.",
    "Mer information om insatsen innan start vore bra.",
    "Bra att alla myndigheter satt med på samma möte.",
]
PERSONAL = [  # templates: {name}, {first}, {phone}, {mail}, {pnr}
    "Tack till {name} som har hjälpt mig mycket.",
    "Min handläggare {first} har varit jättebra.",
    "Ring mig gärna på {phone} om ni har frågor.",
    "Mejla mig på {mail} så berättar jag mer.",
    "Jag vill ha ett intyg, mitt personnummer är {pnr}.",
    "{name} på kommunen svarar aldrig, nås på {phone}.",
]
PHONES = ["070-123 45 67", "073-987 65 43", "08-123 456 78", "+46 70 555 12 34", "0705551234"]
MAILS = ["anna.lindberg@exempel.se", "karin.s (at) kommun punkt se", "lars.j@example.com", "eva-k@forbund.se"]
PNRS = ["19640315-2386", "198112189876", "19750623-4437"]  # fictitious (the project's test numbers)


@dataclass
class Export:
    """One questionnaire's export of a year as the generator builds it, before it is written."""

    enkat: str
    spec: dict
    header: list[str]
    rows: dict[str, list[list[object]]] = field(default_factory=dict)  # file (relative) → rows (no header)
    forbund_of_file: dict[str, str] = field(default_factory=dict)


def _expit(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def demo_forbund_names(n: int = N_FORBUND) -> list[str]:
    return [f"Samordningsförbund {i:02d}" for i in range(1, n + 1)]


def plan_participation(names: list[str], years: list[int], rng: np.random.Generator) -> dict:
    """Which förbund answer which year: the core always, the joining group from SHIFT_YEAR, the
    leaving group until the year before, the rest now and then. One of the core is the förbund below."""
    order = list(rng.permutation(len(names)))
    n_core = min(CORE, len(names))  # a short list of names (tests): everyone answers every year
    n_move = min(JOINING, (len(names) - n_core) // 2)
    core = [names[i] for i in order[:n_core]]
    joining = [names[i] for i in order[n_core:n_core + n_move]]
    leaving = [names[i] for i in order[n_core + n_move:n_core + 2 * n_move]]
    rest = [names[i] for i in order[n_core + 2 * n_move:]]
    per_year = {}
    for year in years:
        chosen = set(core) | (set(joining) if year >= SHIFT_YEAR else set(leaving))
        chosen |= {f for f in rest if rng.random() < OCCASIONAL}
        per_year[year] = sorted(chosen)
    return {"core": sorted(core), "joining": sorted(joining), "leaving": sorted(leaving), "per_year": per_year,
            "below": core[0]}


def true_logit(point: str, forbund: str, year: int, effects: dict[tuple[str, str], float], plan: dict) -> float:
    """The planted logit of a positive answer for one förbund, point and year."""
    x = _logit(BASE_SHARE[point]) + effects[(forbund, point)]
    if point == RISING["point"]:
        x += RISING["logit_per_year"] * (year - 2017)
    if point in BELOW["points"] and forbund == plan["below"]:
        x += BELOW["logit_shift"]
    if point == WORDING["point"] and year >= WORDING["year"]:
        x += WORDING["logit_shift"]
    if point == SHIFT["point"]:
        if forbund in plan["joining"]:
            x += SHIFT["logit_joining"]
        elif forbund in plan["leaving"]:
            x += SHIFT["logit_leaving"]
    return x


def _free_text(rng: np.random.Generator, planted: list[str]) -> str:
    if rng.random() < 0.3:
        template = PERSONAL[rng.integers(len(PERSONAL))]
        values = {"name": NAMES[rng.integers(len(NAMES))], "first": FIRST[rng.integers(len(FIRST))],
                  "phone": PHONES[rng.integers(len(PHONES))], "mail": MAILS[rng.integers(len(MAILS))],
                  "pnr": PNRS[rng.integers(len(PNRS))]}
        text = template.format(**values)
        planted.extend(v for k, v in values.items() if "{" + k + "}" in template)
        return text
    return TEXTS[rng.integers(len(TEXTS))]


@lru_cache(maxsize=None)
def _label_pool(labels: tuple[str, ...], positive_labels: tuple[str, ...], positive: bool) -> tuple[tuple[int, ...],
                                                                                                  np.ndarray]:
    pool = tuple(i for i, lab in enumerate(labels) if (lab in positive_labels) == positive)
    weights = np.linspace(1.0, 1.6, len(pool)) if positive else np.linspace(0.6, 1.4, len(pool))
    return pool, np.cumsum(weights) / weights.sum()


def _scale_label(rng: np.random.Generator, scale: dict, positive: bool) -> tuple[int, str]:
    """A label of the positive (or negative) part of the scale: the upper labels of each part a little
    more often. Returns (position 1..k, label)."""
    labels = tuple(scale["labels"])
    pool, cumulative = _label_pool(labels, tuple(scale["positive"]), positive)
    i = pool[min(int(np.searchsorted(cumulative, rng.random(), side="right")), len(pool) - 1)]
    return i + 1, labels[i]


def _submitted(rng: np.random.Generator, year: int) -> dt.datetime:
    start = dt.date(year, FIELDED[0].month, FIELDED[0].day)
    days = (dt.date(year, FIELDED[1].month, FIELDED[1].day) - start).days
    day = start + dt.timedelta(days=int(rng.integers(days + 1)))
    return dt.datetime(day.year, day.month, day.day, int(rng.integers(7, 22)), int(rng.integers(60)))


def _date_cell(rng: np.random.Generator, when: dt.datetime, fmt: str) -> object:
    """The submission time as an export carries it: text in a CSV; in a workbook mostly an Excel
    date, sometimes the bare serial number (the cell lost its date format), sometimes text."""
    text = when.strftime("%Y-%m-%d %H:%M")
    if fmt == "csv":
        return text
    r = rng.random()
    if r < 0.08:
        return (when - dt.datetime(1899, 12, 30)).total_seconds() / 86400.0  # Excel's serial number
    if r < 0.14:
        return text
    return when


def _vet_ej_variant(rng: np.random.Generator, label: str) -> str:
    r = rng.random()
    return label.lower() if r < 0.15 else label.upper() if r < 0.2 else f" {label} " if r < 0.25 else label


class _Year:
    """Draws one year's exports."""

    def __init__(self, year: int, spec: dict, plan: dict, effects: dict, rng: np.random.Generator,
                 total: tuple[int, int] = TOTAL, empty_rows: float = EMPTY_ROWS):
        self.year, self.spec, self.plan, self.effects, self.rng = year, spec, plan, effects, rng
        self.empty_rows = empty_rows
        self.quarantine: list[dict] = []
        self.personal: list[str] = []
        self.counts: dict[str, int] = {}
        self.next_id = int(rng.integers(1_000_000, 2_000_000))
        # The year's number of questionnaires is drawn (TOTAL); the larger questionnaires are scaled to it.
        taking_part = plan["per_year"][year]
        fixed = sum(SIZES[n][0] * SIZES[n][3] for n in FIXED_SIZE) * len(taking_part)
        scalable = sum(SIZES[n][0] * SIZES[n][3] * plan["size"][f] for n in SIZES if n not in FIXED_SIZE
                       for f in taking_part)
        self.factor = max(int(rng.integers(total[0], total[1] + 1)) - fixed, 1) / scalable

    def header(self, e: dict, questions: list[dict]) -> list[str]:
        x = e["export"]
        tool = [x["id_column"]] + ([x["forbund_column"]] if x["layout"] == "samlad" else []) + \
            [c for c in (x.get("code_column"), x.get("date_column")) if c]
        return tool + [q.get("column", q["text"]) for q in questions]

    def respondent(self, name: str, e: dict, questions: list[dict], forbund: str, size: float,
                   code: str | None = None) -> tuple[list[object], bool]:
        """One row of answers (True when every question is left empty)."""
        x = e["export"]
        numbers = x.get("answers", "labels") == "numbers"
        rng = self.rng
        self.next_id += int(rng.integers(1, 40))
        row: list[object] = [self.next_id]
        if x["layout"] == "samlad":
            row.append(forbund)
        if x.get("code_column"):
            row.append(code or "".join(CODE_LETTERS[k] for k in rng.integers(len(CODE_LETTERS), size=8)))
        if x.get("date_column"):
            row.append(_date_cell(rng, _submitted(rng, self.year), x["format"]))
        empty = rng.random() < self.empty_rows
        for q in questions:
            if empty:
                row.append(None)
                continue
            if q.get("kind") == "fritext":
                row.append(_free_text(rng, self.personal) if rng.random() < FREE_TEXT else None)
                continue
            if rng.random() < NO_ANSWER[name]:
                row.append(None)
                continue
            scale = self.spec["scales"][q["scale"]]
            if rng.random() < VET_EJ[name]:
                row.append(int(x["vet_ej_code"]) if numbers else _vet_ej_variant(rng, scale["vet_ej"][0]))
                continue
            p = _expit(true_logit(q["point"], forbund, self.year, self.effects, self.plan))
            position, label = _scale_label(rng, scale, rng.random() < p)
            if numbers:
                row.append(str(position) if (x["format"] == "xlsx" and rng.random() < 0.1) else position)
            else:
                r = rng.random()
                row.append(label.lower() if r < 0.03 else label)
        # Empty by chance too (every question skipped): the cleaning quarantines such a row as well.
        return row, all(v is None for v in row[len(row) - len(questions):])

    def export(self, name: str, e: dict) -> Export:
        x = e["export"]
        questions = list(e["questions"])
        out = Export(name, e, self.header(e, questions))
        rng = self.rng
        mean, low, high, chance = SIZES[name]
        for forbund in self.plan["per_year"][self.year]:
            if rng.random() >= chance and name != "deltagare_pagaende":
                continue
            size = 1.0 if name in FIXED_SIZE else self.plan["size"][forbund] * self.factor
            n = int(np.clip(rng.poisson(mean * size), low, high))
            file = x["files"].replace("{forbund}", forbund) if x["layout"] == "per_forbund" else x["files"]
            rows = out.rows.setdefault(file, [])
            out.forbund_of_file[file] = forbund if x["layout"] == "per_forbund" else ""
            for _ in range(n):
                row, empty = self.respondent(name, e, questions, forbund, size)
                rows.append(row)
                if empty:
                    self.planted(out, file, len(rows) - 1, "(hela raden)", "inga_svar")
        return out

    def planted(self, out: Export, file: str, index: int, column: str, reason: str) -> None:
        self.quarantine.append({"enkat": out.enkat, "file": file, "index": index, "column": column, "reason": reason})


def _dirt(year: _Year, exports: dict[str, Export]) -> None:
    """Add the year's dirt that the cleaning must quarantine (recorded in ``year.quarantine``)."""
    rng = year.rng
    used: set[tuple[str, int]] = {(q["file"], q["index"]) for q in year.quarantine}  # rows dirt must not touch again

    def pick(name: str) -> tuple[Export, str, int]:
        out = exports[name]
        files = sorted(f for f, rows in out.rows.items() if len(rows) >= 3)
        file = files[int(rng.integers(len(files)))]
        candidates = [i for i in range(len(out.rows[file])) if (file, i) not in used]
        i = int(candidates[int(rng.integers(len(candidates)))])
        used.add((file, i))
        return out, file, i

    def col(out: Export, name: str) -> int:
        return out.header.index(name)

    def when(out: Export, moment: dt.datetime) -> object:
        return moment.strftime("%Y-%m-%d %H:%M") if out.spec["export"]["format"] == "csv" else moment

    first_scale = {n: next(q for q in out.spec["questions"] if q.get("kind") != "fritext") for n, out in exports.items()}
    # 1. One respondent answering twice (the same invitation code, two days later, other answers).
    for name in ("deltagare_pagaende", "insatspersonal"):
        out, file, i = pick(name)
        x = out.spec["export"]
        row = out.rows[file][i]
        forbund = row[col(out, x["forbund_column"])] if x["layout"] == "samlad" else out.forbund_of_file[file]
        again, empty = year.respondent(name, out.spec, list(out.spec["questions"]), forbund, 1.0,
                                       code=row[col(out, x["code_column"])])
        if empty:  # a second answer with nothing in it would be inga_svar; this one answers the first question
            again[col(out, first_scale[name].get("column", first_scale[name]["text"]))] = _answer_text(out, first_scale[name], year)
        first = _submitted(rng, year.year).replace(day=10, month=10)
        row[col(out, x["date_column"])] = when(out, first)
        again[col(out, x["date_column"])] = when(out, first + dt.timedelta(days=2))
        out.rows[file].append(again)
        used.add((file, len(out.rows[file]) - 1))
        year.planted(out, file, len(out.rows[file]) - 1, x["code_column"], "svarat_tva_ganger")
    # 2. An export pasted twice: an exact copy of a row.
    out, file, i = pick("chefer")
    out.rows[file].append(list(out.rows[file][i]))
    used.add((file, len(out.rows[file]) - 1))
    year.planted(out, file, len(out.rows[file]) - 1, "(hela raden)", "dubblett")
    # 3. Labels that are not on the scale (label exports only).
    for name, wrong in (("deltagare_avslut", "Ganska ofta"), ("chefer", "Instämmer nästan helt")):
        out, file, i = pick(name)
        q = first_scale[name]
        out.rows[file][i][col(out, q.get("column", q["text"]))] = wrong
        year.planted(out, file, i, q.get("column", q["text"]), "okant_svar")
    # 4. A förbund that does not exist (samlad file).
    out, file, i = pick("deltagare_pagaende")
    out.rows[file][i][col(out, out.spec["export"]["forbund_column"])] = "Samordningsförbund 99"
    year.planted(out, file, i, out.spec["export"]["forbund_column"], "okant_forbund")
    # 5. An e-mail address typed into the invitation code.
    out, file, i = pick("remittenter")
    out.rows[file][i][col(out, out.spec["export"]["code_column"])] = "kontakt@exempel.se"
    year.planted(out, file, i, out.spec["export"]["code_column"], "personuppgift_i_fel_kolumn")
    # 6. An answer submitted in the next year.
    out, file, i = pick("styrelse")
    out.rows[file][i][col(out, out.spec["export"]["date_column"])] = when(out, dt.datetime(year.year + 1, 1, 12, 9, 30))
    year.planted(out, file, i, out.spec["export"]["date_column"], "fel_ar")
    # 7. A response id missing.
    out, file, i = pick("deltagare_avslut")
    out.rows[file][i][col(out, out.spec["export"]["id_column"])] = None
    year.planted(out, file, i, out.spec["export"]["id_column"], "saknat_varde")


def _answer_text(out: Export, q: dict, year: _Year) -> object:
    scale = year.spec["scales"][q["scale"]]
    if out.spec["export"].get("answers", "labels") == "numbers":
        return 1
    return scale["labels"][0]


def _csv_bytes(header: list[str], rows: list[list[object]], x: dict, blank_lines: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=x.get("delimiter", ","), lineterminator="\r\n")
    writer.writerow(header)
    for k, row in enumerate(rows):
        writer.writerow(["" if v is None else v for v in row])
    text = buffer.getvalue()
    if blank_lines:
        text += "\r\n\r\n"  # blank lines at the end, as a spreadsheet saves them
    return text.encode(x.get("encoding", "utf-8-sig"))


def _xlsx_bytes(header: list[str], rows: list[list[object]], x: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(x["sheet"])
    for _ in range(int(x.get("header_row", 1)) - 1):
        ws.append([])
    ws.append(header)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, dt.datetime):
                value = WriteOnlyCell(ws, value=value)
                value.number_format = "yyyy-mm-dd hh:mm"
            cells.append(value)
        ws.append(cells)
    wb.properties.created = wb.properties.modified = dt.datetime(2000, 1, 1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _line(x: dict, index: int) -> int:
    """The line (CSV, as an editor counts it) or Excel row of data row ``index`` (0-based)."""
    return int(x.get("header_row", 1)) + 1 + index


def write_indikator_year(description: Path, folder: Path, year: int, plan: dict, effects: dict, seed: int,
                         dirt: bool = True, total: tuple[int, int] = TOTAL) -> dict:
    """Write the exports ``description`` (a year's enkater.yaml) names into ``folder`` (the year's
    export folder, emptied first); returns the year's truth. ``dirt=False``: no planted dirt and no
    deliberately empty rows (the clean base of the tests' corpus)."""
    spec = yaml.safe_load(Path(description).read_text(encoding="utf-8"))
    if spec.get("year") != year:
        raise ValueError(f"{description}: describes {spec.get('year')}, not {year}")
    rng = np.random.default_rng([seed, year])
    y = _Year(year, spec, plan, effects, rng, total, EMPTY_ROWS if dirt else 0.0)
    exports = {name: y.export(name, e) for name, e in spec["enkater"].items()}
    if dirt:
        _dirt(y, exports)
    if folder.exists():
        shutil.rmtree(folder)  # the previous demo's exports (the stage has checked that they are the demo's)
    folder.mkdir(parents=True)
    written = {}
    for name, out in exports.items():
        x = out.spec["export"]
        for k, (file, rows) in enumerate(sorted(out.rows.items())):
            path = folder / file
            path.parent.mkdir(parents=True, exist_ok=True)
            data = _csv_bytes(out.header, rows, x, blank_lines=k % 3 == 0) if x["format"] == "csv" else \
                _xlsx_bytes(out.header, rows, x)
            write_bytes_atomic(path, data)
            written[file] = len(rows)
    quarantine = [{"enkat": q["enkat"], "file": q["file"], "sheet": exports[q["enkat"]].spec["export"].get("sheet") or "",
                   "line": _line(exports[q["enkat"]].spec["export"], q["index"]), "column": q["column"],
                   "reason": q["reason"]} for q in y.quarantine]
    rows_written = sum(written.values())
    return {"rows": rows_written, "rows_per_enkat": {n: sum(len(r) for r in o.rows.values()) for n, o in exports.items()},
            "kept": rows_written - len(quarantine), "files": len(written), "quarantine": quarantine,
            "forbund": plan["per_year"][year],
            "forbund_per_enkat": {n: sorted({o.forbund_of_file[f] or "" for f in o.rows} - {""}) or None
                                  for n, o in exports.items()},
            "personal_data": sorted(set(y.personal))}


def write_indikator_demo(raw: str | Path, names: list[str] | None = None, years: list[int] | None = None,
                         seed: int = SEED, dirt: bool = True, total: tuple[int, int] = TOTAL) -> Path:
    """Write every year's exports with the folder layout of the catalogue below ``raw``
    (data/raw/indikator: ``<year>/enkater.yaml`` read, ``<year>/svar/`` and ``sanning.json`` written).
    ``names``: the förbund (default: the 80 demo names); ``total``: the range the number of
    questionnaires a year is drawn from; ``dirt=False``: no planted dirt (tests' clean base)."""
    raw = Path(raw)
    years = sorted(years or YEARS)
    exports = Path(DATASETS["indikator_exports"].pattern).name
    write_indikator_demo_to({y: raw / str(y) / DESCRIPTION for y in years}, {y: raw / str(y) / exports for y in years},
                            raw / TRUTH, names, seed, dirt, total)
    return raw


def write_indikator_demo_to(descriptions: dict[int, Path], exports: dict[int, Path], truth_file: Path,
                            names: list[str] | None = None, seed: int = SEED, dirt: bool = True,
                            total: tuple[int, int] = TOTAL) -> Path:
    """Write the exports of every year in ``descriptions`` ({year: enkater.yaml}) into ``exports``
    ({year: folder}) and the planted truth into ``truth_file``."""
    years = sorted(descriptions)
    names = list(names or demo_forbund_names())
    rng = np.random.default_rng(seed)
    plan = plan_participation(names, years, rng)
    plan["size"] = {f: float(np.clip(rng.lognormal(0.0, 0.35), 0.5, 2.5)) for f in names}
    effects = {(f, p): float(rng.normal(0.0, FORBUND_SD)) for f in names for p in BASE_SHARE}
    per_year = {year: write_indikator_year(descriptions[year], Path(exports[year]), year, plan, effects, seed, dirt,
                                           total)
                for year in years}

    def share(point: str, forbund: str | None, year: int) -> float:
        """The planted share positive at a förbund's effect (None: a förbund with effect 0)."""
        eff = dict(effects)
        if forbund is None:
            eff[("", point)] = 0.0
        return round(_expit(true_logit(point, forbund or "", year, eff, plan)), 4)

    truth = {
        "synthetic": True, "seed": seed, "generator": "pipeline/demo/indikator_demo.py", "years": years,
        "forbund": {str(y): t["forbund"] for y, t in per_year.items()},
        "forbund_per_enkat": {str(y): t["forbund_per_enkat"] for y, t in per_year.items()},
        "rows": {str(y): t["rows"] for y, t in per_year.items()},
        "rows_per_enkat": {str(y): t["rows_per_enkat"] for y, t in per_year.items()},
        "kept": {str(y): t["kept"] for y, t in per_year.items()},
        "quarantine": {str(y): t["quarantine"] for y, t in per_year.items()},
        "personal_data": sorted({p for t in per_year.values() for p in t["personal_data"]}),
        "model": {"base_share": BASE_SHARE, "forbund_effect_sd": FORBUND_SD,
                  "forbund_effect": {f"{f}|{p}": round(v, 4) for (f, p), v in sorted(effects.items())},
                  "rule": "share positive = expit(logit(base_share) + forbund_effect + plants); among answers "
                          "that are neither empty nor vet ej"},
        "plants": {
            "rising": {"indikator": RISING["point"].split(".")[0], "matpunkt": RISING["point"], "fraga": "dp_delaktig",
                       "logit_per_year": RISING["logit_per_year"],
                       "share_positive": {str(y): share(RISING["point"], None, y) for y in years}},
            "below": {"forbund": plan["below"], "indikator": BELOW["indicator"], "matpunkter": BELOW["points"],
                      "logit_shift": BELOW["logit_shift"],
                      "share_positive": {p: share(p, plan["below"], years[0]) for p in BELOW["points"]},
                      "others_share_positive": {p: share(p, None, years[0]) for p in BELOW["points"]}},
            "wording_change": {"indikator": WORDING["point"].split(".")[0], "matpunkt": WORDING["point"],
                               "fraga": "da_formaga", "year": WORDING["year"], "logit_shift": WORDING["logit_shift"],
                               "share_before": share(WORDING["point"], None, WORDING["year"] - 1),
                               "share_after": share(WORDING["point"], None, WORDING["year"])},
            "participation_shift": {"indikator": SHIFT["point"].split(".")[0], "matpunkt": SHIFT["point"],
                                    "fraga": "ip_planering", "joining": plan["joining"], "from_year": SHIFT_YEAR,
                                    "leaving": plan["leaving"], "until_year": SHIFT_YEAR - 1,
                                    "logit_joining": SHIFT["logit_joining"], "logit_leaving": SHIFT["logit_leaving"],
                                    "within_forbund_change": 0.0},
            "unchanged": sorted(p for p in BASE_SHARE if p not in {RISING["point"], WORDING["point"]}),
        },
        "groups": {"core": plan["core"], "joining": plan["joining"], "leaving": plan["leaving"]},
    }
    write_text_atomic(truth_file, json.dumps(truth, ensure_ascii=False, indent=1) + "\n")
    return truth_file
