"""The answer-engine interface: one async method from a gold item to an answer.

Engines raise :class:`EngineCallError` for failures; the runner decides about retries (and honours
``retry_after``), so engines stay small and free of policy.
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from navis_eval.models import EngineAnswer, GoldItem

if TYPE_CHECKING:
    from navis_eval.dataset import Dataset


# Settings that change how answers are fetched, not what they are: left out of the fingerprint,
# so tuning them keeps the response cache and a run's --resume valid.
TRANSPORT_SETTINGS = {"name", "cache", "client_shards", "max_connections", "request_timeout", "verify_tls"}


class EngineCallError(Exception):
    """A failed engine call. ``retryable`` errors are retried with backoff by the runner."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status_code = status_code


class EngineConfig(BaseModel):
    """Common engine settings; each engine kind extends it. Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    name: str | None = None
    version: str | None = None
    cache: bool = True


@dataclass(frozen=True)
class EngineContext:
    """What the harness lends an engine: the dataset (its corpus for retrieval)."""

    dataset: Dataset | None = None


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_KEY = re.compile(r"(authorization|api[-_]?key|token|secret|password|cookie)", re.IGNORECASE)


def redact(value: Any, key: str = "") -> Any:
    """A copy of a config value that is safe to write: literal secrets replaced, ${ENV} refs kept."""
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if isinstance(value, str) and _SECRET_KEY.search(key) and not key.endswith("_env"):
        # keep the template so the reader sees which variable is used, never the value
        refs = _ENV_REF.findall(value)
        return " ".join(f"${{{r}}}" for r in refs) if refs else "[redacted]"
    return value


class AnswerEngine(ABC):
    """Base for engines. Subclasses set ``kind`` and ``Config`` and implement :meth:`answer`."""

    kind: ClassVar[str]
    Config: ClassVar[type[EngineConfig]]

    def __init__(self, config: EngineConfig, context: EngineContext) -> None:
        self.config = config
        self.context = context

    @abstractmethod
    async def answer(self, item: GoldItem) -> EngineAnswer:
        """Answer one gold item, or raise EngineCallError."""

    async def aclose(self) -> None:
        """Release connections; called once after the run."""

    def check_ready(self) -> None:
        """Fail early (InputError) on a config that cannot work, before a run directory exists."""

    def describe(self) -> dict[str, Any]:
        """Engine configuration with secrets removed, for manifests and reports."""
        data = redact(self.config.model_dump(mode="json", exclude_none=True))
        data["fingerprint"] = self.fingerprint()
        return data

    def fingerprint(self) -> str:
        """Identity of what the engine would answer: keys the response cache."""
        data = redact(self.config.model_dump(mode="json", exclude=TRANSPORT_SETTINGS))
        blob = json.dumps(data, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def request_key(self, item: GoldItem) -> dict[str, Any]:
        """What of an item the engine sees; with the fingerprint it keys the response cache."""
        profile = item.patient_profile.model_dump(mode="json") if item.patient_profile else None
        return {"question": item.question, "patient_profile": profile}

    @property
    def cacheable(self) -> bool:
        return self.config.cache


def profile_text(item: GoldItem) -> str:
    """A patient profile as plain text for prompts and request bodies ('' when absent)."""
    profile = item.patient_profile
    if profile is None:
        return ""
    parts = []
    for label, value in (
        ("Age", profile.age),
        ("Sex", profile.sex),
        ("Stage", profile.stage),
        ("Histology", profile.histology),
        ("Biomarkers", ", ".join(profile.biomarkers) or None),
        ("Prior treatments", ", ".join(profile.prior_treatments) or None),
        ("Notes", profile.notes),
    ):
        if value not in (None, ""):
            parts.append(f"{label}: {value}")
    return "\n".join(parts)
