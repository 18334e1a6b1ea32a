"""Förbundsbilagor (pipeline/reports/forbundsbilaga.py, forbund_build.py): a tiny förbund, a förbund
with no participants in a year, the synthetic mark on every page, the navigation in the index,
`--forbund`, and that a rebuild after one förbund's figures change rebuilds only its reports.

The figures are made here from small cleaned frames through the real linked disclosure control
(register_tables.register_tables_from_frames), three förbund and one or two years, so the module stays cheap: one
pool of one warm kernel builds a handful of reports once.
"""

from __future__ import annotations

import os

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline import engine
from pipeline.cli import _parser
from pipeline.core.config import load_params
from pipeline.core.errors import ConfigError
from pipeline.derive import forbund, register_tables
from pipeline.derive.disclosure import Settings
from pipeline.reports import forbund_build
from pipeline.reports.forbund_figures import FIGURES_FILE, NATIONAL, load_figures, slug, slugs, units, write_forbund_input
from pipeline.reports.forbundsbilaga import Forbundsbilaga, Forbundsjamforelse, coverage_table
from pipeline.reports.report_index import write_index

from .. import browser
from ..conftest import REPO, norm, pdf_pages
from ..derive.test_forbund import _geography

BIG, TINY, EMPTY = "Samordningsförbund Stor", "Samordningsförbund Liten", "Samordningsförbund Tom"
# two middle-sized förbund: the partners that hide cells so that Liten and Tom stay hidden beside the nation
MEDIUM, NORTH = "Samordningsförbund Mellan", "Samordningsförbund Norr"
YEARS = (2021, 2022)
# Participants per förbund and year: (aktivitetsersättning, sjukpenning, no benefit)
SIZES = {BIG: {2021: (60, 90, 20), 2022: (70, 110, 25)}, TINY: {2021: (2, 1, 1), 2022: (1, 2, 0)},
         EMPTY: {2021: (8, 9, 3), 2022: (0, 0, 0)}, MEDIUM: {2021: (25, 30, 5), 2022: (30, 35, 5)},
         NORTH: {2021: (40, 44, 6), 2022: (41, 47, 6)}}
KOMMUN = {BIG: "0114", TINY: "0115", EMPTY: "0117", MEDIUM: "0120", NORTH: "0125"}  # one kommun each
OUTSIDE = "0123"  # a kommun in no förbund
OTHERS = 3000  # people with a benefit who take part nowhere, spread over the five kommuner


def cleaned_frames():
    """Cleaned register frames (deltagare, insatser, formaner) per year for the three förbund."""
    rng = np.random.default_rng(13)
    deltagare, insatser, formaner = {}, {}, {}
    for year in YEARS:
        people = []
        for unit, sizes in SIZES.items():
            for benefit, n in zip(("aktivitetsersattning", "sjukpenning", "ingen"), sizes[year]):
                for k in range(n):
                    people.append({"person_id": f"{unit[-3:]}-{year}-{benefit[:2]}-{k}", "support_at_start": benefit,
                                   "ongoing": True, "new": bool(k % 2), "sex": "kvinna" if k % 3 else "man",
                                   "forbund": unit})
        d = pd.DataFrame(people)
        deltagare[year] = d
        takers = d[d["support_at_start"] != "ingen"]
        others = OTHERS
        f = pd.DataFrame({"person_id": list(takers["person_id"]) + [f"o{year}-{k}" for k in range(others)],
                          "benefit": list(takers["support_at_start"]) + list(rng.choice(["aktivitetsersattning",
                                                                                          "sjukpenning"], others)),
                          "sex": list(takers["sex"]) + list(rng.choice(["kvinna", "man"], others))})
        m = len(f)
        young = (f["benefit"] == "aktivitetsersattning").to_numpy()
        f["birth_year"] = year - np.where(young, rng.integers(19, 30, m), rng.integers(20, 65, m))
        f["diagnosis_chapter"] = np.where(rng.random(m) < 0.6, "F00-F99", "M00-M99")
        f["benefit_start"] = pd.to_datetime([f"{year - int(k)}-06-01" for k in rng.integers(0, 4, m)])
        f["work_or_study_12m"] = pd.array(rng.random(m) < 0.4, dtype="boolean")
        owner = {pid: KOMMUN[u] for pid, u in zip(d["person_id"], d["forbund"])}
        f["kommun"] = [owner.get(pid) or str(rng.choice([*KOMMUN.values(), OUTSIDE])) for pid in f["person_id"]]
        formaner[year] = f
        rows = [{"forbund": unit, "flags": (i % 3 == 0, i % 2 == 0, i % 4 == 0)}
                for unit, k in ((BIG, 30), (TINY, 2), (EMPTY, 6 if year == 2021 else 0), (MEDIUM, 12), (NORTH, 14))
                for i in range(k)]
        insatser[year] = pd.DataFrame({"forbund": [r["forbund"] for r in rows],
                                       **{flag: pd.array([r["flags"][j] for r in rows], dtype="boolean")
                                          for j, flag in enumerate(register_tables.TARGET_FLAGS.values())}})
    return deltagare, insatser, formaner


STEPS: list[int] = []  # the progress steps the stage's computation reported (stage_tables)


