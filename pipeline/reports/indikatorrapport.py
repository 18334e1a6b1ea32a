"""The indicator surveys' reports: the national Indikatorrapport per year and the Indikatorbilaga
per participating förbund and year.

Both read the tables of pipeline/derive/indikator.py (data/processed/indikator/tabeller; a förbund's
report reads its own copy, written beside it by :mod:`pipeline.reports.indikator_build`), whose
numbers have passed the linked disclosure control. The reports count nothing: every share, interval,
verdict and funnel position shown is a value of those tables. A förbund's open answers (scrubbed by
the cleaning) are in its own input folder only and shown in its own report only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import fmt
from ..core.errors import ConfigError
from .contract import SURVEY, Appendix
from .tables import markdown_table

NATIONAL = "Hela riket"
GRUPPER = {"deltagare": "Deltagare", "insatspersonal": "Insatspersonal", "styrelse": "Styrelseledamöter",
           "chefer": "Chefer i samverkan", "remittenter": "Remittenter"}
ENKATER = {"deltagare_pagaende": "Deltagare under pågående insats", "deltagare_avslut": "Deltagare vid avslutad insats",
           "insatspersonal": "Insatspersonal", "styrelse": "Styrelseledamöter", "chefer": "Chefer i samverkan",
           "remittenter": "Remittenter"}
LAGE = {-2: "klart under (99,8 %)", -1: "under (95 %)", 0: "inom gränserna", 1: "över (95 %)", 2: "klart över (99,8 %)"}
LAGE = {k: v.replace(" %", f"{fmt.NBSP}%") for k, v in LAGE.items()}
HIDDEN_NOTE = "\"..\" = dolt av sekretesskäl (färre svar än gränsen, eller en uppgift som skulle avslöja ett sådant antal)."
UNIT_FILE = "unit.json"


def load_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Every Parquet table of a folder by name; a missing ``andelar`` is a clear error."""
    folder = Path(folder)
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    if "andelar" not in tables:
        raise ConfigError(f"{folder}: no andelar.parquet (run `finsam stage indikator-tabeller`)")
    return tables


def hidden_sentence(threshold: int) -> str:
    """Why small groups are hidden, in one sentence (every report says it)."""
    return (f"Uppgifter som bygger på färre än {threshold} svar visas inte (\"..\"), inte heller tal som skulle "
            "göra det möjligt att räkna fram dem, så att ingen som svarat – till exempel en av få styrelseledamöter "
            "eller chefer i ett förbund – kan kännas igen i resultaten.")


def share_text(value, low=None, high=None, hidden: bool = False) -> str:
    if hidden:
        return fmt.SUPPRESSED
    if value is None or pd.isna(value):
        return fmt.NOTHING
    text = fmt.percent(value)
    if low is not None and not pd.isna(low):
        text += f" ({fmt.number(low)}–{fmt.number(high)})"
    return text


def _count(value) -> str:
    return fmt.SUPPRESSED if pd.isna(value) else fmt.number(value)


