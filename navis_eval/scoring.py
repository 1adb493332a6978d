"""Applying checks to answers, and the stable ``score`` record format external tooling reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from navis_eval.checks.base import Case, Check
from navis_eval.models import CheckResult, GoldItem, Status


class ScoreInput(BaseModel):
    """One line of ``navis-eval score`` input."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str
    answer: str
    contexts: list[str] = Field(default_factory=list)
    cancer_type: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


def evaluate(checks: Sequence[Check], case: Case) -> list[CheckResult]:
    """Run every check on a case. A check that crashes is reported unscored, never silently passed."""
    results = []
    for check in checks:
        try:
            results.append(check.evaluate(case))
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            results.append(
                CheckResult(name=check.name, status=Status.unscored, score=0.0, reasons=[f"check error: {type(exc).__name__}: {exc}"])
            )
    return results


def case_from_input(line: ScoreInput) -> Case:
    return Case(
        question=line.question,
        answer=line.answer,
        contexts=line.contexts,
        item_id=line.id,
        cancer_type=line.cancer_type,
        metadata=line.metadata,
    )


def case_from_answer(item: GoldItem, text: str, contexts: list[str]) -> Case:
    return Case(question=item.question, answer=text, contexts=contexts, gold=item, item_id=item.id, cancer_type=item.cancer_type)


def score_record(item_id: str, results: Sequence[CheckResult]) -> dict[str, Any]:
    """The stable external format: ``{"id", "checks": {NAME: {passed, score, reasons, evidence}}}``."""
    return {
        "id": item_id,
        "checks": {
            r.name: {
                "passed": r.passed,
                "score": r.score,
                "reasons": list(r.reasons),
                "evidence": [{"start": e.start, "end": e.end, "text": e.text} for e in r.evidence],
            }
            for r in results
        },
    }
