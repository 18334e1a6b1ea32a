"""The publication layer: disclosure control over every table that shares people.

Every reader-facing number counted from microdata passes through here. The tables of one
unit (the nation, or one area such as a samordningsförbund) are described together in a
:class:`Linked` set:

* **cells** – counts of people (or insatser) under a key; a cell can be *published* as a
  count, or only used (the numerator or denominator behind a published share). A count of
  activities, not people (``people=False``: Tabell 5's insatser), is never hidden for being small:
  it reveals no count of people. It is hidden only where the control finds that showing it would
  narrow a hidden count of people (complementary suppression, through a total, subset or share it
  is linked to);
* **totals** – a cell that is the sum of other cells (a margin);
* **subsets** – a cell whose people are among another cell's (``small ≤ big``), e.g. the
  new participants of a year are among that year's ongoing ones;
* **same** – two keys that count the same people in two tables (one cell, hidden together);
* **shares** – a published percentage of two cells, rounded to some decimals.

:meth:`Linked.solve` hides every cell below the threshold (primary suppression, published
or not) and then, until none is exposed, more cells and shares (complementary suppression):
a hidden cell is exposed when the smallest and the largest value it can take, given every
shown count, every shown share with its rounding interval, every total, subset and identity,
and that counts are never negative, differ by less than the protection interval. Those
bounds come from linear programming (HiGHS, through highspy) over all linked tables at once, so a
hidden cell cannot be recovered from a share in one table and a denominator in another.

Hiding a share or a count only removes information, so a component of the constraint graph
that was safe stays safe; only the component that changed is checked again.

The settings live in params.yaml (``disclosure``); :func:`settings` checks them, and
:func:`method_sentence` states them in the reports. Hidden cells are shown as ".."
(``fmt.SUPPRESSED``). Each module that publishes numbers (register_tables, models) builds
its cells here and writes only what :class:`Decision` says is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable

import numpy as np
import pandas as pd

from ..core.errors import ConfigError

Key = Hashable
MIN_THRESHOLD = 3


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """``threshold``: counts below it are hidden; ``protection``: how wide the range of values a
    hidden cell could take, given everything published, must at least be."""

    threshold: int = 5
    protection: int = 5


def settings(params: dict[str, Any], source: str = "params.yaml") -> Settings:
    """The checked ``disclosure`` section (rules and defaults: pipeline/core/config.py, DisclosureParams)."""
    from ..core.config import disclosure_settings

    spec = disclosure_settings(params.get("disclosure"), source)
    return Settings(spec.min_cell_count, spec.protection)


def method_sentence(s: Settings) -> str:
    """The report's statement of the setting and the suppression pattern (Swedish)."""
    return (f"Sekretess: celler med färre än {s.threshold} personer döljs (\"..\"), liksom celler, andelar och "
            f"skattningar som annars kunde räknas fram ur det som visas, också tillsammans med bilagans andra "
            f"tabeller. Varje dold cell kan ur allt som publiceras bara ringas in till ett intervall som är minst "
            f"{s.protection} personer brett.")


# --------------------------------------------------------------------------- the linked tables
@dataclass
class Share:
    key: Key
    num: Key
    den: Key
    decimals: int | None  # None: written with full precision
    protect: tuple[Key, ...] = ()  # cells that must stay protected when the share is hidden


class _Cells:
    """Counts under keys, some keys aliases of others (the same people in two tables)."""

    values: dict[Key, int]
    aliases: dict[Key, Key]

    def _root(self, key: Key) -> Key:
        while key in self.aliases:
            key = self.aliases[key]
        return key

    def has(self, key: Key) -> bool:
        return self._root(key) in self.values

    def value(self, key: Key) -> int:
        """The true count (to compute a published share or a check; never to be written itself)."""
        return self.values[self._root(key)]


@dataclass
class Decision(_Cells):
    """What may be published: cells and shares hidden, and why."""

    values: dict[Key, int]
    hidden_cells: set[Key]
    primary: set[Key]
    hidden_shares: set[Key]
    aliases: dict[Key, Key]
    structural: set[Key] = field(default_factory=set)  # pinned by the definitions alone

    def hidden(self, key: Key) -> bool:
        return self._root(key) in self.hidden_cells

    def count(self, key: Key):
        """The count as published: the value, or ``pd.NA`` if hidden."""
        return pd.NA if self.hidden(key) else self.values[self._root(key)]

    def share_hidden(self, key: Key) -> bool:
        return key in self.hidden_shares


