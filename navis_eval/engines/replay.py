"""Recorded answers, keyed by question id: evaluate answers captured elsewhere, or re-run offline.

Lines: ``{"id", "answer", optional "contexts", "citations", "latency_ms", "error"}``. A recorded
error (a string) is replayed as an engine error, so failures captured in production are counted.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from navis_eval.engines.base import AnswerEngine, EngineCallError, EngineConfig
from navis_eval.jsonl import load_models
from navis_eval.models import EngineAnswer, GoldItem
from navis_eval.paths import resolve_relative


class Recording(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    answer: str = ""
    contexts: list[str] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)
    latency_ms: float | None = None
    error: str | None = None


class ReplayConfig(EngineConfig):
    kind: str = "replay"
    path: str
    cache: bool = False

    def resolve_paths(self, base: Path) -> None:
        self.path = str(resolve_relative(self.path, base))


class ReplayEngine(AnswerEngine):
    kind = "replay"
    Config = ReplayConfig
    config: ReplayConfig

    @cached_property
    def _recordings(self) -> dict[str, Recording]:
        return {r.id: r for r in load_models(Path(self.config.path), Recording)}

    def check_ready(self) -> None:
        self._recordings

    async def answer(self, item: GoldItem) -> EngineAnswer:
        recording = self._recordings.get(item.id)
        if recording is None:
            raise EngineCallError("missing_recording", f"no recorded answer for id '{item.id}'")
        if recording.error:
            raise EngineCallError("recorded_error", recording.error)
        return EngineAnswer(
            item_id=item.id,
            text=recording.answer,
            contexts=recording.contexts,
            citations=recording.citations,
            latency_ms=recording.latency_ms,
        )
