"""Provenance of a report: the colophon printed at the end of every HTML, PDF and DOCX.

The renderer appends it to every report, so each report says once, in the same words, when
and from what it was built: the build date, the project's version and commit, a checksum of
the report's input files, the parameters that matter and where the data come from.

The build date is the day the report was built (UTC), or ``$SOURCE_DATE_EPOCH`` when set; the
program version's own date (the commit's) is given beside the version. A rebuild gives the same
bytes when it is built from the same inputs on the same day (or with the same
``$SOURCE_DATE_EPOCH``): the date is a day, not a time, and nothing else depends on the clock.

Each report also says where it lives (:class:`Place`): the HTML links to its other formats, its
other years and (förbund) the comparison page, relative to itself, so a copied folder of reports
keeps working offline; the PDF and Word files, which are sent on alone, carry absolute addresses
under ``report.base_url`` (params.yaml) or, without one, a plain statement of where the report is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import posixpath
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..core import fmt
from ..core.catalogue import FAMILIES
from ..core.config import setting_label

PACKAGE_DIR = Path(__file__).resolve().parent

PUBLISHED = "publicerade uppgifter"
SYNTHETIC = "syntetiska demodata"
MICRODATA = "verkliga mikrodata"

DATA_SOURCE_TEXT = {
    PUBLISHED: "publicerade uppgifter ur källdokumenten (se Källor); inga mikrodata",
    SYNTHETIC: "syntetiska demodata, framtagna av projektet – inte verkliga uppgifter",
    MICRODATA: "verkliga mikrodata (registeruppgifter eller enkätsvar), pseudonymiserade och röjandekontrollerade",
}

_SOURCE_WORDS = {"published": "publicerade uppgifter", "microdata": "mikrodata"}


FORMAT_WORDS = {"html": "webbsida", "pdf": "PDF", "docx": "Word", "ipynb": "Jupyter-anteckningsbok"}
# What a reader is told where a PDF or Word file has no web address to point to.
NO_ADDRESS = ("Filen har ingen inskriven webbadress. Bilagan ingår i en samling där förteckningen "
              "index.html i samlingens översta mapp länkar till alla bilagor, format och år.")


@dataclass(frozen=True)
class Place:
    """Where a report lives under reports/ and which reports it links to.

    ``folder`` is the report's folder relative to reports/ (``2022/bilaga1``,
    ``forbund/samordningsforbund-07/2022``), ``stem`` its file name without extension; ``years``
    the same report in every configured year as (year, folder, stem); ``comparison`` the
    comparison page of the same year as (folder, stem), for a förbund report.
    """

    folder: str
    stem: str
    year: int
    years: tuple[tuple[int, str, str], ...] = ()
    comparison: tuple[str, str] | None = None

    def relative(self, folder: str, name: str) -> str:
        """``folder/name`` as a link from this report's folder."""
        return posixpath.relpath(posixpath.join(folder, name), self.folder)

    def links(self, formats: list[str], base_url: str = "") -> dict[str, list[tuple[str, str]]]:
        """(label, href) of the report's other formats, other years, the comparison page and the
        index: relative without ``base_url``, absolute under it with one."""
        def href(folder: str, name: str) -> str:
            return base_url + posixpath.join(folder, name) if base_url else self.relative(folder, name)

        kinds = [k for k in ("html", "pdf", "docx") if k in formats] + ["ipynb"]
        return {
            "format": [(FORMAT_WORDS[k], href(self.folder, f"{self.stem}.{k}")) for k in kinds],
            "year": [(str(y), href(f, f"{stem}.html")) for y, f, stem in self.years if y != self.year],
            "comparison": ([(f"Alla förbund sida vid sida {self.year}", href(*self._comparison_file()))]
                           if self.comparison else []),
            "index": [("Alla bilagor och år", href("", "index.html"))],
        }

    def _comparison_file(self) -> tuple[str, str]:
        folder, stem = self.comparison
        return folder, f"{stem}.html"

    def html_navigation(self, formats: list[str]) -> str:
        """The links on top of the HTML report (relative: a copied folder keeps working)."""
        import html as html_lib

        links = self.links(formats)

        def items(pairs, own=None):
            return "".join(f'<li><a href="{html_lib.escape(h)}"'
                           + (f' aria-label="{html_lib.escape(own(label))}"' if own else "")
                           + f">{html_lib.escape(label)}</a></li>" for label, h in pairs)

        parts = [f'<ul class="lankar">{items(links["index"] + links["comparison"])}</ul>']
        others = [(label, h) for label, h in links["format"] if not h.endswith(".html")]
        if others:
            parts.append('<div class="lankgrupp"><span id="nav-format">Andra format:</span> '
                         '<ul class="lankar" aria-labelledby="nav-format">' + items(others) + "</ul></div>")
        if links["year"]:
            parts.append('<div class="lankgrupp"><span id="nav-ar">Andra år:</span> '
                         '<ul class="lankar" aria-labelledby="nav-ar">'
                         + items(links["year"], lambda y: f"Bilagan för {y}") + "</ul></div>")
        return "\n".join(parts)

    def print_markdown(self, formats: list[str], base_url: str) -> list[str]:
        """Colophon lines of a PDF or Word file: absolute links, or a plain statement."""
        if not base_url:
            return [f"- **Var bilagan finns:** {NO_ADDRESS}"]
        links = self.links(formats, base_url)
        join = ", ".join
        lines = ["- **Var bilagan finns:** " + join(f"[{label}]({h})" for label, h in links["format"]) + "."]
        if links["year"]:
            lines.append("- **Samma bilaga för andra år:** " + join(f"[{y}]({h})" for y, h in links["year"]) + ".")
        for label, h in links["comparison"] + links["index"]:
            lines.append(f"- **{label}:** [{h}]({h})")
        return lines


