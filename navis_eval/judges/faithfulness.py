"""ragas Faithfulness as ``grounding.llm``: the share of the answer's statements its contexts support.

ragas (collections API) splits the answer into statements and asks the judge, per statement,
whether the contexts support it. The LLM is ragas' ``InstructorLLM`` over an ``AsyncOpenAI``
client that uses the judge transport. ``json_mode: md_json`` (the default) uses instructor's
MD_JSON mode: the schema goes into the prompt and the reply is read from a ```json block, so no
``response_format`` is sent and any chat-completions server works; ``json_mode: json_object`` is
ragas' own ``llm_factory`` (``response_format: json_object``) for servers with a JSON mode.
"""

from __future__ import annotations

import logging
import math
from functools import cache
from typing import TYPE_CHECKING, Any

from navis_eval.integrations import quiet_third_parties
from navis_eval.judges.base import Judge, Judgment, describe_error, error_kind, unscored, verdict
from navis_eval.judges.config import FAITHFULNESS_NAME

if TYPE_CHECKING:
    from navis_eval.checks.base import Case
    from navis_eval.judges.client import JudgeClient

MAX_LISTED = 8


def ragas_llm(client: JudgeClient) -> Any:
    """A ragas InstructorLLM for the configured endpoint and JSON mode."""
    quiet_third_parties()
    import instructor
    from ragas.llms.base import InstructorLLM, InstructorModelArgs, llm_factory

    # instructor logs every failed attempt at ERROR level; the verdict carries the reason instead
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    config = client.config
    openai_client = client.openai()
    if config.json_mode == "json_object":
        return llm_factory(
            config.model,
            client=openai_client,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            max_retries=config.json_retries,
        )
    patched = instructor.from_openai(openai_client, mode=instructor.Mode.MD_JSON)
    args = InstructorModelArgs(temperature=config.temperature, max_tokens=config.max_tokens)
    return InstructorLLM(client=patched, model=config.model, provider="openai", model_args=args, max_retries=config.json_retries)


@cache
def _metric_class() -> type:
    from ragas.metrics.collections import Faithfulness
    from ragas.metrics.result import MetricResult

    class ExplainedFaithfulness(Faithfulness):  # type: ignore[misc, valid-type]
        """ragas Faithfulness that also reports which statements were not supported."""

        async def ascore(self, user_input: str, response: str, retrieved_contexts: list[str]) -> MetricResult:  # type: ignore[override]
            statements = await self._create_statements(user_input, response)
            if not statements:
                return MetricResult(value=float("nan"), reason="no statements", traces={"output": {"statements": []}})
            verdicts = await self._create_verdicts(statements, "\n".join(retrieved_contexts))
            score = self._compute_score(verdicts)
            rows = [{"statement": v.statement, "supported": bool(v.verdict), "reason": v.reason} for v in verdicts.statements]
            return MetricResult(value=float(score), traces={"output": {"statements": rows}})

    return ExplainedFaithfulness


class FaithfulnessJudge(Judge):
    name = FAITHFULNESS_NAME

    def __init__(self, client: JudgeClient, threshold: float) -> None:
        super().__init__(client)
        self.threshold = threshold

    def prompt_texts(self) -> list[str]:
        return [f"ragas-faithfulness threshold={self.threshold}"]

    async def judge(self, case: Case) -> Judgment:
        if not case.contexts:
            return unscored(self.name, "No contexts: nothing to check the statements against.")
        try:
            metric = _metric_class()(llm=ragas_llm(self.client))
            async with self.client.unit():
                result = await metric.ascore(
                    user_input=case.question, response=case.answer, retrieved_contexts=list(case.contexts)
                )
        except Exception as exc:  # noqa: BLE001 - a judge failure is an unscored verdict, never a crash
            return unscored(self.name, describe_error(exc), error_kind=error_kind(exc))
        value = float(result.value)
        rows = (result.traces or {}).get("output", {}).get("statements", [])
        if math.isnan(value):
            return unscored(self.name, "The judge found no statements in the answer.")
        unsupported = [r for r in rows if not r["supported"]]
        reasons = [
            f"ragas faithfulness {value:.2f} (threshold {self.threshold:.2f}): "
            f"{len(rows) - len(unsupported)} of {len(rows)} statements supported"
        ]
        reasons += [
            f"not supported: {r['statement']}" + (f" — {r['reason']}" if r.get("reason") else "")
            for r in unsupported[:MAX_LISTED]
        ]
        return verdict(self.name, value >= self.threshold, value, reasons, {"statements": rows})
