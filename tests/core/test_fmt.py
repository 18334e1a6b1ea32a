from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core import fmt

NB = "\u00a0"


@pytest.mark.parametrize(
    "value, decimals, expected",
    [
        (1581, 0, f"1{NB}581"),
        (617582, 0, f"617{NB}582"),
        (36552.0, 0, f"36{NB}552"),
        (0.725, 1, "0,7"),
        (19.477, 1, "19,5"),
        (2.5, 0, "3"),  # half up, not to even
        (0.5, 0, "1"),
        (-55, 0, "\u221255"),
        (1234567.891, 2, f"1{NB}234{NB}567,89"),
        (None, 0, "\u2013"),
        (float("nan"), 0, "\u2013"),
        (pd.NA, 0, "\u2013"),
    ],
)
def test_number(value, decimals, expected):
    assert fmt.number(value, decimals) == expected


def test_percent_and_share():
    assert fmt.percent(54) == f"54{NB}%"
    assert fmt.share(1581, 36552, 1) == f"4,3{NB}%"
    assert fmt.share(1, 0) == "\u2013"
    assert fmt.percent(6.45, 1, sign=True) == f"+6,5{NB}%"
    assert fmt.percent(-0.04, 1) == f"0,0{NB}%"  # rounds to zero: no minus sign on zero


def test_change_words():
    assert fmt.change_words(96, "person", "personer") == "en ökning med 96 personer"
    assert fmt.change_words(-1, "insats", "insatser") == "en minskning med 1 insats"
    assert fmt.change_words(0, "insats", "insatser") == "oförändrat"


def _parse_swedish(text: str) -> Decimal:
    return Decimal(text.replace(NB, "").replace(",", ".").replace("\u2212", "-"))


@given(st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False), st.integers(0, 3))
def test_number_round_trips_to_rounded_value(value, decimals):
    text = fmt.number(float(value), decimals)
    assert " " not in text and "." not in text  # only no-break spaces and decimal comma
    expected = fmt.round_half_up(float(value), decimals)
    assert _parse_swedish(text) == expected
