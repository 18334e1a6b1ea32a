"""Förbundsbilaga: Bilaga 1 from microdata for one samordningsförbund and year, beside the nation,
and the national comparison page (all förbund side by side, funnel plot and table).

The reports read one tidy table of figures that have already passed the linked disclosure
control (:data:`COLUMNS`; a hidden figure has ``value`` NaN and ``suppressed`` True). They never
count people themselves: every number shown is a value of that table. The adjusted comparison
(observed and expected participants, their ratio and interval) and the funnel plot's position of
each förbund are the förbund stage's (pipeline/derive/forbund_model.py, forbund.py); the plotted
control limits are drawn with the stage's own function (:func:`pipeline.derive.forbund.control_limits`)
from the nation's shown figures, so the table's position and the plot cannot disagree.

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
from ..core.vocabulary import BENEFIT_LABELS, BENEFITS, SEX_DISPLAY
from ..derive.forbund import LIMITS, control_limits
from ..derive import forbund_model
from ..derive.forbund_model import MIN_COMPARISON, reason
from .contract import MICRODATA, Appendix
from .forbund_figures import COLUMNS, FIGURES_FILE, FUNNEL_CODES, NATIONAL, load_figures, read_unit, units
from .tables import markdown_table

TARGET_GROUPS = {"unga_aktivitetsersattning": "Unga med aktivitetsersättning",
                 "sjukskrivna": "Sjukskrivna",
                 "unga_funktionsnedsattning": "Unga med funktionsnedsättning",
                 "total": "Sammanlagt"}
STATUS_LABELS = {"pagaende": "Pågående", "ny": "Nyregistrerade"}
SEX_LABELS = SEX_DISPLAY  # the glossary's labels (pipeline/core/vocabulary.py)
_PHRASE = {"aktivitetsersattning": "aktivitetsersättning", "sjukpenning": "sjukpenning"}
LIMIT_LABELS = {"95": f"95{fmt.NBSP}%", "998": f"99,8{fmt.NBSP}%"}  # forbund.LIMITS in Swedish
POSITION = {-2.0: "under 99,8 %-gränsen", -1.0: "under 95 %-gränsen", 0.0: "inom gränserna",
            1.0: "över 95 %-gränsen", 2.0: "över 99,8 %-gränsen"}
POSITION = {code: label.replace(" %", f"{fmt.NBSP}%") for code, label in POSITION.items()}
assert set(POSITION) == set(FUNNEL_CODES.values())
ADJUSTED = "med hänsyn till ålder, kön, diagnos och tid med ersättningen"
VERDICTS = {"higher": f"över gränserna: deltagandet är högre än förväntat {ADJUSTED}",
            "lower": f"under gränserna: deltagandet är lägre än förväntat {ADJUSTED}",
            "not_different": "inom gränserna: skillnaden mot det förväntade är inte större än skillnaderna mellan "
                             "förbund brukar vara"}
# The förbund pages' national column: counted from the same register data as the förbund, not the
# published national figures (issue 21: the two differ a little and must not sit unmarked side by side).
NATIONAL_COLUMN = "Riket (ur registren)"
_NATIONAL_FROM = ("Rikets siffror är räknade ur samma registerdata och med samma regler som förbundets, inte hämtade "
                  "ur de publicerade tabellerna")
NATIONAL_NOTE = _NATIONAL_FROM + ", och kan skilja sig något från Bilaga 1."
NATIONAL_TOTALS_NOTE = (_NATIONAL_FROM + ". De kan skilja sig från de publicerade siffrorna i Bilaga 1, bland annat där "
                        "Bilaga 1:s total inte är summan av kvinnor och män (tabell 1 2021, tabell 2 2016 och tabell 3 "
                        "2018); här är totalen alltid summan.")
INSATSER_NOTE = ("En insats kan rikta sig till flera målgrupper. Antalet insatser är ett antal aktiviteter, inte "
                 "personer, och visas även när det är litet; \"–\" = målgruppen fanns inte det året. ")
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


def _cell_text(value: float, suppressed: bool, decimals: int = 0, kind: str = "number") -> str:
    if suppressed:
        return fmt.SUPPRESSED
    if kind == "percent":
        return fmt.percent(value, decimals)
    return fmt.number(value, decimals)


def national_rate(figures: pd.DataFrame, year: int, benefit: str) -> float:
    """The nation's ongoing participants over its reference population (the funnel's target, as the
    förbund stage computes it); NaN when either is hidden or there is nobody."""
    nation = index(figures[(figures["unit"] == NATIONAL) & (figures["year"] == year)])
    part, part_hidden = _value(nation, measure="deltagare", benefit=benefit, status="pagaende", sex="total")
    pop, pop_hidden = _value(nation, measure="referensbefolkning", benefit=benefit)
    if part_hidden or pop_hidden or pd.isna(part) or pd.isna(pop) or pop <= 0:
        return math.nan
    return part / pop


def coverage_limits(rate: float, n: np.ndarray, tau2: float = 0.0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The plotted control limits per 1 000 for areas of size ``n``: the förbund stage's own (chance
    plus the ordinary spread ``tau2`` between förbund, :func:`pipeline.derive.forbund.control_limits`)
    at every level of ``forbund.LIMITS``."""
    out = {}
    for name, level in LIMITS.items():
        low, high = control_limits(rate, np.asarray(n, dtype=float), level, tau2)
        out[LIMIT_LABELS[name]] = (1000 * low, 1000 * high)
    return out


