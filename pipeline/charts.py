"""Charts for the reports: seaborn on matplotlib's Agg backend, saved as PNG files.

Each chart is written next to the report and referenced from Markdown with its caption and
alt text, so Quarto and the fallback renderer show the same figure, and the alt text can
be generated from the data (a static ``#| fig-alt`` cell option could not).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from . import fmt  # noqa: E402

PALETTE = sns.color_palette("colorblind")
FIGSIZE = (7.0, 3.4)
DPI = 150


def _swedish_axis(ax, percent: bool = False) -> None:
    formatter = (lambda v, _pos: fmt.percent(v)) if percent else (lambda v, _pos: fmt.number(v))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(formatter))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fixed date keeps PNG bytes identical between runs (reproducible reports).
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def grouped_bars(
    frame: pd.DataFrame, x: str, y: str, hue: str, path: Path, ylabel: str, hue_order: list[str] | None = None
) -> Path:
    """Bars per ``x`` (year) split by ``hue`` (sex)."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    sns.barplot(data=frame, x=x, y=y, hue=hue, hue_order=hue_order, palette=PALETTE[:2], ax=ax, errorbar=None)
    _swedish_axis(ax)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    ax.legend(title="", frameon=False, ncols=len(hue_order or frame[hue].unique()), loc="upper left",
              bbox_to_anchor=(0, 1.12))
    return _save(fig, path)


def lines(
    frame: pd.DataFrame, x: str, y: str, hue: str, path: Path, ylabel: str, percent: bool = False,
    hue_order: list[str] | None = None,
) -> Path:
    """One line per ``hue`` over ``x`` (year); gaps where a value is missing."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    sns.lineplot(data=frame, x=x, y=y, hue=hue, hue_order=hue_order, marker="o", palette=PALETTE[: frame[hue].nunique()],
                 ax=ax)
    _swedish_axis(ax, percent=percent)
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _pos: f"{int(v)}"))
    if percent:
        ax.set_ylim(0, 100)
    else:
        ax.set_ylim(bottom=0)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    ax.legend(title="", frameon=False, ncols=3, loc="upper left", bbox_to_anchor=(0, 1.15))
    return _save(fig, path)


def figure_markdown(path: Path, relative_to: Path, caption: str, alt: str, label: str) -> str:
    """Markdown for a figure: caption as pandoc's implicit figure, alt text as ``fig-alt``."""
    rel = Path(path).resolve().relative_to(Path(relative_to).resolve()).as_posix()
    alt = alt.replace('"', "'")
    return f'![{caption}]({rel}){{#{label} fig-alt="{alt}"}}\n'


def tornado(
    frame: pd.DataFrame, base_total: float, path: Path, xlabel: str,
    benchmarks: list[tuple[str, float]] | None = None,
) -> Path:
    """One bar per assumption from the total at its low share to the total at its high share.

    ``frame`` has ``label``, ``total_low`` and ``total_high`` and is drawn top to bottom in
    its order (widest swing first). ``base_total`` is drawn as a solid line, each benchmark
    as a dashed line with its label.
    """
    benchmarks = benchmarks or []
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 0.5 * len(frame) + 1.8))
    positions = list(range(len(frame)))
    ax.barh(positions, frame["total_low"] - base_total, left=base_total, color=PALETTE[0], height=0.6,
            label="Andelen på sitt lägsta värde")
    ax.barh(positions, frame["total_high"] - base_total, left=base_total, color=PALETTE[1], height=0.6,
            label="Andelen på sitt högsta värde")
    ax.axvline(base_total, color="#1d2330", linewidth=1.2)
    marks = [(f"Beräkningen\n{fmt.number(base_total)}", base_total, "#1d2330")]
    for label, value in benchmarks:
        ax.axvline(value, color="#666666", linestyle="--", linewidth=1)
        marks.append((label, value, "#444444"))
    for label, value, colour in marks:
        ax.text(value, -0.65, label, ha="center", va="bottom", fontsize=8, color=colour,
                bbox=dict(facecolor="white", edgecolor="none", pad=1.0))
    ax.set_yticks(positions, list(frame["label"]))
    ax.set_ylim(len(frame) - 0.4, -1.3)
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _pos: fmt.number(v)))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False, loc="lower right", fontsize=8)
    return _save(fig, path)
