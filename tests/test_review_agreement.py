"""Agreement maths against values computed by hand."""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path

import pytest

from navis_eval.review.agreement import agreement, cohen_kappa, format_text
from navis_eval.review.store import ReviewStore, Verdict
from navis_eval.stats import wilson_interval
from tests.conftest import navis
from tests.test_review_store import flag, snap

_ids = count(1)


def verdict(item: str, reviewer: str, harness: str, decision: str, check: str = "grounding", current: bool = True) -> Verdict:
    return Verdict(
        id=next(_ids),
        created_at="2026-01-01T00:00:00.000000Z",
        reviewer=reviewer,
        run_id="run",
        item_id=item,
        check=check,
        harness_status=harness,
        verdict=decision,
        note="",
        rubric_name="navis-v1",
        rubric_version="1.0.0",
        rubric_hash="sha256:x",
        engine_name="e",
        answer_sha256="sha256:y",
        current=current,
    )


def test_kappa_of_the_textbook_example() -> None:
    # 50 items: both yes 20, both no 15, A yes/B no 5, A no/B yes 10.
    # p_o = 35/50 = 0.70; A says yes 25/50, B says yes 30/50; p_e = .5*.6 + .5*.4 = 0.50; kappa = .2/.5 = 0.40
    pairs = [("yes", "yes")] * 20 + [("no", "no")] * 15 + [("yes", "no")] * 5 + [("no", "yes")] * 10
    assert cohen_kappa(pairs) == pytest.approx(0.40)


def test_kappa_edge_cases() -> None:
    assert cohen_kappa([]) is None
    assert cohen_kappa([("fail", "fail")] * 4) is None  # chance agreement is 1: undefined, not 1
    assert cohen_kappa([("fail", "fail"), ("pass", "pass")]) == pytest.approx(1.0)
    assert cohen_kappa([("fail", "pass"), ("pass", "fail")]) == pytest.approx(-1.0)
    # harness always fails, reviewers split: kappa is 0 by construction
    assert cohen_kappa([("fail", "fail"), ("fail", "pass")]) == pytest.approx(0.0)


def test_per_check_precision_and_kappa_by_hand() -> None:
    # grounding: 10 flags (harness failed): 8 confirmed, 2 overturned, plus 1 unsure.
    # 10 spot-checked passes: 7 confirmed (pass), 3 overturned (should have failed).
    rows = [verdict(f"f{i}", "Dr A", "failed", "confirm") for i in range(8)]
    rows += [verdict(f"f{i}", "Dr A", "failed", "overturn") for i in range(8, 10)]
    rows += [verdict("f10", "Dr A", "failed", "unsure")]
    rows += [verdict(f"p{i}", "Dr A", "passed", "confirm") for i in range(7)]
    rows += [verdict(f"p{i}", "Dr A", "passed", "overturn") for i in range(7, 10)]
    # an earlier verdict that was superseded never counts
    rows += [verdict("f0", "Dr A", "failed", "overturn", current=False)]
    (entry,) = agreement(rows).checks
    assert (entry.flags_reviewed, entry.confirmed, entry.overturned, entry.unsure) == (11, 8, 2, 1)
    assert entry.confirmation_rate == pytest.approx(0.8)
    low, high = wilson_interval(8, 10)
    assert (entry.ci_low, entry.ci_high) == (pytest.approx(low, abs=1e-6), pytest.approx(high, abs=1e-6))
    assert (entry.passes_reviewed, entry.passes_confirmed, entry.passes_overturned) == (10, 7, 3)
    # harness vs reviewer over 20 decisive verdicts: agree 8 (fail/fail) + 7 (pass/pass) = 15 -> p_o = .75
    # harness fail 10/20, reviewer fail (8 + 3)/20 = .55 -> p_e = .5*.55 + .5*.45 = .5 -> kappa = .25/.5 = .5
    assert entry.kappa == pytest.approx(0.5) and entry.kappa_n == 20 and entry.kappa_note is None


def test_kappa_needs_reviewed_passes_as_well_as_flags() -> None:
    rows = [verdict("f1", "Dr A", "failed", "confirm"), verdict("f2", "Dr A", "failed", "overturn")]
    (entry,) = agreement(rows).checks
    assert entry.confirmation_rate == pytest.approx(0.5)
    assert entry.kappa is None and "passed" in (entry.kappa_note or "")


def test_inter_reviewer_agreement_on_doubly_reviewed_results() -> None:
    # the textbook table again, as two reviewers' labels on 50 flags (confirm = fail, overturn = pass)
    plan = (
        [("confirm", "confirm")] * 20
        + [("overturn", "overturn")] * 15
        + [("confirm", "overturn")] * 5
        + [("overturn", "confirm")] * 10
    )
    rows = []
    for i, (a, b) in enumerate(plan):
        check = "disclaimer" if i % 2 else "grounding"
        rows += [verdict(f"q{i}", "Dr A", "failed", a, check), verdict(f"q{i}", "Dr B", "failed", b, check)]
    rows += [verdict("solo", "Dr A", "failed", "confirm")]  # reviewed once: not in the pair
    rows += [verdict("u", "Dr A", "failed", "unsure"), verdict("u", "Dr B", "failed", "confirm")]  # both reviewed, not decisive
    report = agreement(rows)
    (pair,) = report.pairs
    assert pair.reviewers == ("Dr A", "Dr B")
    assert (pair.both_reviewed, pair.n, pair.agreed) == (51, 50, 35)
    assert pair.agreement == pytest.approx(0.70) and pair.kappa == pytest.approx(0.40)
    assert sum(s["n"] for s in pair.by_check.values()) == 50
    text = format_text(report)
    assert "Dr A / Dr B" in text and "0.400" in text and "70.0%" in text


def test_agreement_from_a_real_database_through_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    store = ReviewStore(db)
    store.record(flag("q-1"), snap("q-1"), reviewer="Dr A", verdict="confirm")
    store.record(flag("q-1"), snap("q-1"), reviewer="Dr B", verdict="overturn")
    store.record(flag("q-2"), snap("q-2"), reviewer="Dr A", verdict="overturn")
    store.record(flag("q-2"), snap("q-2"), reviewer="Dr A", verdict="confirm")  # changes their mind
    result = navis("review", "agreement", "--db", str(db), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (check,) = data["checks"]
    assert (check["check"], check["confirmed"], check["overturned"], check["flags_reviewed"]) == ("disclaimer", 2, 1, 2)
    assert data["pairs"][0]["reviewers"] == ["Dr A", "Dr B"] and data["pairs"][0]["agreed"] == 0
    text = navis("review", "agreement", "--db", str(db))
    assert text.returncode == 0 and "disclaimer" in text.stdout and "66.7%" in text.stdout
    bad = navis("review", "agreement", "--db", str(db), "--format", "xml")
    assert bad.returncode == 2 and "--format" in bad.stderr
