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

from ..core.vocabulary import AGE_GROUPS, BENEFITS, PSYCHIATRIC, STANDARD_YEAR, TIME_GROUPS
from .disclosure import suppress

TIDY_COLUMNS = ["year", "benefit", "model", "term", "estimate", "ci_low", "ci_high", "p_value", "n"]
TERM_LABELS = {
    "man": "Man (mot kvinna)", "psykiatrisk_diagnos": "Psykiatrisk diagnos F00–F99 (mot annan)",
    "tid_1-2": "1–2 år med ersättningen (mot under 1 år)", "tid_3+": "3 år eller mer med ersättningen (mot under 1 år)",
    "alder_25-29": "25–29 år (mot 19–24)", "alder_30-49": "30–49 år (mot 20–29)", "alder_50-64": "50–64 år (mot 20–29)",
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
def analysis_frame(year: int, benefit: str, cleaned_dir: Path) -> pd.DataFrame:
    """Everyone with ``benefit`` in ``year`` (one row per person) with covariates, participation and outcome."""
    folder = Path(cleaned_dir) / str(year)
    f = pd.read_parquet(folder / "formaner.parquet")
    f = f[f["benefit"] == benefit].drop_duplicates("person_id")
    d = pd.read_parquet(folder / "deltagare.parquet", columns=["person_id", "support_at_start", "ongoing"])
    takers = set(d.loc[d["ongoing"] & (d["support_at_start"] == benefit) & d["person_id"].notna(), "person_id"])
    frame = pd.DataFrame({
        "person_id": f["person_id"].to_numpy(),
        "sex": f["sex"].to_numpy(),
        "age_group": age_group(benefit, year - f["birth_year"].to_numpy()),
        "psychiatric": (f["diagnosis_chapter"] == PSYCHIATRIC).to_numpy(),
        "time_group": time_group(year - f["benefit_start"].dt.year.to_numpy()),
        "participant": f["person_id"].isin(takers).to_numpy().astype(float),
        "outcome": f["work_or_study_12m"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
    })
    for name, column in design_columns(benefit, frame["sex"], frame["age_group"], frame["psychiatric"],
                                       frame["time_group"]).items():
        frame[name] = column
    return frame


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


def composition(frame: pd.DataFrame, threshold: int = 5) -> pd.DataFrame:
    """Participants vs everyone with the benefit, per variable and category: counts (disclosure-
    controlled), shares and the standardised difference of the shares."""
    takers = frame[frame["participant"] == 1]
    rows = []
    for variable in VARIABLES:
        values = sorted(frame[variable].unique(), key=str)
        counts = pd.DataFrame({
            "participants": [int((takers[variable] == v).sum()) for v in values],
            "population": [int((frame[variable] == v).sum()) for v in values],
        }, index=[str(v) for v in values])
        result = suppress(counts, threshold, col_totals=True)
        for v, key in zip(values, counts.index):
            p1 = counts.loc[key, "participants"] / max(len(takers), 1)
            p0 = counts.loc[key, "population"] / max(len(frame), 1)
            hidden1, hidden0 = bool(result.hidden.loc[key, "participants"]), bool(result.hidden.loc[key, "population"])
            rows.append({"variable": variable, "category": key,
                         "n_participants": pd.NA if hidden1 else int(counts.loc[key, "participants"]),
                         "n_population": pd.NA if hidden0 else int(counts.loc[key, "population"]),
                         "pct_participants": np.nan if hidden1 else 100 * p1,
                         "pct_population": np.nan if hidden0 else 100 * p0,
                         "smd": np.nan if hidden1 or hidden0 else smd_binary(p1, p0),
                         "suppressed": hidden1 or hidden0})
    return pd.DataFrame(rows).astype({"n_participants": "Int64", "n_population": "Int64"})


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


def run_year(year: int, cleaned_dir: Path, tables_dir: Path, threshold: int = 5) -> dict[str, pd.DataFrame]:
    """Every description and model for ``year``, as the tables written to data/processed/models/<year>/."""
    estimates, effects, balances, compositions, rates = [], [], [], [], []
    for benefit in BENEFITS:
        frame = analysis_frame(year, benefit, cleaned_dir)
        estimates.append(fit_participation(frame, year=year, benefit=benefit))
        effect, balance = outcome_effect(frame, year=year, benefit=benefit)
        effects.append(effect)
        balances.append(balance)
        compositions.append(composition(frame, threshold).assign(year=year, benefit=benefit))
        r = standardised_rates(frame, standard_population(cleaned_dir, benefit))
        rates.append(pd.DataFrame([r | {"year": year, "benefit": benefit, "n_population": len(frame),
                                        "n_participants": int(frame["participant"].sum())}]))
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
    return {"estimates": tidy, "balance": pd.concat(balances, ignore_index=True),
            "composition": pd.concat(compositions, ignore_index=True), "rates": pd.concat(rates, ignore_index=True),
            "trend": trend_frame}


def save(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    from ..core.io import write_tables

    return write_tables(tables, out_dir)


def load(out_dir: Path) -> dict[str, pd.DataFrame]:
    from ..core.errors import InputError

    names = ("estimates", "balance", "composition", "rates", "trend")
    missing = [n for n in names if not (Path(out_dir) / f"{n}.parquet").is_file()]
    if missing:
        raise InputError(out_dir, f"model results missing ({', '.join(missing)}); run `finsam stage models` first")
    return {n: pd.read_parquet(Path(out_dir) / f"{n}.parquet") for n in names}
