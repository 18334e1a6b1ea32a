"""The demo generator draws data from its own code: it shares no estimator code with pipeline.derive.

Its grouping and design columns are written apart from the models' (pipeline.derive.models), so a
bug in either shows up as a disagreement here instead of being "recovered" by the model tests.
"""

import numpy as np
import pytest

from pipeline.core.vocabulary import BENEFITS
from pipeline.demo import register_demo as demo
from pipeline.derive import models


@pytest.mark.parametrize("benefit", BENEFITS)
def test_demo_and_models_group_people_the_same_way(benefit):
    rng = np.random.default_rng(7)
    age, years = rng.integers(5, 90, 5000), rng.integers(0, 12, 5000)
    sex = rng.choice(["man", "kvinna"], 5000)
    psychiatric = rng.random(5000) < 0.4
    assert (demo.age_group(benefit, age) == models.age_group(benefit, age)).all()
    assert (demo.time_group(years) == models.time_group(years)).all()
    ours = demo.design_columns(benefit, sex, demo.age_group(benefit, age), psychiatric, demo.time_group(years))
    theirs = models.design_columns(benefit, sex, models.age_group(benefit, age), psychiatric,
                                   models.time_group(years))
    assert list(ours) == list(theirs)
    for term in ours:
        np.testing.assert_array_equal(ours[term], theirs[term])


def test_hand_checked_groups():
    # worked out by hand from the age groups 20-29, 30-49, 50-64 (open ended)
    assert list(demo.age_group("sjukpenning", [18, 20, 29, 30, 49, 50, 70])) == \
        ["20-29", "20-29", "20-29", "30-49", "30-49", "50-64", "50-64"]
    assert list(demo.time_group([0, 1, 2, 3, 9])) == ["0", "1-2", "1-2", "3+", "3+"]


def test_the_indicator_demo_shares_no_code_with_the_cleaning_or_the_estimators():
    """pipeline/demo/indikator_demo.py reads enkater.yaml with yaml itself and imports only core modules:
    a mistake in the cleaning or the indicator estimates cannot be reproduced by the data they are tested on."""
    import ast
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "pipeline" / "demo" / "indikator_demo.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            imported.add(node.module or "")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipeline"):
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names if a.name.startswith("pipeline")}
    assert imported and all(m.startswith("core") or m.startswith("pipeline.core") or m.startswith("..core")
                            for m in imported), imported
