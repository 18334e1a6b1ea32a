"""Shared fixtures. Report builds run in a temporary copy of the project, never in the checkout."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from pipeline.core.config import Project

REPO = Path(__file__).resolve().parents[1]
SHARED_SEEDS = REPO.parent / "shared" / "seeds"
GROUND_TRUTH = REPO / "tests" / "backtests" / "ground_truth"
NB = "\u00a0"
TEST_KEY = bytes.fromhex("3f9a1c7e52b04d8896e1a0c4f7d2b3e5" "0a6c9e1f4b7d2a8c5e3f6b9d1c4a7e20")  # tests only


def norm(text: str) -> str:
    """Text with no-break spaces and runs of white space as single spaces (for comparisons)."""
    return re.sub(r"\s+", " ", text.replace(NB, " "))


def pdf_pages(path: Path) -> list[str]:
    """The normalised text of each page of a PDF."""
    from pypdf import PdfReader

    return [norm(page.extract_text()) for page in PdfReader(path).pages]


def _generated_raw() -> set[Path]:
    """What the demo stages write under data/raw (their outs in dvc.yaml): outputs, not inputs."""
    import yaml

    stages = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    outs = [next(iter(o)) if isinstance(o, dict) else o for body in stages.values() for o in body.get("outs", [])]
    return {(REPO / o).resolve() for o in outs if str(o).startswith("data/raw/")}


def copy_project(target: Path) -> Project:
    """A throwaway project: the inputs and notebooks of this checkout, empty outputs (also none of the
    demo exports a build of the checkout may have written into data/raw: the copy is the same
    whether the checkout was built or not)."""
    for name in ("params.yaml", "dvc.yaml"):
        shutil.copy2(REPO / name, target / name)
    generated = _generated_raw()

    def skip(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if (Path(folder) / n).resolve() in generated]

    shutil.copytree(REPO / "data" / "raw", target / "data" / "raw", ignore=skip)
    shutil.copytree(REPO / "notebooks", target / "notebooks")
    (target / "data" / "processed").mkdir(parents=True)
    (target / "reports").mkdir()
    return Project(target)


@pytest.fixture(scope="session", autouse=True)
def pseudonym_key(tmp_path_factory):
    """Tests never touch ~/.config: the pseudonymisation key comes from the environment."""
    old = os.environ.get("FINSAM_PSEUDONYM_KEY")
    os.environ["FINSAM_PSEUDONYM_KEY"] = TEST_KEY.hex()
    yield
    if old is None:
        os.environ.pop("FINSAM_PSEUDONYM_KEY", None)
    else:
        os.environ["FINSAM_PSEUDONYM_KEY"] = old


@pytest.fixture
def tmp_project(tmp_path) -> Project:
    return copy_project(tmp_path)


@pytest.fixture(scope="session")
def published_project(tmp_path_factory) -> Project:
    """A project copy with the published stage run."""
    from pipeline.stages import stage_published

    project = copy_project(tmp_path_factory.mktemp("published"))
    stage_published(project)
    return project


@pytest.fixture(scope="session")
def built_2022(published_project) -> Path:
    """Bilaga 1 for 2022 executed and rendered (HTML, PDF and DOCX) with the fallback renderer."""
    from pipeline.stages import stage_bilaga1

    return stage_bilaga1(published_project, 2022, ["html", "pdf", "docx"], use_quarto=False)


@pytest.fixture(scope="session")
def built_bilaga4(published_project) -> Path:
    """Bilaga 4 computed, executed and rendered (HTML and PDF) with the fallback renderer."""
    from pipeline.stages import stage_bilaga4, stage_malgrupp

    stage_malgrupp(published_project)
    return stage_bilaga4(published_project, ["html", "pdf"], use_quarto=False)


@pytest.fixture(scope="session")
def built_bilaga3(published_project) -> Path:
    """The 2016 enkät cleaned, and Bilaga 3 executed and rendered (HTML and PDF)."""
    from pipeline.stages import stage_bilaga3, stage_enkat

    stage_enkat(published_project, 2016)
    return stage_bilaga3(published_project, 2016, ["html", "pdf"], use_quarto=False)


@pytest.fixture(scope="session")
def register_project(published_project) -> Project:
    """Demo register exports for every year (reference population at 10 % of national scale),
    cleaned (2022 through the notebook stage, the other years by the same functions directly),
    and Tabell 1–6 counted from them."""
    import yaml

    from pipeline.sources.register import clean_register_year, save_register_year
    from pipeline.stages import stage_register, stage_register_demo, stage_register_tables

    params_path = published_project.root / "params.yaml"
    params = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    params["register"]["population_scale"] = 0.1
    params_path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    project = Project(published_project.root)
    stage_register_demo(project)
    for year in params["register"]["years"]:
        if year == 2022:
            stage_register(project, year)
        else:
            save_register_year(clean_register_year(project.raw / "register", year, years=params["register"]["years"]), year,
                      project.processed / "register" / str(year))
    stage_register_tables(project)
    return project


@pytest.fixture(scope="session")
def built_modeller(register_project) -> Path:
    """The Modellbilaga for 2022 from the demo register (10 % scale), in HTML, PDF and DOCX."""
    from pipeline.stages import stage_modeller, stage_models

    if not (register_project.processed / "models" / "2022" / "estimates.parquet").is_file():
        stage_models(register_project, 2022)
    return stage_modeller(register_project, 2022, ["html", "pdf", "docx"], use_quarto=False)


_IDENTIFIER_PATTERNS = {
    "snake_case identifier": re.compile(r"\b[a-zåäö]+(?:_[a-zåäö0-9]+)+\b", re.IGNORECASE),
    "placeholder": re.compile(r"‹[^›]*›|<år>|<year>|\{[a-z_]+\}|\$\{[^}]*\}"),
    "file path": re.compile(r"(?<![\w.])(?:data|pipeline|docs|notebooks|reports|tests|templates)/\S*|(?:[\w.-]+/){2,}[\w.<>-]+"
                            r"|\b[\w-]+\.(?:ya?ml|csv|py|parquet|ipynb|md|txt|lua|typ)\b"),
    "code name without å/ä/ö": re.compile(r"\b(?:aktivitetsersattning|pagaende|nyregistrerad|malgrupp|funktionsnedsattning|"
                                          r"ekonomiskt_bistand|sjukersattning|kalltabeller|avstamning|berakning)\b"),
}


def leftover_identifiers(text: str) -> list[tuple[str, str]]:
    """Code names, placeholders and file paths in reader-facing text: (kind, match)."""
    text = re.sub(r"https?://\S+", " ", text)
    return [(kind, m.group(0)) for kind, rx in _IDENTIFIER_PATTERNS.items() for m in rx.finditer(text)]


def html_reader_text(html: str) -> str:
    """What a reader of an HTML report sees or hears: text and alt texts, no markup, styles or data URIs."""
    import html as html_lib

    html = re.sub(r"<style.*?</style>|<script.*?</script>", " ", html, flags=re.S)
    alts = " ".join(re.findall(r'\balt="([^"]*)"', html))
    title = " ".join(re.findall(r"<title>(.*?)</title>", html, re.S))
    text = re.sub(r"<[^>]+>", " ", html)
    return norm(html_lib.unescape(" ".join([title, text, alts])))


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of a Word file, with its picture descriptions (alt text)."""
    import docx

    doc = docx.Document(str(path))
    words = [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    words += [s._inline.docPr.get("descr") or "" for s in doc.inline_shapes]
    words += [p.text for s in doc.sections for p in s.header.paragraphs]
    return norm(" ".join(words))


def report_texts(folder: Path, stem: str) -> dict[str, str]:
    """The reader-facing text of each built format of one report: {"html": …, "pdf": …, "docx": …}."""
    out = {}
    if (folder / f"{stem}.html").is_file():
        out["html"] = html_reader_text((folder / f"{stem}.html").read_text(encoding="utf-8"))
    if (folder / f"{stem}.pdf").is_file():
        out["pdf"] = " ".join(pdf_pages(folder / f"{stem}.pdf")).replace("\u00ad", "-")
    if (folder / f"{stem}.docx").is_file():
        out["docx"] = docx_text(folder / f"{stem}.docx")
    return out


def glossary_problems(folder: Path, stem: str) -> list[tuple[str, str, str, str]]:
    """(report, format, kind, words) for everything the glossary check strikes in a built report."""
    from pipeline.reports.glossary import load_glossary

    glossary = load_glossary()
    return [(stem, fmt, kind, words) for fmt, text in report_texts(folder, stem).items()
            for kind, words in glossary.problems(text)]
