"""The adjusted comparison per förbund (pipeline/derive/forbund_model.py through forbund.forbund_figures_from_frames):
observed and expected participants by indirect standardisation from one national logistic model.

* a hand-built nation of two förbund where only sex varies, so the model is saturated and the
  expected counts, the ratios and their exact intervals are worked out by hand below (and the
  interval ends checked against a printed table of exact Poisson limits and their definition);
* a förbund below the minimum, a förbund with no participants, hidden counts: no E, no ratio;
* the attacker over the förbund outputs with the new count (O) in them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from pipeline.derive import forbund, forbund_model
from pipeline.derive.disclosure import Settings

from ..attacker import Attack, add_forbund_outputs
from .test_forbund import KOMMUNER, _geography, _insatser, _small_build

SP = "sjukpenning"


def _nation(rows: list[tuple[str, str, str, int, int, str | None]], year: int = 2022):
    """(prefix, kommun, sex, people, of them taking part, förbund of their insats) → cleaned frames.
    Everyone has sjukpenning, the same birth year, benefit start and a non-psychiatric diagnosis."""
    people, takers = [], []
    for prefix, kommun, sex, n, k, where in rows:
        for i in range(n):
            pid = f"{prefix}-{sex}-{i}"
            people.append({"person_id": pid, "benefit": SP, "kommun": kommun, "sex": sex, "birth_year": 1980,
                           "benefit_start": pd.Timestamp(year - 1, 5, 1), "diagnosis_chapter": "M00-M99"})
            if i < k:
                takers.append({"person_id": pid, "forbund": where, "support_at_start": SP, "ongoing": True,
                               "new": bool(i % 2), "sex": sex, "kommun": kommun})
    return pd.DataFrame(takers), pd.DataFrame(people)


def _hand_built(tmp_path: Path):
    """A (kommun 0114): 100 women of whom 50 take part, 100 men of whom 30; five of A's women take
    part in B's insats (they still count for A: O is residents taking part anywhere).
    B (kommun 0115, and every other kommun, where nobody has the benefit): 400 women of whom 20 take part, 200 men of whom 30.
    Nation: women 70/500 = 0,14, men 60/300 = 0,20 – the saturated model's probabilities.
    E(A) = 100·0,14 + 100·0,20 = 34;  O(A) = 80;  O/E = 2,3529…
    E(B) = 400·0,14 + 200·0,20 = 96;  O(B) = 50;  O/E = 0,5208…
    Exact 95 % limits for a Poisson count (e.g. Sahai & Khurshid's table): 80 → 63,44–99,57 and
    50 → 37,11–65,92; over E: A 1,87–2,93 (higher), B 0,39–0,69 (lower)."""
    # every kommun is in A or B, so there is no remainder of people in kommuner outside any förbund
    # (a remainder of zero people would be a small count the control must protect, and would hide N)
    others = sorted(set(KOMMUNER["kommunkod"]) - {"0114"})
    geo = _geography(tmp_path, "A,0114,,\n" + "".join(f"B,{code},,\n" for code in others))
    d, f = _nation([("a", "0114", "kvinna", 95, 45, "A"), ("a5", "0114", "kvinna", 5, 5, "B"),  # 5 in B's insats
                    ("a", "0114", "man", 100, 30, "A"),
                    ("b", "0115", "kvinna", 400, 20, "B"), ("b", "0115", "man", 200, 30, "B")])
    assert (f["kommun"] == "0114").sum() == 200 and len(d[d["kommun"] == "0114"]) == 80
    return forbund.forbund_figures_from_frames({2022: d.astype({"ongoing": bool, "new": bool})}, {2022: _insatser(["A", "B"])},
                                               {2022: f}, geo, Settings(5, 5))


def test_observed_expected_and_the_ratio_match_the_hand_computation(tmp_path):
    tables = _hand_built(tmp_path)
    s = tables["standardised"].set_index(["forbund", "year", "benefit"])
    a, b = s.loc[("A", 2022, SP)], s.loc[("B", 2022, SP)]
    assert (a["observed"], a["population"], a["expected"]) == (80, 200, 34.0)
    assert (b["observed"], b["population"], b["expected"]) == (50, 600, 96.0)
    assert (a["ratio"], a["ci_low"], a["ci_high"], a["verdict"], a["reason"]) == (2.35, 1.87, 2.93, "higher", "")
    assert (b["ratio"], b["ci_low"], b["ci_high"], b["verdict"], b["reason"]) == (0.52, 0.39, 0.69, "lower", "")
    # the nation: its participants among everyone with the benefit, and 1 by construction
    nation = s.loc[(forbund.NATIONAL, 2022, SP)]
    assert (nation["observed"], nation["expected"], nation["ratio"]) == (130, 130.0, 1.0)
    # A's published participants (Tabell 3) are the 75 in its own insats; O counts its 80 residents
    p = tables["participants"]
    assert p[(p["forbund"] == "A") & (p["table"] == 3) & (p["sex"] == "total")]["count"].item() == 75


@pytest.mark.parametrize("observed", [0, 1, 20, 50, 80])
def test_the_exact_interval_is_the_poisson_definition(observed):
    """Garwood's limits L and U: P(X ≥ O | L) = 2,5 % and P(X ≤ O | U) = 2,5 % (scipy's Poisson cdf,
    not the chi-square quantiles the module uses)."""
    low, high = forbund_model.exact_interval(observed)
    if observed:
        assert poisson.sf(observed - 1, low) == pytest.approx(0.025, abs=1e-9)
    else:
        assert low == 0
    assert poisson.cdf(observed, high) == pytest.approx(0.025, abs=1e-9)


def test_no_comparison_below_the_minimum_without_participants_or_when_hidden(tmp_path):
    """_small_build: A has 40 participants among 240 (compared), F 10 among 60 (too few), B nobody with
    sjukpenning at all, C three people (hidden); aktivitetsersättning: nobody in the nation in 2022."""
    tables, _ = _small_build(tmp_path)
    s = tables["standardised"].set_index(["forbund", "year", "benefit"])
    assert s.loc[("A", 2022, SP), "reason"] == "" and s.loc[("A", 2022, SP), "ratio"] > 0
    f = s.loc[("F", 2022, SP)]
    assert (f["observed"], f["reason"]) == (10, "few") and pd.isna(f["expected"]) and pd.isna(f["ratio"])
    assert s.loc[("C", 2022, SP), "reason"] == "hidden" and pd.isna(s.loc[("C", 2022, SP), "observed"])
    ae = s.loc[("A", 2022, "aktivitetsersattning")]
    assert not ae["model_ok"] and pd.isna(ae["expected"])  # no one to fit a model on
    # never an expectation beside a hidden count, never below the minimum
    shown = tables["standardised"][tables["standardised"]["expected"].notna()]
    assert shown["observed"].notna().all() and shown["population"].notna().all()
    assert (shown["observed"] >= forbund_model.MIN_COMPARISON).all()


@pytest.mark.parametrize("args, why", [
    ((np.nan, True, 500, False, True), "hidden"), ((30, False, np.nan, True, True), "hidden"),
    ((0, False, 0, False, True), "no_population"), ((0, False, 500, False, True), "no_participants"),
    ((19, False, 500, False, True), "few"), ((20, False, 500, False, False), "model"),
    ((20, False, 500, False, True), ""),
])
def test_the_reason_rule(args, why):
    assert forbund_model.reason(*args) == why


def test_a_register_without_the_covariates_is_a_clear_error(tmp_path):
    from pipeline.core.errors import ConfigError

    geo = _geography(tmp_path, "A,0114,,\n")
    d, f = _nation([("a", "0114", "kvinna", 30, 25, "A")])
    with pytest.raises(ConfigError, match="of 2022 has no birth_year, benefit_start"):
        forbund.forbund_figures_from_frames({2022: d}, {2022: _insatser(["A"])}, {2022: f.drop(columns=["birth_year", "benefit_start"])},
                                            geo, Settings(5, 5))


def test_the_attacker_cannot_narrow_hidden_cells_with_the_residents_taking_part(tmp_path):
    """O is a count: published per förbund, within the reference population, and the nation's is the
    sum over the förbund (every kommun of _small_build is in a förbund). The attacker gets all of it."""
    tables, _ = _small_build(tmp_path)
    folder = tmp_path / "out"
    forbund.save_forbund_figures(tables, folder)
    attack = Attack()
    add_forbund_outputs(attack, folder)
    bounds = attack.bounds()
    resident = {k: v for k, v in bounds.items() if "deltagare bland de boende" in k}
    assert len(resident) >= 10  # hidden O cells are among the attacker's targets
    narrow = {k: v for k, v in bounds.items() if v[1] - v[0] < 5 - 1e-6}
    assert not narrow, narrow


def test_the_attacker_would_pin_an_o_shown_by_every_other_forbund(tmp_path):
    """Negative control: show every förbund's O but C's; the national O narrows C's down."""
    tables, _ = _small_build(tmp_path)
    s = tables["standardised"].copy()
    row = (s["year"] == 2022) & (s["benefit"] == SP)
    assert s.loc[row & (s["forbund"] == "C"), "observed"].isna().all()
    truth = {"B": 0, "D": 10, "E": 10, "F": 10}  # by construction of _small_build
    for unit, value in truth.items():
        s.loc[row & (s["forbund"] == unit), "observed"] = value
    folder = tmp_path / "out"
    forbund.save_forbund_figures(tables | {"standardised": s}, folder)
    attack = Attack()
    add_forbund_outputs(attack, folder)
    low, high = attack.bounds()[f"C: deltagare bland de boende 2022 {SP}"]
    # 72 in the nation, 70 shown elsewhere: C's 2 (with the residents of kommuner in no förbund,
    # which the attacker cannot rule out) lie within 0–2, far narrower than the protection of 5
    assert high - low < 5 - 1e-6 and low <= 2 <= high