@dataclass
class Linked(_Cells):
    """The cells, margins, subsets, identities and shares of every table of one unit."""

    threshold: int = 5
    protection: int | None = None
    values: dict[Key, int] = field(default_factory=dict)
    published: set[Key] = field(default_factory=set)
    sums: list[tuple[Key, list[Key]]] = field(default_factory=list)
    subsets: list[tuple[Key, Key]] = field(default_factory=list)
    shares: dict[Key, Share] = field(default_factory=dict)
    aliases: dict[Key, Key] = field(default_factory=dict)
    forced: set[Key] = field(default_factory=set)  # published cells to hide whatever their size (and protect)
    forced_shares: set[Key] = field(default_factory=set)  # shares to hide from the start
    kept: set[Key] = field(default_factory=set)  # published cells another publication shows: never hidden here
    activities: set[Key] = field(default_factory=set)  # counts of activities, not people: no primary suppression
    kept_shares: set[Key] = field(default_factory=set)  # shares another publication shows: never hidden here
    free: set[Key] = field(default_factory=set)  # unpublished counts that need no protection of their own

    # ---------------------------------------------------------------- building
    def cell(self, key: Key, value: int, published: bool = True, people: bool = True) -> Key:
        value = int(value)
        if value < 0:
            raise ValueError(f"cell {key!r}: a count cannot be negative ({value})")
        root = self._root(key)
        if root in self.values and self.values[root] != value:
            raise ValueError(f"cell {key!r} given two values ({self.values[root]} and {value})")
        self.values[root] = value
        if published:
            self.published.add(root)
        if not people:
            self.activities.add(root)
        return key

    def total(self, key: Key, parts: Iterable[Key], published: bool = True, people: bool = True) -> Key:
        parts = list(parts)
        value = sum(self.values[self._root(p)] for p in parts)
        self.cell(key, value, published, people)
        self.sums.append((key, parts))
        return key

    def subset(self, small: Key, big: Key) -> None:
        if self.value(small) > self.value(big):
            raise ValueError(f"{small!r} cannot be a subset of {big!r}: it is larger")
        self.subsets.append((small, big))

    def same(self, a: Key, b: Key) -> None:
        """``a`` and ``b`` count the same people: one cell, hidden everywhere together."""
        ra, rb = self._root(a), self._root(b)
        if ra == rb:
            return
        if self.values[ra] != self.values[rb]:
            raise ValueError(f"{a!r} and {b!r} are not the same cell ({self.values[ra]} ≠ {self.values[rb]})")
        self.aliases[rb] = ra
        del self.values[rb]
        if rb in self.published:
            self.published.discard(rb)
            self.published.add(ra)

    def share(self, key: Key, num: Key, den: Key, decimals: int | None = 0, protect: Iterable[Key] = ()) -> Key:
        self.shares[key] = Share(key, num, den, decimals, tuple(protect))
        return key

    def hide(self, key: Key) -> None:
        """Hide a published cell whatever its size, and protect it like a small one: used when another
        unit's publication (e.g. a national total that is the sum of the areas') could reveal it."""
        self.forced.add(key)

    def keep(self, key: Key) -> None:
        """Never hide this published cell: another publication shows it anyway (hiding it here would
        protect nothing), so complementary suppression must find other numbers to hide."""
        self.kept.add(key)

    def no_threshold(self, key: Key) -> None:
        """An unpublished count whose smallness reveals nobody by itself, so the threshold does not
        apply to it: the positive answers among a number of answers (the survey's rule is on the
        answers; a share is hidden with its denominator). It still links the cells it is part of."""
        if key in self.published:
            raise ValueError(f"{key!r}: a published count always has the threshold")
        self.free.add(self._root(key))

    def hide_share(self, key: Key) -> None:
        """Hide a share from the start (e.g. one an earlier, narrower control already hid)."""
        self.forced_shares.add(key)

    def keep_share(self, key: Key) -> None:
        """Never hide this share: another publication shows it (the share-level :meth:`keep`)."""
        self.kept_shares.add(key)

    # ---------------------------------------------------------------- solving
    def solve(self) -> Decision:
        return _Solver(self).run()


def share_value(num: int, den: int, decimals: int | None) -> float:
    from ..core.fmt import round_half_up

    exact = 100.0 * num / den
    return exact if decimals is None else float(round_half_up(exact, decimals))


