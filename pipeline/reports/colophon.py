"""Provenance of a report: the colophon printed at the end of every HTML, PDF and DOCX.

The renderer appends it to every report, so each report says once, in the same words, when
and from what it was built: the build date, the project's version and commit, a checksum of
the report's input files, the parameters that matter and where the data come from.

The build date is not the wall clock (a rebuild must give the same bytes): it is
``$SOURCE_DATE_EPOCH`` when set, else the date of the commit the code was built from, else
the newest modification time among the input files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..core import fmt

PACKAGE_DIR = Path(__file__).resolve().parent

PUBLISHED = "publicerade uppgifter"
SYNTHETIC = "syntetiska demodata"
MICRODATA = "verkliga mikrodata"

DATA_SOURCE_TEXT = {
    PUBLISHED: "publicerade uppgifter ur källdokumenten (se Källor); inga mikrodata",
    SYNTHETIC: "syntetiska demodata, framtagna av projektet – inte verkliga uppgifter",
    MICRODATA: "verkliga mikrodata (registeruppgifter eller enkätsvar), pseudonymiserade och röjandekontrollerade",
}

# Parameters (params.yaml, dotted keys) that change what a report shows, with Swedish labels.
REPORT_PARAMETERS: dict[str, tuple[tuple[str, str], ...]] = {
    "bilaga1": (("report.source", "Datakälla för tabellerna"),
                ("reconciliation.rounding_slack", "Avrundningsmarginal i avstämningen (enheter i sista siffran)"),
                ("disclosure.min_cell_count", "Minsta antal i en redovisad cell")),
    "modeller": (("disclosure.min_cell_count", "Minsta antal i en redovisad cell"),
                 ("register.demo_seed", "Slumpfrö för demodata")),
    "bilaga3": (),
    "bilaga4": (("bilaga4.area", "Område"), ("bilaga4.population", "Befolkning i arbetsför ålder"),
                ("reconciliation.rounding_slack", "Avrundningsmarginal i avstämningen (enheter i sista siffran)")),
    "forbundsbilaga": (("disclosure.min_cell_count", "Minsta antal i en redovisad cell"),
                       ("register.demo_seed", "Slumpfrö för demodata")),
    "jamforelse": (("disclosure.min_cell_count", "Minsta antal i en redovisad cell"),
                   ("register.demo_seed", "Slumpfrö för demodata")),
    "indikatorrapport": (("disclosure.min_cell_count", "Minsta antal svar i en redovisad uppgift"),
                         ("indikator.demo_seed", "Slumpfrö för demodata")),
    "indikatorbilaga": (("disclosure.min_cell_count", "Minsta antal svar i en redovisad uppgift"),
                        ("indikator.demo_seed", "Slumpfrö för demodata")),
}
_SOURCE_WORDS = {"published": "publicerade uppgifter", "microdata": "mikrodata"}


@dataclass(frozen=True)
class Provenance:
    built: dt.date
    built_basis: str  # Swedish: what the date is
    version: str
    commit: str | None
    dirty: bool
    inputs_sha256: str
    inputs_count: int
    data_source: str  # PUBLISHED, SYNTHETIC or MICRODATA
    parameters: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    index_link: str = "../../index.html"

    @property
    def epoch(self) -> int:
        return int(dt.datetime(self.built.year, self.built.month, self.built.day, tzinfo=dt.timezone.utc).timestamp())

    def markdown(self) -> str:
        """The colophon as a Markdown section (Swedish)."""
        commit = "okänd (inte byggd ur ett git-arkiv)" if self.commit is None else self.commit
        if self.commit and self.dirty:
            commit += ", med lokala ändringar som inte är incheckade"
        lines = [
            "## Om rapportens framställning",
            "",
            f"- **Byggd:** {self.built.isoformat()} ({self.built_basis}).",
            f"- **Programversion:** finsam-pipeline {self.version}, incheckning {commit}.",
            f"- **Indata:** kontrollsumma SHA-256 {self.inputs_sha256[:16]} över "
            f"{fmt.number(self.inputs_count)} indatafiler.",
            f"- **Datakälla:** {DATA_SOURCE_TEXT[self.data_source]}.",
        ]
        if self.parameters:
            lines.append("- **Parametrar:** " + "; ".join(f"{k} {v}" for k, v in self.parameters) + ".")
        lines += ["", f"[← Alla bilagor och år]({self.index_link})", ""]
        return "\n".join(lines)


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_state(*folders: Path) -> tuple[str | None, int | None, bool]:
    """(short commit, commit time, dirty) of the first folder that is inside a git work tree."""
    for folder in folders:
        if not folder.is_dir():
            continue
        line = _git(["log", "-1", "--format=%h %ct", "--abbrev=12"], folder)
        if line:
            commit, epoch = line.split()
            # dvc.lock is the build's own record, rewritten by every build: not a change to the program
            status = _git(["status", "--porcelain", "--untracked-files=no", "--", ".", ":(top,exclude)dvc.lock"],
                          folder)
            return commit, int(epoch), bool(status)
    return None, None, False


def input_files(paths: list[Path]) -> list[Path]:
    """Every file under ``paths`` (files and folders), sorted, without caches."""
    out: set[Path] = set()
    for p in paths:
        if p.is_file():
            out.add(p)
        elif p.is_dir():
            out.update(f for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts
                       and not f.name.startswith("."))
    return sorted(out)


def hash_inputs(paths: list[Path]) -> tuple[str, int, float | None]:
    """(SHA-256 over names and bytes, number of files, newest modification time)."""
    h = hashlib.sha256()
    newest, count = None, 0
    for root in sorted(paths):
        for f in input_files([root]):
            count += 1
            h.update(f.relative_to(root.parent).as_posix().encode("utf-8") + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
            newest = max(newest or 0.0, f.stat().st_mtime)
    return h.hexdigest(), count, newest


def _lookup(params: dict[str, Any], dotted: str) -> Any:
    value: Any = params
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _show(value: Any, dotted: str = "") -> str:
    if dotted.endswith("seed"):
        return str(value)
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, (int, float)):
        return fmt.number(value, 0 if float(value).is_integer() else len(repr(float(value)).split(".")[1]))
    return _SOURCE_WORDS.get(str(value), str(value))


def report_parameters(report: str, params: dict[str, Any], notebook_parameters: dict[str, Any]) -> tuple:
    """The parameters that matter for ``report`` (a key such as ``bilaga1``), as (label, value)."""
    out = []
    if "year" in notebook_parameters:
        out.append(("År", str(notebook_parameters["year"])))
    microdata = notebook_parameters.get("source") in ("microdata", "survey")  # counted from answers too
    for dotted, label in REPORT_PARAMETERS.get(report, ()):
        if dotted.startswith("disclosure.") and not microdata:
            continue  # disclosure control applies to tables counted from microdata only
        if dotted == "report.source":
            value = notebook_parameters.get("source")
        else:
            value = _lookup(params, dotted)
        if value is not None:
            out.append((label, _show(value, dotted)))
    return tuple(out)


def collect(report: str, root: Path, params: dict[str, Any], notebook: Path,
            notebook_parameters: dict[str, Any]) -> Provenance:
    """Gather the provenance of one report: ``notebook`` is the report's source notebook and
    ``notebook_parameters`` what papermill injected (pipeline/reports/contract.py: its
    ``inputs`` are the input folders; ``source`` and ``synthetic`` were decided by the stage)."""
    inputs = [notebook] + [Path(v) for v in (notebook_parameters.get("inputs") or {}).values()
                           if isinstance(v, str) and v and Path(v).exists()]
    digest, count, newest = hash_inputs(inputs)
    commit, commit_time, dirty = git_state(root, PACKAGE_DIR)
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        epoch, basis = int(env), "fast byggdatum som angavs när bilagan byggdes"
    elif commit_time is not None:
        epoch, basis = commit_time, "datum för programmets senaste incheckning, så att en ombyggnad ger samma filer"
    else:
        epoch, basis = int(newest or 0), "datum för de senast ändrade indata"
    microdata = notebook_parameters.get("source", "published") != "published"
    source = SYNTHETIC if notebook_parameters.get("synthetic") else (MICRODATA if microdata else PUBLISHED)
    return Provenance(
        built=dt.datetime.fromtimestamp(epoch, dt.timezone.utc).date(), built_basis=basis, version=__version__,
        commit=commit, dirty=dirty, inputs_sha256=digest, inputs_count=count, data_source=source,
        parameters=report_parameters(report, params, notebook_parameters),
    )
