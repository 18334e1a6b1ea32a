"""Bilaga 3's generated text, without rendering: shares in sentences against the table's cells,
and the published n of every question beside the computed n (the reconciliation)."""

from __future__ import annotations

import re

import pytest

from pipeline.reports import bilaga3 as bilaga3_module
from pipeline.reports.bilaga3 import Bilaga3
from pipeline.sources.enkat import ALL, clean, load_survey

from ..conftest import REPO

NB = "\u00a0"
SURVEY_DIR = REPO / "data" / "raw" / "enkat" / "2016"
EXPLAINED = "räknade före avrundning"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    survey = load_survey(SURVEY_DIR)
    return Bilaga3(survey, clean(survey), tmp_path_factory.mktemp("bilaga3"), synthetic=survey.synthetic)


@pytest.fixture(scope="module")
def sections(report):
    """Every question's Markdown, charts not drawn (the text is what is checked here)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(bilaga3_module.charts, "likert", lambda *a, **k: None)
    mp.setattr(bilaga3_module.charts, "sorted_bars", lambda *a, **k: None)
    try:
        qs = [q for q in report.survey.questions if q.kind not in ("id", "role")]
        yield dict(zip([q.id for q in qs], report.question_sections()))
    finally:
        mp.undo()


def _table(section: str) -> dict[str, dict[str, int]]:
    """Group → {label (lower case): rounded share} from the section's pipe table."""
    rows = [r for r in section.splitlines() if r.startswith("| ")]
    header = [c.strip().lower() for c in rows[0].strip("|").split("|")]
    out = {}
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        out[cells[0]] = {h: int(c.split(NB)[0]) for h, c in zip(header[1:], cells[1:]) if c.endswith(f"{NB}%")}
    return out


def _statements(section: str, groups: list[str]) -> list[tuple[str, int, list[str]]]:
    """(group, share, labels) for every "54 % ganska väl eller mycket väl" in the lead and the alt text."""
    lead = re.search(r"som besvarade frågan svarade (.*?)\.\n", section).group(1)
    alt = re.search(r'fig-alt="[^"]*?\. (' + re.escape(ALL) + r': .*?)\. ', section).group(1)
    parts = [(ALL, lead)] + [tuple(p.split(": ", 1)) for p in alt.split("; ")]
    assert [g for g, _ in parts] == [ALL, ALL] + groups, parts  # the lead, then the alt text
    out = []
    for group, text in parts:
        for item in re.split(r", | och (?=\d)", text):  # "54 % … , 40 % … och 6 % vet ej"
            share, words = item.split(f"{NB}% ")
            out.append((group, int(share), words.split(" eller ")))
    return out


def test_every_share_in_a_sentence_is_the_tables_cells_or_the_rounding_is_explained(report, sections):
    checked = combined = 0
    for q in report.survey.of_kind("scale"):
        section = sections[q.id]
        table = _table(section)
        explained = EXPLAINED in section
        mismatches = 0
        for group, share, labels in _statements(section, list(report.survey.groups)):
            cells = sum(table[group][label] for label in labels)
            checked += 1
            if len(labels) == 1:
                assert share == cells, (q.id, group, labels)  # one cell: nothing to explain
                continue
            combined += 1
            if share != cells:
                mismatches += 1
                assert explained, (q.id, group, labels, share, cells)
                assert abs(share - cells) <= 1, (q.id, group, share, cells)  # what the note promises
        # the note is there only where a sentence needs it
        assert explained == (mismatches > 0), q.id
    scales = [report.survey.scales[q.scale] for q in report.survey.of_kind("scale")]
    # four statements (lead, alt text for three groups) of three shares each; two are combined on 4-step scales
    assert checked == 4 * 3 * len(scales) and combined == 4 * 2 * sum(len(s.labels) == 4 for s in scales) >= 64


def test_rounding_check_sees_a_rounded_sum_that_differs():
    import pandas as pd

    dist = pd.DataFrame({"group": ["A"] * 3, "label": ["x", "y", "z"], "pct": [24.4, 24.4, 51.2]})
    assert Bilaga3.rounding_differs(dist, ["A"], [("x", "y")])  # 48,8 → 49, but 24 + 24 = 48
    exact = dist.assign(pct=[20.0, 30.0, 50.0])
    assert not Bilaga3.rounding_differs(exact, ["A"], [("x", "y"), ("y", "z")])


def _verdicts(report) -> dict[str, tuple[str, str, str, str]]:
    rows = [r for r in report.reconciliation_markdown().splitlines() if r.startswith("| ")]
    assert "| Beräknat n (syntetiska data) |" in rows.pop(0)
    out = {}
    for row in rows:
        title, bild, published, computed, verdict = (c.strip() for c in row.strip("|").split("|"))
        out[title] = (bild, published, computed, verdict)
    return out


def test_every_question_of_the_appendix_has_its_published_n_beside_the_computed_n(report):
    verdicts = _verdicts(report)
    shown = [q for q in report.survey.questions if q.bild]
    assert len(verdicts) == len(shown) == len(report.survey.questions) - 1  # all but the respondent id
    by_id = {q.id: verdicts[q.title if q.kind != "text" else f"Öppna svar: {q.title.lower()}"] for q in shown}
    assert by_id["atgarder"] == ("24", "154", "154", "stämmer")
    assert by_id["gradering"] == ("30 och 31", "152", "152", "stämmer")
    assert by_id["roll"] == ("32", "159", "159", "stämmer")
    assert by_id["uppdragsgivare"] == ("5", "90", "89", "avviker (\u22121)")
    assert by_id["forankring_lokal"] == ("6 och 33", "oläsligt", "159", "kan inte stämmas av")
    assert by_id["kannetecken"][1:] == ("oläsligt", "150", "kan inte stämmas av")
    assert by_id["strategiska_fragor"] == ("28", "\u2013", "103", "\u2013")
    for q in shown:  # the computed n is the questionnaire's, not a copy of the published one
        assert by_id[q.id][2] == f"{report.computed_n(q):,}".replace(",", NB)


def test_each_question_says_its_published_n_in_its_own_section(report, sections):
    assert ("Antal som besvarat frågan (syntetiska data): 154. I förstudiens bilaga 3, bild 24 anges n = 154, "
            "vilket stämmer.") in sections["atgarder"]
    assert ("bild 5 anges n = 90, vilket avviker (\u22121). Enligt bild 32 svarade 89 "
            "styrelseledamöter") in sections["uppdragsgivare"]
    assert "bild 26 går inte att läsa i källtexten och kan inte stämmas av." in sections["kannetecken"]
    assert "I förstudiens bilaga 3, bild 27, anges inget n." in sections["kannetecken_kommentar"]
    for qid, section in sections.items():
        assert "Antal som besvarat frågan (syntetiska data): " in section, qid


def test_a_survey_without_a_published_report_has_nothing_to_reconcile(report):
    from dataclasses import replace

    bare = replace(report.survey, questions=tuple(replace(q, bild=(), published_n=None, published_n_ocr=None)
                                                  for q in report.survey.questions))
    plain = Bilaga3(bare, report.data, report.out_dir, synthetic=True)
    assert plain.reconciliation_markdown().startswith("Frågeformuläret anger inte var enkätens resultat")
    assert plain.n_sentence(bare.question("atgarder")) == "*Antal som besvarat frågan (syntetiska data): 154.*\n"


def test_a_published_n_that_differs_is_reported_as_such(report):
    from dataclasses import replace

    q = replace(report.survey.question("atgarder"), published_n=150)
    assert report.n_check(q) == ("150", "avviker (+4)")
