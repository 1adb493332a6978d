"""Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp server, Ollama...).

The API key is read from an environment variable whose name the config gives, never from the
config itself. In harness-grounded mode the harness retrieves corpus passages and puts them in the
prompt; those passages are then the answer's contexts, so grounding is judged against exactly what
the model saw.
"""

from __future__ import annotations

import time
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field

from navis_eval.engines.base import AnswerEngine, EngineCallError, EngineConfig, profile_text
from navis_eval.engines.retrying import status_error
from navis_eval.engines.shards import DEFAULT_SHARDS, ClientShards
from navis_eval.errors import InputError
from navis_eval.jsonl import read_text
from navis_eval.models import EngineAnswer, GoldItem
from navis_eval.paths import resolve_bundled, resolve_relative
from navis_eval.retrieval import Retriever
from navis_eval.secrets import read_secret, scrub

DEFAULT_PROMPT = "evals/prompts/patient-answer.md"


class OpenAIConfig(EngineConfig):
    kind: str = "openai"
    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float | None = Field(default=0.0, ge=0.0, le=2.0)
    seed: int | None = 0
    max_tokens: int | None = Field(default=1200, ge=1)
    system_prompt_file: str | None = DEFAULT_PROMPT
    system_prompt: str | None = None
    grounded: bool = False
    top_k: int = Field(default=4, ge=1, le=20)
    request_timeout: float = Field(default=120.0, gt=0)
    client_shards: int = Field(default=DEFAULT_SHARDS, ge=1, le=64)

    def resolve_paths(self, base: Path) -> None:
        if self.system_prompt_file:
            self.system_prompt_file = str(resolve_relative(self.system_prompt_file, base))


class OpenAIEngine(AnswerEngine):
    kind = "openai"
    Config = OpenAIConfig
    config: OpenAIConfig

    @cached_property
    def _clients(self) -> ClientShards[Any]:
        from openai import AsyncOpenAI

        key = read_secret(self.config.api_key_env, required=False)
        if key is None:
            if self.config.base_url is None:
                raise InputError(
                    f"environment variable {self.config.api_key_env} is not set", field="api_key_env"
                )
            key = "not-needed"  # local servers accept any key
        return ClientShards(
            lambda: AsyncOpenAI(
                base_url=self.config.base_url,
                api_key=key,
                max_retries=0,  # the runner retries, honouring Retry-After
                timeout=self.config.request_timeout,
            ),
            self.config.client_shards,
        )

    async def aclose(self) -> None:
        if "_clients" in self.__dict__:
            for client in self._clients:
                await client.close()

    @cached_property
    def _system_prompt(self) -> str | None:
        if self.config.system_prompt is not None:
            return self.config.system_prompt
        if self.config.system_prompt_file:
            return read_text(resolve_bundled(self.config.system_prompt_file)).strip()
        return None

    @cached_property
    def _retriever(self) -> Retriever:
        dataset = self.context.dataset
        if dataset is None or not dataset.corpus:
            raise InputError("grounded mode needs a dataset with a corpus", field="grounded")
        return Retriever(dataset.corpus)

    def describe(self) -> dict[str, Any]:
        data = super().describe()
        if self._system_prompt is not None:
            import hashlib

            data["system_prompt_sha256"] = hashlib.sha256(self._system_prompt.encode()).hexdigest()[:16]
        return data

    def request_key(self, item: GoldItem) -> dict[str, Any]:
        return {**super().request_key(item), "system_prompt": self._system_prompt}

    def messages(self, item: GoldItem) -> tuple[list[dict[str, str]], list[Any]]:
        """The chat messages for an item, and the passages placed in them (grounded mode)."""
        messages: list[dict[str, str]] = []
        if self._system_prompt:
            messages.append({"role": "system", "content": self._system_prompt})
        user = item.question.strip()
        profile = profile_text(item)
        if profile:
            user = f"My records:\n{profile}\n\nMy question: {user}"
        hits: list[Any] = []
        if self.config.grounded:
            hits = self._retriever.search(item.question, k=self.config.top_k).hits
            passages = "\n\n".join(f"[{n}] {h.passage.title}\n{h.passage.text}" for n, h in enumerate(hits, 1))
            user = f"Reference passages:\n\n{passages or '(none found)'}\n\n---\n\n{user}"
        messages.append({"role": "user", "content": user})
        return messages, hits

    def check_ready(self) -> None:
        self._clients
        self._system_prompt
        if self.config.grounded:
            self._retriever

    async def answer(self, item: GoldItem) -> EngineAnswer:
        import openai

        messages, hits = self.messages(item)
        params: dict[str, Any] = {"model": self.config.model, "messages": messages}
        for name in ("temperature", "seed", "max_tokens"):
            value = getattr(self.config, name)
            if value is not None:
                params[name] = value
        started = time.perf_counter()
        try:
            response = await self._clients.next().chat.completions.create(**params)
        except openai.APIStatusError as exc:
            raise status_error(exc.status_code, scrub(_body_text(exc)), exc.response.headers) from None
        except openai.APITimeoutError:
            raise EngineCallError("timeout", "request timed out", retryable=True) from None
        except openai.APIConnectionError as exc:
            raise EngineCallError("connection", scrub(f"connection failed: {exc}"), retryable=True) from None
        except openai.APIResponseValidationError as exc:
            raise EngineCallError("invalid_response", scrub(f"response did not match the API: {exc}"), retryable=True) from None
        except (ValueError, TypeError) as exc:  # malformed JSON bodies surface as decode errors
            raise EngineCallError("invalid_response", scrub(f"unreadable response: {exc}"), retryable=True) from None
        latency = (time.perf_counter() - started) * 1000
        try:
            choice = response.choices[0]
            text = choice.message.content or ""
        except (AttributeError, IndexError, TypeError):
            raise EngineCallError("invalid_response", "response has no choices[0].message.content", retryable=True) from None
        usage = getattr(response, "usage", None)
        meta: dict[str, Any] = {"model": getattr(response, "model", self.config.model), "finish_reason": getattr(choice, "finish_reason", None)}
        if usage is not None:
            meta["usage"] = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
        return EngineAnswer(
            item_id=item.id,
            text=text,
            contexts=[h.passage.text for h in hits],
            context_ids=[h.passage.id for h in hits],
            latency_ms=latency,
            meta=meta,
        )


def _body_text(exc: Any) -> str:
    try:
        return str(exc.response.text)
    except Exception:  # noqa: BLE001 - a body we cannot read is simply omitted
        return ""