def national_place(report: str, year: int, params: dict[str, Any]) -> Place:
    """The Place of a national report: reports/<year>/<report>/<report>_<year>, with the years
    params.yaml builds it for."""
    years = {"bilaga1": params.get("years"), "modeller": _lookup(params, "register.years"),
             "bilaga3": _lookup(params, "enkat.years"), "bilaga4": [_lookup(params, "bilaga4.year")]}.get(report)
    years = sorted({int(y) for y in (years or []) if y is not None} | {int(year)})
    return Place(f"{year}/{report}", f"{report}_{year}", int(year),
                 tuple((y, f"{y}/{report}", f"{report}_{y}") for y in years))


def base_url(params: dict[str, Any]) -> str:
    """params.yaml ``report.base_url`` with exactly one trailing slash ("" when not set)."""
    value = str(_lookup(params, "report.base_url") or "").strip()
    return value.rstrip("/") + "/" if value else ""


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
    version_date: dt.date | None = None  # the commit's date: when the program version was made
    place: Place | None = None
    base_url: str = ""  # params.yaml report.base_url, with a trailing slash

    @property
    def epoch(self) -> int:
        return int(dt.datetime(self.built.year, self.built.month, self.built.day, tzinfo=dt.timezone.utc).timestamp())

    def markdown(self, formats: list[str] | None = None, printed: bool = False) -> str:
        """The colophon as a Markdown section (Swedish). ``printed``: for a PDF or Word file, whose
        links must work once the file is sent on (absolute, or a plain statement)."""
        commit = "okänd (inte byggd ur ett git-arkiv)" if self.commit is None else self.commit
        if self.commit and self.version_date is not None:
            commit += f" från {self.version_date.isoformat()}"
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
        if printed:
            if self.place is not None:
                lines += self.place.print_markdown(formats or [], self.base_url)
            else:
                lines.append(f"- **Var bilagan finns:** {NO_ADDRESS}")
            return "\n".join(lines + [""])
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


def _setting_text(value: Any, dotted: str = "") -> str:
    if dotted.endswith("seed"):
        return str(value)
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, (int, float)):
        return fmt.number(value, 0 if float(value).is_integer() else len(repr(float(value)).split(".")[1]))
    return _SOURCE_WORDS.get(str(value), str(value))


def report_parameters(report: str, params: dict[str, Any], notebook_parameters: dict[str, Any]) -> tuple:
    """The parameters that matter for ``report`` (a family such as ``bilaga1``), as (label, value): the
    settings its family lists (``FAMILIES[report].colophon``, pipeline/core/catalogue.py), labelled by
    the settings model (``config.setting_label``) unless the family words the label itself."""
    out = []
    if "year" in notebook_parameters:
        out.append(("År", str(notebook_parameters["year"])))
    microdata = notebook_parameters.get("source") in ("microdata", "survey")  # counted from answers too
    family = FAMILIES.get(report)
    own = dict(family.colophon_labels) if family else {}
    for dotted in family.colophon if family else ():
        label = own.get(dotted) or setting_label(dotted)
        if dotted.startswith("disclosure.") and not microdata:
            continue  # disclosure control applies to tables counted from microdata only
        if dotted == "report.source":
            value = notebook_parameters.get("source")
        else:
            value = _lookup(params, dotted)
        if value is not None:
            out.append((label, _setting_text(value, dotted)))
    return tuple(out)


def collect(report: str, root: Path, params: dict[str, Any], notebook: Path,
            notebook_parameters: dict[str, Any]) -> Provenance:
    """Gather the provenance of one report: ``notebook`` is the report's source notebook and
    ``notebook_parameters`` what papermill injected (pipeline/reports/contract.py: its
    ``inputs`` are the input folders; ``source`` and ``synthetic`` were decided by the stage)."""
    inputs = [notebook] + [Path(v) for v in (notebook_parameters.get("inputs") or {}).values()
                           if isinstance(v, str) and v and Path(v).exists()]
    digest, count, _ = hash_inputs(inputs)
    commit, commit_time, dirty = git_state(root, PACKAGE_DIR)
    built, basis = build_date()
    microdata = notebook_parameters.get("source", "published") != "published"
    source = SYNTHETIC if notebook_parameters.get("synthetic") else (MICRODATA if microdata else PUBLISHED)
    year = notebook_parameters.get("year")
    place = national_place(report, int(year), params) if year is not None and report in _NATIONAL else None
    return Provenance(
        built=built, built_basis=basis, version=__version__, commit=commit, dirty=dirty,
        inputs_sha256=digest, inputs_count=count, data_source=source,
        parameters=report_parameters(report, params, notebook_parameters),
        version_date=None if commit_time is None else dt.datetime.fromtimestamp(commit_time, dt.timezone.utc).date(),
        place=place, base_url=base_url(params),
    )


_NATIONAL = ("bilaga1", "modeller", "bilaga3", "bilaga4")
BUILT_BASIS = "datum enligt UTC"


def build_date(now: dt.datetime | None = None) -> tuple[dt.date, str]:
    """(the build date, what it is in Swedish): ``$SOURCE_DATE_EPOCH``'s day when set, else today (UTC)."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        day = dt.datetime.fromtimestamp(int(env), dt.timezone.utc).date()
    else:
        day = (now or dt.datetime.now(dt.timezone.utc)).date()
    # The same words either way: a rebuild pinned to the first build's day gives the same bytes.
    return day, BUILT_BASIS
