"""Avstämning mot publicerade uppgifter: recompute every derived published figure.

Each check recomputes one figure that the documents derive from others (a share, a sum,
a change between years, a share of a population) and compares it with the published
value. A disagreement is a finding for the report, never a build failure.

Tolerances: a count must match exactly; a published percentage was rounded, so it agrees
when the recomputed value rounds to it at the published precision (within half a unit of its
last digit, ``rounding_slack``). Checks built on rounded inputs say so and allow for the
inputs' rounding too.

A comparison between figures from different sources or reference dates is reported as
``annan källa/tidpunkt`` only where the documents show it for that figure (a footnote attached to
it, or the section it stands in: :class:`Evidence`, named in the row), and only while no other
figure resting on the same two sources agrees with the tables; otherwise a difference is a
disagreement (:func:`apply_evidence`). A check
whose recomputation uses a published value that is itself flagged says so in its basis.
Footnotes with figures are transcribed in text_figures.csv (section "… fotnot N") and checked
like the running text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Callable

import pandas as pd

from ..core.checks import AGREES, DIFFERS, Check
from ..core.vocabulary import BENEFIT_LABELS
from ..sources.published import DOCUMENTS, PARTICIPANT_TABLES, PublishedData

RECONCILIATION_FILE = "reconciliation.parquet"  # written by the published stage, read by Bilaga 1
_SEX_WORD = {"kvinna": "kvinnor", "man": "män"}


def _percent(part: float | None, whole: float | None) -> float | None:
    if part is None or whole in (None, 0):
        return None
    return 100.0 * part / whole


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _rel_change(new: float | None, old: float | None) -> float | None:
    return None if new is None or old in (None, 0) else 100.0 * (new / old - 1.0)


def _decimals(value: float) -> int:
    text = f"{value:g}"
    return len(text.split(".")[1]) if "." in text else 0


def table_checks(data: PublishedData, slack: float = 0.5) -> list[Check]:
    """Shares and totals inside Tabell 1–4, and the total column of Tabell 6."""
    checks: list[Check] = []
    p = data.participants
    for table, (benefit, status) in PARTICIPANT_TABLES.items():
        for year in sorted(set(p.loc[p["table"] == table, "year"].astype(int))):
            women = data.participant_count(table, year, "kvinna")
            men = data.participant_count(table, year, "man")
            total = data.participant_count(table, year, "total")
            common = dict(year=year, area=f"Tabell {table}", document=DOCUMENTS["002"], section="Bilaga 1")
            checks.append(
                Check(
                    figure=f"Totalt {year} = kvinnor + män",
                    published=float(total),
                    recomputed=float(women + men),
                    unit="count",
                    tolerance=0.0,
                    basis="kvinnor + män i samma tabell",
                    **common,
                )
            )
            for sex, count in (("kvinna", women), ("man", men)):
                row = p[(p["table"] == table) & (p["year"] == year) & (p["sex"] == sex)].iloc[0]
                if pd.isna(row["published_pct"]):
                    continue
                checks.append(
                    Check(
                        figure=f"Andel {_SEX_WORD[sex]} {year}",
                        published=float(row["published_pct"]),
                        recomputed=_percent(count, total),
                        unit="percent",
                        tolerance=slack,
                        basis=f"{_SEX_WORD[sex]} / total i samma tabell",
                        **common,
                    )
                )
    # Tabell 6 "Total": the document gives no counts behind the shares. Weighting each year's
    # share by the newly registered participants (Tabell 2 and 4; Tabell 6 concerns those who
    # started an insats) gives an approximate check: the yearly shares are rounded themselves,
    # so the tolerance is two rounding steps.
    for benefit, table in (("sjukpenning", 4), ("aktivitetsersattning", 2)):
        published_total = data.diagnosis_pct("total", benefit)
        if published_total is None:
            continue
        years = [int(x) for x in data.diagnosis.loc[data.diagnosis["period"] != "total", "period"].unique()]
        weights = {y: data.participant_count(table, y) for y in years}
        shares = {y: data.diagnosis_pct(y, benefit) for y in years}
        ok = all(weights[y] is not None and shares[y] is not None for y in years)
        recomputed = (
            sum(shares[y] * weights[y] for y in years) / sum(weights[y] for y in years) if ok else None
        )
        checks.append(
            Check(
                year=max(years),
                area="Tabell 6",
                figure=f"Andel med psykiatrisk diagnos, {BENEFIT_LABELS[benefit].lower()}, totalt {min(years)}–{max(years)}",
                published=float(published_total),
                recomputed=recomputed,
                unit="percent",
                tolerance=2 * slack,
                basis=f"årsandelarna vägda med antalet nyregistrerade (tabell {table}); ungefärlig kontroll",
                document=DOCUMENTS["002"],
                section="Bilaga 1",
            )
        )
    return checks


# Text checks: (figure_id, year, how to recompute, Swedish basis, tolerance rule).
# A tolerance rule of None means the published precision decides (counts exact, shares
# within half a unit of the last published digit); a number overrides it.
_Recompute = Callable[[PublishedData], "float | None"]


def _text_rules() -> list[tuple[str, int, _Recompute | None, str, float | None]]:
    t = lambda d, table, y, sex="total": d.participant_count(table, y, sex)  # noqa: E731
    ins = lambda d, y, g: d.insatser_count(y, g)  # noqa: E731
    ae, sp, uf = "unga_aktivitetsersattning", "sjukskrivna", "unga_funktionsnedsattning"

    def targeted(d: PublishedData, y: int) -> float | None:
        parts = [ins(d, y, g) for g in (ae, sp, uf)]
        return None if any(v is None for v in parts) else float(sum(parts))

    def share_targeted(d: PublishedData, y: int, total: float | None) -> float | None:
        return _percent(targeted(d, y), total)

    def targeted_share_change(d: PublishedData) -> float | None:
        total_2022 = d.figure("insatser_totalt", 2022)
        change = d.figure("insatser_totalt_forandring", 2022)
        total_2021 = None if total_2022 is None or change is None else total_2022 - change
        return _diff(share_targeted(d, 2022, total_2022), share_targeted(d, 2021, total_2021))

    def sum_of(*ids_year: tuple[str, int]) -> _Recompute:
        def inner(d: PublishedData) -> float | None:
            values = [d.figure(i, y) for i, y in ids_year]
            return None if any(v is None for v in values) else float(sum(values))
        return inner

    return [
        # 002, chapter 3 (2022)
        ("ae_pagaende", 2022, lambda d: t(d, 1, 2022), "tabell 1, total 2022", None),
        ("sp_pagaende", 2022, lambda d: t(d, 3, 2022), "tabell 3, total 2022", None),
        ("ae_nyreg", 2022, lambda d: t(d, 2, 2022), "tabell 2, total 2022", None),
        ("sp_nyreg", 2022, lambda d: t(d, 4, 2022), "tabell 4, total 2022", None),
        ("ae_pagaende_forandring", 2022, lambda d: _diff(t(d, 1, 2022), t(d, 1, 2021)), "tabell 1: 2022 − 2021", None),
        ("sp_pagaende_forandring", 2022, lambda d: _diff(t(d, 3, 2022), t(d, 3, 2021)), "tabell 3: 2022 − 2021", None),
        ("ae_nyreg_forandring", 2022, lambda d: _diff(t(d, 2, 2022), t(d, 2, 2021)), "tabell 2: 2022 − 2021", None),
        ("sp_nyreg_forandring", 2022, lambda d: _diff(t(d, 4, 2022), t(d, 4, 2021)), "tabell 4: 2022 − 2021", None),
        ("sp_pagaende_forandring_pct", 2022, lambda d: _rel_change(t(d, 3, 2022), t(d, 3, 2021)),
         "tabell 3: 2022 / 2021 − 1", None),
        ("ae_andel_av_population", 2022, lambda d: _percent(t(d, 1, 2022), d.figure("population_ae", 2022)),
         "tabell 1 (2022) / 36 552 med aktivitetsersättning (avsnitt 4.1)", None),
        ("sp_andel_av_population", 2022, lambda d: _percent(t(d, 3, 2022), d.figure("population_sp", 2022)),
         "tabell 3 (2022) / 617 582 med sjukpenning (avsnitt 4.2)", None),
        ("ae_andel_av_sus_personuppgifter", 2022,
         lambda d: _percent(t(d, 1, 2022), d.figure("sus_personuppgifter", 2022)),
         "tabell 1 (2022) / 17 562 registrerade med personuppgifter", None),
        ("sp_andel_av_sus_personuppgifter", 2022,
         lambda d: _percent(t(d, 3, 2022), d.figure("sus_personuppgifter", 2022)),
         "tabell 3 (2022) / 17 562 registrerade med personuppgifter", None),
        ("ae_nyreg_andel_av_pagaende", 2022, lambda d: _percent(t(d, 2, 2022), t(d, 1, 2022)),
         "tabell 2 / tabell 1, 2022", None),
        ("sp_nyreg_andel_av_pagaende", 2022, lambda d: _percent(t(d, 4, 2022), t(d, 3, 2022)),
         "tabell 4 / tabell 3, 2022", None),
        ("sus_personuppgifter_kvinnor_pct", 2022,
         lambda d: _diff(100.0, d.figure("sus_personuppgifter_man_pct", 2022)), "100 − andelen män", None),
        ("insatser_malgrupper", 2022, lambda d: targeted(d, 2022), "tabell 5: summan av de tre målgrupperna 2022", None),
        ("insatser_ae", 2022, lambda d: ins(d, 2022, ae), "tabell 5, 2022", None),
        ("insatser_sp", 2022, lambda d: ins(d, 2022, sp), "tabell 5, 2022", None),
        ("insatser_uf", 2022, lambda d: ins(d, 2022, uf), "tabell 5, 2022", None),
        ("insatser_ae_forandring", 2022, lambda d: _diff(ins(d, 2022, ae), ins(d, 2021, ae)), "tabell 5: 2022 − 2021", None),
        ("insatser_sp_forandring", 2022, lambda d: _diff(ins(d, 2022, sp), ins(d, 2021, sp)), "tabell 5: 2022 − 2021", None),
        ("insatser_uf_forandring", 2022, lambda d: _diff(ins(d, 2022, uf), ins(d, 2021, uf)), "tabell 5: 2022 − 2021", None),
        ("insatser_malgrupper_forandring_3ar", 2022, lambda d: _diff(targeted(d, 2022), targeted(d, 2019)),
         "tabell 5: summan 2022 − summan 2019", None),
        ("insatser_malgrupper_andel", 2022, lambda d: share_targeted(d, 2022, d.figure("insatser_totalt", 2022)),
         "tabell 5 (summan 2022) / 968 insatser totalt", None),
        ("insatser_malgrupper_andel_forandring", 2022, targeted_share_change,
         "andel 2022 − andel 2021; 2021: tabell 5 (summan) / (968 + 55)", 1.0),
        ("insatser_totalt_forandring", 2022, None, "antalet insatser 2021 redovisas inte i dokumenten", None),
        # 002, chapter 4 (2022)
        ("population_ae_kvinnor_pct", 2022, lambda d: _diff(100.0, d.figure("population_ae_man_pct", 2022)),
         "100 − andelen män", None),
        ("population_sp_kvinnor_pct", 2022, lambda d: _diff(100.0, d.figure("population_sp_man_pct", 2022)),
         "100 − andelen män", None),
        ("ae_psykiatrisk_diagnos_pct", 2022, lambda d: d.diagnosis_pct(2022, "aktivitetsersattning"),
         "tabell 6, aktivitetsersättning 2022", None),
        ("sp_psykiatrisk_diagnos_pct", 2022, lambda d: d.diagnosis_pct(2022, "sjukpenning"),
         "tabell 6, sjukpenning 2022", None),
        # 003, chapter 3 (2017)
        ("ae_pagaende", 2017, lambda d: t(d, 1, 2017), "tabell 1 (002), total 2017", None),
        ("sp_pagaende", 2017, lambda d: t(d, 3, 2017), "tabell 3 (002), total 2017", None),
        ("ae_pagaende_forandring_pct", 2017, lambda d: _rel_change(t(d, 1, 2017), t(d, 1, 2016)),
         "tabell 1 (002): 2017 / 2016 − 1", None),
        ("sp_pagaende_forandring_pct", 2017, lambda d: _rel_change(t(d, 3, 2017), t(d, 3, 2016)),
         "tabell 3 (002): 2017 / 2016 − 1", None),
        ("ae_pagaende_kvinnor_pct", 2017, lambda d: _percent(t(d, 1, 2017, "kvinna"), t(d, 1, 2017)),
         "tabell 1 (002): kvinnor / total 2017", None),
        ("ae_pagaende_man_pct", 2017, lambda d: _percent(t(d, 1, 2017, "man"), t(d, 1, 2017)),
         "tabell 1 (002): män / total 2017", None),
        ("sp_pagaende_kvinnor_pct", 2017, lambda d: _percent(t(d, 3, 2017, "kvinna"), t(d, 3, 2017)),
         "tabell 3 (002): kvinnor / total 2017", None),
        ("sp_pagaende_man_pct", 2017, lambda d: _percent(t(d, 3, 2017, "man"), t(d, 3, 2017)),
         "tabell 3 (002): män / total 2017", None),
        ("sus_personuppgifter_kvinnor_pct", 2017,
         lambda d: _diff(100.0, d.figure("sus_personuppgifter_man_pct", 2017)), "100 − andelen män", None),
        ("insatser_individinriktade_pct", 2017,
         lambda d: _diff(100.0, d.figure("insatser_strukturovergripande_pct", 2017)),
         "100 − andelen strukturövergripande", None),
        ("insatser_ae", 2017, lambda d: ins(d, 2017, ae), "tabell 5 (002), 2017", None),
        ("insatser_sp", 2017, lambda d: ins(d, 2017, sp), "tabell 5 (002), 2017", None),
        ("insatser_uf", 2017, lambda d: ins(d, 2017, uf), "tabell 5 (002), 2017", None),
        ("insatser_ae_forandring", 2017, lambda d: _diff(ins(d, 2017, ae), ins(d, 2016, ae)),
         "tabell 5 (002): 2017 − 2016", None),
        ("insatser_sp_forandring", 2017, lambda d: _diff(ins(d, 2017, sp), ins(d, 2016, sp)),
         "tabell 5 (002): 2017 − 2016", None),
        ("insatser_totalt_forandring_pct", 2017, None, "antalet insatser 2016 redovisas inte i dokumenten", None),
        # 002, footnotes 36 and 37 (chapter 4): the participants who started in 2022, as in SUS
        # when it was matched with MiDAS.
        ("ae_nyreg_midas_sus", 2022, lambda d: t(d, 2, 2022), "tabell 2, total 2022", None),
        ("sp_nyreg_midas_sus", 2022, lambda d: t(d, 4, 2022),
         "tabell 4, total 2022; fotnoten om sjukpenning upprepar ordalydelse och siffror ur fotnoten om "
         "aktivitetsersättning", None),
    ]


_FIGURE_LABELS_SV = {
    "ae_pagaende": "Pågående deltagare med aktivitetsersättning",
    "sp_pagaende": "Pågående deltagare med sjukpenning",
    "ae_nyreg": "Nyregistrerade deltagare med aktivitetsersättning",
    "sp_nyreg": "Nyregistrerade deltagare med sjukpenning",
    "ae_pagaende_forandring": "Förändring pågående deltagare, aktivitetsersättning",
    "sp_pagaende_forandring": "Förändring pågående deltagare, sjukpenning",
    "ae_nyreg_forandring": "Förändring nyregistrerade, aktivitetsersättning",
    "sp_nyreg_forandring": "Förändring nyregistrerade, sjukpenning",
    "sp_pagaende_forandring_pct": "Procentuell förändring pågående deltagare, sjukpenning",
    "ae_pagaende_forandring_pct": "Procentuell förändring pågående deltagare, aktivitetsersättning",
    "ae_andel_av_population": "Deltagarnas andel av alla med aktivitetsersättning",
    "sp_andel_av_population": "Deltagarnas andel av alla med sjukpenning",
    "ae_andel_av_sus_personuppgifter": "Andel med aktivitetsersättning av alla med personuppgifter i SUS",
    "sp_andel_av_sus_personuppgifter": "Andel med sjukpenning av alla med personuppgifter i SUS",
    "ae_nyreg_andel_av_pagaende": "Andel som startat under året, aktivitetsersättning",
    "sp_nyreg_andel_av_pagaende": "Andel som startat under året, sjukpenning",
    "sus_personuppgifter_kvinnor_pct": "Andel kvinnor bland registrerade med personuppgifter",
    "insatser_malgrupper": "Insatser för de prioriterade målgrupperna",
    "insatser_ae": "Insatser för unga med aktivitetsersättning",
    "insatser_sp": "Insatser för sjukskrivna",
    "insatser_uf": "Insatser för unga med funktionsnedsättning",
    "insatser_ae_forandring": "Förändring insatser, unga med aktivitetsersättning",
    "insatser_sp_forandring": "Förändring insatser, sjukskrivna",
    "insatser_uf_forandring": "Förändring insatser, unga med funktionsnedsättning",
    "insatser_malgrupper_forandring_3ar": "Förändring insatser för målgrupperna under tre år",
    "insatser_malgrupper_andel": "Målgruppsinsatsernas andel av alla insatser",
    "insatser_malgrupper_andel_forandring": "Förändring av målgruppsinsatsernas andel",
    "insatser_totalt_forandring": "Förändring av alla insatser",
    "insatser_totalt_forandring_pct": "Procentuell förändring av alla insatser",
    "population_ae_kvinnor_pct": "Andel kvinnor bland alla med aktivitetsersättning",
    "population_sp_kvinnor_pct": "Andel kvinnor bland alla med sjukpenning",
    "ae_psykiatrisk_diagnos_pct": "Andel med psykiatrisk diagnos, aktivitetsersättning (text)",
    "sp_psykiatrisk_diagnos_pct": "Andel med psykiatrisk diagnos, sjukpenning (text)",
    "ae_pagaende_kvinnor_pct": "Andel kvinnor, deltagare med aktivitetsersättning",
    "ae_pagaende_man_pct": "Andel män, deltagare med aktivitetsersättning",
    "sp_pagaende_kvinnor_pct": "Andel kvinnor, deltagare med sjukpenning",
    "sp_pagaende_man_pct": "Andel män, deltagare med sjukpenning",
    "insatser_individinriktade_pct": "Andel individinriktade insatser",
    "ae_nyreg_midas_sus": "Nyregistrerade med aktivitetsersättning i SUS vid samkörningen med MiDAS",
    "sp_nyreg_midas_sus": "Nyregistrerade med sjukpenning i SUS vid samkörningen med MiDAS",
}


# Short names of the documents, for the reader (the sources section gives the full titles).
DOCUMENT_SHORT = {"000": "förstudien 2016", "002": "återrapporten för 2022", "003": "återrapporten för 2017"}

@dataclass(frozen=True)
class Evidence:
    """Where the documents show that a text figure and the tables it is recomputed from have different
    sources or reference dates: ``where`` (document, section, footnote: shown in the row), ``why``
    (what differs), and ``same_sources``: the other text figures (figure_id, year) that rest on the
    same two sources. If one of those agrees with the tables, the sources demonstrably agree, and a
    difference is reported as a disagreement (:func:`apply_evidence`)."""

    where: str
    why: str
    same_sources: tuple[tuple[str, int], ...] = ()


_MIDAS = Evidence("återrapporten för 2022, kapitel 4 med fotnot 35–37 mot bilaga 1 med fotnot 46",
                  "texten bygger på samkörningen av SUS och MiDAS, tabell 6 på Försäkringskassans diagnosdata och "
                  "SUS", (("ae_psykiatrisk_diagnos_pct", 2022), ("sp_psykiatrisk_diagnos_pct", 2022)))
# Comparisons that the documents show to be between different sources or reference dates:
# (figure_id, year) → the evidence (a footnote attached to that very figure, or the section it is in).
_OTHER_SOURCE = {
    ("insatser_ae_forandring", 2017): Evidence(
        "återrapporten för 2017, avsnitt 3, fotnot 13 vid just denna uppgift",
        "jämförelseåret 2016 är hämtat ur Försäkringskassans redovisning för 2016, inte ur tabell 5"),
    ("ae_psykiatrisk_diagnos_pct", 2022): _MIDAS,
    ("sp_psykiatrisk_diagnos_pct", 2022): _MIDAS,
}


def apply_evidence(checks: list[Check], ids: list[tuple[str, int]],
                   evidence: dict[tuple[str, int], Evidence] | None = None) -> list[Check]:
    """The rule for "annan källa/tidpunkt": a check is not comparable only when the documents show that
    its sources differ (``evidence`` for its (figure_id, year), named in the row) and no other figure
    resting on the same two sources agrees with the tables. Otherwise a difference is a disagreement,
    and where the same sources agree elsewhere the row says so. ``ids``: each check's (figure_id, year)."""
    evidence = _OTHER_SOURCE if evidence is None else evidence
    status = {i: c.status for i, c in zip(ids, checks)}  # every check comparable so far
    out = []
    for i, check in zip(ids, checks):
        proof = evidence.get(i)
        if proof is None:
            out.append(check)
            continue
        agreeing = [j for j in proof.same_sources if j != i and status.get(j) == AGREES]
        if agreeing:
            labels = ", ".join(_FIGURE_LABELS_SV.get(j[0], j[0]).lower() for j in agreeing)
            basis = (f"{check.basis}; olika källor enligt {proof.where}, men samma källor stämmer för {labels}: "
                     "skillnaden redovisas som avvikelse")
            out.append(replace(check, basis=basis, comparable=True))
        else:
            out.append(replace(check, basis=f"{check.basis}; {proof.why} ({proof.where})", comparable=False))
    return out