def coverage_table(figures: pd.DataFrame, year: int, benefit: str) -> pd.DataFrame:
    """Per förbund (and the nation): ongoing participants, reference population, coverage per 1 000
    and its position against the funnel's limits as the förbund stage flagged it, from the
    disclosed figures of ``year``."""
    f = figures[(figures["year"] == year)]
    rows = []
    for unit in [NATIONAL] + units(f):
        u = index(f[f["unit"] == unit])
        part, part_hidden = _value(u, measure="deltagare", benefit=benefit, status="pagaende", sex="total")
        pop, pop_hidden = _value(u, measure="referensbefolkning", benefit=benefit)
        cov, cov_hidden = _value(u, measure="tackning", benefit=benefit)
        code, _ = _value(u, measure="tratt_lage", benefit=benefit)
        if unit == NATIONAL or (not cov_hidden and pd.isna(code)):
            position = fmt.NOTHING
        else:
            position = fmt.SUPPRESSED if cov_hidden else POSITION[code]
        rows.append({"unit": unit, "participants": part, "participants_hidden": part_hidden, "population": pop,
                     "population_hidden": pop_hidden, "coverage": cov, "coverage_hidden": cov_hidden,
                     "flag": code, "position": position})
    table = pd.DataFrame(rows)
    table.attrs["p0"] = national_rate(figures, year, benefit)
    nation = index(f[f["unit"] == NATIONAL])
    tau2 = _value(nation, measure="tratt_tau2", benefit=benefit)[0]
    table.attrs["tau2"] = 0.0 if pd.isna(tau2) else tau2
    table.attrs["beyond_chance"] = _value(nation, measure="tratt_utover_slump", benefit=benefit)[0]
    return table


