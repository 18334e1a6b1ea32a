"""Participants compared with the reference population: descriptions and statsmodels models.

For one year and benefit, :func:`analysis_frame` joins the cleaned benefit register (everyone
with the benefit: the reference population) with the cleaned SUS registrations (who took part:
a pågående deltagare that year with the benefit at the start). On that frame:

* :func:`composition` – participants and the whole reference population by sex, age group,
  psychiatric diagnosis (ICD-10 F00–F99) and time with the benefit, with standardised
  differences; counts pass disclosure control;
* :func:`standardised_rates` – crude and directly age- and sex-standardised participation rates
  (standard population: the reference population of the same benefit in ``STANDARD_YEAR``);
* :func:`fit_participation` – logistic regression of taking part on any indicator columns
  (default :data:`COVARIATES`), odds ratios with 95 % confidence intervals and n;
* :func:`trend` – a Poisson GLM of yearly counts on year (quasi-Poisson standard errors when the
  counts are overdispersed): the rate ratio per year;
* :func:`outcome_effect` – the outcome at follow-up (in work or studies 12 months later) for
  participants against non-participants reweighted by the propensity score (ATT weights), a
  balance table (standardised mean differences before and after weighting) and the effect as a
  risk difference with a robust 95 % confidence interval, next to the naive difference.

Every estimate comes back as tidy rows (:data:`TIDY_COLUMNS`), the shape written to
data/processed/models/<year>/ for researchers.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.progress import counting
from ..core.vocabulary import AGE_GROUPS, BENEFITS, PSYCHIATRIC, STANDARD_YEAR, TIME_GROUPS
from ..sources.register import check_same_key

TIDY_COLUMNS = ["year", "benefit", "model", "term", "estimate", "ci_low", "ci_high", "p_value", "n"]
TERM_LABELS = {
    "man": "Man (mot kvinna)", "psykiatrisk_diagnos": "Psykiatrisk diagnos F00–F99 (mot ingen)",
    "tid_1-2": "1–2 år med ersättningen (mot under 1 år)", "tid_3+": "3 år eller mer med ersättningen (mot under 1 år)",
    "alder_25-29": "25 år eller äldre (mot 24 år eller yngre)", "alder_30-49": "30–49 år (mot 29 år eller yngre)",
    "alder_50-64": "50 år eller äldre (mot 29 år eller yngre)",
}


def age_group(benefit: str, age: np.ndarray) -> np.ndarray:
    """Age groups with open ends: younger than the first cut counts in the first group, older in the last."""
    cuts = AGE_GROUPS[benefit]
    labels = np.array([label for label, _, _ in cuts], dtype=object)
    index = np.zeros(len(age), dtype=int)
    for k, (_, low, _) in enumerate(cuts):
        index[np.asarray(age) >= low] = k
    return labels[index]


def time_group(years: np.ndarray) -> np.ndarray:
    labels = np.array([label for label, _, _ in TIME_GROUPS], dtype=object)
    index = np.zeros(len(years), dtype=int)
    for k, (_, low, _) in enumerate(TIME_GROUPS):
        index[np.asarray(years) >= low] = k
    return labels[index]


def design_columns(benefit: str, sex, age_groups, psychiatric, time_groups) -> dict[str, np.ndarray]:
    """Indicator columns named as the model terms; reference: woman, youngest age group, no F diagnosis, < 1 year."""
    cols = {"man": (np.asarray(sex) == "man").astype(float), "psykiatrisk_diagnos": np.asarray(psychiatric, dtype=float)}
    for label, _, _ in AGE_GROUPS[benefit][1:]:
        cols[f"alder_{label}"] = (np.asarray(age_groups) == label).astype(float)
    for label, _, _ in TIME_GROUPS[1:]:
        cols[f"tid_{label}"] = (np.asarray(time_groups) == label).astype(float)
    return cols


def covariates(benefit: str) -> list[str]:
    """The default covariates: sex, age group, psychiatric diagnosis, time with the benefit."""
    return list(design_columns(benefit, [], [], [], []).keys())


# --------------------------------------------------------------------------- data
def analysis_frame(year: int, benefit: str, cleaned_dir: Path, area: list[str] | None = None,
                   geography=None) -> pd.DataFrame:
    """Everyone with ``benefit`` in ``year`` (one row per person) with covariates, participation and outcome.

    ``area``: only registrations in these förbund count as taking part, and the reference population
    is the people living in the area's kommuner on the reference date (``geography``:
    pipeline.sources.geografi); None: the whole country."""
    folder = Path(cleaned_dir) / str(year)
    f = pd.read_parquet(folder / "formaner.parquet")
    if area:
        from ..sources.geografi import residents

        if geography is None:
            raise ValueError("an area's reference population needs the geography "
                             "(pipeline.sources.geografi.load_geography)")
        f = residents(f, geography, area, year)
    d = pd.read_parquet(folder / "deltagare.parquet", columns=["person_id", "support_at_start", "ongoing", "forbund"])
    return frame_from(f, in_area(d, area, geography), year, benefit)


def in_area(frame: pd.DataFrame, area: list[str] | None, geography=None) -> pd.DataFrame:
    """Rows of a SUS export (deltagare or insatser) in the förbund of ``area`` (None or empty: all);
    ``geography``: a registration under a declared old name is the förbund's (its newest name)."""
    if not area:
        return frame
    names = frame["forbund"] if geography is None else geography.unit(frame["forbund"])
    return frame[names.isin(area).to_numpy(dtype=bool)]


