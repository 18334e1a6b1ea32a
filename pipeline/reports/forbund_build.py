"""Build every förbund's Förbundsbilaga and the comparison pages in one process, on warm kernels.

One stage builds all förbund × years (80 × 7 in the demo): a kernel start and the heavy imports are
paid once per pool kernel (:mod:`pipeline.reports.kernels`), not once per report, and the colophon's
facts (git state, input checksum) once per batch. Each report is still a papermill-executed
notebook whose executed copy is kept.

A rebuild does only what changed: every report folder holds a stamp (``.stamp.json``) with a
checksum of exactly what the report shows (its förbund's figures of that year and the nation's),
the stage's code dependencies as the engine computes them for DVC (no list of our own) and the
settings; a report whose checksum is unchanged is not executed again (``force``: every report is). So when one förbund's data change, DVC reruns this stage (its input file
changed) and the stage rebuilds that förbund's reports and the comparison pages, nothing else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from ..core.io import atomic_dir, write_text_atomic
from ..core.progress import track
from . import contract
from .colophon import Place
from .contract import MICRODATA
from .forbund_figures import NATIONAL, check_names, slugs, units, write_forbund_input

log = logging.getLogger(__name__)

FORBUND_NOTEBOOK = "forbundsbilaga.ipynb"
COMPARISON_NOTEBOOK = "forbund_jamforelse.ipynb"
STAMP = ".stamp.json"
INPUT_DIR = "indata"  # a förbund report's own figures, beside it
FORBUND_DIR = "forbund"  # reports/forbund/<slug>/<year>/
COMPARISON_DIR = "jamforelse"  # reports/jamforelse/<year>/
@dataclass(eq=False)
class Job:
    kind: str  # "forbund" or "jamforelse"
    year: int
    final: Path
    stem: str
    notebook: Path
    parameters: dict[str, Any]
    key: str
    subtitle: str
    header: str
    unit: str | None = None
    index_link: str = "../../index.html"
    place: Place | None = None  # where it lives and what it links to (its other formats and years)
    figures: pd.DataFrame | None = None  # a förbund report's own input (its förbund and the nation, one year)
    threshold: int = 5
    # Another family's own input: writes it into the folder given (instead of ``figures``), named
    # ``input_name`` among the notebook's inputs.
    write_input: Callable[[Path], Any] | None = None
    input_name: str = "forbund"

    @property
    def own_input(self) -> bool:
        return self.figures is not None or self.write_input is not None


@dataclass
class Outcome:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per report: executing + rendering
    executing: list[float] = field(default_factory=list)
    rendering: list[float] = field(default_factory=list)
    pool_start: float = 0.0


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "big"))
        h.update(p)
    return h.hexdigest()


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    frame = frame.sort_values(list(frame.columns[:7])).reset_index(drop=True)
    return frame.to_csv(index=False, float_format="%.10g").encode()


def code_digest(files: Sequence[Path]) -> str:
    """A checksum of the code a report is made by: the files (and folders, e.g. templates) the
    engine found as the stage's import closure and notebooks (pipeline.engine.code_deps)."""
    parts = []
    for f in sorted(Path(p) for p in files):
        for one in ([f] if f.is_file() else sorted(p for p in f.rglob("*") if p.is_file() and "__pycache__" not in p.parts)):
            parts += [one.as_posix().encode(), one.read_bytes()]
    return _digest(*parts)


def is_current(job: Job, formats: list[str]) -> bool:
    stamp = job.final / STAMP
    if not stamp.is_file():
        return False
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8")).get("key")
    except (OSError, ValueError):
        return False
    return recorded == job.key and all((job.final / f"{job.stem}.{k}").is_file() for k in [*formats, "ipynb"])


