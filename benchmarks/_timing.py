"""Shared by the disclosure benchmarks: time every ``Linked.solve`` call."""

from __future__ import annotations

import time


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
