"""Measuring the checks against labeled answers: confusion counts, precision, recall, F1 and
balanced accuracy per check, with a failure as the positive class (a check exists to catch bad
answers, so "recall" is the share of bad answers it catches).

Also measures the claim-support part of ``grounding`` on K-QA's physician-labeled
(statement, answer) pairs: statement = claim, answer = evidence; Entailment = supported,
Neutral or Contradiction = not supported (positive class).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from navis_eval.checks.base import Case, Check
from navis_eval.errors import InputError, from_validation_error
from navis_eval.jsonl import iter_json_objects
from navis_eval.models import CheckResult, Status
from navis_eval.scoring import evaluate

Label = Literal["pass", "fail"]


class LabelEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    label: Label | None = None
    note: str | None = None


class LabeledGold(BaseModel):
    model_config = ConfigDict(extra="allow")

    curability: str | None = None
    expected_coverage: str | None = None
    urgent: bool | None = None
    gap: str | None = None


class LabeledAnswer(BaseModel):
    """One line of a labeled file (datasets/labeled/*.jsonl)."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    split: Literal["dev", "test"] | None = None
    question: str
    cancer_type: str | None = None
    contexts: list[str] = Field(default_factory=list)
    answer: str
    gold: LabeledGold = Field(default_factory=LabeledGold)
    style: str | None = None
    labels: dict[str, LabelEntry | None] = Field(default_factory=dict)

    def case(self) -> Case:
        metadata = {k: v for k, v in self.gold.model_dump().items() if v is not None}
        return Case(
            question=self.question,
            answer=self.answer,
            contexts=list(self.contexts),
            item_id=self.id,
            cancer_type=self.cancer_type,
            metadata=metadata,
        )


@dataclass
class Confusion:
    """Failures are the positive class."""

    tp: int = 0  # labeled fail, check failed
    fp: int = 0  # labeled pass, check failed
    fn: int = 0  # labeled fail, check passed (or could not judge)
    tn: int = 0  # labeled pass, check passed (or could not judge)
    unscored: int = 0  # of the above, cases the check left unscored
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, label: Label, predicted_fail: bool) -> None:
        if label == "fail":
            if predicted_fail:
                self.tp += 1
            else:
                self.fn += 1
        elif predicted_fail:
            self.fp += 1
        else:
            self.tn += 1

    def record(self, item_id: str, label: Label, note: str | None, result: CheckResult) -> None:
        """Count one verdict against its label; keep the disagreements for --show-errors."""
        predicted_fail = result.status is Status.failed
        if result.status is Status.unscored:
            self.unscored += 1
        self.add(label, predicted_fail)
        if predicted_fail != (label == "fail"):
            self.errors.append(
                {
                    "id": item_id,
                    "label": label,
                    "status": result.status.value,
                    "label_note": note,
                    "reasons": result.reasons[:4],
                }
            )

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    @property
    def precision(self) -> float | None:
        return self._ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return self._ratio(self.tp, self.tp + self.fn)

    @property
    def specificity(self) -> float | None:
        return self._ratio(self.tn, self.tn + self.fp)

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return 2 * p * r / (p + r)

    @property
    def balanced_accuracy(self) -> float | None:
        r, s = self.recall, self.specificity
        if r is None and s is None:
            return None
        if r is None or s is None:
            return r if s is None else s
        return (r + s) / 2

    def as_dict(self, with_errors: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "unscored": self.unscored,
            "precision": _round(self.precision),
            "recall": _round(self.recall),
            "f1": _round(self.f1),
            "specificity": _round(self.specificity),
            "balanced_accuracy": _round(self.balanced_accuracy),
        }
        if with_errors:
            out["errors"] = self.errors
        return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def load_labeled(paths: Sequence[Path], split: str | None = None) -> list[LabeledAnswer]:
    items: list[LabeledAnswer] = []
    seen: dict[str, str] = {}
    for path in paths:
        if not path.exists():
            raise InputError("file not found", path=path)
        for number, obj in iter_json_objects(path):
            try:
                item = LabeledAnswer.model_validate(obj)
            except ValidationError as exc:
                raise from_validation_error(exc, path=path, line=number) from None
            where = f"{path}:{number}"
            if item.id in seen:
                raise InputError(f"duplicate id '{item.id}' (first at {seen[item.id]})", path=path, line=number, field="id")
            seen[item.id] = where
            if split is None or item.split == split:
                items.append(item)
    return items


def validate_checks(items: Iterable[LabeledAnswer], checks: Sequence[Check]) -> dict[str, Confusion]:
    """Run the checks on labeled answers and count agreement per check (null labels skipped)."""
    names = [c.name for c in checks]
    table: dict[str, Confusion] = {name: Confusion() for name in names}
    for item in items:
        wanted = [c for c in checks if (entry := item.labels.get(c.name)) is not None and entry.label is not None]
        if not wanted:
            continue
        results = {r.name: r for r in evaluate(wanted, item.case())}
        for check in wanted:
            entry = item.labels[check.name]
            assert entry is not None and entry.label is not None
            table[check.name].record(item.id, entry.label, entry.note, results[check.name])
    return table


# ---------------------------------------------------------------- K-QA claim support


@dataclass
class KqaResult:
    confusion: Confusion
    pairs: int
    labels: dict[str, int]

    def as_dict(self, with_errors: bool = False) -> dict[str, Any]:
        return {"pairs": self.pairs, "labels": self.labels, **self.confusion.as_dict(with_errors)}


def validate_kqa(path: Path, grounding: Check) -> KqaResult | None:
    """Claim support on K-QA: None when the file is absent."""
    from navis_eval.checks.grounding import GroundingCheck, build_index, judge_claim

    if not path.is_file():
        return None
    if not isinstance(grounding, GroundingCheck):
        raise InputError("the rubric has no grounding check to measure on K-QA", path=path)
    lex = grounding.lexicon
    confusion = Confusion()
    labels: dict[str, int] = {}
    pairs = 0
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        required = {"claim", "answer", "majority_label"}
        if not reader.fieldnames or not required <= set(reader.fieldnames):
            raise InputError(f"expected columns {sorted(required)}", path=path)
        for row_number, row in enumerate(reader, start=2):
            label = (row.get("majority_label") or "").strip()
            if label not in ("Entailment", "Neutral", "Contradiction"):
                continue
            pairs += 1
            labels[label] = labels.get(label, 0) + 1
            index = build_index(lex, [row["answer"]])
            verdict = judge_claim(lex, row["claim"], index)
            gold: Label = "pass" if label == "Entailment" else "fail"
            confusion.add(gold, not verdict.supported)
            if verdict.supported != (gold == "pass"):
                confusion.errors.append({"row": row_number, "label": label, "claim": row["claim"], "problems": verdict.problems})
    return KqaResult(confusion, pairs, labels)


def format_text(table: dict[str, Confusion], title: str) -> str:
    lines = [title, f"{'check':<22}{'n':>5}{'TP':>5}{'FP':>5}{'FN':>5}{'TN':>5}{'prec':>7}{'recall':>8}{'F1':>7}{'bal.acc':>9}"]

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    for name, c in table.items():
        if c.n == 0:
            continue
        lines.append(
            f"{name:<22}{c.n:>5}{c.tp:>5}{c.fp:>5}{c.fn:>5}{c.tn:>5}{f(c.precision):>7}{f(c.recall):>8}{f(c.f1):>7}{f(c.balanced_accuracy):>9}"
        )
    return "\n".join(lines)


def as_json(table: dict[str, Confusion], with_errors: bool = False) -> dict[str, Any]:
    return {name: c.as_dict(with_errors) for name, c in table.items() if c.n}


__all__ = [
    "Confusion",
    "KqaResult",
    "LabeledAnswer",
    "as_json",
    "asdict",
    "format_text",
    "load_labeled",
    "validate_checks",
    "validate_kqa",
]
