"""Indicator figures (pipeline/derive/indikator.py) on fixtures whose answers we chose."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.derive import indikator
from pipeline.derive.disclosure import Settings
from tests.indikator_fixture import answers, respondents

S = Settings(5, 5)


def test_wilson_interval_matches_the_textbook_values():
    # Wilson 95 % for 0 of 10: 0 – 27,75 %; for 5 of 10: 23,66 – 76,34 % (Newcombe 1998, Table I style)
    low, high = indikator.wilson([0, 5], [10, 10])
    assert low[0] == pytest.approx(0.0, abs=1e-9) and high[0] == pytest.approx(27.75, abs=0.01)
    assert low[1] == pytest.approx(23.66, abs=0.01) and high[1] == pytest.approx(76.34, abs=0.01)


def test_a_respondent_is_positive_on_an_indicator_when_at_least_half_their_answers_are():
    rows = []
    for resp, values in {"a": [True, False], "b": [True, True], "c": [False, False], "d": [True, None]}.items():
        for j, v in enumerate(values):
            rows.append({"year": 2020, "enkat": "styrelse", "grupp": "styrelse", "forbund": "F", "respondent": resp,
                         "fraga": f"q{j}", "indikator": "I01", "matpunkt": f"I01.{j + 1}", "varde": 1,
                         "vet_ej": v is None, "positiv": pd.NA if v is None else v})
    svar = pd.DataFrame(rows).astype({"positiv": "boolean"})
    c = indikator.count(svar).set_index("matpunkt")
    assert (c.loc["", "n"], c.loc["", "k"]) == (4, 3)  # a: 1 of 2 (half) yes; b yes; c no; d: 1 of 1 yes
    assert (c.loc["I01.2", "n"], c.loc["I01.2", "k"]) == (3, 1)  # d answered "vet ej": not counted


def test_vet_ej_is_not_an_answer():
    svar = answers([(2020, "deltagare", "F", "I01", "I01.1", 10, 4)], vet_ej=3)
    c = indikator.count(svar)
    assert set(zip(c["n"], c["k"])) == {(10, 4)}


def _spec(year, shares: dict[str, tuple[int, int]], grupp="deltagare", ind="I01", mp="I01.1"):
    return [(year, grupp, f, ind, mp, n, k) for f, (n, k) in shares.items()]


def test_nation_is_the_pooled_sum_and_the_mean_is_unweighted():
    svar = answers(_spec(2020, {"A": (40, 30), "B": (10, 2), "C": (50, 25)}))
    t = indikator.indikator_tables_from_frames(svar, respondents(svar), S)["andelar"]
    nat = t[(t["forbund"] == indikator.NATIONAL) & (t["matpunkt"] == "I01.1")].iloc[0]
    assert nat["n"] == 100 and nat["positiva"] == 57 and nat["andel"] == pytest.approx(57.0)
    assert nat["medel_forbund"] == pytest.approx((75 + 20 + 50) / 3)
    assert nat["forbund_visade"] == 3 and nat["forbund_svarande"] == 3
    assert not t["suppressed"].any()
    b = t[(t["forbund"] == "B") & (t["matpunkt"] == "I01.1")].iloc[0]
    low, high = indikator.wilson([2], [10])
    assert (b["ci_low"], b["ci_high"]) == pytest.approx((low[0], high[0]))


def test_a_small_forbund_is_hidden_and_cannot_be_recovered_from_the_national_sum():
    svar = answers(_spec(2020, {"A": (40, 30), "B": (3, 3), "C": (50, 25), "D": (30, 10)}, grupp="styrelse"))
    t = indikator.indikator_tables_from_frames(svar, respondents(svar), S)["andelar"]
    t = t[t["matpunkt"] == "I01.1"].set_index("forbund")
    assert pd.isna(t.loc["B", "n"]) and pd.isna(t.loc["B", "andel"]) and pd.isna(t.loc["B", "positiva"])
    hidden = [f for f in "ACD" if pd.isna(t.loc[f, "n"])]
    assert hidden, "the national total minus the shown förbund would give B's count"
    # what a reader can still work out: the hidden förbund's answers together
    shown = t.loc[[f for f in "ACD" if f not in hidden], "n"].sum()
    assert t.loc[indikator.NATIONAL, "n"] - shown >= S.protection


def test_composition_change_is_not_a_real_change_but_a_rise_within_forbund_is():
    # year 1: A and B (both 80 %); year 2: A and B unchanged, C joins at 30 %: the crude share falls
    same = {"A": (200, 160), "B": (200, 160)}
    svar = answers(_spec(2019, same) + _spec(2020, same | {"C": (400, 120)}))
    change = indikator.indikator_tables_from_frames(svar, respondents(svar), S)["forandring"]
    row = change[change["matpunkt"] == "I01.1"].iloc[0]
    assert row["crude_utlatande"] == "minskning" and row["skillnad"] < -20
    assert row["utlatande"] == "ingen tydlig förändring" and not row["tydlig"]
    assert row["skillnad_samma"] == pytest.approx(0.0, abs=1e-6) and row["forbund_bada"] == 2
    # a real rise: every förbund from 40 % to 60 %
    svar = answers(_spec(2019, {"A": (200, 80), "B": (200, 80)}) + _spec(2020, {"A": (200, 120), "B": (200, 120)}))
    row = indikator.indikator_tables_from_frames(svar, respondents(svar), S)["forandring"].iloc[0]
    assert row["utlatande"] == "tydlig ökning" and row["tydlig"]
    assert row["skillnad_samma"] == pytest.approx(20.0, abs=0.5) and row["oddskvot"] == pytest.approx(2.25, rel=1e-6)


def test_a_small_difference_is_not_clear():
    svar = answers(_spec(2019, {"A": (30, 15), "B": (30, 15)}) + _spec(2020, {"A": (30, 17), "B": (30, 16)}))
    row = indikator.indikator_tables_from_frames(svar, respondents(svar), S)["forandring"].iloc[0]
    assert row["utlatande"] == "ingen tydlig förändring"


def test_trend_over_years_and_a_declared_wording_change_breaks_it():
    spec = []
    for i, year in enumerate(range(2017, 2023)):
        k = 80 + 12 * i  # 40 % rising by 6 points a year
        spec += _spec(year, {"A": (200, k), "B": (200, k)})
    svar = answers(spec)
    tables = indikator.indikator_tables_from_frames(svar, respondents(svar), S)
    trend = tables["trend"].set_index(["matpunkt", "year"])
    assert trend.loc[("I01.1", 2022), "utlatande"] == "tydligt stigande"
    assert trend.loc[("I01.1", 2022), "fran"] == 2017 and pd.isna(trend.loc[("I01.1", 2022), "brott"])
    assert trend.loc[("I01.1", 2017), "utlatande"] == "kan inte bedömas"  # one year: no trend
    changed = pd.DataFrame({"fraga": ["I01.1.q"], "year": [2020]})
    tables = indikator.indikator_tables_from_frames(svar, respondents(svar), S, changed)
    trend = tables["trend"].set_index(["matpunkt", "year"])
    assert trend.loc[("I01.1", 2022), "fran"] == 2020 and trend.loc[("I01.1", 2022), "brott"] == 2020
    assert trend.loc[("", 2022), "brott"] == 2020  # the indicator as a whole breaks too
    assert trend.loc[("I01.1", 2019), "fran"] == 2017  # before the change: the old series
    change = tables["forandring"].set_index(["matpunkt", "year"])
    assert not change.loc[("I01.1", 2020), "jamforbar"]
    assert change.loc[("I01.1", 2020), "utlatande"] == "inte jämförbar: frågan ändrad"
    assert change.loc[("I01.1", 2021), "jamforbar"]
    assert list(tables["brott"]["year"]) == [2020, 2020]


def test_funnel_flags_a_forbund_clearly_below_and_allows_for_real_variation():
    shares = {f"F{i:02d}": (100, 55 + (i % 5) * 6) for i in range(20)} | {"LOW": (100, 20)}
    svar = answers(_spec(2020, shares))
    t = indikator.indikator_tables_from_frames(svar, respondents(svar), S)["tratt"]
    t = t[t["matpunkt"] == "I01.1"].set_index("forbund")
    assert t.loc["LOW", "lage"] == -2
    assert (t.drop(index="LOW")["lage"] == 0).all()
    assert t["tau2"].iloc[0] > 0  # the others vary more than chance (55–79 % on 100 answers each)
    # the limits are wider than the binomial ones by τ²
    p0 = t["riket"].iloc[0] / 100
    binomial = 1.959963984540054 * (p0 * (1 - p0) / 100) ** 0.5
    assert t.loc["F01", "upper_95"] - 100 * p0 > 100 * binomial


def test_funnel_spread_is_zero_when_every_forbund_has_the_national_share():
    svar = answers(_spec(2020, {f"F{i:02d}": (100, 50) for i in range(12)}))
    t = indikator.indikator_tables_from_frames(svar, respondents(svar), S)["tratt"]
    t = t[t["matpunkt"] == "I01.1"]
    assert len(t) == 12 and (t["tau2"] == 0).all() and (t["lage"] == 0).all()
