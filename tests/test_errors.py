"""A year outside the data, and other bad input, give one clear error and a non-zero exit."""

import pytest

from pipeline import cli
from pipeline.reports import render
from pipeline.reports.bilaga1 import Bilaga1
from pipeline.core.errors import InputError, YearNotAvailableError
from pipeline.sources.published import load_published


def test_bad_year_in_python(published_project):
    with pytest.raises(YearNotAvailableError, match=r"year 2015 is not in the published SUS tables.*2016–2022"):
        Bilaga1.from_parameters(2015, {"published": published_project.published_processed})


def test_bad_year_on_the_command_line(published_project, monkeypatch, capsys):
    monkeypatch.setenv("FINSAM_ROOT", str(published_project.root))
    assert cli.main(["stage", "bilaga1", "--year", "2015"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "finsam: error: year '2015' is not in the params.yaml years: available years are 2016–2022"
    assert not (published_project.reports / "2015").exists()


def test_not_a_year_on_the_command_line(published_project, monkeypatch, capsys):
    monkeypatch.setenv("FINSAM_ROOT", str(published_project.root))
    assert cli.main(["stage", "bilaga1", "--year", "tjugo"]) == 2
    assert "year 'tjugo' is not in the params.yaml years" in capsys.readouterr().err


@pytest.mark.slow
def test_bad_year_inside_the_notebook(published_project, tmp_path):
    """Run straight through papermill (as a researcher might): the notebook stops with the same error."""
    with pytest.raises(render.RenderError) as err:
        render.execute_notebook(
            published_project.notebooks / "bilaga1.ipynb", tmp_path / "out.ipynb",
            {"year": 2031, "inputs": {"published": str(published_project.published_processed)}}, tmp_path,
        )
    message = str(err.value)
    assert "YearNotAvailableError" in message and "2031" in message and "2016–2022" in message
    assert "\n" not in message


def test_bad_transcription_names_file_line_and_column(tmp_project):
    path = tmp_project.published_raw / "b1_deltagare.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace("aktivitetsersattning", "sjukpenning")  # a Tabell 1 row with the wrong benefit
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_published(tmp_project.published_raw)
    assert (err.value.line, err.value.column) == (5, "benefit")


def test_failed_stage_leaves_previous_output(tmp_project, monkeypatch, capsys):
    from pipeline.stages import stage_published

    stage_published(tmp_project)
    before = (tmp_project.published_processed / "participants.csv").read_text()
    (tmp_project.published_raw / "b1_insatser.csv").write_text("table;year\n5;2016\n", encoding="utf-8")
    monkeypatch.setenv("FINSAM_ROOT", str(tmp_project.root))
    assert cli.main(["stage", "published"]) == 2
    assert "b1_insatser.csv, line 1: the header is one field containing ';'" in capsys.readouterr().err
    assert (tmp_project.published_processed / "participants.csv").read_text() == before
