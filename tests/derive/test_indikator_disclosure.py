"""The indicator figures through the linked disclosure control, attacked (tests/attacker.py) over
everything published at once: the tables the reports show, written by pipeline/derive/indikator.py."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.derive import indikator
from pipeline.derive.disclosure import Settings
from tests.attacker import Attack, add_indikator_tables
from tests.indikator_fixture import answers, respondents, survey


def _attack(tmp_path, svar, settings: Settings):
    tables = indikator.indikator_tables_from_frames(svar, respondents(svar), settings)
    indikator.save_indikator_tables(tables, tmp_path)
    attack = Attack()
    add_indikator_tables(attack, tmp_path)
    return tables, attack.bounds(enough=settings.protection)


@pytest.mark.parametrize("seed,threshold", [(1, 5), (2, 3), (3, 5)])
def test_the_attacker_narrows_no_hidden_number_of_answers(tmp_path, seed, threshold):
    svar, _ = survey(seed=seed, years=range(2019, 2022), forbund=8)
    settings = Settings(threshold, threshold)
    tables, bounds = _attack(tmp_path, svar, settings)
    assert bounds, "the fixture has small groups: something must be hidden"
    narrow = {label: b for label, b in bounds.items() if b[1] - b[0] < settings.protection - 1e-6}
    assert not narrow, f"hidden counts the attacker narrows: {list(narrow.items())[:3]}"
    a = tables["andelar"]
    assert not a.loc[a["n"].notna(), "n"].lt(threshold).any(), "a shown number of answers below the threshold"
    assert a.loc[a["suppressed"], ["andel", "positiva", "ci_low", "ci_high"]].isna().all().all()


def test_the_attacker_finds_the_leak_when_only_the_small_forbund_is_hidden(tmp_path):
    """Control: a publication that hid only the small förbund (no complementary cell) is caught."""
    svar = answers([(2020, "styrelse", f, "I01", "I01.1", n, k)
                    for f, (n, k) in {"A": (40, 30), "B": (3, 3), "C": (50, 25)}.items()])
    counts = indikator.count(svar)
    frame = pd.concat([counts, counts.groupby(indikator.LEVEL_KEYS)[["n", "k"]].sum().reset_index()
                       .assign(forbund=indikator.NATIONAL)], ignore_index=True)
    small = frame["n"] < 5
    leaky = frame[indikator.LEVEL_KEYS + ["forbund"]].assign(
        n=frame["n"].astype("Int64").mask(small), positiva=frame["k"].astype("Int64").mask(small),
        andel=(100 * frame["k"] / frame["n"]).mask(small))
    leaky.to_parquet(tmp_path / "andelar.parquet")
    attack = Attack()
    add_indikator_tables(attack, tmp_path)
    bounds = attack.bounds()
    assert any(hi - lo < 1e-6 for lo, hi in bounds.values()), "the attacker should pin B's answers"
