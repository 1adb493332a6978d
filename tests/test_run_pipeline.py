"""Whole runs: run directories, resume after SIGKILL, the response cache, rescore, secrets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from navis_eval.dataset import load_dataset
from navis_eval.engines import load_engine_config
from navis_eval.journal import read_journal
from navis_eval.pipeline import Selection, rescore_run, start_run
from navis_eval.runner import RunOptions
from tests.conftest import ROOT, navis
from tests.servers import ScriptedServer

QUIET = RunOptions(progress=False)


def test_a_reference_run_writes_a_complete_run_directory(tmp_path: Path) -> None:
    config, _ = load_engine_config("evals/engines/reference.yaml")
    outcome = start_run(engine_config=config, selection=Selection(limit=6), options=QUIET, runs_dir=tmp_path, run_id="r1", label="baseline")
    run = outcome.run.path
    for name in ("manifest.json", "engine.json", "items.txt", "answers.jsonl", "results.jsonl", "results.parquet", "summary.json"):
        assert (run / name).is_file(), name
    manifest = json.loads((run / "manifest.json").read_text())
    dataset = load_dataset()
    assert manifest["status"] == "complete" and manifest["label"] == "baseline"
    assert manifest["dataset"]["hash"] == dataset.hash and manifest["dataset"]["version"] == dataset.version
    assert manifest["rubric"]["name"] == "navis-v1" and manifest["rubric"]["hash"].startswith("sha256:")
    assert manifest["engine"]["kind"] == "reference" and manifest["engine"]["fingerprint"]
    assert manifest["counts"] == {"items": 6, "answered": 6, "errors": 0, "cached": 0, "resumed": 0}
    assert manifest["harness_version"] and manifest["finished_at"]
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    checks = manifest["checks"]
    assert len(rows) == 6 * len(checks)
    assert [r["item_id"] for r in rows[:: len(checks)]] == [i.id for i in dataset.items[:6]]  # dataset order
    table = pq.read_table(run / "results.parquet")
    assert table.num_rows == len(rows) and set(table.column_names) >= {"item_id", "check", "status", "score", "cancer_type"}
    summary = json.loads((run / "summary.json").read_text())
    assert set(summary["checks"]) == set(checks)
    assert summary["by_cancer_type"] and summary["by_category"] and summary["by_risk"]
    for entry in summary["checks"].values():
        if entry["n"]:
            assert entry["ci_low"] <= entry["pass_rate"] <= entry["ci_high"]
        else:
            assert entry["pass_rate"] is None and entry["unscored"] == 6


def test_engine_failures_are_recorded_per_item_and_the_run_goes_on(tmp_path: Path) -> None:
    dataset = load_dataset()
    failing = dataset.items[1].id
    config, _ = load_engine_config("python", ["callable=tests.test_run_pipeline:fails_on_second", f"kwargs={json.dumps({'failing': failing})}"])
    outcome = start_run(engine_config=config, selection=Selection(limit=4), options=RunOptions(progress=False, retries=0), runs_dir=tmp_path)
    assert outcome.summary["answered"] == 3 and outcome.summary["errors"] == 1
    assert outcome.summary["error_kinds"] == {"exception": 1}
    journal = read_journal(outcome.run.answers_path)
    assert "refused" in journal[failing].error.message
    assert outcome.manifest.status == "complete"


def fails_on_second(question: str, item_id: str, failing: str) -> str:
    if item_id == failing:
        raise ConnectionError("backend refused the connection")
    return "An answer.\n\nThis is general information, not medical advice."


def counting_server() -> ScriptedServer:
    def respond(path, body):  # type: ignore[no-untyped-def]
        return {"answer": f"Answer to {body['id']}. This is educational information only.", "contexts": ["some context"]}

    return ScriptedServer(respond, delay=0.15)


def http_config(server: ScriptedServer) -> list[str]:
    return ["kind=http", f"url={server.url}/answer", 'body={"id": "{item_id}", "q": "{question}"}', "contexts_path=contexts"]


def test_resume_after_sigkill_never_asks_the_engine_again_for_journaled_items(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    with counting_server() as server:
        args = ["run", "--engine", "http", *sum((["-E", e] for e in http_config(server)), []), "--limit", "30",
                "--concurrency", "3", "--out", str(runs), "--run-id", "killed", "--no-report", "-q"]
        proc = subprocess.Popen([sys.executable, "-m", "navis_eval", *args], cwd=ROOT, env=os.environ.copy(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        journal_path = runs / "killed" / "answers.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if journal_path.exists() and len(journal_path.read_bytes().splitlines()) >= 8:
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        before = read_journal(journal_path)
        assert 8 <= len(before) < 30
        requests_before = len(server.requests)
        resumed = navis("run", "--resume", str(runs / "killed"), "--no-report", "-q")
        assert resumed.returncode == 0, resumed.stderr
        # a request cut off by the kill may have arrived without its body
        later = [r.body["id"] for r in server.requests[requests_before:] if isinstance(r.body, dict)]
    assert not set(later) & set(before), "journaled items were sent to the engine again"
    lines = journal_path.read_text().splitlines()
    ids = [json.loads(line)["item_id"] for line in lines]
    assert len(ids) == len(set(ids)) == 30
    manifest = json.loads((runs / "killed" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["counts"]["resumed"] == 1 and manifest["counts"]["answered"] == 30


def test_the_response_cache_answers_a_repeated_run_and_rescore_needs_no_engine(tmp_path: Path) -> None:
    with counting_server() as server:
        config, _ = load_engine_config("http", http_config(server)[1:])
        first = start_run(engine_config=config, selection=Selection(limit=5), options=QUIET, runs_dir=tmp_path, run_id="first")
        calls = len(server.requests)
        second = start_run(engine_config=config, selection=Selection(limit=5), options=QUIET, runs_dir=tmp_path, run_id="second")
        assert len(server.requests) == calls == 5
    assert second.summary["cached"] == 5 and first.summary["cached"] == 0
    # the server is gone: rescoring must not need it
    rescored = rescore_run(first.run.path, rubric_path="rubrics/navis-v1.yaml")
    assert rescored.run.path.name.startswith("first.rescore-navis-v1-")
    assert rescored.summary["answered"] == 5
    assert (rescored.run.path / "results.jsonl").read_text() .count("\n") == (first.run.path / "results.jsonl").read_text().count("\n")
    assert json.loads((rescored.run.path / "manifest.json").read_text())["options"]["rescored_from"] == "first"


def test_a_planted_secret_never_reaches_the_run_directory(tmp_path: Path) -> None:
    secret = "sk-live-PLANTED-0123456789abcdef"

    def respond(path, body):  # type: ignore[no-untyped-def]
        return {"answer": "ok. This is general information."}

    with ScriptedServer(respond) as server:
        from tests.servers import Fault

        server.fail_next(Fault(500, body=json.dumps({"error": f"bad key {secret}"}).encode()))
        result = navis(
            "run", "--engine", "http", "-E", f"url={server.url}/a", "-E", 'headers={"Authorization": "Bearer ${NAVIS_PLANTED}"}',
            "--limit", "3", "--retries", "0", "--out", str(tmp_path), "--no-report", "-q",
            env={"NAVIS_PLANTED": secret},
        )
        assert result.returncode == 0, result.stderr
        assert any(r.headers.get("Authorization") == f"Bearer {secret}" for r in server.requests)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert secret.encode() not in path.read_bytes(), path
    assert secret not in result.stdout + result.stderr
    answers = (next(tmp_path.glob("*/answers.jsonl"))).read_text()
    assert "[redacted]" in answers  # the echoed key was scrubbed from the error record


def test_cli_run_prints_a_summary_and_the_run_directory(tmp_path: Path) -> None:
    result = navis("run", "--limit", "3", "--out", str(tmp_path), "--run-id", "cli", "--no-report", "-q")
    assert result.returncode == 0, result.stderr
    assert "run cli: complete" in result.stdout
    assert "disclaimer" in result.stdout and str(tmp_path / "cli") in result.stdout


@pytest.mark.parametrize("bad_id", ["../escape", "a/b", ".hidden", ""])
def test_run_ids_cannot_escape_the_runs_folder(tmp_path: Path, bad_id: str) -> None:
    result = navis("run", "--limit", "1", "--out", str(tmp_path / "runs"), "--run-id", bad_id, "--no-report", "-q")
    assert result.returncode == 2
    assert "invalid run id" in result.stderr
    assert not (tmp_path / "escape").exists() and not any((tmp_path / "runs").glob("**/*"))
