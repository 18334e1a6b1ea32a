"""The indicator surveys' demo (pipeline/demo/indikator_demo.py) cleaned by pipeline/sources/indikator.py:
the quarantine is exactly the planted dirt, rows in = kept + quarantined, the processed schema is the
agreed one, no planted personal data survives, and the planted truth shows in the cleaned answers
(counted here with plain pandas, not with any estimator of the project)."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from pipeline.core import privacy
from pipeline.demo import indikator_demo
from pipeline.sources import indikator

from ..conftest import REPO

YEARS = indikator_demo.YEARS


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    raw = tmp_path_factory.mktemp("indikator") / "indikator"
    shutil.copytree(REPO / "data" / "raw" / "indikator", raw, ignore=shutil.ignore_patterns("sanning.json", "svar"))
    indikator_demo.write_indikator_demo(raw)
    truth = json.loads((raw / "sanning.json").read_text(encoding="utf-8"))
    indicators, descriptions = indikator.load_descriptions(raw, YEARS)
    names = indikator_demo.demo_forbund_names()
    cleaned = {y: indikator.clean_indikator_year(raw / str(y) / "svar", descriptions[y], names, indicators) for y in YEARS}
    return raw, truth, cleaned


def test_the_quarantine_is_exactly_the_planted_dirt(demo):
    _, truth, cleaned = demo
    for year, clean in cleaned.items():
        k = clean.tables["karantan"]
        found = {(f, s, int(n), c, r) for f, s, n, c, r in k[["file", "sheet", "line", "column", "reason"]].itertuples(
            index=False)}
        planted = {(q["file"], q["sheet"], q["line"], q["column"], q["reason"]) for q in truth["quarantine"][str(year)]}
        assert found == planted, year
        assert {r for *_, r in planted} >= {"svarat_tva_ganger", "dubblett", "okant_svar", "okant_forbund",
                                            "personuppgift_i_fel_kolumn", "fel_ar", "saknat_varde"}
        assert k["reason_text"].notna().all()


def test_rows_in_are_kept_plus_quarantined_per_file(demo):
    _, truth, cleaned = demo
    for year, clean in cleaned.items():
        q = clean.tables["kvalitet"]
        assert (q["rows_in"] == q["kept"] + q["quarantined"]).all()
        assert int(q["rows_in"].sum()) == truth["rows"][str(year)]
        assert int(q["kept"].sum()) == truth["kept"][str(year)] == len(clean.tables["respondenter"])
        assert int(q["quarantined"].sum()) == len(clean.tables["karantan"])


def test_the_demo_has_the_instrument_s_sizes(demo):
    _, truth, cleaned = demo
    for year, clean in cleaned.items():
        r = clean.tables["respondenter"]
        forbund = r["forbund"].nunique()
        assert 34 <= forbund <= 46 and forbund == len(truth["forbund"][str(year)]), year
        assert 3500 <= len(r) <= 4300, (year, len(r))
        groups = r["grupp"].value_counts()
        assert groups["deltagare"] > 0.55 * len(r)
        board = r[r["grupp"] == "styrelse"].groupby("forbund").size()
        assert board.max() <= 9 and board.min() >= 2
    who = {y: set(truth["forbund"][str(y)]) for y in YEARS}
    assert who[2019] - who[2020] and who[2020] - who[2019]  # some leave, some join


def test_processed_schema_is_the_agreed_one(demo):
    _, _, cleaned = demo
    svar = cleaned[2021].tables["svar"]
    assert list(svar.columns) == indikator.SVAR_COLUMNS
    assert {c: str(t) for c, t in svar.dtypes.items()} == {
        "year": "int64", "enkat": "string", "grupp": "string", "forbund": "string", "respondent": "string",
        "fraga": "string", "indikator": "string", "matpunkt": "string", "varde": "Int64", "vet_ej": "bool",
        "positiv": "boolean"}
    # positiv is NA exactly when there is no position (vet ej or unanswered); vet ej has no position
    assert (svar["positiv"].isna() == svar["varde"].isna()).all()
    assert svar.loc[svar["vet_ej"], "varde"].isna().all()
    # one row per respondent and scale question of its questionnaire
    per = svar.groupby("respondent").size()
    r = cleaned[2021].tables["respondenter"]
    assert r["respondent"].is_unique and set(per.index) == set(r["respondent"])
    assert list(cleaned[2021].tables["karantan"].columns) == ["file", "sheet", "line", "column", "reason",
                                                             "reason_text"]
    d = cleaned[2021].tables["deltagande"]
    assert int(d["respondents"].sum()) == len(r)
    assert set(cleaned[2021].tables["fragor"]["matpunkt"]) == set(svar["matpunkt"])


def test_vet_ej_in_any_case_numbers_and_labels_all_clean(demo):
    _, _, cleaned = demo
    for year in (2018, 2021):  # insatspersonal: numbers 1–5 (vet ej = 9) in 2018, labels in 2021
        ip = cleaned[year].tables["svar"].query("enkat == 'insatspersonal'")
        assert set(ip["varde"].dropna().astype(int)) == {1, 2, 3, 4, 5}
        assert 0.02 < ip["vet_ej"].mean() < 0.09
    dp = cleaned[2017].tables["svar"].query("enkat == 'deltagare_pagaende'")
    assert dp["vet_ej"].sum() > 50  # "Vet ej", "vet ej", "VET EJ", " Vet ej " all count


def test_no_planted_personal_data_reaches_the_tables(demo, tmp_path):
    _, truth, cleaned = demo
    planted = truth["personal_data"]
    assert len(planted) >= 10
    for year, clean in cleaned.items():
        out = tmp_path / str(year)
        indikator.save_indikator_year(clean, out)
        text = "\n".join(p.read_text(encoding="utf-8") for p in out.glob("*.csv"))
        assert not [p for p in planted if p in text], year
        assert privacy.scan([out], kinds=("personnummer", "e-post", "telefon")) == []
        fritext = clean.tables["fritext"]["text"]
        assert fritext.str.contains(r"\[namn borttaget\]").any()
        assert not fritext.map(privacy.has_personal_data).any()
        q = clean.tables["kvalitet"]
        assert q[["removed_namn", "removed_telefon", "removed_e_post"]].sum().min() > 0


def _share(svar: pd.DataFrame) -> float:
    answered = svar["positiv"].dropna()
    return float(answered.mean())


def test_the_planted_truth_shows_in_the_cleaned_answers(demo):
    _, truth, cleaned = demo
    plants = truth["plants"]
    svar = pd.concat([c.tables["svar"] for c in cleaned.values()], ignore_index=True)
    # rising: the national share of I12.1 goes up by about what was planted
    rising = svar[svar["matpunkt"] == plants["rising"]["matpunkt"]]
    first, last = _share(rising[rising["year"] == 2017]), _share(rising[rising["year"] == 2022])
    planted = plants["rising"]["share_positive"]
    assert last - first > 0.12 and abs((last - first) - (planted["2022"] - planted["2017"])) < 0.08
    # below: one förbund far below the others on both I13 points
    for point in plants["below"]["matpunkter"]:
        rows = svar[svar["matpunkt"] == point]
        own = _share(rows[rows["forbund"] == plants["below"]["forbund"]])
        others = rows[rows["forbund"] != plants["below"]["forbund"]].groupby("forbund")["positiv"].mean()
        assert own < others.min() and others.median() - own > 0.25
    # wording change: I14.1 falls at 2020 and not between the other years
    formaga = svar[svar["matpunkt"] == plants["wording_change"]["matpunkt"]]
    by_year = {y: _share(formaga[formaga["year"] == y]) for y in YEARS}
    assert by_year[2019] - by_year[2020] > 0.12 and abs(by_year[2018] - by_year[2019]) < 0.06
    # participation: I09.1 rises nationally from 2019 to 2020, but not among the förbund in both years
    plan = svar[svar["matpunkt"] == plants["participation_shift"]["matpunkt"]]
    naive = _share(plan[plan["year"] == 2020]) - _share(plan[plan["year"] == 2019])
    both = set(plan.loc[plan["year"] == 2019, "forbund"]) & set(plan.loc[plan["year"] == 2020, "forbund"])
    same = plan[plan["forbund"].isin(both)]
    within = _share(same[same["year"] == 2020]) - _share(same[same["year"] == 2019])
    assert naive > 0.07 and abs(within) < 0.05
