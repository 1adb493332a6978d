"""Plots for the run and trend reports, as PNG bytes.

Matplotlib is used through its object API on the Agg canvas (no pyplot, no global figure state,
safe in any thread and whatever backend the user configured), with a fixed style and no
timestamps or software tag in the PNG, so the same numbers give the same bytes. The plots draw
numbers computed elsewhere (summary entries with Wilson intervals); they compute nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

DPI = 100
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "svg.hashsalt": "navis-eval",
    "path.simplify": False,
}
_PASS_CMAP = "RdYlGn"


def _label(text: Any, limit: int = 40) -> str:
    """Plain text for matplotlib: no mathtext (``$``), bounded length."""
    value = str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.replace("\\", "\\\\").replace("$", r"\$")


@contextmanager
def _figure(width: float, height: float) -> Iterator[Any]:
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # "default" first: the user's matplotlibrc must not change the report's bytes.
    with matplotlib.style.context(["default", _STYLE]):
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        yield fig


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches=None)
    return buffer.getvalue()


def check_colors(checks: Sequence[str]) -> dict[str, Any]:
    """A stable colour per check (by position in the given order)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    palette = [cmap(i) for i in range(cmap.N)]
    return {name: palette[i % len(palette)] for i, name in enumerate(checks)}


def pass_rates_plot(entries: dict[str, dict[str, Any]]) -> bytes | None:
    """Pass rate per check with its 95% Wilson interval (a forest plot)."""
    rows = [(name, e) for name, e in entries.items() if e.get("n")]
    if not rows:
        return None
    with _figure(7.5, 1.0 + 0.42 * len(rows)) as fig:
        ax = fig.add_subplot(1, 1, 1)
        ordered = list(reversed(rows))
        for y, (_, entry) in enumerate(ordered):
            ax.plot(
                [entry["ci_low"], entry["ci_high"]], [y, y], color="#4a5568", linewidth=2.2, solid_capstyle="butt", clip_on=False
            )
            ax.plot([entry["pass_rate"]], [y], "o", color="#1a56db", markersize=7, zorder=3, clip_on=False)
        ax.set_yticks(range(len(ordered)), [_label(name) for name, _ in ordered])
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.6, len(ordered) - 0.4)
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.set_xlabel("pass rate (dot) with 95% Wilson interval (bar); unscored items excluded")
        right = ax.twinx()
        right.set_ylim(ax.get_ylim())
        right.set_yticks(range(len(ordered)), [f"{e['pass_rate'] * 100:.1f}%  n={e['n']}" for _, e in ordered])
        right.tick_params(length=0, pad=12)
        right.grid(False)
        return _png(fig)


def _percent_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: f"{value * 100:.0f}%")


def heatmap(
    rows: Sequence[str], columns: Sequence[str], cells: dict[tuple[str, str], dict[str, Any]], *, row_title: str
) -> bytes | None:
    """Pass rate per (row, check) cell, annotated with the rate and n; empty cells stay grey."""
    import numpy as np

    if not rows or not columns:
        return None
    values = np.full((len(rows), len(columns)), np.nan)
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            entry = cells.get((row, column))
            if entry and entry.get("n"):
                values[i, j] = entry["pass_rate"]
    width = min(14.0, 2.6 + 1.25 * len(columns))
    height = 1.3 + 0.38 * len(rows)
    with _figure(width, height) as fig:
        from matplotlib import colormaps

        ax = fig.add_subplot(1, 1, 1)
        cmap = colormaps[_PASS_CMAP].with_extremes(bad="#e2e8f0")
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
        ax.grid(False)
        for i, row in enumerate(rows):
            for j, column in enumerate(columns):
                entry = cells.get((row, column))
                if entry and entry.get("n"):
                    rate = entry["pass_rate"]
                    color = "white" if rate < 0.25 or rate > 0.85 else "black"
                    ax.text(j, i, f"{rate * 100:.0f}%\nn={entry['n']}", ha="center", va="center", fontsize=7, color=color)
                else:
                    ax.text(j, i, "–", ha="center", va="center", fontsize=8, color="#718096")
        ax.set_xticks(range(len(columns)), [_label(c, 24) for c in columns], rotation=30, ha="right")
        ax.set_yticks(range(len(rows)), [_label(r, 28) for r in rows])
        ax.set_ylabel(row_title)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        colorbar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        colorbar.ax.yaxis.set_major_formatter(_percent_formatter())
        return _png(fig)


# --- Trend -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    x: int
    entry: dict[str, Any] | None  # summary entry (pass_rate, ci_low, ci_high, n) or None


@dataclass(frozen=True)
class Break:
    """Between run x-1 and run x the dataset or rubric changed: those runs are not compared."""

    x: int
    text: str