@pytest.fixture(scope="module")
def stage_tables(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The förbund stage's tables (forbund.forbund_figures_from_frames: every unit through the linked disclosure
    control, coverage with its funnel flag, the adjusted comparison) for the three förbund."""
    deltagare, insatser, formaner = cleaned_frames()
    geography = _geography(tmp_path_factory.mktemp("geografi"),
                           "".join(f"{unit},{code},,\n" for unit, code in KOMMUN.items()))
    STEPS.clear()
    return forbund.forbund_figures_from_frames(deltagare, insatser, formaner, geography, Settings(5, 5),
                                steps=type("Recorder", (), {"step": staticmethod(lambda n=1: STEPS.append(n))})())


def test_the_stage_counts_its_work_as_it_goes(stage_tables):
    """Live progress (pipeline/core/progress.py): the steps forbund_figures_from_frames reports add up to the total
    the stage announces, less the reading that build_forbund_figures() counts itself, and each is finished work."""
    unit = stage_tables["unit"].iloc[0]
    years = int(unit["last_year"]) - int(unit["first_year"]) + 1
    assert sum(STEPS) == forbund.forbund_progress_total(years, int(unit["forbund"])) - years * forbund.READ_STEPS
    assert all(n >= 1 for n in STEPS) and STEPS[-2:] == [forbund.PROGRAM_STEPS, forbund.ROWS_STEPS]
    assert len(STEPS) == 1 + years * 2 + 1 + int(unit["forbund"]) + 2  # counting, models, units alone, program, rows


@pytest.fixture(scope="module")
def figures_dir(stage_tables, tmp_path_factory) -> Path:
    """The figures the reports read, as the forbundsbilagor stage gives them."""
    folder = tmp_path_factory.mktemp("forbund")
    forbund.save_forbund_figures(stage_tables, folder / "tabeller")
    load_figures(folder / "tabeller").to_parquet(folder / FIGURES_FILE)
    return folder


def report(figures_dir, unit, year=2022, tmp=None) -> Forbundsbilaga:
    """The report as the stage gives it its input: the förbund's and the nation's figures of the year."""
    figures = pd.read_parquet(Path(figures_dir) / FIGURES_FILE)
    folder = Path(tempfile.mkdtemp(dir=tmp or figures_dir))
    write_forbund_input(folder, figures[figures["unit"].isin([unit, NATIONAL]) & (figures["year"] == year)], unit, 5)
    return Forbundsbilaga.from_parameters(year, {"forbund": str(folder)}, "microdata", True, out_dir=folder)


def whole(r: Forbundsbilaga) -> str:
    return norm("\n".join([r.banner_markdown(), r.intro_markdown(), r.participants_markdown(), r.insatser_markdown(),
                           r.diagnosis_markdown(), r.coverage_markdown(), r.comparison_markdown()]))


# --------------------------------------------------------------------------- the report text
def test_tiny_forbund_shows_dots_and_says_why(figures_dir):
    r = report(figures_dir, TINY)
    text = whole(r)
    rows = [line for line in text.split(" | ") if line]
    assert ".." in rows  # hidden cells, never the small counts themselves
    participants = r.figures[r.figures["measure"] == "deltagare"]
    assert participants["suppressed"].all() and participants["value"].isna().all()
    assert ("Förbundet har få deltagare: alla deltagarantal är dolda (\"..\"). Dolt är antal under 5 personer och "
            "uppgifter som skulle avslöja ett sådant antal") in text
    # insatser are activities, not people: Liten's two insatser are shown, not hidden
    ins = r.figures[r.figures["measure"] == "insatser"]
    assert not ins["suppressed"].any() and ins.loc[ins["target_group"] == "total", "value"].item() >= 1
    assert "Antalet insatser är ett antal aktiviteter, inte personer" in text
    for phrase in ("aktivitetsersättning", "sjukpenning"):
        assert (f"Ingen jämförelse: antalet med {phrase} i förbundets kommuner, eller hur många av dem som deltog, "
                "är dolt av sekretesskäl (färre än 5 personer") in text
    assert "förväntats" not in text and "Kvoten" not in text
    assert "Syntetiska data – inte verkliga uppgifter" in text


def test_big_forbund_is_compared_with_the_nation(figures_dir, stage_tables):
    """Stor's 110 participants with sjukpenning all live in its kommun (cleaned_frames): O = 110; the
    sentence carries the stage's E, ratio and interval as published, in Swedish."""
    r = report(figures_dir, BIG)
    text = whole(r)
    s = stage_tables["standardised"].set_index(["forbund", "year", "benefit"]).loc[(BIG, 2022, "sjukpenning")]
    assert s["observed"] == 110 and s["verdict"] == "higher" and s["ratio"] > s["limit_high"]
    n = s["population"]
    sv = lambda x, d: f"{x:.{d}f}".replace(".", ",")  # noqa: E731  Swedish decimal comma, typed here
    n_text = f"{n:,}".replace(",", "\u00a0")
    assert (f"I förbundets kommuner var {n_text} personer med sjukpenning folkbokförda, och 110 av dem deltog. Om de "
            "hade deltagit i samma utsträckning som personer i hela riket med samma kön, ålder, diagnos och tid med "
            f"ersättningen, hade {sv(s['expected'], 1)} deltagare förväntats. Kvoten mellan det faktiska och det "
            f"förväntade antalet är {sv(s['ratio'], 2)}. Ett förbund med lika många förväntade deltagare hamnar i 95 "
            f"fall av 100 mellan {sv(s['limit_low'], 2)} och {sv(s['limit_high'], 2)}, om det skiljer sig från andra "
            "förbund bara genom slumpen och den vanliga variationen mellan förbund. Förbundet ligger över gränserna: deltagandet är högre än förväntat "
            "med hänsyn till ålder, kön, diagnos och tid med ersättningen. Gränserna för kvoten med sjukpenning 2022 "
            "visar bara slumpens spridning: förbunden är för få") in text  # five förbund: no spread estimated
    # Stor hides some cells but is not called small
    assert "Förbundet är litet" not in text and "få deltagare" not in text
    assert re.search(r"Av förbundets \d+ uppgifter i tabellerna nedan är \d+ dolda \(\"\.\.\"\); övriga visas\. "
                     r"Dolt är antal under 5 personer", text)
    cov = r.figures[(r.figures["measure"] == "tackning") & (r.figures["benefit"] == "sjukpenning")]
    assert cov["value"].iloc[0] == pytest.approx(round(1000 * 110 / n, 1))