def test_o_is_hidden_wherever_the_forbunds_own_participants_are(tmp_path):
    """O and Tabell 1/3's total are nearly the same people: a shown O beside a hidden total would
    show the total approximately (and, through the national sum, a small förbund's count)."""
    tables, _ = _small_build(tmp_path)
    c = tables["coverage"].set_index(["forbund", "year", "benefit"])
    s = tables["standardised"].set_index(["forbund", "year", "benefit"])
    hidden_total = c["participants"].isna()
    assert hidden_total.sum() >= 5  # C, B and the partners hidden for the national sums
    assert s.loc[hidden_total[hidden_total].index, "observed"].isna().all()
    assert s["observed"].notna().sum() >= 5  # and shown elsewhere


def test_o_and_e_agree_with_the_modellbilagas_own_person_level_code(tmp_path):
    """Every covariate varying (the report tests' random nation): O per area is the Modellbilaga's
    participants (models.frame_from, one row per person) among the area's residents, and E is the sum
    of models.propensity (its logistic model fitted and predicted person by person) over them."""
    from pipeline.derive import models

    from ..reports.test_forbund_reports import KOMMUN, cleaned_frames

    deltagare, _, formaner = cleaned_frames()
    area_of = {k: u for u, k in KOMMUN.items()}
    got = forbund_model.expected(deltagare, formaner, {y: area_of for y in formaner}, forbund.NATIONAL, forbund.REST)
    got = got.set_index(["area", "year", "benefit"])
    checked = 0
    for year, f in formaner.items():
        for benefit in ("aktivitetsersattning", "sjukpenning"):
            frame = models.frame_from(f, deltagare[year], year, benefit)
            columns = [c for c in models.covariates(benefit) if frame[c].nunique() > 1]
            p = models.propensity(frame, columns)
            first = f[f["benefit"] == benefit].drop_duplicates("person_id")
            area = first["kommun"].map(area_of).fillna(forbund.REST).to_numpy()
            for unit in [*KOMMUN, forbund.REST]:
                mine = area == unit
                row = got.loc[(unit, year, benefit)]
                assert row["population"] == mine.sum()
                assert row["observed"] == frame["participant"].to_numpy()[mine].sum()
                assert row["expected"] == pytest.approx(p[mine].sum(), rel=1e-6)
                checked += 1
            assert got.loc[(forbund.NATIONAL, year, benefit), "observed"] == frame["participant"].sum()
    assert checked == 2 * 2 * (len(KOMMUN) + 1)


