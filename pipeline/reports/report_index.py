"""reports/index.html: every year and appendix on one page, in Swedish."""

from __future__ import annotations

import html
from pathlib import Path

from ..core.io import write_text_atomic

APPENDICES = {
    "bilaga1": ("Bilaga 1 Tabeller", "Deltagare och insatser i SUS, tabell 1–6, med avstämning mot publicerade uppgifter"),
    "modeller": ("Modellbilaga",
                 "Deltagare jämförda med alla med samma ersättning: sammansättning, deltagandemodell, trend och "
                 "utfall med propensity score-viktning (syntetiska demodata)"),
    "bilaga3": ("Bilaga 3 Enkätresultat",
                "Enkät till förbundschefer, ordförande och vice ordförande: svarsfrekvens och alla frågor per grupp "
                "(syntetiska demodata)"),
    "bilaga4": ("Bilaga 4 Målgruppens storlek",
                "Hur många som behöver samordnad rehabilitering: beräkning med antaganden i params.yaml, "
                "känslighetsanalys och avstämning mot förstudien"),
}
_KINDS = (("html", "HTML"), ("pdf", "PDF"), ("ipynb", "Notebook"))

_PAGE = """<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Finsam – bilagor per år</title>
<style>
body {{ font-family: "Segoe UI", Arial, sans-serif; max-width: 56rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }}
h1 {{ color: #1f5f8b; }} table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #d5d9e0; }}
</style>
</head>
<body>
<h1>Finansiell samordning – bilagor per år</h1>
<p>Alla bilagor som pipelinen har byggt. Varje bilaga finns som HTML, PDF och som körd notebook.
Byggs om med <code>make build</code>.</p>
<table>
<thead><tr><th>År</th><th>Bilaga</th><th>Innehåll</th><th>Filer</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""


def index_rows(appendix_years: dict[str, list[int]], formats: list[str]) -> list[dict]:
    """One row per year and appendix with the files the build writes for it.

    ``appendix_years`` maps an appendix (a key of ``APPENDICES``) to the years it is built
    for. The index lists what the build is configured to produce (params.yaml: years,
    bilaga4.year, report formats) rather than what happens to exist, so it never depends on
    stage order.
    """
    kinds = [(k, label) for k, label in _KINDS if k == "ipynb" or k in formats]
    rows = []
    all_years = sorted({y for years in appendix_years.values() for y in years}, reverse=True)
    for year in all_years:
        for key, (title, desc) in APPENDICES.items():
            if year not in appendix_years.get(key, []):
                continue
            files = [(label, f"{year}/{key}/{key}_{year}.{kind}") for kind, label in kinds]
            rows.append({"year": year, "key": key, "title": title, "description": desc, "files": files})
    return rows


def write_index(reports: Path, appendix_years: dict[str, list[int]], formats: list[str]) -> Path:
    body = []
    for row in index_rows(appendix_years, formats):
        links = " · ".join(f'<a href="{html.escape(href)}">{label}</a>' for label, href in row["files"])
        body.append(f"<tr><td>{row['year']}</td><td>{html.escape(row['title'])}</td>"
                    f"<td>{html.escape(row['description'])}</td><td>{links}</td></tr>")
    return write_text_atomic(reports / "index.html", _PAGE.format(rows="\n".join(body)))