def test_forbund_without_participants_in_a_year(figures_dir, tmp_path):
    r = report(figures_dir, EMPTY, 2022)
    text = whole(r)
    assert "Ingen jämförelse" in text and "deltog (95 %" not in text
    # the same förbund had participants the year before, and that report compares nothing it cannot show
    assert "dolt av sekretesskäl" in text  # its 0 residents taking part is below the threshold: hidden like any
    before = whole(report(figures_dir, EMPTY, 2021))  # 9 participants, hidden beside the nation (Liten's partner)
    assert "Ingen jämförelse" in before and "förväntats" not in before
    # no figures at all for the förbund in a year (a förbund new in the mapping): nothing to report
    figures = pd.read_parquet(figures_dir / FIGURES_FILE)
    dropped = figures[~((figures["unit"] == EMPTY) & (figures["year"] == 2022) & (figures["measure"] == "deltagare"))]
    dropped.to_parquet(tmp_path / FIGURES_FILE)
    bare = report(tmp_path, EMPTY, 2022, tmp_path)
    assert bare.no_participants()
    bare_text = whole(bare)
    assert f"{EMPTY} hade inga deltagare registrerade 2022" in bare_text
    assert "Ingen jämförelse: antalet med sjukpenning i förbundets kommuner, eller hur många" in bare_text


def _figures(**values) -> dict:
    """An index of one förbund's figures for sjukpenning: measure → value (None: hidden)."""
    from pipeline.reports.forbundsbilaga import index

    rows = [{"unit": BIG, "year": 2022, "measure": m, "benefit": "sjukpenning", "status": "", "sex": "",
             "target_group": "", "value": np.nan if v is None else float(v), "suppressed": v is None}
            for m, v in values.items()]
    return index(pd.DataFrame(rows))


_COMPARED = {"boende_deltagare": 1234, "referensbefolkning": 56789, "standardkvot_modell": 1}


@pytest.mark.parametrize("values, expected", [
    ({"boende_deltagare": 12, "referensbefolkning": 1234, "standardkvot_modell": 1},
     "Ingen jämförelse: 12 av de 1\u00a0234 med sjukpenning i förbundets kommuner deltog, och med färre än 20 "
     "deltagare är underlaget för litet; skillnaden mot det förväntade skulle mest spegla slumpen."),
    ({"boende_deltagare": 0, "referensbefolkning": 2345, "standardkvot_modell": 1},
     "Ingen jämförelse: ingen av de 2\u00a0345 med sjukpenning i förbundets kommuner deltog i något "
     "samordningsförbund 2022."),
    ({"boende_deltagare": 0, "referensbefolkning": 0, "standardkvot_modell": 1},
     "Ingen jämförelse: ingen med sjukpenning var folkbokförd i förbundets kommuner 2022, så det finns ingen "
     "befolkning att jämföra med."),
    ({"boende_deltagare": 40, "referensbefolkning": None, "standardkvot_modell": 1},
     "Ingen jämförelse: antalet med sjukpenning i förbundets kommuner, eller hur många av dem som deltog, är dolt "
     "av sekretesskäl (färre än 5 personer, eller en uppgift som skulle avslöja ett sådant antal)."),
    ({"boende_deltagare": 40, "referensbefolkning": 900, "standardkvot_modell": 0},
     "Ingen jämförelse: modellen för deltagande med sjukpenning i hela riket gick inte att skatta 2022 (den "
     "konvergerade inte, eller ingen eller alla i riket deltog), så det finns inget förväntat antal."),
    ({**_COMPARED, "forvantade_deltagare": 1100.5, "standardkvot": 1.12, "standardkvot_nedre": 1.06,
      "standardkvot_ovre": 1.19, "standardkvot_grans_nedre": 0.74, "standardkvot_grans_ovre": 1.31,
      "standardkvot_utover_slump": 0.83},
     "I förbundets kommuner var 56\u00a0789 personer med sjukpenning folkbokförda, och 1\u00a0234 av dem deltog. Om "
     "de hade deltagit i samma utsträckning som personer i hela riket med samma kön, ålder, diagnos och tid med "
     "ersättningen, hade 1\u00a0100,5 deltagare förväntats. Kvoten mellan det faktiska och det förväntade antalet är "
     "1,12. Ett förbund med lika många förväntade deltagare hamnar i 95 fall av 100 mellan 0,74 och 1,31, om det "
     "skiljer sig från andra förbund bara genom slumpen och den vanliga variationen mellan förbund. Förbundet ligger "
     "inom gränserna: skillnaden mot det förväntade är inte större än skillnaderna mellan förbund brukar vara. "
     "Gränserna för kvoten med sjukpenning 2022 visar hur mycket förbunden skiljer sig åt av en slump och av den "
     "vanliga variationen mellan förbund; ungefär 83\u00a0% av spridningen mellan förbunden går utöver vad slumpen "
     "ensam skulle ge."),
    ({**_COMPARED, "forvantade_deltagare": 800.0, "standardkvot": 1.54, "standardkvot_grans_nedre": 0.72,
      "standardkvot_grans_ovre": 1.33, "standardkvot_utover_slump": 0.0},
     "Förbundet ligger över gränserna: deltagandet är högre än förväntat med hänsyn till ålder, kön, diagnos och tid "
     "med ersättningen. Gränserna för kvoten med sjukpenning 2022 visar hur mycket förbunden skiljer sig åt av en "
     "slump; spridningen mellan förbunden är i år inte större än slumpen ensam skulle ge."),
])
def test_the_comparison_sentence_in_swedish(values, expected):
    from pipeline.reports.forbundsbilaga import comparison_sentence

    text = comparison_sentence(_figures(**values), "sjukpenning", 2022, 5)
    assert text.startswith("**Sjukpenning.** ") and text.endswith(expected), text


