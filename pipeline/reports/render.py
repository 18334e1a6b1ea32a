"""Execute report notebooks with papermill and render them to HTML, PDF and DOCX.

Quarto is used when it is on PATH. Otherwise the fallback uses the engines Quarto itself
uses, all from PyPI: nbconvert (executed notebook → Markdown with outputs, inputs hidden),
pandoc (pypandoc-binary) → self-contained HTML, Typst and DOCX, and the ``typst`` compiler →
PDF. Every report gets the same colophon (:mod:`pipeline.colophon`) and a link back to the
index, here, once, rather than in each report module.

Accessibility: the PDF is compiled as PDF/UA-1 (a report that does not conform fails the
build): the report title is its one level-1 heading, every image carries its alt text into
the PDF (pandoc's Typst writer drops it, so the Lua filter writes the image call itself),
tables have tagged header rows. The HTML has a ``main`` landmark, a page title per report
and year, and header cells with ``scope``. The DOCX uses a reference document with Swedish
language and the project's heading, table and caption styles, generated here from pandoc's
own reference document so that no binary file needs to be kept in git.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import threading
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat
import yaml

from ..core.errors import PipelineError
from .colophon import Provenance, collect

TEMPLATES = resources.files("pipeline.reports") / "templates"
SUPPORTED_FORMATS = ("html", "pdf", "docx")
PDF_STANDARD = "ua-1"
COLOPHON_TAG = "colophon"
PROJECT_NAME = "Finsam"


class RenderError(PipelineError):
    pass


def execute_notebook(notebook: Path, output: Path, parameters: dict[str, Any], cwd: Path, pool=None,
                     save_each_cell: bool = True) -> Path:
    """Run ``notebook`` with papermill; a failing cell becomes one clear ``RenderError``.

    By default in a fresh kernel. With ``pool`` (a ``pipeline.reports.kernels.KernelPool``) on one
    of its warm kernels, through the ``finsam-warm`` papermill engine; the process's working
    directory is then left alone (only the kernel moves to ``cwd``), so threads may share a pool,
    and ``save_each_cell=False`` has the executed notebook written once, at the end.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from .kernel_ipc import kernel_manager

    km = None
    where: dict[str, Any] = {"cwd": str(cwd)}
    if pool is None:  # papermill's own kernel, over Unix sockets instead of TCP (shut down below: it is ours)
        km = where["km"] = kernel_manager("python3")
    else:
        notebook, output = Path(notebook).resolve(), Path(output).resolve()
        where = {"engine_name": "finsam-warm", "pool": pool, "kernel_cwd": str(Path(cwd).resolve()),
                 "save_each_cell": save_each_cell}
    try:
        pm.execute_notebook(
            str(notebook), str(output), parameters=parameters,
            kernel_name="python3", progress_bar=False, log_output=False, **where,
        )
    except PapermillExecutionError as exc:
        raise RenderError(f"{notebook.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None
    except OSError as exc:  # papermill writing the executed notebook: full disk, read-only folder, …
        from ..core.io import OutputError, os_reason

        raise OutputError(f"{output}: cannot write the executed notebook ({os_reason(exc)}); the previous output is "
                          "left as it was") from None
    finally:
        if km is not None and km.has_kernel:
            km.shutdown_kernel(now=True)
            km.cleanup_resources()
    return output



def front_matter(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The Quarto front matter in the notebook's first raw cell (empty if there is none)."""
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.strip().startswith("---"):
            return yaml.safe_load(cell.source.strip().strip("-")) or {}
    return {}


def set_front_matter(nb: nbformat.NotebookNode, updates: dict[str, Any]) -> None:
    """Merge ``updates`` into the front matter (e.g. the year in the subtitle)."""
    meta = front_matter(nb) | updates
    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---"
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.strip().startswith("---"):
            cell.source = text
            return
    nb.cells.insert(0, nbformat.v4.new_raw_cell(text))


def page_title(meta: dict[str, Any]) -> str:
    """The HTML page title and PDF document title: report title, subtitle (with the year), project."""
    parts = [str(meta.get(k)) for k in ("title", "subtitle") if meta.get(k)]
    return " – ".join(parts + [PROJECT_NAME])


_EXPORTERS = threading.local()


def _markdown_exporter():
    """One nbconvert MarkdownExporter per thread, reused: building one compiles its Jinja templates
    (about half of converting a small report), and an exporter is not shared between threads."""
    exporter = getattr(_EXPORTERS, "markdown", None)
    if exporter is None:
        from nbconvert import MarkdownExporter

        exporter = MarkdownExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
        _EXPORTERS.markdown = exporter
    return exporter


def notebook_to_markdown(nb: nbformat.NotebookNode, out_dir: Path) -> str:
    """Executed notebook → pandoc Markdown: front matter, Markdown cells and cell outputs."""
    body, res = _markdown_exporter().from_notebook_node(nb, resources={"output_files_dir": "figurer"})
    for name, data in (res.get("outputs") or {}).items():  # images shown inline, if a notebook has any
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return body


_TIMING_KEYS = ("start_time", "end_time", "duration")


def stable_notebook(nb: nbformat.NotebookNode, executed: Path, root: Path | None = None) -> None:
    """Drop run timestamps, random ids and temporary paths so that a rebuild writes the same bytes."""
    pm = nb.metadata.get("papermill", {})
    for key in _TIMING_KEYS:
        pm.pop(key, None)
    if "output_path" in pm:
        pm["output_path"] = executed.name  # not the temporary folder it was executed in
    if root is not None and pm.get("input_path"):
        try:
            pm["input_path"] = Path(pm["input_path"]).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        for key in _TIMING_KEYS:
            cell.metadata.get("papermill", {}).pop(key, None)
        if "tags" in cell.metadata and "injected-parameters" in cell.metadata["tags"]:
            cell.id = f"parametrar-{i}"


def add_colophon(nb: nbformat.NotebookNode, provenance: Provenance) -> None:
    """Append (or replace) the colophon as the notebook's last Markdown cell."""
    nb.cells = [c for c in nb.cells if COLOPHON_TAG not in c.get("metadata", {}).get("tags", [])]
    cell = nbformat.v4.new_markdown_cell(provenance.markdown())
    cell.metadata["tags"] = [COLOPHON_TAG]
    cell.id = COLOPHON_TAG  # a fixed id: the executed notebook stays byte-identical between builds
    nb.cells.append(cell)


GLOSSARY_TAG = "ordlista"


def reader_text(nb: nbformat.NotebookNode) -> str:
    """The text a reader of the notebook's report sees: Markdown cells and Markdown/text outputs."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            parts.append(str(data.get("text/markdown", "")) + str(out.get("text", "")))
    return "\n".join(parts)


def add_glossary(nb: nbformat.NotebookNode) -> None:
    """Append (or replace) the Ordlista: the entries of the glossary (``ordlista.yaml``) the report uses."""
    from .glossary import load_glossary

    nb.cells = [c for c in nb.cells if GLOSSARY_TAG not in c.get("metadata", {}).get("tags", [])]
    text = load_glossary().markdown(reader_text(nb))
    if text:
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["tags"] = [GLOSSARY_TAG]
        cell.id = GLOSSARY_TAG
        nb.cells.append(cell)


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def _run(cmd: list[str], cwd: Path, epoch: int | None = None) -> None:
    env = dict(os.environ)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)  # pandoc dates the DOCX parts with it
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RenderError(f"{Path(cmd[0]).name} failed ({proc.returncode}): {proc.stderr.strip()[:2000]}")


def _common(md: Path) -> list[str]:
    return [_pandoc(), md.name, "--from", "markdown", "--lua-filter", str(TEMPLATES / "alt-text.lua")]


def markdown_to_html(md: Path, html: Path, title: str = "", index_link: str = "", navigation: str = "") -> Path:
    """``navigation``: HTML of the links on top of the page (the report's other formats and years)."""
    cmd = _common(md) + [
        "--to", "html5", "--standalone", "--embed-resources", "--template", str(TEMPLATES / "report.html"),
        "--toc", "--toc-depth=2", "--metadata", "toc-title=Innehåll", "--css", str(TEMPLATES / "report.css"),
        "--output", html.name]
    if title:
        cmd += ["--metadata", f"pagetitle={title}"]
    if index_link:
        cmd += ["--variable", f"index-link={index_link}"]
    nav = md.with_name(md.stem + "-nav.html")
    if navigation:
        nav.write_text(navigation, encoding="utf-8")
        cmd += ["--include-before-body", nav.name]
    try:
        _run(cmd, cwd=md.parent)
    finally:
        nav.unlink(missing_ok=True)
    return html


def markdown_to_pdf(md: Path, pdf: Path, header_text: str = "", title: str = "", epoch: int = 0) -> Path:
    """Markdown → Typst → PDF/UA-1; a document that does not conform stops with ``RenderError``."""
    import typst

    typ = md.with_suffix(".typ")
    header = (TEMPLATES / "typst-header.typ").read_text(encoding="utf-8")
    if header_text:
        safe = header_text.replace("\\", "\\\\").replace('"', '\\"')
        header += f'#set page(header: align(right, text(size: 8pt, fill: luma(90), "{safe}")))\n'
    header_file = md.with_name(md.stem + "-header.typ")
    header_file.write_text(header, encoding="utf-8")
    try:
        cmd = _common(md) + [
            "--to", "typst", "--standalone", "--template", str(TEMPLATES / "report.typ"),
            "--toc", "--toc-depth=2", "--metadata", "toc-title=Innehåll", "--variable", "region=SE",
            "--include-in-header", header_file.name, "--output", typ.name]
        if title:
            cmd += ["--metadata", f"pagetitle={title}"]
        _run(cmd, cwd=md.parent)
        try:
            # Fixed timestamp (the build date) and only Typst's bundled fonts: the same PDF bytes
            # on every machine. PDF/UA-1: tagged, with alt text; Typst refuses what does not conform.
            typst.compile(str(typ), output=str(pdf), root=str(md.parent), ignore_system_fonts=True,
                          timestamp=epoch, pdf_standards=PDF_STANDARD)
        except Exception as exc:  # the typst binding raises its own error types
            raise RenderError(f"typst could not compile {typ.name} as PDF/UA-1: {exc}") from None
    finally:
        typ.unlink(missing_ok=True)
        header_file.unlink(missing_ok=True)
    return pdf


# ---------------------------------------------------------------------------------- DOCX
_ACCENT = "1F5F8B"
_STYLE_OVERRIDES = {
    # styleId: replacement of the style's <w:pPr>/<w:rPr> (Swedish report look).
    "Title": ('<w:pPr><w:spacing w:after="60"/><w:jc w:val="left"/></w:pPr>',
              f'<w:rPr><w:b/><w:color w:val="{_ACCENT}"/><w:sz w:val="40"/><w:szCs w:val="40"/></w:rPr>'),
    "Subtitle": ('<w:pPr><w:spacing w:after="240"/><w:jc w:val="left"/></w:pPr>',
                 '<w:rPr><w:color w:val="5A6272"/><w:sz w:val="26"/><w:szCs w:val="26"/></w:rPr>'),
    "Heading1": ('<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="360" w:after="120"/>'
                 '<w:outlineLvl w:val="0"/></w:pPr>',
                 f'<w:rPr><w:b/><w:color w:val="{_ACCENT}"/><w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr>'),
    "Heading2": ('<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="320" w:after="100"/>'
                 '<w:outlineLvl w:val="1"/></w:pPr>',
                 f'<w:rPr><w:b/><w:color w:val="{_ACCENT}"/><w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr>'),
    "Heading3": ('<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="240" w:after="80"/>'
                 '<w:outlineLvl w:val="2"/></w:pPr>',
                 f'<w:rPr><w:b/><w:color w:val="{_ACCENT}"/><w:sz w:val="24"/><w:szCs w:val="24"/></w:rPr>'),
    "Caption": ('<w:pPr><w:keepNext/><w:spacing w:before="120" w:after="80"/></w:pPr>',
                '<w:rPr><w:b/><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr>'),
}
_TABLE_STYLE = (
    '<w:style w:type="table" w:default="1" w:styleId="Table"><w:name w:val="Table"/>'
    '<w:basedOn w:val="TableNormal"/><w:qFormat/>'
    '<w:rPr><w:sz w:val="19"/><w:szCs w:val="19"/></w:rPr>'
    '<w:tblPr><w:tblInd w:w="0" w:type="dxa"/>'
    '<w:tblBorders><w:top w:val="single" w:sz="8" w:space="0" w:color="1D2330"/>'
    '<w:bottom w:val="single" w:sz="8" w:space="0" w:color="1D2330"/>'
    '<w:insideH w:val="single" w:sz="4" w:space="0" w:color="D5D9E0"/></w:tblBorders>'
    '<w:tblCellMar><w:top w:w="20" w:type="dxa"/><w:left w:w="100" w:type="dxa"/>'
    '<w:bottom w:w="20" w:type="dxa"/><w:right w:w="100" w:type="dxa"/></w:tblCellMar></w:tblPr>'
    '<w:tblStylePr w:type="firstRow"><w:rPr><w:b/></w:rPr><w:tcPr><w:tcBorders>'
    '<w:bottom w:val="single" w:sz="12" w:space="0" w:color="1D2330"/></w:tcBorders>'
    '<w:vAlign w:val="bottom"/></w:tcPr></w:tblStylePr></w:style>'
)
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# The table of contents' entries (Word's built-in "toc 1"/"toc 2", which Word shows in Swedish).
_TOC_STYLES = "".join(
    f'<w:style w:type="paragraph" w:styleId="TOC{n}"><w:name w:val="toc {n}"/><w:basedOn w:val="Normal"/>'
    f'<w:next w:val="Normal"/><w:uiPriority w:val="39"/><w:unhideWhenUsed/>'
    f'<w:pPr><w:spacing w:before="0" w:after="60"/><w:ind w:left="{(n - 1) * 240}"/></w:pPr></w:style>'
    for n in (1, 2))
# Word shows its built-in styles (Normal, Title, heading 1, Caption, Hyperlink, …) in the user's
# language by itself; the styles pandoc adds get Swedish names here (their ids stay, so nothing breaks).
SWEDISH_STYLE_NAMES = {
    "FirstParagraph": "Första stycket", "Compact": "Kompakt", "TitleChar": "Rubrik Char",
    "SubtitleChar": "Underrubrik Char", "Author": "Författare", "AbstractTitle": "Sammanfattningsrubrik",
    "Abstract": "Sammanfattning", "DefinitionTerm": "Definitionsterm", "Definition": "Definition",
    "TableCaption": "Tabellrubrik", "ImageCaption": "Bildtext", "Figure": "Figur",
    "CaptionedFigure": "Figur med bildtext", "BodyTextChar": "Brödtext Char", "VerbatimChar": "Kod Char",
    "SectionNumber": "Avsnittsnummer", "SourceCode": "Källkod", "Table": "Tabell",
    **{f"Heading{n}Char": f"Rubrik {n} Char" for n in range(1, 10)},
}
# A4 in twentieths of a point, 2,5 cm margins, header and footer 1,25 cm from the edge.
_SECTION = ('<w:sectPr><w:headerReference w:type="default" r:id="rIdFinsamHeader"/>'
            '<w:footerReference w:type="default" r:id="rIdFinsamFooter"/>'
            '<w:footnotePr><w:numRestart w:val="eachSect"/></w:footnotePr>'
            '<w:pgSz w:w="11906" w:h="16838"/>'
            '<w:pgMar w:top="1418" w:right="1418" w:bottom="1418" w:left="1418" w:header="709" w:footer="709" '
            'w:gutter="0"/></w:sectPr>')
_W_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml."


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _field(code: str, shown: str, rpr: str = "") -> str:
    """A Word field (PAGE, NUMPAGES) with a shown value until Word or LibreOffice updates it."""
    return (f'<w:r>{rpr}<w:fldChar w:fldCharType="begin"/></w:r><w:r>{rpr}<w:instrText xml:space="preserve"> {code} '
            f'</w:instrText></w:r><w:r>{rpr}<w:fldChar w:fldCharType="separate"/></w:r><w:r>{rpr}<w:t>{shown}</w:t></w:r>'
            f'<w:r>{rpr}<w:fldChar w:fldCharType="end"/></w:r>')


def header_footer_parts(header_text: str) -> dict[str, str]:
    """The running header (report title, year and, for synthetic data, the warning) and the footer
    ("Sida 3 av 11") of every page of the Word file."""
    run = '<w:rPr><w:color w:val="5A6272"/><w:sz w:val="16"/><w:szCs w:val="16"/></w:rPr>'
    header = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:hdr {_W_NS}><w:p><w:pPr><w:jc w:val="right"/>'
              f'</w:pPr><w:r>{run}<w:t xml:space="preserve">{_xml_text(header_text)}</w:t></w:r></w:p></w:hdr>')
    footer = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:ftr {_W_NS}><w:p><w:pPr><w:jc w:val="center"/>'
              f'</w:pPr><w:r>{run}<w:t xml:space="preserve">Sida </w:t></w:r>{_field("PAGE", "1", run)}'
              f'<w:r>{run}<w:t xml:space="preserve"> av </w:t></w:r>{_field("NUMPAGES", "1", run)}</w:p></w:ftr>')
    return {"word/header1.xml": header, "word/footer1.xml": footer}


def _style_block(xml: str, style_id: str) -> re.Match:
    match = re.search(r'<w:style [^>]*w:styleId="' + style_id + r'"[^>]*>.*?</w:style>', xml, re.S)
    if match is None:
        raise RenderError(f"pandoc's reference document has no style {style_id}")
    return match


def swedish_styles(xml: str) -> str:
    """pandoc's default ``word/styles.xml`` with Swedish language and the report's styles."""
    xml = re.sub(r'<w:lang w:val="[^"]*"', '<w:lang w:val="sv-SE"', xml)
    default = re.search(r"<w:rPrDefault>.*?</w:rPrDefault>", xml, re.S).group(0)
    xml = xml.replace(default, re.sub(r'<w:sz w:val="\d+" />\s*<w:szCs w:val="\d+" />',
                                      '<w:sz w:val="21" /><w:szCs w:val="21" />', default))
    for style_id, (ppr, rpr) in _STYLE_OVERRIDES.items():
        block = _style_block(xml, style_id).group(0)
        new = re.sub(r"<w:pPr>.*?</w:pPr>", "", block, flags=re.S)
        new = re.sub(r"<w:rPr>.*?</w:rPr>", "", new, flags=re.S)
        new = new.replace("</w:style>", ppr + rpr + "</w:style>")
        xml = xml.replace(block, new)
    table = _style_block(xml, "Table").group(0)
    xml = xml.replace(table, _TABLE_STYLE)
    if 'w:styleId="TOC1"' not in xml:
        xml = xml.replace("</w:styles>", _TOC_STYLES + "</w:styles>")
    return xml


def reference_docx(target: Path, header_text: str = "") -> Path:
    """Write the reference document for pandoc's DOCX writer (same bytes on every run): Swedish
    styles, A4 pages, and a header with ``header_text`` and a footer with page numbers, which
    pandoc copies into the document it writes."""
    proc = subprocess.run([_pandoc(), "--print-default-data-file", "reference.docx"], capture_output=True)
    if proc.returncode != 0:
        raise RenderError(f"pandoc could not print its reference.docx: {proc.stderr.decode(errors='replace')[:500]}")
    source = zipfile.ZipFile(io.BytesIO(proc.stdout))
    parts = {name: source.read(name) for name in source.namelist()}
    parts["word/styles.xml"] = swedish_styles(parts["word/styles.xml"].decode("utf-8")).encode("utf-8")
    parts.update({k: v.encode("utf-8") for k, v in header_footer_parts(header_text).items()})
    rels = parts["word/_rels/document.xml.rels"].decode("utf-8")
    parts["word/_rels/document.xml.rels"] = rels.replace("</Relationships>", (
        f'<Relationship Type="{_REL}header" Id="rIdFinsamHeader" Target="header1.xml" />'
        f'<Relationship Type="{_REL}footer" Id="rIdFinsamFooter" Target="footer1.xml" /></Relationships>')).encode()
    types = parts["[Content_Types].xml"].decode("utf-8")
    parts["[Content_Types].xml"] = types.replace("</Types>", (
        f'<Override PartName="/word/header1.xml" ContentType="{_CT}header+xml" />'
        f'<Override PartName="/word/footer1.xml" ContentType="{_CT}footer+xml" /></Types>')).encode()
    document = parts["word/document.xml"].decode("utf-8")
    parts["word/document.xml"] = re.sub(r"<w:sectPr>.*?</w:sectPr>", _SECTION, document, flags=re.S).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in sorted(parts):
            out.writestr(zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME), parts[name])
    return target