class _LinearProgram:
    """One component's linear program (counts ≥ 0; equalities and inequalities), held in HiGHS
    (highspy, the solver scipy's linprog also uses) and solved for one cell at a time: only the
    objective changes, so each solve starts from the previous basis. Built once per component and
    reused for every cell in it (a component can span every förbund and the nation)."""

    def __init__(self, n: int, a_eq, b_eq, a_ub, b_ub):
        import highspy
        from scipy.sparse import csc_matrix, vstack

        self._highspy = highspy
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, inf)
        blocks = [(a, b, b) for a, b in ((a_eq, b_eq),) if a is not None]
        blocks += [(a, np.full(len(b), -inf), b) for a, b in ((a_ub, b_ub),) if a is not None]
        if blocks:
            a = csc_matrix(vstack([blk[0] for blk in blocks]))
            lp.num_row_ = a.shape[0]
            lp.row_lower_ = np.concatenate([blk[1] for blk in blocks])
            lp.row_upper_ = np.concatenate([blk[2] for blk in blocks])
            lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
            lp.a_matrix_.num_col_ = n
            lp.a_matrix_.num_row_ = a.shape[0]
            lp.a_matrix_.start_ = a.indptr
            lp.a_matrix_.index_ = a.indices
            lp.a_matrix_.value_ = a.data
        self.h.passModel(lp)
        self.current: int | None = None

    def optimum(self, column: int, maximise: bool) -> float | None:
        """The largest (smallest) value of one variable; None when unbounded. Any other outcome than an
        optimum stops: a bound that could not be found must not count as a wide one."""
        hs = self._highspy
        if self.current is not None and self.current != column:
            self.h.changeColCost(self.current, 0.0)
        self.h.changeColCost(column, 1.0)
        self.current = column
        self.h.changeObjectiveSense(hs.ObjSense.kMaximize if maximise else hs.ObjSense.kMinimize)
        self.h.run()
        status = self.h.getModelStatus()
        if status in (hs.HighsModelStatus.kUnbounded, hs.HighsModelStatus.kUnboundedOrInfeasible):
            return None  # the true counts are a solution, so "or infeasible" is unbounded here
        if status != hs.HighsModelStatus.kOptimal:
            raise RuntimeError(f"disclosure control: the linear program could not bound a cell "
                               f"({self.h.modelStatusToString(status)})")
        return float(self.h.getInfo().objective_function_value)

    def box(self, upper: np.ndarray | None) -> None:
        """Upper bounds on every variable (None: none). A point inside a box is a point of the problem."""
        n = self.h.getNumCol()
        upper = np.full(n, self._highspy.kHighsInf) if upper is None else np.asarray(upper, dtype=float)
        self.h.changeColsBounds(n, np.arange(n, dtype=np.int32), np.zeros(n), upper)

    def spread(self, weights: np.ndarray) -> bool:
        """Minimise ``weights · x`` (a direction that moves many cells at once); False if not solved."""
        hs = self._highspy
        self.current = None
        n = len(weights)
        self.h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(weights, dtype=float))
        self.h.changeObjectiveSense(hs.ObjSense.kMinimize)
        self.h.run()
        solved = self.h.getModelStatus() == hs.HighsModelStatus.kOptimal
        self.h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
        return solved

    def solution(self) -> np.ndarray:
        """The last solve's values of every variable (a point every published number allows)."""
        return np.asarray(self.h.getSolution().col_value, dtype=float)


@dataclass
class _Component:
    """Unknown cells linked by constraints, their linear program (None: nothing published bounds
    them) and, per variable, the smallest and largest value seen in a feasible point."""

    cells: set
    constraints: list
    lp: "_LinearProgram | None" = None
    index: dict = field(default_factory=dict)
    order: list = field(default_factory=list)
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None


