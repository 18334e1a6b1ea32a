"""The corpus of bad inputs and faults (tests/corpus/generate.py): each gives its expected error or
quarantine rows, rows in = kept + quarantined, and no personal data in any message or output."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
import yaml

from pipeline.sources.enkat import clean, load_survey
from pipeline.core.errors import InputError, PipelineError
from pipeline.sources.register import clean_year

from .conftest import REPO, TEST_KEY
from .corpus.generate import LAST, YEAR, Case, Error, Quarantine, cases, make_base

CASES = cases()


def test_the_corpus_is_large_and_every_case_has_an_outcome():
    assert len(CASES) >= 60 and len({c.name for c in CASES}) == len(CASES)
    assert all(isinstance(c.expect, (Error, Quarantine)) for c in CASES)


@pytest.fixture(scope="session")
def base(tmp_path_factory):
    folder = make_base(tmp_path_factory.mktemp("corpus"), REPO / "data" / "raw" / "published",
                       REPO / "data" / "raw" / "register" / "exports.yaml", TEST_KEY)
    result = clean_year(folder, YEAR, key=TEST_KEY)
    assert all(r.quarantine.empty for r in result.values())  # the base is clean
    return folder


def _last_line(path) -> int:
    data = path.read_bytes()
    return data.rstrip(b"\n").count(b"\n") + 1


def _cells(result) -> str:
    frames = [r.kept for r in result.values()] + [r.quarantine for r in result.values()]
    return "\n".join("\n".join(map(str, f[c].tolist())) for f in frames for c in f.columns)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(base, tmp_path, case: Case):
    folder = tmp_path / "register"
    shutil.copytree(base, folder)
    shutil.copytree(base.parent / "geografi", folder.parent / "geografi")  # exports.yaml's code lists
    case.mutate(folder)
    if isinstance(case.expect, Error):
        with pytest.raises(PipelineError) as err:
            clean_year(folder, YEAR, key=TEST_KEY)
        message = str(err.value)
        assert re.search(case.expect.words, message), message
        if case.expect.line is not None:
            assert isinstance(err.value, InputError) and err.value.line == case.expect.line, message
            assert f"line {case.expect.line}" in message
        if case.expect.column is not None:
            assert err.value.column == case.expect.column, message
        assert "Traceback" not in message and all(s not in message for s in case.secret), message
        return
    result = clean_year(folder, YEAR, key=TEST_KEY)
    found = set()
    for kind, r in result.items():
        assert r.rows_in == len(r.kept) + len(r.quarantine)  # nothing lost
        found |= {(kind, int(line), reason) for line, reason in zip(r.quarantine["line"], r.quarantine["reason"])}
    expected = set()
    for kind, line, reason in case.expect.rows:
        path = folder / str(YEAR) / next(p.name for p in (folder / str(YEAR)).iterdir() if p.name.startswith(
            {"deltagare": "sus_deltagare", "insatser": "sus_insatser", "formaner": "formaner"}[kind]))
        expected.add((kind, _last_line(path) if line == LAST else line, reason))
    assert found == expected
    cells = _cells(result)
    assert all(s not in cells for s in case.secret)  # personal data neither kept nor shown in the quarantine


# --------------------------------------------------------------------------- the enkät
SURVEY_DIR = REPO / "data" / "raw" / "enkat" / "2016"


def _survey_rows():
    text = (SURVEY_DIR / "export.csv").read_text(encoding="utf-8")
    return text.split("\n")


def _rewrite_field(line: str, change) -> str:
    """``line`` (one CSV record) with ``change`` applied to its fields, written back as CSV would."""
    import csv
    import io

    fields = change(next(csv.reader([line])))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)  # "\n" so that a field holding one is quoted
    return out.getvalue()[:-1]


def _line_break_in(fields: list[str], words: str) -> list[str]:
    """The field holding ``words`` gets a line break inside it (so it must be quoted)."""
    n = next(i for i, f in enumerate(fields) if words in f)
    fields[n] = fields[n].replace(words, words.replace(" ", "\n", 1), 1)
    return fields


def _first_record_with_line_break(lines: list[str], words: str) -> list[str]:
    """``lines`` with the first data record rewritten so that the field holding ``words`` has a line
    break in it: the record then takes one physical line more."""
    import csv

    reader = csv.reader([line + "\n" for line in lines])
    next(reader)
    start = reader.line_num
    record = next(reader)
    end = reader.line_num
    new = _rewrite_field(",".join(["x"] * len(record)), lambda _: _line_break_in(list(record), words))
    return lines[:start] + new.split("\n") + lines[end:]


def _replace_in_line(lines, n, old, new):
    assert old in lines[n], (n, old)
    lines[n] = lines[n].replace(old, new, 1)
    return lines


SURVEY_CASES = [
    ("personnummer_as_respondent_id", lambda ls: _replace_in_line(ls, 3, "R0003", "19640315-2386"),
     r"personal data .*not shown", 4, "Respondent-ID", "19640315-2386"),
    ("email_as_role", lambda ls: _replace_in_line(ls, 1, "Förbundschef/motsvarande", "chef@forbund.se"),
     r"personal data", 2, "Vilken roll har du i samordningsförbundet?", "chef@forbund.se"),
    ("name_in_single_choice", lambda ls: _replace_in_line(ls, 7, "Mer än 12 månader", "Karin Lindqvist")
     if "Mer än 12 månader" in ls[7] else _replace_in_line(ls, 7, "Upp till 12 månader", "Karin Lindqvist"),
     r"personal data", 8, None, "Karin Lindqvist"),
    ("respondent_id_breaks_pattern", lambda ls: _replace_in_line(ls, 9, "R0009", "R-9"),
     r"does not match survey.id_pattern", 10, "Respondent-ID", None),
    ("unknown_label_after_blank_lines", lambda ls: ls[:2] + ["", ""] + _replace_in_line(ls[2:], 10, "Ganska viktigt",
                                                                                       "Ganska bra"),
     r"unknown label 'Ganska bra'", 15, None, None),
    ("unknown_label_after_a_quoted_line_break", lambda ls: _first_record_with_line_break(_replace_in_line(
        ls, 12, "Ganska viktigt", "Ganska bra"), "Politikernas kunskap"),  # line 13, one line lower after the break
     r"unknown label 'Ganska bra'", 14, None, None),
    ("repeated_header", lambda ls: ls[:20] + [ls[0]] + ls[20:], r"header row is repeated", 21, None, None),
    ("wrong_field_count", lambda ls: ls[:12] + [ls[12] + ",extra"] + ls[13:], r"expected \d+ fields", 13, None,
     None),
    ("header_only", lambda ls: ls[:1] + [""], r"header but no answers", 1, None, None),
    ("lone_cr", lambda ls: ["\r".join(ls[:4])] + ls[4:], r"lone CR", 1, None, None),
    ("over_long_label", lambda ls: _replace_in_line(ls, 4, "R0004", "R0004" + "x" * 600), r"more than the 500 allowed",
     5, "Respondent-ID", None),
]


@pytest.mark.parametrize("name, change, words, line, column, secret", SURVEY_CASES, ids=[c[0] for c in SURVEY_CASES])
def test_bad_survey_export(tmp_path, name, change, words, line, column, secret):
    target = tmp_path / "2016"
    shutil.copytree(SURVEY_DIR, target)
    (target / "export.csv").write_text("\n".join(change(_survey_rows())), encoding="utf-8", newline="")
    with pytest.raises(InputError) as err:
        clean(load_survey(target))
    message = str(err.value)
    assert re.search(words, message) and err.value.line == line, message
    if column:
        assert err.value.column == column, message
    if secret:
        assert secret not in message


def test_obfuscated_contact_details_and_names_in_free_text_are_removed_and_counted(tmp_path):
    target = tmp_path / "2016"
    shutil.copytree(SURVEY_DIR, target)
    planted = ["karin.lund (at) exempel (dot) se", "per.ek at kommun punkt se", "070 123 45 67", "+46 (0)8-123 456 78",
               "Lars-Erik Johansson", "Maria"]
    lines = _survey_rows()
    comment = "Hör av dig till " + ", ".join(planted) + " eller Ahmed."
    survey = load_survey(SURVEY_DIR)
    free_text = [q.header for q in survey.questions if q.kind == "text"][-1]  # the comment goes in a free-text column
    column = next(__import__("csv").reader([lines[0]])).index(free_text)
    lines[6] = _rewrite_field(lines[6], lambda f: f[:column] + [comment] + f[column + 1:])
    (target / "export.csv").write_text("\n".join(lines), encoding="utf-8")
    data = clean(load_survey(target))
    joined = "\n".join(data.texts["text"])
    assert all(p not in joined for p in planted) and "Ahmed" not in joined
    log = dict(zip(data.log["step"], data.log["count"]))
    assert log["borttagna ur fritext: namn"] >= 3 and log["borttagna ur fritext: e-post"] >= 2


# --------------------------------------------------------------------------- settings
PARAM_CASES = [
    (lambda p: p["register"].update(population_scale=0), "register.population_scale: input should be greater than 0"),
    (lambda p: p["register"].update(population_scale="lite"), "register.population_scale: input should be a valid number"),
    (lambda p: p.update(years=[]), "years: list should have at least 1 item"),
    (lambda p: p.update(years=["2016"]), "years.0: input should be a valid integer"),
    (lambda p: p["report"].update(formats=["odt"]), "report.formats.0: input should be 'html', 'pdf' or 'docx'"),
    (lambda p: p["report"].update(source="register"), "report.source: input should be 'published' or 'microdata'"),
    (lambda p: p["register"].update(demo="ja"), "register.demo: input should be a valid boolean"),
    (lambda p: p["register"].update(years=[2016, 2016]), "register.years lists a year twice"),
    (lambda p: p["reconciliation"].update(rounding_slack=-1), "reconciliation.rounding_slack: input should be greater"),
    (lambda p: p.update(registr={}), r"unknown setting registr \(did you mean register\?\)"),
    (lambda p: p["register"].update(populaton_scale=1), "did you mean register.population_scale"),
    (lambda p: p.pop("years"), "years: field required"),
]


@pytest.mark.parametrize("change, words", PARAM_CASES, ids=[w.split(":")[0][:30] for _, w in PARAM_CASES])
def test_bad_settings_give_one_line_and_exit_code_2(tmp_path, monkeypatch, capsys, change, words):
    from pipeline.cli import main

    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    change(params)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("FINSAM_ROOT", str(tmp_path))
    assert main(["stage", "register", "--year", "2022"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and re.search(words, lines[0]) and "Traceback" not in lines[0], lines


def test_a_tiny_export_gives_results_not_a_division_by_zero(tmp_path, base):
    folder = tmp_path / "register"
    shutil.copytree(base, folder)
    shutil.copytree(base.parent / "geografi", folder.parent / "geografi")  # exports.yaml's code lists
    for name in ("sus_deltagare", "formaner"):
        path = next((folder / str(YEAR)).glob(f"{name}_*.csv"))
        lines = path.read_bytes().split(b"\n")
        path.write_bytes(b"\n".join(lines[:3]) + b"\n")  # two rows
    result = clean_year(folder, YEAR, key=TEST_KEY)
    assert len(result["deltagare"].kept) == 2 and len(result["formaner"].kept) == 2
    assert isinstance(result["deltagare"].kept, pd.DataFrame)


# --------------------------------------------------------------------------- the indicator surveys
from pipeline.demo.indikator_demo import forbund_names  # noqa: E402
from pipeline.sources import indikator  # noqa: E402

from .corpus import indikator as icorpus  # noqa: E402

INDICATOR_CASES = icorpus.cases()


def test_the_indicator_corpus_is_large_and_has_excel_s_own_cases():
    names = {c.name for c in INDICATOR_CASES}
    assert len(INDICATOR_CASES) >= 30 and len(names) == len(INDICATOR_CASES)
    for needed in ("xlsx_renamed_sheet", "xlsx_merged_header_cells", "xlsx_numbers_stored_as_text_accepted",
                   "xlsx_dates_as_serial_numbers_accepted", "xlsx_scale_as_labels_where_numbers_declared",
                   "csv_scale_as_numbers_where_labels_declared", "vet_ej_in_other_cases_accepted",
                   "vet_inte_not_declared", "vet_inte_declared_accepted",
                   "xlsx_question_column_missing_in_one_forbund_file"):
        assert needed in names


def _clean_indicator_year(raw):
    _, descriptions = indikator.load_descriptions(raw, [icorpus.YEAR])
    return indikator.clean_year(icorpus.exports(raw), descriptions[icorpus.YEAR], forbund_names())


@pytest.fixture(scope="session")
def indicator_base(tmp_path_factory):
    raw = icorpus.make_base(tmp_path_factory.mktemp("indikator_corpus"))
    clean = _clean_indicator_year(raw)
    assert clean.tables["karantan"].empty and len(clean.tables["respondenter"]) > 100
    return raw, clean


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("case", INDICATOR_CASES, ids=[c.name for c in INDICATOR_CASES])
def test_bad_indicator_export(indicator_base, tmp_path, case: Case):
    base, base_clean = indicator_base
    raw = tmp_path / "indikator"
    shutil.copytree(base, raw)
    case.mutate(raw)
    if isinstance(case.expect, Error):
        with pytest.raises(PipelineError) as err:
            _clean_indicator_year(raw)
        message = str(err.value)
        assert re.search(case.expect.words, message), message
        assert "\n" not in message and "Traceback" not in message and all(s not in message for s in case.secret), message
        if case.expect.line is not None:
            assert isinstance(err.value, InputError) and err.value.line == case.expect.line, message
            assert f"{'row' if err.value.sheet else 'line'} {case.expect.line}" in message
        if case.expect.column is not None:
            assert err.value.column == case.expect.column, message
        if case.expect.sheet is not None:
            assert err.value.sheet == case.expect.sheet and f"sheet '{case.expect.sheet}'" in message, message
        return
    clean = _clean_indicator_year(raw)
    q = clean.tables["kvalitet"]
    assert (q["rows_in"] == q["kept"] + q["quarantined"]).all()
    assert int(q["quarantined"].sum()) == len(clean.tables["karantan"])
    found = {(f, int(line), reason) for f, line, reason in clean.tables["karantan"][["file", "line", "reason"]]
             .itertuples(index=False)}
    if isinstance(case.expect, icorpus.Same):
        assert not found
        for table in ("svar", "fritext"):
            pd.testing.assert_frame_equal(_sorted(clean.tables[table]), _sorted(base_clean.tables[table]))
    else:
        expected = set()
        for file, line, reason in case.expect.rows:
            if line == LAST:
                line = _last_line(icorpus.exports(raw) / file) if file.endswith(".csv") else None
            elif callable(line):
                line = line(base)
            expected.add((file, line, reason))
        assert found == expected
    text = "\n".join(frame.astype(str).to_csv(index=False) for frame in clean.tables.values())
    assert all(s not in text for s in case.secret)  # personal data neither kept nor shown in the quarantine