def _segments(points: Sequence[TrendPoint], breaks: Sequence[Break]) -> list[list[TrendPoint]]:
    """Split a series at every break and at every gap, so lines never join incomparable runs."""
    cut = {b.x for b in breaks}
    segments: list[list[TrendPoint]] = []
    current: list[TrendPoint] = []
    for point in points:
        has_value = point.entry is not None and bool(point.entry.get("n"))
        if point.x in cut or not has_value:
            if current:
                segments.append(current)
            current = []
        if has_value:
            current.append(point)
    if current:
        segments.append(current)
    return segments


def _draw_series(
    ax: Any, points: Sequence[TrendPoint], breaks: Sequence[Break], color: Any, label: str | None, *, bands: bool = True
) -> None:
    first = True
    for segment in _segments(points, breaks):
        xs = [p.x for p in segment]
        rates = [p.entry["pass_rate"] for p in segment]  # type: ignore[index]
        lows = [p.entry["ci_low"] for p in segment]  # type: ignore[index]
        highs = [p.entry["ci_high"] for p in segment]  # type: ignore[index]
        if not bands:
            ax.plot(xs, rates, "o-", color=color, markersize=3.5, linewidth=1.4, label=label if first else None)
        elif len(xs) == 1:
            ax.errorbar(
                xs,
                rates,
                yerr=[[rates[0] - lows[0]], [highs[0] - rates[0]]],
                fmt="o",
                color=color,
                capsize=3,
                markersize=4,
                label=label if first else None,
            )
        else:
            ax.fill_between(xs, lows, highs, color=color, alpha=0.15, linewidth=0)
            ax.plot(xs, rates, "o-", color=color, markersize=4, linewidth=1.6, label=label if first else None)
        first = False


def _mark_breaks(ax: Any, breaks: Sequence[Break], *, annotate: bool) -> None:
    for b in breaks:
        ax.axvline(b.x - 0.5, color="#c53030", linestyle="--", linewidth=1.2, zorder=1)
        if annotate:
            ax.annotate(
                _label(b.text, 60),
                (b.x - 0.45, 0.02),
                xycoords=("data", "axes fraction"),
                rotation=90,
                fontsize=7,
                color="#c53030",
                va="bottom",
                ha="left",
            )


def _run_axis(ax: Any, labels: Sequence[str], *, show: bool) -> None:
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_ylim(-0.03, 1.03)
    ax.yaxis.set_major_formatter(_percent_formatter())
    if show:
        ax.set_xticks(range(len(labels)), [_label(v, 22) for v in labels], rotation=35, ha="right")
    else:
        ax.set_xticks(range(len(labels)), [""] * len(labels))


def trend_by_check_plot(
    labels: Sequence[str], series: dict[str, list[TrendPoint]], breaks: Sequence[Break], colors: dict[str, Any]
) -> bytes | None:
    """One panel per check: pass rate over runs with the Wilson band; breaks marked, never bridged."""
    if not series or not labels:
        return None
    checks = list(series)
    cols = 2 if len(checks) > 1 else 1
    nrows = (len(checks) + cols - 1) // cols
    with _figure(6.0 * cols, 0.8 + 2.6 * nrows) as fig:
        axes = fig.subplots(nrows, cols, squeeze=False, sharex=True)
        for index, check in enumerate(checks):
            ax = axes[index // cols][index % cols]
            _draw_series(ax, series[check], breaks, colors[check], None)
            _mark_breaks(ax, breaks, annotate=True)
            ax.set_title(_label(check))
            _run_axis(ax, labels, show=index // cols == nrows - 1 or index + cols >= len(checks))
        for index in range(len(checks), nrows * cols):
            axes[index // cols][index % cols].set_visible(False)
        fig.suptitle(
            "Pass rate per check over runs (band: 95% Wilson interval; red dashed line: dataset or rubric changed)", fontsize=9
        )
        return _png(fig)


def trend_small_multiples(
    labels: Sequence[str],
    panels: dict[str, dict[str, list[TrendPoint]]],
    breaks: Sequence[Break],
    colors: dict[str, Any],
) -> bytes | None:
    """One panel per cancer type, one line per check (no bands: six overlapping bands hide the lines;
    the intervals are in the per-check plot and in trend.json)."""
    if not panels or not labels:
        return None
    names = list(panels)
    cols = min(3, len(names))
    nrows = (len(names) + cols - 1) // cols
    with _figure(4.6 * cols, 1.2 + 2.5 * nrows) as fig:
        axes = fig.subplots(nrows, cols, squeeze=False, sharex=True, sharey=True)
        for index, name in enumerate(names):
            ax = axes[index // cols][index % cols]
            for check, points in panels[name].items():
                _draw_series(ax, points, breaks, colors[check], _label(check) if index == 0 else None, bands=False)
            _mark_breaks(ax, breaks, annotate=False)
            ax.set_title(_label(name))
            _run_axis(ax, labels, show=index // cols == nrows - 1 or index + cols >= len(names))
        for index in range(len(names), nrows * cols):
            axes[index // cols][index % cols].set_visible(False)
        handles, legend_labels = axes[0][0].get_legend_handles_labels()
        if handles:
            fig.legend(handles, legend_labels, loc="outside upper center", ncol=min(6, len(handles)))
        return _png(fig)
