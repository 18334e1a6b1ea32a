"""Bilaga 3: the enkät's results, question by question, for all respondents and by group.

The report notebook (notebooks/bilaga3.ipynb) creates a ``Bilaga3`` from the cleaned survey
(data/processed/enkat/<year>) and its questionnaire, and displays the Markdown it returns.
Every section follows the questionnaire's order, so the next survey's export and
``fragor.yaml`` give the next appendix without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import charts
from ..core import fmt
from ..core.errors import ConfigError
from ..sources.enkat import (
    ALL,
    CleanSurvey,
    Question,
    Survey,
    choice_counts,
    compare_groups,
    load_clean,
    load_survey,
    response_rates,
    scale_distribution,
    single_counts,
)
from .contract import SURVEY, Appendix
from .tables import markdown_table

SIGNIFICANCE = 0.05


def _p(p: float | None) -> str:
    if p is None:
        return fmt.NOTHING
    return "< 0,001" if p < 0.001 else fmt.number(p, 3)


def redaction_only(text: str) -> bool:
    """An open answer with nothing left but removal marks ("[namn borttaget]", …) and punctuation."""
    from ..core.privacy import HIDDEN, NAME_MARKER, REPLACEMENTS

    rest = str(text)
    for marker in [NAME_MARKER, HIDDEN, *(m for _, m in REPLACEMENTS.values())]:
        rest = rest.replace(marker, " ")
    return not any(ch.isalnum() for ch in rest)


def answer_list(texts: pd.Series) -> tuple[list[str], str]:
    """Open answers as Markdown bullets, identical answers once with their count, and the sentence
    that says how many were left out because nothing but removal marks was left ("" if none)."""
    only_removed = texts.map(redaction_only)
    n = int(only_removed.sum())
    left_out = ("" if not n else " Ett svar bestod bara av sådana uppgifter och visas inte." if n == 1 else
                f" Av svaren bestod {fmt.number(n)} bara av sådana uppgifter och visas inte.")
    return ([f"- {t}" + (f" ({fmt.number(k)} svar)" if k > 1 else "")
             for t, k in texts[~only_removed].value_counts(sort=False).items()], left_out)


@dataclass
class Bilaga3(Appendix):
    survey: Survey
    data: CleanSurvey
    out_dir: Path
    synthetic: bool = False

    family = "bilaga3"
    inputs_needed = ("questionnaire", "survey")
    sources = (SURVEY,)
    synthetic_explanation = ("Enkätsvaren i denna bilaga är påhittade demodata som har byggts för att summera till "
                             "förstudiens publicerade uppgifter; fördelningen mellan grupperna och alla fritextsvar är "
                             "påhittade.")

    @classmethod
    def _load(cls, year, inputs: dict[str, Path], source: str, synthetic: bool, out_dir: Path) -> "Bilaga3":
        """``questionnaire``: the survey's raw folder (fragor.yaml); ``survey``: its cleaned answers."""
        survey = load_survey(inputs["questionnaire"])
        if int(year) != survey.year:
            raise ConfigError(f"{inputs['questionnaire']}: the questionnaire is for {survey.year}, not {year}")
        return cls(survey, load_clean(inputs["survey"]), out_dir, synthetic)

    @property
    def year(self) -> int:
        return self.survey.year

    @property
    def groups(self) -> list[str]:
        return [ALL] + list(self.survey.groups)

    # ------------------------------------------------------------------ opening sections
    def about_markdown(self) -> str:
        s = self.survey
        invited = sum(s.invited.values())
        roles = fmt.listing([r.lower() for r in s.role_question.options])
        return (f"*{s.title}* skickades till {fmt.number(invited)} personer i alla samordningsförbund – "
                f"{roles} – och besvarades i {s.fielded}. Bilagan redovisar varje fråga för alla svarande och uppdelat på "
                f"{fmt.listing(g.lower() for g in s.groups)}. Andelarna räknas på dem som besvarat frågan; "
                f"svaret *Vet ej* redovisas för sig, vid sidan av skalan. Öppna svar återges under sin fråga, "
                f"rensade från personnummer, e-postadresser, telefonnummer och namn.\n")

    def response_markdown(self) -> str:
        r = response_rates(self.survey, self.data)
        total = r[r["group"] == "Totalt"].iloc[0]
        lead = (f"Av {fmt.number(total['invited'])} utskickade enkäter besvarades {fmt.number(total['answered'])}, "
                f"vilket ger en svarsfrekvens på {fmt.percent(total['rate_pct'])}.")
        roles = set(self.survey.role_question.options)

        def of(row) -> str:
            return f"({fmt.number(row.answered)} av {fmt.number(row.invited)})"

        by_role = [f"{fmt.percent(row.rate_pct)} för {row.group.lower()} {of(row)}" for row in r.itertuples()
                   if row.group in roles]
        by_group = [f"{row.group.lower()} sammantaget {fmt.percent(row.rate_pct)} {of(row)}" for row in r.itertuples()
                    if row.group not in roles and row.group != "Totalt"]
        lead += (" Svarsfrekvensen var " + fmt.listing(by_role) + ("; för " + fmt.listing(by_group) if by_group else "")
                 + ".")
        table = pd.DataFrame({
            "Grupp": r["group"], "Utskickade": [fmt.number(v) for v in r["invited"]],
            "Besvarade": [fmt.number(v) for v in r["answered"]], "Svarsfrekvens": [fmt.percent(v) for v in r["rate_pct"]],
        })
        return "\n".join([lead, "", markdown_table(table, caption=f"Svarsfrekvens per grupp, {self.year}",
                                                   label="tbl-svarsfrekvens")])

    # ------------------------------------------------------------------ one section per question
    def _figure(self, q: Question, caption: str, alt: str, draw) -> str:
        path = self.out_dir / "figurer" / f"{q.id}_{self.year}.png"
        draw(path)
        return charts.figure_markdown(path, self.out_dir, caption, alt, f"fig-{q.id.replace('_', '-')}")

    def _scale_shares(self, dist: pd.DataFrame, group: str, labels: tuple[str, ...]) -> float:
        sub = dist[(dist["group"] == group) & dist["label"].isin(labels)]
        return float(sub["pct"].sum())

    @staticmethod
    def rounding_differs(dist: pd.DataFrame, groups: list[str], combined: list[tuple[str, ...]]) -> bool:
        """Whether a combined share, rounded, differs from the sum of the table's rounded cells."""
        for group in groups:
            sub = dist[dist["group"] == group].set_index("label")["pct"]
            for labels in combined:
                whole = int(fmt.round_half_up(float(sub[list(labels)].sum())))
                cells = sum(int(fmt.round_half_up(float(sub[label]))) for label in labels)
                if whole != cells:
                    return True
        return False

    def scale_section(self, q: Question) -> str:
        scale = self.survey.scales[q.scale]
        dist = scale_distribution(self.survey, self.data, q.id)
        neg, pos, dk = scale.negative, scale.positive, scale.dont_know
        word_pos = " eller ".join(l.lower() for l in pos) if len(pos) > 1 else pos[0].lower()
        # the negative side from the middle outwards, as the positive side is read ("ganska dåligt eller mycket dåligt")
        word_neg = " eller ".join(l.lower() for l in reversed(neg)) if len(neg) > 1 else neg[0].lower()

        def summary(group: str) -> str:
            parts = [f"{fmt.percent(self._scale_shares(dist, group, pos))} {word_pos}",
                     f"{fmt.percent(self._scale_shares(dist, group, tuple(reversed(neg))))} {word_neg}"]
            if dk:
                parts.append(f"{fmt.percent(self._scale_shares(dist, group, (dk,)))} {dk.lower()}")
            return fmt.listing(parts)

        n_all = int(dist.loc[dist["group"] == ALL, "n"].iloc[0])
        alt = (f"Divergerande stapeldiagram: {q.title}. " + "; ".join(f"{g}: {summary(g)}" for g in self.groups)
               + f". {dk or ''} visas i en egen ruta till höger. Samma siffror finns i tabellen under diagrammet.")
        figure = self._figure(q, f"{q.title}, andel av de svarande, {self.year}", alt,
                              lambda path: charts.likert(dist, list(neg), list(pos), dk, path, self.groups))
        labels = list(scale.labels) + ([dk] if dk else [])
        rows = []
        for group in self.groups:
            sub = dist[dist["group"] == group].set_index("label")
            row = {"Grupp": group}
            row.update({label: fmt.percent(sub.loc[label, "pct"]) for label in labels})
            row["Antal svar"] = fmt.number(int(sub["n"].iloc[0]))
            rows.append(row)
        rounding = ""
        if self.rounding_differs(dist, self.groups, [tuple(pos), tuple(neg)]):
            rounding = (" De sammanslagna andelarna i texten är räknade före avrundning och kan därför skilja sig en "
                        "procentenhet från summan av tabellens avrundade andelar.")
        table = markdown_table(pd.DataFrame(rows), caption=f"{q.title}, andel per svarsalternativ, {self.year}",
                               label=f"tbl-{q.id.replace('_', '-')}",
                               note=f"Frågan: {q.header} Andelarna är räknade på alla som besvarat frågan"
                                    f"{', Vet ej inräknat' if dk else ''}.{rounding}")
        lead = f"Av de {fmt.number(n_all)} som besvarade frågan svarade {summary(ALL)}."
        return "\n".join([lead, "", figure, table, self.test_sentence(q)])

    def test_sentence(self, q: Question) -> str:
        t = compare_groups(self.survey, self.data, q.id)
        first, second = list(self.survey.groups)[:2]
        if t.p_value is None:
            return f"*Jämförelse mellan grupperna: görs inte ({t.note}).*\n"
        verdict = ("Skillnaden mellan grupperna är statistiskt säkerställd" if t.p_value < SIGNIFICANCE else
                   "Skillnaden mellan grupperna är inte statistiskt säkerställd")
        method = t.test if t.test.startswith("Fisher") else t.test[0].lower() + t.test[1:]  # a name keeps its capital
        return (f"*Grupperna är jämförda med {method}. {t.statistic[:1].upper()}{t.statistic[1:]} är "
                f"{fmt.number(t.estimate, 2)} (p = {_p(t.p_value)}; {first.lower()} n = {fmt.number(t.n_first)}, "
                f"{second.lower()} n = {fmt.number(t.n_second)}; Vet ej räknas inte med). {verdict} på "
                f"5-procentsnivån.*\n")

    def multi_section(self, q: Question) -> str:
        counts = choice_counts(self.survey, self.data, q.id)
        everyone = counts[counts["group"] == ALL]
        n = int(everyone["n"].iloc[0])
        first, second = everyone.iloc[0], everyone.iloc[min(1, len(everyone) - 1)]
        # the options quoted as written: an option may be a phrase ("Stärka utsatta grupper") that no sentence takes in
        if len(everyone) == 1:
            top_two = f"”{first['option']}” ({fmt.number(first['count'])})"
        elif first["count"] == second["count"]:  # a tie is not "followed by"
            top_two = (f"”{first['option']}” och ”{second['option']}” "
                       f"({fmt.number(first['count'])} vardera)")
        else:
            top_two = (f"”{first['option']}” ({fmt.number(first['count'])}), följt av "
                       f"”{second['option']}” ({fmt.number(second['count'])})")
        alt = (f"Liggande stapeldiagram sorterat efter antal: {q.title}. Av {fmt.number(n)} som besvarade frågan "
               f"valde flest {top_two}. Samma siffror finns i tabellen under diagrammet.")
        figure = self._figure(q, f"{q.title}, antal svarande som valt varje alternativ, {self.year}", alt,
                              lambda path: charts.sorted_bars(everyone, "option", "count", path,
                                                              "Antal svarande som valt alternativet"))
        rows = []
        for option in everyone["option"]:
            row = {"Alternativ": option}
            for group in self.groups:
                hit = counts[(counts["group"] == group) & (counts["option"] == option)].iloc[0]
                row[f"{group}, antal"] = fmt.number(hit["count"])
            rows.append(row)
        n_by_group = ", ".join(f"{g.lower()} {fmt.number(counts.loc[counts['group'] == g, 'n'].iloc[0])}"
                               for g in self.groups)
        table = markdown_table(pd.DataFrame(rows), caption=f"{q.title}, antal per alternativ och grupp, {self.year}",
                               label=f"tbl-{q.id.replace('_', '-')}",
                               note=f"Frågan: {q.header} Flera svar möjliga. Antal som besvarat frågan: {n_by_group}.")
        lead = (f"Frågan besvarades av {fmt.number(n)} personer, som kunde välja flera alternativ. Flest valde "
                f"{top_two}.")
        return "\n".join([lead, "", figure, table])

    def single_section(self, q: Question) -> str:
        counts = single_counts(self.survey, self.data, q.id)
        rows = []
        for option in q.options:
            row = {"Svar": option}
            for group in self.groups:
                hit = counts[(counts["group"] == group) & (counts["option"] == option)].iloc[0]
                row[group] = f"{fmt.number(hit['count'])} ({fmt.percent(hit['pct'])})" if hit["n"] else fmt.NOTHING
            rows.append(row)
        asked_to = [a.lower() for a in q.asked]
        asked = (f" Frågan ställdes till {fmt.listing(asked_to)}."
                 if q.asked else "")
        return markdown_table(pd.DataFrame(rows), caption=f"{q.title}, antal (andel), {self.year}",
                              label=f"tbl-{q.id.replace('_', '-')}", note=f"Frågan: {q.header}{asked}")

    def text_section(self, q: Question) -> str:
        texts = self.data.texts[self.data.texts["question"] == q.id]["text"]
        if texts.empty:
            return "Inga öppna svar.\n"
        bullets, left_out = answer_list(texts)
        return "\n".join([f"Ett öppet svar skrevs av {fmt.number(len(texts))} svarande. Personnummer, e-postadresser, "
                          f"telefonnummer och namn är borttagna. Likalydande svar visas en gång med antalet inom "
                          f"parentes.{left_out}", "", *bullets]) + "\n"

    def question_sections(self) -> list[str]:
        """Markdown for every question after the role, in questionnaire order, each under its heading."""
        out = []
        for q in self.survey.questions:
            if q.kind in ("id", "role"):
                continue
            body = {"scale": self.scale_section, "multi": self.multi_section, "single": self.single_section,
                    "text": self.text_section}[q.kind](q)
            heading = f"### {q.title}" if q.kind != "text" else f"### Öppna svar: {q.title.lower()}"
            out.append(f"{heading}\n\n{body}\n{self.n_sentence(q)}\n")
        return out

    # ------------------------------------------------------------------ published n
    def computed_n(self, q: Question) -> int:
        """Respondents who answered ``q`` (Vet ej included; the role question: everyone)."""
        if q.kind == "role":
            return len(self.data.respondents)
        if q.kind == "text":
            return int((self.data.texts["question"] == q.id).sum())
        frame = {"scale": scale_distribution, "multi": choice_counts, "single": single_counts}[q.kind](
            self.survey, self.data, q.id)
        return int(frame.loc[frame["group"] == ALL, "n"].iloc[0])

    @property
    def _synthetic(self) -> str:
        return " (syntetiska data)" if self.synthetic else ""

    @staticmethod
    def _bild(q: Question) -> str:
        numbers = [str(b) for b in q.bild]
        return fmt.listing(numbers)

    def n_check(self, q: Question) -> tuple[str, str]:
        """(published n as shown, verdict) for one question, in Swedish."""
        n = self.computed_n(q)
        if q.published_n_state == "printed":
            diff = n - q.published_n
            return fmt.number(q.published_n), "stämmer" if diff == 0 else f"avviker ({fmt.number(diff, sign=True)})"
        if q.published_n_state == "unreadable":
            return "oläsligt", "kan inte stämmas av"
        return fmt.NOTHING, fmt.NOTHING

    def n_sentence(self, q: Question) -> str:
        """The computed n beside the n the published appendix prints for the question."""
        text = f"Antal som besvarat frågan{self._synthetic}: {fmt.number(self.computed_n(q))}."
        if not q.bild:
            return f"*{text}*\n"
        where = f"{self.survey.appendix}, bild {self._bild(q)}"
        published, verdict = self.n_check(q)
        if q.published_n_state == "printed":
            text += f" I {where} anges n = {published}, vilket {verdict}." + (
                f" {q.published_n_note}" if q.published_n_note else "")
        elif q.published_n_state == "unreadable":
            text += f" Det n som anges i {where} går inte att läsa i källtexten och kan inte stämmas av."
        else:
            text += f" I {where}, anges inget n."
        return f"*{text}*\n"

    def reconciliation_markdown(self) -> str:
        """Every question shown in the published appendix: its printed n against the computed n."""
        rows = []
        for q in self.survey.questions:
            if not q.bild:
                continue
            published, verdict = self.n_check(q)
            rows.append({"Fråga": q.title if q.kind != "text" else f"Öppna svar: {q.title.lower()}",
                         "Bild": self._bild(q), "Publicerat n": published,
                         f"Beräknat n{self._synthetic}": fmt.number(self.computed_n(q)), "Avstämning": verdict})
        if not rows:
            return "Frågeformuläret anger inte var enkätens resultat har publicerats; det finns inget att stämma av.\n"
        frame = pd.DataFrame(rows)
        counts = frame["Avstämning"].map(lambda v: v.split(" (")[0]).value_counts()
        data = "de syntetiska demodata som bilagan bygger på" if self.synthetic else "enkätexporten"
        s = self.survey
        title = f" *{s.appendix_title}*" if s.appendix_title else ""
        lead = (f"Enkätens resultat publicerades i {s.appendix}{title}, som redovisar {fmt.number(len(frame))} frågor. "
                f"För de flesta frågor med fasta svarsalternativ anger diagrammets rubrik antalet svarande (n). "
                f"Tabellen ställer det publicerade n mot antalet som besvarat frågan i {data}: "
                f"{fmt.number(counts.get('stämmer', 0))} stämmer, {fmt.number(counts.get('avviker', 0))} avviker och "
                f"{fmt.number(counts.get('kan inte stämmas av', 0))} kan inte stämmas av, eftersom projektet bara har "
                f"bilagan som maskinläst text, där siffrorna i rubrikerna ofta är oläsliga. En avvikelse är ett fynd, "
                f"inte ett fel i beräkningen.")
        notes = " ".join(f"{q.title}: {q.published_n_note}" for q in s.questions if q.bild and q.published_n_note)
        note = (f"Bild: bildens nummer i {s.appendix} (två nummer när frågan också visas uppdelad på grupper eller på "
                f"två bilder). Publicerat n: det antal svarande som bilden anger; – betyder att bilden inte anger "
                f"något. Beräknat n: antal som besvarat frågan, Vet ej inräknat. Avvikelsen är beräknat minus "
                f"publicerat." + (f" {notes}" if notes else ""))
        return "\n".join([lead, "", markdown_table(frame, caption=f"Publicerat och beräknat antal svarande per fråga, "
                                                                    f"{self.year}", label="tbl-avstamning",
                                                    align="lrrrl", note=note)])

    # ------------------------------------------------------------------ closing sections
    def tests_markdown(self) -> str:
        rows = []
        for q in self.survey.of_kind("scale"):
            t = compare_groups(self.survey, self.data, q.id)
            rows.append({"Fråga": q.title, "Test": t.test, "Oddskvot": fmt.number(t.estimate, 2),
                         "p-värde": _p(t.p_value), "n": f"{fmt.number(t.n_first)} / {fmt.number(t.n_second)}"})
        first, second = list(self.survey.groups)[:2]
        note = (f"Oddskvoten jämför {second.lower()} med {first.lower()}: över 1 betyder mer positiva svar bland "
                f"{second.lower()}. Ja/nej-frågor: Fishers exakta test av andelen ja. Skalfrågor: ordinal logistisk "
                f"regression (proportionella odds) med gruppen som enda förklarande variabel, Wald-test. Vet ej "
                f"ingår inte. n = antal svar i respektive grupp. Många test görs samtidigt; ett enskilt p-värde "
                f"under 0,05 kan uppstå av slump.")
        return markdown_table(pd.DataFrame(rows), caption=f"Jämförelse mellan {first.lower()} och {second.lower()}, "
                              f"{self.year}", label="tbl-jamforelse", align="llrrr", note=note)

    def quality_markdown(self) -> str:
        log = self.data.log
        table = pd.DataFrame({"Steg": log["step"], "Antal": [fmt.number(v) for v in log["count"]]})
        return markdown_table(table, caption=f"Rensning av enkätexporten, {self.year}", label="tbl-rensning",
                              note="Varje svarsetikett har kontrollerats mot frågeformuläret; en okänd etikett "
                                   "stoppar rensningen med rad och fråga.")
