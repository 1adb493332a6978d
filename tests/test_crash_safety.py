"""SIGKILL at random moments, resume each time: the result equals an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, navis
from tests.servers import ScriptedServer

ITEMS = 400
KILLS = 20


def echo_server() -> ScriptedServer:
    """Deterministic answers that depend only on the item, with some latency."""

    def respond(path, body):  # type: ignore[no-untyped-def]
        return {
            "answer": (
                f"About {body['id']}: {body['q']}\n\nImportant Questions to Ask Your Care Team\n\n"
                "1. What is my stage?\n2. What are my options?\n3. Can I join a trial?\n\n"
                "Why This Matters\n\nIt helps you decide.\n\nThis is general information, not medical advice.\n"
            ),
            "contexts": [f"Context for {body['id']}."],
        }

    return ScriptedServer(respond, delay=0.05)


def engine_args(server: ScriptedServer) -> list[str]:
    settings = ["kind=http", f"url={server.url}/a", 'body={"id": "{item_id}", "q": "{question}"}', "contexts_path=contexts"]
    return ["--engine", "http", *[x for s in settings for x in ("-E", s)]]


def stable_rows(run: Path) -> list[dict]:  # type: ignore[type-arg]
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    for row in rows:
        row.pop("run_id")
    return rows


@pytest.mark.slow
def test_twenty_random_sigkills_then_resume_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    rng = random.Random(20261121)
    runs = tmp_path / "runs"
    run_dir = runs / "crashy"
    common = ["--limit", str(ITEMS), "--concurrency", "2", "--no-report", "-q", "--no-cache"]
    kills = 0
    deadline = time.monotonic() + 240
    with echo_server() as server:
        while kills < KILLS and time.monotonic() < deadline:
            journaled = set()
            if (run_dir / "answers.jsonl").exists():
                journaled = {json.loads(line)["item_id"] for line in (run_dir / "answers.jsonl").read_bytes().splitlines() if line.endswith(b"}")}
            if run_dir.exists():
                args = ["run", "--resume", str(run_dir), "--no-report", "-q", "--no-cache"]
            else:
                args = ["run", *engine_args(server), *common, "--out", str(runs), "--run-id", "crashy"]
            seen_before = len(server.requests)
            proc = subprocess.Popen([sys.executable, "-m", "navis_eval", *args], cwd=ROOT, env=os.environ.copy(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                proc.wait(timeout=rng.uniform(0.3, 1.3))
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                kills += 1
            else:
                assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
                if json.loads((run_dir / "manifest.json").read_text())["status"] == "complete":
                    break
            finally:
                if proc.stderr:
                    proc.stderr.close()
            asked_again = {r.body["id"] for r in server.requests[seen_before:] if isinstance(r.body, dict)} & journaled
            assert not asked_again, f"journaled items were sent again: {sorted(asked_again)[:5]}"
        assert kills >= KILLS, f"only {kills} kills happened before the run finished; make it slower"
        final = navis("run", "--resume", str(run_dir), "--no-report", "-q", "--no-cache")
        assert final.returncode == 0, final.stderr
        reference = navis("run", *engine_args(server), *common, "--out", str(runs), "--run-id", "straight")
        assert reference.returncode == 0, reference.stderr

    crashy_lines = (run_dir / "answers.jsonl").read_text().splitlines()
    ids = [json.loads(line)["item_id"] for line in crashy_lines]
    assert len(ids) == len(set(ids)) == ITEMS, "nothing lost, nothing duplicated"
    answers = {json.loads(line)["item_id"]: json.loads(line) for line in crashy_lines}
    straight = {json.loads(line)["item_id"]: json.loads(line) for line in (runs / "straight" / "answers.jsonl").read_text().splitlines()}
    assert {k: (v["text"], v["contexts"], v["error"]) for k, v in answers.items()} == {
        k: (v["text"], v["contexts"], v["error"]) for k, v in straight.items()
    }
    assert stable_rows(run_dir) == stable_rows(runs / "straight")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["counts"]["answered"] == ITEMS
    assert manifest["counts"]["resumed"] >= 1
