"""The ``run``, ``resume`` and ``rescore`` flows: dataset + engine + rubric into a run directory.

Everything that can be wrong with the inputs is checked before the run directory is created, so
bad input leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from navis_eval import __version__
from navis_eval.cache import ResponseCache
from navis_eval.checks import build_checks
from navis_eval.dataset import Dataset, load_dataset
from navis_eval.engines import create_engine
from navis_eval.engines.base import AnswerEngine, EngineConfig, EngineContext, redact
from navis_eval.errors import InputError
from navis_eval.journal import Journal, compact_journal, read_journal
from navis_eval.jsonl import write_json
from navis_eval.models import GoldItem, RunCounts, RunManifest
from navis_eval.rubric import Rubric, load_rubric
from navis_eval.runner import RunOptions, RunStats, run_items
from navis_eval.store import RunDir, finalize, git_commit, new_run_id, utc_now, validate_run_id

if TYPE_CHECKING:
    from navis_eval.judges import JudgeSuite
    from navis_eval.judges.config import JudgeConfig


@dataclass(frozen=True)
class Selection:
    """Which gold items a run covers."""

    limit: int | None = None
    cancer_types: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()

    def apply(self, items: Sequence[GoldItem]) -> list[GoldItem]:
        known = {i.id for i in items}
        missing = [i for i in self.ids if i not in known]
        if missing:
            raise InputError(f"unknown item id(s): {', '.join(missing[:5])}", field="--ids")
        chosen = [
            i
            for i in items
            if (not self.cancer_types or i.cancer_type in self.cancer_types)
            and (not self.categories or i.category in self.categories)
            and (not self.risks or i.risk in self.risks)
            and (not self.ids or i.id in self.ids)
        ]
        if self.limit is not None:
            chosen = chosen[: self.limit]
        if not chosen:
            raise InputError("the selection matches no gold items", field="selection")
        return chosen

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class RunOutcome:
    run: RunDir
    manifest: RunManifest
    summary: dict[str, Any]
    stats: RunStats


def _engine_record(engine: AnswerEngine) -> tuple[dict[str, Any], bool]:
    """The config to store for resume (secrets only as ${ENV}), and whether it is complete."""
    raw = engine.config.model_dump(mode="json", exclude_none=True)
    safe = redact(raw)
    return safe, safe == raw


async def _answer(engine: AnswerEngine, items: list[GoldItem], run: RunDir, options: RunOptions, use_cache: bool) -> RunStats:
    cache = ResponseCache.default() if use_cache and engine.cacheable else None
    try:
        with Journal(run.answers_path) as journal:
            return await run_items(engine, items, journal, options, cache)
    finally:
        await engine.aclose()
        if cache is not None:
            cache.close()


def _judge(run: RunDir, items: list[GoldItem], judge: JudgeSuite) -> None:
    """LLM verdicts for every answered item -> judgments.jsonl, and what they cost -> judge.json.

    Every item is judged again each time (a resumed run included): the judge cache answers what
    was already asked, so only new or failed judge calls reach the endpoint.
    """
    from navis_eval.judges.store import write_judge_file, write_judgments
    from navis_eval.scoring import case_from_answer

    answers = read_journal(run.answers_path)
    cases = [
        (item.id, case_from_answer(item, answer.text, answer.contexts))
        for item in items
        if (answer := answers.get(item.id)) is not None and answer.error is None
    ]
    outcome = judge.judge(cases)
    write_judgments(run.judgments_path, outcome.judgments, judge.fingerprint)
    write_judge_file(run.judge_path, judge.describe(), judge.config.public(), judge.config.base_dir, outcome.usage)


def _suite(config: JudgeConfig | None, rubric: Rubric, use_cache: bool) -> JudgeSuite | None:
    """Validate a judge config against the rubric (prompt files, extras, key variable) up front."""
    if config is None:
        return None
    from navis_eval.judges import JudgeSuite

    return JudgeSuite(config, rubric.check_names, use_cache=use_cache)


def _stored_judge(run: RunDir, rubric: Rubric, use_cache: bool) -> JudgeSuite | None:
    """The judge a run was started with (judge.json), so that a resume judges like the start."""
    from navis_eval.judges.store import read_judge_file

    stored = read_judge_file(run.judge_path)
    if not stored.get("config"):
        return None
    from navis_eval.judges import JudgeSuite
    from navis_eval.judges.config import JudgeConfig

    config = JudgeConfig.model_validate(stored["config"])
    config.base_dir = stored.get("base_dir")
    return JudgeSuite(config, rubric.check_names, use_cache=use_cache)


def _complete(
    run: RunDir,
    manifest: RunManifest,
    dataset_items: list[GoldItem],
    rubric: Rubric,
    stats: RunStats,
    judge: JudgeSuite | None = None,
) -> RunOutcome:
    checks = build_checks(rubric)
    if judge is not None:
        _judge(run, dataset_items, judge)
    summary = finalize(run, manifest, dataset_items, checks)
    manifest.counts = RunCounts(
        items=len(dataset_items),
        answered=summary["answered"],
        errors=summary["errors"],
        cached=summary["cached"],
        resumed=manifest.counts.resumed,
    )
    done = summary["answered"] + summary["errors"]
    manifest.status = "complete" if done == len(dataset_items) and not stats.stopped else "stopped"
    manifest.stop_reason = stats.stop_reason
    manifest.finished_at = utc_now()
    run.write_manifest(manifest)
    return RunOutcome(run, manifest, summary, stats)


def start_run(
    *,
    engine_config: EngineConfig,
    dataset_path: str | None = None,
    rubric_path: str | None = None,
    selection: Selection = Selection(),
    options: RunOptions = RunOptions(),
    runs_dir: Path = Path("reports/runs"),
    run_id: str | None = None,
    label: str | None = None,
    use_cache: bool = True,
    judge_config: JudgeConfig | None = None,
) -> RunOutcome:
    dataset = load_dataset(dataset_path)
    rubric = load_rubric(rubric_path)
    items = selection.apply(dataset.items)
    engine = create_engine(engine_config, EngineContext(dataset))
    engine.check_ready()
    judge = _suite(judge_config, rubric, use_cache)
    if run_id is not None:
        validate_run_id(run_id)
    run = RunDir.create(runs_dir, run_id or new_run_id(engine.config.name or engine.kind))
    record, _complete_config = _engine_record(engine)
    manifest = RunManifest(
        run_id=run.run_id,
        created_at=utc_now(),
        harness_version=__version__,
        git_commit=git_commit(),
        label=label,
        dataset=dataset.ref,
        rubric=rubric.ref,
        engine=engine.describe(),
        checks=rubric.check_names,
        options={
            "concurrency": options.concurrency,
            "timeout": options.timeout,
            "retries": options.retries,
            "requests_per_minute": options.requests_per_minute,
            "max_errors": options.max_errors,
            "selection": selection.describe(),
            "cache": use_cache,
        },
        counts=RunCounts(items=len(items)),
    )
    if judge is not None:
        from navis_eval.judges.store import write_judge_file

        manifest.options["judge"] = judge.describe()
        write_judge_file(run.judge_path, judge.describe(), judge.config.public(), judge.config.base_dir, None)
    write_json(run.engine_path, record)
    run.write_item_ids([i.id for i in items])
    run.write_manifest(manifest)
    run = run.publish()
    stats = asyncio.run(_answer(engine, items, run, options, use_cache))
    return _complete(run, manifest, items, rubric, stats, judge)


def _load_for_run(run: RunDir, manifest: RunManifest, allow_mismatch: bool) -> tuple[Dataset, list[GoldItem]]:
    dataset = load_dataset(manifest.dataset.path)
    if dataset.hash != manifest.dataset.hash and not allow_mismatch:
        raise InputError(
            f"the dataset changed since this run started ({manifest.dataset.hash[:19]} -> {dataset.hash[:19]}); "
            "pass --allow-mismatch to continue anyway",
            path=manifest.dataset.path,
        )
    by_id = {i.id: i for i in dataset.items}
    ids = run.item_ids()
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise InputError(f"run items no longer in the dataset: {', '.join(missing[:5])}", path=run.items_path)
    return dataset, [by_id[i] for i in ids]


def resume_run(
    run_path: Path,
    *,
    options: RunOptions = RunOptions(),
    engine_config: EngineConfig | None = None,
    retry_errors: bool = False,
    allow_mismatch: bool = False,
    use_cache: bool = True,
    judge_config: JudgeConfig | None = None,
) -> RunOutcome:
    """Finish an interrupted run: items already journaled are never sent to the engine again.

    A run started with ``--judge`` is judged again with the judge config stored in it (or with
    ``judge_config`` when given)."""
    from navis_eval.engines import engine_class

    run = RunDir.open(run_path)
    manifest = run.read_manifest()
    dataset, items = _load_for_run(run, manifest, allow_mismatch)
    rubric = load_rubric(manifest.rubric.path)
    if rubric.hash != manifest.rubric.hash and not allow_mismatch:
        raise InputError("the rubric changed since this run started; use `rescore` for a new rubric", path=manifest.rubric.path)
    if engine_config is None:
        stored = json.loads(run.engine_path.read_text(encoding="utf-8"))
        if "[redacted]" in json.dumps(stored):
            raise InputError("the stored engine config had literal secrets removed; pass --engine again", path=run.engine_path)
        engine_config = engine_class(stored["kind"]).Config.model_validate(stored)
    engine = create_engine(engine_config, EngineContext(dataset))
    engine.check_ready()
    if engine.fingerprint() != manifest.engine.get("fingerprint") and not allow_mismatch:
        raise InputError("the engine config differs from the one this run started with; pass --allow-mismatch", field="--engine")
    judge = _suite(judge_config, rubric, use_cache)
    if judge is None:
        judge = _stored_judge(run, rubric, use_cache)
    else:
        from navis_eval.judges.store import write_judge_file

        manifest.options["judge"] = judge.describe()
        write_judge_file(run.judge_path, judge.describe(), judge.config.public(), judge.config.base_dir, None)
    done = read_journal(run.answers_path, repair=True)
    if retry_errors:
        kept = {k: v for k, v in done.items() if v.error is None}
        if len(kept) != len(done):
            compact_journal(run.answers_path, kept)
        done = kept
    remaining = [i for i in items if i.id not in done]
    manifest.counts.resumed += 1
    manifest.status = "running"
    run.write_manifest(manifest)
    stats = asyncio.run(_answer(engine, remaining, run, options, use_cache)) if remaining else RunStats()
    return _complete(run, manifest, items, rubric, stats, judge)


def rescore_run(run_path: Path, *, rubric_path: str | None, out: Path | None = None, in_place: bool = False) -> RunOutcome:
    """Score a finished run's answers with another rubric, without calling the engine."""
    source = RunDir.open(run_path)
    manifest = source.read_manifest()
    _, items = _load_for_run(source, manifest, allow_mismatch=True)
    rubric = load_rubric(rubric_path)
    if in_place:
        target = source
    else:
        target_path = out or source.path.parent / f"{source.path.name}.rescore-{rubric.name}-{rubric.hash[7:15]}"
        validate_run_id(target_path.name)
        if target_path.exists():
            raise InputError("target run directory already exists", path=target_path)
        tmp = target_path.with_name(f".{target_path.name}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name in ("answers.jsonl", "engine.json", "items.txt", "judge.json", "judgments.jsonl"):
            if (source.path / name).exists():
                shutil.copy2(source.path / name, tmp / name)
        tmp.rename(target_path)
        target = RunDir(target_path)
    new_manifest = manifest.model_copy(
        update={
            "run_id": target.path.name,
            "rubric": rubric.ref,
            "checks": rubric.check_names,
            "options": {**manifest.options, "rescored_from": manifest.run_id},
        }
    )
    return _complete(target, new_manifest, items, rubric, RunStats())
