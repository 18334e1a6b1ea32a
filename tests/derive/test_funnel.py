"""The one funnel computation (pipeline/derive/funnel.py) on data with a known answer.

Units are drawn here from the additive random-effects model itself, with numpy only (no code shared
with the estimator): on the variance-stabilising scale each unit's true value is the target plus a
normal effect with variance τ², and its count is drawn around that (Poisson for a ratio O/E,
binomial for a share). The estimate of τ² must come back near the τ² drawn from, near 0 when there
is no spread, and about the nominal share of in-control units must fall outside the limits. Both
callers (the register's O/E and coverage, the indicator surveys' shares) go through the same function.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.derive import forbund_model, funnel, indikator
from pipeline.derive.disclosure import Settings
from tests.indikator_fixture import answers, respondents

UNITS, REPEATS = 80, 150


def _ratio_year(rng, tau: float, outliers: int = 0, shift: float = 0.0):
    """80 areas of 1 000–30 000 people at a rate of 2 % (E about 20–600); √(true O/E) = 1 + N(0, τ²),
    O Poisson. E is computed as the pipeline does, from the pooled rate (sum O / sum N). ``outliers``
    areas get their √ratio moved by ``shift`` (half up, half down). Returns (O, E, which are outliers)."""
    population = np.exp(rng.uniform(np.log(1000), np.log(30000), UNITS))
    effect = 1 + rng.normal(0, tau, UNITS)
    planted = np.zeros(UNITS, dtype=bool)
    planted[:outliers] = True
    effect[:outliers] += shift * np.where(np.arange(outliers) % 2 == 0, 1, -1)
    observed = rng.poisson(0.02 * population * np.clip(effect, 0, None) ** 2).astype(float)
    expected = population * observed.sum() / population.sum()
    return observed, expected, planted


def _share_year(rng, tau: float, p0: float = 0.6, outliers: int = 0, shift: float = 0.0):
    """80 förbund with 15–400 answers; arcsin √(true share) = arcsin √p0 + N(0, τ²), answers binomial.
    The target is the pooled share, as in the pipeline. Returns (shares, n, pooled, which are outliers)."""
    n = np.round(np.exp(rng.uniform(np.log(15), np.log(400), UNITS)))
    angle = np.arcsin(np.sqrt(p0)) + rng.normal(0, tau, UNITS)
    planted = np.zeros(UNITS, dtype=bool)
    planted[:outliers] = True
    angle[:outliers] += shift * np.where(np.arange(outliers) % 2 == 0, 1, -1)
    k = rng.binomial(n.astype(int), np.sin(np.clip(angle, 0, np.pi / 2)) ** 2).astype(float)
    return k / n, n, k.sum() / n.sum(), planted


def _estimate(value, size, target, scale) -> tuple[float, dict[float, np.ndarray]]:
    """τ² and, per level (95 %, 99,8 %), which units lie outside the limits."""
    tau2 = funnel.spread(value, size, target, scale)["tau2"]
    outside = {}
    for level in (0.95, 0.998):
        low, high = funnel.limits(target, size, level, tau2, scale)
        outside[level] = (value < low) | (value > high)
    return tau2, outside


def _known_answer(draw, tau: float) -> tuple[float, float, float]:
    """Mean τ² estimate and the shares outside the 95 % and 99,8 % limits over REPEATS years."""
    estimates, outside = [], {0.95: [], 0.998: []}
    for _ in range(REPEATS):
        tau2, out = _estimate(*draw(tau))
        estimates.append(tau2)
        for level in outside:
            outside[level].append(out[level])
    return float(np.mean(estimates)), float(np.mean(outside[0.95])), float(np.mean(outside[0.998]))


# --------------------------------------------------------------------------- known τ²
@pytest.mark.parametrize("scale", ["ratio", "proportion"])
@pytest.mark.parametrize("tau", [0.0, 0.1, 0.2])
def test_the_spread_is_recovered_and_about_5_percent_fall_outside(scale, tau):
    """150 years of 80 units drawn with a known τ² (ratios O/E on the square-root scale, shares on the
    arcsine square-root scale): the mean estimate of τ² is within 15 % of the τ² drawn from (below
    0,001 without spread: the estimate is never negative, so its mean is a little above 0), 4–6,5 % of
    the units fall outside the 95 % limits and at most 0,6 % outside the 99,8 % limits (measured with
    spread: 5,3–5,8 % and 0,35–0,47 %; the units left out of τ² as beyond the 99,8 % limits make it a
    little low, 0,0096–0,0097 for 0,01 and 0,037–0,038 for 0,04)."""
    rng = np.random.default_rng(2005 if scale == "ratio" else 2017)
    if scale == "ratio":
        def draw(t):
            o, e, _ = _ratio_year(rng, t)
            return o / e, e, 1.0, funnel.RATIO
    else:
        def draw(t):
            shares, n, p0, _ = _share_year(rng, t)
            return shares, n, p0, funnel.PROPORTION
    mean, outside_95, outside_998 = _known_answer(draw, tau)
    if tau:
        assert mean == pytest.approx(tau ** 2, rel=0.15), mean
    else:
        assert mean < 0.001, mean
    assert 0.04 <= outside_95 <= 0.065, outside_95
    assert outside_998 <= 0.006, outside_998


@pytest.mark.parametrize("scale", ["ratio", "proportion"])
def test_planted_outliers_are_found_and_do_not_widen_the_limits_for_the_others(scale):
    """Eight planted outliers a year, a tenth of the units (moved by 1,0 on the scale: five standard
    deviations of chance plus the spread τ = 0,15): nearly all are outside the 95 % limits, the
    ordinary units about the nominal 5 %, and τ² stays near the ordinary spread (measured: 0,024 and
    0,021 for 0,0225; 5,2 and 5,6 % of ordinary units outside). Leaving out and re-estimating from all units, so many outliers widened the
    limits enough to stay inside them (τ² 0,072); the first estimate is therefore the winsorised one."""
    rng = np.random.default_rng(19)
    found, ordinary, estimates = [], [], []
    for _ in range(REPEATS):
        if scale == "ratio":
            o, e, planted = _ratio_year(rng, 0.15, outliers=8, shift=1.0)
            tau2, out = _estimate(o / e, e, 1.0, funnel.RATIO)
        else:
            shares, n, p0, planted = _share_year(rng, 0.15, p0=0.5, outliers=8, shift=1.0)
            tau2, out = _estimate(shares, n, p0, funnel.PROPORTION)
        found.extend(out[0.95][planted])
        ordinary.extend(out[0.95][~planted])
        estimates.append(tau2)
    assert np.mean(found) >= 0.95, np.mean(found)
    assert np.mean(ordinary) <= 0.065, np.mean(ordinary)
    assert np.mean(estimates) == pytest.approx(0.15 ** 2, rel=0.2), np.mean(estimates)


# --------------------------------------------------------------------------- the rule, by hand
def test_limits_by_hand_on_both_scales():
    """Chance only (τ² = 0), 95 %: a ratio at E = 100 has (1 ± 1,96/20)²; a share of 50 % on 100
    answers has (100,75·sin²(π/4 ± 1,96/√402) − 0,375)/100 (Anscombe's arcsine), 40,2–59,8 % as the
    normal approximation's 50 ± 9,8 %; τ² widens both; the limits of a share never leave 0–1."""
    z = 1.959963984540054
    low, high = funnel.limits(1.0, np.array([100.0]), 0.95, 0.0, funnel.RATIO)
    assert (low[0], high[0]) == pytest.approx(((1 - z / 20) ** 2, (1 + z / 20) ** 2))
    low, high = funnel.limits(0.5, np.array([100.0]), 0.95, 0.0, funnel.PROPORTION)
    by_hand = [(100.75 * np.sin(np.pi / 4 + sign * z / 402 ** 0.5) ** 2 - 0.375) / 100 for sign in (-1, 1)]
    assert (low[0], high[0]) == pytest.approx(by_hand)
    assert (low[0], high[0]) == pytest.approx((0.402, 0.598), abs=0.001)
    wide = funnel.limits(0.5, np.array([100.0]), 0.95, 0.01, funnel.PROPORTION)
    assert wide[0][0] < low[0] and wide[1][0] > high[0]
    edge = funnel.limits(0.97, np.array([5.0, 50.0]), 0.998, 0.05, funnel.PROPORTION)
    assert (edge[0] >= 0).all() and (edge[1] <= 1).all() and edge[1][0] == pytest.approx(1.0)
    assert np.isnan(funnel.limits(1.0, np.array([0.0]), 0.95, 0.0, funnel.RATIO)[0][0])


def test_the_spread_rule_on_shares():
    """τ² is 0 when every förbund has the national share, and with fewer than MIN_UNITS förbund; a
    förbund far outside is left out of the estimate (trimmed) instead of widening every limit."""
    n = np.full(20, 100.0)
    assert funnel.spread(np.full(20, 0.5), n, 0.5, funnel.PROPORTION)["tau2"] == 0.0
    few = funnel.spread(np.linspace(0.2, 0.8, funnel.MIN_UNITS - 1), n[:9], 0.5, funnel.PROPORTION)
    assert few["tau2"] == 0.0 and few["units"] == funnel.MIN_UNITS - 1
    ordinary = np.linspace(0.4, 0.6, 19)
    alone = funnel.spread(ordinary, n[:19], 0.5, funnel.PROPORTION)
    spiked = funnel.spread(np.r_[ordinary, 0.02], n, 0.5, funnel.PROPORTION)
    assert alone["tau2"] > 0 and spiked["trimmed"] == 1
    assert spiked["tau2"] == pytest.approx(alone["tau2"], rel=1e-9)
    assert spiked["phi"] > alone["phi"]  # φ and the share beyond chance are over every förbund


def test_both_callers_use_the_one_computation():
    """The register's O/E (forbund_model) and the indicator surveys' funnel (indikator) give what the
    funnel module gives on their scale."""
    rng = np.random.default_rng(7)
    o, e, _ = _ratio_year(rng, 0.15)
    assert forbund_model.overdispersion(o, e) == funnel.spread(o / e, e, 1.0, funnel.RATIO)
    low, high = forbund_model.ratio_limits(e, 0.95, 0.02)
    np.testing.assert_allclose(np.c_[low, high], np.c_[funnel.limits(1.0, e, 0.95, 0.02, funnel.RATIO)])
    shares = {f"F{i:02d}": (100, 50 + (i % 5) * 5) for i in range(12)}
    spec = [(2020, "deltagare", f, "I01", "I01.1", n, k) for f, (n, k) in shares.items()]
    svar = answers(spec)
    t = indikator.indikator_tables_from_frames(svar, respondents(svar), Settings(5, 5))["tratt"]
    t = t[t["matpunkt"] == "I01.1"]
    p0 = t["riket"].iloc[0] / 100
    expected = funnel.spread(t["andel"].to_numpy() / 100, t["n"].to_numpy(float), p0, funnel.PROPORTION)
    assert t["tau2"].iloc[0] == pytest.approx(expected["tau2"]) and expected["tau2"] > 0
    low, high = funnel.limits(p0, t["n"].to_numpy(float), 0.95, expected["tau2"], funnel.PROPORTION)
    np.testing.assert_allclose(t[["lower_95", "upper_95"]].to_numpy(), 100 * np.c_[low, high])