def frame_from(formaner: pd.DataFrame, deltagare: pd.DataFrame, year: int, benefit: str) -> pd.DataFrame:
    """:func:`analysis_frame` from cleaned frames already read."""
    return mark_participants(reference_frame(formaner, year, benefit), deltagare, benefit)


def covariate_frame(f: pd.DataFrame, year: int, benefit: str) -> pd.DataFrame:
    """The model covariates of the benefit register rows ``f`` (one per person with ``benefit``):
    person_id, sex, age group, psychiatric diagnosis, time with the benefit."""
    return pd.DataFrame({
        "person_id": f["person_id"].to_numpy(),
        "sex": f["sex"].to_numpy(),
        "age_group": age_group(benefit, year - f["birth_year"].to_numpy()),
        "psychiatric": (f["diagnosis_chapter"] == PSYCHIATRIC).to_numpy(),
        "time_group": time_group(year - pd.to_datetime(f["benefit_start"]).dt.year.to_numpy()),
    })


def participant_ids(deltagare: pd.DataFrame, benefit: str) -> set:
    """Who takes part: the ongoing participants of ``deltagare`` with ``benefit`` at the start."""
    d = deltagare
    return set(d.loc[d["ongoing"] & (d["support_at_start"] == benefit) & d["person_id"].notna(), "person_id"])


def reference_frame(formaner: pd.DataFrame, year: int, benefit: str) -> pd.DataFrame:
    """Everyone with ``benefit`` with covariates and outcome, before participation is marked (the
    same for every area, so it is built once when many areas are)."""
    f = formaner[formaner["benefit"] == benefit].drop_duplicates("person_id")
    frame = covariate_frame(f, year, benefit).assign(
        participant=0.0, outcome=f["work_or_study_12m"].astype("Float64").to_numpy(dtype=float, na_value=np.nan))
    for name, column in design_columns(benefit, frame["sex"], frame["age_group"], frame["psychiatric"],
                                       frame["time_group"]).items():
        frame[name] = column
    return frame


def mark_participants(reference: pd.DataFrame, deltagare: pd.DataFrame, benefit: str) -> pd.DataFrame:
    """``participant`` = 1 for the ongoing participants of ``deltagare`` with ``benefit`` at the start."""
    takers = participant_ids(deltagare, benefit)
    return reference.assign(participant=reference["person_id"].isin(takers).to_numpy().astype(float))


def _tidy(year: int, benefit: str, model: str, terms, estimate, low, high, p, n) -> pd.DataFrame:
    return pd.DataFrame({"year": year, "benefit": benefit, "model": model, "term": list(terms),
                         "estimate": list(estimate), "ci_low": list(low), "ci_high": list(high),
                         "p_value": list(p), "n": n})[TIDY_COLUMNS]


# --------------------------------------------------------------------------- descriptive
def smd_binary(p1: float, p0: float) -> float:
    """Standardised difference of two proportions (pooled standard deviation)."""
    pooled = math.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    return 0.0 if pooled == 0 else (p1 - p0) / pooled


VARIABLES = {"sex": "Kön", "age_group": "Åldersgrupp", "psychiatric": "Psykiatrisk diagnos", "time_group": "Tid med ersättningen"}


