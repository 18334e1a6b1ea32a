"""Förbundsbilaga: Bilaga 1 from microdata for one samordningsförbund and year, beside the nation,
and the national comparison page (all förbund side by side, funnel plot and table).

The reports read one tidy table of figures that have already passed the linked disclosure
control (:data:`COLUMNS`; a hidden figure has ``value`` NaN and ``suppressed`` True). They never
count people themselves: every number shown is a value of that table, or (the comparison with the
nation and the funnel plot's limits) computed from values that are shown anyway.

The notebooks (notebooks/forbundsbilaga.ipynb, notebooks/forbund_jamforelse.ipynb) create a
report with ``from_parameters`` and display its Markdown. Charts are few and small (one SVG per
report) because a förbund's report is built 7 × 80 times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import fmt
from ..core.errors import ConfigError
from ..core.vocabulary import BENEFIT_LABELS, BENEFITS
from .contract import MICRODATA, Appendix
from .forbund_figures import COLUMNS, FIGURES_FILE, NATIONAL, load_figures, read_unit, units
from .tables import markdown_table

TARGET_GROUPS = {"unga_aktivitetsersattning": "Unga med aktivitetsersättning",
                 "sjukskrivna": "Sjukskrivna",
                 "unga_funktionsnedsattning": "Unga med funktionsnedsättning",
                 "total": "Sammanlagt"}
STATUS_LABELS = {"pagaende": "Pågående", "ny": "Nyregistrerade"}
SEX_LABELS = {"kvinna": "Kvinnor", "man": "Män", "total": "Totalt"}
_PHRASE = {"aktivitetsersattning": "aktivitetsersättning", "sjukpenning": "sjukpenning"}
# The comparison with the nation is made only on at least this many participants (and never on hidden ones).
MIN_COMPARISON = 20
Z_LIMITS = {"95 %": 1.959964, "99,8 %": 3.090232}
HIDDEN_NOTE = "\"..\" = dolt av sekretesskäl (för få personer, eller en uppgift som skulle avslöja en sådan); \"–\" = inget att redovisa."


_KEY = ("measure", "benefit", "status", "sex", "target_group")


def index(frame: pd.DataFrame) -> dict[tuple[str, ...], tuple[float, bool]]:
    """The figures of one unit and year by (measure, benefit, status, sex, target_group), "" where a
    breakdown does not apply: looked up dozens of times per report, so built once."""
    keys = frame[list(_KEY)].fillna("").astype(str).itertuples(index=False, name=None)
    values = (math.nan if pd.isna(v) else float(v) for v in frame["value"])
    return dict(zip(keys, zip(values, (bool(h) for h in frame["suppressed"]))))


def _value(figures: dict, measure: str, benefit: str = "", status: str = "", sex: str = "",
           target_group: str = "") -> tuple[float, bool]:
    """(value, suppressed) of one figure of an :func:`index`; (NaN, False) when there is none."""
    return figures.get((measure, benefit, status, sex, target_group), (math.nan, False))


def _show(value: float, suppressed: bool, decimals: int = 0, kind: str = "number") -> str:
    if suppressed:
        return fmt.SUPPRESSED
    if kind == "percent":
        return fmt.percent(value, decimals)
    return fmt.number(value, decimals)


def wilson(k: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of the proportion k/n."""
    if n <= 0:
        return math.nan, math.nan
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def funnel_limits(p0: float, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Control limits of a funnel plot for a proportion p0 around the target: p0 ± z·√(p0(1−p0)/n)
    (normal approximation, Spiegelhalter 2005), clipped to [0, 1]."""
    n = np.asarray(n, dtype=float)
    half = z * np.sqrt(p0 * (1 - p0) / n)
    return np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)


def coverage_table(figures: pd.DataFrame, year: int, benefit: str) -> pd.DataFrame:
    """Per förbund (and the nation): ongoing participants, reference population, coverage per 1 000
    and where it lies against the funnel's limits, from the disclosed figures of ``year``."""
    f = figures[(figures["year"] == year)]
    rows = []
    for unit in [NATIONAL] + units(f):
        u = index(f[f["unit"] == unit])
        part, part_hidden = _value(u, measure="deltagare", benefit=benefit, status="pagaende", sex="total")
        pop, pop_hidden = _value(u, measure="referensbefolkning", benefit=benefit)
        cov, cov_hidden = _value(u, measure="tackning", benefit=benefit)
        rows.append({"unit": unit, "participants": part, "participants_hidden": part_hidden, "population": pop,
                     "population_hidden": pop_hidden, "coverage": cov, "coverage_hidden": cov_hidden})
    table = pd.DataFrame(rows)
    national = table.iloc[0]
    p0 = national["participants"] / national["population"] if national["population"] else math.nan
    position = []
    for row in table.itertuples():
        if row.unit == NATIONAL or row.coverage_hidden or pd.isna(row.coverage) or pd.isna(row.population) \
                or pd.isna(p0) or row.population <= 0:
            position.append(fmt.NOTHING if row.unit == NATIONAL or not row.coverage_hidden else fmt.SUPPRESSED)
            continue
        p = row.coverage / 1000
        label = "inom gränserna"
        for name, z in sorted(Z_LIMITS.items(), key=lambda kv: kv[1]):
            low, high = funnel_limits(p0, np.array([row.population]), z)
            if p > high[0]:
                label = f"över {name}-gränsen"
            elif p < low[0]:
                label = f"under {name}-gränsen"
        position.append(label)
    table["position"] = position
    table.attrs["p0"] = p0
    return table


def _figures_of(year, folder: Path) -> tuple[int, pd.DataFrame]:
    """The checked year and that year's figures (every unit in the folder)."""
    figures = load_figures(folder)
    year = int(year)
    if year not in set(figures["year"]):
        raise ConfigError(f"{Path(folder) / FIGURES_FILE}: no figures for {year}")
    return year, figures[figures["year"] == year]


@dataclass
class _Page(Appendix):
    """What every förbund page has: its year, its figures, where its charts go, and the settings."""

    year: int
    figures: pd.DataFrame
    out_dir: Path
    synthetic: bool = False
    threshold: int = 5

    inputs_needed = ("forbund",)
    sources = (MICRODATA,)


# --------------------------------------------------------------------------- the förbund report
@dataclass(kw_only=True)
class Forbundsbilaga(_Page):
    """One förbund and year beside the nation. Its input folder (``inputs["forbund"]``) holds that
    förbund's and the nation's figures of the year and which förbund it is
    (:func:`pipeline.reports.forbund_figures.write_unit`): the stage writes it next to the report,
    so the report's folder says exactly which numbers it was built from."""

    forbund: str
    national: pd.DataFrame

    family = "forbundsbilaga"
    synthetic_explanation = ("Siffrorna i bilagan är räknade ur syntetiska registerdata för förbundet och säger "
                             "ingenting om verkliga deltagare.")

    def __post_init__(self) -> None:
        self._here, self._nation = index(self.figures), index(self.national)

    @classmethod
    def _load(cls, year, inputs: dict[str, Path], source: str, synthetic: bool, out_dir: Path) -> "Forbundsbilaga":
        unit, threshold = read_unit(inputs["forbund"])
        year, figures = _figures_of(year, inputs["forbund"])
        if unit not in set(figures["unit"]):
            raise ConfigError(f"{Path(inputs['forbund']) / FIGURES_FILE}: no figures for förbund {unit!r} in {year}")
        return cls(year, figures[figures["unit"] == unit], out_dir, synthetic, threshold, forbund=unit,
                   national=figures[figures["unit"] == NATIONAL])

    # ------------------------------------------------------------------ helpers
    def _pair(self, **where) -> tuple[str, str]:
        return _show(*_value(self._here, **where)), _show(*_value(self._nation, **where))

    def _any_hidden(self) -> bool:
        return bool(self.figures["suppressed"].any())

    def no_participants(self) -> bool:
        """True when the förbund had no participant this year: no participant figures at all, or every
        count shown is 0 (a 0 below the threshold is hidden like any small count and shows "..")."""
        d = self.figures[self.figures["measure"] == "deltagare"]
        return d.empty or (not d["suppressed"].any() and float(d["value"].fillna(0).sum()) == 0)

    def heading(self) -> str:
        return f"{self.forbund} – {self.year}"

    # ------------------------------------------------------------------ sections
    def intro_markdown(self) -> str:
        lines = [f"Bilagan visar deltagare och insatser i {self.forbund} {self.year}, räknade ur registren, "
                 f"bredvid samma uppgifter för hela riket. Alla antal har gått igenom samma röjandekontroll: "
                 f"antal under {self.threshold} personer, och uppgifter som skulle avslöja dem, visas som \"..\"."]
        if self.no_participants():
            lines.append(f"\n**{self.forbund} hade inga deltagare registrerade {self.year}.** Där finns därför "
                         "inget att redovisa (\"–\"), och ingen jämförelse med riket går att göra.")
        elif self._any_hidden():
            lines.append(f"\nFörbundet är litet: några grupper har färre än {self.threshold} personer, och de "
                         "visas som \"..\" tillsammans med de uppgifter som annars skulle avslöja dem.")
        return "\n".join(lines) + "\n"

    def participants_markdown(self) -> str:
        rows = []
        for benefit in BENEFITS:
            for status in ("pagaende", "ny"):
                row = {"Ersättning vid inskrivning": BENEFIT_LABELS[benefit], "Deltagare": STATUS_LABELS[status]}
                for sex in ("kvinna", "man", "total"):
                    row[SEX_LABELS[sex]] = self._pair(measure="deltagare", benefit=benefit, status=status, sex=sex)[0]
                row["Riket, totalt"] = self._pair(measure="deltagare", benefit=benefit, status=status, sex="total")[1]
                rows.append(row)
        return markdown_table(pd.DataFrame(rows), caption=f"Deltagare per ersättning, kön och status, {self.year}",
                              label="tbl-deltagare", align="llrrrr", note=HIDDEN_NOTE)

    def insatser_markdown(self) -> str:
        rows = []
        for group, label in TARGET_GROUPS.items():
            here, nation = self._pair(measure="insatser", target_group=group)
            rows.append({"Målgrupp": label, "Förbundet": here, "Riket": nation})
        return markdown_table(pd.DataFrame(rows), caption=f"Insatser per målgrupp, {self.year}",
                              label="tbl-insatser", note="En insats kan rikta sig till flera målgrupper. " + HIDDEN_NOTE)

    def diagnosis_markdown(self) -> str:
        rows = []
        for benefit in BENEFITS:
            v, h = _value(self._here, measure="psykiatrisk_andel", benefit=benefit)
            nv, nh = _value(self._nation, measure="psykiatrisk_andel", benefit=benefit)
            rows.append({"Ersättning vid inskrivning": BENEFIT_LABELS[benefit],
                         "Förbundet": _show(v, h, kind="percent"), "Riket": _show(nv, nh, kind="percent")})
        return markdown_table(pd.DataFrame(rows),
                              caption=f"Andel nyregistrerade deltagare med psykiatrisk diagnos (F00–F99), {self.year}",
                              label="tbl-diagnos", note=HIDDEN_NOTE)

    def coverage_markdown(self) -> str:
        rows = []
        for benefit in BENEFITS:
            part, pop = (_value(self._here, measure=m, benefit=benefit, **kw) for m, kw in
                         (("deltagare", {"status": "pagaende", "sex": "total"}), ("referensbefolkning", {})))
            cov = _value(self._here, measure="tackning", benefit=benefit)
            ncov = _value(self._nation, measure="tackning", benefit=benefit)
            rows.append({"Ersättning": BENEFIT_LABELS[benefit], "Pågående deltagare": _show(*part),
                         "Med ersättningen i området": _show(*pop), "Per 1 000, förbundet": _show(*cov, decimals=1),
                         "Per 1 000, riket": _show(*ncov, decimals=1)})
        return markdown_table(pd.DataFrame(rows),
                              caption=f"Täckning: deltagare per 1 000 med ersättningen i förbundets kommuner, {self.year}",
                              label="tbl-tackning", align="lrrrr", note=HIDDEN_NOTE)

    def coverage_chart_markdown(self) -> str:
        """One small chart (SVG): coverage per benefit, the förbund beside the nation."""
        from . import charts

        values = []
        for benefit in BENEFITS:
            for who, frame in ((self.forbund, self._here), (NATIONAL, self._nation)):
                v, hidden = _value(frame, measure="tackning", benefit=benefit)
                if not hidden and not pd.isna(v):
                    values.append({"benefit": BENEFIT_LABELS[benefit], "who": who, "value": v})
        if not values:
            return ("*Inget diagram: täckningen kan inte visas för förbundet i år (dold av sekretesskäl eller utan "
                    "referensbefolkning).*\n")
        frame = pd.DataFrame(values)
        path = charts.svg_bars(frame, "benefit", "value", "who", self.out_dir / "figurer" / f"tackning_{self.year}.svg",
                                 "Deltagare per 1 000")
        alt = "Täckning per 1 000 med ersättningen: " + "; ".join(
            f"{r.benefit}, {r.who}: {fmt.number(r.value, 1)}" for r in frame.itertuples()) + "."
        return charts.figure_markdown(path, self.out_dir, f"Täckning per 1 000, {self.forbund} och riket, {self.year}",
                                      alt, "fig-tackning")

    def comparison_markdown(self) -> str:
        """The participation rate against the nation's, with a 95 % interval, where the numbers carry it."""
        out = []
        for benefit in BENEFITS:
            phrase = _PHRASE[benefit]
            part, part_hidden = _value(self._here, measure="deltagare", benefit=benefit, status="pagaende", sex="total")
            pop, pop_hidden = _value(self._here, measure="referensbefolkning", benefit=benefit)
            npart, _ = _value(self._nation, measure="deltagare", benefit=benefit, status="pagaende", sex="total")
            npop, _ = _value(self._nation, measure="referensbefolkning", benefit=benefit)
            head = f"**{BENEFIT_LABELS[benefit]}.** "
            if part_hidden or pop_hidden:
                out.append(head + f"Ingen jämförelse: antalet deltagare med {phrase} är dolt av sekretesskäl (färre än "
                           f"{self.threshold} personer, eller en uppgift som skulle avslöja ett sådant antal).")
            elif pd.isna(part) or part == 0:
                out.append(head + f"Ingen jämförelse: förbundet hade inga deltagare med {phrase} {self.year}.")
            elif pd.isna(pop) or pop <= 0 or pd.isna(npop) or npop <= 0:
                out.append(head + f"Ingen jämförelse: det saknas en referensbefolkning med {phrase} i förbundets "
                           "kommuner att jämföra med.")
            elif part < MIN_COMPARISON:
                out.append(head + f"Ingen jämförelse: med {fmt.number(part)} deltagare är underlaget för litet (en "
                           f"jämförelse görs från {MIN_COMPARISON} deltagare); skillnaden mot riket skulle mest "
                           "spegla slumpen.")
            else:
                p, p0 = part / pop, npart / npop
                low, high = wilson(part, pop)
                if low > p0:
                    verdict = "högre än i riket, och skillnaden är större än slumpen rimligen ger"
                elif high < p0:
                    verdict = "lägre än i riket, och skillnaden är större än slumpen rimligen ger"
                else:
                    verdict = "inte säkert skild från rikets"
                out.append(head + f"{fmt.number(1000 * p, 1)} per 1 000 med {phrase} i förbundets kommuner deltog "
                           f"(95 % konfidensintervall {fmt.number(1000 * low, 1)}–{fmt.number(1000 * high, 1)}), "
                           f"mot {fmt.number(1000 * p0, 1)} i riket: {verdict}.")
        out.append("\nJämförelsen är en enkel jämförelse av andelar (Wilsons intervall); den tar inte hänsyn till "
                   "skillnader i ålder, kön eller diagnos mellan förbundets och rikets befolkning med ersättningen.")
        return "\n\n".join(out) + "\n"


# --------------------------------------------------------------------------- the comparison page
class Forbundsjamforelse(_Page):
    """All förbund of one year side by side; ``figures``: every unit's of the year."""

    family = "jamforelse"
    synthetic_explanation = ("Siffrorna bygger på syntetiska registerdata och säger ingenting om verkliga förbund "
                             "eller deltagare.")

    @classmethod
    def _load(cls, year, inputs: dict[str, Path], source: str, synthetic: bool, out_dir: Path) -> "Forbundsjamforelse":
        year, figures = _figures_of(year, inputs["forbund"])
        return cls(year, figures, out_dir, synthetic)

    def funnel_markdown(self, benefit: str) -> str:
        from . import charts

        table = coverage_table(self.figures, self.year, benefit)
        p0 = table.attrs["p0"]
        points = table[(table["unit"] != NATIONAL) & ~table["coverage_hidden"] & table["coverage"].notna()
                       & table["population"].notna()]
        phrase = _PHRASE[benefit]
        parts = []
        if points.empty or pd.isna(p0):
            parts.append(f"*Inget trattdiagram för {phrase}: ingen täckning kan visas för något förbund.*")
        else:
            n = np.geomspace(max(points["population"].min() * 0.8, 1), points["population"].max() * 1.2, 80)
            limits = {name: funnel_limits(p0, n, z) for name, z in Z_LIMITS.items()}
            path = charts.funnel(points["population"].to_numpy(), points["coverage"].to_numpy(), 1000 * p0, n,
                                 {k: (1000 * lo, 1000 * hi) for k, (lo, hi) in limits.items()},
                                 self.out_dir / "figurer" / f"tratt_{benefit}_{self.year}.svg",
                                 "Med ersättningen i förbundets kommuner", "Deltagare per 1 000")
            outside = table[table["position"].str.startswith(("över", "under"))]
            alt = (f"Trattdiagram: täckning per 1 000 med {phrase} mot antalet med ersättningen i området för "
                   f"{len(points)} förbund, med rikets nivå {fmt.number(1000 * p0, 1)} per 1 000 och kontrollgränser "
                   f"för 95 % och 99,8 %. {len(outside)} förbund ligger utanför 95 %-gränserna; tabellen nedan har "
                   "samma siffror.")
            parts.append(charts.figure_markdown(path, self.out_dir, f"Täckning mot referensbefolkningens storlek, "
                                                f"{phrase}, {self.year}", alt, f"fig-tratt-{benefit}"))
        shown = pd.DataFrame({
            "Område": table["unit"],
            "Pågående deltagare": [_show(v, h) for v, h in zip(table["participants"], table["participants_hidden"])],
            "Med ersättningen": [_show(v, h) for v, h in zip(table["population"], table["population_hidden"])],
            "Per 1 000": [_show(v, h, 1) for v, h in zip(table["coverage"], table["coverage_hidden"])],
            "Läge i trattdiagrammet": table["position"],
        })
        parts.append(markdown_table(shown, caption=f"Täckning per förbund, {phrase}, {self.year}",
                                    label=f"tbl-tratt-{benefit}", align="lrrrl", note=HIDDEN_NOTE))
        return "\n\n".join(parts)

    def method_markdown(self) -> str:
        return ("Täckningen är pågående deltagare med ersättningen per 1 000 av alla med samma ersättning som var "
                "folkbokförda i förbundets kommuner under året. I trattdiagrammet är den vågräta linjen rikets "
                "täckning och kurvorna de gränser inom vilka 95 % respektive 99,8 % av förbunden skulle hamna om "
                "alla hade rikets täckning och skillnaderna bara var slump (normalapproximation av "
                "binomialfördelningen). Små förbund har vida gränser: deras täckning varierar mer av en slump. "
                "Förbund vars antal är dolda av sekretesskäl visas inte i diagrammet, bara som \"..\" i tabellen.\n")


# --------------------------------------------------------------------------- from the register tables
def figures_from_tables(unit: str, tables: dict[str, pd.DataFrame],
                        population: dict[tuple[int, str], float] | None = None) -> pd.DataFrame:
    """Tidy :data:`COLUMNS` rows for one unit from the disclosed tables of
    :func:`pipeline.derive.register_tables.build_frames` (participants, insatser, diagnosis, population).

    ``population`` (year, benefit) → the reference population of the unit; by default the tables'
    own (the benefit register as exported). Coverage is computed from shown figures only: hidden
    participants give a hidden coverage.
    """
    rows = []
    add = lambda **r: rows.append({c: r.get(c, "") for c in COLUMNS})  # noqa: E731
    for r in tables["participants"].itertuples():
        status = "pagaende" if r.status == "pagaende" else "ny"
        add(unit=unit, year=int(r.year), measure="deltagare", benefit=r.benefit, status=status, sex=r.sex,
            value=math.nan if pd.isna(r.count) else float(r.count), suppressed=bool(r.suppressed))
    for r in tables["insatser"].itertuples():
        add(unit=unit, year=int(r.year), measure="insatser", target_group=r.target_group,
            value=math.nan if pd.isna(r.count) else float(r.count), suppressed=bool(r.suppressed))
    for r in tables["diagnosis"].itertuples():
        if r.period != "total":
            add(unit=unit, year=int(r.period), measure="psykiatrisk_andel", benefit=r.benefit,
                value=math.nan if pd.isna(r.published_pct) else float(r.published_pct), suppressed=bool(r.suppressed))
    pop = {(int(r.year), "aktivitetsersattning" if r.figure_id == "population_ae" else "sjukpenning"): r.value
           for r in tables["population"].itertuples()}
    if population is not None:
        pop = population
    frame = pd.DataFrame(rows)
    part = frame[(frame["measure"] == "deltagare") & (frame["status"] == "pagaende") & (frame["sex"] == "total")]
    for (year, benefit), n in sorted(pop.items()):
        hidden = pd.isna(n)
        add(unit=unit, year=year, measure="referensbefolkning", benefit=benefit, value=math.nan if hidden else float(n),
            suppressed=bool(hidden))
        p = part[(part["year"] == year) & (part["benefit"] == benefit)]
        k_hidden = p.empty or bool(p["suppressed"].iloc[0])
        value = math.nan if (k_hidden or hidden or not n) else 1000.0 * float(p["value"].iloc[0]) / float(n)
        add(unit=unit, year=year, measure="tackning", benefit=benefit, value=value, suppressed=bool(k_hidden or hidden))
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype({"year": int, "value": float, "suppressed": bool})
