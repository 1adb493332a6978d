"""Every navis check as a deepeval metric: offline, deterministic, with the check's evidence.

::

    from deepeval import assert_test, evaluate
    from deepeval.test_case import LLMTestCase
    from navis_eval.integrations.deepeval import DisclaimerMetric, GroundingMetric, navis_metrics

    case = LLMTestCase(input=question, actual_output=answer, retrieval_context=passages,
                       metadata={"curability": "rarely_curable"})
    assert_test(case, [DisclaimerMetric(), GroundingMetric()])
    evaluate([case], navis_metrics())          # every check of the default rubric

One metric class per check in the registry (built-in and entry-point checks alike), generated
from the registry: ``<CamelCaseName>Metric`` (``cure_overstatement`` -> ``CureOverstatementMetric``),
or ``metric_class("cure_overstatement")``. A metric runs the check on ``input``, ``actual_output``
and ``retrieval_context``; gold metadata the checks use (``curability``, ``urgent``,
``expected_coverage``, ``gap``, ``cancer_type``, ``criteria``) comes from ``metadata``.
``score``, ``reason``, ``success`` and ``threshold`` are set from the check's result; ``evidence``
holds its spans. An *unscored* check (for example grounding without contexts) is not a failure:
``success`` is True (or ``unscored_success=False`` to make it one) and the reason starts with
"unscored". deepeval keeps results on the metric instance, so use one instance per test case when
evaluating concurrently (``deepeval.evaluate`` copies metrics per test case).

Importing this module turns deepeval's telemetry and .env loading off unless set by the user.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from navis_eval.integrations import quiet_third_parties

quiet_third_parties()

from deepeval.metrics import BaseMetric  # noqa: E402

from navis_eval.integrations._shared import case_from_fields, check_for, format_result, metric_subclass  # noqa: E402

if TYPE_CHECKING:
    from navis_eval.checks.base import Case, Check
    from navis_eval.models import CheckResult

__all__ = ["NavisMetric", "case_from_test_case", "format_result", "metric_class", "metric_classes", "navis_metrics"]


def case_from_test_case(test_case: Any) -> Case:
    """A navis Case from a deepeval LLMTestCase (question, answer, contexts, gold metadata)."""
    metadata = getattr(test_case, "metadata", None)
    if metadata is None:
        import warnings

        with warnings.catch_warnings():  # deepeval renamed it to `metadata`; older code still sets it
            warnings.simplefilter("ignore", DeprecationWarning)
            metadata = getattr(test_case, "additional_metadata", None)
    return case_from_fields(
        test_case.input,
        test_case.actual_output,
        getattr(test_case, "retrieval_context", None),
        metadata,
        item_id=str(getattr(test_case, "name", None) or ""),
    )


class NavisMetric(BaseMetric):  # type: ignore[misc]
    """A navis check as a deepeval metric. Subclasses set ``check_name``."""

    check_name: str = ""

    def __init__(
        self,
        threshold: float = 0.5,
        *,
        rubric: str | None = None,
        check: Check | None = None,
        unscored_success: bool = True,
        include_reason: bool = True,
    ) -> None:
        self.threshold = threshold
        self.rubric = rubric
        self._check = check
        self.unscored_success = unscored_success
        self.include_reason = include_reason
        self.async_mode = False
        self.strict_mode = False
        self.verbose_mode = False
        self.evaluation_model = "navis-eval (deterministic)"
        self.evaluation_cost = 0.0
        self.result: CheckResult | None = None
        self.evidence: list[Any] = []

    @property
    def check(self) -> Check:
        if self._check is None:
            self._check = check_for(self.check_name, self.rubric)
        return self._check

    def measure(self, test_case: Any, *args: Any, **kwargs: Any) -> float:
        from navis_eval.scoring import evaluate

        case = case_from_test_case(test_case)
        result = evaluate([self.check], case)[0]  # a crashing check becomes unscored, like in runs
        self.result = result
        self.evidence = list(result.evidence)
        self.score = result.score
        self.reason = format_result(result, case.answer) if self.include_reason else None
        if result.passed is None:
            self.success = self.unscored_success
            self.reason = "unscored: " + (self.reason or "")
        else:
            self.success = bool(result.passed)
        self.error = None
        return self.score

    async def a_measure(self, test_case: Any, *args: Any, **kwargs: Any) -> float:
        return self.measure(test_case)

    def is_successful(self) -> bool:
        return bool(self.success)

    @property
    def __name__(self) -> str:  # type: ignore[override]
        return self.check_name


@cache
def metric_class(check_name: str) -> type[NavisMetric]:
    """The metric class of one registered check (generated once, then cached)."""
    return metric_subclass(NavisMetric, check_name, __name__)


def metric_classes() -> dict[str, type[NavisMetric]]:
    from navis_eval.checks import check_classes

    return {name: metric_class(name) for name in check_classes()}


def navis_metrics(rubric: str | None = None, *, threshold: float = 0.5, unscored_success: bool = True) -> list[NavisMetric]:
    """One metric per check the rubric enables (default rubric: every built-in check)."""
    from navis_eval.checks import build_checks
    from navis_eval.rubric import load_rubric

    return [
        metric_class(check.name)(threshold, rubric=rubric, check=check, unscored_success=unscored_success)
        for check in build_checks(load_rubric(rubric))
    ]


def __getattr__(name: str) -> type[NavisMetric]:
    """``from navis_eval.integrations.deepeval import GroundingMetric`` for every registered check."""
    if name.endswith("Metric") and name != "NavisMetric":
        for cls in metric_classes().values():
            if cls.__name__ == name:
                return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
