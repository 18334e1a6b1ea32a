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

from ..core import fmt  # noqa: E402

PALETTE = sns.color_palette("colorblind")
FIGSIZE = (7.0, 3.4)
DPI = 300  # sharp when zoomed or printed


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


def likert(
    frame: pd.DataFrame, negative: list[str], positive: list[str], dont_know: str | None, path: Path,
    groups: list[str],
) -> Path:
    """Diverging bars: one row per group, negative labels left of zero, positive right.

    ``frame`` has ``group``, ``label`` and ``pct`` (share of everyone answering, Vet ej
    included). ``Vet ej`` is drawn apart, in its own panel to the right, so it neither
    pushes the scale nor disappears.
    """
    colours_neg = sns.color_palette("RdBu", 2 * max(len(negative), len(positive)) + 1)
    n_side = max(len(negative), len(positive))
    colour = {}
    for i, label in enumerate(reversed(negative)):  # nearest zero first, lighter
        colour[label] = colours_neg[n_side - 1 - i]
    for i, label in enumerate(positive):
        colour[label] = colours_neg[n_side + 1 + i]
    fig, (ax, ax_dk) = plt.subplots(1, 2, figsize=(FIGSIZE[0], 0.55 * len(groups) + 1.5),
                                    gridspec_kw={"width_ratios": [5, 1]}, sharey=True)
    pct = frame.set_index(["group", "label"])["pct"]
    for row, group in enumerate(groups):
        left = 0.0
        for label in reversed(negative):
            width = float(pct.get((group, label), 0.0))
            ax.barh(row, -width, left=left, color=colour[label], height=0.6,
                    label=label if row == 0 else None)
            left -= width
        left = 0.0
        for label in positive:
            width = float(pct.get((group, label), 0.0))
            ax.barh(row, width, left=left, color=colour[label], height=0.6, label=label if row == 0 else None)
            left += width
        if dont_know:
            value = float(pct.get((group, dont_know), 0.0))
            ax_dk.barh(row, value, color="#b0b0b0", height=0.6)
            ax_dk.text(value + 1, row, fmt.percent(value), va="center", fontsize=7)
    ax.axvline(0, color="#1d2330", linewidth=0.8)
    ax.set_xlim(-100, 100)
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _pos: fmt.percent(abs(v))))
    ax.set_yticks(range(len(groups)), groups)
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    handles, labels = ax.get_legend_handles_labels()
    order = [labels.index(lbl) for lbl in list(negative) + list(positive) if lbl in labels]
    ax.legend([handles[i] for i in order], [labels[i] for i in order], frameon=False,
              ncols=len(order), loc="upper center", bbox_to_anchor=(0.6, -0.18), fontsize=7)
    ax_dk.set_xlim(0, 100)
    ax_dk.set_title(dont_know or "", fontsize=8)
    ax_dk.xaxis.set_major_locator(mticker.FixedLocator([0, 50]))
    ax_dk.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _pos: fmt.percent(v)))
    ax_dk.spines[["top", "right"]].set_visible(False)
    if not dont_know:
        ax_dk.set_visible(False)
    return _save(fig, path)


def sorted_bars(frame: pd.DataFrame, label: str, value: str, path: Path, xlabel: str) -> Path:
    """Horizontal bars sorted by ``value``, largest on top, each with its number."""
    frame = frame.sort_values(value, ascending=False, kind="stable")
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 0.32 * len(frame) + 1.0))
    ax.barh(range(len(frame)), frame[value], color=PALETTE[0], height=0.65)
    for i, v in enumerate(frame[value]):
        ax.text(v, i, f" {fmt.number(v)}", va="center", fontsize=7)
    ax.set_yticks(range(len(frame)), list(frame[label]))
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _pos: fmt.number(v)))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel)
    return _save(fig, path)