_HEADING = re.compile(r'<w:bookmarkStart w:id="\d+" w:name="([^"]+)" />\s*<w:p><w:pPr><w:pStyle w:val="Heading([12])" />'
                      r".*?</w:pPr>(.*?)</w:p>", re.S)
_EMPTY_TOC = re.compile(r'<w:p><w:r><w:fldChar w:fldCharType="begin" w:dirty="true" />(<w:instrText[^>]*>TOC .*?</w:instrText>)'
                        r'<w:fldChar w:fldCharType="separate" /><w:fldChar w:fldCharType="end" /></w:r></w:p>', re.S)


def filled_toc(document: str) -> str:
    """pandoc's table of contents is an empty field that Word fills only when the reader updates
    fields; here it gets its entries (level-1 and level-2 headings, each a link to its heading), so
    it shows in Word and LibreOffice as it is. Updating the field in Word adds page numbers."""
    match = _EMPTY_TOC.search(document)
    if match is None:
        return document
    entries = []
    for anchor, level, runs in _HEADING.findall(document):
        text = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", runs))
        entries.append((anchor, level, text))
    if not entries:
        return document
    begin = f'<w:r><w:fldChar w:fldCharType="begin" /></w:r><w:r>{match.group(1)}</w:r><w:r><w:fldChar w:fldCharType="separate" /></w:r>'
    end = '<w:r><w:fldChar w:fldCharType="end" /></w:r>'
    paragraphs = []
    for i, (anchor, level, text) in enumerate(entries):
        link = (f'<w:hyperlink w:anchor="{anchor}" w:history="1"><w:r><w:rPr><w:rStyle w:val="Hyperlink" /></w:rPr>'
                f'<w:t xml:space="preserve">{text}</w:t></w:r></w:hyperlink>')
        paragraphs.append(f'<w:p><w:pPr><w:pStyle w:val="TOC{level}" /></w:pPr>{begin if i == 0 else ""}{link}'
                          f'{end if i == len(entries) - 1 else ""}</w:p>')
    return document[:match.start()] + "".join(paragraphs) + document[match.end():]


