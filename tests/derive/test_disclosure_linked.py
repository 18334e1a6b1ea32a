"""Linked disclosure control, proven on a small area: one förbund of the demo, built by the test.

Everything that build publishes (the publication stage's tables, Bilaga 1's table CSV and
sentences, every year's model tables) goes to an attacker (tests/attacker.py) that may not narrow
any hidden count to less than the protection interval in params.yaml. Random small areas are
generated with hypothesis and put through the same publication code and the same attacker.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.derive import models, register_tables
from pipeline.sources import geografi
from pipeline.core.config import Project
from pipeline.derive.disclosure import Settings, method_sentence
from pipeline.derive.disclosure import settings as disclosure_settings
from pipeline.core.errors import ConfigError

from ..attacker import Attack, add_models, add_register_tables, add_report_cells, add_report_text
from ..conftest import norm

pytestmark = pytest.mark.slow
AREA = "Samordningsförbund 07"
YEARS = list(range(2016, 2023))


@pytest.fixture(scope="module")
def small_area(register_project, tmp_path_factory):
    """The demo built for one förbund (reference population at 10 % of national scale): the
    register tables, the models of every year, Bilaga 1 from microdata and the Modellbilaga for 2022."""
    from pipeline.stages import stage_bilaga1, stage_modeller, stage_models, stage_register_tables

    root = tmp_path_factory.mktemp("small_area")
    source = register_project.root
    params = yaml.safe_load((source / "params.yaml").read_text(encoding="utf-8"))
    params["register"]["area"] = [AREA]
    (root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    shutil.copy2(source / "dvc.yaml", root / "dvc.yaml")
    (root / "notebooks").symlink_to(source / "notebooks")
    (root / "data" / "processed" / "register").mkdir(parents=True)
    (root / "data" / "raw").symlink_to(source / "data" / "raw")
    (root / "data" / "processed" / "published").symlink_to(source / "data" / "processed" / "published")
    for year in YEARS:
        (root / "data" / "processed" / "register" / str(year)).symlink_to(source / "data" / "processed" / "register" / str(year))
    (root / "reports").mkdir()
    project = Project(root)
    stage_register_tables(project)
    for year in YEARS:
        stage_models(project, year)
    stage_bilaga1(project, 2022, ["html"], use_quarto=False, source="microdata")
    stage_modeller(project, 2022, ["html"], use_quarto=False)
    return project


def _tables(project) -> dict[str, pd.DataFrame]:
    folder = project.processed / "register" / "tabeller"
    return {p.stem: pd.read_parquet(p) for p in folder.glob("*.parquet")}


def _attack_everything(project) -> Attack:
    attack = Attack()
    add_register_tables(attack, _tables(project))
    for year in YEARS:
        add_models(attack, project.processed / "models" / str(year))
    report = project.reports / "2022" / "bilaga1"
    add_report_cells(attack, report / "bilaga1_2022_tabeller.csv")
    add_report_text(attack, norm((report / "bilaga1_2022.html").read_text(encoding="utf-8")), 2022)
    return attack


def test_the_small_area_really_has_small_cells(small_area):
    t = _tables(small_area)
    assert t["participants"]["suppressed"].sum() >= 10
    assert t["diagnosis"]["suppressed"].sum() >= 5
    assert t["composition"]["suppressed"].sum() >= 10
    assert t["unit"]["unit"].iloc[0] == AREA
    assert (t["participants"].loc[t["participants"]["sex"] == "total", "count"].dropna() < 60).all()


def test_attacker_over_every_published_output_narrows_no_hidden_cell(small_area):
    protection = disclosure_settings(small_area.params).protection
    bounds = _attack_everything(small_area).bounds()
    assert len(bounds) >= 50  # hidden counts from every kind of table were attacked
    assert {label.split()[0] for label in bounds} >= {"Tabell", "Sammansättning"}
    narrow = {label: b for label, b in bounds.items() if b[1] - b[0] < protection - 1e-6}
    assert not narrow, narrow


def test_the_attacker_finds_a_leak_when_one_table_shows_a_cell_another_hides(small_area):
    """The negative control: show one hidden Tabell 1 (3) cell's margin and other sex in the table
    (as a control that forgot the margins would) and the attacker pins it. (The Modellbilaga's
    participants of an area are those living there, a subset, so it no longer gives the cell away.)"""
    tables = _tables(small_area)
    p = tables["participants"]
    row = p[p["table"].isin([1, 3]) & (p["sex"] != "total") & p["suppressed"]].iloc[0]
    benefit = "aktivitetsersattning" if row.table == 1 else "sjukpenning"
    d = pd.read_parquet(small_area.processed / "register" / str(row.year) / "deltagare.parquet")
    d = d[(d["forbund"] == AREA) & d["ongoing"] & (d["support_at_start"] == benefit) & d["person_id"].notna()]
    true = {sex: d.loc[d["sex"] == sex, "person_id"].nunique() for sex in ("kvinna", "man")}  # from the cleaned data
    true["total"] = d["person_id"].nunique()
    other = "man" if row.sex == "kvinna" else "kvinna"
    shown = p.copy()
    for sex in (other, "total"):
        mask = (shown["table"] == row.table) & (shown["year"] == row.year) & (shown["sex"] == sex)
        shown.loc[mask, "count"] = true[sex]
        shown.loc[mask, "suppressed"] = False
    tables["participants"] = shown
    attack = Attack()
    add_register_tables(attack, tables)
    low, high = attack.bounds()[f"Tabell {row.table} {row.year} {row.sex}"]
    assert high - low < 1e-6 and round(low) == true[row.sex]


def test_every_report_states_the_setting_and_pattern(small_area):
    sentence = "Sekretess: celler med färre än 5 personer döljs"
    b1 = norm((small_area.reports / "2022" / "bilaga1" / "bilaga1_2022.html").read_text(encoding="utf-8"))
    mb = norm((small_area.reports / "2022" / "modeller" / "modeller_2022.html").read_text(encoding="utf-8"))
    for html in (b1, mb):
        assert sentence in html and f"Område: {AREA}" in html
        assert "..".join(["", ""]) in html


def test_sentences_and_labels_use_only_shown_numbers(small_area):
    """The sum of Tabell 5 is said only when it is published; a hidden 2022 cell (women or men) is
    ".." in the chart's alt text."""
    tables = _tables(small_area)
    html = norm((small_area.reports / "2022" / "bilaga1" / "bilaga1_2022.html").read_text(encoding="utf-8"))
    i = tables["insatser"]
    total = i[(i["year"] == 2022) & (i["target_group"] == "total")]["count"].iloc[0]
    assert ("Sammanlagt var det" in html) == (not pd.isna(total))
    p = tables["participants"]
    checked = 0
    for table, (status, phrase) in {1: ("pågående", "aktivitetsersättning"), 2: ("nyregistrerade", "aktivitetsersättning"),
                                    3: ("pågående", "sjukpenning"), 4: ("nyregistrerade", "sjukpenning")}.items():
        alt = re.search(f'Stapeldiagram: {status} deltagare med {phrase} per år [^"]*', html).group(0)
        women, men = (p[(p["table"] == table) & (p["year"] == 2022) & (p["sex"] == sex)].iloc[0]
                      for sex in ("kvinna", "man"))
        said = re.search(r"2022: (\S+) kvinnor och (\S+) män", alt).groups()
        assert said == tuple(".." if row["suppressed"] else str(int(row["count"])) for row in (women, men)), alt
        checked += bool(women["suppressed"]) + bool(men["suppressed"])
    assert checked  # the area has a hidden 2022 cell to check


