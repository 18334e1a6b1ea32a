"""Backtest: the tables in the built Bilaga 1 equal the document's Bilaga 1, cell by cell.

Ground truth is ``ground_truth/002_bilaga1_tabeller.txt``, a verbatim copy of the document's
table block, read here by a parser of its own (no pipeline code).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline.reports.bilaga1 import DATA_FILE_TEMPLATE, Bilaga1

from ..conftest import GROUND_TRUTH, SHARED_SEEDS

TRUTH_FILE = GROUND_TRUTH / "002_bilaga1_tabeller.txt"
GROUPS = ["Unga med aktivitetsersättning", "Sjukskrivna", "Unga med funktionsnedsättning"]


def _num(text: str) -> float:
    text = text.strip().replace(" ", "").replace("%", "")
    return float("nan") if text == "" else float(text)


def parse_ground_truth(path: Path = TRUTH_FILE) -> dict[tuple[int, str, str], float]:
    """{(table, row, column): value} from the document's own layout."""
    cells: dict[tuple[int, str, str], float] = {}
    table = None
    header: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        title = re.match(r"\*\*Tabell (\d)", line)
        if title:
            table, header = int(title.group(1)), []
            continue
        if table is None or "\t" not in line:
            continue
        fields = line.split("\t")
        if not header:
            header = fields
            continue
        if table <= 4:
            year = fields[0]
            for name, value in zip(["Kvinna", "Kvinna %", "Man", "Man %", "Total"], fields[1:]):
                cells[(table, year, name)] = _num(value)
        elif table == 5:
            year = fields[0]
            padded = fields[1:] + [""] * (3 - len(fields[1:]))
            for name, value in zip(GROUPS, padded):
                cells[(table, year, name)] = _num(value)
        else:
            benefit = fields[0]
            for name, value in zip(header[1:], fields[1:]):
                cells[(table, benefit, name.strip())] = _num(value)
    return cells


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_ground_truth_is_the_documents_text():
    if not SHARED_SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    body = [line for line in TRUTH_FILE.read_text(encoding="utf-8").splitlines() if not line.startswith("# ")]
    seed = (SHARED_SEEDS / "002_602d25f77de43db0.txt").read_text(encoding="utf-8")
    assert "\n".join(body) in seed


def test_ground_truth_parses_to_every_cell():
    cells = parse_ground_truth()
    # 4 tables x 7 years x 5 columns, table 5: 7 x 3, table 6: 2 benefits x 8 columns
    assert len(cells) == 4 * 7 * 5 + 7 * 3 + 2 * 8
    assert cells[(1, "2022", "Total")] == 1581
    assert math.isnan(cells[(5, "2016", "Unga med funktionsnedsättning")])


@pytest.mark.slow
def test_built_report_data_equals_published_tables(built_2022):
    """Every cell of Tabell 1–6 written by the executed 2022 notebook equals the document."""
    built = pd.read_csv(built_2022 / DATA_FILE_TEMPLATE.format(year=2022), dtype={"row": str, "column": str})
    truth = parse_ground_truth()
    got = {(int(r.table), r.row, r.column): float(r.value) for r in built.itertuples()}
    assert set(got) == set(truth), f"missing {set(truth) - set(got)}, extra {set(got) - set(truth)}"
    wrong = {k: (got[k], truth[k]) for k in truth if not _same(got[k], truth[k])}
    assert not wrong


@pytest.mark.parametrize("year", range(2016, 2023))
def test_each_years_tables_hold_the_history_up_to_that_year(published_project, year):
    report = Bilaga1.from_parameters(year, {"published": published_project.published_processed},
                                     out_dir=published_project.root)
    truth = parse_ground_truth()
    cells = report.table_cells()
    got = {(int(r.table), r.row, r.column): float(r.value) for r in cells.itertuples()}
    expected = {
        k: v for k, v in truth.items()
        if (k[0] <= 5 and int(k[1]) <= year) or (k[0] == 6 and (k[2] == "Total" and year == 2022 or
                                                                  k[2] != "Total" and int(k[2]) <= year))
    }
    assert set(got) == set(expected)
    assert all(_same(got[k], expected[k]) for k in expected)