def finish_docx(docx: Path, title: str, language: str = "sv-SE") -> Path:
    """What pandoc's DOCX writer leaves to be done: the table of contents filled in, Swedish names
    for the styles pandoc adds, and the document title (with the year) and language in the
    document properties. The zip entries keep pandoc's (fixed) timestamps."""
    with zipfile.ZipFile(docx) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    out = []
    for info, data in entries:
        if info.filename == "word/document.xml":
            data = filled_toc(data.decode("utf-8")).encode("utf-8")
        elif info.filename == "word/styles.xml":
            xml = data.decode("utf-8")
            for style_id, name in SWEDISH_STYLE_NAMES.items():
                xml = re.sub(r'(<w:style [^>]*w:styleId="' + style_id + r'"[^>]*>\s*<w:name w:val=")[^"]*(")',
                             lambda m: m.group(1) + name + m.group(2), xml)
            data = xml.encode("utf-8")
        elif info.filename == "docProps/core.xml":
            xml = data.decode("utf-8")
            xml = re.sub(r"<dc:title>.*?</dc:title>|<dc:title\s*/>", "", xml, flags=re.S)
            xml = re.sub(r"<dc:language>.*?</dc:language>", "", xml, flags=re.S)
            xml = xml.replace("</cp:coreProperties>", f"<dc:title>{_xml_text(title)}</dc:title>"
                              f"<dc:language>{language}</dc:language></cp:coreProperties>")
            data = xml.encode("utf-8")
        out.append((info, data))
    tmp = docx.with_name(docx.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in out:
            target.writestr(zipfile.ZipInfo(info.filename, date_time=info.date_time), data)
    tmp.replace(docx)
    return docx


def markdown_to_docx(md: Path, docx: Path, epoch: int = 0, header_text: str = "", title: str = "") -> Path:
    """Markdown → Word: A4, running header and page-numbered footer, a filled table of contents,
    Swedish style names, the title with its year in the document properties."""
    reference = md.with_name(md.stem + "-reference.docx")
    reference_docx(reference, header_text)
    try:
        _run(_common(md) + ["--to", "docx", "--reference-doc", reference.name, "--toc", "--toc-depth=2",
                            "--metadata", "toc-title=Innehåll", "--output", docx.name], cwd=md.parent, epoch=epoch)
    finally:
        reference.unlink(missing_ok=True)
    return finish_docx(docx, title)


# ---------------------------------------------------------------------------------- entry points
def render_with_quarto(executed: Path, formats: list[str]) -> list[Path]:
    targets = {"html": "html", "pdf": "typst", "docx": "docx"}
    out = []
    for f in formats:
        _run(["quarto", "render", executed.name, "--to", targets[f]], cwd=executed.parent)
        out.append(executed.with_suffix("." + f))
    return out


def quarto_available() -> bool:
    return shutil.which("quarto") is not None


def provenance_for(nb: nbformat.NotebookNode, executed: Path, root: Path, params: dict[str, Any]) -> Provenance:
    """The colophon's facts for an executed report notebook (papermill records its inputs)."""
    pm = nb.metadata.get("papermill", {})
    report = executed.stem.split("_")[0]
    return collect(report, root, params, Path(pm.get("input_path", executed)), dict(pm.get("parameters", {})))


def render_notebook(executed: Path, formats: list[str], header_text: str = "", use_quarto: bool | None = None,
                    root: Path | None = None, params: dict[str, Any] | None = None,
                    provenance: Provenance | None = None, nb: nbformat.NotebookNode | None = None) -> list[Path]:
    """Render an executed notebook next to itself; returns the files written.

    With ``root`` (the project root) and ``params`` (params.yaml) the colophon is added to the
    notebook first, so every output format (and the kept notebook) carries it. A batch of many
    reports from the same inputs passes its ``provenance`` (computed once) instead of having it
    collected again for each report (git and the input checksum are then asked once), and may pass
    the executed notebook it has already read (``nb``; it is written to ``executed`` here).
    """
    unknown = set(formats) - set(SUPPORTED_FORMATS)
    if unknown:
        raise RenderError(f"unknown output format(s) {sorted(unknown)}; supported: {', '.join(SUPPORTED_FORMATS)}")
    if use_quarto is None:
        use_quarto = quarto_available()
    if nb is None:
        nb = nbformat.read(executed, as_version=4)
    if provenance is None and root is not None:
        provenance = provenance_for(nb, executed, root, params or {})
    add_glossary(nb)
    if provenance is not None:
        add_colophon(nb, provenance)
    stable_notebook(nb, executed, root)
    nbformat.write(nb, executed)
    if use_quarto:
        return render_with_quarto(executed, formats)
    epoch = provenance.epoch if provenance else int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    index_link = provenance.index_link if provenance else ""
    navigation = provenance.place.html_navigation(formats) if provenance and provenance.place else ""
    title = page_title(front_matter(nb))
    md = executed.with_name(executed.stem + "-render.md")
    printed = executed.with_name(executed.stem + "-print.md")  # PDF and Word: links that survive being sent on
    text = notebook_to_markdown(nb, executed.parent)
    md.write_text(text, encoding="utf-8")
    if provenance is not None:
        web, paper = provenance.markdown(), provenance.markdown(formats, printed=True)
        if web not in text:
            raise RenderError(f"{executed.name}: the colophon is missing from the converted notebook")
        text = text.replace(web, paper)
    printed.write_text(text, encoding="utf-8")
    out = []
    try:
        if "html" in formats:
            out.append(markdown_to_html(md, executed.with_suffix(".html"), title, index_link, navigation))
        if "pdf" in formats:
            out.append(markdown_to_pdf(printed, executed.with_suffix(".pdf"), header_text, title, epoch))
        if "docx" in formats:
            out.append(markdown_to_docx(printed, executed.with_suffix(".docx"), epoch, header_text, title))
    finally:
        md.unlink(missing_ok=True)  # the reader gets HTML, PDF, DOCX and the notebook, not the intermediates
        printed.unlink(missing_ok=True)
    return out
