"""Each förbund's participation compared with the nation's, adjusted for who lives there: indirect
standardisation from one national logistic regression per year and benefit.

**The rule (docs/assumptions_caveats.md).** The population is the förbund's reference population
(everyone with the benefit whose kommun on 31 December is one of its kommuner, as for coverage).
A person *takes part* when they are an ongoing SUS participant that year with the benefit at the
start, in **any** förbund – the Modellbilaga's definition (:func:`models.mark_participants`).

* The model: participation on the Modellbilaga's covariates (sex, age group, psychiatric diagnosis
  F00–F99, time with the benefit; :func:`models.design_columns`), a binomial GLM (statsmodels) on
  the whole nation's reference population, fitted on the covariate patterns (events and trials per
  pattern: the same likelihood as one row per person, and a few dozen rows instead of hundreds of
  thousands). A covariate without variation in the nation is left out (the constant takes it).
* Per förbund: **O** = its residents who take part (the numerator matches the population the model
  predicts for; it is not the published number of the förbund's own participants, which counts
  people living elsewhere too and misses residents taking part in a neighbour's insats), **E** =
  the sum of the predicted probabilities over its residents, **O/E** with an exact (Garwood)
  Poisson 95 % interval for O divided by E. E is treated as known: the national model rests on
  hundreds of thousands of people, so its own uncertainty is small beside the förbund's.
* Because the model has a constant, the expected counts of all areas (the förbund and the
  residents of kommuner in no förbund) add up to the nation's participants: the nation is 1 by
  construction.

**Ordinary spread between förbund (over-dispersion).** Förbund differ by more than chance (local
practice, the labour market, how SUS is used), and Poisson limits alone would call ordinary förbund
outliers. :func:`overdispersion` estimates that extra spread from the förbund themselves as an
additive random effect τ² on the square-root scale of O/E, and :func:`ratio_limits` gives the limits
for O/E at a given E, (1 ± z·√(1/(4E) + τ²))²: both are :mod:`pipeline.derive.funnel` on its ratio
scale (Spiegelhalter 2005; DerSimonian–Laird with clear outliers left out and τ² estimated again; the
indicator surveys' funnel is the same computation on the proportion scale). The same two functions
give the funnel plot's limits for coverage (:func:`pipeline.derive.forbund.control_limits`, E =
national rate × N) and the verdict of the adjusted comparison (:func:`with_limits`): one computation
for the plot, the table and the sentence.

O is a new count: it enters the linked disclosure control in :mod:`forbund` as a cell within the
reference population (a subset), and the nation's O (the Modellbilaga's participants) as the sum
over the areas. E and the ratio are published only where :func:`reason` finds nothing against it:
O and N both shown, O at least :data:`MIN_COMPARISON`, and a model that converged. A published E
with a hidden N would bound N (E is about N times the average probability).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from ..core.errors import ConfigError
from ..core.fmt import round_half_up
from ..core.progress import SILENT
from ..core.vocabulary import BENEFITS
from . import funnel, models

MIN_COMPARISON = 20  # O below this: no comparison (the ratio would mostly show chance)
LEVEL = 0.95
NEEDED = ("person_id", "benefit", "kommun", "sex", "birth_year", "benefit_start", "diagnosis_chapter")
_PATTERN = ["sex", "age_group", "psychiatric", "time_group"]
# Why there is no comparison (the report says it in Swedish); "" = compared.
REASONS = ("hidden", "no_population", "no_participants", "few", "model")


def exact_interval(observed: int, level: float = LEVEL) -> tuple[float, float]:
    """Garwood's exact interval for a Poisson mean given ``observed`` events (via the chi-square
    distribution; the lower end is 0 when nothing was observed)."""
    from scipy.stats import chi2

    alpha = 1 - level
    low = 0.0 if observed == 0 else chi2.ppf(alpha / 2, 2 * observed) / 2
    return float(low), float(chi2.ppf(1 - alpha / 2, 2 * observed + 2) / 2)


def ratio_verdict(low: float, high: float) -> str:
    """higher, lower or not_different: is 1 outside the ratio's interval?"""
    return "higher" if low > 1 else "lower" if high < 1 else "not_different"