class _Solver:
    def __init__(self, linked: Linked):
        self.l = linked
        self.protection = linked.protection if linked.protection is not None else linked.threshold
        r = linked._root
        self.values = linked.values
        self.sums = [(r(t), [r(p) for p in parts]) for t, parts in linked.sums]
        self.subsets = [(r(a), r(b)) for a, b in linked.subsets]
        self.shares = {k: Share(k, r(s.num), r(s.den), s.decimals, tuple(r(p) for p in s.protect))
                       for k, s in linked.shares.items()}
        activities = {r(k) for k in linked.activities}
        self.primary = {k for k, v in self.values.items()
                        if v < linked.threshold and k not in activities and k not in linked.free}
        self.structural: set[Key] = set()  # pinned by definitions alone, whatever is hidden
        self._cache: _Component | None = None  # the last component's cells, constraints and linear program
        self.spans: dict[Key, tuple[float, float]] = {}  # values seen in feasible points, when not only the true one
        self.solves = self.certified = 0  # how many bounds were solved for, and how many were known from points
        self.hides = 0  # numbers hidden beyond the start
        self.hidden = {k for k in self.primary if k in linked.published} | {r(k) for k in linked.forced}
        self.hidden_shares = {k for k, s in self.shares.items() if s.den not in self.values or self.values[s.den] == 0}
        self.hidden_shares |= set(linked.forced_shares) & set(self.shares)
        self.kept = {r(k) for k in linked.kept}
        if self.kept & self.hidden:
            raise ValueError(f"a cell both kept and hidden: {sorted(self.kept & self.hidden, key=repr)[0]!r}")
        self.kept_shares = set(linked.kept_shares) & set(self.shares)
        if self.kept_shares & self.hidden_shares:
            raise ValueError(f"a share both kept and hidden: {sorted(self.kept_shares & self.hidden_shares, key=repr)[0]!r}")
        # the constraints each cell takes part in
        self.touch: dict[Key, list[tuple[str, int | Key]]] = {k: [] for k in self.values}
        for i, (t, parts) in enumerate(self.sums):
            for c in {t, *parts}:
                self.touch[c].append(("sum", i))
        for i, (a, b) in enumerate(self.subsets):
            self.touch[a].append(("sub", i))
            self.touch[b].append(("sub", i))
        for k, s in self.shares.items():
            for c in {s.num, s.den}:
                self.touch[c].append(("share", k))

    # which numbers are known to a reader
    def shown(self, cell: Key) -> bool:
        return cell in self.l.published and cell not in self.hidden

    def share_visible(self, key: Key) -> bool:
        s = self.shares[key]
        if key in self.hidden_shares:
            return False
        return not any(c in self.hidden or c in self.primary for c in (s.num, s.den))

    def protected(self) -> set[Key]:
        out = set(self.hidden) | self.primary
        for k, s in self.shares.items():
            if not self.share_visible(k):
                out.update(s.protect)
        return out

    def component(self, start: Key) -> tuple[set[Key], list[tuple[str, int | Key]]]:
        """Unknown cells reachable from ``start`` through constraints, and those constraints."""
        seen, todo, constraints, done = {start}, [start], [], set()
        while todo:
            cell = todo.pop()
            for con in self.touch[cell]:
                if con in done:
                    continue
                if con[0] == "share" and not self.share_visible(con[1]):
                    continue
                done.add(con)
                constraints.append(con)
                for other in self._members(con):
                    if other not in seen and not self.shown(other):
                        seen.add(other)
                        todo.append(other)
        return seen, constraints

    def _members(self, con) -> list[Key]:
        kind, ref = con
        if kind == "sum":
            t, parts = self.sums[ref]
            return [t, *parts]
        if kind == "sub":
            return list(self.subsets[ref])
        s = self.shares[ref]
        return [s.num, s.den]

    def _program(self, cells: set[Key], constraints) -> tuple[dict, dict]:
        """The linear program of one component: unknown cells as variables, shown ones as constants.
        Sparse matrices: a component can span many units (every förbund and the nation)."""
        from scipy.sparse import csr_matrix

        order = sorted(cells, key=repr)
        index = {c: i for i, c in enumerate(order)}
        n = len(order)
        eq: tuple[list, list, list, list] = ([], [], [], [])  # rows, columns, coefficients, right-hand sides
        ub: tuple[list, list, list, list] = ([], [], [], [])

        def add(target, terms, rhs_extra: float = 0.0):  # sum(coef · cell) (≤ or =) 0, shown cells moved right
            rows, cols, data, rhs = target
            const = 0.0
            for coef, cell in terms:
                if cell in index:
                    rows.append(len(rhs))
                    cols.append(index[cell])
                    data.append(coef)
                else:
                    const += coef * self.values[cell]
            rhs.append(-const + rhs_extra)

        for kind, ref in constraints:
            if kind == "sum":
                t, parts = self.sums[ref]
                add(eq, [(1.0, t)] + [(-1.0, p) for p in parts])
            elif kind == "sub":
                a, b = self.subsets[ref]
                add(ub, [(1.0, a), (-1.0, b)])
            else:
                s = self.shares[ref]
                p = share_value(self.values[s.num], self.values[s.den], s.decimals)
                half = 1e-9 if s.decimals is None else 0.5 * 10 ** (-s.decimals)
                # (p − half)·den ≤ 100·num ≤ (p + half)·den
                add(ub, [(100.0, s.num), (-(p + half), s.den)], 1e-7)
                add(ub, [(-100.0, s.num), (p - half, s.den)], 1e-7)

        def matrix(target):
            rows, cols, data, rhs = target
            if not rhs:
                return None, None
            return csr_matrix((data, (rows, cols)), shape=(len(rhs), n)), np.array(rhs)

        a_eq, b_eq = matrix(eq)
        a_ub, b_ub = matrix(ub)
        return index, _LinearProgram(n, a_eq, b_eq, a_ub, b_ub)

    # Every solve returns a point that every published number allows (the true counts are one). A
    # cell's values over all points seen so far span at most its range, so once they span the
    # protection interval the cell is safe without solving for it. Points stay valid when more is
    # hidden (that only adds points), so the spans are kept across components and rebuilds.
    SPREAD_MIN = 40  # components with at least this many unknown cells are first pushed in a few directions
    USE_POINTS = True  # False: solve every bound (the same decisions, more solves; for tests and benchmarks)

    def _observe(self, comp: "_Component") -> None:
        x = comp.lp.solution()
        if len(x) == len(comp.order):
            np.minimum(comp.lo, x, out=comp.lo)
            np.maximum(comp.hi, x, out=comp.hi)

    def _spread(self, comp: "_Component") -> None:
        """Solve a few objectives that move every unknown cell at once (down, up, two random mixes),
        inside a box of 2 × the protection above each true value (so each is bounded; a point in
        the box is a point of the whole problem), and keep the points."""
        n = len(comp.order)
        true = np.array([self.values[c] for c in comp.order], dtype=float)
        rng = np.random.default_rng(n)
        lp = comp.lp
        lp.box(true + 2.0 * self.protection)
        for weights in (np.ones(n), -np.ones(n), rng.choice([-1.0, 1.0], n), rng.choice([-1.0, 1.0], n)):
            if lp.spread(weights):
                self._observe(comp)
        lp.box(None)

    def _wide(self, lo: float, hi: float) -> bool:
        """Does the range [lo, hi] a hidden cell can take span the protection interval?"""
        return hi - lo >= self.protection - 1e-6

    def _certified(self, comp: "_Component", i: int) -> bool:
        return self._wide(comp.lo[i], comp.hi[i])

    def _keep_spans(self) -> None:
        if self._cache is not None and self._cache.lp is not None:
            comp = self._cache
            for i in np.flatnonzero(comp.hi > comp.lo):
                self.spans[comp.order[i]] = (float(comp.lo[i]), float(comp.hi[i]))
        self._cache = None

    def is_exposed(self, cell: Key) -> bool:
        span = self.spans.get(cell)
        if self.USE_POINTS and span is not None and self._wide(*span):
            self.certified += 1
            return False
        if self._cache is None or cell not in self._cache.cells:
            self._keep_spans()
            cells, constraints = self.component(cell)
            comp = _Component(cells, constraints)
            if any(self.shown(m) for con in constraints for m in self._members(con)):  # else nothing bounds it
                index, comp.lp = self._program(cells, constraints)
                comp.order = sorted(index, key=index.get)
                comp.index = index
                comp.lo = np.array([self.spans.get(c, (self.values[c], self.values[c]))[0] for c in comp.order], dtype=float)
                comp.hi = np.array([self.spans.get(c, (self.values[c], self.values[c]))[1] for c in comp.order], dtype=float)
                if self.USE_POINTS and len(comp.order) >= self.SPREAD_MIN:
                    self._spread(comp)
            self._cache = comp
        comp = self._cache
        if comp.lp is None:
            return False
        i = comp.index[cell]
        if self.USE_POINTS and self._certified(comp, i):
            self.certified += 1
            return False
        # The largest value first: when it is unbounded, or far enough above, one program decides.
        hi = comp.lp.optimum(i, maximise=True)
        self.solves += 1
        if hi is None:
            return False  # unbounded above
        if self.USE_POINTS:
            self._observe(comp)
            if self._wide(comp.lo[i], max(comp.hi[i], hi)):
                return False
        lo = comp.lp.optimum(i, maximise=False)  # never unbounded: counts are not negative
        self.solves += 1
        if self.USE_POINTS:
            self._observe(comp)
        return not self._wide(lo, hi)

    def hide_one(self, cell: Key) -> bool:
        """Hide the least informative shown number near the exposed cell: of the constraints one step
        away (through unknown cells) a share first, else the smallest count; if none, two steps, and so
        on. Near, because a component can span every förbund and year, and a number far away does not
        widen this cell's range."""
        self._keep_spans()
        reached, layer, done = {cell}, [cell], set()
        while layer:
            constraints = []
            for c in layer:
                for con in self.touch[c]:
                    if con in done or (con[0] == "share" and not self.share_visible(con[1])):
                        continue
                    done.add(con)
                    constraints.append(con)
            shares = sorted((ref for kind, ref in constraints if kind == "share" and ref not in self.kept_shares), key=repr)
            if shares:
                self.hidden_shares.add(shares[0])
                self.hides += 1
                return True
            candidates = {m for con in constraints for m in self._members(con) if self.shown(m) and m not in self.kept}
            if candidates:
                self.hidden.add(min(candidates, key=lambda c: (self.values[c], repr(c))))
                self.hides += 1
                return True
            layer = list(dict.fromkeys(m for con in constraints for m in self._members(con)
                                       if m not in reached and not self.shown(m)))
            reached.update(layer)
        return False  # pinned by the definitions alone (a structural zero): nothing published to hide

    def run(self) -> Decision:
        # A protected cell found safe stays safe: hiding a share or a count only removes information.
        # So each protected cell is bounded until it is safe, hiding one more number at a time.
        # The queue of cells to check is made again only after something more was hidden.
        safe: set[Key] = set()
        queue: list[Key] = []
        made_at = None
        while True:
            if made_at != self.hides:
                queue = sorted((c for c in self.protected() if c not in safe), key=repr, reverse=True)
                made_at = self.hides
            while queue and queue[-1] in safe:
                queue.pop()
            if not queue:
                break
            cell = queue.pop()
            while self.is_exposed(cell):
                if not self.hide_one(cell):
                    self.structural.add(cell)
                    break
            safe.add(cell)
        for k in list(self.shares):
            if not self.share_visible(k):
                self.hidden_shares.add(k)
        return Decision(dict(self.values), set(self.hidden), set(self.primary), set(self.hidden_shares),
                        dict(self.l.aliases), set(self.structural))


