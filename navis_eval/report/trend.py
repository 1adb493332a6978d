"""The trend over releases: how each check moved from run to run, and which questions flipped.

Runs are ordered by creation time and labelled by their ``--label`` (else engine name and
version, else run id). Two consecutive runs measured on a different dataset or rubric (content
hash) are *not comparable*: the plot marks the change with a red dashed line and never draws a line
across it, and the page says why instead of listing flipped questions. Rescoring the older run with
the new rubric (``navis-eval rescore``) makes them comparable again.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from navis_eval.errors import InputError
from navis_eval.jsonl import atomic_writer, write_json
from navis_eval.report import plots
from navis_eval.report.fmt import esc, pct, short_hash
from navis_eval.report.html import badge, img, page, rate_cell, table
from navis_eval.report.rundata import RunData, common_checks, flips_by_item, load_run, mismatches, pair_check

TREND_HTML = "trend.html"
TREND_JSON = "trend.json"
CHECKS_PNG = "trend_checks.png"
CANCER_TYPES_PNG = "trend_cancer_types.png"
MAX_FLIPS_LISTED = 100


def discover_runs(history: Path, *, labels: list[str] | None = None) -> tuple[list[Path], list[str]]:
    """Finished run directories directly under ``history`` (optionally only labels matching a glob).

    Returns the runs and notes about folders that were skipped (unfinished runs, no summary).
    """
    if not history.is_dir():
        raise InputError("not a directory", path=history, field="--history")
    found: list[Path] = []
    notes: list[str] = []
    for child in sorted(history.iterdir()):
        if child.name.startswith(".") or not (child / "manifest.json").is_file():
            continue
        if not (child / "summary.json").is_file() or not (child / "results.jsonl").is_file():
            notes.append(f"skipped {child.name}: not finished (no summary.json or results.jsonl)")
            continue
        found.append(child)
    if labels:
        kept = []
        for path in found:
            label = load_run_label(path)
            if label is not None and any(fnmatch.fnmatchcase(label, pattern) for pattern in labels):
                kept.append(path)
        found = kept
    return found, notes


def load_run_label(path: Path) -> str | None:
    from navis_eval.store import RunDir

    return RunDir.open(path).read_manifest().label


@dataclass(frozen=True)
class PairDiff:
    """Two consecutive runs: flipped questions, or why they were not compared."""

    before: int
    after: int
    comparable: bool
    reasons: list[str]
    newly_failing: dict[str, list[str]]
    newly_passing: dict[str, list[str]]


@dataclass
class Trend:
    runs: list[RunData]
    labels: list[str]
    checks: list[str]
    breaks: list[plots.Break]
    pairs: list[PairDiff]
    notes: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "runs": [
                {
                    "index": i,
                    "label": self.labels[i],
                    "run_id": r.run_id,
                    "created_at": r.manifest.created_at,
                    "engine": {
                        k: r.manifest.engine.get(k) for k in ("kind", "name", "version") if r.manifest.engine.get(k) is not None
                    },
                    "dataset": r.manifest.dataset.model_dump(mode="json", exclude={"path"}),
                    "rubric": r.manifest.rubric.model_dump(mode="json", exclude={"path"}),
                    "error_rate": r.summary.get("error_rate"),
                    "checks": r.summary.get("checks", {}),
                }
                for i, r in enumerate(self.runs)
            ],
            "breaks": [{"before_index": b.x, "reason": b.text} for b in self.breaks],
            "pairs": [
                {
                    "from": self.runs[p.before].run_id,
                    "to": self.runs[p.after].run_id,
                    "comparable": p.comparable,
                    "not_comparable_because": p.reasons,
                    "newly_failing": p.newly_failing,
                    "newly_passing": p.newly_passing,
                }
                for p in self.pairs
            ],
            "notes": self.notes,
        }


def _unique_labels(runs: list[RunData]) -> list[str]:
    labels = [r.display_name for r in runs]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return [f"{label} [{r.run_id}]" if counts[label] > 1 else label for label, r in zip(labels, runs, strict=True)]


def _break_text(before: RunData, after: RunData) -> str:
    parts = []
    for what in ("dataset", "rubric"):
        a, b = getattr(before.manifest, what), getattr(after.manifest, what)
        if a.hash != b.hash:
            if (a.name, a.version) != (b.name, b.version):
                parts.append(f"{what} {a.name} {a.version} → {b.name} {b.version}")
            else:
                parts.append(f"{what} {b.name} {b.version} changed ({short_hash(a.hash)} → {short_hash(b.hash)})")
    return "; ".join(parts)


def build_trend(paths: list[Path], *, notes: list[str] | None = None, last: int | None = None) -> Trend:
    """Load the runs, order them by creation time, and compare each with the one before it."""
    if not paths:
        raise InputError("no finished runs to compare", field="RUN_DIR")
    runs = [load_run(p) for p in paths]
    runs.sort(key=lambda r: (r.manifest.created_at, r.manifest.finished_at or "", r.run_id))
    if last is not None:
        runs = runs[-last:]
    checks: list[str] = []
    for run in runs:
        checks += [c for c in run.checks if c not in checks]
    breaks: list[plots.Break] = []
    pairs: list[PairDiff] = []
    for i in range(1, len(runs)):
        before, after = runs[i - 1], runs[i]
        reasons = mismatches(before.manifest, after.manifest)
        if reasons:
            breaks.append(plots.Break(i, _break_text(before, after)))
            pairs.append(PairDiff(i - 1, i, False, reasons, {}, {}))
            continue
        pairings = [pair_check(before, after, check) for check in common_checks(before, after)]
        failing, passing = flips_by_item(pairings, after.order)
        pairs.append(PairDiff(i - 1, i, True, [], failing, passing))
    return Trend(runs, _unique_labels(runs), checks, breaks, pairs, list(notes or []))


def _series(trend: Trend) -> dict[str, list[plots.TrendPoint]]:
    return {
        check: [plots.TrendPoint(i, run.summary.get("checks", {}).get(check)) for i, run in enumerate(trend.runs)]
        for check in trend.checks
    }


def _panels(trend: Trend) -> dict[str, dict[str, list[plots.TrendPoint]]]:
    cancer_types = sorted({ct for run in trend.runs for ct in run.summary.get("by_cancer_type", {})})
    return {
        ct: {
            check: [
                plots.TrendPoint(i, run.summary.get("by_cancer_type", {}).get(ct, {}).get(check))
                for i, run in enumerate(trend.runs)
            ]
            for check in trend.checks
        }
        for ct in cancer_types
    }


@dataclass(frozen=True)
class TrendOutputs:
    html: Path
    json: Path
    pngs: list[Path]


def write_trend(paths: list[Path], out_dir: Path, *, notes: list[str] | None = None, last: int | None = None) -> TrendOutputs:
    trend = build_trend(paths, notes=notes, last=last)
    colors = plots.check_colors(trend.checks)
    by_check = plots.trend_by_check_plot(trend.labels, _series(trend), trend.breaks, colors)
    by_type = plots.trend_small_multiples(trend.labels, _panels(trend), trend.breaks, colors)
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = []
    for name, data in ((CHECKS_PNG, by_check), (CANCER_TYPES_PNG, by_type)):
        target = out_dir / name
        if data is None:
            target.unlink(missing_ok=True)
            continue
        with atomic_writer(target, "wb") as handle:
            handle.write(data)
        pngs.append(target)
    html_path = out_dir / TREND_HTML
    with atomic_writer(html_path) as handle:
        handle.write(render_trend_html(trend, by_check, by_type))
    json_path = out_dir / TREND_JSON
    write_json(json_path, trend.to_json())
    return TrendOutputs(html_path, json_path, pngs)


# --- HTML ------------------------------------------------------------------------------------------


def _runs_table(trend: Trend) -> str:
    broken = {b.x for b in trend.breaks}
    rows = []
    for i, run in enumerate(trend.runs):
        m = run.manifest
        changed = badge("changed", "fail") if i in broken else ""
        engine = " ".join(str(m.engine[k]) for k in ("name", "version") if m.engine.get(k)) or str(m.engine.get("kind"))
        rows.append(
            [
                str(i + 1),
                f"<b>{esc(trend.labels[i])}</b>",
                f"<code>{esc(run.run_id)}</code>",
                esc(m.created_at[:19].replace("T", " ")),
                esc(engine),
                f"{esc(m.dataset.name)} {esc(m.dataset.version)} <code>{esc(short_hash(m.dataset.hash))}</code>",
                f"{esc(m.rubric.name)} {esc(m.rubric.version)} <code>{esc(short_hash(m.rubric.hash))}</code> {changed}",
                str(run.summary.get("items", 0)),
                esc(pct(run.summary.get("error_rate", 0.0))),
            ]
        )
    headers = [
        ("#", "num"),
        ("run", ""),
        ("run id", ""),
        ("created (UTC)", ""),
        ("engine", ""),
        ("dataset", ""),
        ("rubric", ""),
        ("items", "num"),
        ("errors", "num"),
    ]
    return table(headers, rows)


def _rates_table(trend: Trend) -> str:
    broken = {b.x for b in trend.breaks}
    headers = [("check", "")] + [(esc(label) + (" ⚠" if i in broken else ""), "cell") for i, label in enumerate(trend.labels)]
    rows = [
        [f"<b>{esc(check)}</b>"] + [rate_cell(run.summary.get("checks", {}).get(check)) for run in trend.runs]
        for check in trend.checks
    ]
    return table(headers, rows)


def _flip_list(flips: dict[str, list[str]]) -> str:
    if not flips:
        return '<p class="small">none</p>'
    items = list(flips.items())
    rows = "".join(
        f"<li><code>{esc(item_id)}</code>: {esc(', '.join(checks))}</li>" for item_id, checks in items[:MAX_FLIPS_LISTED]
    )
    more = f"<li>… {len(items) - MAX_FLIPS_LISTED} more in trend.json</li>" if len(items) > MAX_FLIPS_LISTED else ""
    return f"<ul>{rows}{more}</ul>"


def _pairs_html(trend: Trend) -> str:
    parts = ['<section id="pairs"><h2>Run to run: newly failing and newly passing questions</h2>']
    if not trend.pairs:
        parts.append('<p class="small">Only one run: nothing to compare.</p>')
    for pair in reversed(trend.pairs):  # newest first
        a, b = trend.labels[pair.before], trend.labels[pair.after]
        parts.append(f"<h3>{esc(a)} → {esc(b)}</h3>")
        if not pair.comparable:
            parts.append(
                '<p class="warn"><b>Not compared</b>: ' + esc("; ".join(pair.reasons)) + ". The checks measured something "
                "different, so flipped questions would mix engine and measurement changes. Rescore the earlier run with the "
                "new rubric (<code>navis-eval rescore</code>) to compare them.</p>"
            )
            continue
        parts.append(f"<p><b>Newly failing ({len(pair.newly_failing)})</b></p>{_flip_list(pair.newly_failing)}")
        parts.append(f"<p><b>Newly passing ({len(pair.newly_passing)})</b></p>{_flip_list(pair.newly_passing)}")
    parts.append("</section>")
    return "\n".join(parts)


def render_trend_html(trend: Trend, by_check: bytes | None, by_type: bytes | None) -> str:
    first, last = trend.runs[0], trend.runs[-1]
    body = [
        f"<h1>Trend over {len(trend.runs)} runs</h1>",
        f'<p class="meta">from <b>{esc(trend.labels[0])}</b> ({esc(first.manifest.created_at[:10])}) to '
        f"<b>{esc(trend.labels[-1])}</b> ({esc(last.manifest.created_at[:10])}), ordered by creation time</p>",
    ]
    for b in trend.breaks:
        body.append(
            f'<p class="warn">Between <b>{esc(trend.labels[b.x - 1])}</b> and <b>{esc(trend.labels[b.x])}</b>: '
            f"{esc(b.text)}. Pass rates on either side of the red dashed line are not comparable.</p>"
        )
    for note in trend.notes:
        body.append(f'<p class="small">{esc(note)}</p>')
    body += [
        '<section id="runs"><h2>Runs</h2>',
        _runs_table(trend),
        "</section>",
        '<section id="checks"><h2>Pass rate per check</h2>',
        img(by_check, "pass rate per check over runs"),
        _rates_table(trend),
        '<p class="small">Band and hover: 95% Wilson interval. ⚠ marks a run measured on another dataset or rubric than the run '
        "before it.</p></section>",
        '<section id="cancer-types"><h2>Per cancer type</h2>',
        img(by_type, "pass rate per check over runs, one panel per cancer type"),
        "</section>",
        _pairs_html(trend),
    ]
    return page(f"navis-eval trend · {trend.labels[-1]}", "\n".join(body))
