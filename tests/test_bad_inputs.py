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
from pipeline.sources.register import clean_register_year

from .conftest import REPO, TEST_KEY
from .corpus.generate import (FILES, LAST, YEAR, Case, Error, Quarantine, _read_lines, _write_lines, cases, make_base,
                              set_field)

CASES = cases()


def test_the_corpus_is_large_and_every_case_has_an_outcome():
    assert len(CASES) >= 60 and len({c.name for c in CASES}) == len(CASES)
    assert all(isinstance(c.expect, (Error, Quarantine)) for c in CASES)


@pytest.fixture(scope="session")
def base(tmp_path_factory):
    folder = make_base(tmp_path_factory.mktemp("corpus"), REPO / "data" / "raw" / "published",
                       REPO / "data" / "raw" / "register" / "exports.yaml", TEST_KEY)
    result = clean_register_year(folder, YEAR, key=TEST_KEY)
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
            clean_register_year(folder, YEAR, key=TEST_KEY)
        message = str(err.value)
        assert re.search(case.expect.words, message), message
        if case.expect.line is not None:
            assert isinstance(err.value, InputError) and err.value.line == case.expect.line, message
            assert f"line {case.expect.line}" in message
        if case.expect.column is not None:
            assert err.value.column == case.expect.column, message
        assert "Traceback" not in message and all(s not in message for s in case.secret), message
        return
    result = clean_register_year(folder, YEAR, key=TEST_KEY)
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


def test_the_cleaning_reads_the_insats_exports_of_the_declared_years_only(base, tmp_path):
    """A year folder outside ``years`` (register.years: the register stage's declared inputs) is not
    read. A participant whose insats is only in the previous year's insats export is ``okand_insats``
    while that year is not declared and known once it is; a broken insats export there changes
    nothing until the year is declared, and then stops the cleaning naming the file."""
    folder = tmp_path / "register"
    shutil.copytree(base, folder)
    shutil.copytree(base.parent / "geografi", folder.parent / "geografi")
    set_field("deltagare", 9, "insats_id", "2021-0001")(folder)  # data row 9: line 11
    earlier = folder / str(YEAR - 1) / FILES["insatser"].replace(str(YEAR), str(YEAR - 1))
    earlier.parent.mkdir()
    lines = _read_lines(folder / str(YEAR) / FILES["insatser"], "insatser")
    _write_lines(earlier, "insatser", [lines[0], "2021-0001," + lines[1].split(",", 1)[1], ""])
    undeclared = clean_register_year(folder, YEAR, key=TEST_KEY, years=[YEAR])
    q = undeclared["deltagare"].quarantine
    assert list(zip(q["line"], q["reason"])) == [(11, "okand_insats")]
    assert clean_register_year(folder, YEAR, key=TEST_KEY, years=[YEAR - 1, YEAR])["deltagare"].quarantine.empty
    earlier.write_bytes(b"not;an;export\n")
    again = clean_register_year(folder, YEAR, key=TEST_KEY, years=[YEAR])
    for kind, result in again.items():
        pd.testing.assert_frame_equal(result.kept, undeclared[kind].kept)
        pd.testing.assert_frame_equal(result.quarantine, undeclared[kind].quarantine)
    with pytest.raises(InputError, match=earlier.name):
        clean_register_year(folder, YEAR, key=TEST_KEY, years=[YEAR - 1, YEAR])


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
    result = clean_register_year(folder, YEAR, key=TEST_KEY)
    assert len(result["deltagare"].kept) == 2 and len(result["formaner"].kept) == 2
    assert isinstance(result["deltagare"].kept, pd.DataFrame)


# --------------------------------------------------------------------------- faults at every stage family
# Each fault (a full disk, a read-only place, a missing folder, bytes not in the file's encoding) is
# run at every family of stages and command: the pure-Python writers (published, malgrupp, the
# register tables, the förbund stage, the models, the index), the papermill stages (the register and
# enkät cleaning, the reports) and `finsam key init`. A full disk and a read-only place are injected
# into the writes of the pipeline's own process under the project folder (the tests run as root, who
# can write anywhere, and mounting a small file system needs privileges): open() and os.open() for
# writing, os.mkdir, and pandas' Parquet writer. Each run must end in exactly one line on stderr,
# exit code 2, naming the file or folder and the real cause.
import errno  # noqa: E402
import os  # noqa: E402