# --------------------------------------------------------------------------- one table
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


def add_table(linked: Linked, name: Hashable, counts: pd.DataFrame, row_totals: bool = False,
              col_totals: bool = False) -> None:
    """Cells ``(name, row, column)``, with margins ``(name, row, "total")`` / ``(name, "total", column)``."""
    for i in counts.index:
        for j in counts.columns:
            linked.cell((name, i, j), int(counts.loc[i, j]))
    if row_totals:
        for i in counts.index:
            linked.total((name, i, "total"), [(name, i, j) for j in counts.columns])
    if col_totals:
        for j in counts.columns:
            linked.total((name, "total", j), [(name, i, j) for i in counts.index])


def table_result(decision: Decision, name: Hashable, counts: pd.DataFrame, row_totals: bool = False,
                 col_totals: bool = False) -> Suppressed:
    hidden = pd.DataFrame([[decision.hidden((name, i, j)) for j in counts.columns] for i in counts.index],
                          index=counts.index, columns=counts.columns, dtype=bool)
    primary = pd.DataFrame([[(name, i, j) in decision.primary for j in counts.columns] for i in counts.index],
                           index=counts.index, columns=counts.columns, dtype=bool)
    return Suppressed(
        counts=counts, hidden=hidden,
        row_totals=counts.sum(axis=1) if row_totals else None,
        col_totals=counts.sum(axis=0) if col_totals else None,
        hidden_row_totals=pd.Series([decision.hidden((name, i, "total")) for i in counts.index], index=counts.index,
                                    dtype=bool) if row_totals else None,
        hidden_col_totals=pd.Series([decision.hidden((name, "total", j)) for j in counts.columns],
                                    index=counts.columns, dtype=bool) if col_totals else None,
        primary=primary,
    )


def suppress(counts: pd.DataFrame, threshold: int = 5, row_totals: bool = False, col_totals: bool = False,
             protection: int | None = None) -> Suppressed:
    """One table on its own: hide counts below ``threshold`` and enough others (and margins)
    that no hidden cell can be narrowed to less than ``protection`` (default: the threshold).
    Tables that share people go through :class:`Linked` together instead."""
    linked = Linked(threshold, protection)
    add_table(linked, "t", counts, row_totals, col_totals)
    return table_result(linked.solve(), "t", counts, row_totals, col_totals)
