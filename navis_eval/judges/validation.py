"""``validate-checks --judge CONFIG``: the LLM judges measured on the same labeled answers.

Each ``<check>.llm`` verdict is compared with the label of ``<check>``, with the same confusion
counts as the deterministic checks (a failure is the positive class; an unscored verdict counts
as "not failed" and is reported). HealthBench has no labels here and is not measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from navis_eval.judges.config import LLM_SUFFIX

if TYPE_CHECKING:
    from navis_eval.judges import JudgeSuite
    from navis_eval.validation import Confusion, LabeledAnswer


def validate_judges(items: Sequence[LabeledAnswer], suite: JudgeSuite) -> dict[str, Confusion]:
    from navis_eval.validation import Confusion

    judged_checks = {n[: -len(LLM_SUFFIX)] for n in suite.names if n.endswith(LLM_SUFFIX)}
    table: dict[str, Confusion] = {f"{c}{LLM_SUFFIX}": Confusion() for c in sorted(judged_checks)}

    def labeled(item: LabeledAnswer) -> bool:
        return any((entry := item.labels.get(c)) is not None and entry.label is not None for c in judged_checks)

    wanted = [item for item in items if labeled(item)]
    outcome = suite.judge([(item.id, item.case()) for item in wanted])
    for item in wanted:
        for judgment in outcome.judgments.get(item.id, []):
            name = judgment.result.name
            if name not in table:
                continue
            entry = item.labels.get(name[: -len(LLM_SUFFIX)])
            if entry is None or entry.label is None:
                continue
            table[name].record(item.id, entry.label, entry.note, judgment.result)
    return table