def spread_sentence(beyond_chance: float, what: str) -> str:
    """One plain sentence: what the limits mean and how much of the spread between förbund in
    ``what`` is more than chance (the förbund stage's estimate; NaN: too few förbund to estimate)."""
    if pd.isna(beyond_chance):
        return (f"Gränserna för {what} visar bara slumpens spridning: förbunden är för få för att skatta hur mycket "
                "de brukar skilja sig åt utöver slumpen.")
    if beyond_chance <= 0:
        return (f"Gränserna för {what} visar hur mycket förbunden skiljer sig åt av en slump; spridningen mellan "
                "förbunden är i år inte större än slumpen ensam skulle ge.")
    return (f"Gränserna för {what} visar hur mycket förbunden skiljer sig åt av en slump och av den vanliga "
            f"variationen mellan förbund; ungefär {fmt.percent(100 * beyond_chance, 0)} av spridningen mellan "
            "förbunden går utöver vad slumpen ensam skulle ge.")


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
    (:func:`pipeline.reports.forbund_figures.write_forbund_input`): the stage writes it next to the report,
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
        return _cell_text(*_value(self._here, **where)), _cell_text(*_value(self._nation, **where))

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
        lines = [f"Bilagan redovisar deltagare och insatser i {self.forbund} under {self.year}, räknade ur registren, "
                 f"tillsammans med samma uppgifter för hela riket. Alla antal har gått igenom samma röjandekontroll: "
                 f"antal under {self.threshold} personer visas som \"..\", liksom uppgifter som skulle avslöja dem."]
        if self.no_participants():
            lines.append(f"\n**{self.forbund} hade inga deltagare registrerade {self.year}.** Därför finns "
                         "inget att redovisa (\"–\"), och ingen jämförelse med riket går att göra.")
        elif self._any_hidden():
            lines.append("\n" + self.hidden_sentence())
        return "\n".join(lines) + "\n"

    def hidden_sentence(self) -> str:
        """Why this förbund's "..": said for what is hidden. "Litet" only where every participant count
        is hidden; otherwise how many of its figures are hidden and the two reasons a figure is."""
        shown = self.figures[self.figures["measure"].isin(("deltagare", "insatser", "psykiatrisk_andel",
                                                            "referensbefolkning", "tackning", "boende_deltagare"))]
        hidden = int(shown["suppressed"].sum())
        participants = shown[shown["measure"] == "deltagare"]
        why = (f"Dolt är antal under {self.threshold} personer och uppgifter som skulle avslöja ett sådant antal, "
               "till exempel genom att räknas fram ur en summa, en andel eller rikets siffror.")
        if len(participants) and participants["suppressed"].all():
            return f"Förbundet har få deltagare: alla deltagarantal är dolda (\"..\"). {why}"
        return (f"Av förbundets {fmt.number(len(shown))} uppgifter i tabellerna nedan är {fmt.number(hidden)} dolda "
                f"(\"..\"); övriga visas. {why}")

    def participants_markdown(self) -> str:
        rows = []
        for benefit in BENEFITS:
            for status in ("pagaende", "ny"):
                row = {"Ersättning vid inskrivning": BENEFIT_LABELS[benefit], "Deltagare": STATUS_LABELS[status]}
                for sex in ("kvinna", "man", "total"):
                    row[SEX_LABELS[sex]] = self._pair(measure="deltagare", benefit=benefit, status=status, sex=sex)[0]
                row[NATIONAL_COLUMN + ", totalt"] = self._pair(measure="deltagare", benefit=benefit, status=status,
                                                              sex="total")[1]
                rows.append(row)
        return markdown_table(pd.DataFrame(rows), caption=f"Deltagare per ersättning, kön och status, {self.year}",
                              label="tbl-deltagare", align="llrrrr", note=HIDDEN_NOTE + " " + NATIONAL_TOTALS_NOTE)

    def insatser_markdown(self) -> str:
        rows = []
        for group, label in TARGET_GROUPS.items():
            here, nation = self._pair(measure="insatser", target_group=group)
            rows.append({"Målgrupp": label, "Förbundet": here, NATIONAL_COLUMN: nation})
        hidden = any(fmt.SUPPRESSED in (r["Förbundet"], r[NATIONAL_COLUMN]) for r in rows)
        return markdown_table(pd.DataFrame(rows), caption=f"Insatser per målgrupp, {self.year}", label="tbl-insatser",
                              note=INSATSER_NOTE + (HIDDEN_NOTE + " " if hidden else "") + NATIONAL_NOTE)

    def diagnosis_markdown(self) -> str:
        rows = []
        for benefit in BENEFITS:
            v, h = _value(self._here, measure="psykiatrisk_andel", benefit=benefit)
            nv, nh = _value(self._nation, measure="psykiatrisk_andel", benefit=benefit)
            rows.append({"Ersättning vid inskrivning": BENEFIT_LABELS[benefit],
                         "Förbundet": _cell_text(v, h, kind="percent"),
                         NATIONAL_COLUMN: _cell_text(nv, nh, kind="percent")})
        return markdown_table(pd.DataFrame(rows),
                              caption=f"Andel nyregistrerade deltagare med psykiatrisk diagnos (F00–F99), {self.year}",
                              label="tbl-diagnos", note=HIDDEN_NOTE + " " + NATIONAL_NOTE)

    def coverage_markdown(self) -> str:
        rows = []
        for benefit in BENEFITS:
            part, pop = (_value(self._here, measure=m, benefit=benefit, **kw) for m, kw in
                         (("deltagare", {"status": "pagaende", "sex": "total"}), ("referensbefolkning", {})))
            cov = _value(self._here, measure="tackning", benefit=benefit)
            ncov = _value(self._nation, measure="tackning", benefit=benefit)
            rows.append({"Ersättning": BENEFIT_LABELS[benefit], "Pågående deltagare": _cell_text(*part),
                         "Med ersättningen i området": _cell_text(*pop),
                         "Per 1 000, förbundet": _cell_text(*cov, decimals=1),
                         "Per 1 000, riket (ur registren)": _cell_text(*ncov, decimals=1)})
        return markdown_table(pd.DataFrame(rows),
                              caption=f"Täckning: deltagare per 1 000 med ersättningen i förbundets kommuner, {self.year}",
                              label="tbl-tackning", align="lrrrr", note=HIDDEN_NOTE + " " + NATIONAL_NOTE)

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
        """The adjusted comparison per benefit (the förbund stage's observed and expected participants),
        or one Swedish sentence saying why there is none."""
        out = [comparison_sentence(self._here, benefit, self.year, self.threshold) for benefit in BENEFITS]
        out.append(COMPARISON_METHOD)
        return "\n\n".join(out) + "\n"


