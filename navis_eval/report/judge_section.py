"""The run report's LLM-judge section: what judging cost, and where deterministic and LLM
verdicts disagree per check. Read from ``summary.json``'s ``judge`` section only; a run made
without ``--judge`` has no such section and its report is unchanged.
"""

from __future__ import annotations

from typing import Any

from navis_eval.report.fmt import esc, md_code, md_text, pct
from navis_eval.report.html import table


def _num(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def judge_html(summary: dict[str, Any]) -> str:
    judge = summary.get("judge")
    if not judge:
        return ""
    tokens = judge.get("tokens", {})
    cost = judge.get("cost_usd")
    parts = ['<section id="judges"><h2>LLM judges</h2>']
    parts.append(
        f'<p class="meta">Judge <b>{esc(judge.get("name"))}</b> (model <code>{esc(judge.get("model"))}</code>, '
        f"fingerprint <code>{esc(judge.get('fingerprint'))}</code>): {judge.get('calls', 0)} calls, "
        f"{judge.get('cache_hits', 0)} cache hits, {judge.get('retries', 0)} retries, {tokens.get('total', 0):,} tokens"
        + (f", ${cost:.4f}" if cost is not None else "")
        + f", {judge.get('errors', 0)} judge errors"
        + (
            " (" + ", ".join(f"{esc(k)} {v}" for k, v in judge.get("error_kinds", {}).items()) + ")"
            if judge.get("error_kinds")
            else ""
        )
        + ".</p>"
    )
    rows = []
    for check, d in judge.get("disagreement", {}).items():
        rows.append(
            [
                f"<b>{esc(check)}</b> vs {esc(d.get('judge'))}",
                str(d.get("n", 0)),
                esc(pct(d.get("agreement"))),
                _num(d.get("kappa")),
                str(d.get("deterministic_passed_llm_failed", 0)),
                str(d.get("deterministic_failed_llm_passed", 0)),
                f"{d.get('deterministic_unscored', 0)} / {d.get('llm_unscored', 0)}",
            ]
        )
    if rows:
        headers = [
            ("check vs LLM judge", ""),
            ("both scored", "num"),
            ("agreement", "num"),
            ("Cohen's κ", "num"),
            ("check passed, LLM failed", "num"),
            ("check failed, LLM passed", "num"),
            ("unscored (check / LLM)", "num"),
        ]
        parts.append("<h3>Where the deterministic checks and the LLM judges disagree</h3>" + table(headers, rows))
        listed = [(check, item) for check, d in judge.get("disagreement", {}).items() for item in d.get("items", [])]
        if listed:
            item_rows = [
                [
                    esc(check),
                    f"<code>{esc(i['item_id'])}</code>",
                    esc(i.get("cancer_type") or ""),
                    f'<span class="badge {esc(i["deterministic"])}">{esc(i["deterministic"])}</span>',
                    f'<span class="badge {esc(i["llm"])}">{esc(i["llm"])}</span>',
                    esc(i.get("llm_reason", "")),
                ]
                for check, i in listed
            ]
            parts.append(
                "<details><summary>disagreeing answers (first 25 per check)</summary>"
                + table(
                    [("check", ""), ("item", ""), ("cancer type", ""), ("check", ""), ("LLM", ""), ("LLM's first reason", "")],
                    item_rows,
                )
                + "</details>"
            )
    hb = judge.get("healthbench")
    if hb and hb.get("n"):
        tag_rows = [[esc(tag), str(e.get("n", 0)), _num(e.get("score"), 3)] for tag, e in hb.get("by_tag", {}).items()]
        parts.append(
            f"<h3>HealthBench criteria</h3><p>Score {_num(hb.get('score'), 3)} over {hb['n']} answers "
            "(points of met criteria / positive points, mean clipped to [0, 1]).</p>"
            + (table([("tag", ""), ("answers", "num"), ("score", "num")], tag_rows) if tag_rows else "")
        )
    parts.append(
        '<p class="small">LLM verdicts are stored as extra checks (<code>&lt;check&gt;.llm</code>, <code>healthbench</code>) '
        "and appear in every table above. A judge call that failed or returned unreadable output is unscored, "
        "with its reason.</p>"
        "</section>"
    )
    return "\n".join(parts)


def judge_markdown(summary: dict[str, Any]) -> list[str]:
    judge = summary.get("judge")
    if not judge:
        return []
    cost = judge.get("cost_usd")
    out = [
        "",
        f"**LLM judge** {md_text(judge.get('name'))} ({md_code(judge.get('model'))}): {judge.get('calls', 0)} calls, "
        f"{judge.get('cache_hits', 0)} cache hits, {judge.get('tokens', {}).get('total', 0)} tokens"
        + (f", ${cost:.4f}" if cost is not None else "")
        + f", {judge.get('errors', 0)} errors",
    ]
    for check, d in judge.get("disagreement", {}).items():
        if d.get("n"):
            out.append(
                f"- {md_text(check)} vs {md_text(d.get('judge'))}: agreement {pct(d.get('agreement'))} of {d['n']}, "
                f"check passed/LLM failed {d.get('deterministic_passed_llm_failed', 0)}, "
                f"check failed/LLM passed {d.get('deterministic_failed_llm_passed', 0)}"
            )
    return out
