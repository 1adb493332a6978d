"""The run report: ``report.html`` (one self-contained page) and ``report.md`` (a PR comment).

The page answers, top to bottom: did this release pass (the gate verdict, if the gate ran on this
run), how does each check do (pass rate with its 95% Wilson interval), where (cancer type x check,
category, risk), did the engine misbehave (errors, latency), and which answers to read first
(flagged answers, failed checks first, with the offending spans marked and, for grounding, the
context sentence that supports each claim).

Every number comes from ``summary.json`` or ``gate.json``; nothing is recomputed here. The output
depends only on the run directory (and the gold questions), never on the clock, so the same run
gives the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from navis_eval.errors import InputError, NavisError
from navis_eval.jsonl import atomic_writer
from navis_eval.models import RunManifest
from navis_eval.report import plots
from navis_eval.report.fmt import ci, esc, md_code, md_text, pct, short_hash
from navis_eval.report.gate import read_gate_json
from navis_eval.report.html import badge, img, page, rate_cell, table
from navis_eval.report.judge_section import judge_html, judge_markdown
from navis_eval.report.rundata import load_run
from navis_eval.store import RunDir

REPORT_HTML = "report.html"
REPORT_MD = "report.md"
MAX_FLAGGED = 100
MAX_ERRORS_LISTED = 50
MD_MAX_FLAGGED = 10
_VERDICT_RULES = 12
_STATUS_RANK = {"failed": 0, "unscored": 1, "passed": 2}


@dataclass
class Flagged:
    """An answer with at least one failed check, and everything needed to show why."""

    item_id: str
    rank: int
    risk: str | None
    cancer_type: str | None
    category: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] == "failed"]

    def sort_key(self) -> tuple[int, int, int]:
        return (0 if self.risk == "high" else 1, -len(self.failed), self.rank)


@dataclass
class ReportData:
    run: RunDir
    manifest: RunManifest
    summary: dict[str, Any]
    checks: list[str]
    display_name: str
    gate: dict[str, Any] | None
    gate_stale: bool
    flagged: list[Flagged]
    flagged_total: int
    answers: dict[str, dict[str, Any]]
    errors: list[dict[str, Any]]
    questions: dict[str, str]


def _questions(manifest: RunManifest, wanted: set[str]) -> dict[str, str]:
    """Question text for the flagged items, from the run's dataset when it can still be read."""
    if not wanted:
        return {}
    try:
        from navis_eval.dataset import load_dataset

        dataset = load_dataset(manifest.dataset.path)
    except (NavisError, OSError, ValueError):
        return {}
    return {i.id: i.question for i in dataset.items if i.id in wanted}