COMPARISON_METHOD = (
    "*Så görs jämförelsen.* Jämförelsen bygger på indirekt standardisering. För varje ersättning och år skattas en "
    "logistisk regressionsmodell på alla i riket med ersättningen: sannolikheten att delta i något "
    "samordningsförbund givet kön, åldersgrupp, psykiatrisk diagnos (F00–F99) och tid med ersättningen. "
    "Summan av de skattade sannolikheterna för dem som var folkbokförda i förbundets kommuner den 31 december "
    "är det förväntade antalet deltagare. Det faktiska antalet är de av dem som deltog, oavsett i vilket "
    "förbund; det kan därför skilja sig från förbundets egna deltagare i tabellerna ovan, som räknas "
    "var de än bor. En kvot över 1 betyder fler deltagare än rikets mönster ger för en befolkning med samma "
    "sammansättning. Förbund skiljer sig åt mer än slumpen förklarar, till exempel genom lokala arbetssätt och "
    "arbetsmarknaden. Gränserna tar därför hänsyn både till slumpen och till den vanliga variationen mellan "
    "förbund, skattad ur förbundens kvoter samma år (en additiv slumpeffekt enligt Spiegelhalter 2005). "
    "Ett förbund utanför gränserna skiljer sig alltså mer än förbund brukar göra. En "
    f"jämförelse görs bara när båda antalen kan visas och minst {MIN_COMPARISON} deltog.")


# Why a förbund is not compared (forbund_model.REASONS), after "Ingen jämförelse: ".
NO_COMPARISON = {
    "hidden": ("antalet med {phrase} i förbundets kommuner, eller hur många av dem som deltog, är dolt av "
               "sekretesskäl (färre än {threshold} personer, eller en uppgift som skulle avslöja ett sådant antal)."),
    "no_population": ("ingen med {phrase} var folkbokförd i förbundets kommuner {year}, så det finns ingen "
                      "befolkning att jämföra med."),
    "no_participants": "ingen av de {n} med {phrase} i förbundets kommuner deltog i något samordningsförbund {year}.",
    "few": ("{o} av de {n} med {phrase} i förbundets kommuner deltog, och med färre än {minimum} deltagare är "
            "underlaget för litet; skillnaden mot det förväntade skulle mest spegla slumpen."),
    "model": ("modellen för deltagande med {phrase} i hela riket gick inte att skatta {year} (den konvergerade inte, "
              "eller ingen eller alla i riket deltog), så det finns inget förväntat antal."),
}
assert set(NO_COMPARISON) == set(forbund_model.REASONS)


