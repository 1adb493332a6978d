"""The judge config: which LLM judges run, against which OpenAI-compatible endpoint, at what cost.

A judge config is a small YAML file (``evals/judges/example.yaml``). It names the judge model, the
endpoint and the *name* of the environment variable holding the API key (never the key itself),
the request budget (timeout, retries, concurrency, requests per minute), optional token prices,
and which judges run. Prompts live in ``rubrics/judges/`` so a reviewer can read and change them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from navis_eval.errors import InputError, from_validation_error
from navis_eval.jsonl import load_yaml, read_text
from navis_eval.paths import resolve_bundled, resolve_relative

DEFAULT_PROMPTS = "rubrics/judges"
FAITHFULNESS_NAME = "grounding.llm"
HEALTHBENCH_NAME = "healthbench"
LLM_SUFFIX = ".llm"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Prices(_Section):
    """US dollars per million tokens; cost is reported only when both are set."""

    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)


class FaithfulnessJudge(_Section):
    """ragas Faithfulness (share of the answer's statements its contexts support) as ``grounding.llm``."""

    enabled: bool = True
    threshold: float = Field(default=0.8, ge=0.0, le=1.0)


class GEvalJudges(_Section):
    """A deepeval GEval rubric per check, read from ``<prompts>/<check>.yaml``: verdicts as ``<check>.llm``."""

    enabled: bool = True
    checks: list[str] | Literal["all"] = "all"
    prompts: str = DEFAULT_PROMPTS


class HealthBenchJudge(_Section):
    """Each gold item's HealthBench-style criteria graded one by one (met / not met)."""

    enabled: bool = True
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    prompt: str = f"{DEFAULT_PROMPTS}/healthbench.md"


class JudgeSet(_Section):
    """Every judge runs unless its section says ``enabled: false``."""

    faithfulness: FaithfulnessJudge = Field(default_factory=FaithfulnessJudge)
    geval: GEvalJudges = Field(default_factory=GEvalJudges)
    healthbench: HealthBenchJudge = Field(default_factory=HealthBenchJudge)


class JudgeConfig(_Section):
    name: str | None = None
    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key_env: str | None = None
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=1024, ge=1)
    timeout: float = Field(default=60.0, gt=0)
    retries: int = Field(default=3, ge=0, le=20)
    concurrency: int = Field(default=4, ge=1, le=256)
    requests_per_minute: float | None = Field(default=None, gt=0)
    json_retries: int = Field(default=1, ge=0, le=5)
    # md_json: instructions plus a ```json block in the reply (works with any chat server);
    # json_object: response_format json_object (servers with a JSON mode).
    json_mode: Literal["md_json", "json_object"] = "md_json"
    cache: bool = True
    prices: Prices | None = None
    judges: JudgeSet = Field(default_factory=JudgeSet)
    # where the file was read from: relative prompt paths resolve against it
    base_dir: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _something_to_do(self) -> JudgeConfig:
        j = self.judges
        if not (j.faithfulness.enabled or j.geval.enabled or j.healthbench.enabled):
            raise ValueError("no judge is enabled: enable judges.faithfulness, judges.geval or judges.healthbench")
        return self

    @property
    def display_name(self) -> str:
        return self.name or self.model

    def resolve(self, value: str) -> Path:
        return resolve_relative(value, Path(self.base_dir)) if self.base_dir else resolve_bundled(value)

    def public(self) -> dict[str, object]:
        """The config as stored in a run directory: no secret can be in it (the key is an env var
        name; credentials written into base_url are dropped)."""
        data = self.model_dump(mode="json", exclude_none=True)
        if self.base_url:
            data["base_url"] = without_userinfo(self.base_url)
        return data

    def fingerprint(self, prompt_texts: list[str]) -> str:
        """What decides the verdicts: model, endpoint, sampling, judges and their prompts."""
        keep = self.model_dump(
            mode="json",
            include={"model", "base_url", "temperature", "max_tokens", "json_mode", "json_retries", "judges"},
        )
        blob = json.dumps({"config": keep, "prompts": prompt_texts}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def without_userinfo(url: str | None) -> str | None:
    """A URL as it may be shown or stored: ``user:password@`` in it is dropped."""
    if not url or "@" not in url:
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def load_judge_config(path: str | Path) -> JudgeConfig:
    """Read and validate a judge config; problems name the file and field."""
    location = resolve_bundled(path)
    if location.suffix not in {".yaml", ".yml", ".json"}:
        raise InputError("a judge config must be a .yaml file", path=location, field="--judge")
    if location.suffix == ".json":
        try:
            data = json.loads(read_text(location))
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON ({exc.msg})", path=location) from None
    else:
        data = load_yaml(location)
    if not isinstance(data, dict):
        raise InputError("a judge config must be a mapping", path=location)
    data = {k: v for k, v in data.items() if k != "base_dir"}
    try:
        config = JudgeConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first.get("type") == "value_error" and not first.get("loc"):
            raise InputError(str(first.get("msg", "invalid")).removeprefix("Value error, "), path=location) from None
        raise from_validation_error(exc, path=location) from None
    config.base_dir = str(location.parent)
    return config