def test_o_is_hidden_beside_a_hidden_total_when_protection_exceeds_the_threshold(tmp_path):
    """Threshold 3, protection 8: the branch where O's range [0, N] alone could be too narrow."""
    from .test_forbund import _people

    geo = _geography(tmp_path, "A,0114,,\nC,0117,,\nD,0120,,\n")
    frames = {}
    for year in (2021, 2022):
        rows = [(f"a{year}{i}", "A", SP, "0114", False) for i in range(30)]
        rows += [(f"c{year}{i}", "C" if i < 4 else None, SP, "0117", False) for i in range(6)]  # N = 6 < 8
        rows += [(f"d{year}{i}", "D" if i < 12 else None, SP, "0120", False) for i in range(40)]
        frames[year] = _people(rows, year)
    tables = forbund.forbund_figures_from_frames({y: f[0] for y, f in frames.items()}, {y: _insatser(["A", "C", "D"]) for y in frames},
                                                 {y: f[1] for y, f in frames.items()}, geo, Settings(3, 8))
    c = tables["coverage"].set_index(["forbund", "year", "benefit"])
    s = tables["standardised"].set_index(["forbund", "year", "benefit"])
    hidden_total = c["participants"].isna() & (c.index.get_level_values("benefit") == SP)
    assert hidden_total.any()
    assert s.loc[hidden_total[hidden_total].index, "observed"].isna().all()
    folder = tmp_path / "out8"
    forbund.save_forbund_figures(tables, folder)
    attack = Attack()
    add_forbund_outputs(attack, folder)
    narrow = {k: v for k, v in attack.bounds().items() if "deltagare bland de boende" in k and v[1] - v[0] < 8 - 1e-6}
    assert not narrow, narrow


