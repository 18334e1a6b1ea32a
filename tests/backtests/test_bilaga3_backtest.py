"""Backtest: every published figure of the 2016 enkät is reproduced from the demo export,
and every question of the published appendix is in the questionnaire with its printed n.

Ground truth, transcribed by hand from the seed text (../shared/seeds/000_…):

* ``ground_truth/000_bilaga3_uppgifter.csv``: for each figure the document states, the seed
  line, a verbatim fragment of it, and the value as printed. The values are computed here from
  the cleaned demo export.
* ``ground_truth/000_bilaga3_bilder.csv``: every slide of Bilaga 3 in reading order, with its
  label ("Bild N"; the title slide, the section divider and the second "Tid som …" chart have
  none), the seed line and a verbatim fragment of its title, what it shows, the questionnaire's
  question(s) it shows, and the n it prints (with the fragment it is read from; an n the OCR
  text garbles has the fragment but no value).
"""

from __future__ import annotations

import csv
import re

import pytest

from pipeline.sources.enkat import ALL, choice_counts, clean, load_survey, response_rates, scale_distribution
from pipeline.core.fmt import round_half_up

from ..conftest import GROUND_TRUTH, REPO, SHARED_SEEDS

TRUTH = list(csv.DictReader((GROUND_TRUTH / "000_bilaga3_uppgifter.csv").open(encoding="utf-8")))
SLIDES = list(csv.DictReader((GROUND_TRUTH / "000_bilaga3_bilder.csv").open(encoding="utf-8")))
SEED = SHARED_SEEDS / "000_c59416c08b1b6909.txt"


@pytest.fixture(scope="module")
def survey():
    return load_survey(REPO / "data" / "raw" / "enkat" / "2016")


@pytest.fixture(scope="module")
def data(survey):
    return clean(survey)


def _share(survey, data, question: str, labels: list[str], group: str = ALL) -> float:
    dist = scale_distribution(survey, data, question)
    return float(dist[(dist["group"] == group) & dist["label"].isin(labels)]["pct"].sum())


@pytest.mark.parametrize("row", TRUTH, ids=[r["id"] for r in TRUTH])
def test_published_figure_is_reproduced(row, survey, data):
    check, q, labels = row["check"], row["question"], [x for x in row["labels"].split("|") if x]
    if check == "answered|invited|rate":
        rates = response_rates(survey, data).set_index("group").loc[row["group"]]
        answered, invited, rate = (int(x) for x in row["expected"].split("|"))
        assert (rates["answered"], rates["invited"], int(round_half_up(rates["rate_pct"]))) == (answered, invited, rate)
    elif check == "share":
        assert int(round_half_up(_share(survey, data, q, labels))) == int(row["expected"])
    elif check == "share_drygt":  # "drygt 80 procent": a little over 80
        assert int(row["expected"]) < _share(survey, data, q, labels) < int(row["expected"]) + 5
    elif check == "share_tenths":  # "åtta av tio"
        assert int(round_half_up(_share(survey, data, q, labels) / 10)) == int(row["expected"])
    elif check == "answered_n":  # respondents answering a scale question, Vet ej included
        dist = scale_distribution(survey, data, q)
        assert int(dist.loc[dist["group"] == ALL, "n"].iloc[0]) == int(row["expected"])
    elif check == "text_n_over":  # "Över 100 förslag inkom"
        assert (data.texts["question"] == q).sum() > int(row["expected"])
    elif check == "greater":
        first, second = row["group"].split(">")
        assert _share(survey, data, q, labels, first) > _share(survey, data, q, labels, second)
    elif check in ("choice_n", "choice_count", "rank"):
        counts = choice_counts(survey, data, q)
        everyone = counts[counts["group"] == ALL]
        if check == "choice_n":
            assert int(everyone["n"].iloc[0]) == int(row["expected"])
        elif check == "choice_count":
            assert int(everyone.loc[everyone["option"] == labels[0], "count"].iloc[0]) == int(row["expected"])
        else:
            assert list(everyone["option"])[: len(labels)] == labels
    else:  # pragma: no cover - a typo in the ground truth file
        pytest.fail(f"unknown check {check!r}")


def test_quotes_are_verbatim_in_the_seed():
    if not SEED.is_file():
        pytest.skip("../shared/seeds is not beside this checkout")
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for row in TRUTH:
        assert row["quote"] in lines[int(row["seed_line"]) - 1], row["id"]


def _seed_lines() -> list[str]:
    if not SEED.is_file():
        pytest.skip("../shared/seeds is not beside this checkout")
    return SEED.read_text(encoding="utf-8").splitlines()


def test_every_slide_label_of_the_appendix_is_transcribed_once():
    lines = _seed_lines()
    start = next(i for i, line in enumerate(lines) if "Bilaga 3: Enkat resultat" in line)
    end = next(i for i, line in enumerate(lines) if i > start and "Bilaga 4: Berakning" in line)
    labels = [m.group(1) for line in lines[start:end] if (m := re.fullmatch(r"\s*Bild\s*(\d+|l)\s*", line))]
    in_seed = [1 if label == "l" else int(label) for label in labels]  # OCR reads "Bild 1" as "Bildl"
    listed = [int(s["bild"]) for s in SLIDES if s["bild"]]
    assert in_seed == list(range(1, 38)) and sorted(listed) == in_seed
    for s in SLIDES:
        assert start < int(s["seed_line"]) <= end, s


def test_slide_fragments_are_verbatim_in_the_seed():
    lines = _seed_lines()
    for s in SLIDES:
        assert s["quote"] in lines[int(s["seed_line"]) - 1], s
        if s["n_quote"]:
            assert s["n_quote"] in lines[int(s["n_seed_line"]) - 1], s
        if s["n"]:
            assert s["n"] in s["n_quote"], s


def test_every_question_of_the_appendix_is_in_the_questionnaire(survey):
    shown = {q for s in SLIDES for q in s["questions"].split("|") if q}
    asked = {q.id for q in survey.questions if q.kind != "id"}
    assert shown - asked == set(), "questions of the published appendix missing from fragor.yaml"
    assert asked - shown == set(), "questions in fragor.yaml that the appendix does not show"
    kinds = {s["slide"] for s in SLIDES if s["questions"]}
    assert kinds == {"fråga", "öppna svar", "jämförelse"}
    for s in SLIDES:  # open answers are free-text questions; charts are not
        for qid in filter(None, s["questions"].split("|")):
            if s["slide"] == "öppna svar":
                assert survey.question(qid).kind == "text", qid
            elif s["slide"] == "fråga":
                assert survey.question(qid).kind != "text", qid


@pytest.mark.parametrize("qid", sorted({q for s in SLIDES for q in s["questions"].split("|") if q}))
def test_questionnaire_has_the_slides_and_the_printed_n(survey, qid):
    rows = [s for s in SLIDES if qid in s["questions"].split("|")]
    q = survey.question(qid)
    assert q.bild == tuple(sorted(int(s["bild"]) for s in rows if s["bild"]))
    printed = {int(s["n"]) for s in rows if s["n"]}
    garbled = [s["n_quote"] for s in rows if s["n_quote"] and not s["n"]]
    if printed:
        assert len(printed) == 1 and q.published_n == printed.pop()
    elif garbled:
        assert q.published_n is None and q.published_n_ocr is not None
        assert any(q.published_n_ocr in g for g in garbled)
    else:
        assert q.published_n is None and q.published_n_ocr is None
