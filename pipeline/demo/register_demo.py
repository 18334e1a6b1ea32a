"""Synthetic register exports for 2016–2022: SUS participants and insatser, and a benefit register.

SYNTHETIC DATA – NOT REAL PEOPLE. Every personnummer is generated (valid form, random date)
and belongs to nobody known. The data are built so that, after cleaning, they give exactly
the published participant counts of 002 Bilaga 1 Tabell 1–4 (women and men), the insatser
per target group of Tabell 5, the shares with a psychiatric diagnosis of Tabell 6 (within
rounding), and the 2022 reference populations (36 552 with aktivitetsersättning, 617 582
with sjukpenning). Everything the documents do not give is invented and documented in
docs/assumptions_caveats.md. Then documented dirt is added (see ``DIRT``), and what was
added is written to ``smuts.json`` per year so tests can check the cleaning against it.

Deterministic: one seed gives the same files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..core.fmt import round_half_up
from ..core.io import atomic_dir, write_bytes_atomic, write_text_atomic
from ..core.vocabulary import AGE_GROUPS, PSYCHIATRIC, TIME_GROUPS
from ..core.personnummer import generate_personnummer
from ..core.progress import track
from ..sources.published import load_published

YEARS = list(range(2016, 2023))
SEED = 2022
BENEFITS = {"aktivitetsersattning": (1, 2), "sjukpenning": (3, 4)}  # (pågående table, nyregistrerade table)
OTHER_SUPPORT = ("aktivitetsstod", "forsorjningsstod", "ingen")
# Invented where the documents give nothing (2022 and 2017 figures are from 002 and 003).
OTHER_PARTICIPANTS = {2016: 9000, 2017: 9763, 2018: 10500, 2019: 11000, 2020: 10000, 2021: 10800, 2022: 11503}
ANONYMOUS = {2016: 3300, 2017: 3400, 2018: 3500, 2019: 3600, 2020: 3500, 2021: 3700, 2022: 3808}
INSATSER_TOTAL = {2016: 1136, 2017: 1102, 2018: 1080, 2019: 1050, 2020: 1000, 2021: 1023, 2022: 968}
POPULATION_FACTOR = {  # reference population relative to 2022 (invented for 2016–2021)
    "aktivitetsersattning": {2016: 0.96, 2017: 0.97, 2018: 0.98, 2019: 0.99, 2020: 1.0, 2021: 1.0, 2022: 1.0},
    "sjukpenning": {2016: 1.05, 2017: 1.07, 2018: 1.05, 2019: 1.0, 2020: 1.02, 2021: 0.98, 2022: 1.0},
}
SHARE_MEN = {"aktivitetsersattning": 0.54, "sjukpenning": 0.37}  # 002 ch. 4 (2022), used for every year
# The models' categories (label, lowest, highest) and the true parameters the demo is drawn from.
DEMO_TIME_GROUPS = [("0", 0, 0), ("1-2", 1, 2), ("3+", 3, 5)]  # years with the benefit drawn for the demo
TRUE_PARTICIPATION = {  # odds ratios of taking part (the reference: woman, youngest group, no F diagnosis, < 1 year)
    "aktivitetsersattning": {"alder_25-29": 0.8, "psykiatrisk_diagnos": 1.8, "tid_1-2": 0.9, "tid_3+": 0.6},
    "sjukpenning": {"alder_30-49": 0.85, "alder_50-64": 0.6, "psykiatrisk_diagnos": 2.5, "tid_1-2": 0.8, "tid_3+": 0.5},
}
TRUE_OUTCOME = {  # odds ratios for being in work or studies 12 months later; participation has a true effect
    # The diagnosis is the strong confounder: it raises participation and lowers the outcome, so a
    # naive comparison understates the effect of taking part.
    benefit: {"baseline_odds": 0.45, "participant": 1.6, "psykiatrisk_diagnos": 0.25, "tid_1-2": 0.95, "tid_3+": 0.85,
              "man": 1.1} | ({"alder_25-29": 1.0} if benefit == "aktivitetsersattning" else
                             {"alder_30-49": 1.0, "alder_50-64": 0.9})
    for benefit in ("aktivitetsersattning", "sjukpenning")
}
N_FORBUND = 80
INDIVID_INRIKTNING = ("Rehabilitering till arbete/utbildning", "Förberedande insatser", "Kartläggning av individer",
                      "Förebyggande insats", "Annan inriktning")
STRUKTUR_INRIKTNING = ("Dialog och kommunikation", "Utbildning", "Kartläggning", "Annan inriktning")
CHAPTERS_OTHER = ("M00-M99", "G00-G99", "C00-D48", "S00-T98", "I00-I99", "R00-R99")

# Dirt added to each year's files: kind → rows (documented in docs/data_dictionary.md).
DIRT = {
    "deltagare": {"exact_duplicate": 25, "double_registration": 15, "bad_checksum": 10, "end_before_start": 8,
                  "outside_year": 6, "plus_form_under_100": 3},
    "insatser": {"exact_duplicate": 3},
    "formaner": {"exact_duplicate": 50, "bad_checksum": 20},
}
# One made-up person per year with a registration in SUS and a row in the benefit register of the
# same year, with different sexes (one row in each file).
SEX_DIFFERS_ACROSS_FILES = "sex_differs_from_benefit_register"
SEX_CODES = {"kvinna": ("K", "kvinna", "Kvinna", "2", "k"), "man": ("M", "man", "Man", "1", "m")}


# --------------------------------------------------------------------------- geography (synthetic)
GEO_SEED = 13  # geography draws use their own generator, so every other draw of the demo is unchanged
MOVERS = 0.03  # share of participants who move to another kommun in a later year
EXCEL_ZEROS = 0.03  # share of rows whose kommun code is written as Excel writes it ("0114" → "114")
UNCOVERED_EVERY = 13  # every 13th kommun (in code order) is in no förbund
CHANGES_FORBUND = ("0181", 2020)  # this kommun moves to the next förbund from this year (a change over time)
MAPPING_HEADER = ("# SYNTETISK DEMO – inte den verkliga indelningen. Vilka kommuner som ingår i varje\n"
                  "# samordningsförbund är påhittat för demodata (pipeline/demo/register_demo.py: demo_mapping).\n"
                  "# Ersätt filen med den verkliga indelningen: forbund,kommunkod[,kommun,fran_ar,till_ar].\n")


def demo_mapping(kommuner: pd.DataFrame, n_forbund: int = N_FORBUND) -> pd.DataFrame:
    """A synthetic förbund → kommun mapping: kommuner in code order (so a förbund stays within a län
    or two) in runs of one to seven, every ``UNCOVERED_EVERY``-th kommun in no förbund, and one
    kommun that changes förbund (``CHANGES_FORBUND``). Deterministic."""
    codes = [c for i, c in enumerate(kommuner["kommunkod"]) if i % UNCOVERED_EVERY != UNCOVERED_EVERY - 1]
    rng = np.random.default_rng(GEO_SEED)
    sizes = np.ones(n_forbund, dtype=int)
    for k in rng.choice(n_forbund, len(codes) - n_forbund):  # the rest spread at random, at most 7 each
        open_ = np.flatnonzero(sizes < 7)
        sizes[k if sizes[k] < 7 else open_[0]] += 1
    names = dict(zip(kommuner["kommunkod"], kommuner["kommun"]))
    rows, start = [], 0
    for k, size in enumerate(sizes):
        for code in codes[start:start + size]:
            rows.append({"forbund": f"Samordningsförbund {k + 1:02d}", "kommunkod": code, "kommun": names[code],
                         "fran_ar": "", "till_ar": ""})
        start += size
    mapping = pd.DataFrame(rows)
    code, year = CHANGES_FORBUND
    i = mapping.index[mapping["kommunkod"] == code][0]
    moved = mapping.loc[i].copy()
    mapping.loc[i, "till_ar"] = str(year - 1)
    later = mapping.loc[i + 1:, "forbund"]
    moved["forbund"] = later[later != mapping.loc[i, "forbund"]].iloc[0]
    moved["fran_ar"] = str(year)
    return pd.concat([mapping, moved.to_frame().T], ignore_index=True)


def mapping_text(mapping: pd.DataFrame) -> str:
    """The committed data/raw/geografi/forbund_kommuner.csv: the header comment and the rows."""
    return MAPPING_HEADER + mapping.to_csv(index=False, lineterminator="\n")


# The ordinary spread between förbund: the standard deviation of the logarithm of a förbund's true
# participation rate around the nation's (the demo's populations differ by this factor, so its
# coverage does too: _kommun_weights), and of the known-answer years (known_spread_year).
ORDINARY_SPREAD = 0.35


def known_spread_year(seed: int, n_forbund: int = N_FORBUND, rate: float = 1581 / 36552,
                      median_population: float = 450.0, spread: float = ORDINARY_SPREAD, outliers: int = 0,
                      outlier_factor: float = 3.0) -> pd.DataFrame:
    """One synthetic year of förbund-level counts with a known answer, for testing comparisons between
    förbund (docs/assumptions_caveats.md, "Funnel limits").

    Each förbund has a reference population (log-normal around ``median_population``) and a true
    participation rate ``rate · exp(u − spread²/2)`` with u normal with standard deviation ``spread``:
    förbund differ by chance (the count is Poisson) plus an ordinary spread and nothing else.
    ``outliers`` förbund among the larger half get a real difference on top: their true rate is
    multiplied by ``outlier_factor`` (above) or divided by it (below), alternately. Defaults: the
    2022 scale of aktivitetsersättning (002 avsnitt 4.1: 1 581 of 36 552 took part; 80 förbund).

    Columns: forbund, population, true_rate, participants, planted ("above", "below" or "")."""
    rng = np.random.default_rng(seed)
    population = np.maximum(np.round(rng.lognormal(np.log(median_population), 0.7, n_forbund)), 20).astype(int)
    true_rate = rate * np.exp(rng.normal(0.0, spread, n_forbund) - spread ** 2 / 2)
    planted = np.array([""] * n_forbund, dtype=object)
    larger = np.flatnonzero(population >= np.median(population))
    for k, i in enumerate(rng.choice(larger, size=min(outliers, len(larger)), replace=False)):
        planted[i] = "above" if k % 2 == 0 else "below"
        true_rate[i] *= outlier_factor if planted[i] == "above" else 1 / outlier_factor
    return pd.DataFrame({"forbund": [f"Samordningsförbund {k + 1:02d}" for k in range(n_forbund)],
                         "population": population, "true_rate": true_rate,
                         "participants": rng.poisson(true_rate * population), "planted": planted})


def _kommun_weights(rng, kommuner: list[str], members: dict[str, str]) -> np.ndarray:
    """How people with a benefit spread over the kommuner: each förbund's area about the same share
    (times a random factor, so coverage differs between förbund), split evenly over its kommuner;
    a kommun in no förbund a tenth of a förbund's share."""
    forbund = sorted(set(members.values()))
    factor = dict(zip(forbund, rng.lognormal(0.0, ORDINARY_SPREAD, len(forbund))))
    size = pd.Series(members).value_counts()
    weights = np.array([factor[members[k]] / size[members[k]] if k in members else 0.1 for k in kommuner])
    return weights / weights.sum()