def categories(benefit: str | None, frame: pd.DataFrame, variable: str) -> list:
    """Every category of ``variable``: the fixed list for a known benefit (so that an empty category
    is a zero cell, never a missing row that would give the zero away), else those in ``frame``."""
    fixed = {"sex": ["kvinna", "man"], "psychiatric": [False, True],
             "time_group": [label for label, _, _ in TIME_GROUPS],
             "age_group": [label for label, _, _ in AGE_GROUPS.get(benefit, [])]}
    if benefit in AGE_GROUPS:
        return fixed[variable]
    return sorted(frame[variable].unique(), key=str)


def composition_counts(frame: pd.DataFrame, benefit: str | None = None) -> pd.DataFrame:
    """Participants and everyone with the benefit per variable and category (not yet published)."""
    takers = frame[frame["participant"] == 1]
    rows = []
    for variable in VARIABLES:
        population, participants = frame[variable].value_counts(), takers[variable].value_counts()
        for v in categories(benefit, frame, variable):
            rows.append({"variable": variable, "category": str(v), "participants": int(participants.get(v, 0)),
                         "population": int(population.get(v, 0))})
    return pd.DataFrame(rows, columns=["variable", "category", "participants", "population"])


def add_composition(linked, prefix: tuple, counts: pd.DataFrame) -> None:
    """The composition's cells in the publication layer: ``prefix + ("P"|"N", variable, category)``,
    totals ``prefix + ("P"|"N", "total")`` (shown as n in the rates table), participants ⊂ population."""
    if counts.empty:  # nobody with the benefit
        linked.cell(prefix + ("P", "total"), 0)
        linked.cell(prefix + ("N", "total"), 0)
    for variable, rows in counts.groupby("variable", sort=False):
        for who, column in (("P", "participants"), ("N", "population")):
            cells = [linked.cell(prefix + (who, variable, r.category), getattr(r, column)) for r in rows.itertuples()]
            linked.total(prefix + (who, "total"), cells)
        for r in rows.itertuples():
            linked.subset(prefix + ("P", variable, r.category), prefix + ("N", variable, r.category))
    linked.subset(prefix + ("P", "total"), prefix + ("N", "total"))


def composition_rows(decision, prefix: tuple, counts: pd.DataFrame) -> pd.DataFrame:
    """The composition as published: hidden counts NA, and every share or standardised difference
    that uses a hidden count NA as well."""
    n1 = decision.count(prefix + ("P", "total"))
    n0 = decision.count(prefix + ("N", "total"))
    rows = []
    for r in counts.itertuples():
        c1 = decision.count(prefix + ("P", r.variable, r.category))
        c0 = decision.count(prefix + ("N", r.variable, r.category))
        p1 = np.nan if pd.isna(c1) or pd.isna(n1) or not n1 else 100 * c1 / n1
        p0 = np.nan if pd.isna(c0) or pd.isna(n0) or not n0 else 100 * c0 / n0
        rows.append({"variable": r.variable, "category": r.category, "n_participants": c1, "n_population": c0,
                     "pct_participants": p1, "pct_population": p0,
                     "smd": np.nan if np.isnan(p1) or np.isnan(p0) else smd_binary(p1 / 100, p0 / 100),
                     "suppressed": bool(pd.isna(c1) or pd.isna(c0))})
    return pd.DataFrame(rows, columns=["variable", "category", "n_participants", "n_population", "pct_participants",
                                       "pct_population", "smd", "suppressed"]).astype(
        {"n_participants": "Int64", "n_population": "Int64"})


def composition(frame: pd.DataFrame, threshold: int = 5, protection: int | None = None) -> pd.DataFrame:
    """Participants vs everyone with the benefit, per variable and category, on its own: counts
    (disclosure-controlled), shares and the standardised difference of the shares. The build
    publishes it linked with Bilaga 1's tables instead (pipeline/register_tables.py)."""
    from .disclosure import Linked

    counts = composition_counts(frame)
    linked = Linked(threshold, protection)
    add_composition(linked, (), counts)
    return composition_rows(linked.solve(), (), counts)


