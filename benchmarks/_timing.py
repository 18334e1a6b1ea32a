"""Shared by the benchmarks: time every ``Linked.solve`` call; the synthetic register exports in a
temporary folder."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The years demo_raw writes (the demo's): a year's participants may be in any of their insatser, so the
# cleaning is told to read them all (clean_year's ``years``).
DEMO_YEARS = list(range(2016, 2023))


def demo_raw(tmp: Path, scale: float = 1.0) -> Path:
    """The synthetic register exports of every demo year at ``population_scale`` ``scale`` in ``tmp``/raw
    (exports.yaml and the geography of this checkout); returns that raw folder. Every year, because a
    year's participants are also in insatser of earlier years (one year alone quarantines them)."""
    from pipeline.demo.register_demo import write_register_demo

    raw = Path(tmp) / "raw"
    (raw / "register").mkdir(parents=True)
    shutil.copy2(REPO / "data/raw/register/exports.yaml", raw / "register" / "exports.yaml")
    shutil.copytree(REPO / "data/raw/geografi", raw / "geografi")
    write_register_demo(raw, REPO / "data" / "raw" / "published", population_scale=scale, years=DEMO_YEARS)
    return raw


def demo_cleaned(tmp: Path, scale: float, years: list[int], key: bytes = b"k" * 32) -> Path:
    """``demo_raw`` cleaned as the register stage cleans it, one folder per year in ``tmp``/clean."""
    from pipeline.sources.register import clean_register_year, save_register_year

    raw = demo_raw(tmp, scale)
    for year in years:
        save_register_year(clean_register_year(raw / "register", year, key=key, years=DEMO_YEARS), year, Path(tmp) / "clean" / str(year))
    return Path(tmp) / "clean"


def time_solves(disclosure) -> list[float]:
    """Wrap ``disclosure.Linked.solve`` so that each call's seconds are appended to the returned list."""
    times: list[float] = []
    original = disclosure.Linked.solve

    def timed(self):
        start = time.perf_counter()
        try:
            return original(self)
        finally:
            times.append(time.perf_counter() - start)

    disclosure.Linked.solve = timed
    return times
