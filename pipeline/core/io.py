"""Reading checked CSV input and writing outputs atomically.

Every rejection names file, line and column (``InputError``). Outputs are written to a
temporary sibling and moved into place, so a failed run leaves the previous output intact.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

from .errors import InputError

_KINDS = ("int", "float", "str", "bool")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "str"
    required: bool = True
    allowed: frozenset[str] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Schema:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def decode_utf8(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            path, f"not UTF-8 (byte 0x{raw[exc.start]:02x} cannot be decoded); save the file as UTF-8", line=line
        ) from None


def _parse_value(path: Path, line: int, col: Column, text: str):
    value = text.strip()
    if value == "":
        if col.required:
            raise InputError(path, "value is missing", line, col.name)
        return None
    if col.allowed is not None and value not in col.allowed:
        allowed = ", ".join(sorted(col.allowed))
        raise InputError(path, f"unknown code {value!r}; allowed: {allowed}", line, col.name)
    if col.kind == "str":
        return value
    if col.kind == "bool":
        if value.lower() in ("true", "1", "ja"):
            return True
        if value.lower() in ("false", "0", "nej"):
            return False
        raise InputError(path, f"{value!r} is not true/false", line, col.name)
    try:
        number = int(value) if col.kind == "int" else float(value)
    except ValueError:
        kind = "a whole number" if col.kind == "int" else "a number (use . as decimal point)"
        raise InputError(path, f"{value!r} is not {kind}", line, col.name) from None
    if col.minimum is not None and number < col.minimum:
        raise InputError(path, f"{value} is below the minimum {col.minimum:g}", line, col.name)
    if col.maximum is not None and number > col.maximum:
        raise InputError(path, f"{value} is above the maximum {col.maximum:g}", line, col.name)
    return number


def read_csv_checked(path: str | Path, schema: Schema) -> pd.DataFrame:
    """Read a comma-separated UTF-8 file and check it against ``schema``.

    Returns a DataFrame with nullable typed columns in schema order. Raises ``InputError``
    naming file, line and column at the first problem.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    text = decode_utf8(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(path, "file is empty", line=1) from None
    header = [h.strip() for h in header]
    if len(header) == 1 and ";" in header[0]:
        raise InputError(path, "the header is one field containing ';': the file must be comma-separated", line=1)
    missing = [n for n in schema.names if n not in header]
    if missing:
        raise InputError(path, f"missing column(s): {', '.join(missing)} (found: {', '.join(header)})", line=1)
    unknown = [h for h in header if h not in schema.names]
    if unknown:
        raise InputError(path, f"unknown column(s): {', '.join(unknown)}", line=1)
    position = {name: header.index(name) for name in schema.names}
    records: list[dict] = []
    lines: list[int] = []
    seen: dict[tuple, int] = {}
    for fields in reader:
        line = reader.line_num
        if not fields or all(f.strip() == "" for f in fields):
            continue
        if len(fields) != len(header):
            raise InputError(path, f"expected {len(header)} fields, found {len(fields)}", line)
        record = {c.name: _parse_value(path, line, c, fields[position[c.name]]) for c in schema.columns}
        if schema.key:
            key = tuple(record[k] for k in schema.key)
            if key in seen:
                raise InputError(path, f"duplicate key {key} (first on line {seen[key]})", line, ",".join(schema.key))
            seen[key] = line
        records.append(record)
        lines.append(line)
    frame = pd.DataFrame.from_records(records, columns=schema.names)
    dtypes = {"int": "Int64", "float": "Float64", "str": "string", "bool": "boolean"}
    frame = frame.astype({c.name: dtypes[c.kind] for c in schema.columns})
    frame.attrs["source_lines"] = lines
    frame.attrs["source_file"] = str(path)
    return frame


# ---------------------------------------------------------------- atomic output

def _tmp_sibling(path: Path, suffix: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix + ".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    tmp = _tmp_sibling(path)
    try:
        tmp.write_bytes(data)
        tmp.chmod(0o644)  # mkstemp creates 0600; outputs are for every reader
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_parquet_atomic(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    tmp = _tmp_sibling(path, ".parquet")
    try:
        clean = frame.copy()
        clean.attrs = {}  # attrs (source file and lines) serve error messages, not the output's metadata
        clean.to_parquet(tmp, index=False)
        tmp.chmod(0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> Path:
    return write_text_atomic(path, frame.to_csv(index=False, lineterminator="\n"))


@contextlib.contextmanager
def atomic_dir(final: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces ``final`` whole.

    On an exception the temporary folder is removed and ``final`` is untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp creates 0700
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = final.with_name(f".{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """Each frame as ``<name>.parquet`` and ``<name>.csv`` in ``out_dir`` (atomically, file by file)."""
    written = []
    for name, frame in tables.items():
        written.append(write_parquet_atomic(frame, Path(out_dir) / f"{name}.parquet"))
        written.append(write_csv_atomic(frame, Path(out_dir) / f"{name}.csv"))
    return written
