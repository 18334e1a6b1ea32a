"""Shareable reports: accessible PDF (PDF/UA-1), accessible HTML, Word, colophon, tidy folders.

Read back from the files the build wrote (pypdf, python-docx, the HTML text), never from the
code that wrote them.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from pipeline.reports.render import RenderError, markdown_to_pdf, reference_docx, swedish_styles

pytestmark = pytest.mark.slow

NAME = "bilaga1_2022"


def _structure(node, out):
    """Every (role, alt text) in a PDF structure tree, in reading order."""
    from pypdf.generic import ArrayObject, DictionaryObject

    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, ArrayObject):
        for kid in node:
            _structure(kid, out)
    elif isinstance(node, DictionaryObject):
        if "/S" in node:
            out.append((str(node["/S"]), str(node.get("/Alt", "")) or None))
        if "/K" in node:
            _structure(node["/K"], out)
    return out


@pytest.fixture(scope="module")
def pdf(built_2022):
    from pypdf import PdfReader

    return PdfReader(built_2022 / f"{NAME}.pdf")


def test_pdf_is_tagged_pdf_ua_with_alt_text_on_every_figure(pdf):
    root = pdf.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfuaid:part(>|=\")1", xmp), "no PDF/UA-1 identification in the XMP metadata"
    tags = _structure(root["/StructTreeRoot"]["/K"], [])
    roles = [r for r, _ in tags]
    headings = [r for r in roles if re.fullmatch(r"/H\d?", r)]
    assert headings[0] in ("/H1", "/H"), headings[:3]  # the report title comes first, at level 1
    figures = [alt for role, alt in tags if role == "/Figure"]
    assert len(figures) == 6 and all(figures), figures
    assert all(alt.startswith(("Stapeldiagram", "Linjediagram")) for alt in figures)
    assert "/Table" in roles and "/TH" in roles  # tables with tagged header cells


def test_pdf_dates_are_the_build_date_not_1970(pdf):
    created = pdf.metadata.creation_date
    assert created is not None and created.year >= 2016
    assert pdf.metadata.title.startswith("Bilaga 1 Tabeller") and "2022" in pdf.metadata.title


def test_a_pdf_that_is_not_accessible_stops_the_build(tmp_path):
    """An image without alt text (written as raw Typst, past the filter) is not PDF/UA-1."""
    (tmp_path / "fig.png").write_bytes((Path(__file__).parent / "data" / "pixel.png").read_bytes()
                                       if (Path(__file__).parent / "data" / "pixel.png").is_file() else _png())
    md = tmp_path / "r.md"
    md.write_text('---\ntitle: T\nlang: sv\n---\n\n## A\n\n```{=typst}\n#image("fig.png")\n```\n', encoding="utf-8")
    with pytest.raises(RenderError, match="PDF/UA-1.*alt text"):
        markdown_to_pdf(md, tmp_path / "r.pdf", title="T")
    assert not (tmp_path / "r.pdf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png", "r.md"]  # no intermediate files left


def _png() -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    plt.figure(figsize=(1, 1)).savefig(buf, format="png")
    plt.close("all")
    return buf.getvalue()


def test_html_has_landmark_scoped_headers_page_title_and_back_link(built_2022):
    html = (built_2022 / f"{NAME}.html").read_text(encoding="utf-8")
    assert html.count("<main>") == 1 and "</main>" in html
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "Bilaga 1 Tabeller" in title and "2022" in title
    headers = re.findall(r"<th\b[^>]*>", html)
    assert headers and all('scope="col"' in th for th in headers)
    assert '<a href="../../index.html">' in html


def test_charts_are_sharp_when_zoomed(built_2022):
    from PIL import Image

    with Image.open(built_2022 / "figurer" / "tabell1_2022.png") as img:
        assert img.info["dpi"][0] >= 299  # 300 dpi: a 7-inch chart is 2 100 pixels wide
        assert img.width >= 1800


def test_docx_has_real_tables_alt_text_and_swedish_styles(built_2022):
    import docx

    path = built_2022 / f"{NAME}.docx"
    doc = docx.Document(str(path))
    assert len(doc.tables) >= 7  # Tabell 1–6 and the reconciliation
    first = doc.tables[0]
    assert [c.text for c in first.rows[0].cells][:3] == ["År", "Kvinna", "Kvinna %"]
    assert any(c.text == "1 581".replace(" ", "\u00a0") for row in first.rows for c in row.cells) or any(
        c.text == "1 581" for row in first.rows for c in row.cells)
    shapes = list(doc.inline_shapes)
    assert len(shapes) == 6
    for shape in shapes:
        descr = shape._inline.docPr.get("descr")
        assert descr.startswith(("Stapeldiagram", "Linjediagram")) and "2022" in descr
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert "Avstämning mot publicerade uppgifter" in headings and "Om rapportens framställning" in headings
    assert doc.core_properties.created.year >= 2016
    styles = zipfile.ZipFile(path).read("word/styles.xml").decode("utf-8")
    assert re.search(r'<w:lang [^>]*w:val="sv(-SE)?"', styles) and 'w:styleId="TableCaption"' in styles


def test_reference_docx_is_reproducible_and_swedish(tmp_path):
    a, b = reference_docx(tmp_path / "a.docx"), reference_docx(tmp_path / "b.docx")
    assert a.read_bytes() == b.read_bytes()
    styles = zipfile.ZipFile(a).read("word/styles.xml").decode("utf-8")
    assert "en-US" not in styles and 'w:val="sv-SE"' in styles
    assert swedish_styles(styles) == styles  # applying the styles twice changes nothing


def test_every_report_format_carries_the_colophon(built_2022, pdf):
    from .conftest import norm

    html = norm(re.sub(r"<[^>]+>", "", (built_2022 / f"{NAME}.html").read_text(encoding="utf-8")))
    # Typst's hyphen glyph comes back from text extraction as a soft hyphen
    pdf_text = norm(" ".join(page.extract_text() for page in pdf.pages[-2:])).replace("\u00ad", "-")
    for text in (html, pdf_text):
        assert "Om rapportens framställning" in text
        assert re.search(r"incheckning ([0-9a-f]{12}|okänd)", text)
        assert re.search(r"kontrollsumma SHA-256 [0-9a-f]{16}", text)
        assert "publicerade uppgifter ur källdokumenten" in text
        assert "Byggd: 20" in text and "1970" not in text


def test_report_folder_holds_only_what_a_reader_needs(built_2022):
    assert sorted(p.name for p in built_2022.iterdir()) == sorted(
        [f"{NAME}.html", f"{NAME}.pdf", f"{NAME}.docx", f"{NAME}.ipynb", f"{NAME}_tabeller.csv", "figurer"])


def test_index_shows_headline_figures_beside_the_links(published_project, built_2022, built_bilaga4):
    from pipeline.stages import stage_index

    page = stage_index(published_project).read_text(encoding="utf-8")
    nb = "\u00a0"
    row_2022 = next(r for r in page.split("<tr>") if r.startswith("<td>2022</td><td>Bilaga 1"))
    assert f"1{nb}581 med aktivitetsersättning, 4{nb}478 med sjukpenning" in row_2022  # Tabell 1 and 3, 2022
    assert 'href="2022/bilaga1/bilaga1_2022.docx">Word</a>' in row_2022
    row_b4 = next(r for r in page.split("<tr>") if r.startswith("<td>2016</td><td>Bilaga 4"))
    assert f"483{nb}300 personer" in row_b4
    assert "<main>" in page and 'scope="col"' in page


def test_index_headline_is_a_dash_where_the_data_is_not_built(tmp_path):
    from pipeline.reports.report_index import headline_figures

    years = {"bilaga1": [2022], "modeller": [2022], "bilaga3": [2016], "bilaga4": [2016]}
    inputs = {"published_tables": tmp_path / "processed" / "published", "malgrupp": tmp_path / "processed" / "bilaga4",
              "models": {2022: tmp_path / "models" / "2022"}, "survey_clean": {2016: tmp_path / "enkat" / "2016"},
              "survey_questions": {2016: tmp_path / "raw" / "enkat" / "2016" / "fragor.yaml"}}
    assert headline_figures(inputs, years) == {
        ("bilaga1", 2022): "\u2013", ("modeller", 2022): "\u2013", ("bilaga3", 2016): "\u2013",
        ("bilaga4", 2016): "\u2013"}


def test_unknown_format_is_refused_before_anything_runs(capsys):
    from pipeline.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["stage", "bilaga1", "--year", "2022", "--formats", "html,odt"])
    assert stop.value.code == 2
    assert "choose from html, pdf, docx (comma-separated), got 'html,odt'" in capsys.readouterr().err
