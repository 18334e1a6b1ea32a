"""Bilaga 4 calculation: assumptions from params.yaml, hand-computed changes, errors, reconciliation."""

from __future__ import annotations

import copy
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from pipeline.derive import malgrupp as m
from pipeline.core.config import load_params
from pipeline.core.errors import ConfigError
from pipeline.core.checks import AGREES, DIFFERS, NOT_RECOMPUTABLE, OTHER_SOURCE

from ..conftest import REPO

PARAMS = load_params(REPO / "params.yaml")


@pytest.fixture(scope="module")
def published():
    return m.load_transcriptions(REPO / "data" / "raw" / "published")


def _with(group: str, **changes) -> dict:
    params = copy.deepcopy(PARAMS)
    params["bilaga4"]["groups"][group].update(changes)
    return params


def test_document_assumptions_reproduce_every_published_row(published):
    calc = m.calculate(m.parse_assumptions(PARAMS), published)
    assert (calc["difference"] == 0).all()
    assert calc.loc[calc["group"] == "totalt", "estimate"].item() == 483_300
    assert round(calc.loc[calc["group"] == "totalt", "pct_of_population"].item(), 1) == 6.6


@pytest.mark.parametrize("group, changes, expected_total", [
    # 194 200 × 30 % = 58 260, rounded to 10 000 → 60 000 instead of 40 000
    ("sjukskrivna", {"share_pct": 30}, 483_300 - 40_000 + 60_000),
    # 40 000 × 50 % = 20 000 instead of 18 800
    ("aktivitetsersattning", {"base": 40_000}, 483_300 - 18_800 + 20_000),
    # Tabell 2's exact 258 827 × 80 % = 207 061,6 → 207 062 without rounding, instead of 208 000
    ("ekonomiskt_bistand", {"base": 258_827, "round_to": 1}, 483_300 - 208_000 + 207_062),
    # 372 200 × 0 % = 0
    ("arbetslosa", {"share_pct": 0, "range_pct": [0, 35]}, 483_300 - 93_000),
])
def test_a_changed_assumption_changes_the_result_as_computed_by_hand(group, changes, expected_total):
    assert m.total(m.parse_assumptions(_with(group, **changes))) == expected_total


