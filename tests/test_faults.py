"""A 500-item run against an engine that fails 30% of requests in every way we know of."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from navis_eval.dataset import load_dataset
from navis_eval.engines import load_engine_config
from navis_eval.journal import read_journal
from navis_eval.pipeline import Selection, start_run
from navis_eval.runner import RunOptions
from tests.conftest import navis
from tests.fault_server import FaultPlan, FaultServer, engine_overrides

# What an item's last request tells about how it must have ended.
EXPECTED_KIND = {
    "timeout": "timeout",
    "rate_limited": "http_status",
    "server_error": "http_status",
    "unavailable": "http_status",
    "dropped": "connection",
    "truncated_json": "connection",
    "malformed_json": "invalid_response",
    "invalid_utf8": "invalid_response",
    "empty_answer": "empty_answer",
    "huge_answer": "oversized_answer",
}


def synthetic_gold(tmp_path: Path, count: int) -> Path:
    """``count`` gold items made from the shipped ones, with unique ids."""
    items = load_dataset().items
    path = tmp_path / "gold-500.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            item = items[n % len(items)]
            handle.write(json.dumps({**item.model_dump(mode="json"), "id": f"{item.id}-r{n}"}) + "\n")
    return path


@pytest.mark.slow
def test_a_run_with_30_percent_faulty_requests_completes_with_every_item_accounted_for(tmp_path: Path) -> None:
    gold = synthetic_gold(tmp_path, 500)
    plan = FaultPlan.uniform(0.30, latency=0.005, timeout_delay=6.0, retry_after=0.2, seed=42)
    retries = 3
    with FaultServer(plan) as server:
        config, _ = load_engine_config("http", engine_overrides(server)[1:])
        outcome = start_run(
            engine_config=config,
            dataset_path=str(gold),
            selection=Selection(),
            options=RunOptions(concurrency=32, timeout=2.5, retries=retries, backoff_base=0.05, progress=False),
            runs_dir=tmp_path / "runs",
            run_id="faulty",
            use_cache=False,
        )
        log = list(server.log)
    assert outcome.manifest.status == "complete"
    lines = outcome.run.answers_path.read_text().splitlines()
    ids = [json.loads(line)["item_id"] for line in lines]
    assert len(ids) == len(set(ids)) == 500, "every item journaled exactly once"
    journal = read_journal(outcome.run.answers_path)

    requests = defaultdict(list)
    for item_id, fault, at in log:
        requests[item_id].append((fault, at))
    assert set(requests) == set(journal)
    faults_injected = sum(1 for _, fault, _ in log if fault != "ok")
    assert faults_injected / len(log) > 0.2

    for item_id, answer in journal.items():
        history = requests[item_id]
        assert len(history) <= retries + 1, f"{item_id} was asked {len(history)} times"
        last_fault = history[-1][0]
        if answer.error is None:
            assert last_fault == "ok"
            assert answer.attempts == len(history)
        else:
            assert answer.error.kind == EXPECTED_KIND[last_fault], (item_id, answer.error, history)
            assert answer.error.attempts == len(history)
        for (fault, at), (_, next_at) in zip(history, history[1:], strict=False):
            if fault in ("rate_limited", "unavailable"):
                assert next_at - at >= plan.retry_after * 0.95, "Retry-After was not honoured"

    errors = sum(1 for a in journal.values() if a.error is not None)
    assert errors > 0
    summary = outcome.summary
    assert summary["errors"] == errors and summary["answered"] == 500 - errors
    assert summary["error_rate"] == pytest.approx(errors / 500)
    assert sum(summary["error_kinds"].values()) == errors
    manifest = json.loads((outcome.run.path / "manifest.json").read_text())
    assert manifest["counts"]["errors"] == errors

    # The gate judges the error rate by its policy rule: over the limit fails (exit 1), under passes.
    rate = errors / 500
    for limit, expected in ((rate / 2, 1), (min(1.0, rate * 2), 0)):
        policy = tmp_path / f"policy-{expected}.yaml"
        policy.write_text(f"name: errors-only\nversion: '1'\nmax_error_rate: {limit:.4f}\nrequire_complete: true\n")
        gate = navis("gate", str(outcome.run.path), "--policy", str(policy), "--out", str(tmp_path / f"gate-{expected}"), "--no-report")
        assert gate.returncode == expected, gate.stdout + gate.stderr
        junit = (tmp_path / f"gate-{expected}" / "junit.xml").read_text()
        assert "error rate" in junit and ("<failure" in junit) == (expected == 1)
