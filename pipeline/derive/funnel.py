"""Funnel plots whose limits allow for real variation between units: one computation for the
register's ratios (observed/expected participants, coverage) and the indicator surveys' shares.

**The model** (Spiegelhalter 2005, "Funnel plots for comparing institutional performance", *Stat Med*
24:1185–1202, and "Handling over-dispersion of performance indicators", *Qual Saf Health Care*
14:347–351; Spiegelhalter et al. 2012, "Statistical methods for healthcare regulation", *J R Stat Soc
A* 175:1–47). Each unit's indicator y is put on a variance-stabilising scale g, where chance alone
gives it a variance s² that depends on the unit's size only, not on its true value:

* :data:`RATIO` – O/E with size E (a count against its expectation): g(y) = √y. The square root of
  a Poisson count has variance about 1/4, so √(O/E) has s² = 1/(4E); z = 2(√O − √E) at target 1.
* :data:`PROPORTION` – a share k/n with size n: Anscombe's arcsine, g = arcsin √((k + 3/8)/(n + 3/4)),
  s² = 1/(4n + 2), centred on arcsin √p0. Chosen over the proportion scale with the binomial variance
  p0(1 − p0)/n because that variance is the target's, not the unit's: under the random-effects model
  the units' true shares differ, and an additive τ² on the raw scale mixes with a chance variance
  that itself depends on the share (and gives limits below 0 % or above 100 %, to be clipped). On the
  arcsine scale chance is the same for every true share, τ² means the same thing at every share, the
  limits stay inside 0–100 %, and the form is the ratio's (the arcsine is the transformation
  Spiegelhalter's over-dispersion method and the regulators' methods built on it use for
  proportions). Anscombe's 3/8 rather than the plain arcsin √p: with the indicator surveys' small
  groups (half of the shown shares rest on fewer than ten answers) the plain arcsine makes a group
  answering 9 of 9 positively a far outlier (up to 1,2 % of ordinary units beyond the 99,8 % limits on
  known-answer data, up to 0,8 % with Anscombe's; docs/assumptions_caveats.md, "One funnel computation").

Around the target θ0 the units' transformed values are about normal with mean g(θ0) and variance
s² + τ², where τ² is the ordinary spread between units beyond chance (an additive random effect).
τ² is DerSimonian and Laird's moment estimate in Spiegelhalter's form,
τ² = (Iφ − (I − 1)) / (Σw − Σw²/Σw), w = 1/s², φ the mean square of the z-scores: zero
when φ shows no extra spread, and not estimated from fewer than :data:`MIN_UNITS` units (then 0:
chance only). The limits are g⁻¹(g(θ0) ± z_α·√(s² + τ²)).

**Outliers are left out of τ², not winsorised.** A few real outliers would inflate τ² and hide
themselves. Spiegelhalter winsorises the z-scores at 10 %/90 %; but winsorising a normal z shrinks its
mean square by about a third, so with an ordinary spread the limits come out too narrow (10–15 % of
ordinary units outside the 95 % limits on known-answer data). Here the units outside the 99,8 %
limits (:data:`TRIM_LEVEL`) are left out and τ² estimated again from the rest, until the set is
stable. The first limits use the winsorised estimate: started from every unit instead, a tenth of
the units far out widened the limits enough to stay inside them (τ² three times the true one,
tests/test_funnel.py). φ and the share of the spread beyond chance are reported over every unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

MIN_UNITS = 10  # fewer units than this: the spread between them is not estimated (τ² = 0)
TRIM_LEVEL = 0.998  # units outside these limits are left out when τ² is estimated again
WINSOR = 0.1  # the first estimate: z-scores winsorised at 10 % in each tail (Spiegelhalter 2005)


@dataclass(frozen=True)
class Scale:
    """A variance-stabilising scale for an indicator whose units have a size: ``forward`` (value, size)
    → y, ``centre`` (target) → the target on the scale, ``variance`` (size) → chance's variance of y,
    ``inverse`` (y, size) → the value (clipped to the values the indicator can take) and ``valid``
    (which values the scale accepts)."""

    name: str
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    centre: Callable[[float], float]
    variance: Callable[[np.ndarray], np.ndarray]
    inverse: Callable[[np.ndarray, np.ndarray], np.ndarray]
    valid: Callable[[np.ndarray], np.ndarray]


def _arcsine(p) -> np.ndarray:
    return np.arcsin(np.sqrt(np.clip(p, 0, 1)))


RATIO = Scale("ratio", lambda v, e: np.sqrt(v), math.sqrt, lambda e: 1.0 / (4.0 * e),
              lambda y, e: np.clip(y, 0, None) ** 2, lambda v: v >= 0)
# Anscombe's (1948) arcsine for k of n: arcsin √((k + 3/8)/(n + 3/4)), variance 1/(4n + 2), mean
# arcsin √p; the 3/8 keeps a förbund with every (or no) answer positive from being a far outlier.
PROPORTION = Scale("proportion", lambda p, n: _arcsine((p * n + 0.375) / (n + 0.75)), lambda p0: float(_arcsine(p0)),
                   lambda n: 1.0 / (4.0 * n + 2.0),
                   lambda y, n: np.clip(((n + 0.75) * np.sin(np.clip(y, 0, np.pi / 2)) ** 2 - 0.375) / n, 0, 1),
                   lambda v: (v >= 0) & (v <= 1))


def z_scores(value, size, target: float, scale: Scale) -> np.ndarray:
    """Each unit's distance from the target in chance standard deviations on the scale."""
    value, size = np.asarray(value, dtype=float), np.asarray(size, dtype=float)
    return (scale.forward(value, size) - scale.centre(target)) / np.sqrt(scale.variance(size))