from pipeline.cli import main  # noqa: E402

from .conftest import copy_project  # noqa: E402


def _inject(monkeypatch, root, code: int) -> None:
    """Writes under ``root`` fail with ``code`` (ENOSPC: the disk is full; EROFS: read-only)."""
    import builtins

    root = os.path.abspath(root)
    under = lambda p: os.path.abspath(os.fspath(p)).startswith(root + os.sep)  # noqa: E731
    fail = lambda p: OSError(code, os.strerror(code), os.fspath(p))  # noqa: E731
    real_open, real_os_open, real_mkdir, real_parquet = builtins.open, os.open, os.mkdir, pd.DataFrame.to_parquet

    def fake_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wax+") and under(file):
            raise fail(file)
        return real_open(file, mode, *args, **kwargs)

    def fake_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and under(path):
            raise fail(path)
        return real_os_open(path, flags, *args, **kwargs)

    def fake_mkdir(path, *args, **kwargs):
        if under(path) and not os.path.exists(path):
            raise fail(path)
        return real_mkdir(path, *args, **kwargs)

    def fake_parquet(self, path=None, *args, **kwargs):
        if path is not None and not hasattr(path, "write") and under(path):
            raise fail(path)
        return real_parquet(self, path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", fake_parquet)


def _tiny_builders(monkeypatch) -> None:
    """The register tables, förbund and model stages compute from cleaned microdata this test does not
    build; their computation is replaced by one small table, so the fault hits their writing."""
    from pipeline.derive import forbund, models, register_tables

    tiny = lambda *a, **k: {"tabell": pd.DataFrame({"a": [1]})}  # noqa: E731
    monkeypatch.setattr(register_tables, "build_register_tables", tiny)
    monkeypatch.setattr(forbund, "build_forbund_figures", tiny)
    monkeypatch.setattr(models, "run_year", tiny)


# family → (command line, what must run first, the output folder the message names)
FAMILIES = {
    "published": (["stage", "published"], [], "data/processed/published"),
    "malgrupp": (["stage", "malgrupp"], [], "data/processed/bilaga4"),
    "register_tables": (["stage", "register_tables"], ["tiny"], "data/processed/register/tabeller"),
    "forbund": (["stage", "forbund"], ["tiny"], "data/processed/forbund"),
    "models": (["stage", "models", "--year", "2022"], ["tiny"], "data/processed/models/2022"),
    "register (notebook)": (["stage", "register", "--year", "2022"], [], "data/processed/register/2022"),
    "enkat (notebook)": (["stage", "enkat", "--year", "2016"], [], "data/processed/enkat/2016"),
    "bilaga1 (report)": (["stage", "bilaga1", "--year", "2022", "--formats", "html"], ["published"],
                         "reports/2022/bilaga1"),
    "index": (["stage", "index"], [], "reports/index.html"),
    "key init": (["key", "init", "--path", "{tmp}/nycklar/pseudonym.key"], [], "../nycklar/pseudonym.key"),
}
WRITE_FAULTS = {"full disk": (errno.ENOSPC, "No space left on device; the disk is full"),
                "read-only": (errno.EROFS, "Read-only file system; the file system is read-only")}


def _project(tmp_path, monkeypatch, needs: list[str]):
    (tmp_path / "project").mkdir()
    project = copy_project(tmp_path / "project")
    monkeypatch.setenv("FINSAM_ROOT", str(project.root))
    if "published" in needs:
        assert main(["stage", "published"]) == 0
    if "tiny" in needs:
        _tiny_builders(monkeypatch)
    return project


def _one_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("finsam: error: ") and "Traceback" not in err[0], err
    return err[0]


@pytest.mark.parametrize("fault", list(WRITE_FAULTS))
@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_full_disk_or_a_read_only_place_is_one_line_at_every_stage_family(tmp_path, monkeypatch, capsys, family,
                                                                          fault):
    argv, needs, output = FAMILIES[family]
    project = _project(tmp_path, monkeypatch, needs)
    capsys.readouterr()
    code, cause = WRITE_FAULTS[fault]
    _inject(monkeypatch, tmp_path, code)  # the project and the key's place outside it
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    line = _one_line(capsys)
    assert cause in line and os.path.normpath(project.root / output) in line, line
    if family != "key init":
        assert "cannot write" in line and (family == "index" or "previous output is left as it was" in line), line


MISSING = {  # family → (command line, what to remove, words of the message, the path it names)
    "published": (["stage", "published"], "data/raw/published", "file not found", "data/raw/published/b1_deltagare.csv"),
    "register_tables": (["stage", "register_tables"], None, r"no cleaned register data for this year \(the folder "
                        r"does not exist\); run `finsam stage register --year 2016` first", "data/processed/register/2016"),
    "forbund": (["stage", "forbund"], None, "no cleaned register data for this year", "data/processed/register/2016"),
    "models": (["stage", "models", "--year", "2022"], None, "run `finsam stage register", "data/processed/register"),
    "register (notebook)": (["stage", "register", "--year", "2022"], None, "no register exports for 2022",
                            "data/raw/register/2022"),
    "enkat (notebook)": (["stage", "enkat", "--year", "2016"], "data/raw/enkat/2016", "no fragor.yaml for the 2016 survey",
                         "data/raw/enkat/2016"),
    "bilaga1 (report)": (["stage", "bilaga1", "--year", "2022", "--formats", "html"], None,
                         "run `finsam stage published` first", "data/processed/published"),
    "bilaga3 (report)": (["stage", "bilaga3", "--year", "2016", "--formats", "html"], None,
                         "run `finsam stage enkat` first", "data/processed/enkat/2016"),
    "geografi": (["stage", "forbund"], "data/raw/geografi", "file not found", "data/raw/geografi/kommuner.csv"),
}


@pytest.mark.parametrize("family", list(MISSING))
def test_a_missing_folder_is_named_as_missing_at_every_stage_family(tmp_path, monkeypatch, capsys, family):
    argv, remove, words, path = MISSING[family]
    project = _project(tmp_path, monkeypatch, [])
    if remove:
        shutil.rmtree(project.root / remove)
    capsys.readouterr()
    assert main(argv) == 2
    line = _one_line(capsys)
    assert re.search(words, line) and str(project.root / path) in line, line
    assert "fingerprint" not in line and "damaged" not in line, line


def _bad_byte(path, line: int, old: bytes, new: bytes) -> None:
    lines = path.read_bytes().split(b"\n")
    assert old in lines[line - 1], (path, line)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_bytes(b"\n".join(lines))


ENCODING = {  # family → (command line, file, line, the byte's change, words of the message)
    "published": (["stage", "published"], "data/raw/published/b1_deltagare.csv", 4, b"pagaende", b"p\xe5gaende",
                  r"line 4: not UTF-8 \(byte 0xe5 at character 30 of the line"),
    "params.yaml (every stage)": (["stage", "published"], "params.yaml", 3, b"", b"\xe5",
                                  r"params.yaml, line 3: not UTF-8 \(byte 0xe5"),
    "exports.yaml (register)": (["stage", "register", "--year", "2022"], "data/raw/register/exports.yaml", 2, b"",
                                b"\xf6", r"exports.yaml, line 2: not UTF-8 \(byte 0xf6"),
    "geografi (forbund)": (["stage", "forbund"], "data/raw/geografi/forbund_kommuner.csv", 6, b"Samordningsf\xc3\xb6rbund",
                           b"Samordningsf\xf6rbund", r"forbund_kommuner.csv, line 6: not UTF-8 \(byte 0xf6"),
    "fragor.yaml (enkat)": (["stage", "enkat", "--year", "2016"], "data/raw/enkat/2016/fragor.yaml", 2, b"", b"\xff",
                            r"fragor.yaml, line 2: not UTF-8 \(byte 0xff"),
    "enkat export with BOM (enkat)": (["stage", "enkat", "--year", "2016"], "data/raw/enkat/2016/export.csv", 3, b"R0002",
                                      b"R0002\xf6", r"export.csv, line 3, column 'Respondent-ID': cannot be read as "
                                                    r"utf-8-sig \(byte 0xf6\)"),
}


@pytest.mark.parametrize("family", list(ENCODING))
def test_bytes_outside_the_encoding_name_the_file_line_and_the_real_byte(tmp_path, monkeypatch, capsys, family):
    argv, name, line, old, new, words = ENCODING[family]
    project = _project(tmp_path, monkeypatch, [])
    path = project.root / name
    if family.startswith("enkat export"):  # with a byte-order mark, as Excel writes: the byte must still be right
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().lstrip(b"\xef\xbb\xbf"))
    _bad_byte(path, line, old, new)
    capsys.readouterr()
    assert main(argv) == 2
    message = _one_line(capsys)
    assert re.search(words, message) and str(path) in message, message