@pytest.mark.parametrize("hidden", ["boende_deltagare", "referensbefolkning"])
def test_no_ratio_or_expectation_beside_a_hidden_count(hidden):
    """Even if an expectation reached the figures beside a hidden O or N, the report would not show it."""
    from pipeline.reports.forbundsbilaga import comparison_sentence

    values = {"boende_deltagare": 1234, "referensbefolkning": 56789, "standardkvot_modell": 1,
              "forvantade_deltagare": 1100.5, "standardkvot": 1.12, "standardkvot_nedre": 1.06, "standardkvot_ovre": 1.19}
    text = comparison_sentence(_figures(**(values | {hidden: None})), "sjukpenning", 2022, 5)
    assert "dolt av sekretesskäl" in text and not re.search(r"1\W100|1,12|förväntats", text)


def test_no_report_shows_an_expectation_where_the_stage_hid_a_count(figures_dir, stage_tables):
    """Every förbund and year as built: an expectation or ratio appears exactly where the stage
    published one, and the stage publishes none beside a hidden O or N or below the minimum."""
    s = stage_tables["standardised"]
    shown = s[s["expected"].notna()]
    assert shown["observed"].notna().all() and shown["population"].notna().all() and (shown["observed"] >= 20).all()
    assert s[s["forbund"] != NATIONAL]["expected"].isna().any() and shown["forbund"].ne(NATIONAL).any()
    for (unit, year), rows in s[s["forbund"] != NATIONAL].groupby(["forbund", "year"]):
        text = norm(report(figures_dir, unit, year).comparison_markdown())
        assert text.count("förväntats.") == rows["expected"].notna().sum(), (unit, year)


def test_unknown_forbund_or_year_is_a_clear_error(figures_dir):
    with pytest.raises(ConfigError, match="no figures for förbund 'Samordningsförbund Okänd' in 2022"):
        report(figures_dir, "Samordningsförbund Okänd")
    with pytest.raises(ConfigError, match="no figures for 2019"):
        report(figures_dir, BIG, 2019)
    with pytest.raises(ConfigError, match="cannot be built from 'published' data"):
        Forbundsbilaga.from_parameters(2022, {"forbund": str(figures_dir)}, "published", True)
    with pytest.raises(ConfigError, match="unit.json: not a förbund report's input"):
        Forbundsbilaga.from_parameters(2022, {"forbund": str(figures_dir)}, "microdata", True)


@pytest.mark.parametrize("year", YEARS)
def test_funnel_table_position_and_plotted_limits_agree(figures_dir, stage_tables, year):
    """The table's position is the förbund stage's flag; the plotted curves, evaluated at each
    förbund's reference population, are the stage's limits for it and place it the same way."""
    from pipeline.reports.forbundsbilaga import coverage_limits

    table = coverage_table(pd.read_parquet(figures_dir / FIGURES_FILE), year, "sjukpenning").set_index("unit")
    p0 = table.attrs["p0"]
    national = table.loc[NATIONAL]
    assert p0 == pytest.approx(national["participants"] / national["population"])
    stage = stage_tables["coverage"].set_index(["forbund", "year", "benefit"])
    placed = table[table["coverage"].notna() & (table.index != NATIONAL)]
    assert len(placed) >= 1
    for unit, row in placed.iterrows():
        limits = coverage_limits(p0, np.array([row["population"]]), table.attrs["tau2"])
        (low95, high95), (low998, high998) = limits["95\u00a0%"], limits["99,8\u00a0%"]
        on = stage.loc[(unit, year, "sjukpenning")]
        assert (low95[0], high95[0], low998[0], high998[0]) == pytest.approx(
            (on["lower_95"], on["upper_95"], on["lower_998"], on["upper_998"]))
        c = row["coverage"]
        expected = ("över 99,8" if c > high998[0] else "över 95" if c > high95[0] else
                    "under 99,8" if c < low998[0] else "under 95" if c < low95[0] else "inom")
        assert norm(row["position"]).startswith(expected), (unit, row["position"], expected)
    assert norm(table.loc[BIG, "position"]) == "över 99,8 %-gränsen"  # 315,2 per 1 000 against 115,7 (2022)
    assert table.loc[TINY, "position"] == ".."  # hidden coverage is not placed
    page = Forbundsjamforelse.from_parameters(2022, {"forbund": str(figures_dir)}, "microdata", True,
                                              out_dir=figures_dir)
    assert page.banner_markdown().startswith("::: banner\nSyntetiska data – inte verkliga uppgifter. ")
    text = norm(page.funnel_markdown("sjukpenning"))
    assert "fig-alt=\"Trattdiagram" in text and "| Samordningsförbund Liten | .. |" in text


