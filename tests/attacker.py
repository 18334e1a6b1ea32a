"""An attacker over everything a build publishes, written apart from pipeline/disclosure.py.

It reads only published outputs (the tables written for reports and readers, the report's table
CSV and sentences, the model tables) and knows the definitions a reader knows:

* a total is women + men; the new participants of a year are among that year's ongoing ones;
* Tabell 6's share is k/n of the new participants, n is Tabell 2's (4's) total, the pooled share
  pools the years;
* the Modellbilaga's participants are Tabell 1's (3's) participants: the same people by sex, the
  same total; its categories add up to the totals; participants are among everyone with the
  benefit; the new participants with a diagnosis are among the participants with one;
* a share written as a whole per cent lies within half a per cent of the truth (rounding), a
  share written with full precision is exact; a balance row's share is a composition cell over
  the participants (everyone has an outcome in the demo).

It then asks a linear program (HiGHS, through highspy) for the smallest and largest value of every hidden
count, given all of that at once. Model estimates (odds ratios, risk differences) are not linear in
the counts and are not used; they are hidden by their own rule (see tests/derive/test_disclosure_linked.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

ONGOING = {"aktivitetsersattning": 1, "sjukpenning": 3}
NEW = {"aktivitetsersattning": 2, "sjukpenning": 4}
SEX = {"Kvinna": "kvinna", "Man": "man", "Total": "total"}
GROUPS = {"Unga med aktivitetsersättning": "unga_aktivitetsersattning", "Sjukskrivna": "sjukskrivna",
          "Unga med funktionsnedsättning": "unga_funktionsnedsattning"}
BENEFIT = {"Sjukpenning": "sjukpenning", "Aktivitetsersättning": "aktivitetsersattning"}
TERM = {"man": ("sex", "man"), "psykiatrisk_diagnos": ("psychiatric", "True")}


def _term_cell(term: str):
    if term in TERM:
        return TERM[term]
    kind, _, label = term.partition("_")
    return ({"alder": "age_group", "tid": "time_group"}[kind], label)


class Attack:
    def __init__(self):
        self.index: dict = {}
        self.eq: list[tuple[dict, float]] = []
        self.ub: list[tuple[dict, float]] = []
        self.targets: dict[str, dict] = {}  # description → linear expression that must stay uncertain

    def v(self, name) -> object:
        self.index.setdefault(name, len(self.index))
        return name

    def known(self, name, value) -> None:
        self.eq.append(({self.v(name): 1.0}, float(value)))

    def equal(self, terms: dict, rhs: float = 0.0) -> None:
        self.eq.append(({self.v(k): c for k, c in terms.items()}, rhs))

    def at_most(self, terms: dict, rhs: float = 0.0) -> None:
        self.ub.append(({self.v(k): c for k, c in terms.items()}, rhs))

    def share(self, num, den, pct: float, half: float) -> None:
        """(pct − half)·den ≤ 100·num ≤ (pct + half)·den."""
        self.at_most({num: 100.0, den: -(pct + half)})
        self.at_most({num: -100.0, den: pct - half})

    def hidden(self, label: str, terms: dict) -> None:
        for k in terms:
            self.v(k)
        self.targets[label] = terms

    def _matrix(self, rows):
        from scipy.sparse import csr_matrix

        r, c, v = [], [], []
        for i, (terms, _) in enumerate(rows):
            for k, coef in terms.items():
                r.append(i)
                c.append(self.index[k])
                v.append(coef)
        return (csr_matrix((v, (r, c)), shape=(len(rows), len(self.index))),
                np.array([rhs for _, rhs in rows], dtype=float))

    def bounds(self, enough: float | None = None) -> dict[str, tuple[float, float]]:
        """Smallest and largest value of every hidden expression, given everything at once. One HiGHS
        model (highspy); only the objective changes between targets, so each solve starts warm.

        ``enough``: the attacker only needs to know which expressions it can narrow below this width.
        Every solve gives a point that all published numbers allow; an expression's values over the
        points seen lie within its bounds, so once they are ``enough`` apart the expression is
        reported with that seen range (narrower than or equal to its bounds) and not solved for. A
        few first solves push every unknown at once (down, up within a box, two random mixes)."""
        import highspy
        from scipy.sparse import csc_matrix, csr_matrix, vstack

        inf = highspy.kHighsInf
        n = len(self.index)
        blocks = []
        if self.eq:
            a, b = self._matrix(self.eq)
            blocks.append((a, b, b))
        if self.ub:
            a, b = self._matrix(self.ub)
            blocks.append((a, np.full(len(b), -inf), b + 1e-7))
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.zeros(n), np.zeros(n), np.full(n, inf)
        if blocks:
            a = csc_matrix(vstack([blk[0] for blk in blocks]))
            lp.num_row_ = a.shape[0]
            lp.row_lower_ = np.concatenate([blk[1] for blk in blocks])
            lp.row_upper_ = np.concatenate([blk[2] for blk in blocks])
            lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
            lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, a.shape[0]
            lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
        h.passModel(lp)
        status = highspy.HighsModelStatus
        labels = list(self.targets)
        rows, cols, vals = [], [], []
        for i, label in enumerate(labels):
            for k, coef in self.targets[label].items():
                rows.append(i)
                cols.append(self.index[k])
                vals.append(coef)
        targets = csr_matrix((vals, (rows, cols)), shape=(len(labels), n))
        seen_lo, seen_hi = np.full(len(labels), inf), np.full(len(labels), -inf)

        def observe():
            x = np.asarray(h.getSolution().col_value, dtype=float)
            v = targets @ x
            np.minimum(seen_lo, v, out=seen_lo)
            np.maximum(seen_hi, v, out=seen_hi)

        every = np.arange(n, dtype=np.int32)
        if enough is not None and n:
            known = [abs(rhs) for _, rhs in self.eq] or [1.0]
            h.changeColsBounds(n, every, np.zeros(n), np.full(n, 2.0 * max(known) + 10.0 * enough))
            rng = np.random.default_rng(n)
            for weights in (np.ones(n), -np.ones(n), rng.choice([-1.0, 1.0], n), rng.choice([-1.0, 1.0], n)):
                h.changeColsCost(n, every, weights)
                h.changeObjectiveSense(highspy.ObjSense.kMinimize)
                h.run()
                if h.getModelStatus() == status.kOptimal:
                    observe()
            h.changeColsCost(n, every, np.zeros(n))
            h.changeColsBounds(n, every, np.zeros(n), np.full(n, inf))
        previous: list[int] = []
        out = {}
        for t, label in enumerate(labels):
            if enough is not None and seen_hi[t] - seen_lo[t] >= enough:
                out[label] = (float(seen_lo[t]), float(seen_hi[t]))
                continue
            terms = self.targets[label]
            if previous:
                h.changeColsCost(len(previous), np.array(previous, dtype=np.int32), np.zeros(len(previous)))
            columns = [self.index[k] for k in terms]
            h.changeColsCost(len(columns), np.array(columns, dtype=np.int32), np.array(list(terms.values()), float))
            previous = columns
            result = []
            for sense in (highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize):
                h.changeObjectiveSense(sense)
                h.run()
                st = h.getModelStatus()
                assert st in (status.kOptimal, status.kUnbounded), f"the attacker's model is {st} ({label})"
                if st == status.kUnbounded:  # unbounded above: nothing to narrow
                    result = [np.inf, 0.0]
                    break
                observe()
                result.append(h.getInfo().objective_function_value)
            out[label] = (result[1], result[0])
        return out


def _na(value) -> bool:
    return value is None or pd.isna(value)


# --------------------------------------------------------------------------- what is published
def add_register_tables(attack: Attack, tables: dict[str, pd.DataFrame]) -> None:
    """The publication stage's tables (participants, insatser, diagnosis, composition, model_totals,
    population), as written to data/processed/register/tabeller."""
    p = tables["participants"]
    years = sorted(set(p["year"]))
    for r in p.itertuples():
        cell = ("T", r.table, r.year, r.sex)
        if _na(r.count):
            attack.hidden(f"Tabell {r.table} {r.year} {r.sex}", {cell: 1})
        else:
            attack.known(cell, r.count)
        if r.sex != "total" and not _na(r.published_pct):
            attack.share(cell, ("T", r.table, r.year, "total"), r.published_pct, 0.5)
    for t in (1, 2, 3, 4):
        for y in years:
            attack.equal({("T", t, y, "total"): 1, ("T", t, y, "kvinna"): -1, ("T", t, y, "man"): -1})
    for b in ONGOING:
        for y in years:
            for sex in ("kvinna", "man", "total"):
                attack.at_most({("T", NEW[b], y, sex): 1, ("T", ONGOING[b], y, sex): -1})
    i = tables["insatser"]
    for r in i.itertuples():
        present = not (_na(r.count) and not r.suppressed)
        if not present:
            continue
        cell = ("I", r.year, r.target_group)
        if _na(r.count):
            attack.hidden(f"Tabell 5 {r.year} {r.target_group}", {cell: 1})
        else:
            attack.known(cell, r.count)
    for y in sorted(set(i.loc[i["target_group"] == "total", "year"])):
        attack.equal({("I", y, "total"): 1} | {("I", y, g): -1 for g in GROUPS.values()})
    d = tables["diagnosis"]
    for b in ONGOING:
        ys = sorted(int(x) for x in d.loc[(d["benefit"] == b) & (d["period"] != "total"), "period"])
        for y in ys:
            attack.equal({("n", b, str(y)): 1, ("T", NEW[b], y, "total"): -1})
        for part in ("k", "n"):
            attack.equal({(part, b, "total"): 1} | {(part, b, str(y)): -1 for y in ys})
    for r in d.itertuples():
        k, n = ("k", r.benefit, r.period), ("n", r.benefit, r.period)
        attack.at_most({k: 1, n: -1})
        if _na(r.published_pct):
            attack.hidden(f"Tabell 6 {r.period} {r.benefit}: med diagnos", {k: 1})
            attack.hidden(f"Tabell 6 {r.period} {r.benefit}: utan diagnos", {n: 1, k: -1})
        else:
            attack.share(k, n, r.published_pct, 0.5)
    add_composition(attack, tables["composition"], tables["model_totals"], _national(tables))
    for r in tables["population"].itertuples():
        if not _na(r.value):
            attack.known(("N", r.year, "aktivitetsersattning" if r.figure_id == "population_ae" else "sjukpenning",
                          "total"), r.value)


def _national(tables: dict[str, pd.DataFrame]) -> bool:
    """A nationwide build (its participants all live in the reference population's area)."""
    return "unit" not in tables or not str(tables["unit"]["area"].iloc[0])


def add_composition(attack: Attack, composition: pd.DataFrame, totals: pd.DataFrame, national: bool = True) -> None:
    """The Modellbilaga's composition. Its participants are Tabell 1's (3's) ones living in the area
    (nationwide: the same people); a reader knows that much from the method text."""
    link = attack.equal if national else attack.at_most
    for (y, b), c in composition.groupby(["year", "benefit"]):
        y = int(y)
        P, N = ("P", y, b, "total"), ("N", y, b, "total")  # noqa: N806
        for variable, rows in c.groupby("variable"):
            attack.equal({P: 1} | {("P", y, b, variable, r.category): -1 for r in rows.itertuples()})
            attack.equal({N: 1} | {("N", y, b, variable, r.category): -1 for r in rows.itertuples()})
        for r in c.itertuples():
            p, n = ("P", y, b, r.variable, r.category), ("N", y, b, r.variable, r.category)
            attack.at_most({p: 1, n: -1})
            for cell, value, pct, whole in ((p, r.n_participants, r.pct_participants, P),
                                            (n, r.n_population, r.pct_population, N)):
                if _na(value):
                    attack.hidden(f"Sammansättning {y} {b} {cell[1]} {r.variable}={r.category}", {cell: 1})
                else:
                    attack.known(cell, value)
                if not _na(pct):
                    attack.share(cell, whole, pct, 1e-6)
        # the same participants as Tabell 1/3, and Tabell 6's new participants are among them
        t = ONGOING[b]
        for sex in ("kvinna", "man"):
            if ((c["variable"] == "sex") & (c["category"] == sex)).any():
                link({("P", y, b, "sex", sex): 1, ("T", t, y, sex): -1})
        link({P: 1, ("T", t, y, "total"): -1})
        if national:  # Tabell 6's new participants (with a diagnosis) are among them (an area's may live elsewhere)
            if ((c["variable"] == "psychiatric") & (c["category"] == "True")).any():
                attack.at_most({("k", b, str(y)): 1, ("P", y, b, "psychiatric", "True"): -1})
            attack.at_most({("n", b, str(y)): 1, P: -1})
    for r in totals.itertuples():
        for cell, value in ((("P", int(r.year), r.benefit, "total"), r.n_participants),
                            (("N", int(r.year), r.benefit, "total"), r.n_population)):
            if _na(value):
                attack.hidden(f"Modellbilaga {cell[1]} {cell[2]} {cell[0]} totalt", {cell: 1})
            else:
                attack.known(cell, value)


def add_models(attack: Attack, models_dir: Path) -> None:
    """One year's model tables for readers (data/processed/models/<year>)."""
    rates = pd.read_parquet(models_dir / "rates.parquet")
    national = _national({"unit": pd.read_parquet(models_dir / "unit.parquet")})
    for r in rates.itertuples():
        P, N = ("P", int(r.year), r.benefit, "total"), ("N", int(r.year), r.benefit, "total")  # noqa: N806
        for cell, value in ((P, r.n_participants), (N, r.n_population)):
            if not _na(value):
                attack.known(cell, value)
        if not _na(r.crude):
            attack.share(P, N, r.crude, 1e-6)
    composition = pd.read_parquet(models_dir / "composition.parquet")
    add_composition(attack, composition, rates[["year", "benefit", "n_participants", "n_population"]], national)
    estimates = pd.read_parquet(models_dir / "estimates.parquet")
    for r in estimates[estimates["model"] != "trend_poisson"].itertuples():
        if not _na(r.n):  # everyone has an outcome in the demo: every model's n is everyone with the benefit
            attack.known(("N", int(r.year), r.benefit, "total"), r.n)
    balance = pd.read_parquet(models_dir / "balance.parquet")
    for r in balance.itertuples():
        y, b = int(r.year), r.benefit
        variable, category = _term_cell(r.term)
        p, n = ("P", y, b, variable, category), ("N", y, b, variable, category)
        P, N = ("P", y, b, "total"), ("N", y, b, "total")  # noqa: N806
        if not _na(r.mean_participants):
            attack.share(p, P, 100 * r.mean_participants, 1e-6)
        if not _na(r.mean_others):  # (n − p) / (N − P)
            o, O = ("O", y, b, variable, category), ("O", y, b, "total")  # noqa: N806
            attack.equal({o: 1, n: -1, p: 1})
            attack.equal({O: 1, N: -1, P: 1})
            attack.share(o, O, 100 * r.mean_others, 1e-6)


def add_report_cells(attack: Attack, csv: Path) -> None:
    """Bilaga 1's table CSV (table, row, column, value, suppressed)."""
    cells = pd.read_csv(csv, dtype={"row": str, "column": str})
    for r in cells.itertuples():
        if r.table in (1, 2, 3, 4):
            sex = SEX[r.column.removesuffix(" %")]
            cell = ("T", r.table, int(r.row), sex)
            if r.column.endswith("%"):
                if not _na(r.value):
                    attack.share(cell, ("T", r.table, int(r.row), "total"), r.value, 0.5)
            elif not _na(r.value):
                attack.known(cell, r.value)
        elif r.table == 5 and not _na(r.value):
            attack.known(("I", int(r.row), GROUPS[r.column]), r.value)
        elif r.table == 6 and not _na(r.value):
            period = "total" if r.column == "Total" else r.column
            b = BENEFIT[r.row]
            attack.share(("k", b, period), ("n", b, period), r.value, 0.5)


def add_report_text(attack: Attack, text: str, year: int) -> None:
    """Numbers in Bilaga 1's sentences that are in no table: the total of Tabell 5."""
    for match in re.finditer(r"Sammanlagt var det ([\d\u00a0 ]+) insatser", text):
        attack.known(("I", year, "total"), int(re.sub(r"\D", "", match.group(1))))


# --------------------------------------------------------------------------- every förbund beside the nation
class _Unit:
    """The attacker's view of one förbund: its cells get the förbund's name in front (the nation's
    cells are the national tables' own, unprefixed, so the two publications meet)."""

    def __init__(self, attack: Attack, unit: str | None):
        self.a, self.u = attack, unit

    def _k(self, key):
        return key if self.u is None else (self.u,) + tuple(key)

    def _terms(self, terms: dict) -> dict:
        return {self._k(k): c for k, c in terms.items()}

    def known(self, name, value):
        self.a.known(self._k(name), value)

    def equal(self, terms, rhs=0.0):
        self.a.equal(self._terms(terms), rhs)

    def at_most(self, terms, rhs=0.0):
        self.a.at_most(self._terms(terms), rhs)

    def share(self, num, den, pct, half):
        self.a.share(self._k(num), self._k(den), pct, half)

    def hidden(self, label, terms):
        self.a.hidden(f"{self.u or 'Riket'}: {label}", self._terms(terms))


def _national_sum(attack: Attack, cell, units: list[str], additive: bool) -> None:
    """The nation's count and the förbund's: equal to their sum when each person is in one förbund;
    otherwise (``additive`` False: someone may count in two) at most the sum and at least each one."""
    if additive:
        attack.equal({cell: 1} | {(u,) + cell: -1 for u in units})
        return
    attack.at_most({cell: 1} | {(u,) + cell: -1 for u in units})
    for u in units:
        attack.at_most({(u,) + cell: 1, cell: -1})


def add_forbund_outputs(attack: Attack, folder: Path, national: str = "Hela riket", additive: bool = True) -> None:
    """data/processed/forbund: every förbund's Tabell 1–6, reference population and coverage, and the
    nation's, with what a reader knows: each person and insats is in one förbund, so the nation's
    counts (Tabell 1–5, Tabell 6's numerators and denominators) are the sums of the förbund's; the
    nation's reference population is the förbund's plus the residents of kommuner in no förbund;
    coverage is participants per 1 000 of the reference population, to one decimal."""
    tables = {name: pd.read_parquet(folder / f"{name}.parquet")
              for name in ("participants", "insatser", "diagnosis", "coverage")}
    empty_composition = pd.DataFrame(columns=["year", "benefit", "variable", "category", "n_participants",
                                              "n_population", "pct_participants", "pct_population"])
    units = sorted(set(tables["participants"]["forbund"]) - {national})
    for unit in [national, *units]:
        view = _Unit(attack, None if unit == national else unit)
        own = {name: t[t["forbund"] == unit].drop(columns="forbund") for name, t in tables.items()}
        add_register_tables(view, own | {"composition": empty_composition,
                                          "model_totals": pd.DataFrame(columns=["year", "benefit", "n_participants",
                                                                                "n_population"]),
                                          "population": pd.DataFrame(columns=["figure_id", "year", "value"])})
        for r in own["coverage"].itertuples():
            p, n = ("T", ONGOING[r.benefit], r.year, "total"), ("N", r.year, r.benefit, "total")
            if _na(r.population):
                view.hidden(f"Referenspopulation {r.year} {r.benefit}", {n: 1})
            else:
                view.known(n, r.population)
            if not _na(r.participants):
                view.known(p, r.participants)
            if not _na(r.per_1000):  # per 1 000 to one decimal = per cent within ± 0,005
                view.share(p, n, r.per_1000 / 10, 0.005)
    p = tables["participants"]
    for r in p[p["forbund"] == national].itertuples():
        _national_sum(attack, ("T", r.table, r.year, r.sex), units, additive)
    i = tables["insatser"]
    for r in i[(i["forbund"] == national) & ~(i["count"].isna() & ~i["suppressed"])].itertuples():
        _national_sum(attack, ("I", r.year, r.target_group), units, additive)
    d = tables["diagnosis"]
    for r in d[d["forbund"] == national].itertuples():
        for part in ("k", "n"):
            _national_sum(attack, (part, r.benefit, r.period), units, additive)
    c = tables["coverage"]
    for r in c[c["forbund"] == national].itertuples():
        cell = ("N", r.year, r.benefit, "total")
        attack.equal({cell: 1, ("rest",) + cell: -1} | {(u,) + cell: -1 for u in units})
    if (folder / "standardised.parquet").is_file():
        add_forbund_residents(attack, pd.read_parquet(folder / "standardised.parquet"), units, national)


def add_forbund_residents(attack: Attack, s: pd.DataFrame, units: list[str], national: str) -> None:
    """The adjusted comparison's O: the residents (the reference population) taking part in any
    förbund. A count within the reference population; the nation's is the sum over the förbund and
    the residents of kommuner in no förbund. E and the ratio are not linear in the counts (E is a sum
    of model probabilities over people whose covariates are not published) and are not used; O/E
    with O shown adds nothing linear either."""
    for r in s.itertuples():
        view = _Unit(attack, None if r.forbund == national else r.forbund)
        o, n = ("O", r.year, r.benefit), ("N", r.year, r.benefit, "total")
        if _na(r.observed):
            view.hidden(f"deltagare bland de boende {r.year} {r.benefit}", {o: 1})
        else:
            view.known(o, r.observed)
        view.at_most({o: 1, n: -1})
    for r in s[s["forbund"] == national].itertuples():
        o, n = ("O", r.year, r.benefit), ("N", r.year, r.benefit, "total")
        attack.at_most({("rest",) + o: 1, ("rest",) + n: -1})
        # the nation's residents taking part are the Modellbilaga's participants (a nationwide build's
        # model_totals, rates and composition; a free variable when those are not attacked too)
        attack.equal({o: 1, ("P", r.year, r.benefit, "total"): -1})
        # the nation's residents taking part are among its ongoing participants with the benefit (Tabell 1/3)
        attack.at_most({o: 1, ("T", ONGOING[r.benefit], r.year, "total"): -1})
        attack.equal({o: 1, ("rest",) + o: -1} | {(u,) + o: -1 for u in units})


def add_register_outputs(attack: Attack, tables: dict[str, pd.DataFrame], models: list[Path] = ()) -> None:
    """One build's register tables (data/processed/register/tabeller) and model tables (``models``:
    data/processed/models/<year> folders): the nation's, unprefixed (where the förbund tables' nation
    meets them), or register.area's. An area of one förbund is that förbund (its cells meet the förbund
    tables'); an area of several is a unit "(område)" whose counts a reader knows are the sums of its
    förbund's (Tabell 1–5, Tabell 6's numerators and denominators, the reference population). Either
    way the area's Modellbilaga participants (living there, taking part there) are among its förbund's
    residents taking part in any förbund (O of the adjusted comparison)."""
    names = [n for n in str(tables["unit"]["area"].iloc[0]).split("; ") if n]
    unit = None if not names else names[0] if len(names) == 1 else "(område)"
    view = attack if unit is None else _Unit(attack, unit)
    add_register_tables(view, tables)
    for folder in models:
        add_models(view, folder)
    if not names:
        return

    def whole(cell) -> None:
        if len(names) > 1:
            attack.equal({(unit,) + cell: 1} | {(m,) + cell: -1 for m in names})

    for r in tables["participants"].itertuples():
        whole(("T", r.table, r.year, r.sex))
    i = tables["insatser"]
    for r in i[~(i["count"].isna() & ~i["suppressed"])].itertuples():
        whole(("I", r.year, r.target_group))
    for r in tables["diagnosis"].itertuples():
        for part in ("k", "n"):
            whole((part, r.benefit, r.period))
    for r in tables["model_totals"].itertuples():
        y, b = int(r.year), r.benefit
        whole(("N", y, b, "total"))
        attack.at_most({(unit, "P", y, b, "total"): 1} | {(m, "O", y, b): -1 for m in names})


# --------------------------------------------------------------------------- every published copy of a figure
def published_copies(processed: Path, national: str = "Hela riket", reports: Path | None = None) -> pd.DataFrame:
    """Every copy of every figure that more than one output publishes, as written: one row per copy with
    ``figure`` (the figure's name: kind, unit, then its keys), ``where`` (file and column) and ``value``
    (NA where the copy is hidden, ".."). Read from the files alone, as a reader would find them:
    data/processed/register/tabeller (national tables and the Modellbilaga's composition and totals),
    data/processed/models/<year> (rates, the participation model's n, composition) and
    data/processed/forbund (participants, insatser, diagnosis, coverage, standardised). A nationwide
    build: the national tables' unit is the nation, ``national`` in the förbund tables; a register.area
    build: the area's unit label (one förbund: its name, so its copies meet the förbund tables'), and its
    Modellbilaga's participants are "P" (they are not the förbund's O). ``reports``: also
    the table CSV beside every Bilaga 1 built from microdata there (reports/<year>/bilaga1)."""
    rows: list[tuple] = []

    def add(figure: tuple, where: str, value) -> None:
        rows.append((repr(figure), where, pd.NA if _na(value) else float(value)))

    tables = Path(processed) / "register" / "tabeller"
    # register.area: the tables (and Bilaga 1 from microdata) are the area's, named by its unit (an area of one
    # förbund is that förbund, as in the förbund tables); its Modellbilaga's participants are those living
    # there who take part there, not the förbund's O (residents taking part in any förbund)
    unit = pd.read_parquet(tables / "unit.parquet")
    area = bool(str(unit["area"].iloc[0]))
    national, taking_part = (str(unit["unit"].iloc[0]), "P") if area else (national, "O")
    for r in pd.read_parquet(tables / "participants.parquet").itertuples():
        add(("T", national, r.table, r.year, r.sex), "register/tabeller/participants.count", r.count)
    for r in pd.read_parquet(tables / "insatser.parquet").itertuples():
        if not (_na(r.count) and not r.suppressed):  # a target group that did not exist that year
            add(("I", national, r.year, r.target_group), "register/tabeller/insatser.count", r.count)
    for r in pd.read_parquet(tables / "diagnosis.parquet").itertuples():
        add(("D%", national, r.benefit, str(r.period)), "register/tabeller/diagnosis.published_pct", r.published_pct)
    for r in pd.read_parquet(tables / "population.parquet").itertuples():
        benefit = "aktivitetsersattning" if r.figure_id == "population_ae" else "sjukpenning"
        add(("N", national, r.year, benefit), "register/tabeller/population.value", r.value)
    for r in pd.read_parquet(tables / "model_totals.parquet").itertuples():
        add(("N", national, r.year, r.benefit), "register/tabeller/model_totals.n_population", r.n_population)
        add((taking_part, national, r.year, r.benefit), "register/tabeller/model_totals.n_participants", r.n_participants)
    for r in pd.read_parquet(tables / "composition.parquet").itertuples():
        for who, value in (("P", r.n_participants), ("N", r.n_population)):
            add(("C", who, r.year, r.benefit, r.variable, r.category), "register/tabeller/composition", value)
    for folder in sorted(p for p in (Path(processed) / "models").glob("[0-9]*") if p.is_dir()):
        where = f"models/{folder.name}"
        for r in pd.read_parquet(folder / "rates.parquet").itertuples():
            add(("N", national, r.year, r.benefit), f"{where}/rates.n_population", r.n_population)
            add((taking_part, national, r.year, r.benefit), f"{where}/rates.n_participants", r.n_participants)
        e = pd.read_parquet(folder / "estimates.parquet")
        for r in e[e["model"] == "deltagande_logit"].drop_duplicates(["year", "benefit"]).itertuples():
            add(("N", national, r.year, r.benefit), f"{where}/estimates.n", r.n)
        for r in pd.read_parquet(folder / "composition.parquet").itertuples():
            for who, value in (("P", r.n_participants), ("N", r.n_population)):
                add(("C", who, r.year, r.benefit, r.variable, r.category), f"{where}/composition", value)
    forbund = Path(processed) / "forbund"
    if forbund.is_dir():
        for r in pd.read_parquet(forbund / "participants.parquet").itertuples():
            add(("T", r.forbund, r.table, r.year, r.sex), "forbund/participants.count", r.count)
        for r in pd.read_parquet(forbund / "insatser.parquet").itertuples():
            if not (_na(r.count) and not r.suppressed):
                add(("I", r.forbund, r.year, r.target_group), "forbund/insatser.count", r.count)
        for r in pd.read_parquet(forbund / "diagnosis.parquet").itertuples():
            add(("D%", r.forbund, r.benefit, str(r.period)), "forbund/diagnosis.published_pct", r.published_pct)
        for r in pd.read_parquet(forbund / "coverage.parquet").itertuples():
            add(("T", r.forbund, ONGOING[r.benefit], r.year, "total"), "forbund/coverage.participants", r.participants)
            add(("N", r.forbund, r.year, r.benefit), "forbund/coverage.population", r.population)
        for r in pd.read_parquet(forbund / "standardised.parquet").itertuples():
            add(("N", r.forbund, r.year, r.benefit), "forbund/standardised.population", r.population)
            add(("O", r.forbund, r.year, r.benefit), "forbund/standardised.observed", r.observed)
    for csv in sorted(Path(reports).glob("*/bilaga1/bilaga1_*_tabeller.csv")) if reports else []:
        where = f"reports/{csv.parent.parent.name}/bilaga1/{csv.name}"
        for r in pd.read_csv(csv, dtype={"row": str, "column": str}).itertuples():
            if r.table in (1, 2, 3, 4) and not r.column.endswith("%"):
                add(("T", national, r.table, int(r.row), SEX[r.column]), where, r.value)
            elif r.table == 5:
                add(("I", national, int(r.row), GROUPS[r.column]), where, r.value)
            elif r.table == 6:
                add(("D%", national, BENEFIT[r.row], "total" if r.column == "Total" else r.column), where, r.value)
    return pd.DataFrame(rows, columns=["figure", "where", "value"])


def disagreeing_copies(copies: pd.DataFrame) -> pd.DataFrame:
    """The figures whose copies disagree: hidden in one and shown in another, or shown with two values."""
    state = copies.assign(shown=copies["value"].notna(), text=copies["value"].astype("string").fillna(".."))
    by = state.groupby("figure").agg(kinds=("text", "nunique"), copies=("where", "size"))
    bad = by.index[by["kinds"] > 1]
    return state[state["figure"].isin(bad)].sort_values(["figure", "where"])[["figure", "where", "value"]]


# --------------------------------------------------------------------------- the indicator surveys
def add_indikator_tables(attack: Attack, folder: Path, national: str = "Hela riket") -> None:
    """Every published number of the indicator tables (data/processed/indikator/tabeller, and so the
    reports, which show only these) and what a reader knows of the survey:

    * answers and positive answers are counts: 0 ≤ positive ≤ answers;
    * the nation's answers (positive answers) are the sum of the förbund's, per year, group,
      indicator and measurement point (the nation is pooled over the förbund that answered);
    * a measurement point's respondents are among its indicator's (per förbund and for the nation);
    * a shown share is exact (full precision): positive = share × answers / 100; a shown interval
      or funnel position adds nothing beyond the share and the answers it comes from;
    * the unweighted mean over the shown förbund is a mean of shown shares (no hidden figure in it).

    Every hidden number of answers is a target."""
    a = pd.read_parquet(Path(folder) / "andelar.parquet")
    keys = ["year", "grupp", "indikator", "matpunkt"]
    for r in a.itertuples():
        level = (int(r.year), r.grupp, r.indikator, r.matpunkt)
        n, k = ("n",) + level + (r.forbund,), ("k",) + level + (r.forbund,)
        attack.v(n)
        attack.at_most({k: 1.0, n: -1.0})
        if _na(r.n):
            attack.hidden(f"{r.forbund} {level} svar", {n: 1})
        else:
            attack.known(n, r.n)
        if not _na(r.positiva):
            attack.known(k, r.positiva)
        if not _na(r.andel):
            attack.equal({k: 100.0, n: -float(r.andel)})
    for level, g in a.groupby(keys):
        level = (int(level[0]),) + tuple(level[1:])
        areas = [f for f in g["forbund"] if f != national]
        for kind in ("n", "k"):
            attack.equal({(kind,) + level + (national,): 1.0} | {(kind,) + level + (f,): -1.0 for f in areas})
    whole = a[a["matpunkt"] == ""]
    have = set(zip(whole["year"], whole["grupp"], whole["indikator"], whole["forbund"]))
    for r in a[a["matpunkt"] != ""].itertuples():
        if (r.year, r.grupp, r.indikator, r.forbund) in have:
            attack.at_most({("n", int(r.year), r.grupp, r.indikator, r.matpunkt, r.forbund): 1.0,
                            ("n", int(r.year), r.grupp, r.indikator, "", r.forbund): -1.0})
