"""Every navis check as a ragas metric, next to ragas' own metrics on the same samples.

Current API (``ragas.metrics.collections``): each metric has ``async ascore(...) -> MetricResult``
and takes the same field names as ragas' metrics (``user_input``, ``response``,
``retrieved_contexts``)::

    from ragas.metrics.collections import Faithfulness, RougeScore
    from navis_eval.integrations.ragas import GroundingMetric, navis_metrics, score_samples

    result = await GroundingMetric().ascore(user_input=q, response=a, retrieved_contexts=ctx)
    result.value, result.reason           # the check's score (NaN when unscored), reasons + spans

    table = score_samples(samples, [*navis_metrics(), RougeScore()])   # pandas, one column per metric

Gold metadata the checks use (``curability``, ``urgent``, ``expected_coverage``, ``gap``,
``cancer_type``) can be passed as keyword arguments or as ``metadata={...}``. An unscored check
(e.g. grounding without contexts) returns NaN, as ragas does for a score it cannot compute.

For the older ``ragas.evaluate()`` API, which rejects collections metrics, :func:`legacy_metrics`
returns ``SingleTurnMetric`` versions that work next to ``NonLLMContextRecall`` and friends.

Classes are generated from the check registry: ``<CamelCaseName>Metric`` or ``metric_class(name)``.
Importing this module turns ragas' telemetry off unless the user set ``RAGAS_DO_NOT_TRACK``.
"""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from navis_eval.integrations import quiet_third_parties

quiet_third_parties()

from ragas.metrics.collections.base import BaseMetric  # noqa: E402
from ragas.metrics.result import MetricResult  # noqa: E402

from navis_eval.integrations._shared import case_from_fields, check_for, format_result, metric_subclass  # noqa: E402

if TYPE_CHECKING:
    import pandas as pd

    from navis_eval.checks.base import Check

__all__ = ["NavisRagasMetric", "legacy_metrics", "metric_class", "metric_classes", "navis_metrics", "score_samples"]

SAMPLE_FIELDS = ("user_input", "response", "retrieved_contexts", "reference", "reference_contexts")


class NavisRagasMetric(BaseMetric):  # type: ignore[misc]
    """A navis check as a ragas collections metric. Subclasses set ``check_name``."""

    check_name: str = ""

    def __init__(self, name: str | None = None, *, rubric: str | None = None, check: Check | None = None) -> None:
        self.rubric = rubric
        self._check = check
        super().__init__(name=name or self.check_name, allowed_values=(0.0, 1.0))

    @property
    def check(self) -> Check:
        if self._check is None:
            self._check = check_for(self.check_name, self.rubric)
        return self._check

    async def ascore(  # type: ignore[override]
        self,
        user_input: str,
        response: str,
        retrieved_contexts: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **gold: Any,
    ) -> MetricResult:
        from navis_eval.scoring import evaluate

        case = case_from_fields(user_input, response, retrieved_contexts, {**(metadata or {}), **gold})
        result = evaluate([self.check], case)[0]
        value = float("nan") if result.passed is None else float(result.score)
        return MetricResult(value=value, reason=format_result(result, case.answer))


@cache
def metric_class(check_name: str) -> type[NavisRagasMetric]:
    """The metric class of one registered check (generated once, then cached)."""
    return metric_subclass(NavisRagasMetric, check_name, __name__)


def metric_classes() -> dict[str, type[NavisRagasMetric]]:
    from navis_eval.checks import check_classes

    return {name: metric_class(name) for name in check_classes()}


def navis_metrics(rubric: str | None = None) -> list[NavisRagasMetric]:
    """One collections metric per check the rubric enables."""
    from navis_eval.checks import build_checks
    from navis_eval.rubric import load_rubric

    return [metric_class(c.name)(rubric=rubric, check=c) for c in build_checks(load_rubric(rubric))]


def _as_dict(sample: Any) -> dict[str, Any]:
    if isinstance(sample, dict):
        return dict(sample)
    if hasattr(sample, "model_dump"):
        return sample.model_dump(exclude_none=True)  # type: ignore[no-any-return]
    raise TypeError(f"a sample must be a dict or a ragas SingleTurnSample, not {type(sample).__name__}")


def _accepted(metric: Any) -> tuple[set[str], bool]:
    params = inspect.signature(metric.ascore).parameters
    return {p for p in params if p != "self"}, any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


async def ascore_samples(samples: Iterable[Any], metrics: Sequence[Any]) -> list[dict[str, Any]]:
    """Score each sample with each collections metric (navis or ragas), giving each metric the
    sample fields its ``ascore`` accepts."""
    rows = []
    for sample in samples:
        data = _as_dict(sample)
        row: dict[str, Any] = {k: data.get(k) for k in ("user_input", "response") if k in data}
        for metric in metrics:
            names, takes_any = _accepted(metric)
            kwargs = {k: v for k, v in data.items() if k in names or (takes_any and k not in SAMPLE_FIELDS[3:])}
            result = await metric.ascore(**kwargs)
            row[metric.name] = result.value
        rows.append(row)
    return rows


def score_samples(samples: Iterable[Any], metrics: Sequence[Any]) -> pd.DataFrame:
    """A DataFrame with one row per sample and one column per metric (blocking)."""
    import pandas as pd

    return pd.DataFrame(asyncio.run(ascore_samples(list(samples), metrics)))


@cache
def _legacy_base() -> type:
    from ragas.metrics.base import MetricType, SingleTurnMetric

    @dataclass
    class NavisLegacyMetric(SingleTurnMetric):  # type: ignore[misc, valid-type]
        """A navis check for ``ragas.evaluate()`` (the pre-collections API)."""

        name: str = ""
        check: Any = None
        _required_columns: dict[Any, set[str]] = field(
            default_factory=lambda: {MetricType.SINGLE_TURN: {"user_input", "response", "retrieved_contexts:optional"}}
        )

        def init(self, run_config: Any) -> None:
            pass

        async def _single_turn_ascore(self, sample: Any, callbacks: Any) -> float:
            from navis_eval.scoring import evaluate

            case = case_from_fields(sample.user_input or "", sample.response or "", sample.retrieved_contexts, {})
            result = evaluate([self.check], case)[0]
            return math.nan if result.passed is None else float(result.score)

        async def _ascore(self, row: dict[str, Any], callbacks: Any) -> float:
            from ragas.dataset_schema import SingleTurnSample

            return await self._single_turn_ascore(SingleTurnSample(**row), callbacks)

    return NavisLegacyMetric


def legacy_metrics(rubric: str | None = None) -> list[Any]:
    """``SingleTurnMetric`` versions of the rubric's checks, for ``ragas.evaluate(dataset, metrics)``."""
    from navis_eval.checks import build_checks
    from navis_eval.rubric import load_rubric

    cls = _legacy_base()
    return [cls(name=f"navis_{c.name}", check=c) for c in build_checks(load_rubric(rubric))]


def __getattr__(name: str) -> type[NavisRagasMetric]:
    """``from navis_eval.integrations.ragas import GroundingMetric`` for every registered check."""
    if name.endswith("Metric") and name != "NavisRagasMetric":
        for cls in metric_classes().values():
            if cls.__name__ == name:
                return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