def test_model_estimates_on_few_people_are_hidden(small_area):
    """A shown odds ratio's variable has at least the threshold of participants and of
    non-participants in every category (counted here from the cleaned data)."""
    threshold = disclosure_settings(small_area.params).threshold
    shown_terms = 0
    for year in (2021, 2022):
        est = pd.read_parquet(small_area.processed / "models" / str(year) / "estimates.parquet")
        for benefit in models.BENEFITS:
            frame = models.analysis_frame(year, benefit, small_area.processed / "register", [AREA],
                                          geografi.load_geography(small_area.raw / "geografi"))
            logit = est[(est["model"] == "deltagande_logit") & (est["benefit"] == benefit) & est["estimate"].notna()]
            for term in logit["term"]:
                if term == "const":
                    continue
                variable = models.TERM_CELL[term][0]
                by = frame.groupby(variable)["participant"].agg(["sum", "count"])
                assert (by["sum"] >= threshold).all() and (by["count"] - by["sum"] >= threshold).all(), (year, term)
                shown_terms += 1
    assert shown_terms > 0


# --------------------------------------------------------------------------- settings
@pytest.mark.parametrize("value", [2, 0, -5, "5", 4.5, True, None])
def test_threshold_must_be_a_whole_number_of_at_least_three(value):
    with pytest.raises(ConfigError) as err:
        disclosure_settings({"disclosure": {"min_cell_count": value}})
    assert "disclosure.min_cell_count must be a whole number of at least 3" in str(err.value)
    assert "\n" not in str(err.value)


def test_protection_interval_is_checked_and_defaults_to_the_threshold():
    assert disclosure_settings({"disclosure": {"min_cell_count": 4}}) == Settings(4, 4)
    assert disclosure_settings({}) == Settings(5, 5)
    with pytest.raises(ConfigError, match="protection_interval must be a whole number of at least 1, got 0"):
        disclosure_settings({"disclosure": {"min_cell_count": 5, "protection_interval": 0}})
    assert "färre än 7 personer" in method_sentence(Settings(7, 3)) and "minst 3 personer" in method_sentence(Settings(7, 3))


