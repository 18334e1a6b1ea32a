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

from pipeline.derive.disclosure import Linked, suppress

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
        assert high - low >= THRESHOLD, f"cell {(i, j)} = {values[i, j]} narrowed to [{low}, {high}]"
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


def test_a_share_in_one_table_and_a_denominator_in_another_are_hidden_together():
    """k = 3 of n = 24 with a diagnosis: "13 %" of a published 24 gives k = 3 back (12,5–13,5 % of 24
    is 3,0–3,24), so the share must go although neither count is written."""
    linked = Linked(5)
    linked.cell("n", 24)  # e.g. Tabell 2's total, shown
    linked.cell("k", 3, published=False)
    linked.cell("r", 21, published=False)
    linked.total("n_again", ["k", "r"], published=False)
    linked.same("n", "n_again")
    linked.share("pct", "k", "n", protect=("k", "r"))
    decision = linked.solve()
    assert decision.share_hidden("pct") and not decision.hidden("n")


def test_a_share_of_a_hidden_cell_is_never_shown_and_its_partner_goes_too():
    """20 women and 4 men of 24: "83 %" beside ".." would give the 4 away."""
    linked = Linked(5)
    linked.cell("women", 20)
    linked.cell("men", 4)
    linked.total("total", ["women", "men"])
    linked.share("women %", "women", "total")
    linked.share("men %", "men", "total")
    decision = linked.solve()
    assert decision.hidden("men") and decision.hidden("women") and not decision.hidden("total")
    assert decision.share_hidden("women %") and decision.share_hidden("men %")


def test_the_same_people_in_two_tables_are_hidden_in_both():
    linked = Linked(5)
    for table in ("bilaga1", "models"):
        linked.cell((table, "women"), 3)
        linked.cell((table, "men"), 30)
        linked.total((table, "total"), [(table, "women"), (table, "men")])
    linked.same(("bilaga1", "women"), ("models", "women"))
    linked.same(("bilaga1", "men"), ("models", "men"))
    decision = linked.solve()
    assert decision.hidden(("models", "women")) and decision.hidden(("models", "men"))
    assert decision.count(("bilaga1", "men")) is pd.NA and decision.count(("models", "total")) == 33


def test_protection_interval_wider_than_the_threshold_hides_more():
    table = pd.DataFrame({"a": [2, 40], "b": [6, 41]})
    narrow = suppress(table, 5, row_totals=True, protection=5)
    wide = suppress(table, 5, row_totals=True, protection=20)
    assert narrow.hidden.loc[0].tolist() == [True, True] and not narrow.hidden_row_totals[0]
    assert wide.hidden_row_totals[0]  # a total of 8 cannot give a range 20 wide: it goes too


def test_a_bound_the_solver_could_not_find_stops_instead_of_counting_as_wide(monkeypatch):
    """A linear program stopped early (here: no time at all) must not pass a cell as protected."""
    import pytest

    from pipeline.derive import disclosure

    original = disclosure._LinearProgram.__init__

    def no_time(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.h.setOptionValue("time_limit", 0.0)

    monkeypatch.setattr(disclosure._LinearProgram, "__init__", no_time)
    counts = pd.DataFrame([[2, 40], [30, 50]])
    with pytest.raises(RuntimeError, match="could not bound a cell"):
        suppress(counts, THRESHOLD, row_totals=True, col_totals=True)


def test_points_seen_in_earlier_solves_give_the_same_decision_as_solving_every_bound():
    """The shortcut (a cell whose values over feasible points already span the interval is safe)
    changes how many programs are solved, never what is hidden."""
    from pipeline.derive import disclosure

    rng = np.random.default_rng(3)
    for _ in range(20):
        counts = pd.DataFrame(rng.integers(0, 30, size=(4, 5)))
        try:
            disclosure._Solver.SPREAD_MIN = 1  # push every component in a few directions first, however small
            with_points = suppress(counts, THRESHOLD, row_totals=True, col_totals=True)
        finally:
            disclosure._Solver.SPREAD_MIN = 40
        try:
            disclosure._Solver.USE_POINTS = False  # every bound solved
            every = suppress(counts, THRESHOLD, row_totals=True, col_totals=True)
        finally:
            disclosure._Solver.USE_POINTS = True
        assert with_points.hidden.equals(every.hidden)
        assert with_points.hidden_row_totals.equals(every.hidden_row_totals)
        assert with_points.hidden_col_totals.equals(every.hidden_col_totals)


def test_counts_of_activities_are_not_hidden_for_being_small_but_people_are():
    """Insatser (activities, not people; Linked.cell(..., people=False)) below the threshold are shown;
    people below it are hidden. An activity total of small activity counts is shown too. If an
    activity count were linked to a hidden count of people (here a made-up total of people and
    activities), complementary suppression could still hide it: the rule is about what it reveals."""
    from pipeline.derive.disclosure import Linked

    linked = Linked(5, 5)
    a = [linked.cell(("I", g), v, people=False) for g, v in (("x", 2), ("y", 1), ("z", 0))]
    linked.total(("I", "total"), a, people=False)
    linked.cell(("P", "small"), 2)
    decision = linked.solve()
    assert not any(decision.hidden(k) for k in [*a, ("I", "total")])
    assert decision.hidden(("P", "small"))
    mixed = Linked(5, 5)
    people = mixed.cell(("P", "a"), 3)
    activity = mixed.cell(("I", "a"), 40, people=False)
    mixed.total(("M", "sum"), [people, activity])
    d = mixed.solve()
    assert d.hidden(("P", "a")) and (d.hidden(("I", "a")) or d.hidden(("M", "sum")))
