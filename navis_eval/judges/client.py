"""One HTTP layer under every judge call: cache, retries, rate limit, token and cost accounting.

deepeval, ragas (through instructor) and our HealthBench grader all talk to the judge endpoint
through the official ``openai`` client. Each of those clients is given an ``httpx`` client whose
transport is :class:`JudgeTransport`, so the libraries' own request code runs unchanged while
every request passes through one place that

- answers repeated requests from a SQLite cache (keyed by endpoint and request body, never
  headers, so no key reaches the disk); a response is stored only once the judge call that asked
  for it produced a verdict, so a reply that could not be parsed is asked again next time;
- retries timeouts, connection failures and HTTP 408/409/425/429/5xx with the runner's backoff,
  honouring ``Retry-After`` (:func:`navis_eval.runner.backoff_delay`);
- spaces requests to a requests-per-minute budget and bounds how many are in flight;
- counts requests, cache hits, retries and tokens (cost when prices are configured).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from navis_eval.cache import cache_dir, connect_wal
from navis_eval.engines.retrying import RETRYABLE_STATUS, parse_retry_after
from navis_eval.errors import InputError
from navis_eval.judges.config import JudgeConfig
from navis_eval.runner import RateLimiter, RunOptions, backoff_delay
from navis_eval.secrets import read_secret

# Responses fetched during the current judge call, written to the cache only if it succeeds.
_PENDING: ContextVar[list[tuple[str, int, bytes]] | None] = ContextVar("navis_judge_pending", default=None)
_DROP_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}


class JudgeCache:
    """SQLite (WAL) store of judge responses: ``key -> (status, body)``. Only successful replies."""

    def __init__(self, path: Path) -> None:
        self._db = connect_wal(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS judge_responses "
            "(key TEXT PRIMARY KEY, status INTEGER NOT NULL, body BLOB NOT NULL, created TEXT DEFAULT CURRENT_TIMESTAMP)"
        )

    @classmethod
    def default(cls) -> JudgeCache:
        return cls(cache_dir() / "judges.sqlite")

    def get(self, key: str) -> tuple[int, bytes] | None:
        row = self._db.execute("SELECT status, body FROM judge_responses WHERE key = ?", (key,)).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    def put(self, key: str, status: int, body: bytes) -> None:
        self._db.execute("INSERT OR REPLACE INTO judge_responses (key, status, body) VALUES (?, ?, ?)", (key, status, body))

    def close(self) -> None:
        self._db.close()


def request_key(request: httpx.Request, body: bytes) -> str:
    """Endpoint (scheme, host, path) and the parsed request body; headers (the key) never count."""
    try:
        parsed: Any = json.loads(body) if body else None
    except ValueError:
        parsed = body.decode("utf-8", "replace")
    url = request.url
    blob = json.dumps(
        {"url": f"{url.scheme}://{url.host}:{url.port}{url.path}", "body": parsed}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class JudgeUsage:
    """What the judges cost: requests sent (with retries), cache hits, tokens, errors."""

    requests: int = 0
    calls: int = 0
    retries: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    http_status: Counter[str] = field(default_factory=Counter)
    verdicts: int = 0
    errors: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)

    def cost(self, config: JudgeConfig) -> float | None:
        if config.prices is None:
            return None
        p = config.prices
        return round(self.prompt_tokens / 1e6 * p.input_per_million + self.completion_tokens / 1e6 * p.output_per_million, 6)

    def as_dict(self, config: JudgeConfig) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "requests": self.requests,
            "retries": self.retries,
            "cache_hits": self.cache_hits,
            "tokens": {
                "prompt": self.prompt_tokens,
                "completion": self.completion_tokens,
                "total": self.prompt_tokens + self.completion_tokens,
            },
            "cost_usd": self.cost(config),
            "http_errors": dict(sorted(self.http_status.items())),
            "verdicts": self.verdicts,
            "errors": self.errors,
            "error_kinds": dict(sorted(self.error_kinds.items())),
        }


class JudgeTransport(httpx.AsyncBaseTransport):
    """Cache, rate limit and retries around a plain ``httpx.AsyncClient`` (which honours proxies)."""

    def __init__(self, owner: JudgeClient) -> None:
        self._owner = owner
        self._inner = httpx.AsyncClient(timeout=owner.config.timeout, trust_env=True)
        self._rng = random.Random()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        owner = self._owner
        usage = owner.usage
        body = await request.aread()
        key = request_key(request, body) if owner.cache is not None else None
        if key is not None and owner.cache is not None:
            hit = owner.cache.get(key)
            if hit is not None:
                usage.cache_hits += 1
                return httpx.Response(hit[0], headers={"content-type": "application/json"}, content=hit[1], request=request)
        usage.calls += 1
        attempt = 0
        while True:
            attempt += 1
            await owner.limiter.acquire()
            usage.requests += 1
            try:
                async with owner.in_flight:
                    response = await self._inner.send(request)
                    content = await response.aread()
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                usage.http_status[type(exc).__name__] += 1
                if attempt > owner.options.retries:
                    raise
                usage.retries += 1
                await asyncio.sleep(backoff_delay(attempt, owner.options, None, self._rng))
                continue
            if response.status_code != 200:
                usage.http_status[str(response.status_code)] += 1
            if response.status_code in RETRYABLE_STATUS and attempt <= owner.options.retries:
                retry_after = parse_retry_after(response.headers)
                if retry_after is None or retry_after <= owner.options.max_retry_after:
                    usage.retries += 1
                    await asyncio.sleep(backoff_delay(attempt, owner.options, retry_after, self._rng))
                    continue
            break
        if response.status_code == 200:
            _count_tokens(usage, content)
            if key is not None and owner.cache is not None:
                pending = _PENDING.get()
                if pending is None:
                    owner.cache.put(key, 200, content)
                else:
                    pending.append((key, 200, content))
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _DROP_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=content, request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _count_tokens(usage: JudgeUsage, content: bytes) -> None:
    try:
        data = json.loads(content)
        counted = data.get("usage") or {}
        usage.prompt_tokens += int(counted.get("prompt_tokens") or 0)
        usage.completion_tokens += int(counted.get("completion_tokens") or 0)
    except (ValueError, TypeError, AttributeError):
        pass  # an unreadable body surfaces in the client that parses it


class JudgeClient:
    """Owns the transport, cache and accounting of one judging session (one event loop)."""

    def __init__(self, config: JudgeConfig, *, use_cache: bool = True) -> None:
        self.config = config
        self.usage = JudgeUsage()
        self.cache = JudgeCache.default() if use_cache and config.cache else None
        self.options = RunOptions(retries=config.retries, timeout=config.timeout)
        self.api_key = _api_key(config)
        self._http: httpx.AsyncClient | None = None
        self._limiter: RateLimiter | None = None
        self._in_flight: asyncio.Semaphore | None = None
        self._openai: Any = None

    @property
    def limiter(self) -> RateLimiter:
        if self._limiter is None:
            self._limiter = RateLimiter(self.config.requests_per_minute)
        return self._limiter

    @property
    def in_flight(self) -> asyncio.Semaphore:
        if self._in_flight is None:
            self._in_flight = asyncio.Semaphore(self.config.concurrency)
        return self._in_flight

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The httpx client every judge library is given (create inside the running loop)."""
        if self._http is None:
            self._http = httpx.AsyncClient(transport=JudgeTransport(self), timeout=self.config.timeout)
        return self._http

    def openai(self) -> Any:
        """An ``AsyncOpenAI`` client on the judge transport (one per session)."""
        if self._openai is not None:
            return self._openai
        from openai import AsyncOpenAI

        self._openai = AsyncOpenAI(
            base_url=self.config.base_url,
            api_key=self.api_key,
            http_client=self.http_client,
            max_retries=0,  # JudgeTransport retries, honouring Retry-After
            timeout=self.config.timeout,
        )
        return self._openai

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[None]:
        """One judge verdict: the responses it used are cached only if it completes."""
        pending: list[tuple[str, int, bytes]] = []
        token = _PENDING.set(pending)
        try:
            yield
        finally:
            _PENDING.reset(token)
        # reached only without an exception
        if self.cache is not None:
            for key, status, body in pending:
                self.cache.put(key, status, body)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
            self._openai = None

    def close_cache(self) -> None:
        if self.cache is not None:
            self.cache.close()


def _api_key(config: JudgeConfig) -> str:
    variable = config.api_key_env or "OPENAI_API_KEY"
    key = read_secret(variable, required=False)
    if key is None:
        if config.base_url is None or config.api_key_env is not None:
            raise InputError(f"environment variable {variable} is not set", field="api_key_env")
        return "not-needed"  # local servers accept any key
    return key