def test_the_forbund_stage_tables_are_read_as_written(tmp_path):
    """The förbund stage's schema (docs/architecture.md): values and hidden cells pass unchanged."""
    nation, unit = "Hela riket", "Samordningsförbund 07"
    pd.DataFrame({"forbund": [unit, unit, nation], "table": [1, 2, 1], "year": 2022,
                  "benefit": "sjukpenning", "status": ["pagaende", "nyregistrerad", "pagaende"],
                  "sex": "total", "count": pd.array([12, pd.NA, 4478], dtype="Int64"),
                  "published_pct": pd.array([pd.NA] * 3, dtype="Int64"), "suppressed": [False, True, False]}
                 ).to_parquet(tmp_path / "participants.parquet")
    pd.DataFrame({"forbund": [unit], "table": 5, "year": 2022, "target_group": ["total"],
                  "count": pd.array([7], dtype="Int64"), "suppressed": [False]}).to_parquet(tmp_path / "insatser.parquet")
    pd.DataFrame({"forbund": [unit, unit], "table": 6, "period": ["2022", "total"], "benefit": "sjukpenning",
                  "published_pct": pd.array([pd.NA, 70], dtype="Int64"), "suppressed": [True, False]}
                 ).to_parquet(tmp_path / "diagnosis.parquet")
    pd.DataFrame({"forbund": [unit, nation], "year": 2022, "benefit": "sjukpenning",
                  "participants": pd.array([12, 4478], dtype="Int64"), "population": pd.array([1500, 617582], dtype="Int64"),
                  "per_1000": [8.0, 7.3], "suppressed": [False, False],
                  "funnel_flag": pd.array(["above_95", pd.NA], dtype="string"), "tau2": [0.02, 0.02],
                  "beyond_chance": [0.6, 0.6]}).to_parquet(tmp_path / "coverage.parquet")
    pd.DataFrame({"forbund": [unit, nation], "year": 2022, "benefit": "sjukpenning",
                  "observed": pd.array([pd.NA, 4100], dtype="Int64"), "population": pd.array([1500, 617582], dtype="Int64"),
                  "expected": [np.nan, 4100.0], "ratio": [np.nan, 1.0], "ci_low": [np.nan, 0.97],
                  "ci_high": [np.nan, 1.03], "limit_low": [np.nan, np.nan], "limit_high": [np.nan, np.nan],
                  "beyond_chance": [0.4, 0.4], "model_ok": [True, True]}).to_parquet(tmp_path / "standardised.parquet")
    figures = load_figures(tmp_path).set_index(["unit", "measure", "status"])
    assert figures.loc[(unit, "deltagare", "pagaende"), "value"].item() == 12
    new = figures.loc[(unit, "deltagare", "ny")]
    assert new["suppressed"].item() and pd.isna(new["value"].item())
    assert figures.loc[(unit, "tackning", ""), "value"].item() == 8.0
    assert figures.loc[(unit, "referensbefolkning", ""), "value"].item() == 1500
    assert figures.loc[(unit, "psykiatrisk_andel", ""), "suppressed"].item()  # the year's share; "total" is not a year
    assert figures.loc[(unit, "tratt_lage", ""), "value"].item() == 1.0  # above the 95 % limit, as the stage flagged
    assert pd.isna(figures.loc[(nation, "tratt_lage", ""), "value"].item())
    hidden_o = figures.loc[(unit, "boende_deltagare", "")]
    assert hidden_o["suppressed"].item() and pd.isna(hidden_o["value"].item())
    assert figures.loc[(nation, "standardkvot_ovre", ""), "value"].item() == 1.03
    assert figures.loc[(unit, "tratt_tau2", ""), "value"].item() == 0.02  # the funnel's spread, to draw its limits
    assert figures.loc[(unit, "standardkvot_utover_slump", ""), "value"].item() == 0.4
    assert units(load_figures(tmp_path)) == [unit]  # the nation is not a förbund
    (tmp_path / "coverage.parquet").unlink()
    with pytest.raises(ConfigError, match="no förbund figures"):
        load_figures(tmp_path)


def test_folder_names_are_unique_and_plain():
    assert slug("Samordningsförbund Östra Göinge 07") == "samordningsforbund-ostra-goinge-07"
    with pytest.raises(ConfigError, match="would share the report folder"):
        slugs(["Förbund A", "Forbund-A"])