def _assign_kommuner(p: pd.DataFrame, geography, seed: int) -> np.random.Generator:
    """Each participant's home kommun (one of the kommuner of the insats' förbund in the start year)
    and, for ``MOVERS`` of them, a later year they move to another kommun."""
    rng = np.random.default_rng(seed + GEO_SEED)
    p["kommun"] = ""
    for (year, forbund), idx in p.groupby([p["start_year"].clip(lower=YEARS[0]), "forbund"]).groups.items():
        members = geography.members(int(year))
        choices = members.loc[members["forbund"] == forbund, "kommunkod"].to_numpy()
        p.loc[idx, "kommun"] = rng.choice(choices, len(idx))
    moves = rng.random(len(p)) < MOVERS
    p["moved_year"] = np.where(moves, np.maximum(p["start_year"], YEARS[0]) + rng.integers(0, 4, len(p)), 9999)
    p["moved_to"] = rng.choice(geography.kommuner["kommunkod"].to_numpy(), len(p))
    return rng


@dataclass
class Truth:
    participants: pd.DataFrame  # one row per person and registration (clean)
    insatser: dict[int, pd.DataFrame]
    benefits: dict[int, pd.DataFrame]
    models: dict[tuple[int, str], dict]  # the true model parameters per year and benefit (sanning.json)


