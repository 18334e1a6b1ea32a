"""Disclosure control for count tables built from microdata.

Primary suppression hides every count below the threshold (params.yaml
``disclosure.min_cell_count``, default 5), margins included. Complementary suppression then
hides further cells until no hidden cell can be worked out from what is shown: for every
hidden cell the smallest and largest value it can take, given the shown cells, the shown row
and column totals and that counts are never negative, must differ. Those bounds are found
by linear programming; the constraint matrix of a table with margins is totally unimodular,
so the bounds are whole numbers and "they differ" means at least two possible tables.

Hidden cells are shown as ".." (``fmt.SUPPRESSED``) in the reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Suppressed:
    """A table after disclosure control: counts, and masks of what is hidden."""

    counts: pd.DataFrame  # interior counts (all of them; never published as such)
    hidden: pd.DataFrame  # bool, same shape: True = shown as ".."
    row_totals: pd.Series | None
    col_totals: pd.Series | None
    hidden_row_totals: pd.Series | None
    hidden_col_totals: pd.Series | None
    primary: pd.DataFrame  # bool: hidden because below the threshold

    def shown(self) -> pd.DataFrame:
        """Counts with hidden cells as NA (nullable integers)."""
        return self.counts.astype("Int64").mask(self.hidden)


def _bounds(values: np.ndarray, hidden: np.ndarray, row_eq: np.ndarray, col_eq: np.ndarray) -> list[tuple[int, int, float, float]]:
    """(i, j, min, max) of every hidden cell given the shown information."""
    from scipy.optimize import linprog

    cells = [tuple(c) for c in np.argwhere(hidden)]
    if not cells:
        return []
    index = {c: k for k, c in enumerate(cells)}
    rows, rhs = [], []
    n_rows, n_cols = values.shape
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows) if row_eq[i]]
    lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols) if col_eq[j]]
    for line in lines:  # each shown total: the hidden cells of its line add up to total − shown cells
        members = [index[c] for c in line if hidden[c]]
        if members:
            a = np.zeros(len(cells))
            a[members] = 1
            rows.append(a)
            rhs.append(sum(values[c] for c in line if hidden[c]))
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    out = []
    for k, (i, j) in enumerate(cells):
        c = np.zeros(len(cells))
        c[k] = 1
        # Without any equation a hidden cell is unbounded above (no upper bound is published).
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        lo = low.fun if low.status == 0 else 0.0
        hi = -high.fun if high.status == 0 else float("inf")
        out.append((int(i), int(j), float(lo), float(hi)))
    return out


def suppress(counts: pd.DataFrame, threshold: int = 5, row_totals: bool = False, col_totals: bool = False) -> Suppressed:
    """Hide counts below ``threshold`` and enough others that none can be recovered.

    ``row_totals``/``col_totals``: whether the table shows a total per row / per column (the
    sums of the interior). A total below the threshold is hidden as well, and then gives no
    information. The grand total, if a table shows one, must be checked by the caller.
    """
    values = counts.to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    primary = values < threshold
    hidden = primary.copy()
    row_sum, col_sum = values.sum(axis=1), values.sum(axis=0)
    row_eq = np.full(n_rows, row_totals) & ~(row_sum < threshold)
    col_eq = np.full(n_cols, col_totals) & ~(col_sum < threshold)
    while True:
        exposed = [(i, j) for i, j, lo, hi in _bounds(values, hidden, row_eq, col_eq) if hi - lo < 0.5]
        if not exposed:
            break
        i, j = exposed[0]
        candidates = []
        if row_eq[i]:
            candidates += [(values[i, k], i, k) for k in range(n_cols) if not hidden[i, k]]
        if col_eq[j]:
            candidates += [(values[k, j], k, j) for k in range(n_rows) if not hidden[k, j]]
        if candidates:
            _, a, b = min(candidates)
            hidden[a, b] = True
            continue
        # Every other cell of its row and column is hidden already: hide the totals that pin it.
        if row_eq[i]:
            row_eq[i] = False
        else:
            col_eq[j] = False
    return Suppressed(
        counts=counts,
        hidden=pd.DataFrame(hidden, index=counts.index, columns=counts.columns),
        row_totals=pd.Series(row_sum, index=counts.index) if row_totals else None,
        col_totals=pd.Series(col_sum, index=counts.columns) if col_totals else None,
        hidden_row_totals=pd.Series(~row_eq, index=counts.index) if row_totals else None,
        hidden_col_totals=pd.Series(~col_eq, index=counts.columns) if col_totals else None,
        primary=pd.DataFrame(primary, index=counts.index, columns=counts.columns),
    )
