"""Every participating förbund's Indikatorbilaga, every year, in one process on warm kernels.

The batch machinery is the Förbundsbilagor's (:mod:`pipeline.reports.forbund_build`: a pool of warm
kernels, a checksum per report so that unchanged reports are not rebuilt, the input written beside
the report). Here only the plan differs: which förbund answered which year, and what a report's
own input holds – the förbund's and the nation's figures of every year up to the report's, its
funnel positions, the indicator names, and its own open answers of the year (never another's).
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Sequence

import pandas as pd

from . import contract
from .contract import SURVEY
from .forbund_build import INPUT_DIR, Job, _digest, _frame_bytes, check_names, code_digest
from .forbund_figures import available, slugs
from .indikatorrapport import NATIONAL, write_unit_file

NOTEBOOK = "indikatorbilaga.ipynb"
DIR = "indikator"  # reports/indikator/<slug>/<year>/
SHARED = ("indikatorer", "brott", "unit")  # tables every förbund report gets whole


def own_tables(tables: dict[str, pd.DataFrame], forbund: str, year: int,
               fritext: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """What one förbund's report of ``year`` may see: its rows and the nation's up to that year, its
    funnel rows of the year, the shared tables, and its own open answers of the year."""
    a = tables["andelar"]
    out = {"andelar": a[a["forbund"].isin([forbund, NATIONAL]) & (a["year"] <= year)]}
    tratt = tables.get("tratt")
    if tratt is not None and not tratt.empty:
        out["tratt"] = tratt[(tratt["forbund"] == forbund) & (tratt["year"] == year)]
    for name in SHARED:
        if name in tables:
            out[name] = tables[name]
    if fritext is not None:
        out["fritext"] = fritext[(fritext["forbund"] == forbund) & (fritext["year"] == year)]
    return out


class _Canonical:
    """What :func:`~pipeline.reports.forbund_build._frame_bytes` gives for a table's row subsets (the
    rows sorted on their first seven columns, as CSV), from one sort and one CSV of the whole table:
    a subset's lines in the whole table's order are the subset sorted (the sort is stable), so a
    report's checksum costs a lookup instead of a sort and a CSV of its own (0,06 s a report,
    docs/performance.md). A table whose text holds line breaks takes the slow way, per subset."""

    def __init__(self, table: pd.DataFrame):
        self.table = table
        ordered = table.sort_values(list(table.columns[:7])) if len(table.columns) else table
        header, *lines = ordered.to_csv(index=False, float_format="%.10g").split("\n")
        self.lines = None
        if lines and lines[-1] == "" and len(lines) == len(table) + 1:  # one line per row: no line breaks in the text
            self.header = header
            self.lines = pd.Series(lines[:-1], index=ordered.index)
            self.order = pd.Series(range(len(ordered)), index=ordered.index)

    def bytes(self, subset: pd.DataFrame) -> bytes:
        if not len(subset.columns):
            return b""
        if self.lines is None or subset.columns.tolist() != self.table.columns.tolist():
            return _frame_bytes(subset)
        rows = self.lines[self.order[subset.index].sort_values().index]
        return "\n".join([self.header, *rows, ""]).encode()


def _write(folder: Path, frames: dict[str, pd.DataFrame], forbund: str, threshold: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.reset_index(drop=True).to_parquet(folder / f"{name}.parquet", index=False)
    write_unit_file(folder, forbund, threshold)


def plan_indikator_reports(tables: dict[str, pd.DataFrame], fritext: pd.DataFrame | None, notebooks: Path,
                           reports: Path, years: list[int], chosen: list[str] | None, formats: list[str],
                           synthetic: bool, threshold: int, code_files: Sequence[Path] = ()) -> list[Job]:
    """One job per förbund × year it answered (``chosen``: only these förbund; an unknown name stops
    with the nearest one). A report's checksum covers its own input, the notebook and ``code_files``
    (the stage's code dependencies as the engine computes them for DVC), the formats and settings."""
    taking = tables["forbund"]
    names = sorted(taking["forbund"].unique())
    if chosen:
        check_names(chosen, names, "the förbund that answered the indicator surveys")
        names = [n for n in names if n in chosen]
    folder = slugs(names)
    settings = json.dumps({"formats": sorted(formats), "synthetic": synthetic, "threshold": threshold}).encode()
    code = code_digest([notebooks / NOTEBOOK, *code_files]).encode()
    suffix = " · Syntetiska data – inte verkliga uppgifter" if synthetic else ""
    words = " (syntetiska data)" if synthetic else ""
    canonical = {n: _Canonical(t) for n, t in [*tables.items(), ("fritext", fritext)] if t is not None}
    jobs = []
    for year in years:
        for name in sorted(taking.loc[taking["year"] == year, "forbund"]):
            if name not in folder:
                continue
            frames = own_tables(tables, name, year, fritext)
            key = _digest(*(canonical[n].bytes(f) for n, f in frames.items()), code, settings,
                          str(year).encode(), name.encode())
            jobs.append(Job("indikatorbilaga", year, reports / DIR / folder[name] / str(year), f"indikatorbilaga_{year}",
                            notebooks / NOTEBOOK, contract.parameters(year, {}, SURVEY, synthetic), key,
                            f"{name}, {year}{words}", f"Indikatorbilaga {name} – {year}{suffix}", unit=name,
                            index_link="../../../index.html", threshold=threshold,
                            write_input=partial(_write, frames=frames, forbund=name, threshold=threshold),
                            input_name="indikator"))
    return jobs


__all__ = ["plan_indikator_reports", "own_tables", "available", "INPUT_DIR", "DIR"]


def open_answers(cleaned: dict[int, Path]) -> pd.DataFrame | None:
    """The scrubbed open answers of every year (``fritext.parquet`` of the cleaning, year → folder); None if none."""
    frames = [pd.read_parquet(p) for _, f in sorted(cleaned.items()) if (p := Path(f) / "fritext.parquet").is_file()]
    return pd.concat(frames, ignore_index=True) if frames else None