class _Recorder:
    """PublishedData that remembers which table cells a recomputation read."""

    def __init__(self, data: PublishedData):
        self._data = data
        self.read: set[tuple] = set()

    def participant_count(self, table: int, year: int, sex: str = "total"):
        self.read.add(("participants", table, year))
        return self._data.participant_count(table, year, sex)

    def insatser_count(self, year: int, group: str):
        self.read.add(("insatser", 5, year))
        return self._data.insatser_count(year, group)

    def diagnosis_pct(self, period, benefit: str):
        self.read.add(("diagnosis", 6, period))
        return self._data.diagnosis_pct(period, benefit)

    def __getattr__(self, name):
        return getattr(self._data, name)


def flagged_cells(table_rows: list[Check]) -> dict[tuple, str]:
    """Table rows whose own check differs: (kind, table, year) → Swedish description."""
    out = {}
    for c in table_rows:
        if c.status != DIFFERS or not c.figure.startswith("Total"):
            continue
        table = int(c.area.split()[1])
        out[("participants", table, c.year)] = f"tabell {table}, {c.year}, där totalen inte är kvinnor + män"
    return out


def _where_in_document(row: pd.Series) -> str:
    section = str(row["section"])
    where = f"fotnot {section.split('fotnot')[1].strip(' )')}" if "fotnot" in section else f"text {section.split()[0]}"
    return f"{where[0].upper()}{where[1:]} ({DOCUMENT_SHORT[str(row['document'])]})"


