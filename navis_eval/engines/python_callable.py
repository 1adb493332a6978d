"""An engine that is a Python function: ``package.module:function``, sync or async.

The function receives, as keyword arguments, whichever of ``question``, ``item``, ``profile`` and
``item_id`` it names (a single other positional parameter receives the question). It returns the
answer text, or a mapping with ``answer`` and optional ``contexts`` and ``citations``. Sync
functions run in a worker thread so they do not stall other requests.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from functools import cached_property
from importlib import import_module
from typing import Any

from pydantic import Field, field_validator

from navis_eval.engines.base import AnswerEngine, EngineCallError, EngineConfig, profile_text
from navis_eval.errors import InputError
from navis_eval.models import EngineAnswer, GoldItem
from navis_eval.secrets import scrub


class PythonConfig(EngineConfig):
    kind: str = "python"
    callable: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    cache: bool = False

    @field_validator("callable")
    @classmethod
    def _target(cls, value: str) -> str:
        module, sep, attr = value.partition(":")
        if not sep or not module or not attr:
            raise ValueError("callable must look like package.module:function")
        return value


def _resolve(target: str) -> Callable[..., Any]:
    module_name, _, attr = target.partition(":")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        raise InputError(f"cannot import module '{module_name}': {exc}", field="callable") from None
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise InputError(f"module '{module_name}' has no attribute '{attr}'", field="callable")
    if not callable(obj):
        raise InputError(f"'{target}' is not callable", field="callable")
    return obj  # type: ignore[no-any-return]


class PythonEngine(AnswerEngine):
    kind = "python"
    Config = PythonConfig
    config: PythonConfig

    @cached_property
    def _function(self) -> Callable[..., Any]:
        return _resolve(self.config.callable)

    def _call_args(self, item: GoldItem) -> tuple[list[Any], dict[str, Any]]:
        available = {"question": item.question, "item": item, "profile": profile_text(item), "item_id": item.id}
        params = inspect.signature(self._function).parameters
        kwargs = {name: available[name] for name in params if name in available}
        args: list[Any] = []
        if not kwargs:
            positional = [p for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            if positional:
                args = [item.question]
        return args, {**self.config.kwargs, **kwargs}

    def check_ready(self) -> None:
        self._function

    async def answer(self, item: GoldItem) -> EngineAnswer:
        args, kwargs = self._call_args(item)
        started = time.perf_counter()
        try:
            if inspect.iscoroutinefunction(self._function):
                result = await self._function(*args, **kwargs)
            else:
                result = await asyncio.to_thread(self._function, *args, **kwargs)
        except EngineCallError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of user code is recorded per item
            raise EngineCallError("exception", scrub(f"{type(exc).__name__}: {exc}")) from None
        latency = (time.perf_counter() - started) * 1000
        return _to_answer(item.id, result, latency)


def _to_answer(item_id: str, result: Any, latency: float) -> EngineAnswer:
    if isinstance(result, str):
        return EngineAnswer(item_id=item_id, text=result, latency_ms=latency)
    if isinstance(result, dict) and isinstance(result.get("answer"), str):
        contexts = result.get("contexts") or []
        citations = result.get("citations") or []
        if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
            raise EngineCallError("invalid_response", "'contexts' must be a list of strings")
        return EngineAnswer(
            item_id=item_id,
            text=result["answer"],
            contexts=contexts,
            citations=[str(c) for c in citations],
            latency_ms=latency,
        )
    raise EngineCallError("invalid_response", f"callable returned {type(result).__name__}, expected str or {{answer, contexts}}")
