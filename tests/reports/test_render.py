"""Shareable reports: accessible PDF (PDF/UA-1), accessible HTML, Word, colophon, tidy folders.

Read back from the files the build wrote (pypdf, python-docx, the HTML text), never from the
code that wrote them.
"""

from __future__ import annotations

import re
import shutil
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
    (tmp_path / "fig.png").write_bytes((Path(__file__).parents[1] / "data" / "pixel.png").read_bytes()
                                       if (Path(__file__).parents[1] / "data" / "pixel.png").is_file() else _png())
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
    assert [c.text for c in first.rows[0].cells][:3] == ["År", "Kvinnor", "Andel kvinnor"]
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
    from ..conftest import norm

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
    rows = page.split('<tr role="row">')
    row_2022 = next(r for r in rows if r.startswith('<td role="cell">2022</td><td role="cell">Bilaga 1'))
    assert f"1{nb}581 med aktivitetsersättning, 4{nb}478 med sjukpenning" in row_2022  # Tabell 1 and 3, 2022
    assert 'href="2022/bilaga1/bilaga1_2022.docx">Word</a>' in row_2022
    row_b4 = next(r for r in rows if r.startswith('<td role="cell">2016</td><td role="cell">Bilaga 4'))
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


# ----------------------------------------------------------------------------- Word page furniture
def _docx_part(path, name: str) -> str:
    return zipfile.ZipFile(path).read(name).decode("utf-8")


def test_word_file_has_a4_pages_header_footer_contents_and_year(built_2022):
    """Issue 22, item 3, read back from the file: A4, a header with title and year on every page,
    a footer with page numbers, a table of contents that is filled in (one linked entry per
    section heading), Swedish names for the styles pandoc adds, the year in the title property."""
    import docx
    from docx.shared import Mm

    path = built_2022 / f"{NAME}.docx"
    doc = docx.Document(str(path))
    section = doc.sections[-1]
    assert (round(section.page_width / Mm(1)), round(section.page_height / Mm(1))) == (210, 297)
    assert [p.text for p in section.header.paragraphs] == ["Bilaga 1 Tabeller – 2022"]
    footer = _docx_part(path, "word/footer1.xml")
    assert "Sida " in footer and " PAGE " in footer and " NUMPAGES " in footer
    document = _docx_part(path, "word/document.xml")
    toc = document[document.index("Table of Contents"):document.index("</w:sdt>")]
    entries = re.findall(r'<w:hyperlink w:anchor="([^"]+)"[^>]*>.*?<w:t[^>]*>([^<]*)</w:t>', toc)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert [text for _, text in entries] == headings and len(headings) >= 8
    for anchor, _ in entries:
        assert f'w:name="{anchor}"' in document  # each entry leads to its heading's bookmark
    assert 'w:dirty="true"' not in toc  # nothing for the reader to update
    assert "2022" in doc.core_properties.title and doc.core_properties.language == "sv-SE"
    used = {p.style.name for p in doc.paragraphs}
    assert "Första stycket" in used and not used & {"First Paragraph", "Compact", "Image Caption", "Table Caption"}


def test_word_header_says_synthetic_where_the_data_are(tmp_path):
    import docx

    from pipeline.reports import contract
    from pipeline.reports.render import markdown_to_docx

    md = tmp_path / "r.md"
    md.write_text("---\ntitle: Modellbilaga\nsubtitle: '2022'\n---\n\n## Om bilagan\n\nText.\n", encoding="utf-8")
    out = markdown_to_docx(md, tmp_path / "r.docx", 0, contract.header("modeller", 2022, True), "Modellbilaga – 2022")
    header = [p.text for p in docx.Document(str(out)).sections[0].header.paragraphs]
    assert header == ["Modellbilaga – 2022 · Syntetiska data – inte verkliga uppgifter"]


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice is not installed (Debian: apt-get install libreoffice-writer); "
                           "the Word file's page furniture is then checked only in its XML above")
def test_word_file_printed_by_libreoffice_shows_header_page_numbers_and_contents(built_2022, tmp_path):
    """The Word file as a reader sees it: LibreOffice lays it out and prints it to PDF; every page
    is A4 and carries the header and "Sida n av N", and the first page lists the contents."""
    import subprocess

    from pypdf import PdfReader

    from ..conftest import norm

    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(built_2022 / f"{NAME}.docx")],
                   check=True, capture_output=True, timeout=300)
    pages = PdfReader(tmp_path / f"{NAME}.pdf").pages
    assert len(pages) >= 5
    for number, page in enumerate(pages, 1):
        text = norm(page.extract_text())
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        assert "Bilaga 1 Tabeller – 2022" in text, number
        assert f"Sida {number} av {len(pages)}" in text, (number, text[-80:])
    first = norm(pages[0].extract_text())
    assert "Innehåll" in first and "Avstämning mot publicerade uppgifter" in first and "Källor" in first