# --------------------------------------------------------------------------- limits that allow for the spread
# Known-answer years from the demo generator (pipeline/demo/register_demo.py: known_spread_year, which
# shares no code with the estimator): förbund that differ by chance plus an ordinary spread, and
# years with planted real outliers. Two scales: aktivitetsersättning (about 20 participants expected
# in a median förbund) and sjukpenning (about 55).
SCALES = {"aktivitetsersattning": (450.0, 1581 / 36552), "sjukpenning": (7700.0, 4478 / 617582)}
SEEDS = range(40)


def _outside(year: pd.DataFrame, level: float, spread: bool = True) -> np.ndarray:
    """Which förbund lie outside the funnel's limits at ``level``, as the förbund stage computes them:
    the nation's rate as the target, τ² from the förbund (or none: Poisson only)."""
    rate = year["participants"].sum() / year["population"].sum()
    tau2 = forbund_model.overdispersion(year["participants"], rate * year["population"])["tau2"] if spread else 0.0
    low, high = forbund.control_limits(rate, year["population"].to_numpy(), level, tau2)
    coverage = (year["participants"] / year["population"]).to_numpy()
    return (coverage < low) | (coverage > high)


@pytest.mark.parametrize("benefit", SCALES)
def test_with_only_chance_and_ordinary_spread_about_the_nominal_share_is_outside(benefit):
    """3 200 förbund-years with no real outlier: about 5 % outside the 95 % limits (a binomial 95 %
    range for 3 200 draws at 5 % is 4,2–5,8 %; the limits are estimated, so 3,5–6,5 % is allowed),
    and at most 1 % outside the 99,8 % limits; Poisson limits alone would flag far more."""
    from pipeline.demo.register_demo import known_spread_year

    median, rate = SCALES[benefit]
    years = [known_spread_year(seed, median_population=median, rate=rate) for seed in SEEDS]
    assert all((y["planted"] == "").all() for y in years)
    share_95 = np.mean(np.concatenate([_outside(y, 0.95) for y in years]))
    share_998 = np.mean(np.concatenate([_outside(y, 0.998) for y in years]))
    poisson_only = np.mean(np.concatenate([_outside(y, 0.95, spread=False) for y in years]))
    assert 0.035 <= share_95 <= 0.065, share_95
    assert share_998 <= 0.01, share_998
    assert poisson_only > 0.2, poisson_only  # the pitfall the adjustment removes


