"""reports/index.html: every year and appendix on one page, in Swedish, with headline figures.

The index lists what the build is configured to produce (params.yaml: years, bilaga4.year,
report formats) rather than what happens to exist, so it never depends on stage order. Beside
the links it shows each report's headline figures, read from the processed data the report
itself is built from ("–" where that data has not been built).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from ..core import fmt
from ..core.errors import PipelineError
from ..core.io import write_text_atomic
from .contract import APPENDICES, SYNTHETIC_NOTE

_KINDS = (("html", "Webbsida"), ("pdf", "PDF"), ("docx", "Word"), ("ipynb", "Jupyter-anteckningsbok"))

_PAGE = """<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Finsam – bilagor per år</title>
<style>
body {{ font-family: "Segoe UI", Arial, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330;
       line-height: 1.45; overflow-wrap: break-word; }}
h1 {{ color: #1f5f8b; }} table {{ border-collapse: collapse; width: 100%; }}
caption {{ text-align: left; font-weight: 600; padding-bottom: 0.3rem; }}
th, td {{ text-align: left; vertical-align: top; padding: 0.35rem 0.6rem; border-bottom: 1px solid #d5d9e0; }}
td.nyckeltal {{ font-variant-numeric: tabular-nums; }}
nav.forbund ul {{ columns: 14rem; padding-left: 1.2rem; }}
/* Stand-alone links are targets of at least 24 × 24 px (WCAG 2.2, 2.5.8). */
td a, th a, nav a, p.jamforelse a {{ display: inline-block; min-width: 24px; min-height: 24px; padding: 0.15rem 0.2rem;
                                    box-sizing: border-box; }}
a:focus-visible {{ outline: 3px solid #1f5f8b; outline-offset: 2px; }}
/* Phones: each row becomes a block with its column names, so nothing is wider than the screen.
   The table keeps its meaning for screen readers through its explicit roles. */
@media (max-width: 40rem) {{
  body {{ margin: 1rem auto; padding: 0 0.75rem; }}
  table.stapla thead {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }}
  table.stapla tr {{ display: block; border-bottom: 2px solid #d5d9e0; padding: 0.4rem 0; }}
  table.stapla td, table.stapla th {{ display: block; border: 0; padding: 0.1rem 0; }}
  table.stapla td[data-rubrik]::before {{ content: attr(data-rubrik) ": "; font-weight: 600; }}
  table.forbund td {{ display: inline-block; padding-right: 0.3rem; }}
  table.forbund td[data-rubrik]::before {{ content: none; }}
}}
</style>
</head>
<body>
<main>
<h1>Finansiell samordning – bilagor per år</h1>
<p>Här finns alla bilagor för varje år, med de viktigaste siffrorna. Varje bilaga går att läsa som webbsida,
som tillgänglig PDF och som Word-dokument. Den finns också som Jupyter-anteckningsbok, med beräkningarna som
gav siffrorna.</p>
<table class="stapla" role="table">
<caption>Bilagor per år, med nyckeltal och filer</caption>
<thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">År</th><th scope="col" role="columnheader">Bilaga</th><th scope="col" role="columnheader">Innehåll</th><th scope="col" role="columnheader">Nyckeltal</th><th scope="col" role="columnheader">Filer</th></tr></thead>
<tbody role="rowgroup">
{rows}
</tbody>
</table>
{forbund}
</main>
</body>
</html>
"""


def index_rows(appendix_years: dict[str, list[int]], formats: list[str],
               headlines: dict[tuple[str, int], str] | None = None,
               synthetic: dict[tuple[str, int], bool | None] | None = None) -> list[dict]:
    """One row per year and appendix with the files the build writes for it.

    ``appendix_years`` maps an appendix (a key of ``APPENDICES``) to the years it is built
    for; ``headlines`` maps (appendix, year) to the headline figures shown beside the links;
    ``synthetic`` maps (appendix, year) to the stage's decision whether its data are synthetic.
    """
    kinds = [(k, label) for k, label in _KINDS if k == "ipynb" or k in formats]
    rows = []
    all_years = sorted({y for years in appendix_years.values() for y in years}, reverse=True)
    for year in all_years:
        for key, info in APPENDICES.items():
            if year not in appendix_years.get(key, []):
                continue
            files = [(label, f"{year}/{key}/{key}_{year}.{kind}") for kind, label in kinds]
            desc = info.description + (SYNTHETIC_NOTE if (synthetic or {}).get((key, year)) else "")
            rows.append({"year": year, "key": key, "title": info.title, "description": desc, "files": files,
                         "headline": (headlines or {}).get((key, year), fmt.NOTHING)})
    return rows


# ------------------------------------------------------------------------- headline figures
def _bilaga1(inputs: Mapping[str, Any], year: int) -> str:
    from ..sources.published import load_processed

    data = load_processed(inputs["published_tables"])
    ae, sp = data.participant_count(1, year), data.participant_count(3, year)
    return (f"Pågående deltagare: {fmt.number(ae)} med aktivitetsersättning, {fmt.number(sp)} med sjukpenning "
            f"(publicerade uppgifter)")


def _modeller(inputs: Mapping[str, Any], year: int, synthetic: bool) -> str:
    rates = pd.read_parquet(inputs["models"][year] / "rates.parquet").set_index("benefit")
    return ("Andel som deltog: " + ", ".join(
        f"{fmt.percent(rates.loc[b, 'crude'], 1)} av dem med {w}" for b, w in
        (("aktivitetsersattning", "aktivitetsersättning"), ("sjukpenning", "sjukpenning")) if b in rates.index)
        + (" (syntetiska data)" if synthetic else ""))


def _bilaga3(inputs: Mapping[str, Any], year: int, synthetic: bool) -> str:
    from ..sources.enkat import load_clean, load_survey, response_rates

    survey = load_survey(inputs["survey_questions"][year].parent)
    r = response_rates(survey, load_clean(inputs["survey_clean"][year]))
    total = r[r["group"] == "Totalt"].iloc[0]
    return (f"Svarsfrekvens {fmt.percent(total['rate_pct'])} ({fmt.number(total['answered'])} av "
            f"{fmt.number(total['invited'])}" + ("; syntetiska svar)" if synthetic else ")"))


def _bilaga4(inputs: Mapping[str, Any], year: int) -> str:
    calc = pd.read_parquet(inputs["malgrupp"] / "berakning.parquet")
    total = calc.loc[calc["group"] == "totalt"].iloc[0]
    return (f"Uppskattning: {fmt.number(total['estimate'])} personer kan behöva samordnad rehabilitering "
            f"(se bilagan för antaganden och känslighet)")


def _indikatorrapport(inputs: Mapping[str, Any], year: int, synthetic: bool) -> str:
    folder = Path(inputs["indikator_tables"])
    taking = pd.read_parquet(folder / "forbund.parquet")
    answers = pd.read_parquet(folder / "deltagande.parquet")
    n = int((taking["year"] == year).sum())
    if not n:
        raise LookupError(year)
    return (f"{n} förbund deltog, {fmt.number(answers.loc[answers['year'] == year, 'svarande'].sum())} besvarade enkäter"
            + (" (syntetiska svar)" if synthetic else ""))


def headline_figures(inputs: Mapping[str, Any], appendix_years: dict[str, list[int]],
                     synthetic: dict[tuple[str, int], bool | None] | None = None) -> dict[tuple[str, int], str]:
    """(appendix, year) → a short Swedish line of headline figures; missing data gives "–".
    ``inputs``: the index stage's resolved inputs (pipeline/core/catalogue.py: ``published_tables``,
    ``malgrupp``, and per year ``models``, ``survey_clean``, ``survey_questions``).
    ``synthetic``: the stage's decision per (appendix, year), said beside the figures."""
    synthetic = synthetic or {}
    readers: dict[str, Callable[[int], str]] = {
        "bilaga1": lambda y: _bilaga1(inputs, y),
        "modeller": lambda y: _modeller(inputs, y, bool(synthetic.get(("modeller", y)))),
        "bilaga3": lambda y: _bilaga3(inputs, y, bool(synthetic.get(("bilaga3", y)))),
        "bilaga4": lambda y: _bilaga4(inputs, y),
        "indikatorrapport": lambda y: _indikatorrapport(inputs, y, bool(synthetic.get(("indikatorrapport", y)))),
    }
    out = {}
    for key, years in appendix_years.items():
        for year in years:
            try:
                out[(key, year)] = readers[key](year)
            except (PipelineError, OSError, LookupError, ValueError):  # not built yet, or no such year
                out[(key, year)] = fmt.NOTHING
    return out


FORBUND_INTRO = ("En Bilaga 1 ur registren för varje samordningsförbund och år, med förbundets deltagare, insatser, "
                 "andel med psykiatrisk diagnos och täckning jämförda med rikets. Välj förbund i listan och sedan år "
                 "i tabellen.")


INDIKATOR_INTRO = ("En Indikatorbilaga för varje förbund och varje år då förbundet deltog i indikatorenkäterna, med "
                   "förbundets indikatorer jämförda med rikets, förbundets egen trend, jämförelsen med andra förbund "
                   "och förbundets öppna svar.")


def forbund_section(forbund: dict[str, str], years: list[int], synthetic: bool, *, folder: str = "forbund",
                    stem: str = "forbundsbilaga", heading: str = "Förbundsbilagor", intro: str = FORBUND_INTRO,
                    comparison: bool = True, available: dict[str, list[int]] | None = None,
                    anchor: str = "forbund", heading_id: str = "forbundsbilagor") -> str:
    """The förbund reports: per year the comparison of all förbund, a list of förbund (jump links)
    and a table with one row per förbund and one link per year. Plain links only: it works offline,
    without scripts, and a screen reader can list them by förbund. ``available``: the years each
    förbund has a report (others show "–"); default every year."""
    if not forbund:
        return ""
    years = sorted(years)
    mark = " (syntetiska data)" if synthetic else ""
    compare = " · ".join(f'<a href="jamforelse/{y}/jamforelse_{y}.html">{y}</a>' for y in years)
    compare = f"<p class=\"jamforelse\">Alla förbund sida vid sida (trattdiagram och tabell): {compare}</p>\n" if comparison else ""
    jump = "\n".join(f'<li><a href="#{anchor}-{html.escape(s)}">{html.escape(n)}</a></li>' for n, s in forbund.items())
    rows = []
    for name, slug in forbund.items():
        has = set(years if available is None else available.get(name, []))
        links = "".join(f'<td role="cell" data-rubrik="{y}"><a href="{folder}/{html.escape(slug)}/{y}/{stem}_{y}.html" '
                        f'aria-label="{html.escape(name)} {y}">{y}</a></td>' if y in has
                        else f'<td role="cell" data-rubrik="{y}">{fmt.NOTHING}</td>' for y in years)
        rows.append(f'<tr role="row" id="{anchor}-{html.escape(slug)}"><th scope="row" role="rowheader">'
                    f'{html.escape(name)}</th>{links}</tr>')
    head = "".join(f'<th scope="col" role="columnheader">{y}</th>' for y in years)
    return (f'<section aria-labelledby="{heading_id}">\n<h2 id="{heading_id}">{heading}{mark}</h2>\n'
            f"<p>{intro}</p>\n{compare}"
            f'<nav class="forbund" aria-label="{heading}: förbund">\n<ul>\n{jump}\n</ul>\n</nav>\n'
            f'<table class="forbund stapla" role="table">\n<caption>{heading} per förbund och år</caption>\n'
            f'<thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">Förbund</th>{head}</tr></thead>\n'
            f'<tbody role="rowgroup">\n' + "\n".join(rows) + "\n</tbody>\n</table>\n</section>")


def write_index(reports: Path, appendix_years: dict[str, list[int]], formats: list[str],
                headlines: dict[tuple[str, int], str] | None = None,
                synthetic: dict[tuple[str, int], bool | None] | None = None, forbund: dict[str, str] | None = None,
                forbund_years: list[int] | None = None, forbund_synthetic: bool = True,
                indikator: dict[str, list[int]] | None = None, indikator_synthetic: bool = True) -> Path:
    """``indikator``: förbund → the years it has an Indikatorbilaga (a section of their own)."""
    body = []
    for row in index_rows(appendix_years, formats, headlines, synthetic):
        links = " · ".join(f'<a href="{html.escape(href)}">{label}</a>' for label, href in row["files"])
        body.append(f'<tr role="row"><td role="cell">{row["year"]}</td>'
                    f'<td role="cell">{html.escape(row["title"])}</td>'
                    f'<td role="cell" data-rubrik="Innehåll">{html.escape(row["description"])}</td>'
                    f'<td role="cell" class="nyckeltal" data-rubrik="Nyckeltal">{html.escape(row["headline"])}</td>'
                    f'<td role="cell" data-rubrik="Filer">{links}</td></tr>')
    section = forbund_section(forbund or {}, forbund_years or [], forbund_synthetic)
    if indikator:
        from .forbund_figures import slugs

        section += "\n" + forbund_section(slugs(sorted(indikator)), sorted({y for ys in indikator.values() for y in ys}),
                                          indikator_synthetic, folder="indikator", stem="indikatorbilaga",
                                          heading="Indikatorbilagor", intro=INDIKATOR_INTRO, comparison=False,
                                          available=indikator, anchor="indikator", heading_id="indikatorbilagor")
    return write_text_atomic(reports / "index.html", _PAGE.format(rows="\n".join(body), forbund=section))
