"""The Indikatorrapport and the Indikatorbilagor built by their stages in a throwaway project, from
a synthetic answer set written where the cleaning stage writes (tests/indikator_fixture.py)."""

from __future__ import annotations

import re
from html import unescape

import pandas as pd
import pytest
import yaml

from pipeline import stages
from pipeline.core.catalogue import DATASETS
from pipeline.core.config import Project
from pipeline.core.fmt import SYNTHETIC
from tests.conftest import copy_project, norm
from tests.indikator_fixture import respondents, survey

YEARS = [2019, 2020, 2021]


def _text(path) -> str:
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return norm(unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("indikator")
    copy_project(root)
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    params["indikator"] = {"years": YEARS, "demo": True, "demo_seed": 1,
                           "bilagor": {"build": True, "formats": ["html"], "pool_size": 1}}
    (root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    project = Project(root)
    svar, truth = survey(seed=4, years=YEARS, forbund=12)
    for year, g in svar.groupby("year"):
        folder = root / "data" / "processed" / "indikator" / str(year)
        folder.mkdir(parents=True)
        g.to_parquet(folder / "svar.parquet")
        respondents(g).to_parquet(folder / "respondenter.parquet")
        names = sorted(g["forbund"].unique())
        texts = pd.DataFrame({"year": year, "enkat": "deltagare_avslut", "forbund": names, "fraga": "da_kommentar",
                              "fragetext": "Har du något mer att säga?", "text": [f"Eget svar {f} {year}" for f in names]})
        left_out = texts[texts["forbund"] == "F03"].assign(text="[namn borttaget] [telefonnummer borttaget].")
        pd.concat([texts, left_out]).to_parquet(folder / "fritext.parquet")
    stages.stage_indikator_tabeller(project)
    national = stages.stage_indikatorrapport(project, 2021, formats=["html", "pdf", "docx"])
    stages.stage_indikatorbilagor(project, forbund=["F03", "F01"])
    stages.stage_index(project)
    return project, national, truth


def test_the_national_report_in_every_format_says_synthetic_and_why_small_groups_are_hidden(built):
    project, national, _ = built
    for kind in ("html", "pdf", "docx", "ipynb"):
        assert (national / f"indikatorrapport_2021.{kind}").is_file()
    text = _text(national / "indikatorrapport_2021.html")
    assert SYNTHETIC in text
    assert "Uppgifter som bygger på färre än 5 svar visas inte" in text
    for heading in ("Vilka som svarade", "Indikatorerna per svarsgrupp", "Trend", "Tydliga förändringar",
                    "Ändrade frågor och brutna trender"):
        assert heading in text
    assert "Eget svar" not in text, "open answers are for the förbund's own report only"
    # the numbers shown are the table's: the nation's share for deltagare I12 in 2021
    a = pd.read_parquet(DATASETS["indikator_tables"].path(project.root) / "andelar.parquet")
    row = a[(a["forbund"] == "Hela riket") & (a["year"] == 2021) & (a["grupp"] == "deltagare")
            & (a["indikator"] == "I12") & (a["matpunkt"] == "")].iloc[0]
    assert f"{round(row['andel'])} % ({round(row['ci_low'])}–{round(row['ci_high'])})" in text


def test_a_forbund_report_shows_its_own_open_answers_and_nobody_elses(built):
    project, _, _ = built
    folder = project.reports / "indikator" / "f03"
    years = sorted(int(p.name) for p in folder.iterdir() if p.is_dir())
    taking = pd.read_parquet(DATASETS["indikator_tables"].path(project.root) / "forbund.parquet")
    assert years == sorted(taking.loc[taking["forbund"] == "F03", "year"])
    text = _text(folder / "2021" / "indikatorbilaga_2021.html")
    assert "Eget svar F03 2021" in text and "Eget svar F01" not in text and "Eget svar F03 2020" not in text
    # under the question's wording, never its code name; an answer of removal marks only is counted, not listed
    assert "Deltagare vid avslutad insats – Har du något mer att säga?" in text and "da_kommentar" not in text
    assert "Ett svar bestod bara av sådana uppgifter och visas inte." in text and "[namn borttaget]" not in text
    assert SYNTHETIC in text and "Jämförelse med andra förbund" in text
    own = pd.read_parquet(folder / "2021" / "indata" / "andelar.parquet")
    assert set(own["forbund"]) == {"F03", "Hela riket"}
    assert (folder / "2021" / "figurer" / "jamforelse_deltagare_2021.svg").is_file()


def test_the_planted_low_forbund_is_flagged_below_in_its_own_report(built):
    project, _, truth = built
    tratt = pd.read_parquet(DATASETS["indikator_tables"].path(project.root) / "tratt.parquet")
    row = tratt[(tratt["forbund"] == truth["low"]) & (tratt["matpunkt"] == truth["rising"])]
    assert (row["lage"] < 0).any()


def test_the_index_lists_the_indicator_reports(built):
    project, _, _ = built
    html = (project.reports / "index.html").read_text(encoding="utf-8")
    assert "2021/indikatorrapport/indikatorrapport_2021.html" in html
    assert 'href="indikator/f03/2021/indikatorbilaga_2021.html"' in html
    assert "Indikatorbilagor" in html


def test_a_report_checksum_from_the_whole_table_is_the_one_of_its_own_rows():
    """indikator_build._Canonical gives, for any subset of a table's rows, exactly the bytes that
    forbund_build._frame_bytes gives for that subset (ties, shuffled rows, missing values), and takes
    the slow way for text with line breaks."""
    import numpy as np

    from pipeline.reports.forbund_build import _frame_bytes
    from pipeline.reports.indikator_build import _Canonical

    rng = np.random.default_rng(3)
    n = 400
    table = pd.DataFrame({"year": rng.integers(2017, 2020, n), "grupp": rng.choice(["deltagare", "styrelse"], n),
                          "indikator": rng.choice(["I01", "I12"], n), "matpunkt": "", "forbund": rng.choice(list("ABC"), n),
                          "n": pd.array(rng.integers(0, 50, n), dtype="Int64"), "x": rng.integers(0, 2, n),
                          "andel": rng.random(n) * 100})
    table.loc[::7, "n"] = pd.NA
    table.loc[::11, "andel"] = np.nan
    canonical = _Canonical(table)
    assert canonical.lines is not None
    for mask in (table["forbund"] == "A", (table["year"] <= 2018) & (table["grupp"] == "styrelse"), table["n"].isna()):
        subset = table[mask]
        assert canonical.bytes(subset) == _frame_bytes(subset)
    assert canonical.bytes(table.iloc[:0]) == _frame_bytes(table.iloc[:0])
    text = pd.DataFrame({"year": [2020, 2020, 2021], "forbund": ["A", "B", "A"], "text": ["två\nrader", "en", "en"]})
    slow = _Canonical(text)
    assert slow.lines is None and slow.bytes(text[text["forbund"] == "A"]) == _frame_bytes(text[text["forbund"] == "A"])