def _read_answers(run: RunDir, wanted: set[str]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Answers of the flagged items, and every engine error (last journal line per item wins)."""
    answers: dict[str, dict[str, Any]] = {}
    errors: dict[str, dict[str, Any]] = {}
    if not run.answers_path.exists():
        return answers, []
    with open(run.answers_path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line: the journal reader owns repairs
            item_id = str(record.get("item_id"))
            if record.get("error"):
                errors[item_id] = record
                answers.pop(item_id, None)
            else:
                errors.pop(item_id, None)
                if item_id in wanted:
                    answers[item_id] = record
    order = {item_id: i for i, item_id in enumerate(run.item_ids())} if run.items_path.exists() else {}
    listed = sorted(errors.values(), key=lambda r: (order.get(str(r.get("item_id")), len(order)), str(r.get("item_id"))))
    return answers, listed


def load_report_data(run_path: Path, *, max_flagged: int = MAX_FLAGGED) -> ReportData:
    data = load_run(run_path)
    run = data.run
    rank = {item_id: i for i, item_id in enumerate(data.order)}
    failing_items = {
        item_id for item_id, per_check in data.outcomes.items() if any(o.status == "failed" for o in per_check.values())
    }
    flagged: dict[str, Flagged] = {}
    for row in run.iter_results():
        item_id = row["item_id"]
        if item_id not in failing_items:
            continue
        if item_id not in flagged:
            flagged[item_id] = Flagged(
                item_id, rank.get(item_id, len(rank)), row.get("risk"), row.get("cancer_type"), row.get("category")
            )
        flagged[item_id].rows.append(row)
    ordered = sorted(flagged.values(), key=Flagged.sort_key)
    shown = ordered[:max_flagged]
    for item in shown:
        item.rows.sort(key=lambda r: _STATUS_RANK.get(r["status"], 3))  # failed checks first; stable otherwise
    wanted = {f.item_id for f in shown}
    answers, errors = _read_answers(run, wanted)
    gate = read_gate_json(run.path)
    stale = gate is not None and gate.get("results_sha256") != data.results_digest()
    return ReportData(
        run=run,
        manifest=data.manifest,
        summary=data.summary,
        checks=data.checks,
        display_name=data.display_name,
        gate=gate,
        gate_stale=stale,
        flagged=shown,
        flagged_total=len(ordered),
        answers=answers,
        errors=errors,
        questions=_questions(data.manifest, wanted),
    )


# --- HTML ------------------------------------------------------------------------------------------


def _header(d: ReportData) -> str:
    m = d.manifest
    engine = m.engine
    engine_text = " ".join(str(engine[k]) for k in ("name", "version") if engine.get(k)) or str(engine.get("kind", "?"))
    if engine.get("model"):
        engine_text += f" (model {engine['model']})"
    lines = [
        f"<h1>Run report: {esc(d.display_name)}</h1>",
        f'<p class="meta">run <code>{esc(m.run_id)}</code> · status {esc(m.status)} · created {esc(m.created_at)}'
        + (f" · finished {esc(m.finished_at)}" if m.finished_at else "")
        + "</p>",
        f'<p class="meta">engine <b>{esc(engine_text)}</b> ({esc(engine.get("kind", "?"))}, fingerprint '
        f"<code>{esc(engine.get('fingerprint', '-'))}</code>)</p>",
        f'<p class="meta">dataset <b>{esc(m.dataset.name)} {esc(m.dataset.version)}</b> '
        f"<code>{esc(short_hash(m.dataset.hash))}</code>"
        f" · rubric <b>{esc(m.rubric.name)} {esc(m.rubric.version)}</b> <code>{esc(short_hash(m.rubric.hash))}</code>"
        f" · harness {esc(m.harness_version)}"
        + (f" · commit <code>{esc(m.git_commit[:12])}</code>" if m.git_commit else "")
        + "</p>",
    ]
    return "\n".join(lines)


def _verdict_html(d: ReportData) -> str:
    s = d.summary
    if d.gate is not None and not d.gate_stale:
        g = d.gate
        verdict = g.get("verdict", "fail")
        counts = g.get("counts", {})
        policy = g.get("policy", {})
        title = "PASS" if verdict == "pass" else "FAIL"
        parts = [f'<section class="verdict {esc(verdict)}" id="verdict"><h2>Release gate: {title}</h2>']
        line = (
            f"policy <b>{esc(policy.get('name'))} {esc(policy.get('version'))}</b> "
            f"(<code>{esc(Path(str(policy.get('path', ''))).name)}</code>)"
            f" · {counts.get('fail', 0)} failed, {counts.get('pass', 0)} passed, {counts.get('skip', 0)} skipped rules"
        )
        if g.get("baseline"):
            line += (
                f" · baseline <b>{esc(g['baseline'].get('display_name'))}</b> (<code>{esc(g['baseline'].get('run_id'))}</code>)"
            )
            line += f" · {len(g.get('newly_failing', {}))} newly failing, {len(g.get('newly_passing', {}))} newly passing items"
        parts.append(f"<p>{line}</p>")
        for warning in g.get("warnings", []):
            parts.append(f'<p class="warn">{esc(warning)}</p>')
        failed = [r for r in g.get("rules", []) if r.get("status") == "fail"]
        if failed:
            parts.append("<ul>")
            for rule in failed[:_VERDICT_RULES]:
                title_text = " · ".join(
                    x for x in (rule.get("kind", "").replace("_", " "), rule.get("scope"), rule.get("check")) if x
                )
                parts.append(
                    f"<li><b>{esc(title_text)}</b>: {esc(rule.get('observed'))} (required {esc(rule.get('threshold'))})"
                    + (f'<br><span class="small">{esc(rule.get("detail"))}</span>' if rule.get("detail") else "")
                    + "</li>"
                )
            if len(failed) > _VERDICT_RULES:
                parts.append(f"<li>… {len(failed) - _VERDICT_RULES} more failed rules in gate.md</li>")
            parts.append("</ul>")
        parts.append("</section>")
        return "\n".join(parts)
    parts = ['<section class="verdict info" id="verdict"><h2>Not gated</h2>']
    if d.gate_stale:
        parts.append(
            '<p class="warn">A gate.json is present but was computed on other results (the run was rescored since); '
            "run <code>navis-eval gate</code> again.</p>"
        )
    answered, errors = s.get("answered", 0), s.get("errors", 0)
    parts.append(
        f"<p>{d.flagged_total} of {answered} answered items failed at least one check; "
        f"{errors} engine errors ({esc(pct(s.get('error_rate', 0.0)))}). "
        "Run <code>navis-eval gate RUN_DIR --policy evals/gate.yaml</code> for a release verdict.</p>"
    )
    scored = [(name, e) for name, e in s.get("checks", {}).items() if e.get("n")]
    if scored:
        name, entry = min(scored, key=lambda kv: (kv[1]["pass_rate"], kv[0]))
        parts.append(f"<p>Lowest pass rate: <b>{esc(name)}</b> {esc(pct(entry['pass_rate']))} (95% CI {esc(ci(entry))}).</p>")
    if d.manifest.status != "complete":
        parts.append(
            f'<p class="warn">The run is {esc(d.manifest.status)}: '
            f"{esc(d.manifest.stop_reason or 'not every item was answered')}.</p>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _checks_html(d: ReportData) -> str:
    entries = d.summary.get("checks", {})
    rows = []
    for name in d.checks:
        e = entries.get(name, {})
        mean = e.get("mean_score")
        rows.append(
            [
                f"<b>{esc(name)}</b>",
                esc(pct(e.get("pass_rate"))),
                esc(ci(e)),
                str(e.get("passed", 0)),
                str(e.get("failed", 0)),
                str(e.get("unscored", 0)),
                "–" if mean is None else f"{mean:.3f}",
            ]
        )
    headers = [
        ("check", ""),
        ("pass rate", "num"),
        ("95% CI (Wilson)", "num"),
        ("passed", "num"),
        ("failed", "num"),
        ("unscored", "num"),
        ("mean score", "num"),
    ]
    return (
        '<section id="checks"><h2>Pass rate per check</h2>'
        + table(headers, rows)
        + img(
            plots.pass_rates_plot({n: entries[n] for n in d.checks if n in entries}),
            "pass rate per check with 95% Wilson intervals",
        )
        + '<p class="small">Unscored means the check could not judge the answer (for example grounding without contexts); '
        "it counts neither as a pass nor as a failure.</p></section>"
    )


def _slice_cells(d: ReportData, key: str) -> tuple[list[str], dict[tuple[str, str], dict[str, Any]]]:
    groups = d.summary.get(key, {})
    cells = {(value, check): entry for value, per_check in groups.items() for check, entry in per_check.items()}
    return list(groups), cells


def _slice_table(d: ReportData, key: str, title: str) -> str:
    values, cells = _slice_cells(d, key)
    if not values:
        return f'<p class="small">No {esc(title)} breakdown.</p>'
    headers = [(esc(title), "")] + [(esc(c), "cell") for c in d.checks]
    rows = [[esc(v)] + [rate_cell(cells.get((v, c))) for c in d.checks] for v in values]
    return table(headers, rows)


def _breakdowns_html(d: ReportData) -> str:
    values, cells = _slice_cells(d, "by_cancer_type")
    heat = plots.heatmap(values, d.checks, cells, row_title="cancer type")
    return (
        '<section id="cancer-types"><h2>Cancer type × check</h2>'
        + img(heat, "heatmap of pass rate by cancer type and check")
        + "<details><summary>as a table</summary>"
        + _slice_table(d, "by_cancer_type", "cancer type")
        + "</details></section>"
        + '<section id="breakdowns"><h2>By risk tier</h2>'
        + _slice_table(d, "by_risk", "risk")
        + "<h2>By category</h2>"
        + _slice_table(d, "by_category", "category")
        + '<p class="small">Cell: pass rate and passed/scored; hover for the 95% Wilson interval.</p></section>'
    )


def _errors_html(d: ReportData) -> str:
    s = d.summary
    lat = s.get("latency_ms", {})
    parts = ['<section id="engine"><h2>Engine errors and latency</h2>']
    parts.append(
        f"<p>{s.get('items', 0)} items: {s.get('answered', 0)} answered, {s.get('errors', 0)} errors "
        f"(error rate {esc(pct(s.get('error_rate', 0.0)))}), {s.get('cached', 0)} answers from the cache.</p>"
    )
    if s.get("error_kinds"):
        parts.append(table([("error kind", ""), ("items", "num")], [[esc(k), str(v)] for k, v in s["error_kinds"].items()]))
    keys = ("p50", "p90", "p95", "p99", "max", "mean")
    parts.append(
        table(
            [("latency (ms)", "")] + [(k, "num") for k in keys] + [("n", "num")],
            [["engine call"] + ["–" if lat.get(k) is None else f"{lat[k]:,.0f}" for k in keys] + [str(lat.get("n", 0))]],
        )
    )
    parts.append('<p class="small">Latency of answered, uncached calls, retries included.</p>')
    if d.errors:
        rows = []
        for record in d.errors[:MAX_ERRORS_LISTED]:
            error = record.get("error") or {}
            rows.append(
                [
                    f"<code>{esc(record.get('item_id'))}</code>",
                    esc(error.get("kind")),
                    esc(error.get("status_code") or ""),
                    esc(error.get("attempts", "")),
                    esc(str(error.get("message", ""))[:500]),
                ]
            )
        parts.append("<h3>Failed items</h3>")
        parts.append(table([("item", ""), ("kind", ""), ("status", "num"), ("attempts", "num"), ("message", "")], rows))
        if len(d.errors) > MAX_ERRORS_LISTED:
            parts.append(f'<p class="small">… {len(d.errors) - MAX_ERRORS_LISTED} more in answers.jsonl.</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _marked_answer(text: str, spans: list[tuple[int, int, str]]) -> str:
    """The answer, escaped, with each offending span wrapped in <mark> (overlaps merged)."""
    valid = [(s, e, note) for s, e, note in spans if 0 <= s < e <= len(text)]
    if not valid:
        return esc(text)
    bounds = sorted({0, len(text)} | {s for s, _, _ in valid} | {e for _, e, _ in valid})
    out = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        piece = esc(text[start:end])
        notes = sorted({note for s, e, note in valid if s <= start and end <= e})
        out.append(f'<mark title="{esc("; ".join(notes))}">{piece}</mark>' if notes else piece)
    return "".join(out)


def _spans_to_mark(text: str, rows: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    spans = []
    for row in rows:
        if row["status"] != "failed":
            continue
        for ev in row.get("evidence") or []:
            if ev.get("kind", "offending") != "offending":
                continue
            start, end = int(ev.get("start", -1)), int(ev.get("end", -1))
            if text[start:end] != ev.get("text", text[start:end]):
                continue  # offsets do not match this answer: do not mark the wrong words
            note = row["check"] + (f": {ev['note']}" if ev.get("note") else "")
            spans.append((start, end, note))
    return spans


def _claims_html(row: dict[str, Any]) -> str:
    """Per claim, the context sentence that supports it (or the closest one, when none does)."""
    evidence = [
        ev
        for ev in row.get("evidence") or []
        if ev.get("support") is not None
        or ev.get("kind") == "supporting"
        or (row["check"] == "grounding" and ev.get("kind") == "offending")
    ]
    if not evidence:
        return ""
    evidence.sort(key=lambda ev: ev.get("kind") == "supporting")  # unsupported claims first, else in answer order
    rows = []
    for ev in evidence:
        support = ev.get("support")
        supported = ev.get("kind") == "supporting"
        where = f"context #{int(support.get('context_index', 0)) + 1}" if support else ""
        if supported:
            cell = f'<span class="support">✓ supported by {esc(where)}:</span> {esc((support or {}).get("text", ""))}'
        elif support:
            cell = (
                f'<span class="nosupport">✗ not supported; closest sentence ({esc(where)}):</span> {esc(support.get("text", ""))}'
            )
        else:
            cell = '<span class="nosupport">✗ no supporting sentence found in the contexts</span>'
        note = f'<br><span class="small">{esc(ev["note"])}</span>' if ev.get("note") else ""
        rows.append([esc(ev.get("text", "")) + note, cell])
    return (
        f"<details open><summary>{esc(row['check'])}: each claim and the context sentence behind it</summary>"
        + table([("claim in the answer", ""), ("support in the contexts", "")], rows)
        + "</details>"
    )


def _flag_html(d: ReportData, item: Flagged) -> str:
    answer = d.answers.get(item.item_id, {})
    text = str(answer.get("text", ""))
    meta = [esc(x) for x in (item.cancer_type, item.category) if x]
    risk = badge("high risk", "high") if item.risk == "high" else esc(f"{item.risk} risk") if item.risk else ""
    parts = [
        f'<article class="flag" id="item-{esc(item.item_id)}">',
        f"<h3><code>{esc(item.item_id)}</code> · {' · '.join(meta)} · {risk}</h3>",
    ]
    question = d.questions.get(item.item_id)
    if question:
        parts.append(f'<p class="question">“{esc(question)}”</p>')
    parts.append('<ul class="checks">')
    passed = []
    for row in item.rows:
        if row["status"] == "passed":
            passed.append(row["check"])
            continue
        reasons = "".join(f"<li>{esc(r)}</li>" for r in row.get("reasons") or [])
        parts.append(
            f"<li>{badge(row['status'], row['status'])} <b>{esc(row['check'])}</b> "
            f'<span class="small">score {float(row.get("score") or 0):.2f}</span>'
            + (f'<ul class="reasons">{reasons}</ul>' if reasons else "")
            + "</li>"
        )
    if passed:
        parts.append(f'<li>{badge("passed", "passed")} <span class="small">{esc(", ".join(passed))}</span></li>')
    parts.append("</ul>")
    if text:
        parts.append(f'<div class="answer">{_marked_answer(text, _spans_to_mark(text, item.rows))}</div>')
    else:
        parts.append('<p class="small">(answer text not found in answers.jsonl)</p>')
    for row in item.rows:
        parts.append(_claims_html(row))
    contexts = answer.get("contexts") or []
    if contexts:
        ctx = "".join(f'<div class="ctx"><b>context #{i + 1}</b>\n{esc(c)}</div>' for i, c in enumerate(contexts))
        parts.append(f"<details><summary>{len(contexts)} contexts the answer was given</summary>{ctx}</details>")
    parts.append("</article>")
    return "\n".join(p for p in parts if p)


def _flagged_html(d: ReportData) -> str:
    parts = ['<section id="flagged"><h2>Flagged answers</h2>']
    if not d.flagged_total:
        parts.append("<p>No answer failed a check.</p></section>")
        return "\n".join(parts)
    parts.append(
        f"<p>{d.flagged_total} answers failed at least one check; high-risk items and answers with more failed checks come first"
        + (f"; showing the first {len(d.flagged)} (all rows are in results.jsonl)" if len(d.flagged) < d.flagged_total else "")
        + ". Marked text is what a failed check objected to; hover a mark for the check.</p>"
    )
    parts += [_flag_html(d, item) for item in d.flagged]
    parts.append("</section>")
    return "\n".join(parts)


def render_html(d: ReportData) -> str:
    nav = (
        '<nav><a href="#verdict">verdict</a><a href="#checks">checks</a><a href="#cancer-types">cancer types</a>'
        '<a href="#breakdowns">risk &amp; category</a><a href="#engine">errors &amp; latency</a>'
        '<a href="#flagged">flagged answers</a></nav>'
    )
    body = "\n".join(
        [
            _header(d),
            _verdict_html(d),
            nav,
            _checks_html(d),
            judge_html(d.summary),  # empty unless the run was made with --judge
            _breakdowns_html(d),
            _errors_html(d),
            _flagged_html(d),
            f'<p class="small">Generated by navis-eval {esc(d.manifest.harness_version)} from the run directory '
            f"<code>{esc(d.run.path.name)}</code>: summary.json, results.jsonl, answers.jsonl"
            + (", gate.json" if d.gate is not None else "")
            + ".</p>",
        ]
    )
    return page(f"navis-eval · {d.display_name}", body)


# --- Markdown --------------------------------------------------------------------------------------


def render_markdown(d: ReportData) -> str:
    """A short summary for a pull-request comment or $GITHUB_STEP_SUMMARY (well under 64 KiB)."""
    s, m = d.summary, d.manifest
    if d.gate is not None and not d.gate_stale:
        verdict = "✅ PASS" if d.gate.get("verdict") == "pass" else "❌ FAIL"
    else:
        verdict = "ℹ️ not gated"
    engine = " ".join(str(m.engine[k]) for k in ("name", "version") if m.engine.get(k)) or str(m.engine.get("kind"))
    out = [
        f"## navis-eval: {verdict} — {md_text(d.display_name, 80)}",
        f"Run {md_code(m.run_id)} · engine {md_text(engine, 80)} · dataset {md_text(m.dataset.name)} {md_text(m.dataset.version)}"
        f" ({md_code(short_hash(m.dataset.hash))}) · rubric {md_text(m.rubric.name)} {md_text(m.rubric.version)}"
        f" ({md_code(short_hash(m.rubric.hash))})",
        f"{s.get('items', 0)} items · {s.get('answered', 0)} answered · {s.get('errors', 0)} engine errors"
        f" ({pct(s.get('error_rate', 0.0))}) · latency p50 {_ms(s, 'p50')} / p95 {_ms(s, 'p95')}",
        "",
    ]
    if d.gate is not None and not d.gate_stale:
        failed = [r for r in d.gate.get("rules", []) if r.get("status") == "fail"]
        counts = d.gate.get("counts", {})
        out.append(
            f"**Gate** ({md_text(d.gate.get('policy', {}).get('name'))}): {counts.get('fail', 0)} failed, "
            f"{counts.get('pass', 0)} passed, {counts.get('skip', 0)} skipped rules"
        )
        for rule in failed[:10]:
            title = " · ".join(x for x in (rule.get("kind", "").replace("_", " "), rule.get("scope"), rule.get("check")) if x)
            out.append(f"- ❌ {md_text(title)}: {md_text(rule.get('observed'), 200)} (required {md_text(rule.get('threshold'))})")
        if len(failed) > 10:
            out.append(f"- … {len(failed) - 10} more in gate.md")
        if d.gate.get("baseline"):
            nf = d.gate.get("newly_failing", {})
            out.append(
                f"- vs baseline {md_code(d.gate['baseline'].get('run_id'))}: {len(nf)} newly failing, "
                f"{len(d.gate.get('newly_passing', {}))} newly passing items"
            )
        out.append("")
    elif d.gate_stale:
        out += ["> ⚠️ gate.json is stale (results changed since the gate ran).", ""]
    out += ["| check | pass rate | 95% CI | passed | failed | unscored |", "|---|---:|---:|---:|---:|---:|"]
    for name in d.checks:
        e = s.get("checks", {}).get(name, {})
        out.append(
            f"| {md_text(name)} | {pct(e.get('pass_rate'))} | {ci(e)} | {e.get('passed', 0)} | {e.get('failed', 0)} | "
            f"{e.get('unscored', 0)} |"
        )
    out += judge_markdown(s)  # nothing unless the run was made with --judge
    if d.flagged:
        out += ["", f"**Flagged answers** ({d.flagged_total}; first {min(MD_MAX_FLAGGED, len(d.flagged))}):"]
        for item in d.flagged[:MD_MAX_FLAGGED]:
            failed_rows = item.failed
            first_reason = next((r for row in failed_rows for r in row.get("reasons") or []), "")
            risk = " (high risk)" if item.risk == "high" else ""
            out.append(
                f"- {md_code(item.item_id)}{risk}: {md_text(', '.join(r['check'] for r in failed_rows))}"
                + (f" — {md_text(first_reason, 140)}" if first_reason else "")
            )
    out += ["", "Full report with evidence: `report.html` in the run directory."]
    return "\n".join(out) + "\n"


def _ms(summary: dict[str, Any], key: str) -> str:
    value = summary.get("latency_ms", {}).get(key)
    return "–" if value is None else f"{value:,.0f} ms"


def write_run_report(run_path: Path | str, *, max_flagged: int = MAX_FLAGGED) -> tuple[Path, Path]:
    """Write report.html and report.md into the run directory; returns their paths."""
    path = Path(run_path)
    if max_flagged < 0:
        raise InputError("must not be negative", field="--max-flagged")
    data = load_report_data(path, max_flagged=max_flagged)
    html_path, md_path = path / REPORT_HTML, path / REPORT_MD
    with atomic_writer(html_path) as handle:
        handle.write(render_html(data))
    with atomic_writer(md_path) as handle:
        handle.write(render_markdown(data))
    return html_path, md_path