def plan_forbund_reports(figures: pd.DataFrame, figures_dir: Path, notebooks: Path, reports: Path, years: list[int],
                         chosen: list[str] | None, formats: list[str], synthetic: bool, threshold: int,
                         comparison: bool = True, code_files: Sequence[Path] = (),
                         settings: dict[str, Any] | None = None) -> list[Job]:
    """Every report of the batch with its checksum; ``chosen`` limits it to these förbund (no comparison pages).

    A report's checksum covers what it shows: its förbund's figures of the year and the nation's,
    ``code_files`` (the stage's code dependencies as the engine computes them for DVC: its import
    closure, templates and both notebooks), the formats, the synthetic flag, the threshold and
    ``settings`` (the stage's declared settings that reach the page)."""
    from ..core.errors import ConfigError

    names = units(figures)
    if chosen:
        check_names(chosen, names, str(figures_dir))
        names = [n for n in names if n in chosen]
    folder = slugs(names)
    settings = json.dumps({"formats": sorted(formats), "synthetic": synthetic, "threshold": threshold,
                           "settings": settings or {},
                           "years": sorted(years)}, sort_keys=True, default=str).encode()
    code = {nb: code_digest([notebooks / nb, *code_files]).encode() for nb in (FORBUND_NOTEBOOK, COMPARISON_NOTEBOOK)}
    suffix = " · Syntetiska data – inte verkliga uppgifter" if synthetic else ""
    words = " (syntetiska data)" if synthetic else ""
    jobs: list[Job] = []
    by_year = {y: f for y, f in figures.groupby("year")}
    for year in years:
        f = by_year.get(year)
        if f is None:
            raise ConfigError(f"{figures_dir}: no förbund figures for {year} (years in params.yaml register.years)")
        national = _frame_bytes(f[f["unit"] == NATIONAL])
        per_unit = {u: g for u, g in f.groupby("unit")}
        for name in names:
            g = per_unit.get(name)
            if g is None:
                raise ConfigError(f"{figures_dir}: no figures for {name!r} in {year}")
            key = _digest(_frame_bytes(g), national, code[FORBUND_NOTEBOOK], settings, str(year).encode(), name.encode())
            jobs.append(Job("forbundsbilaga", year, reports / FORBUND_DIR / folder[name] / str(year),
                            f"forbundsbilaga_{year}", notebooks / FORBUND_NOTEBOOK,
                            contract.parameters(year, {}, MICRODATA, synthetic),  # its input is written beside it
                            key, f"{name}, {year} – från mikrodata{words}", f"Förbundsbilaga {name} – {year}{suffix}",
                            unit=name, index_link="../../../index.html",
                            place=Place(f"{FORBUND_DIR}/{folder[name]}/{year}", f"forbundsbilaga_{year}", year,
                                        tuple((y, f"{FORBUND_DIR}/{folder[name]}/{y}", f"forbundsbilaga_{y}")
                                              for y in years),
                                        (f"{COMPARISON_DIR}/{year}", f"jamforelse_{year}")),
                            figures=pd.concat([g, f[f["unit"] == NATIONAL]], ignore_index=True), threshold=threshold))
        if comparison and not chosen:
            key = _digest(_frame_bytes(f), code[COMPARISON_NOTEBOOK], settings, str(year).encode())
            jobs.append(Job("jamforelse", year, reports / COMPARISON_DIR / str(year), f"jamforelse_{year}",
                            notebooks / COMPARISON_NOTEBOOK,
                            contract.parameters(year, {"forbund": figures_dir}, MICRODATA, synthetic),
                            key, f"Alla förbund, {year} – från mikrodata{words}", f"Förbunden sida vid sida – {year}{suffix}",
                            place=Place(f"{COMPARISON_DIR}/{year}", f"jamforelse_{year}", year,
                                        tuple((y, f"{COMPARISON_DIR}/{y}", f"jamforelse_{y}") for y in years))))
    return jobs