def forest(frame: pd.DataFrame, path: Path, xlabel: str) -> Path:
    """Odds ratios with confidence intervals on a log axis, one row per ``label``, a line at 1."""
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 0.42 * len(frame) + 1.0))
    positions = list(range(len(frame)))
    ax.errorbar(frame["estimate"], positions,
                xerr=[frame["estimate"] - frame["ci_low"], frame["ci_high"] - frame["estimate"]],
                fmt="o", color=PALETTE[0], ecolor=PALETTE[0], capsize=3)
    ax.axvline(1.0, color="#1d2330", linewidth=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(mticker.FixedLocator([0.25, 0.5, 1, 2, 4]))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _pos: fmt.number(v, 2 if v < 1 else 0)))
    low = min(0.2, float(frame["ci_low"].min()) * 0.8)
    high = max(5.0, float(frame["ci_high"].max()) * 1.25)
    ax.set_xlim(low, high)
    ax.set_yticks(positions, list(frame["label"]))
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel)
    return _save(fig, path)


def _save_svg(fig, path: Path) -> Path:
    """A small vector chart: no raster, fonts as paths, no date and fixed ids (the same bytes every run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"svg.hashsalt": "finsam", "svg.fonttype": "path"}):
        fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return path


def funnel_plot(n, rate, centre: float, n_curve, limits: dict[str, tuple], path: Path, xlabel: str,
                ylabel: str) -> Path:
    """A funnel plot (SVG): one point per unit (``n`` against ``rate``), the centre line and, per
    named limit, the lower and upper control limits over ``n_curve`` (log x axis)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    styles = ["--", ":"]
    for (name, (low, high)), style in zip(limits.items(), styles):
        ax.plot(n_curve, low, style, color="#555555", linewidth=1, label=f"Kontrollgräns {name}")
        ax.plot(n_curve, high, style, color="#555555", linewidth=1)
    ax.axhline(centre, color="#1d2330", linewidth=1, label=f"Riket {fmt.number(centre, 1)}")
    ax.scatter(n, rate, s=14, color=PALETTE[0], zorder=3, label="Förbund")
    ax.set_xscale("log")
    swedish = mticker.FuncFormatter(lambda v, _pos: fmt.number(v))
    ax.xaxis.set_major_formatter(swedish)
    low, high = ax.get_xlim()  # within one decade the labels are on the minor ticks; beyond it they would crowd
    ax.xaxis.set_minor_formatter(swedish if high / low < 10 else mticker.NullFormatter())
    ax.yaxis.set_major_formatter(swedish)
    ax.set_ylim(bottom=0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8)
    return _save_svg(fig, path)