# ----------------------------------------------------------------------------- provenance and links
def test_build_date_is_the_day_of_the_build_and_the_version_has_its_own_date(built_2022, monkeypatch):
    """Issue 22, item 5: "Byggd" is the day the report was built (not the commit's date), the
    program version's date stands beside the commit; $SOURCE_DATE_EPOCH pins the day."""
    import datetime as dt

    from pipeline.reports.colophon import build_date, git_state

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_date(dt.datetime(2031, 5, 6, 23, 59, tzinfo=dt.timezone.utc))[0] == dt.date(2031, 5, 6)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(7 * 86400 + 3600))
    assert build_date()[0] == dt.date(1970, 1, 8)
    html = re.sub(r"\s+", " ", (built_2022 / f"{NAME}.html").read_text(encoding="utf-8"))
    built = re.search(r"Byggd:</strong> (\d{4}-\d{2}-\d{2})", html).group(1)
    today = dt.datetime.now(dt.timezone.utc).date()
    assert dt.date.fromisoformat(built) in (today, today - dt.timedelta(days=1))  # a session may cross midnight
    commit, epoch, _ = git_state(Path(__file__).resolve().parents[2])
    if commit:
        version_day = dt.datetime.fromtimestamp(epoch, dt.timezone.utc).date().isoformat()
        assert f"incheckning {commit} från {version_day}" in html


def test_html_links_its_other_formats_and_years_relatively(built_2022):
    html = (built_2022 / f"{NAME}.html").read_text(encoding="utf-8")
    nav = html[html.index('<nav class="tillbaka"'):html.index("</nav>")]
    assert re.findall(r'href="([^"]+)"', nav) == (
        ["../../index.html", f"{NAME}.pdf", f"{NAME}.docx", f"{NAME}.ipynb"]
        + [f"../../{y}/bilaga1/bilaga1_{y}.html" for y in range(2016, 2022)])


def test_pdf_and_word_links_are_absolute_under_base_url_or_a_plain_statement(tmp_path):
    """A PDF or Word file sent on alone: links under report.base_url, or no link at all but a
    sentence saying where the report lives."""
    import dataclasses

    import docx

    from pipeline.reports import colophon
    from pipeline.reports.colophon import NO_ADDRESS, national_place
    from pipeline.reports.render import markdown_to_docx

    params = {"years": [2021, 2022], "report": {"base_url": "https://example.org/finsam"}}
    place = national_place("bilaga1", 2022, params)
    prov = colophon.Provenance(built=__import__("datetime").date(2026, 1, 2), built_basis="datum enligt UTC",
                               version="0.1.0", commit="abc", dirty=False, inputs_sha256="0" * 64, inputs_count=1,
                               data_source=colophon.PUBLISHED, place=place, base_url=colophon.base_url(params))
    printed = prov.markdown(["html", "pdf", "docx"], printed=True)
    hrefs = re.findall(r"\]\(([^)]+)\)", printed)
    assert "https://example.org/finsam/2022/bilaga1/bilaga1_2022.pdf" in hrefs
    assert "https://example.org/finsam/2021/bilaga1/bilaga1_2021.html" in hrefs
    assert "https://example.org/finsam/index.html" in hrefs
    assert all(h.startswith("https://example.org/finsam/") for h in hrefs)
    md = tmp_path / "r.md"
    md.write_text("---\ntitle: Bilaga 1 Tabeller\n---\n\n" + printed, encoding="utf-8")
    out = markdown_to_docx(md, tmp_path / "r.docx", 0, "Bilaga 1 Tabeller – 2022", "Bilaga 1 Tabeller – 2022")
    rels = zipfile.ZipFile(out).read("word/_rels/document.xml.rels").decode("utf-8")
    targets = re.findall(r'Target="([^"]+)" TargetMode="External"', rels)
    assert targets and all(t.startswith("https://example.org/finsam/") for t in targets if "example.com" not in t)
    assert not any(NO_ADDRESS[:40] in p.text for p in docx.Document(str(out)).paragraphs)
    plain = dataclasses.replace(prov, base_url="").markdown(["html"], printed=True)
    assert NO_ADDRESS in plain and "](" not in plain


def test_built_pdf_has_no_relative_links(built_2022, pdf):
    """The default params.yaml has no base address: the PDF says where the report lives in words
    and carries no link that would break once the file is sent on."""
    from pipeline.reports.colophon import NO_ADDRESS

    from ..conftest import norm

    text = norm(" ".join(p.extract_text() for p in pdf.pages[-2:])).replace("\u00ad", "-")
    assert norm(NO_ADDRESS) in text
    for page in pdf.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            uri = action.get("/URI")
            assert uri is None or str(uri).startswith(("http://", "https://")), uri
