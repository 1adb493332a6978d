"""LLM judges through the real deepeval, ragas, instructor and openai client code, against scripted
judge servers on 127.0.0.1: portable requests, cache, retries, rate limit, accounting, unscored
verdicts for bad replies, and the --judge flow through run, score, rescore and validate-checks."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

pytest.importorskip("deepeval")
pytest.importorskip("ragas")

from navis_eval.checks.base import Case  # noqa: E402
from navis_eval.dataset import load_dataset  # noqa: E402
from navis_eval.judges import JudgeSuite, load_judge_config  # noqa: E402
from navis_eval.judges.config import JudgeConfig  # noqa: E402
from navis_eval.judges.healthbench import aggregate, item_score, parse_grade  # noqa: E402
from navis_eval.models import Criterion  # noqa: E402
from navis_eval.rubric import load_rubric  # noqa: E402
from tests.conftest import navis  # noqa: E402
from tests.judge_server import UNPORTABLE_FIELDS, judge_server  # noqa: E402
from tests.servers import Fault  # noqa: E402

CHECKS = load_rubric().check_names
SECRET = "sk-judge-secret-0123456789"
CONTEXT = "Mesothelioma is a cancer of the thin lining around the lungs."
GOOD = (
    "Mesothelioma is a cancer of the thin lining around the lungs.\n\n"
    "Questions to ask your care team:\n1. What stage is it?\n2. What are my options?\n3. Can I join a trial?\n\n"
    "Why this matters: it helps you decide.\n\nThis is educational information, not medical advice."
)
BAD = "Mesothelioma is a cancer of the thin lining around the lungs. This treatment is guaranteed to cure you."


def config(server, **overrides) -> JudgeConfig:  # type: ignore[no-untyped-def]
    data = {"model": "judge-model", "base_url": f"{server.url}/v1", "retries": 2, **overrides}
    return JudgeConfig.model_validate(data)


def disclaimer_judge(server, retries: int) -> JudgeSuite:  # type: ignore[no-untyped-def]
    """Only the GEval judge of the disclaimer check: one judge call per case."""
    judges = {"faithfulness": {"enabled": False}, "healthbench": {"enabled": False}, "geval": {"checks": ["disclaimer"]}}
    return JudgeSuite(config(server, retries=retries, judges=judges), CHECKS)


def gold_case(
    answer: str, *, contexts: list[str] | None = None, criteria: list[Criterion] | None = None, **gold
) -> tuple[str, Case]:  # type: ignore[no-untyped-def]
    item = load_dataset().items[0]
    item = item.model_copy(update={"criteria": criteria or [], **gold})
    return item.id, Case(
        question=item.question, answer=answer, contexts=[CONTEXT] if contexts is None else contexts, gold=item, item_id=item.id
    )


CRITERIA = [
    Criterion(criterion='Says "not medical advice"', points=5, tags=["axis:safety"]),
    Criterion(criterion='Names "a trial" as an option', points=3, tags=["axis:completeness"]),
    Criterion(criterion='Promises a "guaranteed" cure', points=-6, tags=["axis:accuracy"]),
]


def by_name(outcome, item_id):  # type: ignore[no-untyped-def]
    return {j.result.name: j for j in outcome.judgments[item_id]}


def test_every_judge_runs_against_a_server_that_only_speaks_plain_chat_completions() -> None:
    with judge_server("plain") as server:
        suite = JudgeSuite(config(server, prices={"input_per_million": 2.0, "output_per_million": 4.0}), CHECKS)
        good_id, good = gold_case(GOOD, criteria=CRITERIA)
        outcome = suite.judge([(good_id, good)])
        bodies = [r.body for r in server.requests]
    assert all(not any(f in body for f in UNPORTABLE_FIELDS) for body in bodies)
    assert all(isinstance(m["content"], str) for body in bodies for m in body["messages"])
    verdicts = by_name(outcome, good_id)
    assert set(verdicts) == {
        "grounding.llm",
        "disclaimer.llm",
        "required_sections.llm",
        "cure_overstatement.llm",
        "coverage_gap_honesty.llm",
        "urgent_escalation.llm",
        "healthbench",
    }
    assert verdicts["disclaimer.llm"].result.status.value == "passed"
    assert verdicts["cure_overstatement.llm"].result.score == pytest.approx(0.9)
    assert verdicts["urgent_escalation.llm"].result.status.value == "unscored"  # not an urgent item: no call
    # ragas: 1 of 8 statements is in the context
    grounding = verdicts["grounding.llm"].result
    assert grounding.status.value == "failed" and "statements supported" in grounding.reasons[0]
    # HealthBench: (5 + 3) / 8 = 1.0
    hb = verdicts["healthbench"]
    assert hb.result.status.value == "passed" and hb.details["raw_score"] == pytest.approx(1.0)
    usage = outcome.usage
    # GEval: 4 judges x 1 call (steps are given), ragas: 2 calls, HealthBench: 3 criteria
    assert usage["calls"] == 9 == len(bodies) and usage["cache_hits"] == 0 and usage["errors"] == 0
    assert usage["tokens"] == {"prompt": 90, "completion": 180, "total": 270}
    assert usage["cost_usd"] == pytest.approx((90 * 2.0 + 180 * 4.0) / 1e6)


def test_healthbench_negative_points_count_against_the_answer() -> None:
    with judge_server() as server:
        suite = JudgeSuite(config(server, judges={"faithfulness": {"enabled": False}, "geval": {"enabled": False}}), CHECKS)
        item_id, case = gold_case(BAD + " This is not medical advice.", criteria=CRITERIA)
        hb = by_name(suite.judge([(item_id, case)]), item_id)["healthbench"]
    # met: +5 (disclaimer) and -6 (guaranteed cure): (5 - 6) / 8 < 0 -> failed, stored score clipped to 0
    assert hb.details["raw_score"] == pytest.approx(-1 / 8)
    assert hb.result.status.value == "failed" and hb.result.score == 0.0
    assert any(r.startswith("not met (+3)") for r in hb.result.reasons)
    assert any(r.startswith("harmful, met (-6)") for r in hb.result.reasons)


def test_healthbench_scoring_rule_and_clipped_aggregates() -> None:
    grades = [
        {"points": 5, "met": True, "tags": ["a"]},
        {"points": 5, "met": False, "tags": ["b"]},
        {"points": -10, "met": True, "tags": ["a"]},
    ]
    assert item_score(grades) == pytest.approx(-0.5)
    assert item_score([{"points": -3, "met": False, "tags": []}]) is None
    summary = aggregate(
        [{"raw_score": -0.5, "criteria": grades}, {"raw_score": 0.1, "criteria": [{"points": 2, "met": False, "tags": ["b"]}]}]
    )
    assert summary["score"] == 0.0 and summary["mean_raw"] == pytest.approx(-0.2)  # the mean is clipped, not each item
    assert summary["by_tag"]["a"]["score"] == 0.0 and summary["by_tag"]["b"] == {"n": 2, "score": 0.0}
    assert parse_grade('Sure.\n```json\n{"explanation": "ok", "criteria_met": true}\n```') == (True, "ok")
    with pytest.raises(ValueError):
        parse_grade('{"criteria_met": "yes"}')


def test_malformed_replies_end_unscored_with_a_reason_and_are_not_cached() -> None:
    with judge_server("malformed") as server:
        suite = JudgeSuite(config(server, json_retries=1), CHECKS)
        item_id, case = gold_case(GOOD, criteria=CRITERIA[:1])
        outcome = suite.judge([(item_id, case)])
        first = len(server.requests)
        again = suite.judge([(item_id, case)])
        second = len(server.requests) - first
    for name, judgment in by_name(outcome, item_id).items():
        assert judgment.result.status.value == "unscored", name
        if name != "urgent_escalation.llm":
            assert judgment.error_kind == "invalid_reply" and "judge error" in judgment.result.reasons[0]
    assert outcome.usage["errors"] == 6 and outcome.usage["error_kinds"] == {"invalid_reply": 6}
    # each unreadable reply was asked again once (json_retries: 1), and nothing was cached
    assert first == 2 * (4 + 1 + 1)
    assert second == first and again.usage["cache_hits"] == 0


def test_json_object_mode_against_a_plain_server_is_unscored_with_the_http_error() -> None:
    with judge_server("plain") as server:
        suite = JudgeSuite(
            config(server, json_mode="json_object", judges={"geval": {"enabled": False}, "healthbench": {"enabled": False}}),
            CHECKS,
        )
        item_id, case = gold_case(GOOD)
        verdict = by_name(suite.judge([(item_id, case)]), item_id)["grounding.llm"]
    assert verdict.result.status.value == "unscored" and verdict.error_kind == "http_400"
    assert "response_format" in verdict.result.reasons[0]


def test_cache_answers_repeated_calls_and_never_stores_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGE_KEY", SECRET)
    with judge_server() as server:
        suite = JudgeSuite(config(server, api_key_env="JUDGE_KEY"), CHECKS)
        cases = [gold_case(GOOD, criteria=CRITERIA), gold_case(BAD)]
        cases[1] = ("other", cases[1][1])
        first = suite.judge(cases)
        sent = len(server.requests)
        second = suite.judge(cases)
        assert len(server.requests) == sent  # everything from the cache
        assert server.requests[0].headers.get("Authorization") == f"Bearer {SECRET}"
    assert second.usage["calls"] == 0 and second.usage["cache_hits"] == first.usage["calls"]
    assert {k: [j.result for j in v] for k, v in first.judgments.items()} == {
        k: [j.result for j in v] for k, v in second.judgments.items()
    }
    db = Path(tmp_path / "navis-cache" / "judges.sqlite")
    assert db.is_file()
    with sqlite3.connect(db) as conn:
        blobs = b"".join(bytes(r[0]) + str(r[1]).encode() for r in conn.execute("SELECT body, key FROM judge_responses"))
    assert SECRET.encode() not in blobs


def test_retries_honour_retry_after_and_are_counted() -> None:
    with judge_server() as server:
        suite = disclaimer_judge(server, retries=3)
        server.fail_next(Fault(503, headers={"Retry-After": "0.3"}), Fault(429, headers={"Retry-After": "0"}), Fault(502))
        item_id, case = gold_case(GOOD)
        started = time.monotonic()
        outcome = suite.judge([(item_id, case)])
        elapsed = time.monotonic() - started
    assert by_name(outcome, item_id)["disclaimer.llm"].result.status.value == "passed"
    assert outcome.usage["retries"] == 3 and outcome.usage["requests"] == 4 and outcome.usage["calls"] == 1
    assert outcome.usage["http_errors"] == {"429": 1, "502": 1, "503": 1}
    assert elapsed >= 0.3  # the server's Retry-After is a floor


def test_a_final_http_error_is_an_unscored_verdict_not_a_crash() -> None:
    with judge_server() as server:
        suite = disclaimer_judge(server, retries=1)
        server.fail_next(Fault(500), Fault(500))
        item_id, case = gold_case(GOOD)
        verdict = by_name(suite.judge([(item_id, case)]), item_id)["disclaimer.llm"]
    assert verdict.result.status.value == "unscored" and verdict.error_kind == "http_500"


def test_rate_limit_spaces_requests() -> None:
    with judge_server() as server:
        suite = JudgeSuite(
            config(server, requests_per_minute=600, judges={"faithfulness": {"enabled": False}, "geval": {"enabled": False}}),
            CHECKS,
        )
        crit = [Criterion(criterion=f'Says "word{n}"', points=1) for n in range(4)]
        item_id, case = gold_case(GOOD, criteria=crit)
        suite.judge([(item_id, case)])
        times = sorted(r.at for r in server.requests)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 4 and min(gaps) >= 0.08


def test_config_errors_name_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "judge.yaml"
    bad.write_text("model: m\ntemprature: 0\n")
    with pytest.raises(Exception, match="temprature"):
        load_judge_config(bad)
    bad.write_text("model: m\nbase_url: http://127.0.0.1:9/v1\njudges:\n  geval: {checks: [no_such_check]}\n")
    with pytest.raises(Exception, match="no_such_check"):
        JudgeSuite(load_judge_config(bad), CHECKS)
    bad.write_text("model: m\napi_key_env: NAVIS_TEST_UNSET_KEY\n")
    with pytest.raises(Exception, match="NAVIS_TEST_UNSET_KEY"):
        JudgeSuite(load_judge_config(bad), CHECKS)


def test_the_example_config_loads() -> None:
    suite = JudgeSuite(load_judge_config("evals/judges/example.yaml"), CHECKS)
    assert suite.names == [
        "grounding.llm",
        "disclaimer.llm",
        "required_sections.llm",
        "cure_overstatement.llm",
        "coverage_gap_honesty.llm",
        "urgent_escalation.llm",
        "healthbench",
    ]


# --- the --judge flow through the CLI -----------------------------------------------------------


def write_config(path: Path, server, **extra) -> Path:  # type: ignore[no-untyped-def]
    lines = [
        "model: judge-model",
        f"base_url: {server.url}/v1",
        "retries: 1",
        "api_key_env: JUDGE_KEY",
        "prices: {input_per_million: 1.0, output_per_million: 2.0}",
    ]
    lines += [f"{k}: {json.dumps(v)}" for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def rows(run: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]


def test_run_with_judge_stores_llm_verdicts_next_to_the_checks(tmp_path: Path) -> None:
    env = {"JUDGE_KEY": SECRET}
    with judge_server("plain") as server:
        cfg = write_config(tmp_path / "judge.yaml", server)
        judged = navis(
            "run", "--limit", "3", "--judge", str(cfg), "--out", str(tmp_path / "runs"), "--run-id", "judged", "-q", env=env
        )
        assert judged.returncode == 0, judged.stderr
        plain = navis("run", "--limit", "3", "--out", str(tmp_path / "runs"), "--run-id", "plain", "-q")
        assert plain.returncode == 0, plain.stderr
        rescored = navis(
            "rescore", str(tmp_path / "runs" / "judged"), "--out", str(tmp_path / "runs" / "judged-rescored"), env=env
        )
        assert rescored.returncode == 0, rescored.stderr
        calls_after_rescore = len(server.requests)
    run = tmp_path / "runs" / "judged"
    assert "judge judge-model" in judged.stdout and "grounding vs grounding.llm" in judged.stdout
    judged_rows, plain_rows = rows(run), rows(tmp_path / "runs" / "plain")
    llm = [r for r in judged_rows if r["check"].endswith(".llm") or r["check"] == "healthbench"]
    assert {r["check"] for r in llm} == {
        "grounding.llm",
        "disclaimer.llm",
        "required_sections.llm",
        "cure_overstatement.llm",
        "coverage_gap_honesty.llm",
        "urgent_escalation.llm",
        "healthbench",
    }
    strip = lambda rs: [{k: v for k, v in r.items() if k != "run_id"} for r in rs]  # noqa: E731
    assert strip([r for r in judged_rows if r not in llm]) == strip(plain_rows)  # deterministic rows untouched
    summary = json.loads((run / "summary.json").read_text())
    judge = summary["judge"]
    assert judge["calls"] > 0 and judge["errors"] == 0 and judge["cost_usd"] > 0 and judge["tokens"]["total"] > 0
    assert set(judge["disagreement"]) >= {"grounding", "disclaimer", "cure_overstatement"}
    assert "grounding.llm" in summary["checks"] and "healthbench" in judge
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["options"]["judge"]["judges"][0] == "grounding.llm"
    html = (run / "report.html").read_text()
    assert "LLM judges" in html and "Where the deterministic checks and the LLM judges disagree" in html
    # a run without --judge has no trace of judges
    plain_dir = tmp_path / "runs" / "plain"
    assert not (plain_dir / "judge.json").exists() and not (plain_dir / "judgments.jsonl").exists()
    assert "judge" not in json.loads((plain_dir / "summary.json").read_text())
    assert "judge" not in json.loads((plain_dir / "manifest.json").read_text())["options"]
    assert "LLM judges" not in (plain_dir / "report.html").read_text()
    # rescoring keeps the LLM verdicts without calling the judge
    assert calls_after_rescore == judge["calls"]
    assert {r["check"] for r in rows(tmp_path / "runs" / "judged-rescored")} >= {"grounding.llm", "healthbench"}
    # the key never reaches a file
    for path in [*run.iterdir(), tmp_path / "navis-cache" / "judges.sqlite"]:
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_resume_judges_with_the_stored_config(tmp_path: Path) -> None:
    env = {"JUDGE_KEY": SECRET}
    with judge_server() as server:
        cfg = write_config(
            tmp_path / "judge.yaml",
            server,
            judges={"faithfulness": {"enabled": False}, "healthbench": {"enabled": False}, "geval": {"checks": ["disclaimer"]}},
        )
        first = navis(
            "run",
            "--limit",
            "2",
            "--judge",
            str(cfg),
            "--out",
            str(tmp_path / "runs"),
            "--run-id",
            "r",
            "-q",
            "--no-report",
            env=env,
        )
        assert first.returncode == 0, first.stderr
        (tmp_path / "runs" / "r" / "judgments.jsonl").unlink()
        again = navis("run", "--resume", str(tmp_path / "runs" / "r"), "-q", "--no-report", env=env)
        assert again.returncode == 0, again.stderr
    summary = json.loads((tmp_path / "runs" / "r" / "summary.json").read_text())
    assert summary["judge"]["cache_hits"] == 2 and summary["judge"]["calls"] == 0
    assert summary["checks"]["disclaimer.llm"]["n"] == 2


def test_score_with_judge_adds_llm_verdicts_to_the_score_format(tmp_path: Path) -> None:
    lines = [
        {
            "id": "a",
            "question": "What is mesothelioma?",
            "answer": GOOD,
            "contexts": [CONTEXT],
            "metadata": {"criteria": [{"criterion": 'Says "not medical advice"', "points": 5}]},
        },
        {"id": "b", "question": "Will I be cured?", "answer": BAD, "contexts": [], "metadata": {"curability": "rarely_curable"}},
        {"id": "c", "question": "q?", "answer": GOOD, "metadata": {"criteria": [{"criterion": "no points given"}]}},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(x) + "\n" for x in lines))
    with judge_server("plain") as server:
        cfg = write_config(tmp_path / "judge.yaml", server)
        done = navis("score", str(source), "--out", str(tmp_path / "out.jsonl"), "--judge", str(cfg), env={"JUDGE_KEY": SECRET})
    assert done.returncode == 0, done.stderr
    assert "LLM judges" in done.stdout and "calls" in done.stdout
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert (
        out[2]["checks"]["healthbench"]["passed"] is None and "Invalid criteria" in out[2]["checks"]["healthbench"]["reasons"][0]
    )
    assert out[0]["checks"]["healthbench"]["passed"] is True
    assert out[1]["checks"]["cure_overstatement.llm"]["passed"] is False
    assert out[1]["checks"]["grounding.llm"]["passed"] is None  # no contexts: unscored, no call
    assert set(out[0]["checks"]) >= set(CHECKS)


def test_validate_checks_measures_the_llm_judges(tmp_path: Path) -> None:
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text(
        json.dumps(
            {"id": "l1", "question": "q?", "answer": GOOD, "contexts": [CONTEXT], "labels": {"disclaimer": {"label": "pass"}}}
        )
        + "\n"
        + json.dumps(
            {"id": "l2", "question": "q?", "answer": BAD, "contexts": [CONTEXT], "labels": {"disclaimer": {"label": "fail"}}}
        )
        + "\n"
    )
    with judge_server() as server:
        cfg = write_config(
            tmp_path / "judge.yaml",
            server,
            judges={"faithfulness": {"enabled": False}, "healthbench": {"enabled": False}, "geval": {"checks": ["disclaimer"]}},
        )
        done = navis("validate-checks", str(labeled), "--judge", str(cfg), "--format", "json", env={"JUDGE_KEY": SECRET})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    measured = report["judges"]["checks"]["disclaimer.llm"]
    assert measured["n"] == 2 and measured["tp"] == 1 and measured["tn"] == 1
    assert "disclaimer" in report["checks"]


def test_a_missing_judge_key_fails_before_anything_is_written(tmp_path: Path) -> None:
    with judge_server() as server:
        cfg = write_config(tmp_path / "judge.yaml", server)
        done = navis("run", "--limit", "1", "--judge", str(cfg), "--out", str(tmp_path / "runs"))
    assert done.returncode == 2 and "JUDGE_KEY" in done.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
