"""The trend over releases: ordering, interval bands, flipped questions, and rubric changes marked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from navis_eval.cli import app
from tests.report_helpers import BAD_ANSWER, item_ids, recordings_from, reference_run, replay_run, snapshot

LIMIT = 16
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("trend")
    dataset, rubric = snapshot(tmp)
    out = tmp / "runs"
    r1 = reference_run(out, "r1", dataset=dataset, rubric=rubric, limit=LIMIT, label="release-1.0")
    ids = item_ids(r1)
    broken = ids[2:6]
    rec = recordings_from(r1, tmp / "r2.jsonl", replace={i: BAD_ANSWER for i in broken})
    r2 = replay_run(out, "r2", rec, dataset=dataset, rubric=rubric, limit=LIMIT, label="release-1.1")
    changed = tmp / "rubric-2.yaml"
    changed.write_text(Path(rubric).read_text(encoding="utf-8").replace('version: "', 'version: "2.', 1), encoding="utf-8")
    r3 = replay_run(out, "r3", rec, dataset=dataset, rubric=str(changed), limit=LIMIT, label="release-1.2")
    r4 = replay_run(
        out, "r4", recordings_from(r1, tmp / "r4.jsonl"), dataset=dataset, rubric=str(changed), limit=LIMIT, label="pr-17"
    )
    return {"tmp": tmp, "out": out, "runs": [r1, r2, r3, r4], "broken": broken}


def trend(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["trend", *map(str, args)])
    return result.exit_code, result.output


def test_trend_over_three_runs_marks_the_rubric_change(runs: dict, tmp_path: Path) -> None:
    r1, r2, r3, _ = runs["runs"]
    code, output = trend(r3, r1, r2, "--out", tmp_path)  # any order: sorted by creation time
    assert code == 0, output
    data = json.loads((tmp_path / "trend.json").read_text())
    assert [r["run_id"] for r in data["runs"]] == ["r1", "r2", "r3"]
    assert [r["label"] for r in data["runs"]] == ["release-1.0", "release-1.1", "release-1.2"]
    # the rubric changed between r2 and r3: marked, and the pair is not compared
    assert len(data["breaks"]) == 1 and data["breaks"][0]["before_index"] == 2
    assert "rubric" in data["breaks"][0]["reason"]
    first, second = data["pairs"]
    assert first["comparable"] is True and set(first["newly_failing"]) == set(runs["broken"])
    assert first["newly_passing"] == {}
    assert second["comparable"] is False and second["newly_failing"] == {}
    assert any("rubric differs" in reason for reason in second["not_comparable_because"])
    html = (tmp_path / "trend.html").read_text(encoding="utf-8")
    assert "Not compared" in html and "rubric" in html and "changed" in html
    for item_id in runs["broken"]:
        assert f"<code>{item_id}</code>" in html
    assert "<script" not in html
    for name in ("trend_checks.png", "trend_cancer_types.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)
    assert html.count('src="data:image/png;base64,') == 2
    # every check's pass rate and Wilson interval come from the summaries
    summary = json.loads((r2 / "summary.json").read_text())
    for check, entry in summary["checks"].items():
        assert data["runs"][1]["checks"][check]["ci_low"] == entry["ci_low"]


def test_trend_is_deterministic(runs: dict, tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        code, output = trend(*runs["runs"][:3], "--out", tmp_path / name)
        assert code == 0, output
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / name).iterdir())})
    assert outputs[0] == outputs[1]


def test_history_with_label_filter(runs: dict, tmp_path: Path) -> None:
    code, output = trend("--history", runs["out"], "--label", "release-*", "--out", tmp_path)
    assert code == 0, output
    data = json.loads((tmp_path / "trend.json").read_text())
    assert [r["label"] for r in data["runs"]] == ["release-1.0", "release-1.1", "release-1.2"]
    code, _ = trend("--history", runs["out"], "--last", "2", "--out", tmp_path / "last")
    assert code == 0
    data = json.loads((tmp_path / "last" / "trend.json").read_text())
    assert [r["run_id"] for r in data["runs"]] == ["r3", "r4"]
    assert data["pairs"][0]["comparable"] is True and set(data["pairs"][0]["newly_passing"]) == set(runs["broken"])


def test_trend_usage_errors_exit_2(runs: dict, tmp_path: Path) -> None:
    assert trend("--out", tmp_path)[0] == 2
    code, output = trend("--history", tmp_path, "--out", tmp_path / "x")
    assert code == 2 and "no finished run directories" in output
    code, output = trend(runs["runs"][0], "--history", runs["out"], "--out", tmp_path)
    assert code == 2 and "not both" in output
