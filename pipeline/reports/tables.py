"""Tables as pandoc Markdown (pipe tables), which survive HTML, PDF (Typst) and DOCX alike."""

from __future__ import annotations

import pandas as pd


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(
    frame: pd.DataFrame,
    caption: str | None = None,
    label: str | None = None,
    align: str | None = None,
    note: str | None = None,
) -> str:
    """Render a frame of display strings as a pipe table.

    ``align`` has one letter per column: ``l`` left, ``r`` right, ``c`` centre; by default the
    first column is left-aligned and the rest right-aligned (numbers). ``caption`` is written
    as pandoc's table caption (``: text {#label}``); ``note`` as a small paragraph below.
    """
    columns = [str(c) for c in frame.columns]
    if align is None:
        align = "l" + "r" * (len(columns) - 1)
    if len(align) != len(columns):
        raise ValueError(f"align has {len(align)} letters for {len(columns)} columns")
    # Pandoc sizes the columns of a wide pipe table by the dashes under the header, so each
    # column gets dashes in proportion to its longest cell (long labels get room to breathe).
    values = [list(frame.iloc[:, i]) for i in range(len(columns))]  # each column read once (as itertuples reads it)
    widths = []
    for name, column in zip(columns, values):
        longest = max([len(_cell(name))] + [len(_cell(v)) for v in column])
        widths.append(min(max(longest, 9), 28) + 2)
    rule = {"l": lambda n: ":" + "-" * n, "r": lambda n: "-" * n + ":", "c": lambda n: ":" + "-" * n + ":"}
    lines = [
        "| " + " | ".join(_cell(c) for c in columns) + " |",
        "|" + "|".join(rule[a](w) for a, w in zip(align, widths)) + "|",
    ]
    for row in zip(*values):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    text = "\n".join(lines)
    if caption:
        text += f"\n\n: {caption}" + (f" {{#{label}}}" if label else "")
    if note:
        text += f"\n\n*{note}*"
    return text + "\n"