def _dates_in_year(rng: np.random.Generator, years: np.ndarray) -> pd.Series:
    days = rng.integers(0, 365, len(years))
    return pd.to_datetime(pd.Series(years).astype(str) + "-01-01") + pd.to_timedelta(days, unit="D")


def _participant_flows(rng, published, benefit: str) -> pd.DataFrame:
    """Persons with start and end year such that every year's ongoing and new counts per sex hold."""
    ongoing_table, new_table = BENEFITS[benefit]
    rows = []
    for sex in ("kvinna", "man"):
        ongoing = {y: published.participant_count(ongoing_table, y, sex) for y in YEARS}
        new = {y: published.participant_count(new_table, y, sex) for y in YEARS}
        start_year: list[int] = []
        end_year: list[float] = []
        active = list(range(ongoing[YEARS[0]] - new[YEARS[0]]))  # started before the first year
        start_year += [YEARS[0] - 1] * len(active)
        end_year += [np.nan] * len(active)
        for y in YEARS:
            first_new = len(start_year)
            start_year += [y] * new[y]
            end_year += [np.nan] * new[y]
            active = active + list(range(first_new, first_new + new[y]))
            assert len(active) == ongoing[y]
            if y < YEARS[-1]:
                keep = ongoing[y + 1] - new[y + 1]
                chosen = set(rng.choice(active, size=keep, replace=False).tolist())
                for p in active:
                    if p not in chosen:
                        end_year[p] = y
                active = sorted(chosen)
            else:
                for p in active:
                    if rng.random() < 0.4:
                        end_year[p] = y
        rows.append(pd.DataFrame({"sex": sex, "start_year": start_year, "end_year": end_year}))
    frame = pd.concat(rows, ignore_index=True)
    frame["benefit"] = benefit
    return frame


def insats_year(start_year: int, written: list[int]) -> int:
    """The year of the insats a participant who started in ``start_year`` is registered in, when only the
    years ``written`` have exports: the start year's own (the latest written year before it, if the start
    year is not written; the first written year for people who started before it). With every year
    written it is the start year (2015 and earlier: 2016). So every insats a participant refers to is in
    an export the demo writes, whatever register.years holds."""
    earlier = [w for w in written if w <= start_year]
    return max(earlier) if earlier else min(written)


def demo_years(years: list[int] | None) -> list[int]:
    """The years to write: ``years`` (params.yaml register.years) sorted, each one of :data:`YEARS`."""
    from ..core.errors import ConfigError

    years = sorted(set(YEARS if years is None else years))
    outside = [y for y in years if y not in YEARS]
    if outside or not years:
        raise ConfigError(f"params.yaml: register.years {outside or years!r}: the synthetic demo covers "
                          f"{YEARS[0]}–{YEARS[-1]} (the years of the published tables it is calibrated to); "
                          "choose years among them or set register.demo: false")
    return years


