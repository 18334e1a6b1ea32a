"""A published figure recomputed from others: the record every reconciliation writes.

The rules that make checks live with the data they check (pipeline.derive.reconcile for the SUS
tables, pipeline.derive.malgrupp for Bilaga 4); the report section that shows them lives in
pipeline.reports.reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass

AGREES = "stämmer"
DIFFERS = "avviker"
NOT_RECOMPUTABLE = "kan inte räknas om"
OTHER_SOURCE = "annan källa/tidpunkt"  # the two figures come from different sources or reference dates
STATUS_ORDER = {DIFFERS: 0, OTHER_SOURCE: 1, NOT_RECOMPUTABLE: 2, AGREES: 3}

UNIT_LABELS = {"count": "antal", "percent": "procent", "percentage_points": "procentenheter"}
_EPS = 1e-9


@dataclass(frozen=True)
class Check:
    year: int
    area: str  # "Tabell 1" or "Text, avsnitt 3.1"
    figure: str  # Swedish description for the report
    published: float
    recomputed: float | None
    unit: str  # count | percent | percentage_points
    tolerance: float
    basis: str  # how the figure was recomputed (Swedish)
    document: str
    section: str
    comparable: bool = True  # False: the two figures come from different sources or reference dates

    @property
    def difference(self) -> float | None:
        return None if self.recomputed is None else self.recomputed - self.published

    @property
    def status(self) -> str:
        if self.recomputed is None:
            return NOT_RECOMPUTABLE
        if abs(self.recomputed - self.published) <= self.tolerance + _EPS:
            return AGREES
        return DIFFERS if self.comparable else OTHER_SOURCE
