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