def build_truth(published, seed: int = SEED, population_scale: float = 1.0, geography=None,
                years: list[int] | None = None) -> Truth:
    """``geography`` (pipeline.sources.geografi.Geography): where people live; None: no kommun.
    ``years``: the years whose exports will be written (every participant's insats is in one of them,
    :func:`insats_year`, drawn apart from the main random stream): every other draw, and so every national
    count, is the same for any ``years``."""
    written = demo_years(years)
    rng = np.random.default_rng(seed)
    parts = [_participant_flows(rng, published, b) for b in BENEFITS]
    p = pd.concat(parts, ignore_index=True)
    # Other participants (support at start other than the two benefits): one year each.
    others = []
    for y in YEARS:
        n = OTHER_PARTICIPANTS[y]
        others.append(pd.DataFrame({"sex": np.where(rng.random(n) < 0.56, "kvinna", "man"), "start_year": y,
                                    "end_year": y,  # one year each: 2022 gives 17 562 with personal data
                                    "benefit": rng.choice(OTHER_SUPPORT, n)}))
    p = pd.concat([p] + others, ignore_index=True)
    age = np.where(p["benefit"] == "aktivitetsersattning", rng.integers(19, 30, len(p)), rng.integers(20, 65, len(p)))
    p["birth_year"] = p["start_year"].to_numpy() - age
    p["start"] = _dates_in_year(rng, p["start_year"].to_numpy())
    end_year = p["end_year"].fillna(p["start_year"]).astype(int).to_numpy()
    end = _dates_in_year(rng, end_year)
    end = end.where(end >= p["start"], p["start"] + pd.to_timedelta(rng.integers(0, 30, len(p)), unit="D"))
    end = end.where(end.dt.year == end_year, pd.to_datetime(pd.Series(end_year).astype(str) + "-12-31"))
    p["end"] = end.where(p["end_year"].notna())
    # Psychiatric diagnosis: exactly the published share (rounded) among those who started each year.
    p["psychiatric"] = False
    for benefit in BENEFITS:
        for y in [YEARS[0] - 1] + YEARS:
            idx = p.index[(p["benefit"] == benefit) & (p["start_year"] == y)]
            pct = published.diagnosis_pct(max(y, YEARS[0]), benefit)
            k = int(round_half_up(pct / 100 * len(idx)))
            p.loc[rng.choice(idx, size=k, replace=False), "psychiatric"] = True
    # Insatser and the participants' insats.
    insatser = {}
    for y in YEARS:
        n = INSATSER_TOTAL[y]
        groups = {g: published.insatser_count(y, g) or 0 for g in
                  ("unga_aktivitetsersattning", "sjukskrivna", "unga_funktionsnedsattning")}
        flags = np.zeros((n, 3), dtype=int)
        start = 0
        for k, count in enumerate(groups.values()):
            flags[start:start + count, k] = 1
            start += count
        individ = np.where(flags.any(axis=1), True, rng.random(n) < 0.75)
        order = rng.permutation(n)
        ins = pd.DataFrame({
            "insats_id": [f"{y}-{i + 1:04d}" for i in range(n)],
            "forbund": [f"Samordningsförbund {k:02d}" for k in rng.integers(1, N_FORBUND + 1, n)],
            "ar": y,
            "typ": np.where(individ, "individinriktad", "strukturövergripande"),
            "inriktning": np.where(individ, rng.choice(INDIVID_INRIKTNING, n), rng.choice(STRUKTUR_INRIKTNING, n)),
            "malgrupp_unga_aktivitetsersattning": flags[:, 0], "malgrupp_sjukskrivna": flags[:, 1],
            "malgrupp_unga_funktionsnedsattning": flags[:, 2],
        }).iloc[order].reset_index(drop=True)
        for group, flag in (("unga_funktionsnedsattning", "malgrupp_unga_funktionsnedsattning"),):
            if published.insatser_count(y, group) is None:  # the target group did not exist yet (2016)
                ins[flag] = ""
        insatser[y] = ins
    p["insats_id"] = ""
    p["forbund"] = ""
    for y in [YEARS[0] - 1] + YEARS:
        own = max(y, YEARS[0])
        ins = insatser[own]
        individ = ins[ins["typ"] == "individinriktad"]
        idx = p.index[p["start_year"] == y]
        pick = rng.integers(0, len(individ), len(idx))
        if insats_year(own, written) != own:  # its export is not written: an insats of a written year, drawn
            ins = insatser[insats_year(own, written)]  # apart, so that the main draws stay the same
            individ = ins[ins["typ"] == "individinriktad"]
            pick = np.random.default_rng([seed, y, 23]).integers(0, len(individ), len(idx))
        p.loc[idx, "insats_id"] = individ["insats_id"].to_numpy()[pick]
        p.loc[idx, "forbund"] = individ["forbund"].to_numpy()[pick]
    # Benefit register: the participants of each year, and people who do not take part drawn so
    # that the true participation model holds (see ``_reference_population``). Each participant's
    # time with the benefit at the start of the insats is drawn once.
    p["benefit_years_before"] = rng.choice(6, len(p), p=[0.35, 0.25, 0.15, 0.1, 0.1, 0.05])
    p["benefit_start"] = _dates_in_year(rng, (p["start_year"] - p["benefit_years_before"]).to_numpy())
    geo_rng = _assign_kommuner(p, geography, seed) if geography is not None else None
    benefits, truth = {}, {}
    others: dict[tuple[int, str], pd.DataFrame] = {}
    parts: dict[tuple[int, str], pd.DataFrame] = {}
    for y in YEARS:
        for benefit in BENEFITS:
            part = p[(p["benefit"] == benefit) & (p["start_year"] <= y) & (p["end_year"].isna() | (p["end_year"] >= y))]
            target = int(round(_published_population(published, benefit) * POPULATION_FACTOR[benefit][y]
                               * population_scale))
            if y == 2022 and population_scale == 1.0:
                target = _published_population(published, benefit)
            rest, truth[(y, benefit)] = _reference_population(rng, part, benefit, y, max(target - len(part), 0))
            parts[(y, benefit)], others[(y, benefit)] = part, rest
    # One call for everyone, so that no two people share a personnummer.
    births = np.concatenate([p["birth_year"].to_numpy()] + [o["birth_year"].to_numpy() for o in others.values()])
    numbers = generate_personnummer(births.astype(int), rng, coordination_share=0.02)
    p["personnummer"] = numbers[: len(p)]
    offset = len(p)
    for o in others.values():
        o["personnummer"] = numbers[offset: offset + len(o)]
        offset += len(o)
    for y in YEARS:
        frames = []
        for benefit in BENEFITS:
            part = p.loc[parts[(y, benefit)].index]
            part = pd.DataFrame({
                "personnummer": part["personnummer"], "sex": part["sex"], "birth_year": part["birth_year"],
                "psychiatric": part["psychiatric"], "benefit_start": part["benefit_start"], "participant": True,
            })
            if geo_rng is not None:  # the kommun on 31 December of the year: movers have moved
                moved = parts[(y, benefit)]["moved_year"] <= y
                part["kommun"] = np.where(moved, parts[(y, benefit)]["moved_to"], parts[(y, benefit)]["kommun"])
                codes = geography.kommuner["kommunkod"].to_numpy()
                weights = _kommun_weights(np.random.default_rng(seed + GEO_SEED), list(codes), geography.forbund_of(y))
                others[(y, benefit)]["kommun"] = geo_rng.choice(codes, len(others[(y, benefit)]), p=weights)
            both = pd.concat([part, others[(y, benefit)]], ignore_index=True)
            both["chapter"] = np.where(both["psychiatric"], PSYCHIATRIC, rng.choice(CHAPTERS_OTHER, len(both)))
            both["benefit"] = benefit
            both["grade"] = rng.choice([1.0, 0.75, 0.5, 0.25], len(both), p=[0.6, 0.1, 0.2, 0.1])
            both["outcome"], truth[(y, benefit)]["outcome"] = _outcome(rng, both, benefit, y)
            frames.append(both.drop(columns=["psychiatric"]))
        benefits[y] = pd.concat(frames, ignore_index=True)
    return Truth(p, insatser, benefits, truth)


