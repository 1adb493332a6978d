"""Run directories loaded for review: every answer with its check results and gold metadata.

Runs are read once when the workbench starts (they are finished and do not change); verdicts live
in the review database, never in the run directory. The check names come from the runs
themselves, so checks added later (or by a plugin) need no change here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from navis_eval.errors import InputError
from navis_eval.journal import read_journal
from navis_eval.models import EngineAnswer, GoldItem
from navis_eval.review.store import AnswerSnapshot, FlagRef
from navis_eval.store import RunDir


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    path: Path
    label: str | None
    engine: dict[str, Any]
    rubric: dict[str, Any]
    dataset: dict[str, Any]
    checks: list[str]
    created_at: str
    warnings: tuple[str, ...] = ()

    @property
    def engine_name(self) -> str:
        name = self.engine.get("name") or self.engine.get("kind") or "engine"
        model = self.engine.get("model")
        return f"{name} ({model})" if model and model != name else str(name)

    @property
    def title(self) -> str:
        return self.label or self.run_id


@dataclass(frozen=True)
class ResultView:
    """One check's result on one answer, as written to results.jsonl."""

    check: str
    status: str
    score: float | None
    reasons: list[str]
    evidence: list[dict[str, Any]]

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def reviewable(self) -> bool:
        return self.status in ("failed", "passed")


@dataclass
class AnswerView:
    run: RunInfo
    item_id: str
    answer: EngineAnswer
    gold: GoldItem | None
    cancer_type: str
    category: str
    risk: str
    results: list[ResultView] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.run.run_id, self.item_id)

    @property
    def question(self) -> str:
        return self.gold.question if self.gold is not None else ""

    @property
    def flags(self) -> list[ResultView]:
        return [r for r in self.results if r.failed]

    def result(self, check: str) -> ResultView | None:
        for r in self.results:
            if r.check == check:
                return r
        return None

    def flag_ref(self, check: str) -> FlagRef:
        result = self.result(check)
        if result is None or not result.reviewable:
            raise InputError(f"no reviewable result of check '{check}' on this answer", field="check")
        rubric = self.run.rubric
        return FlagRef(
            run_id=self.run.run_id,
            item_id=self.item_id,
            check=check,
            harness_status=result.status,
            rubric_name=str(rubric.get("name", "")),
            rubric_version=str(rubric.get("version", "")),
            rubric_hash=str(rubric.get("hash", "")),
        )

    def snapshot(self) -> AnswerSnapshot:
        gold: dict[str, Any] = {"category": self.category, "risk": self.risk}
        if self.gold is not None:
            gold.update(
                curability=self.gold.curability,
                expected_coverage=self.gold.expected_coverage,
                urgent=self.gold.urgent,
                gap=self.gold.gap,
                key_points=[k.text for k in self.gold.key_points],
                forbidden_claims=list(self.gold.forbidden_claims),
            )
        return AnswerSnapshot(
            run_id=self.run.run_id,
            item_id=self.item_id,
            question=self.question,
            answer=self.answer.text,
            contexts=list(self.answer.contexts),
            cancer_type=self.cancer_type,
            category=self.category,
            risk=self.risk,
            gold=gold,
            engine={k: v for k, v in self.run.engine.items() if k in ("kind", "name", "version", "model", "fingerprint")},
            run_label=self.run.label,
            dataset=self.run.dataset,
            checks=list(self.run.checks),
        )


@dataclass
class ReviewData:
    runs: dict[str, RunInfo]
    answers: dict[tuple[str, str], AnswerView]
    checks: list[str]

    def flagged(self) -> list[AnswerView]:
        return [a for a in self.answers.values() if a.flags]

    def get(self, run_id: str, item_id: str) -> AnswerView | None:
        return self.answers.get((run_id, item_id))


def _load_gold(path: str | None, expected_hash: str | None, cache: dict[str, Any]) -> tuple[dict[str, GoldItem], str | None]:
    from navis_eval.dataset import load_dataset

    if not path:
        return {}, "the run does not name its dataset: questions and gold metadata are unavailable"
    if path not in cache:
        try:
            cache[path] = load_dataset(path)
        except InputError as exc:
            cache[path] = exc
    loaded = cache[path]
    if isinstance(loaded, InputError):
        return {}, f"gold set could not be loaded ({loaded}): questions and gold metadata are unavailable"
    warning = None
    if expected_hash and loaded.hash != expected_hash:
        warning = f"the gold set at {path} changed since this run ({loaded.version}); questions shown are the current ones"
    return {item.id: item for item in loaded.items}, warning


def load_runs(paths: Sequence[Path]) -> ReviewData:
    """Read finished run directories; bad input is an InputError naming the folder."""
    if not paths:
        raise InputError("give at least one run directory", field="RUN_DIR")
    datasets: dict[str, Any] = {}
    runs: dict[str, RunInfo] = {}
    answers: dict[tuple[str, str], AnswerView] = {}
    checks: list[str] = []
    for path in paths:
        if not path.is_dir():
            raise InputError("no such run directory", path=path)
        run = RunDir.open(path)
        manifest = run.read_manifest()
        if manifest.run_id in runs:
            raise InputError(f"run '{manifest.run_id}' is given twice", path=path)
        if not run.results_path.exists():
            raise InputError("run has no results.jsonl (was it finished?)", path=path)
        gold, warning = _load_gold(manifest.dataset.path, manifest.dataset.hash, datasets)
        info = RunInfo(
            run_id=manifest.run_id,
            path=path,
            label=manifest.label,
            engine=dict(manifest.engine),
            rubric=manifest.rubric.model_dump(mode="json"),
            dataset=manifest.dataset.model_dump(mode="json"),
            checks=list(manifest.checks),
            created_at=manifest.created_at,
            warnings=(warning,) if warning else (),
        )
        runs[info.run_id] = info
        for name in manifest.checks:
            if name not in checks:
                checks.append(name)
        journal = read_journal(run.answers_path)
        try:
            rows = list(run.iter_results())
        except ValueError as exc:
            raise InputError(f"unreadable results ({type(exc).__name__})", path=run.results_path) from None
        for row in rows:
            try:
                item_id = str(row["item_id"])
                result = ResultView(
                    check=str(row["check"]),
                    status=str(row["status"]),
                    score=row.get("score"),
                    reasons=[str(r) for r in row.get("reasons") or []],
                    evidence=[e for e in row.get("evidence") or [] if isinstance(e, dict)],
                )
            except (KeyError, TypeError):
                raise InputError("result row without item_id or check", path=run.results_path) from None
            if result.check not in checks:
                checks.append(result.check)
            key = (info.run_id, item_id)
            view = answers.get(key)
            if view is None:
                answer = journal.get(item_id)
                if answer is None:
                    raise InputError(f"results name item '{item_id}' that has no answer in answers.jsonl", path=run.results_path)
                item = gold.get(item_id)
                view = AnswerView(
                    run=info,
                    item_id=item_id,
                    answer=answer,
                    gold=item,
                    cancer_type=str(row.get("cancer_type") or (item.cancer_type if item else "")),
                    category=str(row.get("category") or (item.category if item else "")),
                    risk=str(row.get("risk") or (item.risk if item else "")),
                )
                answers[key] = view
            view.results.append(result)
    return ReviewData(runs=runs, answers=answers, checks=checks)
