"""Backtest: every published figure of the 2016 enkät is reproduced from the demo export.

Ground truth is ``ground_truth/000_bilaga3_uppgifter.csv``: for each figure the document
states, the seed line, a verbatim fragment of it (checked against ../shared/seeds), and the
value as printed. The values are computed here from the cleaned demo export.
"""

from __future__ import annotations

import csv

import pytest

from pipeline.sources.enkat import ALL, choice_counts, clean, load_survey, response_rates, scale_distribution
from pipeline.core.fmt import round_half_up

from ..conftest import GROUND_TRUTH, REPO, SHARED_SEEDS

TRUTH = list(csv.DictReader((GROUND_TRUTH / "000_bilaga3_uppgifter.csv").open(encoding="utf-8")))
SEED = SHARED_SEEDS / "000_c59416c08b1b6909.txt"


@pytest.fixture(scope="module")
def survey():
    return load_survey(REPO / "data" / "raw" / "enkat" / "2016")


@pytest.fixture(scope="module")
def data(survey):
    return clean(survey)


def _share(survey, data, question: str, labels: list[str], group: str = ALL) -> float:
    dist = scale_distribution(survey, data, question)
    return float(dist[(dist["group"] == group) & dist["label"].isin(labels)]["pct"].sum())


@pytest.mark.parametrize("row", TRUTH, ids=[r["id"] for r in TRUTH])
def test_published_figure_is_reproduced(row, survey, data):
    check, q, labels = row["check"], row["question"], [x for x in row["labels"].split("|") if x]
    if check == "answered|invited|rate":
        rates = response_rates(survey, data).set_index("group").loc[row["group"]]
        answered, invited, rate = (int(x) for x in row["expected"].split("|"))
        assert (rates["answered"], rates["invited"], int(round_half_up(rates["rate_pct"]))) == (answered, invited, rate)
    elif check == "share":
        assert int(round_half_up(_share(survey, data, q, labels))) == int(row["expected"])
    elif check == "share_drygt":  # "drygt 80 procent": a little over 80
        assert int(row["expected"]) < _share(survey, data, q, labels) < int(row["expected"]) + 5
    elif check == "share_tenths":  # "åtta av tio"
        assert int(round_half_up(_share(survey, data, q, labels) / 10)) == int(row["expected"])
    elif check == "greater":
        first, second = row["group"].split(">")
        assert _share(survey, data, q, labels, first) > _share(survey, data, q, labels, second)
    elif check in ("choice_n", "choice_count", "rank"):
        counts = choice_counts(survey, data, q)
        everyone = counts[counts["group"] == ALL]
        if check == "choice_n":
            assert int(everyone["n"].iloc[0]) == int(row["expected"])
        elif check == "choice_count":
            assert int(everyone.loc[everyone["option"] == labels[0], "count"].iloc[0]) == int(row["expected"])
        else:
            assert list(everyone["option"])[: len(labels)] == labels
    else:  # pragma: no cover - a typo in the ground truth file
        pytest.fail(f"unknown check {check!r}")


def test_quotes_are_verbatim_in_the_seed():
    if not SEED.is_file():
        pytest.skip("../shared/seeds is not beside this checkout")
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for row in TRUTH:
        assert row["quote"] in lines[int(row["seed_line"]) - 1], row["id"]
