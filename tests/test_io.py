import os

import pytest

from pipeline.core.errors import InputError
from pipeline.core.io import Column, Schema, atomic_dir, read_csv_checked, write_text_atomic

SCHEMA = Schema(
    "demo",
    (Column("year", "int", minimum=2000), Column("sex", allowed=frozenset({"kvinna", "man"})),
     Column("count", "int", required=False, minimum=0)),
    key=("year", "sex"),
)


def _write(tmp_path, text, encoding="utf-8", name="in.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_typed_frame(tmp_path):
    frame = read_csv_checked(_write(tmp_path, "year,sex,count\n2016,kvinna,940\n2016,man,\n"), SCHEMA)
    assert frame["count"].iloc[0] == 940
    assert frame["count"].isna().tolist() == [False, True]
    assert frame["year"].tolist() == [2016, 2016]
    assert frame.attrs["source_lines"] == [2, 3]


def test_bom_is_accepted(tmp_path):
    frame = read_csv_checked(_write(tmp_path, "\ufeffyear,sex,count\n2016,man,1\n"), SCHEMA)
    assert len(frame) == 1


@pytest.mark.parametrize(
    "text, line, column, words",
    [
        ("year,sex\n2016,man\n", 1, None, "missing column(s): count"),
        ("year;sex;count\n2016;man;1\n", 1, None, "comma-separated"),
        ("year,sex,count\n2016,man,1\n2017,okänd,2\n", 3, "sex", "unknown code 'okänd'"),
        ("year,sex,count\n2016,man,tio\n", 2, "count", "not a whole number"),
        ("year,sex,count\n1999,man,1\n", 2, "year", "below the minimum"),
        ("year,sex,count\n,man,1\n", 2, "year", "value is missing"),
        ("year,sex,count\n2016,man,1\n2016,man,2\n", 3, "year,sex", "duplicate key"),
        ("year,sex,count,extra\n2016,man,1,x\n", 1, None, "unknown column(s): extra"),
        ("year,sex,count\n2016,man\n", 2, None, "expected 3 fields, found 2"),
    ],
)
def test_errors_name_file_line_and_column(tmp_path, text, line, column, words):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        read_csv_checked(path, SCHEMA)
    assert err.value.line == line
    assert err.value.column == column
    message = str(err.value)
    assert str(path) in message and words in message
    if line is not None:
        assert f"line {line}" in message


def test_latin1_file_is_a_clear_error(tmp_path):
    path = _write(tmp_path, "year,sex,count\n2016,man,1\n2017,kvinna,2 # för\n", encoding="latin-1")
    with pytest.raises(InputError, match=r"line 3: not UTF-8"):
        read_csv_checked(path, SCHEMA)


def test_atomic_dir_keeps_previous_output_on_failure(tmp_path):
    final = tmp_path / "out"
    with atomic_dir(final) as tmp:
        (tmp / "a.txt").write_text("first")
    with pytest.raises(RuntimeError):
        with atomic_dir(final) as tmp:
            (tmp / "a.txt").write_text("half-written")
            raise RuntimeError("stage failed")
    assert (final / "a.txt").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind
    assert oct(final.stat().st_mode & 0o777) == "0o755"


def test_atomic_file_write_is_world_readable(tmp_path):
    path = write_text_atomic(tmp_path / "x" / "f.txt", "hej")
    assert path.read_text() == "hej"
    assert os.stat(path).st_mode & 0o044 == 0o044