class _Names:
    """Indicator and measurement point names (the indicator table, when the stage wrote it)."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        names = tables.get("indikatorer")
        self.names = {} if names is None else dict(zip(names["id"], names["namn"]))

    def __call__(self, ind: str, mp: str = "") -> str:
        key = mp or ind
        name = self.names.get(key)
        return f"{key} {name}" if name else key


@dataclass
class _Survey(Appendix):
    year: int
    tables: dict[str, pd.DataFrame]
    out_dir: Path
    synthetic: bool = False
    threshold: int = 5

    inputs_needed = ("indikator",)
    sources = (SURVEY,)

    def __post_init__(self) -> None:
        self.name = _Names(self.tables)
        self.andelar = self.tables["andelar"]
        # Each unit × year × group's rows, in the table's order, found once: a report asks for the same
        # slices again and again, and a boolean mask over the table per question cost most of a förbund
        # report's time (docs/performance.md, "The survey half").
        self._slices = {(f, int(y), g): rows for (f, y, g), rows in
                        self.andelar.groupby(["forbund", "year", "grupp"], sort=False, observed=True)}

    def hidden_markdown(self) -> str:
        return hidden_sentence(self.threshold) + "\n"

    def _level(self, unit: str, year: int | None = None, grupp: str | None = None) -> pd.DataFrame:
        if year is not None and grupp is not None:
            return self._slices.get((unit, int(year), grupp), self.andelar.iloc[:0])
        a = self.andelar
        a = a[a["forbund"] == unit]
        if year is not None:
            a = a[a["year"] == year]
        if grupp is not None:
            a = a[a["grupp"] == grupp]
        return a

    def groups(self, unit: str = NATIONAL) -> list[str]:
        present = {g for f, y, g in self._slices if f == unit and y == self.year}
        return [g for g in GRUPPER if g in present] + sorted(present - set(GRUPPER))


def _rows_of(frame: pd.DataFrame) -> pd.DataFrame:
    """Indicators first, each followed by its measurement points when it has more than one."""
    ind, mp = frame["indikator"].tolist(), frame["matpunkt"].tolist()
    points: dict[str, set[str]] = {}
    for i, m in zip(ind, mp):
        if m != "":
            points.setdefault(i, set()).add(m)
    order = sorted(range(len(ind)), key=lambda k: (ind[k], mp[k]))
    return frame.iloc[[k for k in order if mp[k] == "" or len(points.get(ind[k], ())) > 1]]


def _columns(frame: pd.DataFrame, *names: str):
    """The rows of some columns as tuples (the values ``itertuples`` gives, without building a tuple of
    every column)."""
    return zip(*(frame[c] for c in names))


def _by_year(frame: pd.DataFrame, years: list, name) -> pd.DataFrame:
    """One row per indicator (sorted, named by ``name``), one column per year: the share as text ("–"
    where the indicator has no figure that year); the frame's rows: ``indikator``, ``year``, ``andel``,
    ``suppressed`` (one per indicator and year)."""
    cells = {(i, int(y)): share_text(v, hidden=bool(h)) for i, y, v, h in
             zip(frame["indikator"], frame["year"], frame["andel"], frame["suppressed"])}
    rows = [[name(i), *(cells.get((i, int(y)), fmt.NOTHING) for y in years)] for i in sorted(set(frame["indikator"]))]
    return pd.DataFrame(rows, columns=["Indikator"] + [str(y) for y in years])


# --------------------------------------------------------------------------- the national report
@dataclass
class Indikatorrapport(_Survey):
    """The national report of one year: who took part, every indicator per respondent group, the
    trend since the first year, the clear changes and where a trend is broken."""

    family = "indikatorrapport"
    synthetic_explanation = ("Svaren är syntetiska demodata, skapade av projektet för att visa hur rapporten ser "
                             "ut; de säger ingenting om verkliga förbund eller svarande.")

    @classmethod
    def _load(cls, year, inputs, source, synthetic, out_dir):
        tables = load_tables(inputs["indikator"])
        year = int(year)
        if year not in set(tables["andelar"]["year"]):
            raise ConfigError(f"{inputs['indikator']}: no indicator figures for {year}")
        unit = tables.get("unit")
        threshold = int(unit["min_cell_count"].iloc[0]) if unit is not None else 5
        return cls(year, tables, out_dir, synthetic, threshold)

    def first_year(self) -> int:
        return int(self.andelar["year"].min())

    def intro_markdown(self) -> str:
        forbund = self.tables.get("forbund")
        n_forbund = 0 if forbund is None else int((forbund["year"] == self.year).sum())
        people = self.tables.get("deltagande")
        answers = fmt.NOTHING if people is None else fmt.number(
            people.loc[people["year"] == self.year, "svarande"].sum())
        first = self.first_year()
        since = (f", trenden sedan {first} och vilka förändringar mot året före som är statistiskt tydliga."
                 if first < self.year else
                 ". Enkäterna gjordes första gången detta år, så det finns ännu ingen trend eller förändring att "
                 "redovisa.")
        return (f"Rapporten redovisar indikatorenkäterna för finansiell samordning {self.year}. Det året deltog "
                f"{n_forbund} förbund, och sammanlagt besvarades {answers} enkäter. För varje svarsgrupp och indikator "
                f"visas andelen positiva svar i hela riket med ett 95-procentigt konfidensintervall{since} "
                "Siffrorna för riket bygger på alla svar från de förbund som deltog, sammanslagna. "
                + hidden_sentence(self.threshold) + "\n")

    def participation_markdown(self) -> str:
        people = self.tables.get("deltagande")
        if people is None or people[people["year"] == self.year].empty:
            return "*Inga uppgifter om deltagandet.*\n"
        p = people[people["year"] == self.year]
        frame = pd.DataFrame({"Enkät": [ENKATER.get(e, e) for e in p["enkat"]],
                              "Svarsgrupp": [GRUPPER.get(g, g) for g in p["grupp"]],
                              "Förbund som svarade": [fmt.number(v) for v in p["forbund"]],
                              "Svar": [_count(v) for v in p["svarande"]]})
        out = markdown_table(frame, caption=f"Deltagande förbund och svar per enkät, {self.year}", label="tbl-deltagande",
                             align="llrr", note=HIDDEN_NOTE)
        forbund = self.tables.get("forbund")
        if forbund is not None:
            names = sorted(forbund.loc[forbund["year"] == self.year, "forbund"])
            out += f"\nFörbund som deltog {self.year}: " + ", ".join(names) + ".\n"
        return out

    def indicators_markdown(self, grupp: str) -> str:
        rows = []
        for ind, mp, n, andel, low, high, hidden, mean, forbund in _columns(
                _rows_of(self._level(NATIONAL, self.year, grupp)), "indikator", "matpunkt", "n", "andel", "ci_low",
                "ci_high", "suppressed", "medel_forbund", "forbund_svarande"):
            rows.append({"Indikator": self.name(ind, mp) if mp else self.name(ind),
                         "Svar": _count(n),
                         "Andel positiva (95 % KI)".replace(" %", f"{fmt.NBSP}%"):
                             share_text(andel, low, high, bool(hidden)),
                         "Medel över förbund": share_text(mean),
                         "Antal förbund": fmt.number(forbund)})
        if not rows:
            return "*Inga svar i gruppen.*\n"
        return markdown_table(pd.DataFrame(rows), caption=f"{GRUPPER.get(grupp, grupp)}: andel positiva svar per "
                              f"indikator, hela riket {self.year}", label=f"tbl-andel-{grupp}", align="lrrrr",
                              note="Medel över förbund: ovägt medelvärde av andelarna i de förbund vars andel visas. "
                                   + HIDDEN_NOTE)

    def trend_frame(self, grupp: str) -> pd.DataFrame:
        """The national share per indicator and year up to this year (the indicators only)."""
        a = self.andelar
        a = a[(a["forbund"] == NATIONAL) & (a["grupp"] == grupp) & (a["matpunkt"] == "") & (a["year"] <= self.year)]
        return a[["year", "indikator", "andel", "suppressed"]]

    def trend_markdown(self, grupp: str) -> str:
        from . import charts

        t = self.trend_frame(grupp)
        if t.empty:
            return ""
        shown = t[~t["suppressed"]].assign(label=lambda d: d["indikator"])
        years = sorted(t["year"].unique())
        parts = []
        if len(years) > 1 and not shown.empty:
            path = charts.lines(shown, "year", "andel", "label",
                                self.out_dir / "figurer" / f"trend_{grupp}_{self.year}.png", "Andel positiva",
                                percent=True, hue_order=sorted(shown["label"].unique()))
            alt = (f"Linjediagram: andel positiva svar per indikator för {GRUPPER.get(grupp, grupp).lower()}, "
                   f"hela riket {fmt.year_span(years[0], years[-1])}; tabellen under har samma siffror.")
            parts.append(charts.figure_markdown(path, self.out_dir, f"{GRUPPER.get(grupp, grupp)}: andel positiva "
                                                f"per indikator {fmt.year_span(years[0], years[-1])}", alt,
                                                f"fig-trend-{grupp}"))
        frame = _by_year(t, years, self.name)
        trend = self.tables.get("trend")
        verdicts = {}
        if trend is not None:
            tr = trend[(trend["grupp"] == grupp) & (trend["matpunkt"] == "") & (trend["year"] == self.year)]
            verdicts = {r.indikator: r.utlatande + (f" (från {r.fran})" if r.fran != years[0] else "")
                        for r in tr.itertuples()}
        frame["Trend"] = [verdicts.get(i, fmt.NOTHING) for i in sorted(set(t["indikator"]))]
        parts.append(markdown_table(frame, caption=f"{GRUPPER.get(grupp, grupp)}: andel positiva per år och trend, "
                                    "hela riket", label=f"tbl-trend-{grupp}", align="l" + "r" * len(years) + "l",
                                    note="Trend: den genomsnittliga förändringen per år inom de förbund som svarade "
                                         "(med fixa effekter för förbunden), prövad med 95-procentiga "
                                         "konfidensintervall. " + HIDDEN_NOTE))
        return "\n\n".join(parts)

    def changes_markdown(self) -> str:
        """The changes against the year before that are clear within the förbund that answered both
        years, with the crude change beside; and the clear trends."""
        change = self.tables.get("forandring")
        lines = []
        if change is not None:
            c = change[(change["year"] == self.year)]
            for r in c[c["tydlig"]].sort_values(["grupp", "indikator", "matpunkt"]).itertuples():
                lines.append(f"- {GRUPPER.get(r.grupp, r.grupp)}, {self.name(r.indikator, r.matpunkt)}: "
                             f"{r.utlatande} bland de {r.forbund_bada} förbund som svarade båda "
                             f"åren ({fmt.percentage_points(r.skillnad_samma, 1)}, oddskvot "
                             f"{fmt.number(r.oddskvot, 2)}, 95 % KI {fmt.number(r.ci_low, 2)}–{fmt.number(r.ci_high, 2)});"
                             f" för alla svarande förbund från {fmt.percent(r.andel_fore)} till {fmt.percent(r.andel)}.")
            unclear = int((~c["tydlig"]).sum())
            crude_only = c[~c["tydlig"] & c["crude_utlatande"].isin(["ökning", "minskning"])]
        else:
            unclear, crude_only = 0, pd.DataFrame()
        if change is None or (not lines and not unclear):
            return (f"Enkäterna gjordes första gången {self.year}, så det finns inget tidigare år att jämföra med.\n"
                    if self.first_year() == self.year else
                    f"Det finns inga jämförelser med året före att redovisa för {self.year}.\n")
        head = (f"Följande förändringar mellan {self.year - 1} och {self.year} är statistiskt tydliga inom de förbund "
                "som svarade båda åren:\n\n" if lines else
                f"Ingen förändring mellan {self.year - 1} och {self.year} är statistiskt tydlig inom de förbund som "
                "svarade båda åren.\n")
        out = head + "\n".join(lines) + "\n"
        if lines and unclear:
            out += (f"\nDe övriga {unclear} jämförelserna visar ingen tydlig förändring eller går inte att göra "
                    "(för få svar).\n")
        elif unclear:
            out += f"\nSammanlagt gjordes {unclear} jämförelser.\n"
        if len(crude_only):
            out += (f"\nI {len(crude_only)} av dem ändrades andelen för alla svarande förbund tydligt, men inte inom de "
                    "förbund som svarade båda åren: där beror skillnaden på vilka förbund som deltog, inte på en "
                    "förändring i förbunden.\n")
        trend = self.tables.get("trend")
        if trend is not None:
            t = trend[(trend["year"] == self.year) & trend["tydlig"] & (trend["matpunkt"] == "")]
            if len(t):
                out += f"\nFöljande trender fram till {self.year} är statistiskt tydliga:\n\n" + "\n".join(
                    f"- {GRUPPER.get(r.grupp, r.grupp)}, {self.name(r.indikator)}: {r.utlatande} sedan {r.fran} "
                    f"({fmt.percentage_points(r.pp_per_ar, 1)} per år)." for r in t.itertuples()) + "\n"
        return out

    def breaks_markdown(self) -> str:
        brott = self.tables.get("brott")
        if brott is None or brott[brott["year"] <= self.year].empty:
            return f"Ingen fråga har ändrats på ett sätt som bryter en trend fram till {self.year}.\n"
        b = brott[(brott["year"] <= self.year) & (brott["matpunkt"] != "")]
        lines = [f"- {GRUPPER.get(r.grupp, r.grupp)}, {self.name(r.indikator, r.matpunkt)}: frågan ändrades {r.year}"
                 + (f" ({r.forandring})" if "forandring" in b.columns and r.forandring else "")
                 + f"; trenden räknas från {r.year}, och {r.year} jämförs inte med året före." for r in b.itertuples()]
        return "\n".join(lines) + "\n"

    def method_markdown(self) -> str:
        return ("Varje svarande räknas en gång per indikator, som positiv om minst hälften av de frågor om "
                "indikatorn som den svarande besvarade fick ett positivt svar (\"vet ej\" och obesvarade frågor "
                "räknas inte). Konfidensintervallen är Wilsons 95-procentiga intervall, som håller även när antalet "
                "svar är litet. Rikets andel bygger på alla svar sammanslagna; medelvärdet över förbund väger alla "
                "förbund lika och visas som kontroll. En förändring eller trend prövas med en binomial "
                "regressionsmodell med ett eget värde för varje förbund (fixa effekter), så att bara förändringar "
                "inom förbunden räknas. Rikets andel kan nämligen ändras utan att något förbund har förändrats, om "
                "andra förbund svarar ett visst år. Variationen mellan svar i samma förbund får vara större än "
                "slumpen ger (kvasibinomial skattning). En förändring kallas tydlig när det 95-procentiga "
                "konfidensintervallet för oddskvoten inte innehåller 1; för en trend gäller detsamma för oddskvoten "
                "per år. " + hidden_sentence(self.threshold) + "\n")


# --------------------------------------------------------------------------- the förbund report
def write_unit_file(folder: Path, forbund: str, threshold: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / UNIT_FILE).write_text(json.dumps({"forbund": forbund, "min_cell_count": int(threshold)},
                                               ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass(kw_only=True)
class Indikatorbilaga(_Survey):
    """One förbund and year: its indicators beside the nation, its own trend over the years it took
    part, its place among the other förbund, and its own open answers."""

    forbund: str

    family = "indikatorbilaga"
    synthetic_explanation = ("Svaren är syntetiska demodata, skapade av projektet; de säger ingenting om verkliga "
                             "förbund eller svarande.")

    @classmethod
    def _load(cls, year, inputs, source, synthetic, out_dir):
        folder = Path(inputs["indikator"])
        tables = load_tables(folder)
        try:
            spec = json.loads((folder / UNIT_FILE).read_text(encoding="utf-8"))
            forbund, threshold = str(spec["forbund"]), int(spec["min_cell_count"])
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"{folder / UNIT_FILE}: not an Indikatorbilaga's input ({exc})") from None
        year = int(year)
        a = tables["andelar"]
        if a[(a["forbund"] == forbund) & (a["year"] == year)].empty:
            raise ConfigError(f"{folder}: {forbund!r} has no answers in {year}")
        return cls(year, tables, out_dir, synthetic, threshold, forbund=forbund)

    def heading(self) -> str:
        return f"{self.forbund} – {self.year}"

    @cached_property
    def _funnel_by_group(self) -> dict[str, pd.DataFrame]:
        tratt = self.tables.get("tratt")
        if tratt is None or tratt.empty:
            return {}
        mine = tratt[(tratt["forbund"] == self.forbund) & (tratt["year"] == self.year)]
        return {g: rows for g, rows in mine.groupby("grupp", sort=False, observed=True)}

    def _funnel(self, grupp: str) -> pd.DataFrame:
        """The förbund's funnel rows of the year for one group (none without a funnel table)."""
        return self._funnel_by_group.get(grupp, pd.DataFrame(columns=["indikator", "matpunkt", "lage"]))

    def intro_markdown(self) -> str:
        years = sorted(self._level(self.forbund)["year"].unique())
        return (f"Bilagan redovisar svaren från {self.forbund} på indikatorenkäterna {self.year} jämfört med hela "
                f"riket, förbundets egen utveckling de år det har deltagit ({fmt.listing(years)}) och hur förbundet "
                "ligger till jämfört med andra förbund. De öppna svaren sist i bilagan är avsedda bara för förbundets "
                "eget arbete. " + hidden_sentence(self.threshold) + "\n")

    def indicators_markdown(self, grupp: str) -> str:
        here = self._level(self.forbund, self.year, grupp)
        nat = self._level(NATIONAL, self.year, grupp)
        nation = {(i, m): (v, bool(h)) for i, m, v, h in
                  zip(nat["indikator"], nat["matpunkt"], nat["andel"], nat["suppressed"])}
        t = self._funnel(grupp)
        lage = {(i, m): LAGE[int(x)] for i, m, x in zip(t["indikator"], t["matpunkt"], t["lage"])}
        rows = []
        for ind, mp, n, andel, low, high, hidden in _columns(_rows_of(here), "indikator", "matpunkt", "n", "andel",
                                                             "ci_low", "ci_high", "suppressed"):
            n_andel, n_hidden = nation[(ind, mp)]
            rows.append({"Indikator": self.name(ind, mp), "Svar": _count(n),
                         "Förbundet (95 % KI)".replace(" %", f"{fmt.NBSP}%"): share_text(andel, low, high, bool(hidden)),
                         "Riket": share_text(n_andel, hidden=n_hidden),
                         "Jämfört med andra förbund": fmt.SUPPRESSED if hidden else lage.get((ind, mp), fmt.NOTHING)})
        if not rows:
            return "*Förbundet har inga svar i gruppen.*\n"
        return markdown_table(pd.DataFrame(rows), caption=f"{GRUPPER.get(grupp, grupp)}: andel positiva, {self.forbund} "
                              f"och riket {self.year}", label=f"tbl-andel-{grupp}", align="lrrrl", note=HIDDEN_NOTE)

    def comparison_markdown(self, grupp: str) -> str:
        """One chart per group: per indicator, the förbund's share against the band the other förbund
        would fall in (the funnel limits at its number of answers), the same numbers in a table."""
        from . import charts

        tratt = self.tables.get("tratt")
        if tratt is None or tratt.empty:
            return ""
        t = self._funnel(grupp)
        t = t[t["matpunkt"] == ""].sort_values("indikator")
        if t.empty:
            return (f"*Ingen jämförelse för {GRUPPER.get(grupp, grupp).lower()}: förbundets andelar är dolda av "
                    "sekretesskäl.*\n")
        rows = [{"label": self.name(ind), "value": v, "centre": c, "low95": l95, "high95": h95, "low998": l998,
                 "high998": h998} for ind, v, c, l95, h95, l998, h998 in
                _columns(t, "indikator", "andel", "riket", "lower_95", "upper_95", "lower_998", "upper_998")]
        path = charts.svg_intervals(rows, self.out_dir / "figurer" / f"jamforelse_{grupp}_{self.year}.svg",
                                    "Andel positiva (%)")
        below = [r["label"] for r, x in zip(rows, t["lage"]) if x < 0]
        alt = (f"Diagram: andel positiva per indikator för {GRUPPER.get(grupp, grupp).lower()} i {self.forbund}, med "
               f"rikets andel och gränserna för 95 % och 99,8 % av förbunden; "
               + (f"{len(below)} av {len(rows)} indikatorer ligger under gränserna" if below else
                  "ingen indikator ligger under gränserna") + ". Tabellen under har samma siffror.")
        out = charts.figure_markdown(path, self.out_dir, f"{GRUPPER.get(grupp, grupp)}: {self.forbund} bland förbunden, "
                                     f"{self.year}", alt, f"fig-jamforelse-{grupp}")
        frame = pd.DataFrame({"Indikator": [r["label"] for r in rows],
                              "Förbundet": [fmt.percent(r["value"]) for r in rows],
                              "Riket": [fmt.percent(r["centre"]) for r in rows],
                              "Gränser 95 %".replace(" %", f"{fmt.NBSP}%"):
                                  [f"{fmt.number(r['low95'])}–{fmt.number(r['high95'])}" for r in rows],
                              "Gränser 99,8 %".replace(" %", f"{fmt.NBSP}%"):
                                  [f"{fmt.number(r['low998'])}–{fmt.number(r['high998'])}" for r in rows],
                              "Läge": [LAGE[int(x)] for x in t["lage"]]})
        return out + "\n" + markdown_table(frame, caption=f"{GRUPPER.get(grupp, grupp)}: förbundet jämfört med "
                                           f"gränserna, {self.year}", label=f"tbl-jamforelse-{grupp}", align="lrrrrl")

    def trend_markdown(self, grupp: str) -> str:
        own = [rows for (f, y, g), rows in self._slices.items() if f == self.forbund and g == grupp and y <= self.year]
        mine = pd.concat(own) if own else self.andelar.iloc[:0]
        mine = mine[mine["matpunkt"] == ""]
        if mine.empty:
            return ""
        years = sorted(mine["year"].unique())
        return markdown_table(_by_year(mine, years, self.name), caption=f"{GRUPPER.get(grupp, grupp)}: andel positiva i "
                              f"{self.forbund} de år förbundet deltog", label=f"tbl-egen-trend-{grupp}",
                              align="l" + "r" * len(years), note=HIDDEN_NOTE)

    def open_answers_markdown(self) -> str:
        fritext = self.tables.get("fritext")
        if fritext is None:
            return "*Inga öppna svar.*\n"
        own = fritext[(fritext["forbund"] == self.forbund) & (fritext["year"] == self.year)]
        if own.empty:
            return f"*Förbundet fick inga öppna svar {self.year}.*\n"
        from .bilaga3 import answer_list

        own = own.assign(text=own["text"].map(lambda t: " ".join(str(t).split())))
        parts = []
        question = "fragetext" in own.columns
        for (enkat, fraga), g in own.groupby(["enkat", "fraga"], sort=True):
            bullets, _ = answer_list(g["text"])
            # the question's wording where the cleaning kept it, never its code name
            asked = f" – {g['fragetext'].iloc[0]}" if question and g["fragetext"].iloc[0] else ""
            if bullets:
                parts.append(f"**{ENKATER.get(enkat, enkat)}{asked}**\n\n" + "\n".join(bullets))
        _, left_out = answer_list(own["text"])
        lead = ("Namn, personnummer, e-postadresser och telefonnummer är borttagna ur svaren. Likalydande svar visas "
                "en gång med antalet inom parentes." + left_out)
        return lead + "\n\n" + "\n\n".join(parts) + "\n"

    def method_markdown(self) -> str:
        return ("I jämförelsen med andra förbund är mittlinjen rikets andel. Gränserna visar var 95 % respektive "
                "99,8 % av förbund med lika många svar skulle hamna om de skilde sig från riket bara genom slumpen "
                "och den variation som normalt finns mellan förbund (additiva slumpeffekter enligt Spiegelhalter, "
                "skattade ur de visade förbundens andelar med samma beräkning som i trattdiagrammen över "
                "förbundens täckning). Förbund utanför 99,8-procentsgränserna räknas inte med i skattningen, så att "
                "ett avvikande förbund inte vidgar sina egna gränser. Ett förbund under gränserna ligger alltså "
                "lägre än vad de vanliga skillnaderna mellan förbund kan förklara. " + hidden_sentence(self.threshold) + "\n")