def comparison_sentence(figures: dict, benefit: str, year: int, threshold: int) -> str:
    """One benefit's adjusted comparison in Swedish from an :func:`index` of a förbund's figures: the
    numbers where the stage published them, else why not (:func:`pipeline.derive.forbund_model.reason`)."""
    phrase, head = _PHRASE[benefit], f"**{BENEFIT_LABELS[benefit]}.** "
    o, o_hidden = _value(figures, measure="boende_deltagare", benefit=benefit)
    n, n_hidden = _value(figures, measure="referensbefolkning", benefit=benefit)
    ok, _ = _value(figures, measure="standardkvot_modell", benefit=benefit)
    e, _ = _value(figures, measure="forvantade_deltagare", benefit=benefit)
    why = reason(o, o_hidden, n, n_hidden, ok == 1)
    if not why and pd.isna(e):
        why = "model"  # the stage published no expectation (e.g. figures without the comparison)
    if why:
        words = {"phrase": phrase, "year": year, "threshold": threshold, "minimum": MIN_COMPARISON,
                 "o": "" if pd.isna(o) else fmt.number(o), "n": "" if pd.isna(n) else fmt.number(n)}
        return head + "Ingen jämförelse: " + NO_COMPARISON[why].format(**words)
    ratio, low, high, beyond = (_value(figures, measure=m, benefit=benefit)[0]
                                for m in ("standardkvot", "standardkvot_grans_nedre", "standardkvot_grans_ovre",
                                          "standardkvot_utover_slump"))
    verdict = forbund_model.limits_verdict(ratio, low, high)
    return head + (f"I förbundets kommuner var {fmt.number(n)} personer med {phrase} folkbokförda, och "
                   f"{fmt.number(o)} av dem deltog. Om de hade deltagit i samma utsträckning som personer i hela riket "
                   f"med samma kön, ålder, diagnos och tid med ersättningen, hade {fmt.number(e, 1)} deltagare "
                   f"förväntats. Kvoten mellan det faktiska och det förväntade antalet är {fmt.number(ratio, 2)}. Ett "
                   f"förbund med lika många förväntade deltagare hamnar i 95 fall av 100 mellan {fmt.number(low, 2)} "
                   f"och {fmt.number(high, 2)}, om det skiljer sig från andra förbund bara genom slumpen och den "
                   f"vanliga variationen mellan förbund. Förbundet ligger {VERDICTS[verdict]}. "
                   + spread_sentence(beyond, f"kvoten med {phrase} {year}"))


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
            path = charts.funnel_plot(points["population"].to_numpy(), points["coverage"].to_numpy(), 1000 * p0, n,
                                 coverage_limits(p0, n, table.attrs["tau2"]),
                                 self.out_dir / "figurer" / f"tratt_{benefit}_{self.year}.svg",
                                 "Med ersättningen i förbundets kommuner", "Deltagare per 1 000")
            outside = table[table["flag"].abs() >= 1]
            alt = (f"Trattdiagram: täckning per 1 000 med {phrase} mot antalet med ersättningen i området för "
                   f"{len(points)} förbund, med rikets nivå {fmt.number(1000 * p0, 1)} per 1 000 och kontrollgränser "
                   f"för 95 % och 99,8 % som tar hänsyn till slumpen och den vanliga variationen mellan förbund. "
                   f"Utanför 95 %-gränserna ligger {len(outside)} förbund; tabellen nedan har samma siffror.")
            parts.append(charts.figure_markdown(path, self.out_dir, f"Täckning mot referensbefolkningens storlek, "
                                                f"{phrase}, {self.year}", alt, f"fig-tratt-{benefit}"))
        outside = table[table["flag"].abs() >= 1]
        placed = table[(table["unit"] != NATIONAL) & table["flag"].notna()]
        parts.insert(0, spread_sentence(table.attrs["beyond_chance"], f"täckningen med {phrase}") + (
            f" Av de {fmt.number(len(placed))} förbund som kan visas ligger {fmt.number(len(outside))} utanför "
            f"95{fmt.NBSP}%-gränserna och {fmt.number(int((table['flag'].abs() >= 2).sum()))} utanför "
            f"99,8{fmt.NBSP}%-gränserna." if len(placed) else ""))
        shown = pd.DataFrame({
            "Område": table["unit"],
            "Pågående deltagare": [_cell_text(v, h)
                                   for v, h in zip(table["participants"], table["participants_hidden"])],
            "Med ersättningen": [_cell_text(v, h) for v, h in zip(table["population"], table["population_hidden"])],
            "Per 1 000": [_cell_text(v, h, 1) for v, h in zip(table["coverage"], table["coverage_hidden"])],
            "Läge i trattdiagrammet": table["position"],
        })
        parts.append(markdown_table(shown, caption=f"Täckning per förbund, {phrase}, {self.year}",
                                    label=f"tbl-tratt-{benefit}", align="lrrrl", note=HIDDEN_NOTE))
        return "\n\n".join(parts)

    def method_markdown(self) -> str:
        return ("Täckningen är pågående deltagare med ersättningen per 1 000 av alla med samma ersättning som var "
                "folkbokförda i förbundets kommuner den 31 december. I trattdiagrammet är den vågräta linjen rikets "
                "täckning och kurvorna de gränser inom vilka 95 % respektive 99,8 % av förbunden skulle hamna om "
                "de bara skilde sig från riket av en slump och av den vanliga variationen mellan förbund. Förbund "
                "skiljer sig nämligen åt mer än slumpen förklarar (lokala arbetssätt, arbetsmarknaden, hur "
                "insatserna registreras), och gränser som bara räknar med slumpen skulle peka ut vanliga förbund "
                "som avvikande. Hur stor den vanliga variationen är skattas ur alla förbunds täckning samma år, som "
                "en additiv slumpeffekt (Spiegelhalter 2005); förbund som ligger långt utanför räknas inte in i "
                "skattningen. Slumpen räknas med Poissonfördelningen för antalet deltagare: förbundets deltagare är "
                "inte en delmängd av de folkbokförda i dess kommuner (en del bor i en annan kommun), så antalet "
                "jämförs med det förväntade antalet, inte som en andel. Ett förbund utanför gränserna skiljer sig mer "
                "än förbund brukar göra; det säger inte varför. Läget i tabellen och gränserna i diagrammet kommer "
                "från samma beräkning. Små förbund har vida gränser: deras täckning varierar mer av en slump. "
                "Förbund vars antal är dolda av sekretesskäl visas inte i diagrammet, bara som \"..\" i tabellen.\n")