def svg_bars(frame: pd.DataFrame, category: str, value: str, hue: str, path: Path, xlabel: str) -> Path:
    """A small horizontal bar chart (one group per ``category``, one bar per ``hue``, each with its
    number), written as SVG text directly (no figure, no renderer).

    Our own drawing, on purpose: one matplotlib figure costs 0,1–0,4 s (docs/performance.md), and the
    förbund reports draw one per report, 560 times; four bars, their numbers, a legend and an axis
    title need no plotting library. Text stays text (readable by screen readers and in PDF)."""
    from html import escape

    categories = list(dict.fromkeys(frame[category]))
    hues = list(dict.fromkeys(frame[hue]))
    colours = [matplotlib.colors.to_hex(c) for c in PALETTE[: len(hues)]]
    left, bar, gap, width, top = 170, 18, 10, 250, 34
    top_value = max(float(frame[value].max()), 1e-9)
    height = top + len(categories) * (len(hues) * bar + gap) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 70}" height="{height}" '
           f'viewBox="0 0 {left + width + 70} {height}" font-family="Arial, Helvetica, sans-serif" font-size="12">']
    for j, (h, colour) in enumerate(zip(hues, colours)):  # legend
        x = left + j * 200
        out.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 17}" y="16">{escape(str(h))}</text>')
    y = top
    for c in categories:
        out.append(f'<text x="{left - 8}" y="{y + len(hues) * bar / 2 + 4:.0f}" text-anchor="end">{escape(str(c))}</text>')
        for h, colour in zip(hues, colours):
            row = frame[(frame[category] == c) & (frame[hue] == h)]
            if not row.empty:
                v = float(row[value].iloc[0])
                w = width * v / top_value
                out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 3}" fill="{colour}"/>'
                           f'<text x="{left + w + 4:.1f}" y="{y + bar - 6}">{fmt.number(v, 1)}</text>')
            y += bar
        y += gap
    out.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{y - gap + 2}" stroke="#1d2330"/>'
               f'<text x="{left + width / 2:.0f}" y="{y + 16}" text-anchor="middle">{escape(xlabel)}</text></svg>')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def svg_intervals(rows: list[dict], path: Path, xlabel: str) -> Path:
    """A comparison chart (SVG written directly, like :func:`svg_bars`): one line per row with the
    band ``low998``–``high998`` (light) and ``low95``–``high95`` (darker), a tick at ``centre`` and a
    dot at ``value``; values in per cent on a 0–100 axis. Each row's label and value are text."""
    from html import escape

    left, width, row, top = 300, 300, 22, 30
    x = lambda v: left + width * max(0.0, min(100.0, float(v))) / 100  # noqa: E731
    height = top + row * len(rows) + 36
    dot, band = matplotlib.colors.to_hex(PALETTE[0]), "#c9d3e0"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 70}" height="{height}" '
           f'viewBox="0 0 {left + width + 70} {height}" font-family="Arial, Helvetica, sans-serif" font-size="12">',
           f'<rect x="{left}" y="8" width="14" height="10" fill="#e6ebf2"/><text x="{left + 18}" y="17">99,8{fmt.NBSP}%</text>'
           f'<rect x="{left + 70}" y="8" width="14" height="10" fill="{band}"/><text x="{left + 88}" y="17">95{fmt.NBSP}%</text>'
           f'<line x1="{left + 140}" y1="6" x2="{left + 140}" y2="20" stroke="#1d2330" stroke-width="2"/>'
           f'<text x="{left + 146}" y="17">Riket</text>'
           f'<circle cx="{left + 200}" cy="13" r="5" fill="{dot}"/><text x="{left + 209}" y="17">Förbundet</text>']
    for i, r in enumerate(rows):
        y = top + i * row
        mid = y + row / 2
        out.append(f'<text x="{left - 8}" y="{mid + 4:.0f}" text-anchor="end">{escape(str(r["label"]))[:48]}</text>')
        out.append(f'<rect x="{x(r["low998"]):.1f}" y="{y + 4}" width="{x(r["high998"]) - x(r["low998"]):.1f}" '
                   f'height="{row - 8}" fill="#e6ebf2"/>')
        out.append(f'<rect x="{x(r["low95"]):.1f}" y="{y + 4}" width="{x(r["high95"]) - x(r["low95"]):.1f}" '
                   f'height="{row - 8}" fill="{band}"/>')
        out.append(f'<line x1="{x(r["centre"]):.1f}" y1="{y + 2}" x2="{x(r["centre"]):.1f}" y2="{y + row - 2}" '
                   f'stroke="#1d2330" stroke-width="2"/>')
        out.append(f'<circle cx="{x(r["value"]):.1f}" cy="{mid:.1f}" r="5" fill="{dot}"/>'
                   f'<text x="{left + width + 8}" y="{mid + 4:.0f}">{fmt.percent(r["value"])}</text>')
    base = top + row * len(rows)
    out.append(f'<line x1="{left}" y1="{base}" x2="{left + width}" y2="{base}" stroke="#1d2330"/>')
    for tick in range(0, 101, 20):
        out.append(f'<text x="{x(tick):.0f}" y="{base + 14}" text-anchor="middle">{tick}</text>')
    out.append(f'<text x="{left + width / 2:.0f}" y="{base + 30}" text-anchor="middle">{escape(xlabel)}</text></svg>')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path
