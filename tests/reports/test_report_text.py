"""Reader-facing text of every report: no code names, placeholders or file paths; Swedish wording.

The scan reads the rendered files (HTML with its alt texts and page title, the PDF's text and,
for Bilaga 1, the Word document), as a reviewer would.
"""

from __future__ import annotations

import re

import pytest

from ..conftest import html_reader_text, leftover_identifiers, norm, pdf_pages

pytestmark = pytest.mark.slow


def _reports(built_2022, built_bilaga3, built_bilaga4):
    return [(built_2022, "bilaga1_2022"), (built_bilaga3, "bilaga3_2016"), (built_bilaga4, "bilaga4_2016")]


def test_the_scan_finds_what_it_looks_for():
    found = {kind for kind, _ in leftover_identifiers(
        "Se data/raw/enkat/<år>/fragor.yaml och params.yaml; värdet av ekonomiskt_bistand för aktivitetsersattning.")}
    assert found == {"snake_case identifier", "placeholder", "file path", "code name without å/ä/ö"}
    assert leftover_identifiers("Aktivitetsersättning 2022: 1 581 (se Källor), SHA-256 0a1b, 16–64 år.") == []


def test_no_leftover_identifiers_in_html_pdf_and_docx(built_2022, built_bilaga3, built_bilaga4):
    import docx

    problems = []
    for folder, stem in _reports(built_2022, built_bilaga3, built_bilaga4):
        html = html_reader_text((folder / f"{stem}.html").read_text(encoding="utf-8"))
        pdf = " ".join(pdf_pages(folder / f"{stem}.pdf"))
        problems += [(stem, "html", *hit) for hit in leftover_identifiers(html)]
        problems += [(stem, "pdf", *hit) for hit in leftover_identifiers(pdf)]
    doc = docx.Document(str(built_2022 / "bilaga1_2022.docx"))
    words = [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    problems += [("bilaga1_2022", "docx", *hit) for hit in leftover_identifiers(norm(" ".join(words)))]
    assert problems == []


def test_page_titles_are_distinct(built_2022, built_bilaga3, built_bilaga4):
    titles = [re.search(r"<title>(.*?)</title>", (f / f"{s}.html").read_text(encoding="utf-8"), re.S).group(1)
              for f, s in _reports(built_2022, built_bilaga3, built_bilaga4)]
    assert len(set(titles)) == 3 and all("Finsam" in t for t in titles)


def test_estimates_are_phrased_as_estimates(built_bilaga4):
    text = html_reader_text((built_bilaga4 / "bilaga4_2016.html").read_text(encoding="utf-8"))
    assert "uppskattas att 483 300 personer kan behöva samordnad rehabilitering" in text
    assert "behöver 483 300 personer" not in text
    # the benchmark sentence reads as two plain sentences (it once ran "…, men under det med …; under …")
    assert ("Uppskattningen 483 300 ligger över riktmärket 5 % (365 000 personer); med alla andelar på sina "
            "lägsta värden (342 200) hamnar den under.") in text
    assert "Den ligger under riktmärket 10 % (730 000 personer), även med alla andelar på sina högsta värden." in text


def test_signs_are_shown_the_same_way_in_every_difference_column(built_2022):
    """+ and − on every non-zero difference, for counts as for percentage points."""
    from pipeline.reports.bilaga1 import Bilaga1

    text = (built_2022 / "bilaga1_2022.html").read_text(encoding="utf-8")
    table = text[text.index('id="tbl-avstamning"'):]
    table = table[:table.index("</table>")]
    cells = [re.sub(r"<[^>]+>", "", row.split("<td")[5]).split(">", 1)[-1].strip()
             for row in table.split("<tr")[2:]]
    assert cells, "no rows"
    for cell in cells:
        number = cell.replace("\u00a0p.e.", "").replace("\u00a0", "")
        assert number in ("0", "0,0", "\u2013") or number[0] in "+\u2212", cell
    assert Bilaga1 is not None


def test_combined_shares_in_sentences_agree_with_rounded_cells_or_say_why(built_bilaga3):
    """Bilaga 3: "47 % ganska väl eller mycket väl" must be the sum of the table's rounded cells,
    or the table's note must say that the text's shares were computed before rounding."""
    html = (built_bilaga3 / "bilaga3_2016.html").read_text(encoding="utf-8")
    sections = html.split("<h3")[1:]
    checked = 0
    for section in sections:
        section = re.sub(r"[ \t\r\n]+", " ", section)
        lead = re.search(r"svarade (\d+)\u00a0% ([a-zåäö ]+?), (\d+)\u00a0% ([a-zåäö ]+?)(?:,| och |\.)", section)
        if not lead or "<table" not in section:
            continue
        header = re.findall(r"<th[^>]*>(.*?)</th>", section)
        first_row = re.search(r"<tbody>\s*<tr[^>]*>(.*?)</tr>", section, re.S).group(1)
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", first_row, re.S)]
        value = {h.lower(): int(c.split("\u00a0")[0]) for h, c in zip(header[1:], cells[1:]) if "%" in c}
        explained = "räknade före avrundning" in section
        for share, words in ((lead.group(1), lead.group(2)), (lead.group(3), lead.group(4))):
            parts = words.split(" eller ")
            if all(p in value for p in parts):
                checked += 1
                assert int(share) == sum(value[p] for p in parts) or explained, (words, share, value)
    assert checked >= 16  # two combined shares for each of the scale questions


def test_every_model_term_reads_as_a_whole_sentence():
    """The Modellbilaga's odds ratios as sentences a Swedish editor signs: no "X jämfört med Y: …"
    fragment, the groups named in the plural, the reference after "som"/"än"/"och"."""
    from types import SimpleNamespace

    from pipeline.derive.models import TERM_LABELS
    from pipeline.reports.modellbilaga import _GROUPS, Modellbilaga

    assert set(_GROUPS) == set(TERM_LABELS)
    row = lambda est, low, high: SimpleNamespace(term="man", estimate=est, ci_low=low, ci_high=high)  # noqa: E731
    assert Modellbilaga._or_sentence(row(1.23, 1.1, 1.4)).startswith("Män hade 1,23 gånger så höga skattade odds att "
                                                                      "delta som kvinnor (95")
    assert Modellbilaga._or_sentence(row(0.8, 0.7, 0.9)).startswith("Män hade lägre skattade odds att delta än kvinnor")
    assert Modellbilaga._or_sentence(row(1.0, 0.9, 1.1)).startswith("Mellan män och kvinnor finns ingen statistiskt")
    for term in TERM_LABELS:
        text = Modellbilaga._or_sentence(SimpleNamespace(term=term, estimate=2.0, ci_low=1.5, ci_high=2.5))
        assert ":" not in text and text.endswith(").") and text[0].isupper(), text