# --------------------------------------------------------------------------- built through the pool
@pytest.fixture(scope="module")
def built(figures_dir, tmp_path_factory):
    """Every förbund for 2022 and the comparison page, on one warm kernel; then a rebuild."""
    reports = tmp_path_factory.mktemp("reports")
    params = {"disclosure": {"min_cell_count": 5}, "register": {"demo_seed": 2022}}

    def run(figures=figures_dir, chosen=None):
        jobs = forbund_build.plan_forbund_reports(pd.read_parquet(figures / FIGURES_FILE), figures, REPO / "notebooks", reports,
                                                  [2022], chosen, ["html"], True, 5)
        return jobs, forbund_build.render_reports(jobs, ["html"], REPO, params, pool_size=1)

    jobs, first = run()
    _, again = run()
    return reports, jobs, first, again, run


def test_every_report_is_built_and_says_synthetic(built):
    reports, jobs, first, _, _ = built
    assert len(first.built) == len(jobs) == 6  # five förbund and the comparison page
    pages = sorted(reports.rglob("*.html"))
    assert len(pages) == 6
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "Syntetiska data – inte verkliga uppgifter" in html, page
        assert "(syntetiska data)" in html  # in the subtitle too, above the first heading
        assert 'href="../../../index.html"' in html or 'href="../../index.html"' in html  # back to the index
    tiny = (reports / "forbund" / slug(TINY) / "2022" / "forbundsbilaga_2022.html").read_text(encoding="utf-8")
    assert "dolt av sekretesskäl (färre än 5" in norm(tiny)
    assert (reports / "jamforelse" / "2022" / "figurer" / "tratt_sjukpenning_2022.svg").is_file()
    folder = reports / "forbund" / slug(BIG) / "2022"
    nb = (folder / "forbundsbilaga_2022.ipynb").read_text(encoding="utf-8")
    assert "injected-parameters" in nb and "Samordningsförbund Stor" in nb  # papermill's executed copy is kept
    assert str(folder / "indata") in nb and ".tmp" not in nb  # names its input where it stays
    kept = pd.read_parquet(folder / "indata" / FIGURES_FILE)  # the report's own figures, beside it
    assert set(kept["unit"]) == {BIG, NATIONAL} and set(kept["year"]) == {2022}


def test_rebuild_reruns_only_what_changed(built, figures_dir, tmp_path):
    reports, jobs, _, again, run = built
    assert again.built == [] and len(again.skipped) == len(jobs)
    figures = pd.read_parquet(figures_dir / FIGURES_FILE)
    changed = figures.copy()
    mask = (changed["unit"] == BIG) & (changed["measure"] == "insatser") & (changed["target_group"] == "total")
    changed.loc[mask, "value"] = changed.loc[mask, "value"] + 1
    changed.to_parquet(tmp_path / FIGURES_FILE)
    _, third = run(tmp_path)
    rebuilt = sorted(Path(p).relative_to(reports).as_posix() for p in third.built)
    assert rebuilt == [f"forbund/{slug(BIG)}/2022", "jamforelse/2022"]


def test_only_one_forbund(built, figures_dir):
    reports, _, _, _, _ = built
    jobs = forbund_build.plan_forbund_reports(pd.read_parquet(figures_dir / FIGURES_FILE), figures_dir, REPO / "notebooks", reports,
                                              [2022], [TINY], ["html"], True, 5)
    assert [j.final.relative_to(reports).as_posix() for j in jobs] == [f"forbund/{slug(TINY)}/2022"]
    with pytest.raises(ConfigError, match="'Samordningsförbund 99' is not in the förbund figures"):
        forbund_build.plan_forbund_reports(pd.read_parquet(figures_dir / FIGURES_FILE), figures_dir, REPO / "notebooks", reports,
                                           [2022], ["Samordningsförbund 99"], ["html"], True, 5)


def test_build_forbund_option_narrows_the_plan():
    args = _parser().parse_args(["build", "--forbund", "Samordningsförbund 07, Samordningsförbund 12"])
    assert args.forbund == ["Samordningsförbund 07", "Samordningsförbund 12"]
    args = _parser().parse_args(["stage", "forbundsbilagor", "--forbund", "Samordningsförbund 07"])
    assert args.forbund == ["Samordningsförbund 07"]
    params = load_params(REPO / "params.yaml")
    params["forbundsbilagor"] = dict(params["forbundsbilagor"], build=True)
    all_jobs = engine.jobs(REPO, params)
    plan = engine.for_forbund(all_jobs, ["Samordningsförbund 07"])
    names = [j.name for j in plan]
    assert names[-1] == "forbundsbilagor"
    assert plan[-1].argv == ["run", "forbundsbilagor", "--forbund", "Samordningsförbund 07"]
    assert _parser().parse_args(plan[-1].argv).forbund == ["Samordningsförbund 07"]  # the command the build runs
    assert not any(n.startswith(("bilaga1", "modeller", "bilaga3", "bilaga4", "index")) for n in names)
    params["forbundsbilagor"]["build"] = False
    with pytest.raises(ConfigError, match="forbundsbilagor.build is false"):
        engine.for_forbund(engine.jobs(REPO, params), ["Samordningsförbund 07"])