def test_changed_params_file_flows_through_the_stage(tmp_project):
    from pipeline.core.config import Project
    from pipeline.stages import stage_malgrupp

    params = yaml.safe_load((tmp_project.root / "params.yaml").read_text(encoding="utf-8"))
    params["bilaga4"]["groups"]["neet"]["share_pct"] = 50  # 80 000 × 50 % = 40 000
    (tmp_project.root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    out = stage_malgrupp(Project(tmp_project.root))
    calc = pd.read_parquet(out / "berakning.parquet").set_index("group")
    assert calc.loc["neet", "estimate"] == 40_000
    assert calc.loc["totalt", "estimate"] == 443_300
    assert calc.loc["neet", "difference"] == -40_000  # against the document's 80 000


def test_estimate_rounds_half_up_to_the_documents_precision():
    assert m.estimate(372_200, 25, 1000) == 93_000  # 93 050
    assert m.estimate(37_599, 50, 1) == 18_800  # 18 799,5 rounds up
    assert m.estimate(87_000, 25, 100) == 21_800  # 21 750 rounds up
    assert m.estimate(194_200, 20, 10_000) == 40_000  # 38 840


def test_sensitivity_one_share_at_a_time_and_extremes():
    a = m.parse_assumptions(PARAMS)
    s = m.sensitivity(a).set_index("group")
    # arbetslösa 15 %: 55 830 → 56 000; 35 %: 130 270 → 130 000
    assert s.loc["arbetslosa", ["total_low", "total_high"]].tolist() == [446_300, 520_300]
    # NEET's range ends at its assumed 100 %, so the high total is the base case
    assert s.loc["neet", ["total_low", "total_high"]].tolist() == [443_300, 483_300]
    assert list(s["swing"]) == sorted(s["swing"], reverse=True)
    # all low: 40 000 + 195 000 + 56 000 + 9 400 + 20 000 + 21 800; all high: 80 000 + 260 000 + 130 000
    # + 28 200 + 60 000 + 65 300
    assert m.extremes(a) == (342_200, 623_500)


@pytest.mark.parametrize("mutate, message", [
    (lambda p: p["bilaga4"]["groups"]["sjukskrivna"].update(share_pct=120),
     "bilaga4.groups.sjukskrivna.share_pct must be between 0 and 100, got 120"),
    (lambda p: p["bilaga4"]["groups"]["neet"].update(share_pct=-5),
     "bilaga4.groups.neet.share_pct must be between 0 and 100, got -5"),
    (lambda p: p["bilaga4"]["groups"].update(pensionarer={"base": 1000, "share_pct": 10}),
     "unknown group 'pensionarer'; known groups: neet, ekonomiskt_bistand"),
    (lambda p: p["bilaga4"]["groups"]["neet"].pop("base"), "bilaga4.groups.neet.base is missing"),
    (lambda p: p["bilaga4"]["groups"]["neet"].update(share_pct="hälften"), "must be a share in per cent"),
    (lambda p: p["bilaga4"]["groups"]["sjukskrivna"].update(range_pct=[25, 30]), "must contain share_pct 20"),
    (lambda p: p["bilaga4"]["groups"]["neet"].update(andel=50), "unknown key(s) andel"),
    (lambda p: p["bilaga4"].update(population=0), "bilaga4.population must be at least 1"),
    (lambda p: p.pop("bilaga4"), "the 'bilaga4' block is missing"),
])
def test_bad_params_give_one_clear_error(mutate, message):
    params = copy.deepcopy(PARAMS)
    mutate(params)
    with pytest.raises(ConfigError) as err:
        m.parse_assumptions(params)
    assert message in str(err.value)


def test_bad_params_from_the_command_line(tmp_project):
    params = yaml.safe_load((tmp_project.root / "params.yaml").read_text(encoding="utf-8"))
    params["bilaga4"]["groups"]["sjukskrivna"]["share_pct"] = 150
    (tmp_project.root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "stage", "malgrupp"], cwd=tmp_project.root,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("finsam: error: ") and "Traceback" not in proc.stderr
    assert "bilaga4.groups.sjukskrivna.share_pct must be between 0 and 100, got 150" in proc.stderr
    assert not (tmp_project.processed / "bilaga4").exists()


@pytest.mark.parametrize("value, tolerance", [(80_000, 5_000), (18_800, 50), (307_446, 0), (372_200, 50), (0, 0)])
def test_rounding_tolerance_of_printed_counts(value, tolerance):
    assert m.rounding_tolerance(value) == tolerance


def test_reconciliation_finds_the_documents_disagreements(published):
    r = m.reconcile_calculation(published)
    differ = r[r["status"] == DIFFERS]
    found = {(a, f) for a, f in zip(differ["area"], differ["figure"])}
    # Worked out by hand from the document (see docs/assumptions_caveats.md):
    expected = {
        ("Sammanställning", "Ekonomiskt bistånd (100%): andelen i etiketten = andelen i texten"),  # 100 vs 80
        ("Sammanställning", "Ekonomiskt bistånd (100%): antal = andelen i etiketten × underlaget i texten"),  # 260 000
        ("Sammanställning", "Sjukskrivna (10%): andelen i etiketten = andelen i texten"),  # 10 vs 20
        ("Sammanställning", "Sjukskrivna (10%): antal = andelen i etiketten × underlaget i texten"),  # 19 420
        ("Tabell 5", "Samtliga, båda könen = summan av graderna"),  # 307 446 vs 307 348
        ("Tabell 5", "Samtliga, kvinnor = summan av graderna"),  # 183 525 vs 183 477
        ("Tabell 5", "Samtliga, män = summan av graderna"),  # 123 921 vs 123 871
    }
    assert found == expected
    # Different sources or reference dates: reported as such, not as disagreements.
    other = r[r["status"] == OTHER_SOURCE]
    assert {(a, f) for a, f in zip(other["area"], other["figure"])} == {
        ("Text mot tabell", "Sjukskrivna: underlaget i texten = källtabellen"),  # mars 2016 vs 31 december 2015
        ("Text", "Handbokens målgrupp (5 %) i antal personer"),  # an earlier, smaller population
    }
    value = lambda f, area="Sammanställning": r.loc[(r["figure"] == f) & (r["area"] == area), "recomputed"].item()  # noqa: E731
    assert value("Samtliga, båda könen = summan av graderna", "Tabell 5") == 307_348
    assert value("Ekonomiskt bistånd (100%): antal = använd andel × källtabellens underlag") == pytest.approx(207_061.6)
    assert value("Sjukskrivna: underlaget i texten = källtabellen", "Text mot tabell") == 193_959
    # The vacancies are not split by sex (printed as 0): not a disagreement, but not checkable either.
    assert set(r.loc[r["status"] == NOT_RECOMPUTABLE, "figure"]) == {
        "Nyanmälda platser: båda könen = kvinnor + män", "Kvarstående platser: båda könen = kvinnor + män"}
    # Everything else agrees, e.g. Tabell 3's headings and their parts.
    assert (r.loc[r["area"] == "Tabell 3", "status"].isin([AGREES, NOT_RECOMPUTABLE])).all()
    assert len(r[(r["area"] == "Tabell 3") & r["figure"].str.contains("summan av delarna")]) == 21


def test_a_product_of_rounded_figures_agrees_when_it_rounds_to_the_printed_share(published):
    """208 000 people are "80 %" of the 258 827 adult recipients in Tabell 2: 208 000 / 258 827 =
    80,36 %, which rounds to the printed 80 %. The old rule (80 % × 258 827 = 207 062, more than
    500 from 208 000) read the rounded share as a disagreement."""
    r = m.reconcile_calculation(published)
    row = r[r["figure"] == "Ekonomiskt bistånd (100%): antal = använd andel × källtabellens underlag"].iloc[0]
    assert row["recomputed"] == pytest.approx(207_061.6)
    assert row["tolerance"] == pytest.approx(0.005 * 258_827)  # the share to whole per cent: ± 1 294
    assert row["status"] == AGREES
    # A count whose share does not round to the printed one still differs: 82 % of 258 827 = 212 238.
    assert m._product_tolerance(208_000, 258_827, 0, 80, 0.5) < abs(208_000 - 0.82 * 258_827)


def test_reconciliation_catches_a_wrong_summary_row(tmp_project):
    path = tmp_project.published_raw / "b4_sammanstallning.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("3,arbetslosa,Arbetslösa (25%),25,93000",
                                                             "3,arbetslosa,Arbetslösa (25%),25,95000"), encoding="utf-8")
    r = m.reconcile_calculation(m.load_transcriptions(tmp_project.published_raw))
    bad = set(r.loc[r["status"] == DIFFERS, "figure"])
    assert "Totalt = summan av raderna" in bad
    assert "Arbetslösa (25%): antal = andelen i etiketten × underlaget i texten" in bad


def test_unknown_group_in_the_summary_names_file_line_and_column(tmp_project):
    from pipeline.core.errors import InputError

    path = tmp_project.published_raw / "b4_sammanstallning.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",neet,", ",unga,"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        m.load_transcriptions(tmp_project.published_raw)
    assert "b4_sammanstallning.csv, line 2, column 'group': unknown group 'unga'" in str(err.value)


def test_every_other_source_row_says_where_the_document_shows_it(published):
    """Issue 21's rule for Bilaga 4 too: "annan källa/tidpunkt" only with the place in the document."""
    from pipeline.core.checks import OTHER_SOURCE

    r = m.reconcile_calculation(published)
    other = r[r["status"] == OTHER_SOURCE]
    assert len(other) >= 1
    for basis in other["basis"]:
        assert "(förstudien, bilaga 4, avsnittet " in basis, basis
