"""Backtest of the indicator figures against the demo's planted truth.

The demo (pipeline/demo/indikator_demo.py, h19a) draws every answer from a known model and writes
what it planted to sanning.json; it shares no code with the cleaning or pipeline/derive/indikator.py.
Here the demo is written, cleaned and put through the indicator stage in a throwaway project, and the
published tables must show what was planted:

* the rising measurement point (I12.1) is found rising, and clearly;
* the förbund planted below on I13 is flagged below the funnel's limits;
* the 2020 rewording of I14.1 breaks its trend (not compared across 2020; trend from 2020);
* the participation shift on I09.1 (förbund joining high, leaving low, nobody changing) raises the
  crude national share but gives no trend within the förbund;
* the points planted unchanged show no clear trend up to the last year (at most one by chance);
* the national figures equal the pooled förbund figures where nothing is hidden, and a recount
  straight from the cleaned answers.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline import stages
from pipeline.core.catalogue import DATASETS
from pipeline.core.config import Project
from tests.conftest import copy_project

YEARS = [2017, 2018, 2019, 2020, 2021, 2022]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("indikator_demo")
    copy_project(root)
    project = Project(root)
    assert project.settings.indikator.years == YEARS and project.settings.indikator.demo
    stages.stage_indikator_demo(project)  # h19a's stages: the demo and the cleaning, as the build runs them
    for year in YEARS:
        stages.stage_indikator(project, year)
    stages.stage_indikator_tabeller(project)
    raw = DATASETS["indikator_truth"].path(root).parent
    folder = DATASETS["indikator_tables"].path(root)
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in
              ("andelar", "forandring", "trend", "tratt", "brott")}
    return root, json.loads((raw / "sanning.json").read_text(encoding="utf-8")), tables


def test_the_rising_point_is_found_rising_and_clear(demo):
    _, truth, t = demo
    plant = truth["plants"]["rising"]
    trend = t["trend"][(t["trend"]["matpunkt"] == plant["matpunkt"]) & (t["trend"]["year"] == YEARS[-1])].iloc[0]
    assert trend["utlatande"] == "tydligt stigande" and trend["tydlig"]
    # the planted shares rise by about 4–5 percentage points a year; the estimate is near that
    planted = plant["share_positive"]
    per_year = 100 * (planted[str(YEARS[-1])] - planted[str(YEARS[0])]) / (len(YEARS) - 1)
    assert trend["pp_per_ar"] == pytest.approx(per_year, abs=2.0)


def test_the_low_forbund_is_flagged_below(demo):
    _, truth, t = demo
    plant = truth["plants"]["below"]
    rows = t["tratt"][(t["tratt"]["forbund"] == plant["forbund"]) & (t["tratt"]["indikator"] == plant["indikator"])]
    assert not rows.empty, "the low förbund's shares on the indicator should be shown"
    assert (rows["lage"] < 0).mean() >= 0.8  # below in (almost) every year and point it has a shown share
    others = t["tratt"][(t["tratt"]["forbund"] != plant["forbund"]) & (t["tratt"]["indikator"] == plant["indikator"])]
    assert (others["lage"] <= -2).mean() < 0.05  # the limits allow for real variation: few others flagged


def test_the_wording_change_breaks_the_trend_where_it_was_declared(demo):
    _, truth, t = demo
    plant = truth["plants"]["wording_change"]
    mp, year = plant["matpunkt"], plant["year"]
    brott = t["brott"]
    assert ((brott["matpunkt"] == mp) & (brott["year"] == year)).any()
    change = t["forandring"].set_index(["matpunkt", "year"])
    assert not change.loc[(mp, year), "jamforbar"]
    trend = t["trend"].set_index(["matpunkt", "year"])
    assert trend.loc[(mp, YEARS[-1]), "fran"] == year and trend.loc[(mp, YEARS[-1]), "brott"] == year
    assert trend.loc[(mp, year - 1), "fran"] == YEARS[0]


def test_a_change_in_who_answered_is_no_national_trend_within_forbund(demo):
    _, truth, t = demo
    plant = truth["plants"]["participation_shift"]
    mp, year = plant["matpunkt"], plant["from_year"]
    change = t["forandring"].set_index(["matpunkt", "year"]).loc[(mp, year)]
    assert change["skillnad"] > 5, "the planted shift should raise the crude national share"
    assert change["crude_utlatande"] == "ökning"
    assert not change["tydlig"], "no förbund changed: the change within the förbund must not be clear"
    trend = t["trend"].set_index(["matpunkt", "year"]).loc[(mp, YEARS[-1])]
    assert trend["crude_utlatande"] == "stigande" and trend["utlatande"] == "ingen tydlig trend"


def test_the_unchanged_points_show_no_clear_trend(demo):
    _, truth, t = demo
    unchanged = set(truth["plants"]["unchanged"]) - {truth["plants"]["participation_shift"]["matpunkt"]}
    trend = t["trend"][(t["trend"]["year"] == YEARS[-1]) & t["trend"]["matpunkt"].isin(unchanged)]
    assert len(trend) >= 20
    assert trend["tydlig"].sum() <= 1  # 5 % false alarms expected at most about once


def test_the_nation_is_the_pooled_forbund_where_nothing_is_hidden_and_a_recount(demo):
    root, _, t = demo
    a = t["andelar"]
    keys = ["year", "grupp", "indikator", "matpunkt"]
    nation = a[a["forbund"] == "Hela riket"].set_index(keys)
    areas = a[a["forbund"] != "Hela riket"]
    whole = areas.groupby(keys).filter(lambda g: g["n"].notna().all())
    pooled = whole.groupby(keys)[["n", "positiva"]].sum()
    assert len(pooled) > 50
    joined = pooled.join(nation[["n", "positiva"]].add_suffix("_riket"))
    assert (joined["n"] == joined["n_riket"]).all() and (joined["positiva"] == joined["positiva_riket"]).all()
    # a recount straight from the cleaned answers (one question per measurement point and respondent)
    for year in YEARS:
        svar = pd.read_parquet(root / "data" / "processed" / "indikator" / str(year) / "svar.parquet")
        answered = svar[svar["positiv"].notna()]
        recount = answered.groupby(["grupp", "matpunkt"])["positiv"].agg(["size", "sum"])
        n = nation.xs(year, level="year").reset_index()
        n = n[n["matpunkt"] != ""].set_index(["grupp", "matpunkt"])
        both = recount.join(n[["n", "positiva"]], how="inner")
        assert len(both) == len(recount)
        assert (both["size"] == both["n"]).all() and (both["sum"] == both["positiva"]).all()
