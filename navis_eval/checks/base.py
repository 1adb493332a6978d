"""The check interface: a pure function of a case and the rubric, returning a verdict with evidence."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict

from navis_eval.checks.text import Segmented, segment
from navis_eval.models import CheckResult, EvidenceSpan, GoldItem, Status


class CheckConfig(BaseModel):
    """Base for a check's rubric section; unknown keys are errors so typos are caught."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def compile_patterns(patterns: list[str]) -> list[re.Pattern[str]]:
    """Compile rubric regexes case-insensitively; an invalid one raises ValueError for the loader."""
    compiled = []
    for index, pattern in enumerate(patterns):
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"entry {index} is not a valid regular expression: {exc}") from None
    return compiled


def _valid_patterns(value: list[str]) -> list[str]:
    compile_patterns(value)
    return value


# A list of case-insensitive regular expressions kept in a rubric; validated when the rubric loads.
Patterns = Annotated[list[str], AfterValidator(_valid_patterns)]


@dataclass
class Case:
    """One answer to judge, with what it rests on. Derived text views are computed once per case."""

    question: str
    answer: str
    contexts: list[str] = field(default_factory=list)
    gold: GoldItem | None = None
    item_id: str = ""
    cancer_type: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def segmented(self) -> Segmented:
        return segment(self.answer)

    @cached_property
    def context_segments(self) -> list[Segmented]:
        return [segment(c) for c in self.contexts]

    def gold_value(self, name: str, default: Any = None) -> Any:
        """A gold metadata field (curability, urgent, expected_coverage, gap...), from the gold
        item when the case has one, else from the free-form metadata of ``score`` input."""
        if self.gold is not None:
            value = getattr(self.gold, name, None)
            return default if value is None else value
        return self.metadata.get(name, default)

    @property
    def effective_cancer_type(self) -> str | None:
        if self.gold is not None:
            return self.gold.cancer_type
        return self.cancer_type


C = TypeVar("C", bound=CheckConfig)


class Check(ABC, Generic[C]):
    """A named, stateless judge. ``evaluate`` must not mutate the instance: one instance is shared."""

    name: ClassVar[str]
    Config: ClassVar[type[CheckConfig]]
    description: ClassVar[str] = ""

    def __init__(self, config: C) -> None:
        self.config = config

    @abstractmethod
    def evaluate(self, case: Case) -> CheckResult:
        """Judge one case."""

    # Small constructors keep every check's results uniform.
    def passed(self, score: float = 1.0, reasons: list[str] | None = None, evidence: list[EvidenceSpan] | None = None) -> CheckResult:
        return CheckResult(name=self.name, status=Status.passed, score=score, reasons=reasons or [], evidence=evidence or [])

    def failed(self, score: float = 0.0, reasons: list[str] | None = None, evidence: list[EvidenceSpan] | None = None) -> CheckResult:
        return CheckResult(name=self.name, status=Status.failed, score=score, reasons=reasons or [], evidence=evidence or [])

    def unscored(self, reason: str) -> CheckResult:
        return CheckResult(name=self.name, status=Status.unscored, score=0.0, reasons=[reason], evidence=[])


def span(case: Case, start: int, end: int, kind: str = "offending", note: str | None = None) -> EvidenceSpan:
    return EvidenceSpan(start=start, end=end, text=case.answer[start:end], kind=kind, note=note)  # type: ignore[arg-type]
