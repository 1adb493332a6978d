"""Async orchestration of engine calls: bounded concurrency, timeouts, retries, rate limits.

Every finished item, answered or failed, is appended to the journal before the next one counts,
so a killed run loses at most the requests that were in flight. An engine failure becomes an error
record for that item and the run goes on; ``max_errors`` stops a run that is clearly broken.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from navis_eval.cache import ResponseCache, cache_key
from navis_eval.engines.base import AnswerEngine, EngineCallError
from navis_eval.journal import Journal
from navis_eval.models import EngineAnswer, EngineError, GoldItem
from navis_eval.secrets import scrub


@dataclass(frozen=True)
class RunOptions:
    concurrency: int = 8
    timeout: float = 120.0
    retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    requests_per_minute: float | None = None
    max_errors: int | None = None
    max_answer_chars: int = 100_000
    progress: bool = True


@dataclass
class RunStats:
    answered: int = 0
    errors: int = 0
    cached: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)
    stopped: bool = False
    stop_reason: str | None = None


class RateLimiter:
    """Spaces request starts evenly to stay under a requests-per-minute budget."""

    def __init__(self, requests_per_minute: float | None) -> None:
        self._interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)


def backoff_delay(attempt: int, options: RunOptions, retry_after: float | None, rng: random.Random) -> float:
    """Exponential backoff with full jitter; a server's Retry-After is a floor, never shortened."""
    cap = min(options.backoff_max, options.backoff_base * (2 ** (attempt - 1)))
    delay = rng.uniform(0, cap)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


async def answer_with_retries(
    engine: AnswerEngine,
    item: GoldItem,
    options: RunOptions,
    limiter: RateLimiter,
    rng: random.Random,
) -> EngineAnswer:
    """Call the engine until it answers or the error is final; never raises for engine failures."""
    attempt = 0
    while True:
        attempt += 1
        await limiter.acquire()
        try:
            answer = await asyncio.wait_for(engine.answer(item), timeout=options.timeout)
            if not answer.text.strip():
                raise EngineCallError("empty_answer", "engine returned an empty answer", retryable=True)
            if len(answer.text) > options.max_answer_chars:
                # A patient-facing answer this long is a broken engine; scoring it would only stall the run.
                raise EngineCallError(
                    "oversized_answer",
                    f"answer has {len(answer.text):,} characters (limit {options.max_answer_chars:,})",
                )
            return answer.model_copy(update={"attempts": attempt})
        except EngineCallError as exc:
            error = exc
        except TimeoutError:
            error = EngineCallError("timeout", f"no answer within {options.timeout:g} s", retryable=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - an engine bug is recorded, not fatal to the run
            error = EngineCallError("exception", f"{type(exc).__name__}: {exc}")
        if error.retry_after is not None and error.retry_after > options.max_retry_after:
            error = EngineCallError(
                error.kind,
                f"{error.message} (server asked to wait {error.retry_after:.0f} s, over the {options.max_retry_after:.0f} s limit)",
                status_code=error.status_code,
            )
        if not error.retryable or attempt > options.retries:
            return EngineAnswer(
                item_id=item.id,
                attempts=attempt,
                error=EngineError(kind=error.kind, message=scrub(error.message), attempts=attempt, status_code=error.status_code),
            )
        await asyncio.sleep(backoff_delay(attempt, options, error.retry_after, rng))


class _Progress:
    """A progress bar with ETA on a terminal; silent otherwise (CI logs get the final summary)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._bar = None
        if enabled and total and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("[bold]answering"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("errors: {task.fields[errors]}"),
                TimeRemainingColumn(),
                transient=True,
            )
            self._task = self._bar.add_task("run", total=total, errors=0)
            self._bar.start()

    def advance(self, errors: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, errors=errors)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


async def run_items(
    engine: AnswerEngine,
    items: Sequence[GoldItem],
    journal: Journal,
    options: RunOptions,
    cache: ResponseCache | None = None,
) -> RunStats:
    """Answer every item once, journaling each as it completes."""
    stats = RunStats()
    limiter = RateLimiter(options.requests_per_minute)
    rng = random.Random()
    queue: asyncio.Queue[GoldItem] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    progress = _Progress(len(items), options.progress)
    stop = asyncio.Event()
    fingerprint = engine.fingerprint() if cache is not None and engine.cacheable else None

    def record(answer: EngineAnswer) -> None:
        journal.append(answer)
        if answer.error is None:
            stats.answered += 1
            stats.cached += int(answer.cached)
        else:
            stats.errors += 1
            stats.error_kinds[answer.error.kind] += 1
            if options.max_errors is not None and stats.errors > options.max_errors and not stop.is_set():
                stats.stopped = True
                stats.stop_reason = f"more than {options.max_errors} engine errors"
                stop.set()
        progress.advance(stats.errors)

    async def worker() -> None:
        while not stop.is_set():
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            key = cache_key(fingerprint, engine.request_key(item)) if fingerprint else None
            cached = cache.get(key, item.id) if cache is not None and key else None
            if cached is not None:
                record(cached)
                continue
            answer = await answer_with_retries(engine, item, options, limiter, rng)
            if stop.is_set() and answer.error is not None:
                return  # the run is being stopped; leave this item for a resume
            record(answer)
            if cache is not None and key and answer.error is None:
                cache.put(key, answer)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, min(options.concurrency, len(items))))]
    stopping = asyncio.create_task(stop.wait())
    gathered = asyncio.gather(*workers)
    try:
        await asyncio.wait({stopping, gathered}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set() and not gathered.done():
            for task in workers:
                task.cancel()
        try:
            await gathered
        except asyncio.CancelledError:
            if not stop.is_set():
                raise
    finally:
        stopping.cancel()
        progress.close()
    return stats
