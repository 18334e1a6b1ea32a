"""The indicator surveys' figures: shares per förbund and nationally, changes, trends, disclosure.

Input: the cleaned answers of every year (``svar.parquet``, one row per respondent × scale question;
schema in docs/data_dictionary.md, "Indikatorenkäter"). Output (:func:`build_indikator_tables` →
:func:`save_indikator_tables`, data/processed/indikator/tabeller; schema in docs/architecture.md, "Indicator figures"):

* ``andelar`` – per year × respondent group × indicator (and measurement point) × förbund, and for
  the nation ("Hela riket"): answers ``n``, positive answers ``positiva``, the share positive in per
  cent with a Wilson 95 % interval (statsmodels ``proportion_confint(method="wilson")``: it keeps
  its coverage for small n and never leaves 0–100). The nation is pooled over the participating
  förbund (its n is the sum of theirs, cell by cell); beside it the unweighted mean of the förbund
  shares that are shown (a check: a big förbund dominates the pooled figure).
* ``forandring`` – each year against the year before: the crude national change, and the change
  within the förbund that answered in both years (a binomial GLM of the förbund × year counts
  with förbund fixed effects; quasi-binomial when the counts vary more than binomially), so that a
  change in *which* förbund answered is not taken for a real change. A verdict in words.
* ``trend`` – from the first comparable year up to each year: the same model with a linear year
  term (odds ratio per year), the crude trend beside it; a declared wording change starts the
  trend again at the year of the change (``brott``).
* ``tratt`` – per förbund, its position against funnel limits around the national share that
  allow for real variation between förbund (additive random effects, Spiegelhalter 2005: the
  register's funnel computation, :mod:`pipeline.derive.funnel`, on the arcsine square-root scale of
  the shares; förbund outside the 99,8 % limits are left out of the estimate of τ²).
* ``deltagande`` – per year, which förbund answered, and the respondents per questionnaire.
* ``unit`` – the settings and counts of the disclosure control.

**A respondent's answer to an indicator.** Each respondent counts once per indicator (and per
measurement point): positive when at least half of the questions of it that they answered (not
"vet ej", not blank) are positive. With one question that is the answer itself. So ``n`` counts
people, which is what the disclosure threshold is about.

**Disclosure.** Every year × group × indicator/measurement point is a set of cells in one
:class:`~pipeline.derive.disclosure.Linked`: the förbund's answers (published), the nation's as their
sum, the positive answers (not themselves subject to the threshold: the rule is on the answers)
and the shares. A förbund's measurement point is a subset of its indicator's respondents. Counts
below ``disclosure.min_cell_count`` are hidden, and so many others that no hidden number of answers
can be narrowed to less than the protection interval from what is shown (the national sum
included). A share, its interval, the positive answers and the funnel position are shown only
where the number of answers is. Model estimates (changes, trends) are computed from every answer;
they are national, over many förbund, and not linear in any one förbund's counts.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ..core.io import write_tables
from ..core.progress import SILENT, counting, each
from .disclosure import Linked, Settings

NATIONAL = "Hela riket"
LEVEL_KEYS = ["year", "grupp", "indikator", "matpunkt"]  # matpunkt "" = the indicator as a whole
LIMIT_LEVELS = {"95": 0.95, "998": 0.998}  # the funnel's limits (column suffix → level)
ALPHA = 0.05
FUNNEL_LIMITS = ("95 % och 99,8 %: slumpen och den vanliga spridningen mellan förbund (additiv slumpeffekt, "
                 "Spiegelhalter 2005; tydligt avvikande förbund räknas inte in i skattningen)")


# --------------------------------------------------------------------------- counting
def respondent_answers(svar: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent × indicator and respondent × measurement point: ``positiv`` when at
    least half of the questions of it the respondent answered are positive (answered = ``positiv``
    not NA)."""
    answered = svar[svar["positiv"].notna()].copy()
    answered["positiv"] = answered["positiv"].astype(bool)
    who = ["year", "grupp", "enkat", "forbund", "respondent", "indikator"]
    point = answered.groupby(who + ["matpunkt"], observed=True, sort=False)["positiv"].mean().reset_index()
    whole = answered.groupby(who, observed=True, sort=False)["positiv"].mean().reset_index().assign(matpunkt="")
    out = pd.concat([whole, point], ignore_index=True)
    out["positiv"] = out["positiv"] >= 0.5
    return out