def _build_one(job: Job, pool, formats: list[str], provenance, use_quarto: bool | None, params: dict[str, Any],
               root: Path) -> tuple[float, float]:
    """Execute and render one report; returns (seconds executing, seconds rendering)."""
    import nbformat

    from . import render
    from .colophon import hash_inputs, report_parameters

    start = time.perf_counter()
    with atomic_dir(job.final) as tmp:
        executed = tmp / f"{job.stem}.ipynb"
        parameters = job.parameters
        name = job.input_name
        if job.own_input:  # the report's exact input, kept beside it (readers can check every number)
            data = tmp / INPUT_DIR
            if job.write_input is not None:
                job.write_input(data)
            else:
                write_forbund_input(data, job.figures, job.unit, job.threshold)
            parameters = parameters | {"inputs": {name: str((job.final / INPUT_DIR).resolve())}}
            runtime = parameters | {"inputs": {name: str(data.resolve())}}
        else:
            runtime = parameters
        render.execute_notebook(job.notebook, executed, parameters=runtime, cwd=tmp, pool=pool, save_each_cell=False)
        executing = time.perf_counter() - start
        nb = nbformat.read(executed, as_version=4)
        if runtime is not parameters:  # the kept notebook names the input where it stays, not the temporary folder
            for cell in nb.cells:
                if "injected-parameters" in cell.metadata.get("tags", []):
                    cell.source = cell.source.replace(runtime["inputs"][name], parameters["inputs"][name])
            nb.metadata["papermill"]["parameters"] = parameters
        render.set_front_matter(nb, {"subtitle": job.subtitle})
        digest, count, _ = hash_inputs([job.notebook, tmp / INPUT_DIR] if job.own_input
                                       else [job.notebook, Path(job.parameters["inputs"][name])])
        own = dataclasses.replace(provenance, index_link=job.index_link, place=job.place, inputs_sha256=digest,
                                  inputs_count=count,
                                  parameters=report_parameters(job.kind, params, parameters)
                                  + ((("Förbund", job.unit),) if job.unit else ()))
        render.render_notebook(executed, formats, header_text=job.header, use_quarto=use_quarto, root=root,
                               provenance=own, nb=nb)  # written there, once
        write_text_atomic(tmp / STAMP, json.dumps({"key": job.key, "year": job.year, "unit": job.unit}) + "\n")
    return executing, time.perf_counter() - start - executing


def render_reports(jobs: list[Job], formats: list[str], root: Path, params: dict[str, Any], pool_size: int = 2,
                   use_quarto: bool | None = None, force: bool = False) -> Outcome:
    """Run the jobs whose checksum changed (all with ``force``) on one pool of warm kernels; each
    worker executes a notebook on a kernel and then renders it (pandoc) while the other kernel works."""
    from .colophon import collect
    from .kernels import KernelPool
    from .render import RenderError

    outcome = Outcome()
    todo = [j for j in jobs if force or not is_current(j, formats)]
    outcome.skipped = [str(j.final) for j in jobs if j not in todo]
    if not todo:
        return outcome
    base = collect(todo[0].kind, root, params, todo[0].notebook, todo[0].parameters)  # git asked once
    start = time.perf_counter()
    failures = []
    with KernelPool(size=max(1, min(pool_size, len(todo)))) as pool:
        outcome.pool_start = time.perf_counter() - start

        def one(job: Job):
            try:
                return job, _build_one(job, pool, formats, base, use_quarto, params, root), None
            except Exception as exc:  # every report runs; the failures are listed together
                return job, (0.0, 0.0), f"{job.final}: {exc}"

        with ThreadPoolExecutor(pool.size) as workers:
            for job, seconds, error in track(workers.map(one, todo), len(todo), "förbundsrapporter"):
                if error:
                    failures.append(error)
                else:
                    outcome.built.append(str(job.final))
                    outcome.seconds[str(job.final)] = sum(seconds)
                    outcome.executing.append(seconds[0])
                    outcome.rendering.append(seconds[1])
    if failures:
        raise RenderError(f"{len(failures)} of {len(todo)} förbund reports failed:\n" + "\n".join(f"- {e}" for e in failures))
    return outcome


def remove_others(reports: Path, jobs: list[Job], tops: tuple[str, ...] = (FORBUND_DIR, COMPARISON_DIR)) -> list[Path]:
    """Report folders (under ``tops``) of förbund or years no longer configured (a full build only)."""
    keep = {j.final.resolve() for j in jobs}
    removed = []
    for top in (reports / t for t in tops):
        if not top.is_dir():
            continue
        for folder in sorted(p for p in top.rglob(STAMP)):
            if folder.parent.resolve() not in keep:
                shutil.rmtree(folder.parent)
                removed.append(folder.parent)
    return removed
