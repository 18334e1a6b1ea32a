"""The rendered Bilaga 4: HTML and PDF carry the calculation, sensitivity, source tables and checks."""

import re

import pytest

from pipeline.derive.malgrupp import TABLE_TITLES

from ..conftest import NB, pdf_pages
from ..conftest import norm as _norm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def html_text(built_bilaga4):
    return (built_bilaga4 / "bilaga4_2016.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf_text(built_bilaga4):
    return pdf_pages(built_bilaga4 / "bilaga4_2016.pdf")


def test_html_has_calculation_sensitivity_and_sources(html_text):
    flat = _norm(html_text)
    for title in TABLE_TITLES.values():
        assert _norm(title) in flat
    for text in ("Bilaga 4 Beräkning av målgruppens storlek", "Känslighetsanalys", "Avstämning mot publicerade uppgifter",
                 "483 300", "6,6 %", "342 200", "623 500", "365 000", "730 000", "(r)",
                 "Ekonomiskt bistånd (100%)", "anger sammanställningens etikett 100 %, men texten och antalet bygger på 80 %"):
        assert text in flat, text
    assert f"483{NB}300" in html_text  # Swedish thousands separator


def test_html_tornado_has_generated_alt_text(html_text):
    images = re.findall(r"<img [^>]*>", html_text)
    assert len(images) == 1
    alt = re.search(r'alt="([^"]+)"', images[0]).group(1)
    assert alt.startswith("Tornadodiagram") and "Arbetslösa (15–35" in alt and "446" in alt


def test_pdf_has_numbers_and_page_numbers(pdf_text):
    text = " ".join(pdf_text)
    for number in ("483 300", "6,6 %", "Känslighetsanalys", "Källtabeller", "Källor", "307 348"):
        assert number in text, number
    assert all(f"{i} / {len(pdf_text)}" in page for i, page in enumerate(pdf_text, start=1))


def test_data_files_next_to_the_report(built_bilaga4):
    import pandas as pd

    calc = pd.read_csv(built_bilaga4 / "bilaga4_2016_berakning.csv")
    assert calc.loc[calc["group"] == "totalt", "estimate"].item() == 483300
    checks = pd.read_csv(built_bilaga4 / "bilaga4_2016_avstamning.csv")
    assert len(checks) > 100 and set(checks["status"]) == {"stämmer", "avviker", "kan inte räknas om",
                                                        "annan källa/tidpunkt"}
    assert (built_bilaga4 / "figurer" / "kanslighet_2016.png").is_file()


def test_index_lists_bilaga4(published_project, built_bilaga4):
    from pipeline.stages import stage_index

    index = stage_index(published_project).read_text(encoding="utf-8")
    assert 'href="2016/bilaga4/bilaga4_2016.html"' in index and 'href="2016/bilaga4/bilaga4_2016.pdf"' in index
    assert 'href="2022/bilaga1/bilaga1_2022.html"' in index
    assert "2022/bilaga4" not in index
