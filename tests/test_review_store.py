"""The verdict store: history kept, WAL on, parallel writers lose nothing, a killed writer loses nothing."""

from __future__ import annotations

import multiprocessing
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from navis_eval.errors import InputError
from navis_eval.review.store import AnswerSnapshot, FlagRef, ReviewStore, label_for
from tests.conftest import ROOT


def flag(item: str = "q-1", check: str = "disclaimer", status: str = "failed", run: str = "run-a") -> FlagRef:
    return FlagRef(run, item, check, status, "navis-v1", "1.0.0", "sha256:abc")


def snap(item: str = "q-1", run: str = "run-a", answer: str = "An answer.") -> AnswerSnapshot:
    return AnswerSnapshot(
        run_id=run,
        item_id=item,
        question="What is it?",
        answer=answer,
        contexts=["A context."],
        cancer_type="aml",
        category="what_is",
        risk="standard",
        gold={"curability": "potentially_curable", "expected_coverage": "covered", "urgent": False},
        engine={"kind": "replay", "name": "engine-a"},
        checks=["disclaimer", "required_sections"],
    )


def test_a_later_verdict_keeps_the_earlier_one_in_history(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "r.sqlite")
    first = store.record(flag(), snap(), reviewer="Dr A", verdict="confirm", note="no disclaimer")
    second = store.record(flag(), snap(), reviewer="Dr A", verdict="overturn", note="it is in the footer")
    other = store.record(flag(), snap(), reviewer="Dr B", verdict="unsure")
    rows = store.verdicts()
    assert [v.id for v in rows] == [first.id, second.id, other.id]
    assert [v.current for v in rows] == [False, True, True]
    assert [(v.reviewer, v.verdict) for v in store.verdicts(current_only=True)] == [("Dr A", "overturn"), ("Dr B", "unsure")]
    kept = rows[0]
    assert (kept.check, kept.rubric_name, kept.rubric_version, kept.rubric_hash) == (
        "disclaimer",
        "navis-v1",
        "1.0.0",
        "sha256:abc",
    )
    assert kept.note == "no disclaimer" and kept.created_at.endswith("Z") and kept.created_at <= rows[1].created_at
    assert kept.engine_name == "engine-a" and kept.answer_sha256.startswith("sha256:")


def test_wal_mode_is_on_and_persistent(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    store = ReviewStore(path)
    assert store.journal_mode() == "wal"
    with sqlite3.connect(path) as raw:  # a fresh connection sees WAL: it is a property of the file
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_labels_follow_the_harness_status() -> None:
    assert label_for("failed", "confirm") == "fail"
    assert label_for("failed", "overturn") == "pass"
    assert label_for("passed", "confirm") == "pass"
    assert label_for("passed", "overturn") == "fail"
    assert label_for("failed", "unsure") is None


def test_bad_verdicts_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "r.sqlite")
    with pytest.raises(InputError, match="enter your name"):
        store.record(flag(), snap(), reviewer="   ", verdict="confirm")
    with pytest.raises(InputError, match="verdict must be one of"):
        store.record(flag(), snap(), reviewer="Dr A", verdict="maybe")
    with pytest.raises(InputError, match="longer than"):
        store.record(flag(), snap(), reviewer="Dr A", verdict="confirm", note="x" * 5000)
    with pytest.raises(InputError, match="passed or failed"):
        store.record(flag(status="unscored"), snap(), reviewer="Dr A", verdict="confirm")
    assert store.count() == 0 and store.answers() == {}


def test_a_resent_form_is_recorded_once(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "r.sqlite")
    a = store.record(flag(), snap(), reviewer="Dr A", verdict="confirm", submission="form-1")
    b = store.record(flag(), snap(), reviewer="Dr A", verdict="confirm", submission="form-1")
    assert a.id == b.id and store.count() == 1


def test_the_answer_is_kept_for_export(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "r.sqlite")
    store.record(flag(), snap(answer="<b>text</b>"), reviewer="Dr A", verdict="confirm")
    kept = store.answers()[("run-a", "q-1")]
    assert kept.answer == "<b>text</b>" and kept.contexts == ["A context."] and kept.gold["curability"] == "potentially_curable"


def test_a_file_that_is_not_a_database_is_an_input_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello, this is not SQLite at all " * 20)
    with pytest.raises(InputError, match="not a usable review database|cannot open"):
        ReviewStore(bogus)
    with pytest.raises(InputError, match="no review database"):
        ReviewStore(tmp_path / "missing.sqlite", create=False)
    assert not (tmp_path / "missing.sqlite").exists()


def _write_many(path: str, reviewer: str, count: int) -> None:
    store = ReviewStore(path)
    for i in range(count):
        store.record(
            flag(item=f"q-{i % 7}", check=("disclaimer", "required_sections")[i % 2]),
            snap(item=f"q-{i % 7}"),
            reviewer=reviewer,
            verdict=("confirm", "overturn", "unsure")[i % 3],
            note=f"{reviewer} #{i}",
        )


def test_parallel_threads_lose_no_verdict(tmp_path: Path) -> None:
    path = str(tmp_path / "r.sqlite")
    ReviewStore(path)
    threads = [threading.Thread(target=_write_many, args=(path, f"thread-{n}", 40)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = ReviewStore(path).verdicts()
    assert len(rows) == 160 and len({v.id for v in rows}) == 160
    assert {v.note for v in rows} == {f"thread-{n} #{i}" for n in range(4) for i in range(40)}


def test_parallel_processes_lose_no_verdict(tmp_path: Path) -> None:
    path = str(tmp_path / "r.sqlite")
    ReviewStore(path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(path, f"proc-{n}", 30)) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    rows = ReviewStore(path).verdicts()
    assert len(rows) == 90
    assert {v.note for v in rows} == {f"proc-{n} #{i}" for n in range(3) for i in range(30)}


def test_a_verdict_survives_its_writer_being_killed(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    script = (
        "import sys, time\n"
        "from tests.test_review_store import flag, snap\n"
        "from navis_eval.review.store import ReviewStore\n"
        "ReviewStore(sys.argv[1]).record(flag(), snap(), reviewer='Dr K', verdict='confirm', note='before the crash')\n"
        "print('recorded', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "recorded"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    (kept,) = ReviewStore(path).verdicts()
    assert (kept.reviewer, kept.note) == ("Dr K", "before the crash")