def _group_label(groups: list[tuple[str, int, int]], values) -> np.ndarray:
    """The label of the group each value falls in; below the first group counts in the first,
    above the last in the last (the demo's own code: it shares nothing with the estimators)."""
    values = np.asarray(values)
    lows = np.array([low for _, low, _ in groups])
    position = np.clip(np.searchsorted(lows, values, side="right") - 1, 0, len(groups) - 1)
    return np.array([label for label, _, _ in groups], dtype=object)[position]


def age_group(benefit: str, age) -> np.ndarray:
    return _group_label(AGE_GROUPS[benefit], age)


def time_group(years) -> np.ndarray:
    return _group_label(TIME_GROUPS, years)


def design_columns(benefit: str, sex, ages, psychiatric, times) -> dict[str, np.ndarray]:
    """The true models' terms as 0/1 columns (reference: woman, first age group, no F diagnosis, < 1 year)."""
    columns = {"man": np.asarray(sex) == "man", "psykiatrisk_diagnos": np.asarray(psychiatric, dtype=bool)}
    columns.update({f"alder_{g}": np.asarray(ages) == g for g, _, _ in AGE_GROUPS[benefit][1:]})
    columns.update({f"tid_{g}": np.asarray(times) == g for g, _, _ in TIME_GROUPS[1:]})
    return {term: flag.astype(float) for term, flag in columns.items()}


