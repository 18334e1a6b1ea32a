"""Errors that carry enough context for a user to fix the input without a traceback."""

from __future__ import annotations

from pathlib import Path


def visible(text: object) -> str:
    """``text`` for a one-line message: a character that does not print (NUL, a control character, a
    line break) is written as its code (``\\x00``, ``\\n``); every letter, ``ö`` included, stays as it is."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class PipelineError(Exception):
    """Base class: the CLI prints ``str(error)`` and exits non-zero, without a traceback."""


class InputError(PipelineError):
    """Bad input data, located by file, line (1-based, header is line 1) and column; in a workbook
    by file, sheet, row (Excel's row number) and column."""

    def __init__(self, path: str | Path, message: str, line: int | None = None, column: str | None = None,
                 sheet: str | None = None):
        self.path = Path(path)
        self.line = line
        self.column = column
        self.sheet = sheet
        self.message = message
        where = [str(self.path)]
        if sheet is not None:
            where.append(f"sheet '{sheet}'")
        if line is not None:
            where.append(f"{'row' if sheet is not None else 'line'} {line}")
        if column is not None:
            where.append(f"column '{visible(column)}'")
        super().__init__(f"{', '.join(where)}: {message}")


class YearNotAvailableError(PipelineError):
    """A report or stage was asked for a year that the data does not cover."""

    def __init__(self, year: object, available: list[int], what: str = "data"):
        self.year = year
        self.available = sorted(available)
        span = f"{self.available[0]}–{self.available[-1]}" if self.available else "none"
        super().__init__(f"year {year!r} is not in the {what}: available years are {span}")


class ConfigError(PipelineError):
    """params.yaml or another configuration file is wrong."""
