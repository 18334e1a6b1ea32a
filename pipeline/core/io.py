"""Reading checked CSV input and writing outputs atomically.

Every rejection names file, line and column (``InputError``). Outputs are written to a
temporary sibling and moved into place, so a failed run leaves the previous output intact.
"""

from __future__ import annotations

import contextlib
import ctypes
import csv
import errno
import fcntl
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .errors import InputError, PipelineError, visible

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


def _error_offset(raw: bytes, encoding: str, exc: UnicodeDecodeError) -> int:
    """The offset in ``raw`` of the byte ``exc`` complains about: Python's utf-8-sig decoder counts
    from after the byte-order mark, so without this the wrong byte (and line) would be named."""
    bom = encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8-sig") and raw.startswith(b"\xef\xbb\xbf")
    return exc.start + (3 if bom else 0)


def decode_utf8(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = _error_offset(raw, "utf-8-sig", exc)
        line = raw[:at].count(b"\n") + 1
        column = at - (raw.rfind(b"\n", 0, at) + 1) + 1
        raise InputError(
            path, f"not UTF-8 (byte 0x{raw[at]:02x} at character {column} of the line cannot be decoded); "
                  "save the file as UTF-8", line=line
        ) from None


def read_yaml(path: str | Path) -> object:
    """A YAML file (params.yaml, exports.yaml, fragor.yaml) as data; a file that cannot be read, is
    not UTF-8 or is not valid YAML stops with one ``ConfigError`` naming file, line and column."""
    import yaml

    from .errors import ConfigError

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({os_reason(exc)})") from None
    try:
        text = decode_utf8(path, raw)
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise ConfigError(f"{path}{where}: not valid YAML ({visible(problem)})") from None


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
        raise InputError(path, f"missing column(s): {', '.join(missing)} (found: {visible(', '.join(header))})", line=1)
    unknown = [h for h in header if h not in schema.names]
    if unknown:
        raise InputError(path, f"unknown column(s): {visible(', '.join(unknown))}", line=1)
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


CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
QUOTED = re.compile(r'"(?:[^"]|"")*"')
# Whitespace that str.strip (and pyarrow's utf8_trim_whitespace) removes, besides the line ends.
_ASCII_SPACE = (" ", "\t", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


_ASCII_COMPATIBLE = ("utf-8", "utf8", "utf-8-sig", "latin-1", "latin1", "iso-8859-1", "iso8859-1", "cp1252",
                     "windows-1252", "ascii")


_NOT_CONTROL = bytes(b for b in range(256) if not CONTROL_CHARS.match(chr(b)))


def has_control_chars(text: str) -> bool:
    """Whether ``text`` holds a character of ``CONTROL_CHARS`` (for ASCII text one pass of bytes.translate
    instead of the regular expression's slower scan)."""
    if not text.isascii():
        return bool(CONTROL_CHARS.search(text))
    return bool(text.encode("ascii").translate(None, _NOT_CONTROL))  # every byte but the control bytes deleted


def may_need_strip(text: str) -> bool:
    """False when no field of ``text`` can have whitespace to strip: ASCII without spaces, tabs or other
    ASCII whitespace (a CR is counted as such, though it usually only ends a line)."""
    return not text.isascii() or "\r" in text or any(c in text for c in _ASCII_SPACE)


def _locate(text: str, pos: int, delimiter: str, header: list[str] | None) -> tuple[int, str | None]:
    """Line (editor count) and column name of character ``pos`` of ``text``."""
    line = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    index = text[start:pos].count(delimiter)
    column = header[index] if header and index < len(header) else None
    return line, column


def _decode(path: Path, raw: bytes, encoding: str, delimiter: str, described_in: str = "exports.yaml") -> str:
    end = raw.find(b"\n")
    header = raw[: end if end >= 0 else len(raw)].decode("latin-1").lstrip("\ufeff\xef\xbb\xbf").split(delimiter)
    header = [h.strip() for h in header]
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, column = _locate(raw.decode("latin-1"), nul, delimiter, header)
        raise InputError(path, "NUL byte in the file: it is damaged or not text in the declared encoding "
                               f"(UTF-16?); export it again as {encoding}", line, column)
    lowered = encoding.lower().replace("_", "-")
    if lowered in _ASCII_COMPATIBLE and raw.isascii():  # nothing to check byte by byte (quickly known)
        return raw.decode("ascii")
    if lowered in ("latin-1", "latin1", "iso-8859-1", "iso8859-1"):
        if re.search(rb"[\x80-\xff]", raw):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                how = ("it starts with a UTF-8 byte-order mark, as Excel's 'CSV UTF-8' writes" if
                       raw.startswith(b"\xef\xbb\xbf") else "letters like 'ö' are two bytes")
                raise InputError(path, f"the file is UTF-8 ({how}), but {described_in} "
                                       f"declares {encoding}; export it as {encoding} or change the declaration", 1)
        c1 = re.search(rb"[\x80-\x9f]", raw)
        if c1:
            byte = raw[c1.start()]
            shown = bytes([byte]).decode("cp1252", errors="replace")
            line, column = _locate(raw.decode("latin-1"), c1.start(), delimiter, header)
            raise InputError(path, f"byte 0x{byte:02x} is not a Latin-1 character (in Windows-1252 it is "
                                   f"{shown!r}); the file is probably Windows-1252: export it as {encoding}", line,
                             column)
        return raw.decode("latin-1")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        at = _error_offset(raw, encoding, exc)
        line, column = _locate(raw.decode("latin-1"), at, delimiter, header)
        raise InputError(path, f"cannot be read as {encoding} (byte 0x{raw[at]:02x}); the export must be "
                               f"{encoding}", line, column) from None
    except LookupError:
        raise InputError(path, f"unknown encoding {encoding!r} declared for this file") from None
    return text.lstrip("\ufeff")


def _check_line_endings(path: Path, text: str) -> None:
    """Lone CR or a mix of CRLF and LF outside quoted fields stops: line numbers would be ambiguous."""
    if "\r" not in text:
        return
    outside = QUOTED.sub(lambda m: "\n" * m.group(0).count("\n"), text) if '"' in text else text
    lone = re.search(r"\r(?!\n)", outside)
    if lone:
        raise InputError(path, "line ends with a lone CR (old Mac line ending); save the file with LF or CRLF line "
                               "endings", outside.count("\n", 0, lone.start()) + 1)
    lf = re.search(r"(?<!\r)\n", outside)
    if lf:
        raise InputError(path, "mixed line endings: earlier lines end with CRLF, this one with LF only; save the "
                               "file with one kind of line ending", outside.count("\n", 0, lf.start()) + 1)


def parse_records(path: Path, text: str, delimiter: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Header and records, each with the line it starts on (blank lines counted, quoted line breaks too)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    previous = 0
    try:
        for fields in reader:
            start, previous = previous + 1, reader.line_num
            if not fields:  # a blank line: counted, not a row
                continue
            records.append(fields)
            lines.append(start)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):  # the file ended inside a quoted field
            raise InputError(path, "a quote (\") opens a field on this line and is never closed; close it or "
                                   "remove it", previous + 1) from None
        if "expected after" in str(exc):
            raise InputError(path, "a quote (\") inside a quoted field must be written twice (\"\"); the field ends "
                                   "at a quote that is followed by something else than the delimiter",
                             reader.line_num) from None
        raise InputError(path, f"not a well-formed {delimiter!r}-separated file ({exc})", reader.line_num) from None
    if not records:
        raise InputError(path, "the export is empty (no header, no rows)", 1)
    header = [h.strip() for h in records[0]]
    return header, records, lines


def decode_checked(path: Path, raw: bytes, encoding: str, delimiter: str, described_in: str = "exports.yaml") -> str:
    """``raw`` as text, strictly. Stops with file, line (as a text editor counts it) and column on:
    an empty file, NUL bytes, bytes not in ``encoding`` (for Latin-1 also the Windows-1252
    punctuation bytes 0x80–0x9F and text that is really UTF-8), and lone-CR or mixed line endings."""
    if not raw.strip():
        raise InputError(path, "the file is empty (0 bytes or only blank space)", 1)
    text = _decode(path, raw, encoding, delimiter, described_in)
    _check_line_endings(path, text)
    return text


def read_delimited(path: Path, raw: bytes, encoding: str, delimiter: str, described_in: str = "exports.yaml"
                   ) -> tuple[str, list[str], list[list[str]], list[int]]:
    """Decode ``raw`` strictly (``decode_checked``) and split it into records: (text, header, records
    incl. the header, the line each record starts on). A quote that is never closed stops too."""
    text = decode_checked(path, raw, encoding, delimiter, described_in)
    header, records, lines = parse_records(path, text, delimiter)
    return text, header, records, lines


def split_plain(text: str, delimiter: str) -> tuple[list[str], pd.DataFrame, np.ndarray, int] | None:
    """The fast path for the common export: no quotes anywhere and every non-blank line with the
    header's number of fields. Returns (header, rows as text, the line of each row, the longest line
    in bytes), or None when the file needs the careful reader (``read_delimited``). The rows are read
    by pyarrow's CSV reader (C++, on every core) as text columns: nothing is converted or left out."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if '"' in text or not text:
        return None
    encoded = text.encode("utf-8")
    data = np.frombuffer(encoded, dtype=np.uint8)
    newline = np.flatnonzero(data == 10)
    ends = newline if data[-1] == 10 else np.append(newline, len(data))
    starts = np.concatenate(([0], newline + 1))[: len(ends)]
    carriage = (ends > starts) & (data[np.maximum(ends - 1, 0)] == 13)
    lengths = ends - starts - carriage
    filled = np.flatnonzero(lengths > 0)
    if len(filled) < 2:
        return None
    first = encoded[starts[filled[0]]: ends[filled[0]]]
    width = first.count(delimiter.encode("utf-8")) + 1
    names = [f"f{i}" for i in range(width)]
    try:  # a line with another number of fields than the first is an error here: the careful reader takes it
        table = pacsv.read_csv(pa.py_buffer(encoded), read_options=pacsv.ReadOptions(column_names=names),
                               parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False,
                                                                ignore_empty_lines=True),
                               convert_options=pacsv.ConvertOptions(  # large_string: what pandas' str holds
                                   column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=False))
    except pa.ArrowInvalid:
        return None
    if table.num_rows != len(filled):
        return None
    header = [str(table.column(i)[0]).strip() for i in range(width)]
    body = table.slice(1).to_pandas()
    body.columns = range(width)
    return header, body, filled[1:] + 1, int(lengths.max())


def read_sheet(path: Path, sheet: str, header_row: int = 1) -> tuple[list[str], list[tuple[int, list[object]]]]:
    """One sheet of an Excel workbook (.xlsx, read with python-calamine): the header (the cells of
    ``header_row``, as text) and the data rows below it, each with its Excel row number and its
    cell values as the reader gives them (text, numbers as float, ``datetime`` for date-formatted
    cells, booleans; None for an empty cell). Rows with no value at all are left out, as are rows
    above the header and columns with neither a name nor a value. Stops, with file, sheet, row and
    column, on a file that is not a workbook, a missing sheet (naming the sheets there are: a renamed
    sheet), merged cells in or below the header, and values in a column without a name."""
    from openpyxl.utils import get_column_letter
    from python_calamine import CalamineError, CalamineWorkbook

    if not path.is_file():
        raise InputError(path, "export not found")
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise InputError(path, f"not an Excel workbook (.xlsx) or a damaged one ({type(exc).__name__}); export "
                               "it again as .xlsx") from None
    try:
        if sheet not in workbook.sheet_names:
            close = [n for n in workbook.sheet_names if n.strip().casefold() == sheet.strip().casefold()]
            hint = f" ({close[0]!r} differs only in case or spaces)" if close else " (was it renamed?)"
            raise InputError(path, f"sheet {sheet!r} not found{hint}; the workbook has: "
                                   f"{', '.join(repr(n) for n in workbook.sheet_names)}")
        try:
            ws = workbook.get_sheet_by_name(sheet)
            grid = ws.to_python(skip_empty_area=False)
        except CalamineError as exc:
            raise InputError(path, f"the sheet cannot be read ({type(exc).__name__}); export it again as .xlsx",
                             sheet=sheet) from None
        for (r0, c0), (r1, c1) in sorted(ws.merged_cell_ranges or []):
            if r1 + 1 < header_row:
                continue  # a merged title above the header is not read
            where = "the header" if r0 + 1 <= header_row else "the data"
            coord = f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"
            raise InputError(path, f"merged cells {coord} in {where}: unmerge them (one value per cell) and "
                                   "export again", r0 + 1, get_column_letter(c0 + 1), sheet)
    finally:
        workbook.close()

    def filled(value: object) -> bool:
        return value is not None and not (isinstance(value, str) and not value.strip())

    first = grid[header_row - 1] if len(grid) >= header_row else []
    if not any(filled(v) for v in first):
        raise InputError(path, f"the header row {header_row} is empty", header_row, None, sheet)
    header = [str(v).strip() if filled(v) else "" for v in first]
    data = [(number, list(values)) for number, values in enumerate(grid[header_row:], header_row + 1)
            if any(filled(v) for v in values)]
    width = max([len(header)] + [len(vals) for _, vals in data])
    header += [""] * (width - len(header))
    keep = []
    for i, name in enumerate(header):
        first_row = next((n for n, vals in data if i < len(vals) and filled(vals[i])), None)
        if name == "" and first_row is not None:
            raise InputError(path, f"column {get_column_letter(i + 1)} has values but no name in the header row "
                                   f"{header_row}", first_row, get_column_letter(i + 1), sheet)
        if name != "":
            keep.append(i)  # a column with neither name nor values is an empty column: left out
    return [header[i] for i in keep], [(n, [vals[i] if i < len(vals) and filled(vals[i]) else None for i in keep])
                                       for n, vals in data]


# ---------------------------------------------------------------- atomic output

class OutputError(PipelineError):
    """An output cannot be written (read-only folder, full disk, another run writing it)."""


_HINTS = {errno.ENOSPC: "the disk is full: free some space and run again", errno.EROFS: "the file system is read-only",
          errno.EACCES: "no permission to write there", errno.EPERM: "no permission to write there",
          errno.EDQUOT: "disk quota exceeded", errno.ENOENT: "a folder on the way does not exist",
          errno.ENOTDIR: "a part of the path is a file, not a folder"}


def os_reason(exc: OSError) -> str:
    """The operating system's reason for ``exc`` and what it means, e.g. "No space left on device; the
    disk is full: free some space and run again" (for one-line messages)."""
    reason = exc.strerror or str(exc)
    hint = _HINTS.get(exc.errno or 0, "")
    return f"{reason}{'; ' + hint if hint else ''}"


def _is_write_fault(exc: OSError, folder: Path) -> bool:
    """Whether ``exc`` is a failure to write into ``folder`` (not, say, an input that cannot be read)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "No space left on device" in str(exc):
        return True
    name = getattr(exc, "filename", None)
    inside = name is None or Path(os.path.abspath(name)).is_relative_to(os.path.abspath(folder))
    return inside and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


def _output_error(path: Path, exc: OSError) -> OutputError:
    where = Path(exc.filename) if getattr(exc, "filename", None) and str(exc.filename) != str(path) else None
    inside = f" (writing {where.name})" if where is not None else ""
    return OutputError(f"{path}: cannot write the output{inside} ({os_reason(exc)}); "
                       "the previous output is left as it was")


def _tmp_sibling(path: Path, suffix: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix + ".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


def _write_atomic(path: Path, write, suffix: str = "") -> Path:
    """Write through ``write(tmp)`` into a temporary sibling, then move it into place."""
    try:
        tmp = _tmp_sibling(path, suffix)
    except OSError as exc:
        raise _output_error(path, exc) from None
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp creates 0600; outputs are for every reader
        os.replace(tmp, path)
    except OSError as exc:
        raise _output_error(path, exc) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    return _write_atomic(Path(path), lambda tmp: tmp.write_bytes(data))


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_parquet_atomic(frame: pd.DataFrame, path: str | Path) -> Path:
    clean = frame.copy()
    clean.attrs = {}  # attrs (source file and lines) serve error messages, not the output's metadata
    return _write_atomic(Path(path), lambda tmp: clean.to_parquet(tmp, index=False), ".parquet")


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> Path:
    return write_text_atomic(path, frame.to_csv(index=False, lineterminator="\n"))


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system has none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # kernel or file system without the exchange
        return False
    raise OSError(err, os.strerror(err), str(b))


def _old(final: Path) -> Path:
    return final.with_name(f".{final.name}.old")


def _recover(final: Path) -> None:
    """Finish a swap that a kill interrupted (only the fallback without an exchange has such a moment):
    the old folder is put back under its name; stale temporary folders are removed."""
    old = _old(final)
    if old.exists() and not final.exists():
        os.replace(old, final)
    shutil.rmtree(old, ignore_errors=True)
    for stale in final.parent.glob(f".{final.name}.*.tmp"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def output_lock(final: Path) -> Iterator[None]:
    """One writer per output folder: a second run that wants to write ``final`` stops at once."""
    lock_path = final.with_name(f".{final.name}.lock")
    try:
        handle = open(lock_path, "a+")
    except OSError as exc:
        raise _output_error(final, exc) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"{final}: another finsam run is writing this output now (lock {lock_path.name}); "
                              "wait for it to finish and run again") from None
        yield
    finally:
        handle.close()  # releases the lock


@contextlib.contextmanager
def atomic_dir(final: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces ``final`` whole.

    On an exception the temporary folder is removed and ``final`` is untouched. The swap is one
    rename-exchange where the system has it, so at every moment either the old or the new folder
    is in place under its name, even if the process is killed; where it has none, the old folder
    is moved aside first and a later run puts it back if a kill came between the two renames.
    Two runs writing the same folder at once: the second stops (``output_lock``).
    """
    final = Path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(final, exc) from None
    with output_lock(final):
        try:
            _recover(final)
            tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
            tmp.chmod(0o755)  # mkdtemp creates 0700
        except OSError as exc:
            raise _output_error(final, exc) from None
        try:
            yield tmp
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if _is_write_fault(exc, tmp):  # full disk, read-only, no permission while writing the output
                raise _output_error(final, exc) from None
            raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        try:
            if final.exists() and _exchange(tmp, final):
                shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous output
            else:
                if final.exists():
                    os.replace(final, _old(final))
                os.replace(tmp, final)
                shutil.rmtree(_old(final), ignore_errors=True)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            _recover(final)
            raise _output_error(final, exc) from None


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """Each frame as ``<name>.parquet`` and ``<name>.csv`` in ``out_dir`` (atomically, file by file)."""
    written = []
    for name, frame in tables.items():
        written.append(write_parquet_atomic(frame, Path(out_dir) / f"{name}.parquet"))
        written.append(write_csv_atomic(frame, Path(out_dir) / f"{name}.csv"))
    return written
