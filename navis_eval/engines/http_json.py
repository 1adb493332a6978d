"""A generic JSON API engine: how a production answer service is evaluated.

The config gives the method, URL, headers (``${ENV}`` references are filled from the environment
at request time and never written anywhere), a request body template, and paths into the JSON
response for the answer text, the contexts and the citations.

Template strings may use ``{question}``, ``{item_id}``, ``{cancer_type}``, ``{category}`` and
``{profile}``; a string that is exactly one placeholder is replaced by the raw value, so
``"{profile_json}"`` can insert an object.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, field_validator

from navis_eval.engines.base import AnswerEngine, EngineCallError, EngineConfig, profile_text
from navis_eval.engines.retrying import status_error
from navis_eval.engines.shards import DEFAULT_SHARDS, ClientShards
from navis_eval.models import EngineAnswer, GoldItem
from navis_eval.secrets import expand_env, scrub

_PLACEHOLDER = re.compile(r"\{(question|item_id|cancer_type|category|profile|profile_json)\}")


class HttpConfig(EngineConfig):
    kind: str = "http"
    url: str
    method: Literal["POST", "GET", "PUT"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = Field(default_factory=lambda: {"question": "{question}"})
    query: dict[str, str] = Field(default_factory=dict)
    answer_path: str = "answer"
    contexts_path: str | None = None
    context_text_field: str | None = None
    citations_path: str | None = None
    request_timeout: float = Field(default=120.0, gt=0)
    verify_tls: bool = True
    max_connections: int = Field(default=256, ge=1)
    client_shards: int = Field(default=DEFAULT_SHARDS, ge=1, le=64)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value


def get_path(data: Any, path: str) -> Any:
    """Follow a dotted path (``a.b.0.c``; ``*`` maps over a list) through parsed JSON."""
    current: Any = data
    parts = [p for p in re.split(r"\.|\[(\*|\d+)\]", path) if p]
    for position, part in enumerate(parts):
        if part == "*":
            if not isinstance(current, list):
                raise KeyError(path)
            rest = ".".join(parts[position + 1 :])
            return [get_path(element, rest) if rest else element for element in current]
        if isinstance(current, list) and part.isdigit():
            index = int(part)
            if index >= len(current):
                raise KeyError(path)
            current = current[index]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            raise KeyError(path)
    return current


def fill(template: Any, values: dict[str, Any]) -> Any:
    """Fill placeholders in every string of a JSON-like template."""
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)
    return template


class HttpEngine(AnswerEngine):
    kind = "http"
    Config = HttpConfig
    config: HttpConfig

    @cached_property
    def _clients(self) -> ClientShards[Any]:
        import certifi
        import httpx

        per_client = max(1, self.config.max_connections // self.config.client_shards)
        limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
        # one TLS context for all shards: loading the CA bundle costs ~20 ms per client
        verify: Any = ssl.create_default_context(cafile=certifi.where()) if self.config.verify_tls else False
        return ClientShards(
            lambda: httpx.AsyncClient(timeout=self.config.request_timeout, verify=verify, limits=limits),
            self.config.client_shards,
        )

    async def aclose(self) -> None:
        if "_clients" in self.__dict__:
            for client in self._clients:
                await client.aclose()

    def request_key(self, item: GoldItem) -> dict[str, Any]:
        return {**super().request_key(item), "values": self._values(item)}

    def _values(self, item: GoldItem) -> dict[str, Any]:
        return {
            "question": item.question,
            "item_id": item.id,
            "cancer_type": item.cancer_type,
            "category": item.category,
            "profile": profile_text(item),
            "profile_json": item.patient_profile.model_dump(mode="json") if item.patient_profile else None,
        }

    async def answer(self, item: GoldItem) -> EngineAnswer:
        import httpx

        values = self._values(item)
        headers = {k: expand_env(v) for k, v in self.config.headers.items()}
        url = expand_env(self.config.url)
        params = {k: expand_env(str(fill(v, values))) for k, v in self.config.query.items()}
        body = fill(self.config.body, values) if self.config.method != "GET" else None
        started = time.perf_counter()
        try:
            response = await self._clients.next().request(self.config.method, url, headers=headers, params=params or None, json=body)
        except httpx.TimeoutException:
            raise EngineCallError("timeout", "request timed out", retryable=True) from None
        except httpx.HTTPError as exc:
            raise EngineCallError("connection", scrub(f"{type(exc).__name__}: {exc}"), retryable=True) from None
        latency = (time.perf_counter() - started) * 1000
        if response.status_code >= 400:
            raise status_error(response.status_code, scrub(_safe_text(response)), response.headers)
        try:
            data = json.loads(response.content.decode("utf-8"))
        except UnicodeDecodeError:
            raise EngineCallError("invalid_response", "response body is not valid UTF-8", retryable=True) from None
        except json.JSONDecodeError as exc:
            raise EngineCallError("invalid_response", f"response is not valid JSON ({exc.msg})", retryable=True) from None
        text = self._extract(data, self.config.answer_path, "answer")
        if not isinstance(text, str):
            raise EngineCallError("invalid_response", f"'{self.config.answer_path}' is not a string", retryable=False)
        contexts = self._contexts(data)
        citations: list[str] = []
        if self.config.citations_path:
            raw = self._extract(data, self.config.citations_path, "citations")
            citations = [str(c) if not isinstance(c, dict) else json.dumps(c, sort_keys=True) for c in _as_list(raw)]
        return EngineAnswer(
            item_id=item.id,
            text=text,
            contexts=contexts,
            citations=citations,
            latency_ms=latency,
            meta={"status_code": response.status_code},
        )

    def _extract(self, data: Any, path: str, what: str) -> Any:
        try:
            return get_path(data, path)
        except KeyError:
            raise EngineCallError("invalid_response", f"response has no {what} at '{path}'", retryable=False) from None

    def _contexts(self, data: Any) -> list[str]:
        if not self.config.contexts_path:
            return []
        raw = _as_list(self._extract(data, self.config.contexts_path, "contexts"))
        out = []
        for element in raw:
            if isinstance(element, dict) and self.config.context_text_field:
                element = element.get(self.config.context_text_field, "")
            if not isinstance(element, str):
                raise EngineCallError("invalid_response", "a context is not a string", retryable=False)
            out.append(element)
        return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _safe_text(response: Any) -> str:
    try:
        return str(response.text)
    except Exception:  # noqa: BLE001
        return ""
