"""Bilaga 4: the target-group size calculation as a report (notebooks/bilaga4.ipynb).

The notebook creates a ``Bilaga4`` from the results of ``finsam stage malgrupp``
(data/processed/bilaga4) and displays the Markdown it returns; every number and sentence
is made here, where tests reach it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import charts
from ..core import fmt
from ..core.errors import ConfigError, InputError
from ..derive.malgrupp import (
    ASSUMPTIONS_FILE,
    GROUPS,
    RESULT_FILES,
    SEX_COLUMNS,
    STATUS_ORDER,
    SUMMARY_TITLE,
    TABLE_TITLES,
    Assumptions,
    Figures,
    Published,
    SourceTables,
    assumptions_from_json,
    extremes,
)
from ..core.checks import AGREES, DIFFERS, NOT_RECOMPUTABLE, OTHER_SOURCE
from .reconciliation import reconciliation_markdown
from .contract import PUBLISHED, Appendix
from .tables import markdown_table

DATA_FILE_TEMPLATE = "bilaga4_{year}_berakning.csv"
RECONCILIATION_CSV = "bilaga4_{year}_avstamning.csv"
_SEX_HEADER = {"total": "Båda könen", "kvinna": "Kvinnor", "man": "Män"}
_EXTENT_LABEL = {"hel": "1/1", "tre_fjardedelar": "3/4", "halv": "1/2", "en_fjardedel": "1/4"}
_INDENT = "\u00a0" * 3
RECONSTRUCTED_MARK = " (r)"


@dataclass
class Bilaga4(Appendix):
    assumptions: Assumptions
    published: Published
    calculation: pd.DataFrame
    sensitivity: pd.DataFrame
    reconciliation: pd.DataFrame
    out_dir: Path
    synthetic: bool = False

    family = "bilaga4"
    inputs_needed = ("malgrupp",)
    sources = (PUBLISHED,)
    synthetic_explanation = ""  # built from published figures only

    @classmethod
    def _load(cls, year, inputs: dict[str, Path], source: str, synthetic: bool, out_dir: Path) -> "Bilaga4":
        """``malgrupp``: what ``finsam stage malgrupp`` wrote (inputs, assumptions and results)."""
        processed = inputs["malgrupp"]
        missing = [n for n in RESULT_FILES if not (processed / f"{n}.parquet").is_file()]
        if missing or not (processed / ASSUMPTIONS_FILE).is_file():
            raise InputError(processed, "Bilaga 4 results missing; run `finsam stage malgrupp` first")
        frames = {n: pd.read_parquet(processed / f"{n}.parquet") for n in RESULT_FILES}
        assumptions = assumptions_from_json((processed / ASSUMPTIONS_FILE).read_text(encoding="utf-8"))
        if int(year) != assumptions.year:
            raise ConfigError(f"{processed}: the calculation is for {assumptions.year}, not {year}")
        return cls(
            assumptions=assumptions,
            published=Published(SourceTables(frames["kalltabeller"]), frames["sammanstallning"],
                                Figures(frames["textuppgifter"]), frames["kallor"]),
            calculation=frames["berakning"],
            sensitivity=frames["kanslighet"],
            reconciliation=frames["avstamning"],
            out_dir=out_dir,
            synthetic=synthetic,
        )

    @property
    def year(self) -> int:
        return self.assumptions.year

    def save_data(self) -> Path:
        """The calculation and every reconciliation check, next to the report (CSV for reviewers)."""
        from ..core.io import write_csv_atomic

        write_csv_atomic(self.reconciliation, self.out_dir / RECONCILIATION_CSV.format(year=self.year))
        return write_csv_atomic(self.calculation, self.out_dir / DATA_FILE_TEMPLATE.format(year=self.year))

    # ------------------------------------------------------------------ numbers used in sentences
    @property
    def total(self) -> int:
        return int(self.calculation.loc[self.calculation["group"] == "totalt", "estimate"].iloc[0])

    @property
    def pct_of_population(self) -> float:
        return 100.0 * self.total / self.assumptions.population

    def benchmarks(self) -> list[tuple[float, float]]:
        """(per cent, people) for each benchmark share of the population."""
        return [(b, b / 100.0 * self.assumptions.population) for b in self.assumptions.benchmarks_pct]

    def _group_rows(self) -> pd.DataFrame:
        return self.calculation[self.calculation["group"] != "totalt"]

    def differing_rows(self) -> pd.DataFrame:
        """Groups whose computed count differs from the document's summary (or that it lacks)."""
        rows = self.calculation
        return rows[rows["published"].isna() | (rows["difference"].fillna(1) != 0)]

    def label_mismatches(self) -> list[tuple[str, float, float]]:
        """(label, share in the summary's label, share the text says it used) where they differ."""
        out = []
        for group, spec in GROUPS.items():
            row = self.published.summary_row(group)
            if row is None or spec.share_figure is None or pd.isna(row["label_share_pct"]):
                continue
            text_share = self.published.figures.value(spec.share_figure)
            if text_share is not None and float(row["label_share_pct"]) != text_share:
                out.append((spec.short, float(row["label_share_pct"]), text_share))
        return out

    # ------------------------------------------------------------------ sentences
    def summary_sentences(self) -> list[str]:
        a = self.assumptions
        groups = self._group_rows()
        biggest = groups.sort_values("estimate", ascending=False).iloc[0]
        sentences = [
            f"Med bilagans antaganden uppskattas att {fmt.number(self.total)} personer kan behöva samordnad "
            f"rehabilitering ({a.area.lower() if a.area == 'Hela riket' else a.area}, {a.year}). Det motsvarar "
            f"{fmt.percent(self.pct_of_population, 1)} av {a.population_label}, {fmt.number(a.population)} personer.",
            f"Den största gruppen är {biggest['label'].lower() if biggest['group'] != 'neet' else biggest['label']}, "
            f"med uppskattningsvis {fmt.number(biggest['estimate'])} personer "
            f"({fmt.percent(biggest['pct_of_target_group'])} av summan).",
        ]
        differing = self.differing_rows()
        published_total = self.published.summary_count("totalt")
        if differing.empty:
            sentences.append(
                "Uppskattningen är densamma som i förstudiens sammanställning, rad för rad och totalt "
                f"({fmt.number(published_total)})."
            )
        else:
            names = ", ".join(str(r).lower() for r in differing.loc[differing["group"] != "totalt", "label"])
            sentences.append(
                f"Uppskattningen skiljer sig från förstudiens sammanställning ({fmt.number(published_total)}) "
                f"eftersom antagandena är ändrade för {names}."
            )
        return sentences + self.sensitivity_sentences()[:1] + self.benchmark_sentences()[:1]

    def sensitivity_sentences(self) -> list[str]:
        s = self.sensitivity
        widest = s.iloc[0]
        low, high = extremes(self.assumptions)
        pop = self.assumptions.population
        return [
            f"Störst betydelse har antagandet för {widest['short'].lower() if widest['group'] != 'neet' else 'NEET'}: "
            f"med en andel mellan {fmt.number(widest['low_pct'])} och {fmt.percent(widest['high_pct'])} blir summan "
            f"{fmt.number(widest['total_low'])}–{fmt.number(widest['total_high'])} personer när de andra andelarna "
            f"behålls.",
            f"Med alla andelar på sina lägsta värden blir summan {fmt.number(low)} ({fmt.percent(100 * low / pop, 1)}), "
            f"med alla på sina högsta {fmt.number(high)} ({fmt.percent(100 * high / pop, 1)}).",
        ]

    def benchmark_sentences(self) -> list[str]:
        if not self.assumptions.benchmarks_pct:
            return []
        low, high = extremes(self.assumptions)
        sentences = []
        for i, (pct, people) in enumerate(self.benchmarks()):
            subject = f"Uppskattningen {fmt.number(self.total)}" if i == 0 else "Den"
            mark = f"riktmärket {fmt.percent(pct)} ({fmt.number(people)} personer)"
            if self.total >= people:
                where = "över" if self.total > people else "precis vid"
                tail = ("; det gäller även med alla andelar på sina lägsta värden" if low >= people else
                        f"; med alla andelar på sina lägsta värden ({fmt.number(low)}) hamnar den under")
            else:
                where = "under"
                tail = (", även med alla andelar på sina högsta värden" if high < people else
                        f"; med alla andelar på sina högsta värden ({fmt.number(high)}) hamnar den över")
            sentences.append(f"{subject} ligger {where} {mark}{tail}.")
        return [" ".join(sentences)]

    def reconciliation_sentences(self) -> list[str]:
        counts = self.reconciliation["status"].value_counts()
        other = counts.get(OTHER_SOURCE, 0)
        out = [f"Avstämningen av förstudiens egna uppgifter visar {fmt.number(counts.get(DIFFERS, 0))} avvikelser"
               + (f" och {fmt.number(other)} skillnader som beror på att uppgifterna kommer från olika källor eller "
                  "tidpunkter." if other else ".")]
        for short, label_share, text_share in self.label_mismatches():
            out.append(
                f"För {short.lower()} anger sammanställningens etikett {fmt.percent(label_share)}, men texten och "
                f"antalet bygger på {fmt.percent(text_share)}."
            )
        return out

    # ------------------------------------------------------------------ Markdown sections
    def summary_markdown(self) -> str:
        return "\n".join(f"- {s}" for s in self.summary_sentences() + self.reconciliation_sentences()) + "\n"

    def calculation_markdown(self) -> str:
        rows = []
        for r in self.calculation.itertuples():
            is_total = r.group == "totalt"
            rows.append({
                "Grupp": "**Totalt**" if is_total else r.label,
                "Underlag": "" if is_total else fmt.number(r.base),
                "Andel": "" if is_total else fmt.percent(r.share_pct, 0 if r.share_pct % 1 == 0 else 1),
                "Underlag × andel": "" if is_total else fmt.number(r.product),
                "Beräknat antal": f"**{fmt.number(r.estimate)}**" if is_total else fmt.number(r.estimate),
                "Av summan": fmt.percent(r.pct_of_target_group),
                "Förstudien": fmt.NOTHING if pd.isna(r.published) else fmt.number(r.published),
            })
        a = self.assumptions
        roundings = ", ".join(f"{g.short.lower() if g.group != 'neet' else 'NEET'} till {fmt.number(g.round_to)}"
                              for g in a.groups if g.round_to > 1)
        note = (f"Underlag och andel enligt bilagans antaganden (projektets parameterfil). Beräknat antal = "
                f"underlag × andel, avrundat som i förstudien ({roundings})." if roundings else
                "Underlag och andel enligt bilagans antaganden (projektets parameterfil).")
        note += " Kolumnen Förstudien visar antalet i förstudiens sammanställning."
        lead = " ".join([
            f"Summan {fmt.number(self.total)} motsvarar {fmt.percent(self.pct_of_population, 1)} av "
            f"{a.population_label}, {fmt.number(a.population)} personer.",
            self.summary_sentences()[2],
        ])
        table = markdown_table(pd.DataFrame(rows), caption=f"Beräkning av målgruppens storlek, {a.area.lower() if a.area == 'Hela riket' else a.area} {a.year}",
                               label="tbl-berakning", align="lrrrrrr", note=note)
        return "\n".join([lead, "", table])

    def sensitivity_markdown(self) -> str:
        s = self.sensitivity.copy()
        s["chart_label"] = [f"{sh} ({fmt.number(lo)}–{fmt.percent(hi)})"
                            for sh, lo, hi in zip(s["short"], s["low_pct"], s["high_pct"])]
        pop = self.assumptions.population
        marks = [(f"{fmt.percent(p)}\n{fmt.number(n)}", n) for p, n in self.benchmarks()]
        path = self.out_dir / "figurer" / f"kanslighet_{self.year}.png"
        charts.tornado(s.assign(label=s["chart_label"]), self.total, path,
                       "Antal personer i behov av samordnad rehabilitering", marks)
        widest = s.iloc[0]
        alt = (
            f"Tornadodiagram: hur summan {fmt.number(self.total)} ändras när en andel i taget sätts till sitt lägsta "
            f"och högsta värde. Störst utslag: {widest['chart_label']} ger {fmt.number(widest['total_low'])}–"
            f"{fmt.number(widest['total_high'])}. Streckade linjer: "
            + " och ".join(f"{fmt.percent(p)} av befolkningen ({fmt.number(n)})" for p, n in self.benchmarks())
            + ". Samma siffror finns i tabellen under diagrammet."
        )
        figure = charts.figure_markdown(path, self.out_dir, f"Känslighetsanalys: summan när en andel i taget varieras, "
                                        f"{self.year}", alt, "fig-kanslighet")
        rows = [{
            "Grupp": r.short,
            "Antagen andel": fmt.percent(r.share_pct),
            "Intervall": f"{fmt.number(r.low_pct)}–{fmt.percent(r.high_pct)}",
            "Summa, lägsta": fmt.number(r.total_low),
            "Summa, högsta": fmt.number(r.total_high),
            "Spännvidd": fmt.number(r.swing),
            "Andel av befolkningen": f"{fmt.number(100 * r.total_low / pop, 1)}–{fmt.percent(100 * r.total_high / pop, 1)}",
        } for r in s.itertuples()]
        low, high = extremes(self.assumptions)
        rows.append({"Grupp": "**Alla andelar samtidigt**", "Antagen andel": "", "Intervall": "",
                     "Summa, lägsta": fmt.number(low), "Summa, högsta": fmt.number(high),
                     "Spännvidd": fmt.number(high - low),
                     "Andel av befolkningen": f"{fmt.number(100 * low / pop, 1)}–{fmt.percent(100 * high / pop, 1)}"})
        table = markdown_table(pd.DataFrame(rows), caption=f"Summan när andelen för en grupp i taget sätts till "
                               f"intervallets lägsta och högsta värde, {self.year}", label="tbl-kanslighet",
                               align="lrrrrrr",
                               note=f"Beräkningen med de antagna andelarna: {fmt.number(self.total)}. Sista raden: alla "
                                    f"andelar på sina lägsta respektive högsta värden samtidigt.")
        bench_rows = [{"Riktmärke": f"{fmt.percent(p)} av {self.assumptions.population_label}",
                       "Antal personer": fmt.number(n),
                       "Beräkningen i förhållande till riktmärket": fmt.number(self.total - n, sign=True)}
                      for p, n in self.benchmarks()]
        parts = [" ".join(self.sensitivity_sentences()), "", figure, table]
        if bench_rows:
            parts += [" ".join(self.benchmark_sentences()), "",
                      markdown_table(pd.DataFrame(bench_rows), caption="Riktmärken som förstudien nämner",
                                     label="tbl-riktmarken", align="lrr",
                                     note="5 %: Nationella rådets handbok. 10 %: förbundschefernas beräkning 2015 "
                                          "(\"närmare tio procent\").")]
        return "\n".join(parts)

    def ranges_markdown(self) -> str:
        lines = []
        for a in self.assumptions.groups:
            note = a.range_note or "Ingen motivering angiven i parameterfilen."
            lines.append(f"- **{a.short}** {fmt.number(a.low_pct)}–{fmt.percent(a.high_pct)}: {note}")
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ source tables
    def _sex_table(self, table: str, first_header: str, columns: tuple[str, ...], decimals: int = 0,
                   indent: bool = False) -> tuple[pd.DataFrame, bool]:
        t = self.published.tables
        frame = t.table(table)
        rows, any_reconstructed = [], False
        for row in t.rows(table):
            cells = frame[frame["row"] == row].set_index("column")
            label = str(cells["label"].iloc[0])
            level = int(cells["level"].iloc[0])
            if indent and level:
                label = _INDENT * level + ("– " if level == 2 else "") + label
            out = {first_header: label}
            for c in columns:
                value = fmt.number(cells.loc[c, "value"], decimals)
                if bool(cells.loc[c, "reconstructed"]):
                    value += RECONSTRUCTED_MARK
                    any_reconstructed = True
                out[_SEX_HEADER[c]] = value
            rows.append(out)
        return pd.DataFrame(rows), any_reconstructed

    def source_table_markdown(self, table: str) -> str:
        if table == "sjukfall":
            return self._sick_leave_markdown()
        order = {"1": ("total", "man", "kvinna")}.get(table, SEX_COLUMNS)
        first = {"1": "Ålder, år", "2": "Ålder, år", "3": "", "4": "Grad av ersättning",
                 "5": "Grad av ersättning"}[table]
        frame, reconstructed = self._sex_table(table, first or "Uppgift", order, 1 if table == "1" else 0,
                                               indent=table in ("3", "4", "5"))
        notes = []
        if reconstructed:
            notes.append("(r) = rekonstruerad: kolumnen Båda könen saknas för åldersgrupperna i källtexten; "
                         "kvinnor och män summerar exakt till raden 18–64, så båda könen = kvinnor + män.")
        if table == "3":
            notes.append("Platser fördelas inte på kön; källan visar 0 för kvinnor och män.")
        return markdown_table(frame, caption=TABLE_TITLES[table], label=f"tbl-kalla{table}",
                              note=" ".join(notes) or None)

    def _sick_leave_markdown(self) -> str:
        t = self.published.tables
        rows = []
        for extent, label in _EXTENT_LABEL.items():
            for sex, sex_label in (("kvinna", "Kvinnor"), ("man", "Män")):
                rows.append({
                    "Omfattning": label, "Kön": sex_label,
                    "Rehabiliteringspenning": fmt.number(t.value("sjukfall", "rehabiliteringspenning", f"{extent}_{sex}")),
                    "Sjukpenning": fmt.number(t.value("sjukfall", "sjukpenning", f"{extent}_{sex}")),
                })
        return markdown_table(pd.DataFrame(rows), caption=TABLE_TITLES["sjukfall"], label="tbl-kallasjukfall",
                              align="llrr", note="Källan redovisar förmånerna i två tabeller med omfattningen som "
                                                 "kolumner; här är de samlade i en tabell med samma värden.")

    def published_summary_markdown(self) -> str:
        rows = [{"Andel av målgrupp": r.label, "Antal": fmt.number(r.count)}
                for r in self.published.summary.sort_values("row").itertuples()]
        return markdown_table(pd.DataFrame(rows), caption=f"{SUMMARY_TITLE} (förstudien, som publicerad)",
                              label="tbl-sammanstallning", align="lr",
                              note="Etiketterna och antalen är återgivna som i källan, även där de avviker från "
                                   "texten (se Avstämning).")

    # ------------------------------------------------------------------ reconciliation and sources
    def reconciliation_markdown(self) -> str:
        rows = self.reconciliation.copy()
        rows = rows.assign(_order=rows["status"].map(STATUS_ORDER)).sort_values("_order", kind="stable")
        rows = rows.drop(columns="_order").reset_index(drop=True)
        in_tables = rows["area"].str.startswith("Tabell")
        per_table = []
        for area, group in rows[in_tables].groupby("area", sort=True):
            counts = group["status"].value_counts()
            per_table.append({"Källtabell": area, "Kontroller": fmt.number(len(group)),
                              "Stämmer": fmt.number(counts.get(AGREES, 0)),
                              "Avviker": fmt.number(counts.get(DIFFERS, 0)),
                              "Kan inte räknas om": fmt.number(counts.get(NOT_RECOMPUTABLE, 0))})
        after = markdown_table(
            pd.DataFrame(per_table), caption="Kontroller inuti källtabellerna (summor och kön)",
            label="tbl-avstamning-kalltabeller", align="lrrrr",
            note="Varje kontroll finns i CSV-filen med avstämningen, bredvid rapporten.",
        )
        return reconciliation_markdown(
            rows, scope="I förstudiens bilaga 4", caption_suffix="bilaga 4",
            listed=~in_tables, listed_caption="Alla avstämda uppgifter i beräkningen och texten, bilaga 4",
            after=after,
            explain=(
                "Varje uppgift i beräkningen har räknats om från en annan uppgift i samma bilaga: etikettens andel mot "
                "textens, textens underlag mot källtabellen, antalet mot andel × underlag, summan och andelen av "
                "befolkningen, och summorna inuti källtabellerna. Ett antal i text eller sammanställning som slutar "
                "på nollor räknas som avrundat till sin sista siffra skild från noll (80 000 stämmer med 75 000–"
                "85 000); celler i källtabellerna ska stämma exakt. Ett antal som är andel × underlag stämmer om "
                "antalet delat med underlaget avrundas till den tryckta andelen. Jämförelser mellan uppgifter från "
                "olika källor eller tidpunkter redovisas som annan källa/tidpunkt, inte som avvikelser. Avvikelser "
                "är iakttagelser om källan; de publicerade värdena visas oförändrade."
            ),
        )

    def sources_markdown(self) -> str:
        lines = []
        for row in self.published.sources.itertuples():
            lines.append(f"- **{row.table}** – {row.document_title}. {row.section}. {row.note or ''}".rstrip())
        return "\n".join(lines) + "\n"
