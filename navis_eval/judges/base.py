"""What every LLM judge returns: a ``CheckResult`` under the judge's own name, plus details.

A judge never raises for a bad reply: an HTTP error, a timeout or a reply that is not the JSON it
asked for ends as an *unscored* result whose reason says what went wrong (secrets scrubbed), and
the run goes on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from navis_eval.models import CheckResult, Status
from navis_eval.secrets import scrub

if TYPE_CHECKING:
    from navis_eval.checks.base import Case
    from navis_eval.judges.client import JudgeClient


@dataclass
class Judgment:
    """One judge's verdict on one answer; ``details`` keeps what aggregates need (criteria, tags)."""

    result: CheckResult
    details: dict[str, Any] = field(default_factory=dict)
    error_kind: str | None = None

    def as_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"result": self.result.model_dump(mode="json", exclude_none=True)}
        if self.details:
            record["details"] = self.details
        if self.error_kind:
            record["error_kind"] = self.error_kind
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Judgment:
        return cls(CheckResult.model_validate(record["result"]), record.get("details") or {}, record.get("error_kind"))


def unscored(name: str, reason: str, *, error_kind: str | None = None, details: dict[str, Any] | None = None) -> Judgment:
    return Judgment(CheckResult(name=name, status=Status.unscored, score=0.0, reasons=[scrub(reason)]), details or {}, error_kind)


def verdict(name: str, passed: bool, score: float, reasons: list[str], details: dict[str, Any] | None = None) -> Judgment:
    status = Status.passed if passed else Status.failed
    clipped = min(1.0, max(0.0, float(score)))
    return Judgment(CheckResult(name=name, status=status, score=clipped, reasons=[scrub(r) for r in reasons]), details or {})


def error_kind(exc: BaseException) -> str:
    """A short, stable label for why a judge call failed (counted in the run's judge section)."""
    status = _status_code(exc)
    if status is not None:
        return f"http_{status}"
    name = type(exc).__name__
    text = str(exc).lower()
    if "json" in text or "validation" in text or name in {"InstructorRetryException", "ValidationError", "JSONDecodeError"}:
        return "invalid_reply"
    if "timeout" in name.lower() or "timed out" in text:
        return "timeout"
    if "connection" in name.lower():
        return "connection"
    return "exception"


def _status_code(exc: BaseException) -> int | None:
    """The HTTP status behind an error, also when a library wrapped the client's error."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        status = getattr(current, "status_code", None)
        if isinstance(status, int):
            return status
        stack += [current.__cause__, current.__context__]
        for attempt in getattr(current, "failed_attempts", None) or []:  # instructor's retry wrapper
            stack.append(getattr(attempt, "exception", None))
    return None


def describe_error(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    return f"judge error ({error_kind(exc)}): {type(exc).__name__}: {message[:300]}"


class Judge(ABC):
    """An LLM judge: a name (``<check>.llm`` or ``healthbench``) and an async verdict per case."""

    name: str

    def __init__(self, client: JudgeClient) -> None:
        self.client = client

    @abstractmethod
    async def judge(self, case: Case) -> Judgment:
        """Judge one answer; never raises for judge-side failures."""

    def prompt_texts(self) -> list[str]:
        """The prompt text that decides this judge's verdicts (part of the fingerprint)."""
        return []
