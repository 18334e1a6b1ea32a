"""Live progress inside a long stage: how many done, of how many, and about how long is left.

On a terminal (a stage run by hand) this is tqdm's bar. Under ``finsam build`` the stage's output
is read by the engine (:mod:`pipeline.engine`), which sets ``FINSAM_PROGRESS``: each finished item
is then one line ``finsam-progress DONE TOTAL SECONDS_LEFT WHAT`` on standard error, which the
engine shows on the build's own line for the stage and keeps out of the log.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Iterable, Iterator, TypeVar

PREFIX = "finsam-progress"
ENV = "FINSAM_PROGRESS"

T = TypeVar("T")


def track(items: Iterable[T], total: int, what: str) -> Iterator[T]:
    """``items``, counting each one as it is finished (when the loop asks for the next)."""
    if os.environ.get(ENV):
        start, done = time.perf_counter(), 0
        for item in items:
            yield item
            done += 1
            left = (time.perf_counter() - start) / done * (total - done)
            print(f"{PREFIX} {done} {total} {left:.0f} {what}", file=sys.stderr, flush=True)
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=what, unit="", disable=not sys.stderr.isatty(), leave=False)


def parse_progress_line(line: str) -> tuple[int, int, float, str] | None:
    """(done, total, seconds left, what) of a progress line, else None."""
    parts = line.rstrip("\n").split(" ", 4)
    if len(parts) < 5 or parts[0] != PREFIX:
        return None
    try:
        return int(parts[1]), int(parts[2]), float(parts[3]), parts[4]
    except ValueError:
        return None