def test_the_documented_corpus_counts_are_the_real_ones():
    """docs/assumptions_caveats.md lists how many cases each corpus has and how each is handled."""
    from .core import test_personnummer
    from .derive import test_forbund
    from .corpus.free_text import ORDINARY, PLANTED

    def split(expects):  # handled: nothing quarantined (the indicator corpus says Same: read as the base)
        expects = list(expects)
        return (len(expects), sum(isinstance(e, Error) for e in expects),
                sum(isinstance(e, Quarantine) and bool(e.rows) for e in expects),
                sum((isinstance(e, Quarantine) and not e.rows) or isinstance(e, icorpus.Same) for e in expects))

    real = {
        "register exports": split(c.expect for c in CASES),
        "indicator survey exports (CSV and Excel)": split(c.expect for c in INDICATOR_CASES),
        "survey exports": (len(SURVEY_CASES), len(SURVEY_CASES), 0, 0),
        "settings (params.yaml)": (len(PARAM_CASES), len(PARAM_CASES), 0, 0),
        "full disk and read-only place × every stage family and `finsam key init`":
            (len(FAMILIES) * len(WRITE_FAULTS),) * 2 + (0, 0),
        "missing folders": (len(MISSING), len(MISSING), 0, 0),
        "bytes outside the encoding (CSV and YAML inputs)": (len(ENCODING), len(ENCODING), 0, 0),
        "förbund mapping": (len(test_forbund.BAD_MAPPINGS),) * 2 + (0, 0),
        "reserved förbund names": (len(test_forbund.RESERVED_NAMES),) * 2 + (0, 0),
        "bad rename declarations": (len(test_forbund.BAD_RENAMES),) * 2 + (0, 0),
        "declared renames": (len(test_forbund.RENAMES_HANDLED), 0, 0, len(test_forbund.RENAMES_HANDLED)),
        "pseudonym keys": (len(test_personnummer.BAD_KEYS) + len(test_personnummer.GUESSABLE_KEYS),) * 2 + (0, 0),
        "personal data in free text": (len(PLANTED), 0, 0, len(PLANTED)),
        "ordinary free-text answers": (len(ORDINARY), 0, 0, len(ORDINARY)),
    }
    doc = (REPO / "docs" / "assumptions_caveats.md").read_text(encoding="utf-8")
    table = doc.split("<!-- corpus counts")[1].split("<!-- end of corpus counts -->")[0]
    stated = {}
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[2].isdigit():
            stated[cells[0]] = tuple(int(c) for c in cells[2:])
    assert stated == real
    assert all(n == e + q + h for n, e, q, h in real.values())


# --------------------------------------------------------------------------- the indicator surveys
from pipeline.demo.indikator_demo import demo_forbund_names  # noqa: E402
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
    return indikator.clean_indikator_year(icorpus.exports(raw), descriptions[icorpus.YEAR], demo_forbund_names())


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
