"""Helpers shared by the deepeval, ragas and pytest adapters (no third-party imports here)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from navis_eval.checks.base import Case, Check
    from navis_eval.models import CheckResult

# Gold metadata a check may read through Case.gold_value when there is no gold item.
GOLD_FIELDS = ("curability", "urgent", "expected_coverage", "gap", "criteria", "risk", "category")


def camel(name: str) -> str:
    """``cure_overstatement`` -> ``CureOverstatement``."""
    return "".join(part.capitalize() for part in name.replace("-", "_").replace(".", "_").split("_") if part)


def metric_subclass(base: type[Any], check_name: str, module: str) -> type[Any]:
    """A subclass of ``base`` named after a registered check (``CureOverstatementMetric``)."""
    from navis_eval.checks import check_classes

    classes = check_classes()
    if check_name not in classes:
        raise KeyError(f"unknown check '{check_name}' (known: {', '.join(sorted(classes))})")
    doc = classes[check_name].description or f"The navis check {check_name}."
    return type(f"{camel(check_name)}Metric", (base,), {"check_name": check_name, "__doc__": doc, "__module__": module})


def case_from_fields(question: str, answer: str, contexts: Any, metadata: dict[str, Any] | None, item_id: str = "") -> Case:
    from navis_eval.checks.base import Case

    metadata = dict(metadata or {})
    cancer_type = metadata.pop("cancer_type", None)
    item_id = str(metadata.pop("id", None) or item_id)
    return Case(
        question=str(question or ""),
        answer=str(answer or ""),
        contexts=[str(c) for c in (contexts or [])],
        item_id=item_id,
        cancer_type=cancer_type,
        metadata=metadata,
    )


@cache
def check_for(name: str, rubric: str | None) -> Check:
    """The named check configured by a rubric (default: the bundled one); built once per process."""
    from navis_eval.checks import build_checks
    from navis_eval.errors import InputError
    from navis_eval.rubric import load_rubric

    loaded = load_rubric(rubric)
    for check in build_checks(loaded):
        if check.name == name:
            return check
    raise InputError(f"the rubric {loaded.name} does not configure the check '{name}'", field="rubric")


def format_result(result: CheckResult, answer: str, *, limit: int = 6) -> str:
    """Status, reasons and the offending spans (with some text around them), as one message."""
    lines = [f"{result.name}: {result.status.value} (score {result.score:.2f})"]
    lines += [f"- {r}" for r in result.reasons[:limit]]
    for e in [e for e in result.evidence if e.kind == "offending"][:limit]:
        before = answer[max(0, e.start - 40) : e.start].replace("\n", " ")
        after = answer[e.end : e.end + 40].replace("\n", " ")
        note = f" ({e.note})" if e.note else ""
        lines.append(f"  offending [{e.start}:{e.end}]{note}: ...{before}>>>{e.text}<<<{after}...")
    return "\n".join(lines)
