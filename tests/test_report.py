"""The run report: self-contained, every piece of engine output escaped, byte-for-byte reproducible."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from navis_eval.cli import app
from navis_eval.report import write_run_report
from tests.report_helpers import BAD_ANSWER, item_ids, recordings_from, reference_run, replay_run, rows, snapshot

LIMIT = 12
HOSTILE_CONTEXT = '</div><script>document.write("ctx")</script><a href="javascript:alert(2)">x</a>'
ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "main",
    "h1",
    "h2",
    "h3",
    "p",
    "b",
    "i",
    "code",
    "span",
    "section",
    "nav",
    "a",
    "ul",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "details",
    "summary",
    "article",
    "div",
    "mark",
    "br",
}


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    dataset, rubric = snapshot(tmp)
    base = reference_run(tmp / "runs", "base", dataset=dataset, rubric=rubric, limit=LIMIT)
    ids = item_ids(base)
    recordings = recordings_from(base, tmp / "hostile.jsonl", replace={ids[0]: BAD_ANSWER, ids[3]: BAD_ANSWER}, errors={ids[5]})
    lines = recordings.read_text().splitlines()
    first = json.loads(lines[0])
    first["contexts"] = [HOSTILE_CONTEXT, *first["contexts"]]
    lines[0] = json.dumps(first)
    recordings.write_text("\n".join(lines) + "\n")
    return replay_run(tmp / "runs", "hostile", recordings, dataset=dataset, rubric=rubric, limit=LIMIT, label="<i>rel</i> 2")


def test_report_html_is_self_contained_and_escapes_engine_output(run: Path) -> None:
    html_path, md_path = write_run_report(run)
    assert html_path == run / "report.html" and md_path == run / "report.md"
    html = html_path.read_text(encoding="utf-8")
    # the hostile answer and context appear only as text
    assert "<script" not in html.lower()
    assert "<img src=x" not in html and '<a href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/div&gt;&lt;script&gt;document.write(&quot;ctx&quot;)&lt;/script&gt;" in html
    assert "&lt;i&gt;rel&lt;/i&gt; 2" in html  # the label is user text too
    parser = TagCollector()
    parser.feed(html)
    tags = {tag for tag, _ in parser.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href"):
                assert value is not None and (value.startswith("data:image/png;base64,") or value.startswith("#")), (tag, value)
    assert not re.search(r"https?://", html), "no external assets or links"
    assert "Content-Security-Policy" in html


def test_report_contains_every_section(run: Path) -> None:
    html = write_run_report(run)[0].read_text(encoding="utf-8")
    summary = json.loads((run / "summary.json").read_text())
    assert "Not gated" in html  # no gate.json yet: a summary verdict
    for check, entry in summary["checks"].items():
        assert f"<b>{check}</b>" in html
        if entry["n"]:
            assert f"{entry['ci_low'] * 100:.1f}–{entry['ci_high'] * 100:.1f}%" in html  # the Wilson interval, as computed
    assert html.count('src="data:image/png;base64,') >= 2  # pass-rate plot and heatmap
    for heading in (
        "Pass rate per check",
        "Cancer type × check",
        "By risk tier",
        "By category",
        "Engine errors and latency",
        "Flagged answers",
    ):
        assert heading in html
    assert "recorded_error" in html and "timeout after 30 s" in html
    failed_rows = [r for r in rows(run) if r["status"] == "failed"]
    failed_items = {r["item_id"] for r in failed_rows}
    for item_id in failed_items:
        assert f'id="item-{item_id}"' in html
    if any(ev.get("kind") == "offending" for r in failed_rows for ev in r["evidence"]):
        assert "<mark" in html
    # failed checks are listed before the others within an answer
    first = html.index(f'id="item-{sorted(failed_items)[0]}"')
    block = html[first : html.index("</article>", first)]
    statuses = re.findall(r'<span class="badge (failed|unscored|passed)">', block)
    assert statuses == sorted(statuses, key=["failed", "unscored", "passed"].index)


def test_same_run_gives_byte_identical_reports(run: Path, tmp_path: Path) -> None:
    html1, md1 = write_run_report(run)
    first = (html1.read_bytes(), md1.read_bytes())
    copy = tmp_path / run.name
    shutil.copytree(run, copy)
    (copy / "report.html").unlink()
    html2, md2 = write_run_report(copy)
    assert (html2.read_bytes(), md2.read_bytes()) == first


def test_report_md_is_short_and_inert(run: Path) -> None:
    md = write_run_report(run)[1].read_text(encoding="utf-8")
    assert len(md.encode()) < 20_000
    assert "<script" not in md and "<img" not in md and "<i>" not in md
    assert "| check | pass rate | 95% CI |" in md


def test_report_command_and_bad_input(run: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(run), "--max-flagged", "1"])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    html = (run / "report.html").read_text(encoding="utf-8")
    assert html.count('<article class="flag"') == 1
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a run directory" in result.output


def test_run_writes_the_report_by_default(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--limit", "2", "--out", str(tmp_path), "--run-id", "r", "--no-cache", "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "report.html").is_file() and (tmp_path / "r" / "report.md").is_file()


def test_a_gate_verdict_on_other_results_is_reported_as_stale(run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    (copy / "gate.json").write_text(json.dumps({"verdict": "pass", "rules": [], "results_sha256": "sha256:old"}))
    html = write_run_report(copy)[0].read_text(encoding="utf-8")
    assert "Release gate: PASS" not in html and "computed on other results" in html
    assert "stale" in (copy / "report.md").read_text(encoding="utf-8")
