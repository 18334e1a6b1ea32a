"""Backtest: Bilaga 4's transcription and calculation against the document's own text.

Ground truth is ``ground_truth/000_bilaga4_tabeller.txt``, a verbatim copy of the OCR text of
the document's tables, read here by a parser of its own (no pipeline code). Two things are
checked: every transcribed cell equals the printed number, and the calculation with the
assumptions in params.yaml reproduces every row, the total and the percentage of the
document's summary table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.config import load_params
from pipeline.derive.malgrupp import calculate, load_transcriptions, parse_assumptions

from ..conftest import GROUND_TRUTH, REPO, SHARED_SEEDS

TRUTH_FILE = GROUND_TRUTH / "000_bilaga4_tabeller.txt"
SEED = SHARED_SEEDS / "000_c59416c08b1b6909.txt"


def sections(path: Path = TRUTH_FILE) -> dict[str, tuple[int, list[str]]]:
    """{section: (first seed line, lines)} from the '## name first-last' markers."""
    out: dict[str, tuple[int, list[str]]] = {}
    name = None
    for line in path.read_text(encoding="utf-8").splitlines():
        marker = re.match(r"## (\S+) (\d+)-(\d+)$", line)
        if marker:
            name = marker.group(1)
            out[name] = (int(marker.group(2)), [])
        elif name and not line.startswith("# "):
            out[name][1].append(line)
    return out


def _splits(tokens: list[str], k: int) -> list[list[int]]:
    """Ways to read digit tokens as k numbers printed with a space between thousands."""
    if k == 0:
        return [[]] if not tokens else []
    found = []
    for n in range(1, len(tokens) + 1):
        head, groups = tokens[0], tokens[1:n]
        if n > 1 and (len(head) > 3 or any(len(g) != 3 for g in groups)):
            continue
        for rest in _splits(tokens[n:], k - 1):
            found.append([int("".join(tokens[:n]))] + rest)
    return found


def numbers_at_end(line: str, k: int, row_sum: bool) -> list[float] | None:
    """The last k numbers of a line; with ``row_sum`` the first must be the sum of the others."""
    line = re.sub(r"(?<=\s)O(?=\s|$)", "0", line)  # OCR reads some zeros as the letter O
    if "," in line:  # Tabell 1: decimal commas, no thousands separators
        found = re.findall(r"\d+,\d", line)
        return [float(x.replace(",", ".")) for x in found[-k:]] if len(found) >= k else None
    match = re.search(r"((?:\d+\s+)*\d+)\s*$", line)
    if not match:
        return None
    tokens = match.group(1).split()
    for start in range(len(tokens)):
        options = _splits(tokens[start:], k)
        if row_sum:
            options = [o for o in options if o[0] == sum(o[1:])]
        if len(options) == 1:
            return [float(v) for v in options[0]]
    return None


@pytest.fixture(scope="module")
def truth():
    return sections()


@pytest.fixture(scope="module")
def transcribed():
    return load_transcriptions(REPO / "data" / "raw" / "published").tables.frame


def _csv_rows(frame: pd.DataFrame, table: str, columns: list[str], skip_reconstructed: bool = False) -> list[list[float]]:
    t = frame[frame["table"] == table]
    rows = []
    for row in dict.fromkeys(t["row"]):
        cells = t[t["row"] == row].set_index("column")
        rows.append([None if skip_reconstructed and bool(cells.loc[c, "reconstructed"]) else float(cells.loc[c, "value"])
                     for c in columns])
    return rows


@pytest.mark.parametrize("table, columns, row_sum", [
    ("1", ["total", "man", "kvinna"], False),
    ("3", ["total", "kvinna", "man"], False),
    ("4", ["total", "kvinna", "man"], True),
    ("5", ["total", "kvinna", "man"], True),
])
def test_source_tables_equal_the_printed_numbers(truth, transcribed, table, columns, row_sum):
    printed = [n for line in truth[table][1] if (n := numbers_at_end(line, 3, row_sum))]
    assert printed == _csv_rows(transcribed, table, columns)


def test_tabell2_printed_cells_and_reconstructed_totals(truth, transcribed):
    lines = [l for l in truth["2"][1] if re.match(r"\d\d-\d\d ", l)]
    ages, total = lines[:-1], lines[-1]
    printed = [numbers_at_end(re.sub(r"^\d\d-\d\d ", "", l), 2, False) for l in ages]
    csv = _csv_rows(transcribed, "2", ["total", "kvinna", "man"])
    assert [row[1:] for row in csv[:-1]] == printed
    assert csv[-1] == numbers_at_end(re.sub(r"^\d\d-\d\d ", "", total), 3, True)
    # The lost column is reconstructed only because the printed cells add up to the 18–64 row.
    assert [sum(col) for col in zip(*printed)] == csv[-1][1:]
    assert [row[0] for row in csv[:-1]] == [w + m for w, m in printed]


def test_sick_leave_tables(truth, transcribed):
    printed = {}
    for line in truth["sjukfall"][1]:
        for name in ("Rehabiliterings-penning", "Sjukpenning"):
            if line.startswith(name + " "):
                printed[name] = numbers_at_end(line[len(name):], 8, False)
    t = transcribed[transcribed["table"] == "sjukfall"]
    order = [f"{e}_{s}" for e in ("hel", "tre_fjardedelar", "halv", "en_fjardedel") for s in ("kvinna", "man")]
    for name, row in (("Rehabiliterings-penning", "rehabiliteringspenning"), ("Sjukpenning", "sjukpenning")):
        cells = t[t["row"] == row].set_index("column")["value"]
        assert [float(cells[c]) for c in order] == printed[name]


def published_summary(truth) -> tuple[dict[str, float], float, float]:
    """({label share: count}, total, percentage) parsed from the document's summary."""
    rows = {}
    total = pct = None
    for line in truth["sammanstallning"][1]:
        m = re.match(r"^(.*\((\d+)\s?%\))\s+([\d ]+)$", line)
        if m:
            rows[m.group(1)] = float(m.group(3).replace(" ", ""))
        t = re.match(r"^Totalt ([\d ]+)$", line)
        if t:
            total = float(t.group(1).replace(" ", ""))
        p = re.search(r"(\d+,\d) %", line)
        if p:
            pct = float(p.group(1).replace(",", "."))
    return rows, total, pct


def test_calculation_reproduces_every_published_row_total_and_percentage(truth):
    rows, total, pct = published_summary(truth)
    assert len(rows) == 6 and total == 483300 and pct == 6.6
    assumptions = parse_assumptions(load_params(REPO / "params.yaml"))
    calc = calculate(assumptions).set_index("group")["estimate"]
    # The document's row labels, in its order, to this project's groups.
    order = ["neet", "ekonomiskt_bistand", "arbetslosa", "aktivitetsersattning", "sjukskrivna", "sjukersattning_deltid"]
    assert [float(calc[g]) for g in order] == list(rows.values())
    assert float(calc["totalt"]) == total
    assert round(100 * calc["totalt"] / assumptions.population, 1) == pct


def test_ground_truth_is_a_verbatim_copy_of_the_seed(truth):
    if not SEED.is_file():
        pytest.skip("../shared/seeds is not beside this checkout")
    seed = SEED.read_text(encoding="utf-8").splitlines()
    for name, (first, lines) in truth.items():
        assert seed[first - 1: first - 1 + len(lines)] == lines, name
