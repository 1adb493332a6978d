"""deepeval GEval rubrics, one per check, read from ``rubrics/judges/<check>.yaml``: ``<check>.llm``.

The judge model is deepeval's ``LocalModel`` (one user message, temperature, nothing else; JSON is
parsed from the reply text), the most portable request deepeval sends: it works with any server
that speaks plain chat completions. It is given an httpx client whose transport caches, retries
and counts (:mod:`navis_eval.judges.client`); deepeval's own retry layer is bypassed so that
retries happen in one place, with the runner's Retry-After rules.

The rubric files give ``evaluation_steps`` explicitly, so GEval makes one call per answer (no
step-generation call) and the steps a reviewer reads are exactly the ones the judge receives.
"""

from __future__ import annotations

import inspect
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from navis_eval.errors import InputError, from_validation_error
from navis_eval.jsonl import load_yaml, read_text
from navis_eval.judges.base import Judge, Judgment, describe_error, error_kind, unscored, verdict
from navis_eval.judges.config import LLM_SUFFIX

if TYPE_CHECKING:
    from navis_eval.checks.base import Case
    from navis_eval.judges.client import JudgeClient

Param = Literal["input", "actual_output", "retrieval_context", "context", "expected_output"]
NO_SOURCES = "(no sources were given with this answer)"


class GEvalSpec(BaseModel):
    """One rubric file."""

    model_config = ConfigDict(extra="forbid")

    check: str = Field(min_length=1)
    title: str = Field(min_length=1)
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    evaluation_params: list[Param] = Field(default=["input", "actual_output"], min_length=1)
    gold_context: list[str] = Field(default_factory=list)
    applies_when: dict[str, list[Any]] = Field(default_factory=dict)
    criteria: str | None = None
    evaluation_steps: list[str] = Field(min_length=1)
    source: str = Field(default="", exclude=True)

    def text(self) -> str:
        return self.model_dump_json()


def load_spec(path: Path) -> GEvalSpec:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise InputError("a judge rubric must be a YAML mapping", path=path)
    try:
        spec = GEvalSpec.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, path=path) from None
    spec.source = read_text(path)
    return spec


def load_specs(folder: Path, checks: list[str] | Literal["all"], available: list[str]) -> list[GEvalSpec]:
    """The rubric files for the requested checks ("all": every check of the rubric that has one)."""
    if not folder.is_dir():
        raise InputError("judge prompt folder not found", path=folder, field="judges.geval.prompts")
    if checks == "all":
        wanted = [c for c in available if c != "grounding" and (folder / f"{c}.yaml").is_file()]
    else:
        wanted = list(checks)
        missing = [c for c in wanted if not (folder / f"{c}.yaml").is_file()]
        if missing:
            raise InputError(
                f"no judge rubric for {', '.join(missing)} (expected {folder}/<check>.yaml)", field="judges.geval.checks"
            )
    specs = []
    for name in wanted:
        spec = load_spec(folder / f"{name}.yaml")
        if spec.check != name:
            raise InputError(
                f"file is named for '{name}' but says check: {spec.check}", path=folder / f"{name}.yaml", field="check"
            )
        specs.append(spec)
    return specs


@cache
def _local_model_class() -> type:
    """deepeval's LocalModel, given our httpx client and without deepeval's own retry layer."""
    from deepeval.models import LocalModel
    from openai import AsyncOpenAI

    raw_generate = inspect.unwrap(LocalModel.a_generate)

    class NavisLocalModel(LocalModel):  # type: ignore[misc, valid-type]
        def __init__(self, *, http_client: Any, **kwargs: Any) -> None:
            self._navis_http_client = http_client
            super().__init__(**kwargs)

        def _build_client(self, cls: type) -> Any:
            if cls is AsyncOpenAI:
                return AsyncOpenAI(
                    api_key=self.local_model_api_key.get_secret_value(),  # type: ignore[union-attr]
                    base_url=self.base_url,
                    http_client=self._navis_http_client,
                    max_retries=0,
                )
            return super()._build_client(cls)

        async def a_generate(self, prompt: str, schema: Any = None, audio: Any = None) -> Any:
            return await raw_generate(self, prompt, schema, audio)

    return NavisLocalModel


