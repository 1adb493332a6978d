"""The runner: retries with backoff that honour Retry-After, timeouts, limits and error records."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest

from navis_eval.dataset import load_dataset
from navis_eval.engines import create_engine, load_engine_config
from navis_eval.engines.base import AnswerEngine, EngineCallError, EngineConfig, EngineContext
from navis_eval.journal import Journal, read_journal
from navis_eval.models import EngineAnswer, GoldItem
from navis_eval.runner import RunOptions, backoff_delay, run_items
from tests.servers import Fault, openai_server


@pytest.fixture(scope="module")
def items() -> list[GoldItem]:
    return load_dataset().items[:12]


class ScriptedEngine(AnswerEngine):
    """An in-process engine whose behaviour per call is scripted by the test."""

    kind = "scripted"
    Config = EngineConfig

    def __init__(self, behaviour) -> None:  # type: ignore[no-untyped-def]
        super().__init__(EngineConfig(kind="scripted", cache=False), EngineContext())
        self.behaviour = behaviour
        self.calls: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def answer(self, item: GoldItem) -> EngineAnswer:
        self.calls.append(item.id)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self.behaviour(item, self.calls.count(item.id))
        finally:
            self.in_flight -= 1


def run(engine: AnswerEngine, items: list[GoldItem], path: Path, **options):  # type: ignore[no-untyped-def]
    opts = RunOptions(progress=False, backoff_base=0.01, **options)
    with Journal(path) as journal:
        stats = asyncio.run(run_items(engine, items, journal, opts))
    return stats, read_journal(path)


def test_concurrency_is_bounded_and_every_item_is_journaled_once(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def slow(item, attempt):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.02)
        return EngineAnswer(item_id=item.id, text="ok answer")

    engine = ScriptedEngine(slow)
    stats, journal = run(engine, items, tmp_path / "a.jsonl", concurrency=3)
    assert engine.max_in_flight == 3
    assert stats.answered == len(items) and set(journal) == {i.id for i in items}
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert len(lines) == len(items)


def test_retryable_failures_are_retried_then_recorded_with_attempts(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def flaky(item, attempt):  # type: ignore[no-untyped-def]
        if item.id == items[0].id:
            raise EngineCallError("http_status", "HTTP 503", retryable=True, status_code=503)
        if item.id == items[1].id and attempt < 3:
            raise EngineCallError("connection", "reset", retryable=True)
        if item.id == items[2].id:
            raise EngineCallError("http_status", "HTTP 400", retryable=False, status_code=400)
        return EngineAnswer(item_id=item.id, text="fine")

    engine = ScriptedEngine(flaky)
    stats, journal = run(engine, items[:4], tmp_path / "j.jsonl", retries=3)
    assert journal[items[0].id].error.kind == "http_status" and journal[items[0].id].error.attempts == 4
    assert journal[items[0].id].error.status_code == 503
    assert journal[items[1].id].error is None and journal[items[1].id].attempts == 3
    assert journal[items[2].id].error.attempts == 1  # not retryable: tried once
    assert stats.errors == 2 and stats.error_kinds["http_status"] == 2


def test_timeouts_and_empty_answers_become_error_records(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def behaviour(item, attempt):  # type: ignore[no-untyped-def]
        if item.id == items[0].id:
            await asyncio.sleep(5)
        return EngineAnswer(item_id=item.id, text="   " if item.id == items[1].id else "answer")

    stats, journal = run(ScriptedEngine(behaviour), items[:3], tmp_path / "j.jsonl", timeout=0.1, retries=1)
    assert journal[items[0].id].error.kind == "timeout"
    assert journal[items[1].id].error.kind == "empty_answer" and journal[items[1].id].error.attempts == 2
    assert journal[items[2].id].error is None


def test_an_engine_bug_is_recorded_not_raised(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def buggy(item, attempt):  # type: ignore[no-untyped-def]
        raise KeyError("oops")

    stats, journal = run(ScriptedEngine(buggy), items[:2], tmp_path / "j.jsonl")
    assert {a.error.kind for a in journal.values()} == {"exception"}
    assert stats.errors == 2


def test_max_errors_stops_a_broken_run_early(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def down(item, attempt):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.01)
        raise EngineCallError("connection", "refused")

    engine = ScriptedEngine(down)
    stats, journal = run(engine, items, tmp_path / "j.jsonl", concurrency=2, max_errors=2)
    assert stats.stopped and "more than 2" in (stats.stop_reason or "")
    assert 3 <= len(journal) < len(items)


def test_requests_per_minute_spaces_request_starts(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def quick(item, attempt):  # type: ignore[no-untyped-def]
        return EngineAnswer(item_id=item.id, text="ok")

    started = time.monotonic()
    run(ScriptedEngine(quick), items[:5], tmp_path / "j.jsonl", concurrency=5, requests_per_minute=600)
    assert time.monotonic() - started >= 0.4  # 5 starts, 0.1 s apart


def test_backoff_grows_with_jitter_and_never_undercuts_retry_after() -> None:
    options = RunOptions(backoff_base=1.0, backoff_max=8.0)
    rng = random.Random(3)
    delays = [backoff_delay(attempt, options, None, rng) for attempt in (1, 2, 3, 4, 5, 6)]
    caps = [1, 2, 4, 8, 8, 8]
    assert all(0 <= d <= c for d, c in zip(delays, caps, strict=True))
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered
    assert all(backoff_delay(1, options, 7.5, rng) >= 7.5 for _ in range(20))


def test_retry_after_from_a_real_server_is_honoured(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with openai_server() as server:
        server.fail_next(Fault(429, headers={"Retry-After": "1"}), Fault(503, headers={"Retry-After": "1"}))
        config, _ = load_engine_config("openai", ["model=m", f"base_url={server.url}/v1"])
        engine = create_engine(config, EngineContext())
        stats, journal = run(engine, items[:1], tmp_path / "j.jsonl", retries=3)
    times = [r.at for r in server.requests]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.95 and times[2] - times[1] >= 0.95
    assert journal[items[0].id].error is None and journal[items[0].id].attempts == 3


def test_a_retry_after_beyond_the_limit_gives_up_with_a_clear_message(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def throttled(item, attempt):  # type: ignore[no-untyped-def]
        raise EngineCallError("http_status", "HTTP 429", retryable=True, retry_after=3600, status_code=429)

    stats, journal = run(ScriptedEngine(throttled), items[:1], tmp_path / "j.jsonl", max_retry_after=60)
    error = journal[items[0].id].error
    assert error.attempts == 1 and "3600 s" in error.message
