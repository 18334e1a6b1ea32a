"""The rendered Bilaga 3 (2016): response rates, every question, tests, synthetic marking, no personal data."""

import re

import pytest

from pipeline.sources.enkat import load_survey
from pipeline.demo.enkat_demo import PLANTED
from pipeline.core.fmt import SYNTHETIC
from pipeline.core.privacy import scan

from ..conftest import NB, REPO, pdf_pages
from ..conftest import norm as _norm

pytestmark = pytest.mark.slow
SURVEY = load_survey(REPO / "data" / "raw" / "enkat" / "2016")


@pytest.fixture(scope="module")
def html_text(built_bilaga3):
    return (built_bilaga3 / "bilaga3_2016.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf_text(built_bilaga3):
    return pdf_pages(built_bilaga3 / "bilaga3_2016.pdf")


def test_html_has_rates_every_question_and_tests(html_text):
    flat = _norm(html_text)
    assert "Svarsfrekvens per grupp, 2016" in flat and "159" in flat and f"68{NB}%" in html_text
    for q in SURVEY.questions:
        if q.kind not in ("id", "role"):
            assert q.title in flat or q.title.lower() in flat, q.id
    assert "med ordinal logistisk regression" in flat and "med Fishers exakta test" in flat
    assert "Avstämning mot publicerade uppgifter" in flat and "Publicerat n" in flat
    assert "bild 30 och 31 anges n = 152, vilket stämmer" in flat and "vilket avviker (\u22121)" in flat
    assert '<div class="banner">' in html_text and SYNTHETIC in flat


def test_every_chart_has_alt_text(html_text):
    images = re.findall(r"<img [^>]*>", html_text)
    n_charts = len(SURVEY.of_kind("scale", "multi"))
    assert len(images) == n_charts
    for tag in images:
        alt = re.search(r'alt="([^"]+)"', tag).group(1)
        assert alt.startswith(("Divergerande stapeldiagram", "Liggande stapeldiagram"))


def test_every_pdf_page_says_synthetic_and_has_a_page_number(pdf_text):
    assert len(pdf_text) >= 5
    for i, page in enumerate(pdf_text, start=1):
        assert SYNTHETIC in page and f"{i} / {len(pdf_text)}" in page


def test_no_planted_personal_data_in_any_output(published_project, built_bilaga3):
    outputs = [published_project.processed / "enkat" / "2016", built_bilaga3]
    for folder in outputs:
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in {".csv", ".html", ".md", ".ipynb"}:
                text = path.read_text(encoding="utf-8")
                assert not any(p in text for p in PLANTED), path
    assert scan(outputs, kinds=("personnummer", "e-post", "telefon")) == []
    assert "[personnummer borttaget]" in (built_bilaga3 / "bilaga3_2016.html").read_text(encoding="utf-8")