def local_model(client: JudgeClient) -> Any:
    """A deepeval model for the configured endpoint, through the judge client's transport."""
    cls = _local_model_class()
    base_url = client.config.base_url or "https://api.openai.com/v1"
    return cls(
        http_client=client.http_client,
        model=client.config.model,
        base_url=base_url,
        api_key=client.api_key,
        temperature=client.config.temperature,
        generation_kwargs={"max_tokens": client.config.max_tokens},
    )


def gold_lines(case: Case, fields: list[str]) -> list[str]:
    lines = []
    for name in fields:
        if name == "cancer_type":
            value: Any = case.effective_cancer_type
        else:
            value = case.gold_value(name)
        if hasattr(value, "model_dump"):
            value = {k: v for k, v in value.model_dump(mode="json").items() if v not in (None, [], "")}
        lines.append(f"{name}: {'unknown' if value in (None, '', [], {}) else value}")
    return lines


class GEvalJudge(Judge):
    def __init__(self, client: JudgeClient, spec: GEvalSpec) -> None:
        super().__init__(client)
        self.spec = spec
        self.name = f"{spec.check}{LLM_SUFFIX}"

    def prompt_texts(self) -> list[str]:
        return [self.spec.text()]

    def _applies(self, case: Case) -> str | None:
        for field_name, allowed in self.spec.applies_when.items():
            value = case.gold_value(field_name)
            if value not in allowed:
                return f"Not applicable: {field_name} is {value!r} (judged only when {field_name} in {allowed})."
        return None

    def test_case(self, case: Case) -> Any:
        from deepeval.test_case import LLMTestCase

        params = set(self.spec.evaluation_params)
        kwargs: dict[str, Any] = {"input": case.question, "actual_output": case.answer}
        if "retrieval_context" in params:
            kwargs["retrieval_context"] = list(case.contexts) or [NO_SOURCES]
        if "context" in params:
            kwargs["context"] = ["Gold-set facts about this question:", *gold_lines(case, self.spec.gold_context)]
        if "expected_output" in params:
            kwargs["expected_output"] = str(case.gold_value("expected_output", "") or "(none)")
        return LLMTestCase(**kwargs)

    def metric(self) -> Any:
        from deepeval.metrics import GEval
        from deepeval.test_case import SingleTurnParams

        return GEval(
            name=self.spec.title,
            evaluation_params=[SingleTurnParams(p) for p in self.spec.evaluation_params],
            evaluation_steps=list(self.spec.evaluation_steps),
            model=local_model(self.client),
            threshold=self.spec.threshold,
            async_mode=True,
            verbose_mode=False,
        )

    async def judge(self, case: Case) -> Judgment:
        skip = self._applies(case)
        if skip is not None:
            return unscored(self.name, skip)
        attempts = self.client.config.json_retries + 1
        for attempt in range(1, attempts + 1):
            metric = self.metric()  # deepeval keeps results on the instance: one per verdict
            try:
                async with self.client.unit():
                    await metric.a_measure(self.test_case(case), _show_indicator=False)
                break
            except Exception as exc:  # noqa: BLE001 - a judge failure is an unscored verdict, never a crash
                kind = error_kind(exc)
                if kind != "invalid_reply" or attempt == attempts:  # only an unreadable reply is asked again
                    return unscored(self.name, describe_error(exc), error_kind=kind)
        score = float(metric.score or 0.0)
        reason = str(metric.reason or "").strip()
        passed = score >= self.spec.threshold
        reasons = [f"GEval score {score:.2f} (threshold {self.spec.threshold:.2f})"] + ([reason] if reason else [])
        return verdict(self.name, passed, score, reasons, {"score": score})
