"""HealthBench-style grading of a gold item's criteria: one judge call per criterion, met or not.

Scoring follows HealthBench: an answer's score is the points of the criteria it meets (negative
points for harmful behaviour count against it) divided by the sum of the positive points. The
per-answer score can be negative; aggregates (the run's ``healthbench`` score and its per-tag
scores) are means clipped to [0, 1]. The stored verdict's ``score`` is clipped to [0, 1] too
(results rows hold scores in that range); the raw score is kept in the reasons and in
``judgments.jsonl``. An answer passes when its raw score reaches the configured threshold.

The request is the plainest there is: one user message, temperature and max_tokens; the reply's
JSON is read from its text (a ```json block or the first ``{...}``), so any chat server works.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

from navis_eval.jsonl import read_text
from navis_eval.judges.base import Judge, Judgment, describe_error, error_kind, unscored, verdict
from navis_eval.judges.config import HEALTHBENCH_NAME

if TYPE_CHECKING:
    from pathlib import Path

    from navis_eval.checks.base import Case
    from navis_eval.judges.client import JudgeClient

_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL)


class InvalidReply(ValueError):
    """The grader's reply had no JSON object with a boolean ``criteria_met``."""


def parse_grade(text: str) -> tuple[bool, str]:
    """``(criteria_met, explanation)`` from a grader reply, or InvalidReply."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("criteria_met"), bool):
            return data["criteria_met"], str(data.get("explanation", "")).strip()
    raise InvalidReply(f"the grader's reply is not the JSON asked for: {' '.join(text.split())[:160]!r}")


def item_score(grades: list[dict[str, Any]]) -> float | None:
    """HealthBench: points of met criteria / sum of positive points (None without positive points)."""
    possible = sum(g["points"] for g in grades if g["points"] > 0)
    if possible <= 0:
        return None
    return sum(g["points"] for g in grades if g["met"]) / possible


def clipped_mean(values: list[float]) -> float | None:
    if not values:
        return None
    return min(1.0, max(0.0, sum(values) / len(values)))


def conversation(case: Case) -> str:
    from navis_eval.engines.base import profile_text

    question = case.question.strip()
    if case.gold is not None and (profile := profile_text(case.gold)):
        question = f"My records:\n{profile}\n\nMy question: {question}"
    return f"user: {question}\n\nassistant: {case.answer.strip()}"


class HealthBenchJudge(Judge):
    name = HEALTHBENCH_NAME

    def __init__(self, client: JudgeClient, template_path: Path, threshold: float) -> None:
        super().__init__(client)
        self.template = read_text(template_path)
        self.threshold = threshold
        for placeholder in ("<<conversation>>", "<<rubric_item>>"):
            if placeholder not in self.template:
                from navis_eval.errors import InputError

                raise InputError(f"the grader template has no {placeholder}", path=template_path)

    def prompt_texts(self) -> list[str]:
        return [self.template, f"threshold={self.threshold}"]

    def prompt(self, case: Case, criterion: dict[str, Any]) -> str:
        item = f"[{criterion['points']}] {criterion['criterion']}"
        return self.template.replace("<<conversation>>", conversation(case)).replace("<<rubric_item>>", item)

    async def _grade_or_error(self, case: Case, criterion: dict[str, Any]) -> dict[str, Any] | BaseException:
        try:
            return await self._grade_retrying(case, criterion)
        except Exception as exc:  # noqa: BLE001 - reported as an unscored verdict
            return exc

    async def _grade_retrying(self, case: Case, criterion: dict[str, Any]) -> dict[str, Any]:
        attempts = self.client.config.json_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._grade_once(case, criterion)
            except InvalidReply:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    async def _grade_once(self, case: Case, criterion: dict[str, Any]) -> dict[str, Any]:
        config = self.client.config
        async with self.client.unit():
            response = await self.client.openai().chat.completions.create(
                model=config.model,
                messages=[{"role": "user", "content": self.prompt(case, criterion)}],
                temperature=config.temperature,
                max_tokens=config.max_tokens,
            )
            text = (response.choices[0].message.content or "") if response.choices else ""
            met, explanation = parse_grade(text)  # InvalidReply leaves the reply out of the cache
        return {**criterion, "met": met, "explanation": explanation}

    async def judge(self, case: Case) -> Judgment:
        from pydantic import ValidationError

        from navis_eval.models import Criterion

        try:
            criteria = [Criterion.model_validate(c).model_dump(mode="json") for c in case.gold_value("criteria") or []]
        except (ValidationError, TypeError) as exc:
            return unscored(self.name, f"Invalid criteria in the item's metadata: {' '.join(str(exc).split())[:200]}")
        if not criteria:
            return unscored(self.name, "No criteria: this item has no HealthBench-style criteria to grade.")
        outcomes = await asyncio.gather(*(self._grade_or_error(case, c) for c in criteria))
        failures = [(i, o) for i, o in enumerate(outcomes) if isinstance(o, BaseException)]
        if failures:
            index, exc = failures[0]
            reason = f"criterion {index + 1} of {len(criteria)} could not be graded: {describe_error(exc)}"
            if len(failures) > 1:
                reason += f" (and {len(failures) - 1} more)"
            return unscored(self.name, reason, error_kind=error_kind(exc))
        grades: list[dict[str, Any]] = [o for o in outcomes if isinstance(o, dict)]
        raw = item_score(grades)
        details = {"criteria": grades, "raw_score": raw}
        if raw is None:
            return unscored(self.name, "No criterion has positive points: HealthBench score undefined.", details=details)
        met_points = sum(g["points"] for g in grades if g["met"])
        possible = sum(g["points"] for g in grades if g["points"] > 0)
        reasons = [f"HealthBench score {raw:.2f} ({met_points} points of {possible} possible; threshold {self.threshold:.2f})"]
        # failed criteria first: positive ones not met, then harmful ones met
        for g in sorted(grades, key=lambda g: -abs(g["points"])):
            if g["points"] > 0 and not g["met"]:
                reasons.append(
                    f"not met (+{g['points']}): {g['criterion']}" + (f" — {g['explanation']}" if g["explanation"] else "")
                )
        for g in sorted(grades, key=lambda g: g["points"]):
            if g["points"] < 0 and g["met"]:
                reasons.append(
                    f"harmful, met ({g['points']}): {g['criterion']}" + (f" — {g['explanation']}" if g["explanation"] else "")
                )
        return verdict(self.name, raw >= self.threshold, raw, reasons, details)


def aggregate(details: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's HealthBench score (clipped mean) and per-tag scores (criteria with that tag only)."""
    raws = [d["raw_score"] for d in details if d.get("raw_score") is not None]
    by_tag: dict[str, list[float]] = {}
    for d in details:
        tags = sorted({t for g in d.get("criteria", []) for t in g.get("tags", [])})
        for tag in tags:
            score = item_score([g for g in d["criteria"] if tag in g.get("tags", [])])
            if score is not None:
                by_tag.setdefault(tag, []).append(score)
    mean = clipped_mean(raws)
    return {
        "n": len(raws),
        "score": None if mean is None else round(mean, 6),
        "mean_raw": round(sum(raws) / len(raws), 6) if raws else None,
        "by_tag": {tag: {"n": len(v), "score": round(clipped_mean(v) or 0.0, 6)} for tag, v in sorted(by_tag.items())},
    }
