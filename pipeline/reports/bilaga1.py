"""Bilaga 1: SUS participants and insatser, Tabell 1–6, for one report year.

The report notebook (notebooks/bilaga1.ipynb) creates a ``Bilaga1`` and displays the
Markdown it returns; every number and sentence is made here, where tests reach it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import charts
from ..core import fmt
from ..core.config import validate_year
from ..core.errors import ConfigError
from ..core.io import write_csv_atomic
from ..sources.published import (
    BENEFIT_LABELS,
    DOCUMENTS,
    PARTICIPANT_TABLES,
    SEX_LABELS,
    TABLE_TITLES,
    TARGET_GROUP_LABELS,
    PublishedData,
    load_processed,
)
from ..core.checks import DIFFERS
from ..core.vocabulary import SEX_DISPLAY
from ..derive.reconcile import RECONCILIATION_FILE
from .reconciliation import reconciliation_markdown
from .contract import MICRODATA, PUBLISHED, Appendix
from .tables import markdown_table

DATA_FILE_TEMPLATE = "bilaga1_{year}_tabeller.csv"

_BENEFIT_PHRASE = {"aktivitetsersattning": "aktivitetsersättning", "sjukpenning": "sjukpenning"}
_POPULATION_FIGURE = {"aktivitetsersattning": "population_ae", "sjukpenning": "population_sp"}
_STATUS_WORD = {"pagaende": "pågående", "nyregistrerad": "nyregistrerade"}


def _lower_first(text: str) -> str:
    """A title after a colon: its first letter in lower case ("Pågående …" → "pågående …")."""
    return text[:1].lower() + text[1:]


@dataclass
class Bilaga1(Appendix):
    year: int
    data: PublishedData
    reconciliation: pd.DataFrame
    out_dir: Path
    published: PublishedData | None = None  # set when the tables come from microdata
    quality: pd.DataFrame | None = None
    synthetic: bool = False
    unit: pd.DataFrame | None = None  # microdata: the unit and the disclosure settings the tables were built with

    family = "bilaga1"
    inputs_needed = ("published",)
    inputs_optional = ("register_tables",)
    sources = (PUBLISHED, MICRODATA)
    synthetic_explanation = ("Tabellerna är räknade från syntetiska registerexporter (demodata) som har byggts för att "
                             "ge samma antal som de publicerade tabellerna.")

    @classmethod
    def _load(cls, year, inputs: dict[str, Path], source: str, synthetic: bool, out_dir: Path) -> "Bilaga1":
        """The published tables, or (source microdata) the tables counted from microdata beside them."""
        processed = inputs["published"]
        data = load_processed(processed)
        year = validate_year(year, data.years, "published SUS tables (data/raw/published)")
        reconciliation = pd.read_parquet(processed / RECONCILIATION_FILE)
        if source == PUBLISHED:
            return cls(year=year, data=data, reconciliation=reconciliation, out_dir=out_dir, synthetic=synthetic)
        if "register_tables" not in inputs:
            raise ConfigError("Bilaga 1 from microdata needs the input register_tables (data/processed/register/tabeller)")
        from ..derive.register_tables import as_published

        register_dir = inputs["register_tables"]
        unit = register_dir / "unit.parquet"
        return cls(year=year, data=as_published(register_dir, data), reconciliation=reconciliation,
                   out_dir=out_dir, published=data, quality=pd.read_parquet(register_dir / "quality.parquet"),
                   synthetic=synthetic, unit=pd.read_parquet(unit) if unit.is_file() else None)

    @property
    def from_microdata(self) -> bool:
        return self.published is not None

    # ------------------------------------------------------------------ helpers
    @property
    def first_year(self) -> int:
        return min(self.data.years)

    @property
    def years(self) -> list[int]:
        return [y for y in self.data.years if y <= self.year]

    @property
    def period(self) -> str:
        return fmt.year_span(self.first_year, self.year)

    def _participants(self, table: int) -> pd.DataFrame:
        p = self.data.participants
        return p[(p["table"] == table) & (p["year"] <= self.year)].copy()

    def _insatser(self) -> pd.DataFrame:
        i = self.data.insatser
        return i[(i["year"] <= self.year) & (i["target_group"] != "total")].copy()

    # ------------------------------------------------------------------ numbers as shown (".." when hidden)
    def _hidden_in(self, frame: pd.DataFrame, **where) -> bool:
        if "suppressed" not in frame:
            return False
        mask = pd.Series(True, index=frame.index)
        for column, value in where.items():
            mask &= frame[column] == value
        hit = frame.loc[mask, "suppressed"]
        return bool(hit.iloc[0]) if len(hit) else False

    def _count_text(self, value) -> str:
        """A count from the tables: "..", unless shown (None is hidden: counts are never missing)."""
        return fmt.SUPPRESSED if value is None else fmt.number(value)

    def _insatser_text(self, year: int, code: str) -> str:
        if self._hidden_in(self.data.insatser, year=year, target_group=code):
            return fmt.SUPPRESSED
        return fmt.number(self.data.insatser_count(year, code))

    def _diagnosis_text(self, period, benefit: str) -> str:
        if self._hidden_in(self.data.diagnosis, period=str(period), benefit=benefit):
            return fmt.SUPPRESSED
        return fmt.percent(self.data.diagnosis_pct(period, benefit))

    def _insatser_total(self, year: int) -> int | None:
        """The sum over the target groups as published (microdata: its own cell, which may be hidden)."""
        if self.from_microdata:
            return self.data.insatser_count(year, "total")
        values = [self.data.insatser_count(year, code) for code in TARGET_GROUP_LABELS]
        return None if any(v is None for v in values) else sum(values)

    def _diagnosis_periods(self) -> list[str]:
        """Years up to the report year; the published total only when it covers the same years."""
        periods = [str(y) for y in self.years if str(y) in set(self.data.diagnosis["period"])]
        if self.year == max(self.data.years) and "total" in set(self.data.diagnosis["period"]):
            periods.append("total")
        return periods

    # ------------------------------------------------------------------ tidy data of every table cell
    def table_cells(self) -> pd.DataFrame:
        """Every number shown in Tabell 1–6, tidy: table, row, column, value."""
        records = []
        for table in PARTICIPANT_TABLES:
            for row in self._participants(table).itertuples():
                column = SEX_LABELS[row.sex]
                records.append((table, str(row.year), column, float("nan") if pd.isna(row.count) else float(row.count)))
                if not pd.isna(row.published_pct):
                    records.append((table, str(row.year), f"{column} %", float(row.published_pct)))
        for row in self._insatser().itertuples():
            value = float("nan") if pd.isna(row.count) else float(row.count)
            records.append((5, str(row.year), TARGET_GROUP_LABELS[row.target_group], value))
        d = self.data.diagnosis
        for period in self._diagnosis_periods():
            for row in d[d["period"] == period].itertuples():
                column = "Total" if period == "total" else period
                value = float("nan") if pd.isna(row.published_pct) else float(row.published_pct)
                records.append((6, BENEFIT_LABELS[row.benefit], column, value))
        cells = pd.DataFrame(records, columns=["table", "row", "column", "value"])
        if self.from_microdata:  # blank and hidden (".."), or blank as in the source ("–")
            cells["suppressed"] = self._cells_hidden(cells)
        return cells

    def _cells_hidden(self, cells: pd.DataFrame) -> list[bool]:
        labels = {v: k for k, v in TARGET_GROUP_LABELS.items()}
        benefits = {v: k for k, v in BENEFIT_LABELS.items()}
        sexes = {v: k for k, v in SEX_LABELS.items()}
        out = []
        for r in cells.itertuples():
            if r.table in PARTICIPANT_TABLES:
                out.append(self._hidden_in(self.data.participants, table=r.table, year=int(r.row),
                                           sex=sexes[r.column.removesuffix(" %")]) if pd.isna(r.value) else False)
            elif r.table == 5:
                out.append(self._hidden_in(self.data.insatser, year=int(r.row), target_group=labels[r.column]))
            else:
                out.append(self._hidden_in(self.data.diagnosis, period="total" if r.column == "Total" else r.column,
                                           benefit=benefits[r.row]))
        return out

    def save_data(self) -> Path:
        """Write the table cells next to the report (CSV for reviewers and the backtests)."""
        return write_csv_atomic(self.table_cells(), self.out_dir / DATA_FILE_TEMPLATE.format(year=self.year))

    # ------------------------------------------------------------------ display tables
    @staticmethod
    def _hidden(frame: pd.DataFrame) -> pd.Series:
        """Cells hidden by disclosure control (only tables counted from microdata have them)."""
        return frame["suppressed"].fillna(False).astype(bool) if "suppressed" in frame else pd.Series(False, frame.index)

    def participant_table(self, table: int) -> pd.DataFrame:
        frame = self._participants(table).assign(hidden=lambda f: self._hidden(f))
        wide = frame.pivot(index="year", columns="sex", values=["count", "published_pct", "hidden"])
        out = pd.DataFrame({"År": [str(y) for y in wide.index]})

        def show(values, hidden, as_percent=False):
            return [fmt.SUPPRESSED if h is True else (fmt.percent(v) if as_percent else fmt.number(v))
                    for v, h in zip(values, hidden)]
        for sex in ("kvinna", "man"):
            out[SEX_DISPLAY[sex]] = show(wide[("count", sex)], wide[("hidden", sex)])
            out[f"Andel {SEX_DISPLAY[sex].lower()}"] = show(wide[("published_pct", sex)], wide[("hidden", sex)],
                                                             as_percent=True)
        out[SEX_DISPLAY["total"]] = show(wide[("count", "total")], wide[("hidden", "total")])
        return out

    def insatser_table(self) -> pd.DataFrame:
        frame = self._insatser().assign(hidden=lambda f: self._hidden(f))
        wide = frame.pivot(index="year", columns="target_group", values=["count", "hidden"])
        out = pd.DataFrame({"År": [str(y) for y in wide.index]})
        for code, label in TARGET_GROUP_LABELS.items():
            out[label] = [fmt.SUPPRESSED if h is True else fmt.number(v)
                          for v, h in zip(wide[("count", code)], wide[("hidden", code)])]
        return out

    def diagnosis_table(self) -> pd.DataFrame:
        periods = self._diagnosis_periods()
        rows = []
        for benefit in ("sjukpenning", "aktivitetsersattning"):
            rows.append([BENEFIT_LABELS[benefit]] + [self._diagnosis_text(p, benefit) for p in periods])
        header = ["Ersättning"] + ["Totalt" if p == "total" else p for p in periods]
        return pd.DataFrame(rows, columns=header)

    # ------------------------------------------------------------------ sentences
    def flagged_totals(self, table: int, years: tuple[int, ...]) -> list[int]:
        """Years among ``years`` whose published total in ``table`` the reconciliation flags."""
        if self.from_microdata:
            return []
        r = self.reconciliation
        hit = r[(r["area"] == f"Tabell {table}") & r["figure"].str.startswith("Total") & (r["status"] == DIFFERS)]
        return [y for y in years if y in set(hit["year"].astype(int))]

    def participant_sentences(self, table: int) -> list[str]:
        """Sentences from the numbers as shown: a hidden count is never used, nor compared."""
        benefit, status = PARTICIPANT_TABLES[table]
        phrase = _BENEFIT_PHRASE[benefit]
        y = self.year
        total = self.data.participant_count(table, y)
        women = self.data.participant_count(table, y, "kvinna")
        men = self.data.participant_count(table, y, "man")
        series = {yr: self.data.participant_count(table, yr) for yr in self.years}
        by_sex = women is not None and men is not None
        if total is None:
            what = "som deltog i en insats" if status == "pagaende" else "som började en insats"
            first = f"Antalet personer med {phrase} {what} under {y} visas inte av sekretesskäl."
        elif status == "pagaende":
            first = (f"Under {y} deltog {fmt.number(total)} personer med {phrase} i insatser som "
                     f"samordningsförbunden finansierar"
                     + (f", {fmt.number(women)} kvinnor och {fmt.number(men)} män." if by_sex else
                        "; fördelningen på kvinnor och män visas inte av sekretesskäl."))
        else:
            ongoing = self.data.participant_count(table - 1, y)
            first = (f"Under {y} började {fmt.number(total)} personer med {phrase} en insats"
                     + (f" ({fmt.number(women)} kvinnor och {fmt.number(men)} män)." if by_sex else ".")
                     + (f" De är {fmt.share(total, ongoing)} av alla pågående deltagare med {phrase}."
                        if ongoing is not None else ""))
        sentences = [first]
        flagged: list[int] = []
        previous = series.get(y - 1)
        if y - 1 not in series:
            sentences.append(f"{y} är det första året i serien, så någon jämförelse med året före finns inte.")
        elif total is not None and previous is not None:
            change = total - previous
            sentences.append(
                f"Jämfört med {y - 1} är det {fmt.change_words(change, 'person', 'personer')} "
                f"({fmt.percent(100 * change / previous, 1, sign=True)})."
            )
            if None not in series.values():  # a record is only claimed against years that are all shown
                if total == max(series.values()) and len(series) > 2:
                    sentences.append(f"Det är det högsta antalet sedan serien började {self.first_year}.")
                elif total == min(series.values()) and len(series) > 2:
                    sentences.append(f"Det är det lägsta antalet sedan serien började {self.first_year}.")
            flagged = self.flagged_totals(table, (y - 1, y))
        else:
            sentences.append(f"{y} är det första året i serien, så någon jämförelse med året före finns inte.")
            flagged = []
        population = self.data.figure(_POPULATION_FIGURE[benefit], y)
        if status == "pagaende" and population and total is not None:
            sentences.append(
                f"Deltagarna var {fmt.percent(100 * total / population, 1)} av de {fmt.number(population)} "
                f"personer som hade {phrase} under {y}."
            )
        if flagged:  # last: a note on the source, which no later sentence should lean on
            years = " och ".join(map(str, flagged))
            sentences.append(
                f"Förändringen är räknad på källans total för {years}, som inte är summan av kvinnor och män "
                f"(se Avstämning mot publicerade uppgifter)."
            )
        return sentences

    def insatser_sentences(self) -> list[str]:
        y = self.year
        texts = {code: self._insatser_text(y, code) for code in TARGET_GROUP_LABELS}
        ae, sp, uf = (texts[c] for c in TARGET_GROUP_LABELS)
        uf_missing = uf == fmt.NOTHING
        parts = [f"{ae} insatser för unga med aktivitetsersättning", f"{sp} för sjukskrivna"]
        if not uf_missing:
            parts.append(f"{uf} för unga med funktionsnedsättning")
        sentences = [f"Under {y} finansierade samordningsförbunden {', '.join(parts[:-1])} och {parts[-1]}."]
        if fmt.SUPPRESSED in texts.values():
            sentences.append("Antal som visas som \"..\" är dolda av sekretesskäl.")
        if uf_missing:
            sentences.append("Unga med funktionsnedsättning redovisas som egen målgrupp först från 2017.")
            return sentences
        total = self._insatser_total(y)
        if total is None:
            return sentences
        sentences.append(f"Sammanlagt var det {fmt.number(total)} insatser för de prioriterade målgrupperna.")
        prev_total = self._insatser_total(y - 1)
        if prev_total is not None:
            sentences.append(
                f"Jämfört med {y - 1} är det {fmt.change_words(total - prev_total, 'insats', 'insatser')}."
            )
        return sentences

    def diagnosis_sentences(self) -> list[str]:
        y = self.year
        sp = self.data.diagnosis_pct(y, "sjukpenning")
        ae = self.data.diagnosis_pct(y, "aktivitetsersattning")
        hidden = [self._hidden_in(self.data.diagnosis, period=str(y), benefit=b) for b in ("sjukpenning", "aktivitetsersattning")]
        if any(hidden):
            return [f"Bland deltagarna {y} hade {self._diagnosis_text(y, 'sjukpenning')} av dem med sjukpenning och "
                    f"{self._diagnosis_text(y, 'aktivitetsersattning')} av dem med aktivitetsersättning en psykiatrisk "
                    f"diagnos (ICD-10 F00–F99). Andelar som visas som \"..\" är dolda av sekretesskäl."]
        if sp is None or ae is None:
            return [f"Andelen med psykiatrisk diagnos redovisas inte för {y}."]
        return [
            f"Bland deltagarna {y} hade {fmt.percent(sp)} av dem med sjukpenning och {fmt.percent(ae)} av dem med "
            f"aktivitetsersättning en psykiatrisk diagnos (ICD-10 F00–F99)."
        ]

    def summary_sentences(self) -> list[str]:
        return [
            self.participant_sentences(1)[0],
            self.participant_sentences(3)[0],
            self.insatser_sentences()[0],
        ]

    # ------------------------------------------------------------------ Markdown sections
    def _figure(self, name: str, caption: str, alt: str, label: str, draw) -> str:
        path = self.out_dir / "figurer" / f"{name}_{self.year}.png"
        draw(path)
        return charts.figure_markdown(path, self.out_dir, caption, alt, label)

    def participant_section(self, table: int) -> str:
        benefit, status = PARTICIPANT_TABLES[table]
        frame = self._participants(table)
        frame = frame[frame["sex"] != "total"].assign(Kön=lambda f: f["sex"].map(SEX_DISPLAY))
        frame["År"] = frame["year"].astype(int).astype(str)
        frame["Antal"] = frame["count"].astype(float)
        w_last = self.data.participant_count(table, self.year, "kvinna")
        m_last = self.data.participant_count(table, self.year, "man")
        alt = (
            f"Stapeldiagram: {_STATUS_WORD[status]} deltagare med {_BENEFIT_PHRASE[benefit]} per år {self.period}, "
            f"kvinnor och män. {self.year}: {self._count_text(w_last)} kvinnor och {self._count_text(m_last)} män. "
            f"Samma siffror finns i tabellen under diagrammet."
        )
        title = TABLE_TITLES[table]
        figure = self._figure(
            f"tabell{table}", f"Diagram till tabell {table}: {_lower_first(title.split(' ', 2)[2])}, "
            f"{self.period}", alt, f"fig-tabell{table}",
            lambda path: charts.grouped_bars(frame, "År", "Antal", "Kön", path, "Antal deltagare",
                                             hue_order=[SEX_DISPLAY["kvinna"], SEX_DISPLAY["man"]]),
        )
        table_md = markdown_table(self.participant_table(table), caption=f"{title}, {self.period}",
                                  label=f"tbl-tabell{table}")
        return "\n".join([" ".join(self.participant_sentences(table)), "", figure, table_md])

    def insatser_section(self) -> str:
        frame = self._insatser().dropna(subset=["count"])
        frame["Målgrupp"] = frame["target_group"].map(TARGET_GROUP_LABELS)
        frame["År"] = frame["year"].astype(int)
        frame["Antal"] = frame["count"].astype(float)
        last = {c: self._insatser_text(self.year, c) for c in TARGET_GROUP_LABELS}
        alt = (
            f"Linjediagram: antal insatser per prioriterad målgrupp per år {self.period}. {self.year}: "
            + ", ".join(f"{TARGET_GROUP_LABELS[c].lower()} {v}" for c, v in last.items())
            + ". Samma siffror finns i tabellen under diagrammet."
        )
        figure = self._figure(
            "tabell5", f"Diagram till tabell 5: antal insatser per målgrupp, {self.period}", alt, "fig-tabell5",
            lambda path: charts.lines(frame, "År", "Antal", "Målgrupp", path, "Antal insatser",
                                      hue_order=[v for v in TARGET_GROUP_LABELS.values() if v in set(frame["Målgrupp"])]),
        )
        note = None
        if self.first_year in self.years and self.data.insatser_count(self.first_year, "unga_funktionsnedsattning") is None:
            note = (f"– = uppgift saknas: unga med funktionsnedsättning redovisas som egen målgrupp från 2017 "
                    f"(cellen för {self.first_year} är tom i källan).")
        table_md = markdown_table(self.insatser_table(), caption=f"{TABLE_TITLES[5]}, {self.period}",
                                  label="tbl-tabell5", note=note)
        return "\n".join([" ".join(self.insatser_sentences()), "", figure, table_md])

    def diagnosis_section(self) -> str:
        d = self.data.diagnosis
        frame = d[(d["period"] != "total")].copy()
        frame["År"] = frame["period"].astype(int)
        frame = frame[frame["År"] <= self.year]
        frame["Ersättning"] = frame["benefit"].map(BENEFIT_LABELS)
        frame["Andel"] = frame["published_pct"].astype(float)
        sp = self._diagnosis_text(self.year, "sjukpenning")
        ae = self._diagnosis_text(self.year, "aktivitetsersattning")
        alt = (
            f"Linjediagram: andel deltagare med psykiatrisk diagnos per år {self.period}, sjukpenning och "
            f"aktivitetsersättning. {self.year}: {sp} respektive {ae}. "
            f"Samma siffror finns i tabellen under diagrammet."
        )
        figure = self._figure(
            "tabell6", f"Diagram till tabell 6: andel med psykiatrisk diagnos, {self.period}", alt, "fig-tabell6",
            lambda path: charts.lines(frame, "År", "Andel", "Ersättning", path, "Andel", percent=True,
                                      hue_order=["Sjukpenning", "Aktivitetsersättning"]),
        )
        note = "Psykiska sjukdomar och syndrom samt beteendestörningar (ICD-10-SE F00–F99)."
        if "total" in self._diagnosis_periods():
            note += f" Kolumnen Totalt är källans uppgift för hela perioden {fmt.year_span(self.first_year, max(self.data.years))}."
        table_md = markdown_table(self.diagnosis_table(), caption=f"{TABLE_TITLES[6]}, {self.period}",
                                  label="tbl-tabell6", note=note)
        return "\n".join([" ".join(self.diagnosis_sentences()), "", figure, table_md])

    def summary_markdown(self) -> str:
        return "\n".join(f"- {s}" for s in self.summary_sentences()) + "\n"

    # ------------------------------------------------------------------ reconciliation
    def reconciliation_rows(self) -> pd.DataFrame:
        r = self.reconciliation
        return r[r["year"] == self.year].reset_index(drop=True)

    def about_markdown(self) -> str:
        if self.from_microdata:
            compare = ("" if self.area else "Avsnittet *Jämförelse med publicerade tabeller* visar var siffrorna "
                       "skiljer sig från de publicerade, och ")
            return ("Siffrorna är **räknade från registermikrodata** (SUS-registreringar och förmånsregistret) efter "
                    "rensning, med röjandekontroll: antal under den fastställda gränsen och de celler som skulle avslöja "
                    f"dem visas som \"..\". {compare}{'*D' if compare else 'Avsnittet *D'}atakvalitet* visar hur många "
                    "rader som lästes, behölls och sattes i karantän.\n" + self.method_markdown())
        return ("Siffrorna är **publicerade uppgifter** ur Arbetsförmedlingens och Försäkringskassans återrapporteringar "
                "(se *Källor* sist i bilagan). De är inte framtagna från mikrodata. Avsnittet *Avstämning mot "
                "publicerade uppgifter* räknar om de uppgifter som källorna härleder (andelar, summor och förändringar) "
                "och visar var de inte stämmer.\n")

    @property
    def area(self) -> str:
        """The förbund the microdata tables were built for ("" for the whole country)."""
        return "" if self.unit is None or self.unit.empty else str(self.unit.iloc[0]["area"] or "")

    def method_markdown(self) -> str:
        """The unit and the disclosure setting the microdata tables were built with."""
        if self.unit is None or self.unit.empty:
            return ""
        from ..derive.disclosure import Settings, method_sentence

        u = self.unit.iloc[0]
        return (f"\nOmråde: {u['unit']}.\n\n"
                + method_sentence(Settings(int(u["min_cell_count"]), int(u["protection_interval"]))) + "\n")

    def comparison_rows(self) -> pd.DataFrame:
        """Every table cell from microdata next to the published cell, for years up to the report year."""
        mine = self.table_cells()
        theirs = Bilaga1(self.year, self.published, self.reconciliation, self.out_dir).table_cells()
        both = mine.merge(theirs, on=["table", "row", "column"], how="outer", suffixes=("_micro", "_published"))
        both["same"] = (both["value_micro"] == both["value_published"]) | (
            both["value_micro"].isna() & both["value_published"].isna())
        return both

    def quality_markdown(self) -> str:
        if not self.from_microdata:
            return ""
        q = self.quality[self.quality["year"] == self.year]
        table = q.pivot_table(index="measure", columns="export", values="count", aggfunc="sum", sort=False)
        table = table.reset_index().rename(columns={"measure": "Steg"})
        for column in table.columns[1:]:
            table[column] = [fmt.number(v) if pd.notna(v) else fmt.NOTHING for v in table[column]]
        rows_in = q[q["measure"] == "rader in"]["count"].sum()
        kept = q[q["measure"] == "behållna"]["count"].sum()
        lead = (f"Registerexporterna för {self.year} hade {fmt.number(rows_in)} rader; {fmt.number(kept)} behölls och "
                f"{fmt.number(rows_in - kept)} sattes i karantän med en orsakskod (rader in = behållna + karantän, "
                f"kontrollerat för varje fil). Personnummer är ersatta med pseudonymer innan något skrevs.")
        return "\n".join(["## Datakvalitet", "", lead, "",
                          markdown_table(table, caption=f"Rader per export och orsak till karantän, {self.year}",
                                         label="tbl-datakvalitet")])

    def reconciliation_markdown(self) -> str:
        if self.from_microdata and self.area:
            return (f"De publicerade tabellerna gäller hela riket; tabellerna här gäller {self.unit.iloc[0]['unit']} och "
                    f"jämförs därför inte cell för cell.\n")
        if self.from_microdata:
            both = self.comparison_rows()
            differ = both[~both["same"]]
            lead = (f"Av {fmt.number(len(both))} tabellceller till och med {self.year} är {fmt.number(len(both) - len(differ))} "
                    f"lika i mikrodata och i de publicerade tabellerna.")
            if differ.empty:
                return lead + "\n"
            shown = pd.DataFrame({
                "Tabell": differ["table"].astype(str), "Rad": differ["row"], "Kolumn": differ["column"],
                "Mikrodata": [fmt.SUPPRESSED if not pd.isna(h) and bool(h) else fmt.number(v)
                              for v, h in zip(differ["value_micro"], differ["suppressed"])],
                "Publicerat": [fmt.number(v) for v in differ["value_published"]],
            })
            note = ("Totalen räknas här som kvinnor + män; där den publicerade totalen inte är summan av kvinnor och "
                    "män (tryckfel i källan) skiljer de sig. För 2022 har källan bytt plats på andelarna kvinnor och män "
                    "i tabell 1 och 2.")
            return "\n".join([lead + " Dessa skiljer sig:", "",
                              markdown_table(shown, caption=f"Celler som skiljer sig från de publicerade tabellerna, "
                                                            f"{self.year}", label="tbl-jamforelse", align="lllrr",
                                             note=note)])
        return reconciliation_markdown(
            self.reconciliation_rows(), scope=f"För {self.year}", caption_suffix=str(self.year),
            explain=(
                "En publicerad andel stämmer om den omräknade andelen avrundas till samma värde med lika många "
                "decimaler som källan har (källan har avrundat). Antal ska stämma exakt. Där en fotnot vid just "
                "den uppgiften, eller avsnittet den står i, visar att texten och tabellen bygger på olika källor "
                "eller tidpunkter redovisas skillnaden som *annan källa/tidpunkt*, och raden säger var det står. "
                "Stämmer samma två källor för en annan uppgift redovisas skillnaden ändå som en avvikelse. En omräkning som bygger på en uppgift som själv avviker "
                "säger det i kolumnen Beräkning. Avvikelser är iakttagelser om källorna; de publicerade värdena "
                "visas oförändrade i tabellerna ovan."
            ),
        )

    # ------------------------------------------------------------------ sources
    def sources_markdown(self) -> str:
        lines = []
        own = {DOCUMENTS["002"], DOCUMENTS["003"]}  # the sources list also holds Bilaga 4's (document 000)
        for row in self.data.sources[self.data.sources["document"].isin(own)].itertuples():
            lines.append(f"- **{row.table}** – {row.document_title}. {row.section}, s. {row.page}. {row.note or ''}".rstrip())
        return "\n".join(lines) + "\n"
