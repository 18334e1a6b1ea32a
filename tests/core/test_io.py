import errno
import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.core.errors import InputError
from pipeline.core.io import (Column, OutputError, Schema, _exchange, atomic_dir, output_lock, read_csv_checked,
                         write_parquet_atomic, write_text_atomic)

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
    assert [p.name for p in tmp_path.iterdir() if p.name != ".out.lock"] == ["out"]  # no temporary folder left
    assert oct(final.stat().st_mode & 0o777) == "0o755"


def test_atomic_file_write_is_world_readable(tmp_path):
    path = write_text_atomic(tmp_path / "x" / "f.txt", "hej")
    assert path.read_text() == "hej"
    assert os.stat(path).st_mode & 0o044 == 0o044


def test_folder_swap_is_one_exchange_so_no_moment_lacks_the_folder(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(); b.mkdir()
    (a / "x").write_text("a"); (b / "x").write_text("b")
    if not _exchange(a, b):
        pytest.skip("this kernel or file system has no rename-exchange; the fallback is tested below")
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_a_kill_between_the_fallback_renames_is_repaired_by_the_next_run(tmp_path):
    final = tmp_path / "out"
    with atomic_dir(final) as tmp:
        (tmp / "a.txt").write_text("first")
    os.replace(final, tmp_path / ".out.old")  # the state a kill between the two renames leaves
    (tmp_path / ".out.abc.tmp").mkdir()  # and a half-written temporary folder
    with pytest.raises(RuntimeError):
        with atomic_dir(final):
            assert (final / "a.txt").read_text() == "first"  # put back before anything else happens
            raise RuntimeError("fails again")
    assert (final / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


KILLED_WRITER = """
import sys, time
from pathlib import Path
from pipeline.core.io import atomic_dir
final = Path(sys.argv[1])
n = 0
while True:
    n += 1
    with atomic_dir(final) as tmp:
        for i in range(20):
            (tmp / f"part{i}.txt").write_text(str(n))
        (tmp / "done.txt").write_text(str(n))
"""


def test_kill_at_any_moment_leaves_a_whole_output(tmp_path):
    final = tmp_path / "out"
    with atomic_dir(final) as tmp:
        for i in range(20):
            (tmp / f"part{i}.txt").write_text("0")
        (tmp / "done.txt").write_text("0")
    for delay in (1.2, 1.45, 1.7, 1.95):  # the writer imports pandas first (about a second), then swaps in a loop
        proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(final)])
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert final.is_dir()  # never a moment without the folder
        values = {(final / f"part{i}.txt").read_text() for i in range(20)} | {(final / "done.txt").read_text()}
        assert len(values) == 1, values  # every file from one complete run, never a mix


def test_second_writer_of_the_same_output_stops(tmp_path):
    final = tmp_path / "out"
    with output_lock(final):
        with pytest.raises(OutputError, match="another finsam run is writing this output"):
            with atomic_dir(final):
                pass
    with atomic_dir(final):
        pass  # free again


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "No space left on device"),
                                         (errno.EROFS, "Read-only file system"),
                                         (errno.EACCES, "Permission denied")])
def test_full_disk_or_read_only_folder_is_a_clear_error_and_keeps_the_old_output(tmp_path, monkeypatch, code, words):
    import pandas as pd

    final = tmp_path / "out"
    with atomic_dir(final) as tmp:
        (tmp / "a.txt").write_text("first")

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail)
    with pytest.raises(OutputError, match=words) as err:
        with atomic_dir(final) as tmp:
            write_parquet_atomic(pd.DataFrame({"a": [1]}), tmp / "t.parquet")
    assert "previous output is left" in str(err.value)
    monkeypatch.setattr("tempfile.mkdtemp", fail)
    with pytest.raises(OutputError, match=words):
        with atomic_dir(final):
            pass
    assert (final / "a.txt").read_text() == "first"


def test_fast_and_careful_readers_agree_on_a_plain_file(tmp_path):
    from pipeline.core.io import decode_checked, parse_records, split_plain

    text = "a;b;c\r\n1; x ;3\r\n\r\n4;5;6\r\n7;;9\r\n"
    path = tmp_path / "f.csv"
    header, frame, lines, longest = split_plain(decode_checked(path, text.encode(), "latin-1", ";"), ";")
    careful_header, records, careful_lines = parse_records(path, text, ";")
    assert header == careful_header == ["a", "b", "c"]
    assert frame.values.tolist() == records[1:] and lines.tolist() == careful_lines[1:] == [2, 4, 5]
    assert longest == 7
    assert split_plain('a;b\n"1";2\n', ";") is None and split_plain("a;b\n1;2;3\n", ";") is None  # careful path