def limits(target: float, size, level: float, tau2: float, scale: Scale) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits (on the indicator's own scale) for units of ``size`` at ``level``
    (0,95; 0,998): g⁻¹(g(target) ± z·√(s² + τ²)); NaN where the size is not positive."""
    from scipy.stats import norm

    size = np.asarray(size, dtype=float)
    z = norm.ppf((1 + level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        positive = np.where(size > 0, size, np.nan)
        sd = np.sqrt(scale.variance(positive) + tau2)
    centre = scale.centre(target)
    return scale.inverse(centre - z * sd, positive), scale.inverse(centre + z * sd, positive)


def _dl_tau2(z: np.ndarray, w: np.ndarray) -> float:
    """DerSimonian–Laird's moment estimate of τ² from z-scores and weights w = 1/s² in Spiegelhalter's
    form (φ the mean square of z): (Iφ − (I − 1)) / (Σw − Σw²/Σw), at least 0."""
    units = len(z)
    if units < 2:
        return 0.0
    excess = float(np.sum(z ** 2)) - (units - 1)
    return max(0.0, excess / (w.sum() - (w ** 2).sum() / w.sum())) if excess > 0 else 0.0


def spread(value, size, target: float, scale: Scale) -> dict:
    """The spread between units beyond chance (module docstring): ``tau2`` (the additive random-effects
    variance on the scale), ``phi`` (the mean square of the z-scores over every unit; about 1 when units
    differ only by chance), ``beyond_chance`` (1 − 1/φ: the share of the spread between units that is
    more than chance; 0 when φ ≤ 1), ``units`` (those with a valid value and a positive size) and
    ``trimmed`` (the units left out of τ² as clear outliers).

    τ² is estimated, then the units outside the :data:`TRIM_LEVEL` limits are left out and τ² estimated
    again from the rest, until the set is stable. Fewer than :data:`MIN_UNITS` units: τ² is 0 and φ
    and the share are NaN."""
    value, size = np.asarray(value, dtype=float), np.asarray(size, dtype=float)
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(value) & np.isfinite(size) & (size > 0) & scale.valid(value)
    value, size = value[keep], size[keep]
    units = int(len(value))
    if units < MIN_UNITS or not math.isfinite(target):
        return {"phi": math.nan, "tau2": 0.0, "beyond_chance": math.nan, "units": units, "trimmed": 0}
    from scipy.stats import mstats, norm

    z, w = z_scores(value, size, target, scale), 1.0 / scale.variance(size)
    phi = float(np.mean(z ** 2))
    # the start: Spiegelhalter's winsorised estimate (too low, but not inflated by a group of outliers)
    tau2 = _dl_tau2(np.asarray(mstats.winsorize(z, limits=(WINSOR, WINSOR))), w)
    distance = np.abs(scale.forward(value, size) - scale.centre(target))
    trim_z = norm.ppf((1 + TRIM_LEVEL) / 2)
    kept = np.ones(units, dtype=bool)
    for step in range(units):
        inside = distance <= trim_z * np.sqrt(1.0 / w + tau2)  # within the TRIM_LEVEL limits
        if inside.sum() < MIN_UNITS:  # (not met in practice) too few left: every unit counts
            kept = np.ones(units, dtype=bool)
            tau2 = _dl_tau2(z, w)
            break
        if step and (inside == kept).all():
            break
        kept = inside
        tau2 = _dl_tau2(z[kept], w[kept])
    return {"phi": phi, "tau2": float(tau2), "beyond_chance": max(0.0, 1.0 - 1.0 / phi) if phi > 0 else 0.0,
            "units": units, "trimmed": int(units - kept.sum())}

