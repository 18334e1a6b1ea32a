"""Models: the demo is drawn from known models, and the models recover them.

The register demo writes its true parameters to data/raw/register/<year>/sanning.json: the
odds ratios of taking part, and an outcome model with a true effect of taking part that is
confounded by psychiatric diagnosis (which raises participation and lowers the outcome).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.derive import models

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fitted(register_project):
    from pipeline.stages import stage_models

    out = stage_models(register_project, 2022)
    truth = json.loads((register_project.raw / "register" / "2022" / "sanning.json").read_text())["models"]
    frames = {b: models.analysis_frame(2022, b, register_project.processed / "register") for b in models.BENEFITS}
    return out, truth, frames


N_TRUE_ODDS_RATIOS = 11  # 5 for aktivitetsersättning, 6 for sjukpenning


@pytest.mark.parametrize("benefit", models.BENEFITS)
def test_participation_odds_ratios_are_recovered(fitted, benefit):
    """Every true odds ratio lies in its confidence interval. With 11 intervals checked at once,
    each is a 1 − 0.05/11 interval (Bonferroni), so that a correct model fails this test in at
    most 5 % of demo seeds; the report itself shows ordinary 95 % intervals."""
    out, truth, frames = fitted
    est = pd.read_parquet(out / "estimates.parquet")
    assert (est[est["model"] == "deltagande_logit"]["term"] != "const").sum() == N_TRUE_ODDS_RATIOS
    refit = models.fit_participation(frames[benefit], year=2022, benefit=benefit, alpha=0.05 / N_TRUE_ODDS_RATIOS)
    refit = refit.set_index("term")
    same = est[(est["model"] == "deltagande_logit") & (est["benefit"] == benefit)].set_index("term")
    assert np.allclose(refit["estimate"], same["estimate"])  # the stage's estimates, wider intervals
    true = truth[benefit]["participation_odds_ratios"]
    assert set(true) == set(refit.index) - {"const"}
    for term, value in true.items():
        assert refit.loc[term, "ci_low"] <= value <= refit.loc[term, "ci_high"], (term, value, refit.loc[term].to_dict())


@pytest.mark.parametrize("benefit", models.BENEFITS)
def test_weighting_recovers_the_true_effect_and_balances(fitted, benefit):
    out, truth, frames = fitted
    est = pd.read_parquet(out / "estimates.parquet").set_index(["benefit", "model"])
    weighted = est.loc[(benefit, "utfall_ps_viktad_riskskillnad")]
    att = truth[benefit]["outcome"]["att_risk_difference"]
    assert weighted["ci_low"] <= att <= weighted["ci_high"]
    balance = pd.read_parquet(out / "balance.parquet")
    balance = balance[balance["benefit"] == benefit]
    assert (balance["smd_after"].abs() < 0.1).all()
    assert (balance["smd_before"].abs() > 0.1).any()  # there was something to balance


def test_naive_comparison_is_biased_where_the_demo_confounds(fitted):
    out, truth, _ = fitted
    est = pd.read_parquet(out / "estimates.parquet").set_index(["benefit", "model"])
    naive = est.loc[("sjukpenning", "utfall_naiv_riskskillnad")]
    att = truth["sjukpenning"]["outcome"]["att_risk_difference"]
    # Participants more often have a psychiatric diagnosis, which lowers the outcome: naive < truth.
    assert naive["ci_high"] < att


def test_outputs_are_tidy_and_refitting_with_other_covariates_works(fitted):
    out, _, frames = fitted
    est = pd.read_parquet(out / "estimates.parquet")
    assert list(est.columns) == models.TIDY_COLUMNS and (est["year"] == 2022).all()
    assert {"deltagande_logit", "utfall_naiv_riskskillnad", "utfall_ps_viktad_riskskillnad", "trend_poisson"} <= set(est["model"])
    refit = models.fit_participation(frames["sjukpenning"], ["psykiatrisk_diagnos", "man"], year=2022, benefit="sjukpenning")
    assert refit["term"].tolist() == ["const", "psykiatrisk_diagnos", "man"]
    assert refit["n"].iloc[0] == len(frames["sjukpenning"])


def test_trend_recovers_a_known_rate_ratio():
    rng = np.random.default_rng(7)
    years = np.arange(2010, 2023)
    counts = pd.Series(rng.poisson(500 * 1.08 ** (years - 2010)), index=years)
    result = models.trend(counts, "test").iloc[0]
    assert result["ci_low"] <= 1.08 <= result["ci_high"] and result["method"] in ("Poisson", "kvasi-Poisson")


def test_standardised_rate_by_hand():
    frame = pd.DataFrame({"sex": ["kvinna"] * 4 + ["man"] * 4, "age_group": ["a", "a", "b", "b"] * 2,
                          "participant": [1, 0, 0, 0, 1, 1, 0, 0]})
    standard = pd.DataFrame({"sex": ["kvinna", "kvinna", "man", "man"], "age_group": ["a", "b", "a", "b"],
                             "n": [10, 30, 10, 50]})
    # rates: woman a 0.5, woman b 0, man a 1.0, man b 0; weights 0.1, 0.3, 0.1, 0.5 → 0.15
    assert models.standardised_rates(frame, standard)["standardised"] == pytest.approx(15.0)
    assert models.standardised_rates(frame, standard)["crude"] == pytest.approx(37.5)


def test_composition_hides_small_counts():
    frame = pd.DataFrame({"sex": ["kvinna"] * 40 + ["man"] * 40, "age_group": "a", "psychiatric": False,
                          "time_group": "0", "participant": [1.0] * 3 + [0.0] * 37 + [1.0] * 20 + [0.0] * 20})
    c = models.composition(frame, 5)
    women = c[(c["variable"] == "sex") & (c["category"] == "kvinna")].iloc[0]
    men = c[(c["variable"] == "sex") & (c["category"] == "man")].iloc[0]
    assert pd.isna(women["n_participants"]) and pd.isna(men["n_participants"])  # 3 hidden, and its partner
    assert women["n_population"] == 40 and women["suppressed"]


def test_model_appendix_renders(register_project, fitted):
    from pipeline.core.fmt import SYNTHETIC
    from pipeline.stages import stage_modeller

    folder = stage_modeller(register_project, 2022, ["html"], use_quarto=False)
    html = (folder / "modeller_2022.html").read_text(encoding="utf-8")
    assert SYNTHETIC in html and "Logistisk regression av deltagande" in html and "Begränsningar" in html
    assert html.count('alt="Skogsdiagram') == 2
    from ..conftest import html_reader_text, leftover_identifiers

    assert leftover_identifiers(html_reader_text(html)) == []


def test_run_year_refuses_a_standard_year_pseudonymised_with_another_key(tmp_path):
    from pipeline.core.errors import ConfigError, InputError
    from pipeline.core.vocabulary import STANDARD_YEAR

    year = STANDARD_YEAR - 3
    for y, fingerprint in ((year, "aaaa1111"), (STANDARD_YEAR, "bbbb2222")):
        (tmp_path / str(y)).mkdir()
        (tmp_path / str(y) / "nyckel.json").write_text(json.dumps({"year": y, "key_fingerprint": fingerprint}))
    with pytest.raises(ConfigError, match=f"different keys.*{year}: aaaa1111.*{STANDARD_YEAR}: bbbb2222"):
        models.run_year(year, tmp_path, tmp_path / "tabeller")
    (tmp_path / str(STANDARD_YEAR) / "nyckel.json").unlink()  # output older than key fingerprints
    with pytest.raises(InputError, match="nyckel.json: missing"):
        models.run_year(year, tmp_path, tmp_path / "tabeller")


def test_modellbilaga_marks_published_counts_and_labels_age_groups_by_what_they_hold(tmp_path):
    """Issue 21: the banner matches what the page holds (counts equal to published figures beside
    synthetic estimates), the first table names its source, and the open-ended age groups are
    labelled by what they hold (people aged 30–36 are not "25–29 år")."""
    from pipeline.reports.modellbilaga import Modellbilaga, _category

    rates = pd.DataFrame([{"benefit": "aktivitetsersattning", "n_population": 36552, "n_participants": 1581,
                           "crude": 4.3, "crude_low": 4.1, "crude_high": 4.5, "standardised": 4.2,
                           "standardised_low": 4.0, "standardised_high": 4.4}])
    page = Modellbilaga(2022, {"rates": rates}, tmp_path, synthetic=True)
    text = page.rates_markdown()
    assert "Källa: antalen är räknade ur syntetiska registerdata som är byggda för att ge de publicerade antalen" in text
    assert "de antalen är alltså verkliga publicerade uppgifter, allt annat är syntetiskt" in page.banner_markdown()
    assert "Källa:" not in Modellbilaga(2022, {"rates": rates}, tmp_path, synthetic=False).rates_markdown()
    assert [_category(c) for c in ("19-24", "25-29", "20-29", "30-49", "50-64")] == [
        "24 år eller yngre", "25 år eller äldre", "29 år eller yngre", "30–49 år", "50 år eller äldre"]
    ages = models.age_group("aktivitetsersattning", np.array([18, 24, 25, 36]))
    assert list(ages) == ["19-24", "19-24", "25-29", "25-29"]  # open ends: 36 is in the last group