@pytest.mark.parametrize("benefit", SCALES)
def test_planted_outliers_are_found_and_ordinary_forbund_are_not(benefit):
    """Four planted outliers per year (true rate × 4 or ÷ 4, among the larger half), 40 years: most are
    found (measured: 91–96 % of those above, 81–83 % of those below, which are harder to tell from
    chance plus an ordinary spread of ±0,7 on the log scale), and ordinary förbund are not flagged
    more than the nominal 5 % (measured: 2–3 %: the outliers that escape trimming widen the limits a
    little)."""
    from pipeline.demo.register_demo import known_spread_year

    median, rate = SCALES[benefit]
    found = {"above": [], "below": []}
    ordinary = []
    for seed in SEEDS:
        year = known_spread_year(seed, median_population=median, rate=rate, outliers=4, outlier_factor=4.0)
        outside = _outside(year, 0.95)
        for kind in found:
            found[kind].extend(outside[(year["planted"] == kind).to_numpy()])
        ordinary.extend(outside[(year["planted"] == "").to_numpy()])
    assert len(found["above"]) == len(found["below"]) == 80
    assert np.mean(found["above"]) >= 0.85, np.mean(found["above"])
    assert np.mean(found["below"]) >= 0.7, np.mean(found["below"])
    assert np.mean(ordinary) <= 0.06, np.mean(ordinary)


def test_the_spread_estimate_rule():
    """τ² is 0 with fewer than ten areas or when the areas agree exactly; it grows with the spread; an
    extreme area is left out of the estimate (trimmed) instead of widening every limit."""
    e = np.full(20, 100.0)
    assert forbund_model.overdispersion(e[:9], e[:9]) == {"phi": pytest.approx(np.nan, nan_ok=True), "tau2": 0.0,
                                                         "beyond_chance": pytest.approx(np.nan, nan_ok=True),
                                                         "units": 9, "trimmed": 0}
    assert forbund_model.overdispersion(e, e)["tau2"] == 0.0
    wide = forbund_model.overdispersion(e * np.linspace(0.5, 1.5, 20), e)
    narrow = forbund_model.overdispersion(e * np.linspace(0.8, 1.2, 20), e)
    assert wide["tau2"] > narrow["tau2"] > 0 and 0 < narrow["beyond_chance"] < wide["beyond_chance"] < 1
    spiked = forbund_model.overdispersion(np.r_[e[:19] * np.linspace(0.8, 1.2, 19), 1000.0], e)
    assert spiked["trimmed"] == 1 and spiked["tau2"] == pytest.approx(
        forbund_model.overdispersion(e[:19] * np.linspace(0.8, 1.2, 19), e[:19])["tau2"], rel=1e-9)
    low, high = forbund_model.ratio_limits(np.array([100.0]), 0.95, 0.0)  # chance only: (1 ± 1,96/20)²
    assert (low[0], high[0]) == pytest.approx(((1 - 1.959964 / 20) ** 2, (1 + 1.959964 / 20) ** 2))
