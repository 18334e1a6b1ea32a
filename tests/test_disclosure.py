"""Disclosure control: small counts hidden, and no hidden count can be worked out from what is shown.

The attacker here is written independently of pipeline/derive/disclosure.py: it takes the published
cells and totals as constraints on a whole table of non-negative counts and asks a linear
program for the smallest and largest value each hidden cell can have.
"""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from pipeline.derive.disclosure import suppress

THRESHOLD = 5


def attacker_bounds(result) -> dict[tuple[int, int], tuple[float, float]]:
    values = result.counts.to_numpy(dtype=float)
    hidden = result.hidden.to_numpy()
    n_rows, n_cols = values.shape
    var = lambda i, j: i * n_cols + j  # noqa: E731
    a_eq, b_eq = [], []
    for i in range(n_rows):
        for j in range(n_cols):
            if not hidden[i, j]:  # a shown cell is known exactly
                row = np.zeros(n_rows * n_cols)
                row[var(i, j)] = 1
                a_eq.append(row)
                b_eq.append(values[i, j])
    totals = []
    if result.row_totals is not None:
        totals += [([var(i, j) for j in range(n_cols)], result.row_totals.iloc[i])
                   for i in range(n_rows) if not result.hidden_row_totals.iloc[i]]
    if result.col_totals is not None:
        totals += [([var(i, j) for i in range(n_rows)], result.col_totals.iloc[j])
                   for j in range(n_cols) if not result.hidden_col_totals.iloc[j]]
    for members, total in totals:  # a shown total: its whole line adds up to it
        row = np.zeros(n_rows * n_cols)
        row[members] = 1
        a_eq.append(row)
        b_eq.append(total)
    bounds = {}
    for i, j in zip(*np.nonzero(hidden)):
        c = np.zeros(n_rows * n_cols)
        c[var(i, j)] = 1
        low = linprog(c, A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None, bounds=(0, None), method="highs")
        bounds[(int(i), int(j))] = (low.fun, -high.fun if high.status == 0 else np.inf)
    return bounds


tables = st.integers(1, 5).flatmap(lambda r: st.integers(1, 5).flatmap(
    lambda c: st.lists(st.lists(st.integers(0, 40), min_size=c, max_size=c), min_size=r, max_size=r)))


@settings(max_examples=150, deadline=None)
@given(cells=tables, row_totals=st.booleans(), col_totals=st.booleans())
def test_no_hidden_cell_can_be_recovered(cells, row_totals, col_totals):
    result = suppress(pd.DataFrame(cells), THRESHOLD, row_totals=row_totals, col_totals=col_totals)
    values = result.counts.to_numpy()
    assert result.hidden.to_numpy()[values < THRESHOLD].all()  # every small count is hidden
    for (i, j), (low, high) in attacker_bounds(result).items():
        assert high - low >= 1, f"cell {(i, j)} = {values[i, j]} pinned to [{low}, {high}]"
    for totals, hidden in ((result.row_totals, result.hidden_row_totals), (result.col_totals, result.hidden_col_totals)):
        if totals is not None:  # a shown total is never itself a small count
            assert (totals[~hidden] >= THRESHOLD).all()


def test_one_small_cell_in_a_row_with_its_total_takes_a_partner():
    table = pd.DataFrame({"kvinna": [3, 40], "man": [20, 41]}, index=[2021, 2022])
    result = suppress(table, THRESHOLD, row_totals=True)
    assert result.hidden.loc[2021].tolist() == [True, True]  # 3 alone could be read as total − 20
    assert result.hidden.loc[2022].tolist() == [False, False]
    assert result.shown().loc[2022].tolist() == [40, 41]


def test_without_margins_only_small_counts_are_hidden():
    table = pd.DataFrame({"a": [3, 40], "b": [20, 0]})
    assert suppress(table, THRESHOLD).hidden.to_numpy().tolist() == [[True, False], [False, True]]


def test_nonnegativity_attack_is_blocked():
    # Shown: row totals 5 and 5, column total 10 for the first column: a = 5 would follow from
    # a + b = 5, a + c = 10, c + d = 5 with b, d ≥ 0 unless more is hidden.
    table = pd.DataFrame([[5, 0], [5, 0]])
    result = suppress(table, THRESHOLD, row_totals=True, col_totals=True)
    for low, high in attacker_bounds(result).values():
        assert high - low >= 1
