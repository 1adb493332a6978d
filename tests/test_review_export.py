"""Exports: verdict rows as CSV / JSONL, and reviewed answers in the datasets/labeled format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from navis_eval.review.export import CSV_COLUMNS, auto_split, labeled_rows, render
from navis_eval.review.rundata import load_runs
from navis_eval.review.store import ReviewStore
from tests.conftest import ROOT, navis
from tests.test_review_store import flag, snap
from tests.test_review_support import Runs, runs  # noqa: F401  (fixture)


def filled_store(path: Path) -> ReviewStore:
    store = ReviewStore(path)
    store.record(flag("q-1", "disclaimer"), snap("q-1"), reviewer="Dr A", verdict="overturn", note="first thought")
    store.record(flag("q-1", "disclaimer"), snap("q-1"), reviewer="Dr A", verdict="confirm", note="no, it really lacks one")
    store.record(flag("q-1", "required_sections"), snap("q-1"), reviewer="Dr A", verdict="overturn", note="sections are there")
    store.record(flag("q-1", "grounding", status="passed"), snap("q-1"), reviewer="Dr A", verdict="confirm")
    store.record(flag("q-2", "disclaimer"), snap("q-2"), reviewer="Dr A", verdict="unsure")
    store.record(flag("q-3", "disclaimer"), snap("q-3"), reviewer="Dr A", verdict="confirm")
    store.record(flag("q-3", "disclaimer"), snap("q-3"), reviewer="Dr B", verdict="overturn")  # tie
    return store


def test_csv_has_every_verdict_with_history_marked(tmp_path: Path) -> None:
    text, result = render(filled_store(tmp_path / "r.sqlite"), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert result.rows == 7 and len(rows) == 7
    assert list(rows[0]) == CSV_COLUMNS
    assert [r["current"] for r in rows[:2]] == ["False", "True"]
    assert rows[1]["label"] == "fail" and rows[2]["label"] == "pass" and rows[4]["label"] == ""
    assert rows[0]["rubric_version"] == "1.0.0" and rows[0]["cancer_type"] == "aml" and rows[0]["engine"] == "engine-a"


def test_jsonl_matches_csv(tmp_path: Path) -> None:
    store = filled_store(tmp_path / "r.sqlite")
    text, _ = render(store, "jsonl")
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) == 7 and rows[0]["current"] is False and rows[1]["note"] == "no, it really lacks one"
    assert rows[3]["harness_status"] == "passed" and rows[3]["label"] == "pass"


def test_labeled_export_follows_the_dataset_format(tmp_path: Path) -> None:
    rows, skipped = labeled_rows(filled_store(tmp_path / "r.sqlite"))
    # q-2: only unsure -> left out; q-3: reviewers tie -> left out
    assert skipped == 2 and len(rows) == 1
    (row,) = rows
    reference = (
        json.loads(next(iter((ROOT / "datasets" / "labeled" / "parts").glob("*.jsonl"))).read_text().splitlines()[0])
        if (ROOT / "datasets" / "labeled" / "parts").is_dir()
        else None
    )
    if reference is not None:
        assert set(row) == set(reference) and set(row["gold"]) == set(reference["gold"])
    assert row["id"] == "rev:run-a:q-1" and row["split"] == auto_split("q-1") and row["split"] in ("dev", "test")
    assert row["question"] == "What is it?" and row["answer"] == "An answer." and row["contexts"] == ["A context."]
    assert row["gold"] == {"curability": "potentially_curable", "expected_coverage": "covered", "urgent": False}
    assert row["labels"]["disclaimer"]["label"] == "fail"  # the current verdict, not the superseded one
    assert "really lacks one" in row["labels"]["disclaimer"]["note"]
    assert row["labels"]["required_sections"]["label"] == "pass"  # overturned flag
    assert row["labels"]["grounding"]["label"] == "pass"  # confirmed pass
    assert list(row["labels"])[:2] == ["disclaimer", "required_sections"]  # the run's check order


def test_majority_decides_and_split_can_be_forced(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "r.sqlite")
    for reviewer, decision in (("A", "confirm"), ("B", "confirm"), ("C", "overturn"), ("D", "unsure")):
        store.record(flag("q-9"), snap("q-9"), reviewer=reviewer, verdict=decision)
    (row,), _ = labeled_rows(store, split="test")
    assert row["split"] == "test" and row["labels"]["disclaimer"]["label"] == "fail"


def test_export_cli_writes_files_and_refuses_bad_input(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    filled_store(db)
    out = tmp_path / "out" / "labeled.jsonl"
    result = navis("review", "export", "--db", str(db), "--format", "labeled", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "wrote 1 examples" in result.stderr and len(out.read_text().splitlines()) == 1
    printed = navis("review", "export", "--db", str(db), "--format", "jsonl")
    assert printed.returncode == 0 and len(printed.stdout.splitlines()) == 7
    for args, needle in (
        (["--format", "xml"], "--format"),
        (["--format", "labeled", "--split", "train"], "--split"),
    ):
        bad = navis("review", "export", "--db", str(db), *args)
        assert bad.returncode == 2 and needle in bad.stderr and "Traceback" not in bad.stderr
    missing = navis("review", "export", "--db", str(tmp_path / "nope.sqlite"), "--format", "csv")
    assert missing.returncode == 2 and "no review database" in missing.stderr
    assert not (tmp_path / "nope.sqlite").exists()


def test_verdicts_on_real_runs_become_labeled_examples(runs: Runs, tmp_path: Path) -> None:  # noqa: F811
    data = load_runs(runs.paths)
    store = ReviewStore(tmp_path / "r.sqlite")
    view = data.get("run-candidate", runs.hostile_id)
    assert view is not None
    for result in view.flags:
        store.record(view.flag_ref(result.check), view.snapshot(), reviewer="Dr A", verdict="confirm")
    (row,), _ = labeled_rows(store)
    assert row["answer"] == view.answer.text and row["question"] == view.question
    assert row["contexts"] == view.answer.contexts and row["cancer_type"] == view.cancer_type
    assert {c: v["label"] for c, v in row["labels"].items()} == {r.check: "fail" for r in view.flags}
    assert row["style"] == "reviewed:engine-candidate"


def test_the_labeled_export_feeds_validate_checks(runs: Runs, tmp_path: Path) -> None:  # noqa: F811
    if navis("validate-checks", "--help").returncode != 0:
        pytest.skip("validate-checks is not part of this build")
    data = load_runs([runs.a])
    store = ReviewStore(tmp_path / "r.sqlite")
    confirmed = 0
    for view in data.flagged():
        if any(r.check == "disclaimer" for r in view.flags):
            store.record(view.flag_ref("disclaimer"), view.snapshot(), reviewer="Dr A", verdict="confirm")
            confirmed += 1
    out = tmp_path / "labeled.jsonl"
    assert navis("review", "export", "--db", str(store.path), "--format", "labeled", "--out", str(out)).returncode == 0
    # the answers were scored with the run's rubric; validate with the same one
    result = navis("validate-checks", str(out), "--rubric", str(runs.rubric), "--format", "json")
    assert result.returncode == 0, result.stderr
    disclaimer = json.loads(result.stdout)["checks"]["disclaimer"]
    assert confirmed > 0 and disclaimer["n"] == confirmed and disclaimer["tp"] == confirmed and disclaimer["fp"] == 0
