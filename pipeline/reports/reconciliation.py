"""The *Avstämning mot publicerade uppgifter* section shared by the reports."""

from __future__ import annotations

import pandas as pd

from ..core import fmt
from ..core.checks import AGREES, DIFFERS, NOT_RECOMPUTABLE, OTHER_SOURCE
from .tables import markdown_table


def format_value(value, unit: str, decimals: int, sign: bool = False) -> str:
    """A published or recomputed value; ``sign`` (differences) shows + and − alike in every unit."""
    if value is None or pd.isna(value):
        return fmt.NOTHING
    if unit == "percent":
        return fmt.percent(value, decimals, sign=sign)
    if unit == "percentage_points":
        return fmt.number(value, decimals, sign=True) + fmt.NBSP + "p.e."
    return fmt.number(value, decimals, sign=sign)


def reconciliation_markdown(rows: pd.DataFrame, scope: str, caption_suffix: str, explain: str,
                            listed: pd.Series | None = None, listed_caption: str | None = None,
                            after: str = "") -> str:
    """The *Avstämning* section of a report: a lead sentence, the deviations, then every check.

    ``rows`` is a slice of a table of :func:`pipeline.derive.reconcile.reconcile_published` or
    :func:`pipeline.derive.malgrupp.reconcile_calculation` (published, recomputed, unit, difference,
    status, figure, area, basis). A difference between two percentages is shown in percentage
    points. ``listed`` (a boolean mask over ``rows``) limits the full table to some rows, under
    ``listed_caption``; ``after`` is Markdown placed after it (e.g. a summary of the rows left
    out). Every deviation is always shown.
    """
    counts = rows["status"].value_counts()
    parts = [f"{fmt.number(counts.get(AGREES, 0))} stämmer", f"{fmt.number(counts.get(DIFFERS, 0))} avviker"]
    if counts.get(OTHER_SOURCE, 0):
        parts.append(f"{fmt.number(counts.get(OTHER_SOURCE, 0))} skiljer sig åt eftersom de jämför uppgifter från "
                     f"olika källor eller tidpunkter (annan källa/tidpunkt)")
    lead = (
        f"{scope} har {fmt.number(len(rows))} publicerade uppgifter räknats om från tabellerna och "
        f"texten: {', '.join(parts)} och {fmt.number(counts.get(NOT_RECOMPUTABLE, 0))} kan inte räknas om med de "
        f"uppgifter som publicerats."
    )
    display = pd.DataFrame(
        {
            "Uppgift": rows["figure"],
            "Källa": rows["area"],
            "Publicerat": [format_value(v, u, 1 if (v % 1) else 0) for v, u in zip(rows["published"], rows["unit"])],
            "Omräknat": [format_value(v, u, 0 if u == "count" else 1) for v, u in zip(rows["recomputed"], rows["unit"])],
            "Differens": [format_value(v, "percentage_points" if u == "percent" else u, 0 if u == "count" else 1,
                                       sign=True)
                          for v, u in zip(rows["difference"], rows["unit"])],
            "Status": rows["status"],
            "Beräkning": rows["basis"],
        }
    )
    differing = display[display["Status"] != AGREES]
    parts = [lead, "", explain, ""]
    if len(differing):
        caption = ("Avvikelser, jämförelser mellan olika källor eller tidpunkter och uppgifter som inte kan räknas om"
                   if (differing["Status"] == OTHER_SOURCE).any() else "Avvikelser och uppgifter som inte kan räknas om")
        parts.append(markdown_table(differing, caption=f"{caption}, {caption_suffix}",
                                    label="tbl-avvikelser", align="llrrrll"))
    shown = display if listed is None else display[listed.to_numpy()]
    parts.append(markdown_table(shown, caption=listed_caption or f"Alla avstämda uppgifter, {caption_suffix}",
                                label="tbl-avstamning", align="llrrrll"))
    if after:
        parts += ["", after]
    return "\n".join(parts)
