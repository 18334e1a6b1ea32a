"""The rendered Bilaga 1 (2022): HTML and PDF exist and carry the tables' titles and numbers."""

import re
import shutil

import pytest

from pipeline.sources.published import TABLE_TITLES

from ..conftest import NB, pdf_pages
from ..conftest import norm as _norm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def html_text(built_2022):
    return (built_2022 / "bilaga1_2022.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf_text(built_2022):
    return pdf_pages(built_2022 / "bilaga1_2022.pdf")


def test_html_has_titles_numbers_and_swedish_format(html_text):
    assert '<html xmlns="http://www.w3.org/1999/xhtml" lang="sv"' in html_text or 'lang="sv"' in html_text
    flat = _norm(html_text)
    for title in TABLE_TITLES.values():
        assert title in flat
    for number in (f"1{NB}581", f"4{NB}478", f"617{NB}582", f"54{NB}%", "Avstämning mot publicerade uppgifter"):
        assert number in html_text


def test_html_is_self_contained_with_alt_text(html_text):
    images = re.findall(r"<img [^>]*>", html_text)
    assert len(images) == 6
    for tag in images:
        assert 'src="data:image/png;base64,' in tag
        alt = re.search(r'alt="([^"]+)"', tag).group(1)
        assert alt.startswith(("Stapeldiagram", "Linjediagram")) and "2022" in alt


def test_pdf_has_titles_numbers_and_page_numbers(pdf_text):
    text = " ".join(pdf_text)
    for title in TABLE_TITLES.values():
        assert _norm(title) in text
    for number in ("1 581", "4 478", "3 109", "36 552", "54 %", "Avstämning mot publicerade uppgifter", "Källor"):
        assert number in text
    pages = len(pdf_text)
    assert pages >= 3
    assert all(f"{i} / {pages}" in page for i, page in enumerate(pdf_text, start=1))


def test_executed_notebook_and_figures_are_kept(built_2022):
    assert (built_2022 / "bilaga1_2022.ipynb").is_file()
    assert sorted(p.name for p in (built_2022 / "figurer").glob("*.png")) == [
        f"tabell{i}_2022.png" for i in range(1, 7)]


@pytest.mark.skipif(shutil.which("quarto") is None,
                    reason="Quarto CLI is not on PATH (not installable on the build machines); "
                           "the fallback renderer is tested above")
def test_quarto_path_renders_html_and_pdf(published_project, tmp_path):
    from pipeline.stages import stage_bilaga1

    out = stage_bilaga1(published_project, 2022, ["html", "pdf"], out_root=tmp_path, use_quarto=True)
    html = (out / "bilaga1_2022.html").read_text(encoding="utf-8")
    assert _norm(TABLE_TITLES[1]) in _norm(html)
    assert (out / "bilaga1_2022.pdf").stat().st_size > 10_000


def test_rebuild_gives_identical_bytes(published_project, built_2022, tmp_path, monkeypatch):
    """Same inputs and the same build date, same outputs: a second build of 2022 matches the first
    file by file. The build date is a day (the colophon's "Byggd"); the rebuild is pinned to the
    first build's day with $SOURCE_DATE_EPOCH, so the test holds across midnight too."""
    import datetime as dt

    from pipeline.stages import stage_bilaga1

    html = (built_2022 / "bilaga1_2022.html").read_text(encoding="utf-8")
    day = dt.date.fromisoformat(re.search(r"Byggd:</strong> (\d{4}-\d{2}-\d{2})", html).group(1))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(day.year, day.month, day.day,
                                                                tzinfo=dt.timezone.utc).timestamp())))
    again = stage_bilaga1(published_project, 2022, ["html", "pdf", "docx"], out_root=tmp_path, use_quarto=False)
    for name in ("bilaga1_2022.html", "bilaga1_2022.pdf", "bilaga1_2022.docx", "bilaga1_2022.ipynb",
                 "bilaga1_2022_tabeller.csv", "figurer/tabell5_2022.png"):
        assert (again / name).read_bytes() == (built_2022 / name).read_bytes(), name


def test_reconciliation_differences_are_in_percentage_points(published_project):
    from pipeline.reports.bilaga1 import Bilaga1

    text = Bilaga1.from_parameters(2022, {"published": published_project.published_processed}).reconciliation_markdown()
    row = next(line for line in text.splitlines() if line.startswith("| Procentuell förändring pågående deltagare, sjukpenning"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:6] == [f"16{NB}%", f"19,5{NB}%", f"+3,5{NB}p.e.", "avviker"]
