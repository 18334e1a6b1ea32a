"""Execute report notebooks with papermill and render them to HTML and PDF.

Quarto is used when it is on PATH. Otherwise the fallback uses the engines Quarto itself
uses, all from PyPI: nbconvert (executed notebook → Markdown with outputs, inputs hidden),
pandoc (pypandoc-binary) → self-contained HTML and Typst, and the ``typst`` compiler → PDF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat
import yaml

from ..core.errors import PipelineError

TEMPLATES = resources.files("pipeline.reports") / "templates"
SUPPORTED_FORMATS = ("html", "pdf")


class RenderError(PipelineError):
    pass


def execute_notebook(notebook: Path, output: Path, parameters: dict[str, Any], cwd: Path, pool=None) -> Path:
    """Run ``notebook`` with papermill; a failing cell becomes one clear ``RenderError``.

    By default in a fresh kernel. With ``pool`` (a ``pipeline.reports.kernels.KernelPool``) on one
    of its warm kernels, through the ``finsam-warm`` papermill engine; the process's working
    directory is then left alone (only the kernel moves to ``cwd``), so threads may share a pool.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    where: dict[str, Any] = {"cwd": str(cwd)}
    if pool is not None:
        notebook, output = Path(notebook).resolve(), Path(output).resolve()
        where = {"engine_name": "finsam-warm", "pool": pool, "kernel_cwd": str(Path(cwd).resolve())}
    try:
        pm.execute_notebook(
            str(notebook), str(output), parameters=parameters,
            kernel_name="python3", progress_bar=False, log_output=False, **where,
        )
    except PapermillExecutionError as exc:
        raise RenderError(f"{notebook.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None
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


def notebook_to_markdown(nb: nbformat.NotebookNode, out_dir: Path) -> str:
    """Executed notebook → pandoc Markdown: front matter, Markdown cells and cell outputs."""
    from nbconvert import MarkdownExporter

    exporter = MarkdownExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, res = exporter.from_notebook_node(nb, resources={"output_files_dir": "figurer"})
    for name, data in (res.get("outputs") or {}).items():  # images shown inline, if a notebook has any
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return body


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RenderError(f"{Path(cmd[0]).name} failed ({proc.returncode}): {proc.stderr.strip()[:2000]}")


def markdown_to_html(md: Path, html: Path) -> Path:
    _run(
        [_pandoc(), md.name, "--from", "markdown", "--to", "html5", "--standalone", "--embed-resources",
         "--toc", "--toc-depth=2", "--metadata", "toc-title=Innehåll",
         "--css", str(TEMPLATES / "report.css"), "--lua-filter", str(TEMPLATES / "alt-text.lua"),
         "--output", html.name],
        cwd=md.parent,
    )
    return html


def markdown_to_pdf(md: Path, pdf: Path, header_text: str = "") -> Path:
    import typst

    typ = md.with_suffix(".typ")
    header = (TEMPLATES / "typst-header.typ").read_text(encoding="utf-8")
    if header_text:
        safe = header_text.replace("\\", "\\\\").replace('"', '\\"')
        header += f'#set page(header: align(right, text(size: 8pt, fill: luma(110), "{safe}")))\n'
    header_file = md.with_name(md.stem + "-header.typ")
    header_file.write_text(header, encoding="utf-8")
    _run(
        [_pandoc(), md.name, "--from", "markdown", "--to", "typst", "--standalone",
         "--variable", "papersize=a4", "--variable", "page-numbering=1 / 1",
         "--variable", "margin.x=2.2cm", "--variable", "margin.y=2.4cm",
         "--variable", "lang=sv", "--variable", "region=SE",
         "--lua-filter", str(TEMPLATES / "alt-text.lua"),
         "--include-in-header", header_file.name, "--output", typ.name],
        cwd=md.parent,
    )
    try:
        # Fixed timestamp and only Typst's bundled fonts: the same PDF bytes on every machine.
        typst.compile(str(typ), output=str(pdf), root=str(md.parent), ignore_system_fonts=True,
                      timestamp=int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    except Exception as exc:  # the typst binding raises its own error types
        raise RenderError(f"typst could not compile {typ.name}: {exc}") from None
    typ.unlink()
    header_file.unlink()
    return pdf


def render_with_quarto(executed: Path, formats: list[str]) -> list[Path]:
    targets = {"html": "html", "pdf": "typst"}
    out = []
    for f in formats:
        _run(["quarto", "render", executed.name, "--to", targets[f]], cwd=executed.parent)
        out.append(executed.with_suffix(".html" if f == "html" else ".pdf"))
    return out


def quarto_available() -> bool:
    return shutil.which("quarto") is not None


def render_notebook(executed: Path, formats: list[str], header_text: str = "", use_quarto: bool | None = None) -> list[Path]:
    """Render an executed notebook next to itself; returns the files written."""
    unknown = set(formats) - set(SUPPORTED_FORMATS)
    if unknown:
        raise RenderError(f"unknown output format(s) {sorted(unknown)}; supported: {', '.join(SUPPORTED_FORMATS)}")
    if use_quarto is None:
        use_quarto = quarto_available()
    if use_quarto:
        return render_with_quarto(executed, formats)
    nb = nbformat.read(executed, as_version=4)
    md = executed.with_suffix(".md")
    md.write_text(notebook_to_markdown(nb, executed.parent), encoding="utf-8")
    out = []
    if "html" in formats:
        out.append(markdown_to_html(md, executed.with_suffix(".html")))
    if "pdf" in formats:
        out.append(markdown_to_pdf(md, executed.with_suffix(".pdf"), header_text))
    return out