def _reference_population(rng, part: pd.DataFrame, benefit: str, year: int, n: int) -> tuple[pd.DataFrame, dict]:
    """``n`` people with the benefit who do not take part, drawn so that participation follows a
    logistic model with the true odds ratios of ``TRUE_PARTICIPATION`` (a case-control identity:
    non-participants in each covariate cell = participants in the cell × exp(−β·x), scaled).
    The odds ratio for men is whatever makes the share of men equal ``SHARE_MEN``."""
    cells = pd.DataFrame({
        "sex": part["sex"].to_numpy(),
        "age": age_group(benefit, year - part["birth_year"].to_numpy()),
        "psychiatric": part["psychiatric"].to_numpy(),
        "time": time_group(year - part["benefit_start"].dt.year.to_numpy()),
    }).value_counts().rename("n").reset_index()
    beta = TRUE_PARTICIPATION[benefit]
    design = design_columns(benefit, cells["sex"], cells["age"], cells["psychiatric"], cells["time"])
    eta = sum(np.log(beta[term]) * design[term] for term in beta)
    base = cells["n"].to_numpy() * np.exp(-eta)
    men = design["man"].astype(bool)
    target_men = SHARE_MEN[benefit] * (n + len(part)) - men[np.repeat(np.arange(len(cells)), cells["n"])].sum()
    low, high = -10.0, 10.0
    for _ in range(80):  # bisection on the men's log odds ratio
        mid = (low + high) / 2
        w = base * np.exp(-mid * men)
        share = w[men].sum() / w.sum()
        if share * n > target_men:
            low = mid
        else:
            high = mid
    beta_man = (low + high) / 2
    w = base * np.exp(-beta_man * men)
    draws = rng.multinomial(n, w / w.sum())
    rows = cells.loc[np.repeat(cells.index, draws)].reset_index(drop=True)
    def within(groups: list[tuple[str, int, int]], labels: pd.Series) -> np.ndarray:
        low = labels.map({g: lo for g, lo, _ in groups}).to_numpy(int)
        high = labels.map({g: hi for g, _, hi in groups}).to_numpy(int)
        return rng.integers(low, high + 1) if len(labels) else np.array([], dtype=int)
    age = within(AGE_GROUPS[benefit], rows["age"])
    before = within(DEMO_TIME_GROUPS, rows["time"])
    out = pd.DataFrame({
        "personnummer": "", "sex": rows["sex"], "birth_year": year - age, "psychiatric": rows["psychiatric"].astype(bool),
        "benefit_start": _dates_in_year(rng, year - before), "participant": False,
    })
    truth = {"participation_odds_ratios": {t: float(v) for t, v in beta.items()} | {"man": float(np.exp(beta_man))}}
    return out, truth


def _outcome(rng, frame: pd.DataFrame, benefit: str, year: int) -> tuple[np.ndarray, dict]:
    """In work or studies 12 months later: a logistic model with a true effect of taking part,
    confounded by diagnosis, age and time with the benefit (which also drive participation)."""
    g = TRUE_OUTCOME[benefit]
    design = design_columns(benefit, frame["sex"], age_group(benefit, year - frame["birth_year"].to_numpy()),
                     frame["psychiatric"], time_group(year - pd.to_datetime(frame["benefit_start"]).dt.year.to_numpy()))
    eta0 = np.log(g["baseline_odds"]) + sum(np.log(g[t]) * design[t] for t in design if t in g)
    treated = frame["participant"].to_numpy(bool)
    p1 = 1 / (1 + np.exp(-(eta0 + np.log(g["participant"]))))
    p0 = 1 / (1 + np.exp(-eta0))
    y = rng.random(len(frame)) < np.where(treated, p1, p0)
    att = float((p1[treated] - p0[treated]).mean()) if treated.any() else float("nan")
    return y.astype(int), {"odds_ratios": dict(g), "att_risk_difference": att,
                           "risk_treated_if_untreated": float(p0[treated].mean()) if treated.any() else float("nan")}



def _published_population(published, benefit: str) -> int:
    return int(published.figure("population_ae" if benefit == "aktivitetsersattning" else "population_sp", 2022))


# --------------------------------------------------------------------------- writing, with dirt
def _format_pnr(rng, pnr: pd.Series) -> pd.Series:
    """Write each twelve-digit number in one of the forms seen in exports."""
    form = rng.integers(0, 4, len(pnr))
    twelve = pnr.astype(str)
    out = np.select(
        [form == 0, form == 1, form == 2],
        [twelve.str[:8] + "-" + twelve.str[8:], twelve, twelve.str[2:8] + "-" + twelve.str[8:]],
        default=twelve.str[2:],
    )
    return pd.Series(out, index=pnr.index)


def _sex_codes(rng, sex: pd.Series) -> pd.Series:
    choice = rng.integers(0, 5, len(sex))
    women = np.array(SEX_CODES["kvinna"])[choice]
    men = np.array(SEX_CODES["man"])[choice]
    return pd.Series(np.where(sex == "kvinna", women, men), index=sex.index)


def _whitespace(rng, frame: pd.DataFrame, columns: list[str], share: float = 0.03) -> pd.DataFrame:
    for column in columns:
        hit = rng.random(len(frame)) < share
        frame.loc[hit, column] = " " + frame.loc[hit, column].astype(str) + "  "
    return frame


def _bad_checksum(pnr: pd.Series) -> pd.Series:
    last = pnr.str[-1].astype(int)
    return pnr.str[:-1] + ((last + 1) % 10).astype(str)


def _excel_zeros(frame: pd.DataFrame, rng) -> int:
    """Write some kommun codes as Excel does ("0114" → "114"); the cleaning puts the zero back."""
    hit = frame["kommun"].str.startswith("0") & (rng.random(len(frame)) < EXCEL_ZEROS)
    frame.loc[hit, "kommun"] = frame.loc[hit, "kommun"].str[1:]
    return int(hit.sum())


def _csv(frame: pd.DataFrame, delimiter: str, decimal: str) -> str:
    return frame.to_csv(index=False, sep=delimiter, decimal=decimal, lineterminator="\n")


