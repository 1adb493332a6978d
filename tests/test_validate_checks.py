"""validate-checks: confusion counts with failures as the positive class, JSON output, splits,
null labels, K-QA mode and input errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from navis_eval.validation import Confusion
from tests.conftest import navis

ROOT = Path(__file__).resolve().parents[1]

DISCLAIMED = "Chemotherapy is given in cycles. This is general information, not medical advice."
BARE = "Chemotherapy is given in cycles. Talk to your doctor."


def line(i: int, answer: str, disclaimer: str | None, split: str = "dev", grounding: str | None = None) -> dict:
    return {
        "id": f"x-{i}",
        "split": split,
        "question": "How is chemo given?",
        "cancer_type": "breast",
        "contexts": ["Chemotherapy is given in cycles, each followed by a rest period."],
        "answer": answer,
        "gold": {"curability": "not_applicable", "expected_coverage": "covered", "urgent": False},
        "style": "test",
        "labels": {"disclaimer": {"label": disclaimer, "note": ""}, "grounding": {"label": grounding, "note": ""}},
    }


def write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def test_confusion_metrics() -> None:
    c = Confusion(tp=8, fp=2, fn=2, tn=18)
    assert c.precision == pytest.approx(0.8)
    assert c.recall == pytest.approx(0.8)
    assert c.f1 == pytest.approx(0.8)
    assert c.specificity == pytest.approx(0.9)
    assert c.balanced_accuracy == pytest.approx(0.85)
    assert Confusion().precision is None and Confusion().balanced_accuracy is None


def test_json_counts_one_of_each_outcome(tmp_path: Path) -> None:
    source = write(
        tmp_path / "l.jsonl",
        [
            line(1, BARE, "fail"),  # true positive: check fails, label fail
            line(2, DISCLAIMED, "pass"),  # true negative
            line(3, BARE, "pass"),  # false positive (label disagrees)
            line(4, DISCLAIMED, "fail"),  # false negative
            line(5, BARE, None),  # null label: skipped
        ],
    )
    result = navis("validate-checks", str(source), "--format", "json", "--show-errors")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    d = report["checks"]["disclaimer"]
    assert (d["tp"], d["fp"], d["fn"], d["tn"], d["n"]) == (1, 1, 1, 1, 4)
    assert d["precision"] == 0.5 and d["recall"] == 0.5 and d["balanced_accuracy"] == 0.5
    assert sorted(e["id"] for e in d["errors"]) == ["x-3", "x-4"]
    assert "grounding" not in report["checks"]  # every grounding label is null
    assert report["rubric"]["name"] == "navis-v1"


def test_split_filter_and_text_output(tmp_path: Path) -> None:
    source = write(tmp_path / "l.jsonl", [line(1, BARE, "fail", "dev"), line(2, DISCLAIMED, "pass", "test")])
    result = navis("validate-checks", str(source), "--split", "test")
    assert result.returncode == 0, result.stderr
    assert "1 labeled answers (test)" in result.stdout
    row = next(r for r in result.stdout.splitlines() if r.startswith("disclaimer"))
    assert row.split()[1:6] == ["1", "0", "0", "0", "1"]


def test_bad_line_names_file_line_and_field(tmp_path: Path) -> None:
    bad = line(1, BARE, "maybe")
    source = write(tmp_path / "l.jsonl", [line(0, BARE, "fail"), bad])
    result = navis("validate-checks", str(source))
    assert result.returncode == 2
    assert f"{source}:2: field 'labels.disclaimer.label'" in result.stderr


def test_kqa_mode_on_a_small_file_and_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "kqa.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["Question", "answer", "claim", "majority_label"])
        w.writeheader()
        evidence = "Escitalopram is an SSRI antidepressant used to treat depression and anxiety."
        w.writerow(
            {"Question": "q", "answer": evidence, "claim": "Lexapro is an SSRI used for anxiety.", "majority_label": "Entailment"}
        )
        w.writerow(
            {
                "Question": "q",
                "answer": evidence,
                "claim": "Escitalopram causes tinnitus in 40% of people.",
                "majority_label": "Neutral",
            }
        )
    result = navis("validate-checks", "--kqa", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    kqa = json.loads(result.stdout)["kqa"]
    assert kqa["pairs"] == 2 and (kqa["tp"], kqa["tn"]) == (1, 1)
    missing = navis("validate-checks", "--kqa", str(tmp_path / "absent.csv"))
    assert missing.returncode == 0 and "skipped" in missing.stdout


def test_labeled_dev_split_meets_targets_where_tuned() -> None:
    dev = ROOT / "datasets" / "labeled" / "dev.jsonl"
    if not dev.is_file():
        pytest.skip("labeled data not present")
    result = navis("validate-checks", str(dev), "--split", "dev", "--format", "json")
    assert result.returncode == 0, result.stderr
    checks = json.loads(result.stdout)["checks"]
    for name in ("disclaimer", "required_sections", "cure_overstatement", "coverage_gap_honesty", "urgent_escalation"):
        assert checks[name]["balanced_accuracy"] >= 0.95, (name, checks[name])
    assert checks["grounding"]["balanced_accuracy"] >= 0.85
