"""Check registry: built-in checks plus any registered under the ``navis_eval.checks`` entry point."""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from navis_eval.checks.base import Check

# Stable names: external tooling relies on them (see the `score` output format).
BUILTIN_CHECKS: dict[str, str] = {
    "disclaimer": "navis_eval.checks.disclaimer:DisclaimerCheck",
    "required_sections": "navis_eval.checks.sections:RequiredSectionsCheck",
    "grounding": "navis_eval.checks.grounding:GroundingCheck",
    "cure_overstatement": "navis_eval.checks.cure:CureOverstatementCheck",
    "coverage_gap_honesty": "navis_eval.checks.coverage_gap:CoverageGapHonestyCheck",
    "urgent_escalation": "navis_eval.checks.urgent:UrgentEscalationCheck",
}


def _load(target: str) -> type[Check]:
    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def check_classes() -> dict[str, type[Check]]:
    """All available check classes by name."""
    classes = {name: _load(target) for name, target in BUILTIN_CHECKS.items()}
    for ep in entry_points(group="navis_eval.checks"):
        if ep.name not in classes:
            classes[ep.name] = ep.load()
    return classes


def build_checks(rubric: object) -> list[Check]:
    """Instantiate the checks a rubric enables, in the rubric's order."""
    from navis_eval.rubric import Rubric

    assert isinstance(rubric, Rubric)
    classes = check_classes()
    return [classes[name](config) for name, config in rubric.configs.items()]