def standardised_rates(frame: pd.DataFrame, standard: pd.DataFrame) -> dict[str, float]:
    """Crude and directly age- and sex-standardised participation (per cent, with 95 % CI).

    ``standard`` is the standard population: counts by ``sex`` and ``age_group`` (column ``n``).
    Cells of the standard population missing in ``frame`` make the standardised rate undefined.
    """
    by_cell = frame.groupby(["sex", "age_group"])["participant"].agg(["sum", "count"])
    weights = standard.set_index(["sex", "age_group"])["n"]
    weights = weights / weights.sum()
    rate = by_cell["sum"] / by_cell["count"]
    missing = [c for c in weights.index if c not in rate.index]
    crude = frame["participant"].mean()
    crude_se = math.sqrt(crude * (1 - crude) / len(frame))
    out = {"crude": 100 * crude, "crude_low": 100 * (crude - 1.96 * crude_se), "crude_high": 100 * (crude + 1.96 * crude_se)}
    if missing:
        return out | {"standardised": np.nan, "standardised_low": np.nan, "standardised_high": np.nan}
    r = rate.reindex(weights.index)
    n = by_cell["count"].reindex(weights.index)
    value = float((weights * r).sum())
    se = math.sqrt(float((weights ** 2 * r * (1 - r) / n).sum()))
    return out | {"standardised": 100 * value, "standardised_low": 100 * (value - 1.96 * se),
                  "standardised_high": 100 * (value + 1.96 * se)}


def standard_year(years: list[int]) -> int:
    """The standard population's year: :data:`STANDARD_YEAR` when the register years hold it, else the
    last register year (so that any register.years has one; the rates table records which)."""
    return STANDARD_YEAR if STANDARD_YEAR in years or not years else max(years)


def standard_population(cleaned_dir: Path, benefit: str, year: int = STANDARD_YEAR) -> pd.DataFrame:
    frame = analysis_frame(year, benefit, cleaned_dir)
    return frame.groupby(["sex", "age_group"]).size().rename("n").reset_index()


# --------------------------------------------------------------------------- models
def _grouped(frame: pd.DataFrame, outcome: str, columns: list[str]) -> pd.DataFrame:
    """Individual rows → one row per covariate pattern with events and trials (same likelihood)."""
    return frame.groupby(columns, observed=True)[outcome].agg(events="sum", trials="count").reset_index()


def fit_participation(frame: pd.DataFrame, columns: list[str] | None = None, year: int = 0, benefit: str = "",
                      alpha: float = 0.05) -> pd.DataFrame:
    """Logistic regression of ``participant`` on indicator ``columns`` (default: the frame's
    covariates). Returns tidy rows: odds ratio, (1 − alpha) confidence interval, p-value, n.

    To refit with other covariates, add indicator columns to the frame (e.g. from a joined
    register) and pass their names. The fit uses the covariate patterns (binomial GLM on grouped
    data), which gives the same estimates as one row per person.
    """
    import statsmodels.api as sm

    columns = columns or [c for c in frame.columns if c in set(TERM_LABELS)]
    grouped = _grouped(frame, "participant", columns)
    exog = sm.add_constant(grouped[columns].astype(float), has_constant="add")
    endog = np.column_stack([grouped["events"], grouped["trials"] - grouped["events"]])
    result = sm.GLM(endog, exog, family=sm.families.Binomial()).fit()
    ci = result.conf_int(alpha)
    terms = ["const"] + columns
    return _tidy(year, benefit, "deltagande_logit", terms, np.exp(result.params[terms]), np.exp(ci.loc[terms, 0]),
                 np.exp(ci.loc[terms, 1]), result.pvalues[terms], int(grouped["trials"].sum()))


def trend(counts: pd.Series, label: str, alpha: float = 0.05) -> pd.DataFrame:
    """Rate ratio per year of ``counts`` (index: year) from a Poisson GLM on year; when the Pearson
    chi² per degree of freedom is above 1, standard errors are scaled by it (quasi-Poisson)."""
    import statsmodels.api as sm

    counts = counts.dropna().astype(float)
    years = counts.index.to_numpy(dtype=float)
    exog = sm.add_constant(years - years.mean())
    poisson = sm.GLM(counts.to_numpy(), exog, family=sm.families.Poisson()).fit()
    dispersion = float(poisson.pearson_chi2 / poisson.df_resid) if poisson.df_resid > 0 else 1.0
    result = sm.GLM(counts.to_numpy(), exog, family=sm.families.Poisson()).fit(
        scale="X2" if dispersion > 1 else 1.0)
    ci = result.conf_int(alpha)
    return pd.DataFrame([{
        "series": label, "first_year": int(years.min()), "last_year": int(years.max()),
        "rate_ratio": math.exp(result.params[1]), "ci_low": math.exp(ci[1, 0]), "ci_high": math.exp(ci[1, 1]),
        "p_value": float(result.pvalues[1]), "dispersion": dispersion,
        "method": "kvasi-Poisson" if dispersion > 1 else "Poisson", "n_years": len(counts),
    }])


