"""Shared fixtures. Report builds run in a temporary copy of the project, never in the checkout."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.config import Project

REPO = Path(__file__).resolve().parents[1]
SHARED_SEEDS = REPO.parent / "shared" / "seeds"
GROUND_TRUTH = REPO / "tests" / "backtests" / "ground_truth"
NB = "\u00a0"


def norm(text: str) -> str:
    """Text with no-break spaces and runs of white space as single spaces (for comparisons)."""
    return re.sub(r"\s+", " ", text.replace(NB, " "))


def pdf_pages(path: Path) -> list[str]:
    """The normalised text of each page of a PDF."""
    from pypdf import PdfReader

    return [norm(page.extract_text()) for page in PdfReader(path).pages]


def copy_project(target: Path) -> Project:
    """A throwaway project: the inputs and notebooks of this checkout, empty outputs."""
    for name in ("params.yaml", "dvc.yaml"):
        shutil.copy2(REPO / name, target / name)
    shutil.copytree(REPO / "data" / "raw", target / "data" / "raw")
    shutil.copytree(REPO / "notebooks", target / "notebooks")
    (target / "data" / "processed").mkdir(parents=True)
    (target / "reports").mkdir()
    return Project(target)


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
    """Bilaga 1 for 2022 executed and rendered (HTML and PDF) with the fallback renderer."""
    from pipeline.stages import stage_bilaga1

    return stage_bilaga1(published_project, 2022, ["html", "pdf"], use_quarto=False)


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