def text_checks(data: PublishedData, slack: float = 0.5, flagged: dict[tuple, str] | None = None) -> list[Check]:
    checks, ids = [], []
    for figure_id, year, recompute, basis, tolerance in _text_rules():
        row = data.figure_row(figure_id, year)
        published = float(row["value"])
        unit = str(row["unit"])
        if tolerance is None:
            tolerance = 0.0 if unit == "count" else slack * 10 ** (-_decimals(published))
        recorder = _Recorder(data)
        recomputed = None if recompute is None else recompute(recorder)
        doubtful = sorted({flagged[k] for k in recorder.read if flagged and k in flagged})
        if doubtful:
            basis += "; bygger på en uppgift som själv avviker (" + "; ".join(doubtful) + ")"
        for code, short in DOCUMENT_SHORT.items():
            basis = basis.replace(f"({code})", f"({short})")
        checks.append(
            Check(
                year=year,
                area=_where_in_document(row),
                figure=_FIGURE_LABELS_SV[figure_id],
                published=published,
                recomputed=None if recomputed is None else float(recomputed),
                unit=unit,
                tolerance=tolerance,
                basis=basis,
                document=DOCUMENTS[str(row["document"])],
                section=str(row["section"]),
            )
        )
        ids.append((figure_id, year))
    return apply_evidence(checks, ids)


def reconcile_published(data: PublishedData, slack: float = 0.5) -> pd.DataFrame:
    """All checks as a tidy table, one row per recomputed figure."""
    rows = []
    tables = table_checks(data, slack)
    for check in tables + text_checks(data, slack, flagged_cells(tables)):
        record = asdict(check)
        record["difference"] = check.difference
        record["status"] = check.status
        rows.append(record)
    frame = pd.DataFrame(rows)
    return frame.astype({"recomputed": "Float64", "difference": "Float64"})