def count(svar: pd.DataFrame) -> pd.DataFrame:
    """Answers ``n`` and positive answers ``k`` per year × group × indicator × measurement point ×
    förbund (every combination that has at least one answer)."""
    answers = respondent_answers(svar)
    counts = (answers.groupby(LEVEL_KEYS + ["forbund"], observed=True)["positiv"].agg(["size", "sum"])
              .rename(columns={"size": "n", "sum": "k"}).reset_index())
    counts[["n", "k"]] = counts[["n", "k"]].astype(int)
    return counts.sort_values(LEVEL_KEYS + ["forbund"]).reset_index(drop=True)


def wilson(k, n, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of k/n, in per cent (statsmodels)."""
    from statsmodels.stats.proportion import proportion_confint

    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    low, high = np.full(k.shape, np.nan), np.full(k.shape, np.nan)
    ok = n > 0
    if ok.any():
        low[ok], high[ok] = proportion_confint(k[ok], n[ok], alpha=alpha, method="wilson")
    return 100 * low, 100 * high


# --------------------------------------------------------------------------- disclosure
def _key(kind: str, row, forbund: str) -> tuple:
    return (kind, int(row[0]), row[1], row[2], row[3], forbund)


def link(counts: pd.DataFrame, settings: Settings) -> Linked:
    """Every cell of every year in one :class:`Linked` (components stay small: a year × group ×
    indicator with its measurement points)."""
    linked = Linked(settings.threshold, settings.protection)
    by_level = {key: g for key, g in counts.groupby(LEVEL_KEYS, sort=True)}
    points = counts[counts["matpunkt"] != ""].groupby(["year", "grupp", "indikator"])["matpunkt"].unique()
    for level, g in by_level.items():
        ns, ks = [], []
        for f, n, k in zip(g["forbund"], g["n"], g["k"]):
            nk, kk, pk = _key("n", level, f), _key("k", level, f), _key("p", level, f)
            linked.cell(nk, n)
            linked.cell(kk, k, published=False)
            linked.no_threshold(kk)
            linked.subset(kk, nk)
            linked.share(pk, kk, nk, decimals=None)
            ns.append(nk)
            ks.append(kk)
        linked.total(_key("n", level, NATIONAL), ns)
        linked.total(_key("k", level, NATIONAL), ks, published=False)
        linked.no_threshold(_key("k", level, NATIONAL))
        linked.share(_key("p", level, NATIONAL), _key("k", level, NATIONAL), _key("n", level, NATIONAL), None)
    for level in by_level:  # a measurement point's respondents are among its indicator's
        year, grupp, ind, mp = level
        if mp == "":
            continue
        whole = (year, grupp, ind, "")
        single = len(points.get((year, grupp, ind), [])) == 1
        for f in [*by_level[level]["forbund"], NATIONAL]:
            if single:  # one measurement point: the same people and the same answer
                linked.same(_key("n", whole, f), _key("n", level, f))
                linked.same(_key("k", whole, f), _key("k", level, f))
            else:
                linked.subset(_key("n", level, f), _key("n", whole, f))
    return linked


def disclose(counts: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, dict]:
    """The published ``andelar`` and the work the control did."""
    decision = link(counts, settings).solve()
    levels = counts[LEVEL_KEYS].drop_duplicates()
    national = (counts.groupby(LEVEL_KEYS, sort=False)[["n", "k"]].sum().reset_index().assign(forbund=NATIONAL))
    frame = pd.concat([counts, national], ignore_index=True)
    hidden_n = np.array([decision.hidden(_key("n", (y, g, i, m), f)) for y, g, i, m, f in
                         frame[LEVEL_KEYS + ["forbund"]].itertuples(index=False, name=None)])
    hidden_p = np.array([decision.share_hidden(_key("p", (y, g, i, m), f)) for y, g, i, m, f in
                         frame[LEVEL_KEYS + ["forbund"]].itertuples(index=False, name=None)])
    hidden_p |= hidden_n
    low, high = wilson(frame["k"], frame["n"])
    out = frame[LEVEL_KEYS + ["forbund"]].copy()
    out["n"] = frame["n"].astype("Int64").mask(hidden_n)
    out["positiva"] = frame["k"].astype("Int64").mask(hidden_p)
    out["andel"] = (100.0 * frame["k"] / frame["n"]).mask(hidden_p)
    out["ci_low"], out["ci_high"] = pd.Series(low).mask(hidden_p), pd.Series(high).mask(hidden_p)
    out["suppressed"] = hidden_p
    # the unweighted mean over the förbund whose share is shown, beside the pooled national figure
    areas = out[out["forbund"] != NATIONAL]
    mean = areas.groupby(LEVEL_KEYS)["andel"].agg(["mean", "count"]).rename(
        columns={"mean": "medel_forbund", "count": "forbund_visade"})
    taking = areas.groupby(LEVEL_KEYS).size().rename("forbund_svarande")
    out = out.join(mean, on=LEVEL_KEYS).join(taking, on=LEVEL_KEYS)
    is_area = out["forbund"] != NATIONAL
    out.loc[is_area, ["medel_forbund"]] = np.nan
    out.loc[is_area, ["forbund_visade", "forbund_svarande"]] = np.nan
    out[["forbund_visade", "forbund_svarande"]] = out[["forbund_visade", "forbund_svarande"]].astype("Int64")
    work = {"levels": len(levels), "hidden_counts": int(hidden_n.sum()), "hidden_shares": int(hidden_p.sum()),
            "primary": len(decision.primary), "structural": len(decision.structural)}
    return out.sort_values(LEVEL_KEYS + ["forbund"]).reset_index(drop=True), work


# --------------------------------------------------------------------------- models
@dataclass(frozen=True)
class Fit:
    """A binomial GLM's coefficient of interest (log odds), its 95 % interval and p-value."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    dispersion: float  # Pearson χ² / df; the scale used when above 1 (quasi-binomial)
    pp: float  # the change in percentage points (per year, for a trend) on the data's own mix


NO_FIT = Fit(*(math.nan,) * 6)


def binomial_fit(frame: pd.DataFrame, term: str, fixed_effects: bool) -> Fit:
    """Fit ``k`` of ``n`` on ``term`` (a column) with förbund fixed effects (or, crude, on the counts
    pooled over förbund). Quasi-binomial when over-dispersed (the standard error times the square
    root of Pearson's χ²/df, when that is above 1). Förbund whose answers are all positive or all
    negative in every year tell nothing about the change within a förbund and are left out of the
    fixed-effects fit (their own effect would be infinite), as are förbund with a single year."""
    import statsmodels.api as sm
    from scipy.stats import norm

    frame = frame[frame["n"] > 0]
    if fixed_effects:
        by = frame.groupby("forbund")
        k_sum, n_sum = by["k"].transform("sum"), by["n"].transform("sum")
        frame = frame[(k_sum > 0) & (k_sum < n_sum) & (by[term].transform("nunique") > 1)]
        if frame.empty:
            return NO_FIT
        codes, _ = pd.factorize(frame["forbund"], sort=True)
        design = np.zeros((len(frame), codes.max() + 2))
        design[np.arange(len(frame)), codes] = 1.0
    else:  # the crude comparison: the pooled counts per value of the term (the nation as one unit)
        frame = frame.groupby(term, as_index=False)[["k", "n"]].sum()
        design = np.ones((len(frame), 2))
    x = frame[term].to_numpy(float)
    k, n = frame["k"].to_numpy(float), frame["n"].to_numpy(float)
    if len(np.unique(x)) < 2 or k.sum() in (0, n.sum()):
        return NO_FIT
    design[:, -1] = x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = sm.GLM(np.column_stack([k, n - k]), design, family=sm.families.Binomial()).fit()
        except (ValueError, np.linalg.LinAlgError):
            return NO_FIT
    df = result.df_resid
    dispersion = float(result.pearson_chi2 / df) if df > 0 else 1.0
    b = float(result.params[-1])
    se = float(result.bse[-1]) * math.sqrt(max(dispersion, 1.0))
    if not math.isfinite(se):
        return NO_FIT
    z = norm.ppf(1 - ALPHA / 2)
    p_value = float(2 * norm.sf(abs(b) / se)) if se > 0 else math.nan
    # percentage points: the predicted pooled share with the term one unit higher, on the same rows
    # (for a before/after term: every row as "before" against every row as "after")
    eta = design @ np.asarray(result.params)
    if set(np.unique(x)) <= {0.0, 1.0}:
        eta = eta - b * x
    p0, p1 = 1 / (1 + np.exp(-eta)), 1 / (1 + np.exp(-(eta + b)))
    pp = 100 * float(np.sum(n * (p1 - p0)) / n.sum())
    return Fit(b, b - z * se, b + z * se, p_value, dispersion, pp)


def fit_verdict(fit: Fit, rising: str, falling: str, neither: str, unknown: str = "kan inte bedömas") -> str:
    if math.isnan(fit.p_value):
        return unknown
    if fit.ci_low > 0:
        return rising
    if fit.ci_high < 0:
        return falling
    return neither


def _exp(x: float) -> float:
    """An odds ratio from a log odds ratio (inf when too large: a fit on the edge of separation)."""
    return math.inf if x > 700 else math.exp(x)


def _pooled(frame: pd.DataFrame) -> float:
    n = frame["n"].sum()
    return 100.0 * frame["k"].sum() / n if n else math.nan


def breaks(changes: pd.DataFrame | None, svar: pd.DataFrame) -> dict[tuple[str, str, str], list[int]]:
    """Per (group, indicator, measurement point) — and the indicator as a whole — the years a
    declared wording change (``changes``: ``fraga``, ``year``) breaks the series."""
    out: dict[tuple[str, str, str], set[int]] = {}
    if changes is None or changes.empty:
        return {}
    where = svar[["grupp", "fraga", "indikator", "matpunkt"]].drop_duplicates()
    for row in changes.merge(where, on="fraga").itertuples(index=False):
        for mp in (row.matpunkt, ""):
            out.setdefault((row.grupp, row.indikator, mp), set()).add(int(row.year))
    return {k: sorted(v) for k, v in out.items()}


def changes_and_trends(counts: pd.DataFrame, broken: dict[tuple[str, str, str], list[int]], steps=SILENT
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``forandring`` (each year against the one before) and ``trend`` (from the first comparable
    year up to each year) per group × indicator × measurement point. The hundreds of small fits run
    with one BLAS thread: several threads on tiny matrices only wait for each other (ten times slower
    on the two loaded cores measured, docs/performance.md). ``steps``: a progress counter, one step per
    series (:mod:`pipeline.core.progress`)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _changes_and_trends(counts, broken, steps)


def _changes_and_trends(counts: pd.DataFrame, broken: dict[tuple[str, str, str], list[int]], steps=SILENT
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    change_rows, trend_rows = [], []
    done: dict[bytes, tuple[list[dict], list[dict]]] = {}  # an indicator with one point: the same series, fitted once
    for (grupp, ind, mp), series in each(counts.groupby(["grupp", "indikator", "matpunkt"], sort=True), steps):
        years = sorted(series["year"].unique())
        cut = broken.get((grupp, ind, mp), [])
        same_as = series[["year", "forbund", "n", "k"]].to_csv(index=False).encode() + repr(cut).encode()
        if same_as in done:
            for rows, earlier in zip((change_rows, trend_rows), done[same_as]):
                rows.extend(r | {"matpunkt": mp, "indikator": ind} for r in earlier)
            continue
        first_change, first_trend = len(change_rows), len(trend_rows)
        by_year = {y: g for y, g in series.groupby("year")}
        for before, after in zip(years, years[1:]):
            a, b = by_year[before], by_year[after]
            both = sorted(set(a["forbund"]) & set(b["forbund"]))
            row = {"grupp": grupp, "indikator": ind, "matpunkt": mp, "year": int(after), "fore": int(before),
                   "andel_fore": _pooled(a), "andel": _pooled(b), "forbund_bada": len(both)}
            row["skillnad"] = row["andel"] - row["andel_fore"]
            pair = pd.concat([a, b]).assign(efter=lambda d: (d["year"] == after).astype(float))
            comparable = not any(before < y <= after for y in cut)
            crude = binomial_fit(pair, "efter", False) if comparable else NO_FIT
            same = binomial_fit(pair[pair["forbund"].isin(both)], "efter", True) if comparable else NO_FIT
            row |= {"crude_p": crude.p_value,
                    "crude_utlatande": fit_verdict(crude, "ökning", "minskning", "ingen tydlig")}
            row |= {"oddskvot": _exp(same.estimate), "ci_low": _exp(same.ci_low), "ci_high": _exp(same.ci_high), "p_value": same.p_value,
                    "skillnad_samma": same.pp, "spridning": same.dispersion, "jamforbar": comparable,
                    "tydlig": bool(not math.isnan(same.p_value) and (same.ci_low > 0 or same.ci_high < 0)),
                    "utlatande": fit_verdict(
                        same, "tydlig ökning", "tydlig minskning", "ingen tydlig förändring",
                        "kan inte bedömas" if comparable else "inte jämförbar: frågan ändrad")}
            change_rows.append(row)
        for end in years:
            start = max([years[0]] + [y for y in cut if y <= end])
            span = series[(series["year"] >= start) & (series["year"] <= end)].assign(
                ar=lambda d: d["year"] - start)
            row = {"grupp": grupp, "indikator": ind, "matpunkt": mp, "year": int(end), "fran": int(start),
                   "ar": int(span["year"].nunique()), "brott": int(start) if start in cut else pd.NA}
            fe = binomial_fit(span, "ar", True)
            crude = binomial_fit(span, "ar", False)
            row |= {"oddskvot_per_ar": _exp(fe.estimate), "ci_low": _exp(fe.ci_low), "ci_high": _exp(fe.ci_high), "p_value": fe.p_value, "pp_per_ar": fe.pp,
                    "spridning": fe.dispersion,
                    "tydlig": bool(not math.isnan(fe.p_value) and (fe.ci_low > 0 or fe.ci_high < 0)),
                    "utlatande": fit_verdict(fe, "tydligt stigande", "tydligt sjunkande", "ingen tydlig trend"),
                    "crude_oddskvot_per_ar": _exp(crude.estimate), "crude_p": crude.p_value,
                    "crude_utlatande": fit_verdict(crude, "stigande", "sjunkande", "ingen tydlig")}
            trend_rows.append(row)
        done[same_as] = (change_rows[first_change:], trend_rows[first_trend:])
    change = pd.DataFrame(change_rows)
    trend = pd.DataFrame(trend_rows)
    if not trend.empty:
        trend["brott"] = trend["brott"].astype("Int64")
    return change, trend


# --------------------------------------------------------------------------- funnel
def funnel_positions(andelar: pd.DataFrame) -> pd.DataFrame:
    """Per shown förbund share: the limits at its n, and its position (``lage``: −2 below 99,8 %, −1
    below 95 %, 0 within, 1 above 95 %, 2 above 99,8 %). The limits allow for the ordinary spread
    between förbund: :mod:`pipeline.derive.funnel` on its proportion scale (arcsine square root), τ²
    per year × group × level from the shown shares only, around the national (pooled) share."""
    from .funnel import PROPORTION, limits, spread

    rows = []
    for level, g in andelar.groupby(LEVEL_KEYS, sort=True):
        nation = g[g["forbund"] == NATIONAL]
        areas = g[(g["forbund"] != NATIONAL) & ~g["suppressed"]]
        if nation.empty or nation["suppressed"].iloc[0] or areas.empty:
            continue
        p0 = float(nation["andel"].iloc[0]) / 100
        n = areas["n"].astype(float).to_numpy()
        share = areas["andel"].to_numpy(float) / 100
        tau2 = spread(share, n, p0, PROPORTION)["tau2"]
        frame = areas[LEVEL_KEYS + ["forbund", "n", "andel"]].copy()
        frame["riket"], frame["tau2"] = 100 * p0, tau2
        lage = np.zeros(len(frame), dtype=int)
        for name, step in (("95", 1), ("998", 2)):
            low, high = limits(p0, n, LIMIT_LEVELS[name], tau2, PROPORTION)
            frame[f"lower_{name}"], frame[f"upper_{name}"] = 100 * low, 100 * high
            lage = np.where(share < low, -step, np.where(share > high, step, lage))
        frame["lage"] = lage
        rows.append(frame)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


# --------------------------------------------------------------------------- taking part
def participation(respondenter: pd.DataFrame) -> pd.DataFrame:
    """Per year × questionnaire × group: förbund that answered and respondents (all are counts of
    förbund or national counts of people; nothing per förbund)."""
    return (respondenter.groupby(["year", "enkat", "grupp"])
            .agg(forbund=("forbund", "nunique"), svarande=("respondent", "nunique")).reset_index())


def taking_part(respondenter: pd.DataFrame) -> pd.DataFrame:
    """Which förbund answered each year (names only; no counts per förbund)."""
    return respondenter[["year", "forbund"]].drop_duplicates().sort_values(["year", "forbund"]).reset_index(drop=True)


# --------------------------------------------------------------------------- everything
def indikator_progress_total(series: int) -> int:
    """The progress steps of :func:`indikator_tables_from_frames` for ``series`` group × indicator × point series: one per
    series' changes and trend, and the disclosure control and the funnel weighted as measured at the
    demo's scale (about half and a twentieth of the time the series take; the funnel's share since it
    works on arrays, docs/performance.md)."""
    return series + math.ceil(series / 2) + math.ceil(series / 20)


def indikator_tables_from_frames(svar: pd.DataFrame, respondenter: pd.DataFrame, settings: Settings,
                 changes: pd.DataFrame | None = None, synthetic: bool = True) -> dict[str, pd.DataFrame]:
    """Every table of data/processed/indikator/tabeller from the answers of every year."""
    counts = count(svar)
    series = counts.groupby(["grupp", "indikator", "matpunkt"]).ngroups
    with counting(indikator_progress_total(series), "steg: indikatorernas tabeller") as steps:
        return _indikator_tables(svar, respondenter, settings, changes, synthetic, counts, series, steps)


def _indikator_tables(svar, respondenter, settings, changes, synthetic, counts, series, steps) -> dict[str, pd.DataFrame]:
    andelar, work = disclose(counts, settings)
    steps.step(math.ceil(series / 2))
    broken = breaks(changes, svar)
    change, trend = changes_and_trends(counts, broken, steps)
    participating = participation(respondenter)
    too_few = participating["svarande"] < settings.threshold
    participating["svarande"] = participating["svarande"].astype("Int64").mask(too_few)
    years = sorted(counts["year"].unique())
    unit = {"first_year": int(years[0]), "last_year": int(years[-1]), "min_cell_count": settings.threshold,
            "protection_interval": settings.protection, "synthetic": bool(synthetic),
            "funnel_limits": FUNNEL_LIMITS} | work
    what = {} if changes is None or "forandring" not in changes else dict(zip(zip(changes["fraga"], changes["year"]),
                                                                             changes["forandring"]))
    points = svar[["grupp", "fraga", "indikator", "matpunkt"]].drop_duplicates()
    words = {(r.grupp, r.indikator, r.matpunkt, y): w for (q, y), w in what.items()
             for r in points[points["fraga"] == q].itertuples()}
    brott = pd.DataFrame([{"grupp": g, "indikator": i, "matpunkt": m, "year": y, "forandring": words.get((g, i, m, y), "")}
                          for (g, i, m), ys in broken.items() for y in ys],
                         columns=["grupp", "indikator", "matpunkt", "year", "forandring"])
    tratt = funnel_positions(andelar)
    steps.step(math.ceil(series / 20))
    return {"andelar": andelar, "forandring": change, "trend": trend, "tratt": tratt,
            "deltagande": participating, "forbund": taking_part(respondenter), "brott": brott,
            "unit": pd.DataFrame([unit])}


def build_indikator_tables(cleaned: dict[int, Path], settings: Settings, names: pd.DataFrame | None = None,
                           synthetic: bool = True) -> dict[str, pd.DataFrame]:
    """:func:`indikator_tables_from_frames` on the cleaned years (``cleaned``: year → the cleaning's folder). The
    declared changes that break a series come from each year's ``fragor`` table (``bruten_serie``);
    ``names``: the indicators' and measurement points' Swedish names (``id``, ``namn``), kept for the
    reports (:func:`indicator_names`)."""
    svar, resp, fragor = read_years(cleaned)
    changes = None
    if fragor is not None:
        changes = fragor.loc[fragor["bruten_serie"].astype(bool), ["fraga", "year", "forandring"]]
    tables = indikator_tables_from_frames(svar, resp, settings, changes, synthetic)
    if names is not None:
        tables["indikatorer"] = names
    return tables


def indicator_names(indicators: dict) -> pd.DataFrame:
    """``id``, ``namn`` of every indicator and measurement point (pipeline/sources/indikator.py's
    ``load_indicators``)."""
    rows = [{"id": i.id, "namn": i.name} for i in indicators.values()]
    rows += [{"id": p.id, "namn": p.name} for i in indicators.values() for p in i.points]
    return pd.DataFrame(rows, columns=["id", "namn"])


def read_years(cleaned: dict[int, Path]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """``svar``, ``respondenter`` and ``fragor`` (None where the cleaning wrote none) of the cleaned years."""
    def read(name: str) -> list[pd.DataFrame]:
        return [pd.read_parquet(Path(f) / f"{name}.parquet") for _, f in sorted(cleaned.items())
                if (Path(f) / f"{name}.parquet").is_file()]

    svar, resp, fragor = read("svar"), read("respondenter"), read("fragor")
    if len(svar) != len(cleaned) or len(resp) != len(cleaned):
        from ..core.errors import ConfigError

        missing = [str(f) for f in cleaned.values() if not (Path(f) / "svar.parquet").is_file()]
        raise ConfigError(f"no cleaned indicator answers in {missing[0] if missing else cleaned}: run "
                          "`finsam stage indikator` first")
    return (pd.concat(svar, ignore_index=True), pd.concat(resp, ignore_index=True),
            pd.concat(fragor, ignore_index=True) if fragor else None)


def save_indikator_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    return write_tables(tables, out_dir)