def overdispersion(observed, expected) -> dict:
    """The spread of O/E between areas beyond chance (``phi``, ``tau2``, ``beyond_chance``, ``units``,
    ``trimmed``): :func:`pipeline.derive.funnel.spread` on the ratio scale, O/E at size E around 1.
    Areas without a positive E or a known O are not counted."""
    o, e = np.asarray(observed, dtype=float), np.asarray(expected, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return funnel.spread(np.where(e > 0, o / e, np.nan), e, 1.0, funnel.RATIO)


def ratio_limits(expected, level: float, tau2: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits for O/E at expected counts ``expected``: √(O/E) is about normal
    with mean 1 and variance 1/(4E) + τ² (:func:`pipeline.derive.funnel.limits` on the ratio scale);
    NaN where E is not positive."""
    return funnel.limits(1.0, expected, level, tau2, funnel.RATIO)


def limits_verdict(ratio: float, low: float, high: float) -> str:
    """higher, lower or not_different: is the ratio outside its control limits?"""
    return "higher" if ratio > high else "lower" if ratio < low else "not_different"


def reason(observed, observed_hidden: bool, population, population_hidden: bool, model_ok: bool) -> str:
    """Why the förbund is not compared ("" when it is): the one rule the stage publishes by and the
    report explains by. Hidden first: a hidden count must not be described further."""
    if observed_hidden or population_hidden or pd.isna(observed) or pd.isna(population):
        return "hidden"
    if population <= 0:
        return "no_population"
    if observed <= 0:
        return "no_participants"
    if observed < MIN_COMPARISON:
        return "few"
    if not model_ok:
        return "model"
    return ""


def _patterns(formaner: pd.DataFrame, deltagare: pd.DataFrame, year: int, benefit: str,
              area_of_kommun: pd.Series) -> pd.DataFrame:
    """Per area and covariate pattern: residents with ``benefit`` (trials) and of them participants
    (events). One row per person as in the reference population (the first row of a person)."""
    f = formaner.loc[formaner["benefit"] == benefit].drop_duplicates("person_id")
    frame = models.covariate_frame(f, year, benefit)  # the Modellbilaga's covariates and participants
    frame.insert(0, "area", f["kommun"].map(area_of_kommun).to_numpy())
    frame["participant"] = frame["person_id"].isin(models.participant_ids(deltagare, benefit)).to_numpy()
    return frame.groupby(["area", *_PATTERN], observed=True, dropna=False)["participant"].agg(
        events="sum", trials="size").reset_index()


def fit(patterns: pd.DataFrame, benefit: str) -> tuple[np.ndarray | None, list[str]]:
    """Predicted probability of taking part for every row of ``patterns`` from the binomial GLM fitted
    on the nation (all rows, summed over areas); (None, terms) when the model cannot be fitted or
    does not converge."""
    import statsmodels.api as sm

    nation = patterns.groupby(_PATTERN, observed=True)[["events", "trials"]].sum().reset_index()
    events, trials = nation["events"].to_numpy(float), nation["trials"].to_numpy(float)
    if trials.sum() == 0 or events.sum() in (0, trials.sum()):
        return None, []
    design = lambda p: pd.DataFrame(models.design_columns(benefit, p["sex"], p["age_group"], p["psychiatric"],  # noqa: E731
                                                          p["time_group"]))
    x = design(nation)
    terms = [c for c in x.columns if x[c].nunique() > 1]  # no variation in the nation: the constant takes it
    exog = sm.add_constant(x[terms], has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = sm.GLM(np.column_stack([events, trials - events]), exog, family=sm.families.Binomial()).fit()
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            return None, terms
    if not getattr(result, "converged", True) or not np.all(np.isfinite(result.params)):
        return None, terms
    return np.asarray(result.predict(sm.add_constant(design(patterns)[terms], has_constant="add"))), terms


def expected(deltagare: dict[int, pd.DataFrame], formaner: dict[int, pd.DataFrame],
             area_of: dict[int, dict[str, str]], national: str, rest: str, steps=SILENT, step_size: int = 1
             ) -> pd.DataFrame:
    """Observed and expected participants per area, year and benefit, before disclosure control.

    ``area_of``: per year, kommun code → förbund (kommuner in no förbund are ``rest``). Columns:
    area (each förbund, ``rest`` and ``national``), year, benefit, population (N), observed (O),
    expected (E), model_ok (bool), terms (the covariates fitted, comma-separated). ``steps``: a
    progress counter (:mod:`pipeline.core.progress`), ``step_size`` steps per year and benefit."""
    rows = []
    for year in sorted(formaner):
        f = formaner[year]
        missing = [c for c in NEEDED if c not in f.columns]
        if missing:
            raise ConfigError(f"the cleaned benefit register of {year} has no {', '.join(missing)}: the adjusted "
                              "comparison needs sex, birth year, benefit start and diagnosis (rerun `finsam stage "
                              "register`)")
        areas = pd.Series(area_of[year])
        for benefit in BENEFITS:
            patterns = _patterns(f, deltagare[year], year, benefit, areas)
            patterns["area"] = patterns["area"].fillna(rest)
            p, terms = fit(patterns, benefit)
            patterns["expected"] = np.nan if p is None else patterns["trials"] * p
            by = patterns.groupby("area")[["trials", "events", "expected"]].sum()
            whole = patterns[["trials", "events", "expected"]].sum()
            for area, r in [*by.iterrows(), (national, whole)]:
                rows.append({"area": area, "year": int(year), "benefit": benefit, "population": int(r["trials"]),
                             "observed": int(r["events"]), "expected": float(r["expected"]) if p is not None else np.nan,
                             "model_ok": p is not None, "terms": ",".join(terms)})
            steps.step(step_size)
    return pd.DataFrame(rows, columns=["area", "year", "benefit", "population", "observed", "expected", "model_ok",
                                       "terms"])


def published(area: str, year: int, benefit: str, observed, observed_hidden: bool, population,
              population_hidden: bool, expected_value: float, model_ok: bool) -> dict:
    """One row of the published table: O and N as the disclosure control left them; E (one decimal),
    O/E and its interval (two decimals) and the verdict only where :func:`reason` allows."""
    why = reason(observed, observed_hidden, population, population_hidden, model_ok)
    row = {"forbund": area, "year": int(year), "benefit": benefit,
           "observed": pd.NA if observed_hidden else observed, "population": pd.NA if population_hidden else population,
           "expected": np.nan, "ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "verdict": pd.NA,
           "reason": why, "model_ok": bool(model_ok)}
    if why or not expected_value or not math.isfinite(expected_value):
        row["reason"] = why or "model"
        return row
    low, high = exact_interval(int(observed))
    shown = {k: float(round_half_up(v, 2)) for k, v in (("ratio", observed / expected_value),
                                                         ("ci_low", low / expected_value),
                                                         ("ci_high", high / expected_value))}
    # the verdict from the interval as written, so that the sentence never contradicts its numbers;
    # :func:`with_limits` replaces it by the verdict against the limits that allow for the spread
    row.update(shown, expected=float(round_half_up(expected_value, 1)),
               verdict=ratio_verdict(shown["ci_low"], shown["ci_high"]))
    return row


def with_limits(rows: pd.DataFrame, raw_expected, national: str) -> pd.DataFrame:
    """The published comparison with control limits that allow for the ordinary spread between förbund:
    per year and benefit, τ² from the compared förbund (:func:`overdispersion`, the nation left out),
    each compared förbund's 95 % limits for O/E at its E (``limit_low``, ``limit_high``, two decimals)
    and its verdict against them (from the numbers as written). ``beyond_chance`` and ``tau2`` are the
    year's and benefit's, on every row (the sentence of every page says it)."""
    out = rows.copy()
    raw = pd.Series(np.asarray(raw_expected, dtype=float), index=out.index)
    for column in ("limit_low", "limit_high", "beyond_chance", "tau2"):
        out[column] = np.nan
    compared = (out["reason"] == "") & out["ratio"].notna()
    for _, group in out.groupby(["year", "benefit"]):
        areas = group.index[(group["forbund"] != national) & compared.loc[group.index]]
        spread = overdispersion(out.loc[areas, "observed"].astype(float), raw.loc[areas])
        out.loc[group.index, "tau2"] = spread["tau2"]
        out.loc[group.index, "beyond_chance"] = (np.nan if math.isnan(spread["beyond_chance"])
                                                 else float(round_half_up(spread["beyond_chance"], 2)))
        here = areas
        low, high = ratio_limits(raw.loc[here], LEVEL, spread["tau2"])
        out.loc[here, "limit_low"] = [float(round_half_up(v, 2)) for v in low]
        out.loc[here, "limit_high"] = [float(round_half_up(v, 2)) for v in high]
        out.loc[here, "verdict"] = [limits_verdict(r, lo, hi) for r, lo, hi in
                                    zip(out.loc[here, "ratio"], out.loc[here, "limit_low"], out.loc[here, "limit_high"])]
    return out
