"""Optional LLM judges next to the deterministic checks (``--judge CONFIG``).

- ``grounding.llm``: ragas Faithfulness (:mod:`navis_eval.judges.faithfulness`);
- ``<check>.llm``: a deepeval GEval rubric per check, prompts in ``rubrics/judges/`` (:mod:`.geval`);
- ``healthbench``: each gold item's criteria graded per criterion (:mod:`.healthbench`).

Every call goes through :class:`navis_eval.judges.client.JudgeClient` (cache, retries, rate limit,
accounting). Verdicts are ``CheckResult`` objects under the judge's name, so results, summaries,
reports and the gate treat them as extra checks.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from navis_eval.errors import InputError
from navis_eval.judges.config import JudgeConfig, load_judge_config, without_userinfo

if TYPE_CHECKING:
    from navis_eval.checks.base import Case
    from navis_eval.judges.base import Judge, Judgment
    from navis_eval.judges.client import JudgeClient

__all__ = ["JudgeConfig", "JudgeOutcome", "JudgeSuite", "load_judge_config"]

EXTRA_HINT = "pip install 'navis-eval[judges]'"


def _require(*modules: str, what: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise InputError(f"{what} needs {', '.join(missing)}: {EXTRA_HINT}", field="--judge")


@dataclass
class JudgeOutcome:
    """Verdicts per item id (in the judges' order) and what judging cost."""

    judgments: dict[str, list[Judgment]]
    usage: dict[str, Any]
    names: list[str] = field(default_factory=list)


class JudgeSuite:
    """The judges a config enables, validated up front (prompt files, extras, API key variable)."""

    def __init__(self, config: JudgeConfig, check_names: Sequence[str], *, use_cache: bool = True) -> None:
        from navis_eval.judges.client import _api_key
        from navis_eval.judges.geval import load_specs

        self.config = config
        self.use_cache = use_cache
        j = config.judges
        _api_key(config)  # fail before any run directory exists
        self.specs = []
        if j.geval.enabled:
            _require("deepeval", what="judges.geval (deepeval GEval)")
            self.specs = load_specs(config.resolve(j.geval.prompts), j.geval.checks, list(check_names))
            if j.faithfulness.enabled and any(s.check == "grounding" for s in self.specs):
                raise InputError("grounding.llm would come from both ragas Faithfulness and GEval; drop one", field="judges")
        if j.faithfulness.enabled:
            _require("ragas", "instructor", what="judges.faithfulness (ragas Faithfulness)")
        self.healthbench_template = config.resolve(j.healthbench.prompt) if j.healthbench.enabled else None
        if self.healthbench_template is not None and not self.healthbench_template.is_file():
            raise InputError("grader template not found", path=self.healthbench_template, field="judges.healthbench.prompt")
        probe = self._build(None)
        self.names = [judge.name for judge in probe]
        self.fingerprint = config.fingerprint([t for judge in probe for t in judge.prompt_texts()])
        self.last_usage: dict[str, Any] | None = None

    def _build(self, client: JudgeClient | None) -> list[Judge]:
        from navis_eval.judges.faithfulness import FaithfulnessJudge
        from navis_eval.judges.geval import GEvalJudge
        from navis_eval.judges.healthbench import HealthBenchJudge

        j = self.config.judges
        judges: list[Judge] = []
        if j.faithfulness.enabled:
            judges.append(FaithfulnessJudge(client, j.faithfulness.threshold))  # type: ignore[arg-type]
        judges += [GEvalJudge(client, spec) for spec in self.specs]  # type: ignore[arg-type]
        if self.healthbench_template is not None:
            judges.append(HealthBenchJudge(client, self.healthbench_template, j.healthbench.threshold))  # type: ignore[arg-type]
        return judges

    def describe(self) -> dict[str, Any]:
        """For manifests and summaries: what judged, never how to authenticate."""
        c = self.config
        return {
            "name": c.display_name,
            "model": c.model,
            "base_url": without_userinfo(c.base_url),
            "json_mode": c.json_mode,
            "fingerprint": self.fingerprint,
            "judges": list(self.names),
        }

    async def ajudge(self, cases: Sequence[tuple[str, Case]]) -> JudgeOutcome:
        from navis_eval.judges.client import JudgeClient

        client = JudgeClient(self.config, use_cache=self.use_cache)
        judges = self._build(client)
        results: dict[str, list[Judgment]] = {}
        gate = asyncio.Semaphore(self.config.concurrency)

        async def one(item_id: str, case: Case) -> None:
            async with gate:
                verdicts = await asyncio.gather(*(judge.judge(case) for judge in judges))
            results[item_id] = list(verdicts)
            for v in verdicts:
                if v.error_kind is not None:
                    client.usage.errors += 1
                    client.usage.error_kinds[v.error_kind] += 1
                else:
                    client.usage.verdicts += int(v.result.status.value != "unscored")

        try:
            await asyncio.gather(*(one(item_id, case) for item_id, case in cases))
        finally:
            await client.aclose()
            client.close_cache()
        ordered = {item_id: results[item_id] for item_id, _ in cases}
        self.last_usage = client.usage.as_dict(self.config)
        return JudgeOutcome(ordered, self.last_usage, list(self.names))

    def judge(self, cases: Sequence[tuple[str, Case]]) -> JudgeOutcome:
        """Judge every case (blocking); one event loop for the whole batch."""
        return asyncio.run(self.ajudge(cases))
