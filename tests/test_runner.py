import sys
import textwrap

import pytest

from pipeline.config import load_params
from pipeline.errors import ConfigError
from pipeline.runner import build, levels, load_stages

from .conftest import REPO


def test_project_dvc_yaml_expands_to_every_year():
    params = load_params(REPO / "params.yaml")
    stages = load_stages(REPO, params)
    names = [s.name for s in stages]
    register = [f"register@{y}" for y in params["register"]["years"]]
    models = [f"models@{y}" for y in params["register"]["years"]]
    modeller = [f"modeller@{y}" for y in params["register"]["years"]]
    assert names == (["published", "register_demo"] + register + ["register_tables"] + models + modeller
                     + [f"bilaga1@{y}" for y in params["years"]] + ["enkat@2016", "bilaga3@2016"]
                     + ["malgrupp", "bilaga4", "index"])
    b22 = stages[names.index("bilaga1@2022")]
    assert b22.cmd == "finsam stage bilaga1 --year 2022"
    assert b22.outs == ["reports/2022/bilaga1"]
    b4 = stages[names.index("bilaga4")]
    assert b4.outs == [f"reports/{params['bilaga4']['year']}/bilaga4"]  # ${bilaga4.year} from params.yaml
    order = [[s.name for s in group] for group in levels(stages)]
    assert order[0] == ["published", "register_demo", "enkat@2016", "malgrupp", "index"]
    assert order[1] == register + ["bilaga3@2016", "bilaga4"]
    assert order[2] == ["register_tables"]
    assert order[3] == models + [f"bilaga1@{y}" for y in params["years"]]
    assert order[4] == modeller


def _toy(tmp_path):
    (tmp_path / "params.yaml").write_text("years: [1, 2]\nscale: 3\n")
    (tmp_path / "in.txt").write_text("a")
    py = sys.executable
    (tmp_path / "dvc.yaml").write_text(textwrap.dedent(f"""
        stages:
          first:
            cmd: {py} -c "open('mid.txt','w').write(open('in.txt').read()*${{scale}})"
            deps: [in.txt]
            params: [scale]
            outs: [mid.txt]
          second:
            foreach: ${{years}}
            do:
              cmd: {py} -c "open('out${{item}}.txt','w').write(open('mid.txt').read()+'${{item}}')"
              deps: [mid.txt]
              outs: ["out${{item}}.txt"]
        """))
    return load_params(tmp_path / "params.yaml")


def test_runs_only_what_changed(tmp_path):
    params = _toy(tmp_path)
    first = build(tmp_path, params, jobs=2)
    assert [s for _, s, _ in first] == ["ran"] * 3
    assert (tmp_path / "out2.txt").read_text() == "aaa2"
    again = build(tmp_path, params)
    assert [s for _, s, _ in again] == ["up to date"] * 3
    (tmp_path / "in.txt").write_text("b")
    changed = {n: s for n, s, _ in build(tmp_path, params, dry_run=True)}
    assert changed == {"first": "would run", "second@1": "up to date", "second@2": "up to date"}
    build(tmp_path, params)
    assert (tmp_path / "out1.txt").read_text() == "bbb1"
    (tmp_path / "out2.txt").unlink()
    assert {n: s for n, s, _ in build(tmp_path, params)} == {"first": "up to date", "second@1": "up to date",
                                                            "second@2": "ran"}


def test_param_change_reruns(tmp_path):
    params = _toy(tmp_path)
    build(tmp_path, params)
    params = params | {"scale": 2}
    assert dict((n, s) for n, s, _ in build(tmp_path, params))["first"] == "ran"
    assert (tmp_path / "mid.txt").read_text() == "aa"


def test_undefined_variable_is_a_clear_error(tmp_path):
    (tmp_path / "dvc.yaml").write_text("stages:\n  s:\n    cmd: echo ${nope}\n")
    with pytest.raises(ConfigError, match=r"\$\{nope\} is not defined in params.yaml"):
        load_stages(tmp_path, {"years": [1]})
