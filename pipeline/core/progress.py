"""Live progress inside a long stage: how many done, of how many, and about how long is left.

On a terminal (a stage run by hand) this is tqdm's bar. Under ``finsam build`` the stage's output
is read by the engine (:mod:`pipeline.engine`), which sets ``FINSAM_PROGRESS``: each finished item
is then one line ``finsam-progress DONE TOTAL SECONDS_LEFT WHAT`` on standard error, which the
engine shows on the build's own line for the stage and keeps out of the log.

:func:`track` counts the items of one loop; :func:`counting` counts by hand where a stage's work is
several steps of unequal size (``step(n)``: a finished piece worth ``n`` of the total), so that the
time left is the elapsed time per unit of work times the units still to do.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Iterable, Iterator, TypeVar

PREFIX = "finsam-progress"
ENV = "FINSAM_PROGRESS"

T = TypeVar("T")


class Counter:
    """Finished work of a known total, shown as it is finished (see the module's docstring)."""

    def __init__(self, total: int, what: str):
        self.total, self.what, self.done = int(total), what, 0
        self._start = time.perf_counter()
        self._bar = None
        if not os.environ.get(ENV):
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=what, unit="", disable=not sys.stderr.isatty(), leave=False)

    def step(self, n: int = 1) -> None:
        """One more finished piece, worth ``n`` of the total."""
        self.done = min(self.total, self.done + n)
        if self._bar is not None:
            self._bar.update(n)
            return
        left = (time.perf_counter() - self._start) / self.done * (self.total - self.done) if self.done else 0.0
        print(f"{PREFIX} {self.done} {self.total} {left:.0f} {self.what}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _Silent:
    """A counter that shows nothing (a function called outside a stage)."""

    def step(self, n: int = 1) -> None:
        pass


SILENT = _Silent()


@contextlib.contextmanager
def counting(total: int, what: str) -> Iterator[Counter]:
    """A :class:`Counter` for the block, closed (its bar removed) when the block ends."""
    counter = Counter(total, what)
    try:
        yield counter
    finally:
        counter.close()


def each(items: Iterable[T], counter: "Counter | _Silent") -> Iterator[T]:
    """``items``, each counted one step on ``counter`` as it is finished (when the loop asks for the next)."""
    for item in items:
        yield item
        counter.step()


def track(items: Iterable[T], total: int, what: str) -> Iterator[T]:
    """``items``, counting each one as it is finished (when the loop asks for the next)."""
    with counting(total, what) as counter:
        yield from each(items, counter)


def parse_progress_line(line: str) -> tuple[int, int, float, str] | None:
    """(done, total, seconds left, what) of a progress line, else None."""
    parts = line.rstrip("\n").split(" ", 4)
    if len(parts) < 5 or parts[0] != PREFIX:
        return None
    try:
        return int(parts[1]), int(parts[2]), float(parts[3]), parts[4]
    except ValueError:
        return None
