"""The model appendix (Modellbilaga) for one year: tables, forest plots and generated sentences.

The notebook (notebooks/modeller.ipynb) creates a ``Modellbilaga`` from what
``finsam stage models`` wrote to data/processed/models/<year>/ and displays its Markdown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import charts
from ..core import fmt
from ..core.vocabulary import AGE_GROUP_LABELS, BENEFIT_LABELS, BENEFITS
from ..derive.models import STANDARD_YEAR, TERM_LABELS, VARIABLES, load_model_tables
from .contract import MICRODATA, Appendix
from .tables import markdown_table

_PHRASE = {"aktivitetsersattning": "aktivitetsersättning", "sjukpenning": "sjukpenning"}
_CATEGORY = {"kvinna": "Kvinnor", "man": "Män", "True": "Ja", "False": "Nej", "0": "Under 1 år", "1-2": "1–2 år",
             "3+": "3 år eller mer"}
# The model's terms in sentences: (as subject, after a preposition, the reference group after a preposition).
_GROUPS = {
    "man": ("Män", "män", "kvinnor"),
    "psykiatrisk_diagnos": ("De som hade en psykiatrisk diagnos (F00–F99)", "dem som hade en psykiatrisk diagnos "
                            "(F00–F99)", "dem utan psykiatrisk diagnos"),
    "tid_1-2": ("De som hade haft ersättningen i 1–2 år", "dem som hade haft ersättningen i 1–2 år",
                "dem som hade haft den kortare än 1 år"),
    "tid_3+": ("De som hade haft ersättningen i 3 år eller mer", "dem som hade haft ersättningen i 3 år eller mer",
               "dem som hade haft den kortare än 1 år"),
    "alder_25-29": ("De som var 25 år eller äldre", "dem som var 25 år eller äldre", "dem som var 24 år eller yngre"),
    "alder_30-49": ("De som var 30–49 år", "dem som var 30–49 år", "dem som var 29 år eller yngre"),
    "alder_50-64": ("De som var 50 år eller äldre", "dem som var 50 år eller äldre", "dem som var 29 år eller yngre"),
}
SERIES_LABELS = {
    "deltagare_aktivitetsersattning": "Pågående deltagare med aktivitetsersättning",
    "deltagare_sjukpenning": "Pågående deltagare med sjukpenning",
    "insatser_unga_aktivitetsersattning": "Insatser för unga med aktivitetsersättning",
    "insatser_sjukskrivna": "Insatser för sjukskrivna",
    "insatser_unga_funktionsnedsattning": "Insatser för unga med funktionsnedsättning",
}


def _ci(low, high, decimals: int = 2) -> str:
    if pd.isna(low) or pd.isna(high):
        return fmt.SUPPRESSED
    return f"{fmt.number(low, decimals)}–{fmt.number(high, decimals)}"


def _shown(value, text) -> str:
    """``text`` for a published number, ".." where disclosure control hid it (NA/NaN)."""
    return fmt.SUPPRESSED if pd.isna(value) else text


HIDDEN_NOTE = "\"..\" = dolt av sekretesskäl (för få personer, eller en uppgift som skulle avslöja en sådan)."


def _category(value: str) -> str:
    ages = {k: v for labels in AGE_GROUP_LABELS.values() for k, v in labels.items()}  # the codes do not overlap
    return ages.get(value) or _CATEGORY.get(value, value.replace("-", "–") + " år" if value[:1].isdigit() else value)


@dataclass
class Modellbilaga(Appendix):
    year: int
    tables: dict[str, pd.DataFrame]
    out_dir: Path
    synthetic: bool = False

    family = "modeller"
    inputs_needed = ("models",)
    sources = (MICRODATA,)
    synthetic_explanation = ("Alla skattningar i bilagan bygger på syntetiska registerdata, dragna ur kända modeller; "
                             "de säger ingenting om verkliga deltagare. De syntetiska registren är byggda så att "
                             "antalet deltagare blir detsamma som i de publicerade tabellerna (och antalet med "
                             "ersättningen 2022 som i återrapporten för 2022); de antalen är alltså verkliga "
                             "publicerade uppgifter, allt annat är syntetiskt.")

    @classmethod
    def _load(cls, year, inputs: dict[str, Path], source: str, synthetic: bool, out_dir: Path) -> "Modellbilaga":
        """``models``: what ``finsam stage models`` wrote for the year (data/processed/models/<year>)."""
        return cls(int(year), load_model_tables(inputs["models"]), out_dir, synthetic)

    def _estimates(self, model: str, benefit: str | None = None) -> pd.DataFrame:
        e = self.tables["estimates"]
        e = e[e["model"] == model]
        return e if benefit is None else e[e["benefit"] == benefit]

    # ------------------------------------------------------------------ participation and composition
    def _standard_year(self) -> int:
        """The standard population's year, as the models stage recorded it (older outputs: STANDARD_YEAR)."""
        r = self.tables["rates"]
        return int(r["standard_year"].iloc[0]) if "standard_year" in r.columns and len(r) else STANDARD_YEAR

    def rates_markdown(self) -> str:
        r = self.tables["rates"]
        sentences, rows = [], []
        for row in r.itertuples():
            phrase = _PHRASE[row.benefit]
            if pd.isna(row.n_population):
                sentences.append(f"Av sekretesskäl visas varken hur många som hade {phrase} under {self.year} eller "
                                 "hur många av dem som deltog i en insats.")
            elif pd.isna(row.n_participants) or pd.isna(row.crude):
                sentences.append(f"Under {self.year} hade {fmt.number(row.n_population)} personer {phrase}; hur många "
                                 "av dem som deltog i en insats visas inte av sekretesskäl.")
            else:
                sentences.append(
                    f"Under {self.year} hade {fmt.number(row.n_population)} personer {phrase}, och "
                    f"{fmt.number(row.n_participants)} av dem ({fmt.percent(row.crude, 1)}) deltog i en insats.")
            hidden_std = bool(getattr(row, "standardised_suppressed", False))
            rows.append({"Ersättning": BENEFIT_LABELS[row.benefit],
                         "Alla med ersättningen": _shown(row.n_population, fmt.number(row.n_population)),
                         "Deltagare": _shown(row.n_participants, fmt.number(row.n_participants)),
                         "Andel som deltog": _shown(row.crude, f"{fmt.percent(row.crude, 1)} "
                                                               f"({_ci(row.crude_low, row.crude_high)})"),
                         "Ålders- och könsstandardiserad": (
                             fmt.SUPPRESSED if hidden_std else
                             f"{fmt.percent(row.standardised, 1)} ({_ci(row.standardised_low, row.standardised_high)})"
                             if pd.notna(row.standardised) else fmt.NOTHING)})
        note = (f"95 % konfidensintervall inom parentes. Direkt standardisering med ålders- och könsfördelningen hos "
                f"alla med samma ersättning {self._standard_year()} som standardbefolkning. {HIDDEN_NOTE}")
        if self.synthetic:
            note += (" Källa: antalen är räknade ur syntetiska registerdata som är byggda för att ge de publicerade "
                     "antalen deltagare (återrapporten för 2022, bilaga 1 tabell 1 och 3) och, för 2022, de "
                     "publicerade antalen med ersättningen (avsnitt 4.1 och 4.2); övriga år är antalen med "
                     "ersättningen påhittade. Andelar, intervall och standardiserade andelar är skattningar ur de "
                     "syntetiska data.")
        return "\n".join([" ".join(sentences), "", markdown_table(pd.DataFrame(rows), caption=f"Andel som deltog, "
                          f"{self.year}", label="tbl-deltagande", align="lrrrr", note=note)])

    def method_markdown(self) -> str:
        """The unit and the disclosure setting (from the publication stage)."""
        from ..derive.disclosure import Settings, method_sentence

        unit = self.tables.get("unit")
        if unit is None or unit.empty:
            return ""
        u = unit.iloc[0]
        return (f"Område: {u['unit']}. "
                + method_sentence(Settings(int(u["min_cell_count"]), int(u["protection_interval"]))) + "\n")

    def composition_markdown(self, benefit: str) -> str:
        c = self.tables["composition"]
        c = c[c["benefit"] == benefit]
        rows = []
        for r in c.itertuples():
            rows.append({"Variabel": VARIABLES[r.variable], "Kategori": _category(str(r.category)),
                         "Deltagare": fmt.SUPPRESSED if pd.isna(r.n_participants) else fmt.number(r.n_participants),
                         "Andel deltagare": fmt.SUPPRESSED if pd.isna(r.pct_participants) else fmt.percent(r.pct_participants),
                         "Alla med ersättningen": fmt.SUPPRESSED if pd.isna(r.n_population) else fmt.number(r.n_population),
                         "Andel alla": fmt.SUPPRESSED if pd.isna(r.pct_population) else fmt.percent(r.pct_population),
                         "Standardiserad skillnad": fmt.SUPPRESSED if pd.isna(r.smd) else fmt.number(r.smd, 2)})
        psych = self._category_row(c, "psychiatric", "True")
        women = self._category_row(c, "sex", "kvinna")
        pct = lambda v: _shown(v, fmt.percent(v))  # noqa: E731
        lead = (f"Bland deltagarna med {_PHRASE[benefit]} hade {pct(psych.pct_participants)} en psykiatrisk "
                f"diagnos, mot {pct(psych.pct_population)} bland alla med ersättningen; andelen kvinnor var "
                f"{pct(women.pct_participants)} mot {pct(women.pct_population)}."
                + (" " + HIDDEN_NOTE if c["suppressed"].any() else ""))
        note = ("Standardiserad skillnad: skillnaden mellan andelarna delad med den sammanvägda standardavvikelsen; "
                "över 0,1 i absolut värde brukar räknas som en tydlig skillnad. " + HIDDEN_NOTE)
        return "\n".join([lead, "", markdown_table(pd.DataFrame(rows), caption=f"Deltagare och alla med "
                          f"{_PHRASE[benefit]} efter kön, ålder, diagnos och tid med ersättningen, {self.year}",
                          label=f"tbl-sammansattning-{benefit}", align="llrrrrr", note=note)])

    @staticmethod
    def _category_row(c: pd.DataFrame, variable: str, category: str) -> pd.Series:
        hit = c[(c["variable"] == variable) & (c["category"] == category)]
        if len(hit):
            return hit.iloc[0]
        return pd.Series({"pct_participants": 0.0, "pct_population": 0.0})  # nobody in the category

    # ------------------------------------------------------------------ participation model
    def participation_markdown(self, benefit: str) -> str:
        e = self._estimates("deltagande_logit", benefit)
        terms = e[e["term"] != "const"].copy()
        terms["label"] = terms["term"].map(TERM_LABELS).fillna(terms["term"])
        shown = terms[terms["estimate"].notna()]
        n = e["n"].iloc[0]
        caption_n = _shown(n, fmt.number(n))
        parts = []
        if len(shown):
            path = self.out_dir / "figurer" / f"forest_{benefit}_{self.year}.png"
            charts.forest(shown, path, "Oddskvot för att delta (logaritmisk skala)")
            strongest = shown.iloc[shown["estimate"].apply(lambda v: abs(math.log(v))).argmax()]
            alt = (f"Skogsdiagram: oddskvoter för att delta bland alla med {_PHRASE[benefit]} {self.year}, med 95 % "
                   f"konfidensintervall. Störst: {strongest['label']}, {fmt.number(strongest['estimate'], 2)}. "
                   f"Samma siffror finns i tabellen under diagrammet.")
            parts.append(charts.figure_markdown(path, self.out_dir, f"Oddskvoter för att delta, {_PHRASE[benefit]}, "
                                                f"{self.year}", alt, f"fig-forest-{benefit}"))
        rows = [{"Faktor": r.label, "Oddskvot": _shown(r.estimate, fmt.number(r.estimate, 2)),
                 "95 % KI": _ci(r.ci_low, r.ci_high),
                 "p-värde": fmt.SUPPRESSED if pd.isna(r.p_value) else
                 "< 0,001" if r.p_value < 0.001 else fmt.number(r.p_value, 3)} for r in terms.itertuples()]
        note = ("Alla faktorer är skattade samtidigt. Jämförelsegrupperna är kvinnor, den yngsta åldersgruppen, de "
                "utan psykiatrisk diagnos och de som hade haft ersättningen kortare än 1 år.")
        if len(shown) < len(terms):
            note += " Skattningar på färre än gränsen (i någon kategori) visas inte. " + HIDDEN_NOTE
        table = markdown_table(pd.DataFrame(rows), caption=f"Logistisk regression av deltagande, {_PHRASE[benefit]}, "
                               f"{self.year} (n = {caption_n})", label=f"tbl-deltagandemodell-{benefit}",
                               align="lrrr", note=note)
        sentences = [self._or_sentence(r) for r in shown.itertuples()]
        if not sentences:
            sentences = [f"Modellen för {_PHRASE[benefit]} visas inte: för få deltagare i någon kategori."]
        return "\n".join([" ".join(sentences), ""] + parts + [table])

    @staticmethod
    def _or_sentence(r) -> str:
        """One estimate as a whole sentence: who had higher or lower odds than whom, or no clear difference."""
        label = TERM_LABELS.get(r.term, r.term)
        subject, _, reference = label.partition(" (mot ")
        who, whom, other = _GROUPS.get(r.term, (subject, subject.lower(), reference.rstrip(")")))
        odds = fmt.number(r.estimate, 2)
        ci = f"95 % KI {_ci(r.ci_low, r.ci_high)}"
        if r.ci_low > 1:
            return f"{who} hade {odds} gånger så höga skattade odds att delta som {other} ({ci})."
        if r.ci_high < 1:
            return f"{who} hade lägre skattade odds att delta än {other} (oddskvot {odds}, {ci})."
        return (f"Mellan {whom} och {other} finns ingen statistiskt säkerställd skillnad i oddsen att delta "
                f"(oddskvot {odds}, {ci}).")

    # ------------------------------------------------------------------ trend
    def trend_markdown(self) -> str:
        t = self.tables["trend"]
        if t.empty:
            return "Trenden skattas när det finns minst tre år i serien.\n"
        rows, sentences = [], []
        for r in t.itertuples():
            label = SERIES_LABELS.get(r.series, r.series)
            change = 100 * (r.rate_ratio - 1)
            rows.append({"Serie": label, "År": fmt.year_span(r.first_year, r.last_year),
                         "Kvot per år": fmt.number(r.rate_ratio, 3), "95 % KI": _ci(r.ci_low, r.ci_high, 3),
                         "Metod": r.method})
            significant = r.ci_low > 1 or r.ci_high < 1
            direction = "ökade" if change > 0 else "minskade"
            sentences.append(f"Antalet {label[:1].lower()}{label[1:]} {direction} enligt den skattade trenden med i "
                             f"genomsnitt {fmt.percent(abs(change), 1)} per år "
                             f"{fmt.year_span(r.first_year, r.last_year)}" +
                             ("." if significant else ", men förändringen är inte statistiskt säkerställd."))
        note = ("Poisson-regression av antalet per år med året som förklarande variabel; kvoten är den skattade "
                "förändringen per år (1 = "
                "oförändrat). Vid överspridning (Pearson χ² per frihetsgrad över 1) skalas standardfelen "
                "(kvasi-Poisson). Antalen är räknade ur mikrodata.")
        return "\n".join([" ".join(sentences), "", markdown_table(pd.DataFrame(rows), caption=f"Trend i antal "
                          f"deltagare och insatser till och med {self.year}", label="tbl-trend", align="llrrl", note=note)])

    # ------------------------------------------------------------------ outcome
    def outcome_markdown(self, benefit: str) -> str:
        naive = self._estimates("utfall_naiv_riskskillnad", benefit).iloc[0]
        weighted = self._estimates("utfall_ps_viktad_riskskillnad", benefit).iloc[0]
        b = self.tables["balance"]
        b = b[b["benefit"] == benefit]
        pct = lambda v: _shown(v, fmt.percent(100 * v))  # noqa: E731
        num = lambda v: _shown(v, fmt.number(v, 2))  # noqa: E731
        rows = [{"Faktor": TERM_LABELS.get(r.term, r.term), "Deltagare": pct(r.mean_participants),
                 "Övriga": pct(r.mean_others), "Övriga, viktade": pct(r.mean_others_weighted),
                 "SMD före": num(r.smd_before), "SMD efter": num(r.smd_after)} for r in b.itertuples()]
        worst_after = float(b["smd_after"].abs().max())  # NaN when every row is hidden
        balance = markdown_table(pd.DataFrame(rows), caption=f"Balans före och efter viktning, {_PHRASE[benefit]}, "
                                 f"{self.year}", label=f"tbl-balans-{benefit}", align="lrrrrr",
                                 note="SMD = standardiserad skillnad mot deltagarna; målet är under 0,1 efter "
                                      "viktning. " + HIDDEN_NOTE)
        effect_rows = [
            {"Jämförelse": "Utan justering",
             "Skillnad, procentenheter": _shown(naive.estimate, fmt.number(100 * naive.estimate, 1, sign=True)),
             "95 % KI": _ci(100 * naive.ci_low, 100 * naive.ci_high, 1)},
            {"Jämförelse": "Viktad med benägenhetspoäng (effekt bland deltagarna)",
             "Skillnad, procentenheter": _shown(weighted.estimate, fmt.number(100 * weighted.estimate, 1, sign=True)),
             "95 % KI": _ci(100 * weighted.ci_low, 100 * weighted.ci_high, 1)},
        ]
        effect = markdown_table(pd.DataFrame(effect_rows), caption=f"Skillnad i andel i arbete eller studier efter "
                                f"12 månader, deltagare mot övriga med {_PHRASE[benefit]}, {self.year}",
                                label=f"tbl-effekt-{benefit}", align="lrr",
                                note=f"n = {_shown(weighted.n, fmt.number(weighted.n))}. Metod: övriga viktas med benägenhetspoäng "
                                     f"(vikten är b/(1 − b), där b är den skattade sannolikheten att delta) och "
                                     f"skillnaden skattas med en viktad linjär sannolikhetsmodell med robusta "
                                     f"standardfel.")
        if pd.isna(weighted.estimate):
            return "\n".join([f"Jämförelsen av utfallet visas inte för {_PHRASE[benefit]}: för få deltagare eller "
                              f"övriga med och utan arbete eller studier efter 12 månader.", "", balance, effect])
        significant = weighted.ci_low > 0 or weighted.ci_high < 0
        lead = (f"Efter viktningen var den skattade andelen i arbete eller studier 12 månader senare "
                f"{fmt.number(100 * abs(weighted.estimate), 1)} procentenheter {'högre' if weighted.estimate > 0 else 'lägre'} "
                f"bland deltagarna med {_PHRASE[benefit]} än bland jämförbara övriga (95 % KI "
                f"{_ci(100 * weighted.ci_low, 100 * weighted.ci_high, 1)})"
                + ("" if significant else ", en skillnad som inte är statistiskt säkerställd") +
                f". Utan justering är den skattade skillnaden {fmt.number(100 * naive.estimate, 1, sign=True)} procentenheter. "
                + (f"Den största kvarvarande obalansen efter viktningen är {fmt.number(worst_after, 3)}, "
                   f"{'under' if worst_after < 0.1 else 'inte under'} målet 0,1." if b["smd_after"].notna().all() else
                   "Obalansen efter viktning visas bara för faktorer som inte är dolda."))
        return "\n".join([lead, "", balance, effect])

    def limitations_markdown(self) -> str:
        text = ("Jämförelserna bygger på observationsdata: deltagarna har inte lottats till insatserna. "
                "Viktningen gör deltagare och övriga lika i kön, ålder, psykiatrisk diagnos och tid med ersättningen, "
                "men inte i sådant som registren saknar (motivation, arbetsförmåga, stöd från andra). Skillnaden i "
                "utfall kan därför inte utan vidare tolkas som insatsernas effekt. Konfidensintervallen tar inte med "
                "osäkerheten i de skattade benägenhetspoängen.")
        if self.synthetic:
            text += (" Data i denna bilaga är syntetiska: de är dragna ur modeller med kända parametrar (se "
                     "projektets dokumentation av antaganden och förbehåll) för att visa och pröva metoderna, och "
                     "säger ingenting om verkliga deltagare.")
        return text + "\n\n" + self.method_markdown()

    def benefits(self) -> tuple[str, ...]:
        return BENEFITS