def _person_with_two_sexes(seed: int, year: int, d: pd.DataFrame, f: pd.DataFrame,
                          taken: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One extra, made-up person: a registration (a copy of a clean one, with a new personnummer)
    and a row in the benefit register (a copy of a clean row) with the other sex. Both rows are
    dirt, so no real participant or reference person is lost. Its own random stream, so the rest
    of the demo is the same with or without it."""
    rng = np.random.default_rng([seed, year, 13])
    birth = pd.to_numeric(d["fodelsear"])
    fits = np.flatnonzero(((d["registreringstyp"] == "personuppgifter") & (year - birth).between(20, 60)).to_numpy())
    row = d.iloc[[int(rng.choice(fits))]].copy()
    row["registrering_id"] = f"R{year}-{len(d):06d}"  # ids so far are R<year>-0… up to len(d) - 1
    number = None
    while number is None or number in taken:
        number = str(generate_personnummer(np.array([int(row["fodelsear"].iloc[0])]), rng)[0])
    row["personnummer"] = number[:8] + "-" + number[8:]
    other = f.iloc[[int(rng.integers(0, len(f)))]].copy()
    woman = row["kon"].iloc[0].strip() in SEX_CODES["kvinna"]
    other["personnummer"] = number[2:8] + "-" + number[8:]
    other["kon"] = "Man" if woman else "Kvinna"
    other["fodelsear"] = int(row["fodelsear"].iloc[0])
    return row, other


def _insert(rng: np.random.Generator, frame: pd.DataFrame, row: pd.DataFrame) -> pd.DataFrame:
    at = int(rng.integers(0, len(frame) + 1))
    return pd.concat([frame.iloc[:at], row, frame.iloc[at:]])


def write_register_year(truth: Truth, year: int, folder: Path, spec: dict, seed: int = SEED) -> dict:
    rng = np.random.default_rng(seed * 10_000 + year)
    dirt: dict[str, dict[str, int]] = {k: dict(v) for k, v in DIRT.items()}
    p = truth.participants
    active = p[(p["start_year"] <= year) & (p["end_year"].isna() | (p["end_year"] >= year))].copy()
    d = pd.DataFrame({
        "personnummer": _format_pnr(rng, active["personnummer"]),
        "registreringstyp": "personuppgifter",
        "kon": _sex_codes(rng, active["sex"]),
        "fodelsear": active["birth_year"].astype(int).astype(str),
        "insats_id": active["insats_id"], "forbund": active["forbund"],
        "startdatum": active["start"].dt.strftime("%Y-%m-%d"),
        "slutdatum": active["end"].where(active["end"].dt.year <= year).dt.strftime("%Y-%m-%d").fillna(""),
        "forsorjning_vid_start": active["benefit"],
    })
    geo = "kommun" in active.columns
    excel = {}
    if geo:  # (before any dirt is copied from these rows, so that exact duplicates stay exact)
        d["kommun"] = active["kommun"]
        excel["deltagare"] = _excel_zeros(d, np.random.default_rng(seed * 10_000 + year + GEO_SEED))
    n_anon = ANONYMOUS[year]
    ins_ids = truth.insatser[year]
    individ = ins_ids[ins_ids["typ"] == "individinriktad"]
    pick = rng.integers(0, len(individ), n_anon)
    anon = pd.DataFrame({
        "personnummer": "", "registreringstyp": rng.choice(["anonym", "volym"], n_anon),
        "kon": _sex_codes(rng, pd.Series(np.where(rng.random(n_anon) < 0.5, "kvinna", "man"))).to_numpy(),
        "fodelsear": rng.integers(1960, 2004, n_anon).astype(str),
        "insats_id": individ["insats_id"].to_numpy()[pick], "forbund": individ["forbund"].to_numpy()[pick],
        "startdatum": _dates_in_year(rng, np.full(n_anon, year)).dt.strftime("%Y-%m-%d").to_numpy(),
        "slutdatum": "", "forsorjning_vid_start": rng.choice(OTHER_SUPPORT, n_anon),
    } | ({"kommun": ""} if geo else {}))
    d = pd.concat([d, anon], ignore_index=True)
    # Dirt: rows that cleaning must reject, each kind from a random clean row.
    extra = []
    base = d[d["registreringstyp"] == "personuppgifter"]

    def sample(n: int) -> pd.DataFrame:
        return base.iloc[rng.choice(len(base), size=n, replace=False)].copy()

    twice = sample(dirt["deltagare"]["double_registration"])
    start = pd.to_datetime(twice["startdatum"])
    later = (start + pd.to_timedelta(rng.integers(1, 20, len(twice)), unit="D")).clip(upper=pd.Timestamp(f"{year}-12-31"))
    twice["startdatum"] = later.dt.strftime("%Y-%m-%d")
    ended = pd.to_datetime(twice["slutdatum"].replace("", None))
    twice["slutdatum"] = twice["slutdatum"].where(~(ended < later), "")
    extra.append(twice)
    bad = sample(dirt["deltagare"]["bad_checksum"])
    bad["personnummer"] = _bad_checksum(bad["personnummer"].str.replace("-", ""))
    extra.append(bad)
    swapped = sample(dirt["deltagare"]["end_before_start"])
    swapped["slutdatum"] = (pd.to_datetime(swapped["startdatum"]) - pd.Timedelta(days=10)).dt.strftime("%Y-%m-%d")
    extra.append(swapped)
    outside = sample(dirt["deltagare"]["outside_year"])
    outside["startdatum"] = f"{year + 1}-02-15"
    outside["slutdatum"] = ""
    extra.append(outside)
    plus = sample(dirt["deltagare"]["plus_form_under_100"])
    digits = plus["personnummer"].str.replace("-", "")
    plus["personnummer"] = digits.str[-10:-4] + "+" + digits.str[-4:]
    extra.append(plus)
    d = pd.concat([d] + extra, ignore_index=True)
    d.insert(0, "registrering_id", [f"R{year}-{i:06d}" for i in rng.permutation(len(d))])
    dup = d.iloc[rng.choice(len(d), size=dirt["deltagare"]["exact_duplicate"], replace=False)]
    d = pd.concat([d, dup], ignore_index=True).iloc[rng.permutation(len(d) + len(dup))]
    d = _whitespace(rng, d, ["kon", "forbund", "forsorjning_vid_start"])
    # Insatser.
    ins = truth.insatser[year].copy()
    ins = pd.concat([ins, ins.iloc[rng.choice(len(ins), dirt["insatser"]["exact_duplicate"], replace=False)]])
    ins = _whitespace(rng, ins.iloc[rng.permutation(len(ins))], ["inriktning"])
    # Benefit register (Latin-1, semicolons, decimal commas).
    b = truth.benefits[year]
    f = pd.DataFrame({
        "personnummer": _format_pnr(rng, b["personnummer"]), "kon": _sex_codes(rng, b["sex"]),
        "fodelsear": b["birth_year"].astype(int), "forman": b["benefit"], "diagnoskapitel": b["chapter"],
        "formansstart": pd.to_datetime(b["benefit_start"]).dt.strftime("%Y-%m-%d"), "formansgrad": b["grade"],
        "arbete_studier_12m": b["outcome"],
    } | ({"kommun": b["kommun"]} if geo else {}))
    if geo:
        excel["formaner"] = _excel_zeros(f, np.random.default_rng(seed * 10_000 + year + GEO_SEED + 1))
    badf = f.iloc[rng.choice(len(f), dirt["formaner"]["bad_checksum"], replace=False)].copy()
    badf["personnummer"] = _bad_checksum(badf["personnummer"].str.replace("-", ""))
    f = pd.concat([f, badf, f.iloc[rng.choice(len(f), dirt["formaner"]["exact_duplicate"], replace=False)]])
    f = f.iloc[rng.permutation(len(f))]
    taken = set(truth.participants["personnummer"].astype(str)) | set(b["personnummer"].astype(str))
    row, other = _person_with_two_sexes(seed, year, d, f, taken)
    place = np.random.default_rng([seed, year, 14])
    d, f = _insert(place, d, row), _insert(place, f, other)
    for kind in ("deltagare", "formaner"):
        dirt[kind][SEX_DIFFERS_ACROSS_FILES] = 1
    exports = spec["exports"]
    files = {
        "deltagare": _csv(d, exports["deltagare"]["delimiter"], exports["deltagare"]["decimal"]),
        "insatser": _csv(ins, exports["insatser"]["delimiter"], exports["insatser"]["decimal"]),
        "formaner": _csv(f, exports["formaner"]["delimiter"], exports["formaner"]["decimal"]),
    }
    for kind, text in files.items():
        encoding = exports[kind]["encoding"]
        data = ("\ufeff" + text).encode("utf-8") if kind == "deltagare" else text.encode(
            "utf-8" if encoding.startswith("utf-8") else encoding)
        write_bytes_atomic(folder / exports[kind]["file"].format(year=year), data)
    summary = {"year": year, "synthetic": True, "seed": seed, "dirt": dirt,
               "kommun_without_leading_zero": excel,  # rows written so (kept: the zero is put back)
               "rows": {"deltagare": len(d), "insatser": len(ins), "formaner": len(f)}}
    write_text_atomic(folder / "smuts.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    models = {benefit: truth.models[(year, benefit)] for benefit in BENEFITS}
    write_text_atomic(folder / "sanning.json", json.dumps({"year": year, "synthetic": True, "models": models},
                                                          indent=2, ensure_ascii=False) + "\n")
    return summary


def write_register_demo(raw: Path, published_raw: Path, seed: int = SEED, population_scale: float = 1.0,
                        years: list[int] | None = None) -> list[Path]:
    """Generate the demo exports into ``raw``/register/<year>/ (atomically per year)."""
    register = Path(raw) / "register"
    return write_register_demo_to(register / "exports.yaml", Path(raw) / "geografi", published_raw,
                                  {year: register / str(year) for year in years or YEARS}, seed, population_scale)


def write_register_demo_to(exports_spec: Path, geografi_raw: Path, published_raw: Path, out_dirs: dict[int, Path],
                           seed: int = SEED, population_scale: float = 1.0) -> list[Path]:
    """Generate the demo exports of each year into ``out_dirs[year]`` (atomically per year)."""
    from ..sources import geografi

    spec = yaml.safe_load(Path(exports_spec).read_text(encoding="utf-8"))
    geography = geografi.load_geography(geografi_raw)
    years = demo_years(list(out_dirs))
    truth = build_truth(load_published(published_raw), seed, population_scale, geography, years)
    written = []
    for year, folder in track(out_dirs.items(), len(out_dirs), "år av demodata"):
        with atomic_dir(folder) as tmp:
            write_register_year(truth, year, tmp, spec, seed)
        written.append(folder)
    return written
