"""Backtest: Tabell 1–6 counted from the cleaned demo microdata equal the document's Bilaga 1.

Ground truth is the verbatim copy of the document's tables (``002_bilaga1_tabeller.txt``,
parsed by ``parse_ground_truth``). Women and men, Tabell 5 and Tabell 6 must agree cell for
cell. The document itself disagrees with itself in a few cells, which the microdata cannot
reproduce both ways; they are listed here with the reason, and nothing else may differ.
"""

from __future__ import annotations

import math

import pytest

from pipeline.reports.bilaga1 import Bilaga1

from .test_bilaga1_backtest import parse_ground_truth

pytestmark = pytest.mark.slow

# (table, year, column): why the microdata (total = women + men) cannot match the print.
DOCUMENT_INCONSISTENCIES = {
    (1, "2021", "Total"): "773 + 711 = 1 484, printed 1 485",
    (2, "2016", "Total"): "544 + 467 = 1 011, printed 1 021",
    (3, "2018", "Total"): "2 987 + 1 168 = 4 155, printed 4 146",
    (1, "2022", "Kvinna %"): "shares of women and men swapped in print (819 / 1 581 = 52 %, printed 48 %)",
    (1, "2022", "Man %"): "swapped, see above",
    (2, "2022", "Kvinna %"): "swapped (417 / 808 = 52 %, printed 48 %)",
    (2, "2022", "Man %"): "swapped, see above",
}


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_tables_from_microdata_equal_the_published_tables(register_project):
    report = Bilaga1.from_parameters(2022, {"published": register_project.published_processed,
                                             "register_tables": register_project.processed / "register" / "tabeller"},
                                     "microdata", synthetic=True)
    got = {(int(r.table), r.row, r.column): float(r.value) for r in report.table_cells().itertuples()}
    truth = parse_ground_truth()
    assert set(got) == set(truth)
    differ = {k for k in truth if not _same(got[k], truth[k])}
    assert differ == set(DOCUMENT_INCONSISTENCIES)
    for (table, year, column), reason in DOCUMENT_INCONSISTENCIES.items():
        if column == "Total":
            assert got[(table, year, column)] == truth[(table, year, "Kvinna")] + truth[(table, year, "Man")], reason


@pytest.mark.parametrize("year", [2016, 2019, 2022])
def test_comparison_section_lists_exactly_the_inconsistencies(register_project, year):
    report = Bilaga1.from_parameters(year, {"published": register_project.published_processed,
                                             "register_tables": register_project.processed / "register" / "tabeller"},
                                     "microdata", synthetic=True)
    differ = report.comparison_rows()
    differ = {(int(r.table), r.row, r.column) for r in differ[~differ["same"]].itertuples()}
    expected = {k for k in DOCUMENT_INCONSISTENCIES if int(k[1]) <= year}
    assert differ == expected
    assert report.quality_markdown().startswith("## Datakvalitet")
    assert "Syntetiska data" in report.banner_markdown()
