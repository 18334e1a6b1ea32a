"""Benchmark: the förbund reports (Förbundsbilaga per förbund and year, comparison page per year).

What it measures, in one run, on the förbund figures (``data/processed/forbund/figures.parquet`` of
a build; without one they are made here from the cleaned register data of a build, through the
linked disclosure control, with the benefit register as exported as every förbund's reference
population, which changes no timing):

1. the charts alone, in this process: one förbund chart (SVG text written directly) against one
   Bilaga 1-style chart (seaborn, PNG at 300 dpi);
2. a cold batch of every chosen förbund × year and the comparison pages (`forbund_build.render_reports`, the
   stage's own code: warm kernel pool, execution, HTML rendering), with the pool's start-up timed
   apart and the peak resident memory of the whole process tree (this process and its kernels and
   pandoc children, sampled every 0,2 s);
3. the marginal cost of one more report: a second cold batch with fewer förbund, and
   (wall₁ − wall₂) / (n₁ − n₂);
4. a rebuild with nothing changed, and one after a single förbund's figures changed;
5. the price of PDF and DOCX: the same few reports with html only and with html, pdf, docx.

    .venv/bin/python benchmarks/bench_forbund.py [--forbund 80] [--small 10] [--years 2016-2022]
        [--figures DIR] [--register DIR] [--formats-sample 4] [--scale S]

Without figures and without cleaned register data in ``--register``, the synthetic demo is generated
and cleaned here first at ``--scale`` (population_scale; tests/test_benchmarks.py runs it so, tiny).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.reports import forbund_build  # noqa: E402
from pipeline.reports.forbund_figures import FIGURES_FILE, NATIONAL, units  # noqa: E402


class PeakMemory:
    """The largest summed RSS of this process and all its children, sampled in a thread."""

    def __init__(self, every: float = 0.2) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def make_figures(register: Path, years: list[int], count: int, out: Path) -> float:
    """Figures of the nation and ``count`` förbund from cleaned register data: the förbund stage's
    own tables (forbund.build_forbund_figures, every förbund in one pass) read as the reports read them."""
    from pipeline.derive import forbund
    from pipeline.derive.disclosure import Settings
    from pipeline.reports.forbund_figures import from_forbund_tables
    from pipeline.sources import geografi

    start = time.perf_counter()
    tables = forbund.build_forbund_figures(years, register, geografi.load_geography(REPO / "data" / "raw" / "geografi"), Settings(5, 5))
    forbund.save_forbund_figures(tables, out / "tabeller")
    figures = from_forbund_tables(out / "tabeller")
    names = sorted(set(figures["unit"]) - {NATIONAL})[:count]
    out.mkdir(parents=True, exist_ok=True)
    figures[figures["unit"].isin([NATIONAL, *names])].to_parquet(out / FIGURES_FILE)
    return time.perf_counter() - start


def chart_seconds(repeat: int = 5) -> tuple[float, float]:
    from pipeline.reports import charts

    frame = pd.DataFrame({"benefit": ["Aktivitetsersättning"] * 2 + ["Sjukpenning"] * 2,
                          "who": ["Förbundet", "Riket"] * 2, "value": [41.6, 43.3, 10.6, 7.3]})
    years = pd.DataFrame({"år": list(range(2016, 2023)) * 2, "kön": ["Kvinnor"] * 7 + ["Män"] * 7,
                          "antal": list(range(100, 114))})
    with tempfile.TemporaryDirectory() as tmp:
        small, big = [], []
        for k in range(repeat):
            t = time.perf_counter()
            charts.svg_bars(frame, "benefit", "value", "who", Path(tmp) / f"s{k}.svg", "Per 1 000")
            small.append(time.perf_counter() - t)
            t = time.perf_counter()
            charts.grouped_bars(years, "år", "antal", "kön", Path(tmp) / f"b{k}.png", "Antal", ["Kvinnor", "Män"])
            big.append(time.perf_counter() - t)
    return statistics.median(small), statistics.median(big)


def batch(figures: Path, reports: Path, years: list[int], chosen: list[str] | None, formats: list[str],
          params: dict, force: bool = False, comparison: bool = True):
    frame = pd.read_parquet(figures / FIGURES_FILE)
    jobs = forbund_build.plan_forbund_reports(frame, figures, REPO / "notebooks", reports, years, chosen, formats, True, 5,
                                              comparison=comparison)
    start = time.perf_counter()
    with PeakMemory() as mem:
        outcome = forbund_build.render_reports(jobs, formats, REPO, params, pool_size=2, force=force)
    return time.perf_counter() - start, outcome, mem.peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forbund", type=int, default=80, help="förbund in the big batch")
    ap.add_argument("--small", type=int, default=10, help="förbund in the second batch (marginal cost)")
    ap.add_argument("--years", default="2016-2022")
    ap.add_argument("--figures", type=Path, default=REPO / "data" / "processed" / "forbund")
    ap.add_argument("--register", type=Path, default=REPO / "data" / "processed" / "register")
    ap.add_argument("--formats-sample", type=int, default=4)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="population_scale of the demo generated when --register holds no cleaned data")
    args = ap.parse_args()
    first, last = (int(y) for y in args.years.split("-"))
    years = list(range(first, last + 1))
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        figures = args.figures
        if not (figures / FIGURES_FILE).is_file():
            figures = tmp / "figures"
            register = args.register
            if not all((register / str(y) / "deltagare.parquet").is_file() for y in years):
                from _timing import demo_cleaned

                register = demo_cleaned(tmp, args.scale, years)
            took = make_figures(register, years, args.forbund, figures)
            rows.append(("förbund figures made here from the cleaned register (register_tables, linked disclosure)",
                         f"{args.forbund} förbund × {len(years)} years", f"{took:.1f}", "", ""))
        names = units(pd.read_parquet(figures / FIGURES_FILE))[: args.forbund]
        small_svg, big_png = chart_seconds()
        rows.append(("one förbund chart (SVG written directly) vs one Bilaga 1 chart (seaborn, PNG 300 dpi)",
                     "1 chart each", f"{small_svg:.3f} vs {big_png:.3f}", "", ""))

        wall, out, peak = batch(figures, tmp / "big", years, names, ["html"], params, comparison=False)
        n_big = len(out.built)
        rows.append(("cold batch, html, 2 warm kernels", f"{n_big} reports", f"{wall:.1f}",
                     f"{out.pool_start:.1f}", f"{peak / 2**20:.0f}"))
        wall_s, out_s, peak_s = batch(figures, tmp / "small", years, names[: args.small], ["html"], params,
                                      comparison=False)
        n_small = len(out_s.built)
        rows.append(("cold batch, html, 2 warm kernels", f"{n_small} reports", f"{wall_s:.1f}",
                     f"{out_s.pool_start:.1f}", f"{peak_s / 2**20:.0f}"))
        marginal = (wall - wall_s) / max(1, n_big - n_small)
        rows.append(("marginal cost of one more report ((wall₁ − wall₂) / (n₁ − n₂))", "", f"{marginal:.2f}", "", ""))
        rows.append(("one report's own time, median: executing the notebook + rendering HTML (two at once)", "",
                     f"{statistics.median(out.executing):.2f} + {statistics.median(out.rendering):.2f}", "", ""))

        wall_c, out_c, _ = batch(figures, tmp / "big", years, None, ["html"], params)
        rows.append(("comparison pages added to the big batch (one per year; förbund reports up to date)",
                     f"{len(out_c.built)} built, {len(out_c.skipped)} up to date", f"{wall_c:.1f}", "", ""))
        wall_n, out_n, _ = batch(figures, tmp / "big", years, None, ["html"], params)
        rows.append(("rebuild, nothing changed", f"{len(out_n.built)} built, {len(out_n.skipped)} up to date",
                     f"{wall_n:.1f}", "", ""))
        frame = pd.read_parquet(figures / FIGURES_FILE)
        mask = (frame["unit"] == names[0]) & (frame["measure"] == "referensbefolkning") & frame["value"].notna()
        frame.loc[mask, "value"] += 1
        changed = tmp / "changed"
        changed.mkdir()
        frame.to_parquet(changed / FIGURES_FILE)
        # the changed figures live in another folder: their path is a parameter, so point the stamps there
        wall_1, out_1, _ = batch(changed, tmp / "big", years, None, ["html"], params)
        rows.append((f"rebuild after one förbund's figures changed ({names[0]}, all years)",
                     f"{len(out_1.built)} built, {len(out_1.skipped)} up to date", f"{wall_1:.1f}", "", ""))

        sample = names[: max(1, args.formats_sample // len(years) or 1)]
        for formats in (["html"], ["html", "pdf", "docx"]):
            w, o, _ = batch(figures, tmp / ("fmt-" + "-".join(formats)), years[-args.formats_sample:],
                            sample, formats, params, comparison=False)
            rows.append((f"formats {', '.join(formats)}", f"{len(o.built)} reports", f"{w:.1f}",
                         f"{o.pool_start:.1f}", ""))
    load = os.getloadavg()
    print(f"\nMachine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
          f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n")
    print("| measurement | size | wall s | of which pool start s | peak RSS MB (process tree) |")
    print("|---|---|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