def test_build_forbund_runs_the_narrowed_stage_whatever_the_record_says(monkeypatch):
    """`finsam build --forbund X` must start the förbund report stage (narrowed, it checks its own
    reports) even when DVC's record calls every stage up to date; a dry run says it would run."""
    params = load_params(REPO / "params.yaml")
    params["forbundsbilagor"] = dict(params["forbundsbilagor"], build=True)
    monkeypatch.setattr(engine, "sync", lambda root, params, check=False: [])
    monkeypatch.setattr(engine, "open_repo", lambda root: None)
    monkeypatch.setattr(engine, "changes", lambda repo, names: {n: [] for n in names})  # all up to date
    started: list[list[str]] = []
    monkeypatch.setattr(engine, "run_job", lambda job, root, logfile: started.append(job.argv) or 0.5)
    monkeypatch.setattr(engine, "record", lambda repo, name: pytest.fail(f"a narrowed stage was recorded ({name})"))
    lines: list[str] = []
    report = engine.build_pipeline(REPO, params, forbund=["Samordningsförbund 07"], echo=lines.append,
                                   log_path=Path(os.devnull))
    assert started == [["run", "forbundsbilagor", "--forbund", "Samordningsförbund 07"]]
    assert ("forbundsbilagor", "ran", 0.5) in report and all(s == "up to date" for n, s, _ in report if n != "forbundsbilagor")
    dry = engine.build_pipeline(REPO, params, forbund=["Samordningsförbund 07"], echo=lines.append, dry_run=True)
    assert ("forbundsbilagor", "would run", 0.0) in dry


# --------------------------------------------------------------------------- the index
def test_index_lets_a_reader_pick_forbund_and_year(built, figures_dir):
    reports, _, _, _, _ = built
    names = [BIG, EMPTY, TINY, MEDIUM, NORTH]
    index = write_index(reports, {"bilaga1": [2021, 2022], "modeller": [2022]}, ["html", "pdf"], {}, {},
                        slugs(names), [2022], True)
    html = index.read_text(encoding="utf-8")
    assert 'href="2022/bilaga1/bilaga1_2022.html"' in html and 'href="2021/bilaga1/bilaga1_2021.html"' in html
    assert "Förbundsbilagor (syntetiska data)" in html
    links = re.findall(r'href="((?:forbund|jamforelse)/[^"]+\.html)"', html)
    assert len(links) == len(names) + 1
    for link in links:  # every link reaches a built report
        assert (reports / link).is_file(), link
    for name in names:  # a list of förbund with jump links to their row, and a row header per förbund
        assert f'<th scope="row" role="rowheader">{name}</th>' in html
        assert f'<a href="#forbund-{slug(name)}">{name}</a>' in html
    assert "<script" not in html  # plain links: works offline and without scripts


def test_stage_builds_one_forbund_and_the_index_lists_every_forbund(figures_dir, tmp_path):
    """`finsam stage forbundsbilagor --forbund …` in a throwaway project: that förbund's reports only,
    then the index with its förbund section beside the national rows."""
    from pipeline import stages
    from pipeline.core.config import Project

    params = load_params(REPO / "params.yaml")
    params["register"]["years"] = [2022]
    params["forbundsbilagor"] = {"build": True, "names": [], "formats": ["html", "pdf"], "pool_size": 1}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    (tmp_path / "notebooks").symlink_to(REPO / "notebooks")
    figures = tmp_path / stages.FORBUND_FIGURES
    figures.mkdir(parents=True)
    (figures / FIGURES_FILE).write_bytes((figures_dir / FIGURES_FILE).read_bytes())
    project = Project(tmp_path)
    stages.stage_forbundsbilagor(project, forbund=[TINY])
    built = sorted(p.relative_to(project.reports).as_posix() for p in project.reports.rglob("*.html"))
    assert built == [f"forbund/{slug(TINY)}/2022/forbundsbilaga_2022.html"]
    pages = pdf_pages(project.reports / "forbund" / slug(TINY) / "2022" / "forbundsbilaga_2022.pdf")
    assert pages and all("Syntetiska data – inte verkliga uppgifter" in page for page in pages)  # every page
    with pytest.raises(ConfigError, match="'Samordningsförbund 99' is not in the förbund figures"):
        stages.stage_forbundsbilagor(project, forbund=["Samordningsförbund 99"])
    html = stages.stage_index(project).read_text(encoding="utf-8")
    assert 'href="2022/bilaga1/bilaga1_2022.html"' in html  # the national rows stay
    for name in (BIG, EMPTY, TINY):
        assert f'href="forbund/{slug(name)}/2022/forbundsbilaga_2022.html"' in html


# --------------------------------------------------------------------------- no second cache
def _keys(figures_dir: Path, root: Path, figures: pd.DataFrame | None = None) -> dict[str, str]:
    """Each report's checksum as the stage computes it: code from the engine's import closure of the
    stage in ``root`` (its own pipeline/ and notebooks/), data from the förbund figures."""
    from pipeline.stages import by_command

    code = [root / f for f in engine.code_deps(by_command("forbundsbilagor"), root)]
    figures = pd.read_parquet(figures_dir / FIGURES_FILE) if figures is None else figures
    jobs = forbund_build.plan_forbund_reports(figures, figures_dir, root / "notebooks", root / "reports", [2021, 2022], None, ["html"],
                                              True, 5, code_files=code, settings={"register": {"demo_seed": 2022}})
    return {j.final.relative_to(root / "reports").as_posix(): j.key for j in jobs}