def propensity(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Estimated probability of taking part, from the logistic model on ``columns``."""
    import statsmodels.api as sm

    grouped = _grouped(frame, "participant", columns)
    exog = sm.add_constant(grouped[columns].astype(float), has_constant="add")
    endog = np.column_stack([grouped["events"], grouped["trials"] - grouped["events"]])
    result = sm.GLM(endog, exog, family=sm.families.Binomial()).fit()
    pattern = sm.add_constant(frame[columns].astype(float), has_constant="add")
    return np.asarray(result.predict(pattern))


def _weighted_stats(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    mean = float(np.average(x, weights=w))
    return mean, float(np.average((x - mean) ** 2, weights=w))


def outcome_effect(frame: pd.DataFrame, columns: list[str] | None = None, year: int = 0, benefit: str = "",
                   alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Effect of taking part on the outcome: naive and propensity-score weighted (ATT) risk differences.

    Weights: 1 for participants, ps / (1 − ps) for the others, so that the others resemble the
    participants on ``columns``. The effect is the weighted difference in outcome shares, from a
    weighted least-squares fit with heteroskedasticity-robust (HC1) standard errors; the
    uncertainty of the estimated propensity score is not added (a usual simplification).
    Returns (tidy effect rows, balance table).
    """
    import statsmodels.api as sm

    columns = columns or [c for c in frame.columns if c in set(TERM_LABELS)]
    data = frame[frame["outcome"].notna()]
    treated = data["participant"].to_numpy() == 1
    ps = propensity(data, columns)
    weights = np.where(treated, 1.0, ps / (1 - ps))
    balance = []
    for column in columns:
        x = data[column].to_numpy(float)
        m1, v1 = _weighted_stats(x[treated], np.ones(treated.sum()))
        m0, v0 = _weighted_stats(x[~treated], np.ones((~treated).sum()))
        mw, vw = _weighted_stats(x[~treated], weights[~treated])
        pooled = math.sqrt((v1 + v0) / 2) or 1.0
        balance.append({"year": year, "benefit": benefit, "term": column, "mean_participants": m1,
                        "mean_others": m0, "mean_others_weighted": mw, "smd_before": (m1 - m0) / pooled,
                        "smd_after": (m1 - mw) / pooled})
    exog = sm.add_constant(data["participant"].to_numpy(float))
    y = data["outcome"].to_numpy(float)
    rows = []
    for model, w in (("utfall_naiv_riskskillnad", np.ones(len(data))), ("utfall_ps_viktad_riskskillnad", weights)):
        fit = sm.WLS(y, exog, weights=w).fit(cov_type="HC1")
        ci = fit.conf_int(alpha)
        rows.append(_tidy(year, benefit, model, ["participant"], [fit.params[1]], [ci[1, 0]], [ci[1, 1]],
                          [fit.pvalues[1]], len(data)))
    return pd.concat(rows, ignore_index=True), pd.DataFrame(balance)


# --------------------------------------------------------------------------- one year, for the stage
def trend_counts(tables_dir: Path, last_year: int) -> dict[str, pd.Series]:
    """Yearly counts up to ``last_year`` from the microdata tables: participants per benefit, and
    insatser for the prioritised target groups (NA years are left out of the fit)."""
    participants = pd.read_parquet(Path(tables_dir) / "participants.parquet")
    insatser = pd.read_parquet(Path(tables_dir) / "insatser.parquet")
    out = {}
    for table, benefit in ((1, "aktivitetsersattning"), (3, "sjukpenning")):
        p = participants[(participants["table"] == table) & (participants["sex"] == "total")
                         & (participants["year"] <= last_year)]
        out[f"deltagare_{benefit}"] = p.set_index("year")["count"].astype("Float64")
    for group in ("unga_aktivitetsersattning", "sjukskrivna", "unga_funktionsnedsattning"):
        i = insatser[(insatser["target_group"] == group) & (insatser["year"] <= last_year)]
        out[f"insatser_{group}"] = i.set_index("year")["count"].astype("Float64")
    return out


TERM_CELL = {"man": ("sex", "man"), "psykiatrisk_diagnos": ("psychiatric", "True")} | {
    f"alder_{label}": ("age_group", label) for groups in AGE_GROUPS.values() for label, _, _ in groups} | {
    f"tid_{label}": ("time_group", label) for label, _, _ in TIME_GROUPS}


def hidden_variables(frame: pd.DataFrame, composition_rows: pd.DataFrame, threshold: int) -> set[str]:
    """Variables whose estimates are not published: a category with a hidden composition cell, or
    with fewer than ``threshold`` participants or non-participants."""
    hidden = set(composition_rows.loc[composition_rows["suppressed"], "variable"])
    for variable in VARIABLES:
        for _, group in frame.groupby(variable):
            took = int(group["participant"].sum())
            if min(took, len(group) - took) < threshold:
                hidden.add(variable)
    return hidden


def publish_estimates(tidy: pd.DataFrame, hidden_vars: set[str], all_hidden: bool, n: object) -> pd.DataFrame:
    """Estimates on too few people (or that could reveal a hidden cell) as NaN; n as published."""
    out = tidy.copy()
    values = ["estimate", "ci_low", "ci_high", "p_value"]
    for i, term in out["term"].items():
        variable = TERM_CELL.get(term, (None,))[0]
        if all_hidden or variable in hidden_vars or (term == "const" and hidden_vars):
            out.loc[i, values] = np.nan
    out["n"] = n
    return out


def _safe(fit, *args, **kwargs):
    """A model that cannot be fitted on a small area (separation, a singular design) gives nothing."""
    import warnings

    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fit(*args, **kwargs)
        except (PerfectSeparationError, np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            return None


# Progress of :func:`run_year` per benefit: the analysis frame (read and joined: about half the time),
# the participation model, the outcome comparison with the standardised rates.
YEAR_STEPS = 4


def run_year(year: int, cleaned_dir: Path, tables_dir: Path, threshold: int = 5,
             area: list[str] | None = None, geography=None, standard: int = STANDARD_YEAR) -> dict[str, pd.DataFrame]:
    """Every description and model for ``year``, as the tables written to data/processed/models/<year>/.

    The composition and the counts come from the publication stage (``tables_dir``: hidden there,
    hidden here); estimates on fewer than ``threshold`` people are NaN. The year and the standard
    population's year (``standard``, :func:`standard_year`) must have been pseudonymised with one key
    (else a ConfigError says so)."""
    check_same_key(cleaned_dir, sorted({year, standard}))
    with counting(len(BENEFITS) * YEAR_STEPS, f"steg: modeller {year}") as steps:
        return _run_year(year, cleaned_dir, tables_dir, threshold, area, geography, standard, steps)


def _run_year(year, cleaned_dir, tables_dir, threshold, area, geography, standard, steps) -> dict[str, pd.DataFrame]:
    """:func:`run_year`'s work, each piece counted on ``steps`` (:data:`YEAR_STEPS` per benefit)."""
    compositions = pd.read_parquet(Path(tables_dir) / "composition.parquet")
    totals = pd.read_parquet(Path(tables_dir) / "model_totals.parquet")
    estimates, effects, balances, comps, rates = [], [], [], [], []
    for benefit in BENEFITS:
        frame = analysis_frame(year, benefit, cleaned_dir, area, geography)
        steps.step(2)
        comp = compositions[(compositions["year"] == year) & (compositions["benefit"] == benefit)]
        total = totals[(totals["year"] == year) & (totals["benefit"] == benefit)].iloc[0]
        n_part, n_pop = total["n_participants"], total["n_population"]
        took = int(frame["participant"].sum())
        few = pd.isna(n_part) or pd.isna(n_pop) or min(took, len(frame) - took) < threshold
        hidden_vars = hidden_variables(frame, comp, threshold)
        fitted = None if few else _safe(fit_participation, frame, year=year, benefit=benefit)
        if fitted is None:
            fitted = _empty_fit(year, benefit)
        estimates.append(publish_estimates(fitted, hidden_vars, few, n_pop))
        steps.step()
        effect, balance = _outcome_published(frame, year, benefit, threshold, few, hidden_vars)
        effects.append(effect.assign(n=effect["n"] if pd.notna(n_pop) else np.nan))
        balances.append(balance)
        comps.append(comp)
        r = standardised_rates(frame, standard_population(cleaned_dir, benefit, standard))
        cells = frame.groupby(["sex", "age_group"])["participant"].agg(["sum", "count"])
        small_cell = ((cells["sum"] < threshold) | (cells["count"] - cells["sum"] < threshold)).any()
        if few:
            r = {k: np.nan for k in r}
        elif small_cell or hidden_vars & {"sex", "age_group"}:
            r |= {"standardised": np.nan, "standardised_low": np.nan, "standardised_high": np.nan}
        rates.append(pd.DataFrame([r | {"year": year, "benefit": benefit, "standard_year": standard, "n_population": n_pop,
                                        "n_participants": n_part, "suppressed": bool(few),
                                        "standardised_suppressed": bool(few or small_cell
                                                                        or hidden_vars & {"sex", "age_group"})}]))
        steps.step()
    trends = [trend(series, label) for label, series in trend_counts(tables_dir, year).items()
              if series.dropna().size >= 3]
    trend_frame = pd.concat(trends, ignore_index=True) if trends else pd.DataFrame()
    if len(trend_frame):
        trend_frame.insert(0, "year", year)
    tidy = pd.concat(estimates + effects, ignore_index=True)
    if len(trend_frame):
        tidy = pd.concat([tidy, _tidy(year, "", "trend_poisson", trend_frame["series"], trend_frame["rate_ratio"],
                                      trend_frame["ci_low"], trend_frame["ci_high"], trend_frame["p_value"],
                                      trend_frame["n_years"])], ignore_index=True)
    rate_frame = pd.concat(rates, ignore_index=True).astype({"n_population": "Int64", "n_participants": "Int64"})
    return {"estimates": tidy, "balance": pd.concat(balances, ignore_index=True),
            "composition": pd.concat(comps, ignore_index=True), "rates": rate_frame, "trend": trend_frame,
            "unit": pd.read_parquet(Path(tables_dir) / "unit.parquet")}


def _empty_fit(year: int, benefit: str) -> pd.DataFrame:
    terms = ["const"] + covariates(benefit)
    nan = [np.nan] * len(terms)
    return _tidy(year, benefit, "deltagande_logit", terms, nan, nan, nan, nan, 0)


def _outcome_published(frame, year, benefit, threshold, few, hidden_vars) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The outcome comparison and balance table as published: the effect only when participants and
    others each have at least ``threshold`` people with and without the outcome; a balance row only
    when its variable is published in the composition."""
    data = frame[frame["outcome"].notna()]
    treated = data["participant"] == 1
    cells = [int(((data["outcome"] == v) & (treated == t)).sum()) for v in (0, 1) for t in (True, False)]
    result = None if few or min(cells) < threshold else _safe(outcome_effect, frame, year=year, benefit=benefit)
    if result is None:
        nan = [np.nan]
        effect = pd.concat([_tidy(year, benefit, m, ["participant"], nan, nan, nan, nan, len(data))
                            for m in ("utfall_naiv_riskskillnad", "utfall_ps_viktad_riskskillnad")], ignore_index=True)
        balance = pd.DataFrame({"year": year, "benefit": benefit, "term": covariates(benefit)})
        for column in ("mean_participants", "mean_others", "mean_others_weighted", "smd_before", "smd_after"):
            balance[column] = np.nan
        return effect, balance
    effect, balance = result
    hide = balance["term"].map(lambda t: TERM_CELL.get(t, ("",))[0] in hidden_vars)
    balance.loc[hide, ["mean_participants", "mean_others", "mean_others_weighted", "smd_before", "smd_after"]] = np.nan
    return effect, balance


def save_model_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    from ..core.io import write_tables

    return write_tables(tables, out_dir)


def load_model_tables(out_dir: Path) -> dict[str, pd.DataFrame]:
    from ..core.errors import InputError

    names = ("estimates", "balance", "composition", "rates", "trend", "unit")
    missing = [n for n in names if not (Path(out_dir) / f"{n}.parquet").is_file()]
    if missing:
        raise InputError(out_dir, f"model results missing ({', '.join(missing)}); run `finsam stage models` first")
    return {n: pd.read_parquet(Path(out_dir) / f"{n}.parquet") for n in names}