def test_a_bad_threshold_stops_the_stage_with_one_line(register_project, tmp_path):
    import subprocess
    import sys

    root = tmp_path / "p"
    root.mkdir()
    params = yaml.safe_load((register_project.root / "params.yaml").read_text(encoding="utf-8"))
    params["disclosure"]["min_cell_count"] = 1
    (root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    (root / "data" / "processed").mkdir(parents=True)
    (root / "data" / "processed" / "register").symlink_to(register_project.processed / "register")
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "models", "--year", "2022"], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "disclosure.min_cell_count" in proc.stderr, proc.stderr


def test_an_unknown_forbund_in_the_area_is_a_clear_error_with_a_suggestion(register_project):
    geography = geografi.load_geography(register_project.raw / "geografi")
    with pytest.raises(ConfigError, match=r"^params.yaml register.area: 'Samordningsförbund 99x' is not a förbund of "
                                          r"forbund_kommuner.csv \(did you mean 'Samordningsförbund \d\d'\?\)$"):
        register_tables.build_register_tables([2022], register_project.processed / "register", Settings(), ["Samordningsförbund 99x"],
                              geography)
    with pytest.raises(ConfigError, match="register.area needs the förbund–kommun mapping"):
        register_tables.build_register_tables([2022], register_project.processed / "register", Settings(), ["Samordningsförbund 07"])


# --------------------------------------------------------------------------- random small areas
BENEFITS = ("aktivitetsersattning", "sjukpenning")


@st.composite
def small_areas(draw):
    """Cleaned frames of a random small area for two years: participants (some new), their
    benefit records, some non-participants with the benefit, and insatser with target groups."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    deltagare, formaner, insatser = {}, {}, {}
    for year in (2021, 2022):
        n = draw(st.integers(0, 30))
        benefit = rng.choice([*BENEFITS, "ingen"], n, p=[0.4, 0.4, 0.2])
        new = rng.random(n) < draw(st.floats(0, 1))
        people = pd.DataFrame({"person_id": [f"{year}-{k}" for k in range(n)], "support_at_start": benefit,
                               "ongoing": True, "new": new, "sex": rng.choice(["kvinna", "man"], n), "forbund": "F"})
        deltagare[year] = people
        takers = people[people["support_at_start"] != "ingen"]
        others = draw(st.integers(0, 20))
        f = pd.DataFrame({
            "person_id": list(takers["person_id"]) + [f"o{year}-{k}" for k in range(others)],
            "benefit": list(takers["support_at_start"]) + list(rng.choice(BENEFITS, others)),
            "sex": list(takers["sex"]) + list(rng.choice(["kvinna", "man"], others)),
        })
        m = len(f)
        f["birth_year"] = year - rng.integers(19, 65, m)
        f["diagnosis_chapter"] = np.where(rng.random(m) < draw(st.floats(0, 1)), "F00-F99", "M00-M99")
        f["benefit_start"] = pd.to_datetime([f"{year - int(k)}-06-01" for k in rng.integers(0, 5, m)])
        f["work_or_study_12m"] = pd.array(rng.random(m) < 0.4, dtype="boolean")
        formaner[year] = f
        k = draw(st.integers(0, 15))
        insatser[year] = pd.DataFrame({"forbund": "F", **{flag: pd.array(rng.random(k) < 0.4, dtype="boolean")
                                                          for flag in register_tables.TARGET_FLAGS.values()}})
    return deltagare, insatser, formaner


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(area=small_areas(), threshold=st.integers(3, 6))
def test_random_small_areas_resist_the_attacker(area, threshold):
    deltagare, insatser, formaner = area
    tables = register_tables.register_tables_from_frames(deltagare, insatser, formaner, Settings(threshold, threshold))
    attack = Attack()
    add_register_tables(attack, tables)
    for label, (low, high) in attack.bounds().items():
        assert high - low >= threshold - 1e-6, (label, low, high)
    shown = pd.concat([tables["participants"]["count"],
                       tables["composition"]["n_participants"], tables["composition"]["n_population"]]).dropna()
    assert (shown >= threshold).all()  # every small count of people is hidden
    # insatser are activities, not people (docs/assumptions_caveats.md): never hidden for being small
    assert not tables["insatser"]["suppressed"].any()


def test_published_aggregates_pass_unchanged(built_2022):
    """report.source: published: the public tables are shown as published, nothing hidden."""
    cells = pd.read_csv(built_2022 / "bilaga1_2022_tabeller.csv")
    assert list(cells.columns) == ["table", "row", "column", "value"]
    html = norm((built_2022 / "bilaga1_2022.html").read_text(encoding="utf-8"))
    assert "Sekretess:" not in html and ">..<" not in html