@pytest.fixture
def package_copy(tmp_path) -> Path:
    import shutil

    shutil.copytree(REPO / "pipeline", tmp_path / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks")
    return tmp_path


@pytest.mark.parametrize("module", ["core/vocabulary.py", "reports/contract.py", "derive/forbund.py",
                                    "reports/templates/report.css"])
def test_a_change_in_any_code_a_report_imports_rerenders_every_report(figures_dir, package_copy, module):
    before = _keys(figures_dir, package_copy)
    assert len(before) == 12  # five förbund and the comparison page, two years
    with open(package_copy / "pipeline" / module, "a", encoding="utf-8") as f:
        f.write("\n/* a heading changed */\n" if module.endswith(".css") else "\n# a heading changed\n")
    after = _keys(figures_dir, package_copy)
    assert set(after) == set(before) and all(after[k] != before[k] for k in before)


def test_one_forbunds_data_change_rerenders_only_its_reports_and_the_comparison_pages(figures_dir, package_copy):
    before = _keys(figures_dir, package_copy)
    figures = pd.read_parquet(figures_dir / FIGURES_FILE)
    mask = (figures["unit"] == BIG) & (figures["measure"] == "insatser") & (figures["year"] == 2022)
    figures.loc[mask, "value"] = figures.loc[mask, "value"] + 1
    after = _keys(figures_dir, package_copy, figures)
    changed = sorted(k for k in before if after[k] != before[k])
    assert changed == [f"forbund/{slug(BIG)}/2022", "jamforelse/2022"]


def test_build_force_reaches_the_report_stages_own_cache(monkeypatch):
    """`finsam build --force` runs the förbund report stage with --force, which rebuilds every report."""
    params = load_params(REPO / "params.yaml")
    params["forbundsbilagor"] = dict(params["forbundsbilagor"], build=True)
    monkeypatch.setattr(engine, "sync", lambda root, params, check=False: [])
    monkeypatch.setattr(engine, "open_repo", lambda root: None)
    monkeypatch.setattr(engine, "record", lambda repo, name: None)
    started: list[list[str]] = []
    monkeypatch.setattr(engine, "run_job", lambda job, root, logfile: started.append(job.argv) or 0.1)
    engine.build_pipeline(REPO, params, force=True, only=["forbundsbilagor", "index"], echo=lambda _: None,
                          log_path=Path(os.devnull))
    assert started == [["run", "forbundsbilagor", "--force"], ["run", "index"]]
    assert _parser().parse_args(started[0]).force is True  # the command the build runs takes it


def test_force_rebuilds_reports_that_are_current(built, figures_dir):
    reports, jobs, _, again, run = built
    assert again.built == []  # current: skipped
    forced = forbund_build.render_reports(jobs, ["html"], REPO, {"disclosure": {"min_cell_count": 5}}, pool_size=1, force=True)
    assert sorted(forced.built) == sorted(str(j.final) for j in jobs) and forced.skipped == []


def test_the_national_column_is_marked_as_counted_from_the_registers(figures_dir):
    """Issue 21: the förbund pages' national figures are microdata counts, not Bilaga 1's published
    ones; every table with a national column says so, and the participants' table says why its
    totals can differ from Bilaga 1's."""
    r = report(figures_dir, BIG)
    for part in (r.participants_markdown(), r.insatser_markdown(), r.diagnosis_markdown(), r.coverage_markdown()):
        text = norm(part)
        assert "(ur registren)" in text and "inte hämtade ur de publicerade tabellerna" in text
    assert "där Bilaga 1:s total inte är summan av kvinnor och män" in norm(r.participants_markdown())


# --------------------------------------------------------------------------- what a reader meets (issue 22)
def test_forbund_pages_pass_the_glossary_check_and_link_their_comparison(built):
    """Every förbund page and the comparison page: no English term outside its parentheses, no
    variant the glossary rules out, no code name or placeholder; an Ordlista; a förbund page links
    to the comparison page of its year."""
    from ..conftest import glossary_problems

    reports, _, _, _, _ = built
    pages = sorted(p for top in ("forbund", "jamforelse") for p in (reports / top).rglob("*.html"))
    assert len(pages) == 6
    problems = [p for page in pages for p in glossary_problems(page.parent, page.stem)]
    assert problems == []
    big = (reports / "forbund" / slug(BIG) / "2022" / "forbundsbilaga_2022.html").read_text(encoding="utf-8")
    assert 'href="../../../jamforelse/2022/jamforelse_2022.html"' in big
    assert "Ordlista" in big and "trattdiagram (funnel plot)" in (
        reports / "jamforelse" / "2022" / "jamforelse_2022.html").read_text(encoding="utf-8")


@pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")
def test_forbund_and_comparison_pages_work_on_a_phone(built):
    reports, _, _, _, _ = built
    for page in (reports / "forbund" / slug(BIG) / "2022" / "forbundsbilaga_2022.html",
                 reports / "jamforelse" / "2022" / "jamforelse_2022.html"):
        result = browser.inspect(page, width=390)
        assert result.get("violations") == [], (page.name, result.get("violations"), result.get("error"))
        assert result["scroll_width"] <= 390 and result["too_wide"] == [], (page.name, result["too_wide"])
        assert result["small_targets"] == [], (page.name, result["small_targets"])
