"""Shared helpers for the check tests: the default rubric's checks, cases, and the seed answers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from navis_eval.checks import build_checks
from navis_eval.checks.base import Case, Check
from navis_eval.models import CheckResult
from navis_eval.rubric import load_rubric

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
KQA = REPO.parent / "shared" / "external" / "kqa" / "nli_medical_annotator.csv"


@lru_cache(maxsize=4)
def checks(rubric: str | None = None) -> dict[str, Check]:
    return {c.name: c for c in build_checks(load_rubric(rubric))}


def run(
    name: str,
    answer: str,
    question: str = "What should I know?",
    contexts: list[str] | None = None,
    cancer_type: str | None = None,
    rubric: str | None = None,
    **gold: object,
) -> CheckResult:
    case = Case(question=question, answer=answer, contexts=contexts or [], cancer_type=cancer_type, metadata=dict(gold))
    result = checks(rubric)[name].evaluate(case)
    for ev in result.evidence:  # evidence must always point at the answer text it quotes
        assert answer[ev.start : ev.end] == ev.text
    return result


def seed(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"seed answer {path} not available")
    return path.read_text(encoding="utf-8")


SEED_CURE = "000_c83d86bef937a462.txt"
SEED_GAP = "003_220f96921e9dc091.txt"
