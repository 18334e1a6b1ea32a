"""What a reader meets in the built reports (issue 22): one glossary, Swedish as an editor would sign
it, pages that work on a phone.

The glossary check (pipeline/reports/glossary.py over templates/ordlista.yaml) runs over the
reader-facing text of every built format (HTML with alt texts and page title, PDF text, Word text
with picture descriptions and header) of Bilaga 1, 3 and 4, the Modellbilaga and the index; the
förbund pages are checked in tests/reports/test_forbund_reports.py on its own build. The phone check opens
one report of each family and the index in Debian's headless Chromium at 390 px and runs axe-core's
WCAG 2.2 A/AA rules (tests/browser.py); it is skipped, with the reason, where Chromium or axe-core
is missing.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from pipeline.reports.glossary import SECTION_TITLE, load_glossary

from .. import browser
from ..conftest import glossary_problems, html_reader_text, report_texts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_index(published_project, built_2022, built_bilaga3, built_bilaga4) -> Path:
    from pipeline.stages import stage_index

    return stage_index(published_project)


@pytest.fixture(scope="module")
def national(built_2022, built_bilaga3, built_bilaga4, built_modeller, built_index):
    """(folder, stem) of one built report of every national family, and the index."""
    return [(built_2022, "bilaga1_2022"), (built_bilaga3, "bilaga3_2016"), (built_bilaga4, "bilaga4_2016"),
            (built_modeller, "modeller_2022"), (built_index.parent, "index")]


# ----------------------------------------------------------------------------- the glossary
def test_glossary_entries_are_swedish_with_english_once_in_parentheses():
    glossary = load_glossary()
    assert len(glossary.entries) >= 25
    terms = {e.term for e in glossary.entries}
    for entry in glossary.entries:
        assert entry.definition and entry.definition[0].isupper() and entry.definition.endswith("."), entry.term
        assert entry.term not in glossary.english_terms, entry.term
        assert not set(entry.avoid) & terms, entry.term  # a variant to avoid is no entry's term
        if entry.english:
            assert entry.heading == f"{entry.term} ({entry.english})"
            assert glossary.problems(entry.heading) == []  # the one allowed place of the English term
    researched = {e.english for e in glossary.entries}
    assert {"odds ratio", "propensity score", "confidence interval", "forest plot", "funnel plot"} <= researched


def test_the_check_strikes_what_a_swedish_editor_would():
    problems = load_glossary().problems(
        "Viktad med propensity score (ATT), robusta standardfel (HC1); ett “citat”; Forest plot; Kvinna Total; "
        "det väntade antalet; deltagare_x; {year}; benägenhetspoäng (propensity score) och oddskvot (odds ratio).")
    kinds = sorted({(k, w) for k, w in problems})
    assert kinds == sorted({("engelsk term", "propensity score"), ("engelsk term", "ATT"), ("engelsk term", "HC1"),
                            ("engelsk term", "Forest plot"), ("engelsk term", "Total"),
                            ("ej ordlistans form", "Kvinna"), ("ej ordlistans form", "Total"),
                            ("ej ordlistans form", "väntade antalet"), ("engelskt citattecken", "“"),
                            ("kodnamn", "deltagare_x"), ("platshållare", "{year}")})
    assert load_glossary().problems("Andelen var 54 % (+3,5 p.e.); ”citat”; oddskvot (odds ratio); Kvinnor, Män, Totalt.") == []


def test_every_national_report_and_the_index_pass_the_glossary_check(national):
    problems = [p for folder, stem in national for p in glossary_problems(folder, stem)]
    assert problems == []
    formats = {stem: sorted(report_texts(folder, stem)) for folder, stem in national}
    assert formats["bilaga1_2022"] == formats["modeller_2022"] == ["docx", "html", "pdf"]  # every format was read


def test_every_report_carries_the_ordlista_of_the_terms_it_uses(national):
    for folder, stem in national[:-1]:
        texts = report_texts(folder, stem)
        for fmt, text in texts.items():
            assert f"{SECTION_TITLE} " in text, (stem, fmt)
    modeller = html_reader_text((national[3][0] / "modeller_2022.html").read_text(encoding="utf-8"))
    for heading in ("oddskvot (odds ratio)", "benägenhetspoäng (propensity score)", "skogsdiagram (forest plot)",
                    "konfidensintervall (confidence interval)", "referensbefolkning (reference population)"):
        assert heading in modeller
    bilaga1 = html_reader_text((national[0][0] / "bilaga1_2022.html").read_text(encoding="utf-8"))
    assert "oddskvot" not in bilaga1  # only the entries a report uses


# ----------------------------------------------------------------------------- Swedish as an editor signs it
def test_bilaga1_sentences_read_as_plain_swedish(built_2022):
    text = html_reader_text((built_2022 / "bilaga1_2022.html").read_text(encoding="utf-8"))
    assert "Under 2022 började 808 personer med aktivitetsersättning en insats (417 kvinnor och 391 män)." in text
    assert "Av dem som hade" not in text and "Av deltagarna som tog del av" not in text
    assert "Bland deltagarna 2022 hade 79 % av dem med sjukpenning" in text
    # the share follows the count it is a share of, and the note on the source comes last
    assert ("Jämfört med 2021 är det en ökning med 96 personer (+6,5 %). Deltagarna var 4,3 % av de 36 552 "
            "personer som hade aktivitetsersättning under 2022. Förändringen är räknad på källans total") in text


def test_open_answers_made_only_of_removal_marks_are_left_out_with_a_count():
    from pipeline.reports.bilaga3 import Bilaga3, redaction_only

    texts = pd.DataFrame({"question": "q", "text": ["[namn borttaget]", "[namn borttaget] [telefonnummer borttaget].",
                                                    "Bra möten med [namn borttaget].", "Mer tid."]})
    section = Bilaga3.text_section(SimpleNamespace(data=SimpleNamespace(texts=texts)), SimpleNamespace(id="q"))
    assert "Ett öppet svar skrevs av 4 svarande." in section and "Av svaren bestod 2 bara av sådana uppgifter" in section
    assert "- Bra möten med [namn borttaget]." in section and "- Mer tid." in section
    assert "- [namn borttaget]" not in section
    assert redaction_only("(personuppgift, visas inte)") and not redaction_only("Ring [namn borttaget]")


# ----------------------------------------------------------------------------- phones and laptops
@pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")
def test_reports_and_index_work_on_a_phone_and_pass_axe_wcag22(national):
    """At 390 px: no sideways scrolling (a wide table scrolls in its own named region), no
    stand-alone link smaller than 24 × 24 px, and axe-core's WCAG 2.0–2.2 A/AA rules clean."""
    seen = {}
    for folder, stem in national:
        result = browser.inspect(folder / f"{stem}.html", width=390)
        seen[stem] = result
        assert result["viewport"] == 390, stem
        assert result.get("violations") == [], (stem, result.get("violations"), result.get("error"))
        assert result["scroll_width"] <= 390 and result["too_wide"] == [], (stem, result["too_wide"])
        assert result["small_targets"] == [], (stem, result["small_targets"])
    assert all(r["axe_version"].startswith("4.") for r in seen.values())


@pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")
def test_the_browser_check_sees_sideways_scrolling_and_small_targets(tmp_path):
    """Negative control: a page that is too wide and has tiny links fails the same measurements."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Prov</title></head><body>'
                    '<main><h1>Prov</h1><div style="width:900px">bred</div><ul><li><a href="#a" '
                    'style="font-size:6px">a</a></li><li><a href="#b" style="font-size:6px">b</a></li></ul>'
                    '</main></body></html>', encoding="utf-8")
    result = browser.inspect(page, width=390)
    assert result["scroll_width"] > 390 and result["too_wide"]
    assert result["small_targets"] and "target-size" in {v["id"] for v in result["violations"]}
