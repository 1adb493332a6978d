"""Run directories: the unit CI keeps as an artifact and every later stage reads.

::

    reports/runs/<run-id>/
      manifest.json     what was measured: dataset, rubric, engine (no secrets), counts
      engine.json       the engine config (secrets only as ${ENV} references) for --resume
      items.txt         the selected item ids, in dataset order
      answers.jsonl     the journal: one line per completed item (answer or error)
      results.jsonl     one row per item and check
      results.parquet   the same rows for pandas / Arrow users
      summary.json      pass rates per check, overall and by cancer type, category and risk
      judge.json        with --judge: the judge config (API key only as a variable name) and its usage
      judgments.jsonl   with --judge: the LLM verdicts per item, with their details
"""

from __future__ import annotations

import json
import os
import re
import shutil
import secrets
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from navis_eval import __version__
from navis_eval.checks.base import Check
from navis_eval.errors import InputError
from navis_eval.journal import JournalReader
from navis_eval.jsonl import atomic_writer, dumps, read_text, write_json
from navis_eval.models import CheckResult, EngineAnswer, GoldItem, RunManifest
from navis_eval.scoring import case_from_answer, evaluate
from navis_eval.summary import SummaryBuilder

DEFAULT_RUNS_DIR = Path("reports/runs")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_run_id(engine_kind: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kind = re.sub(r"[^A-Za-z0-9]+", "-", engine_kind)[:24] or "engine"
    return f"{stamp}-{kind}-{secrets.token_hex(3)}"


def validate_run_id(run_id: str) -> str:
    """Run ids become folder names: refuse anything that could leave the runs folder."""
    if not _RUN_ID.match(run_id) or ".." in run_id:
        raise InputError(f"invalid run id '{run_id}': use letters, digits, '.', '_' and '-'", field="run_id")
    return run_id


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else None


@dataclass(frozen=True)
class RunDir:
    path: Path

    @property
    def run_id(self) -> str:
        name = self.path.name
        return name[1 : -len(".starting")] if name.endswith(".starting") else name

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    @property
    def answers_path(self) -> Path:
        return self.path / "answers.jsonl"

    @property
    def results_path(self) -> Path:
        return self.path / "results.jsonl"

    @property
    def parquet_path(self) -> Path:
        return self.path / "results.parquet"

    @property
    def summary_path(self) -> Path:
        return self.path / "summary.json"

    @property
    def engine_path(self) -> Path:
        return self.path / "engine.json"

    @property
    def items_path(self) -> Path:
        return self.path / "items.txt"

    @property
    def judge_path(self) -> Path:
        return self.path / "judge.json"

    @property
    def judgments_path(self) -> Path:
        return self.path / "judgments.jsonl"

    @classmethod
    def create(cls, root: Path, run_id: str) -> RunDir:
        """A staging folder for a new run; :meth:`publish` moves it into place once its
        manifest is written, so a run killed while starting leaves no half-made run behind."""
        path = root / validate_run_id(run_id)
        if path.exists():
            raise InputError("run directory already exists; use --resume to continue it", path=path)
        staging = root / f".{run_id}.starting"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        return cls(staging)

    def publish(self) -> RunDir:
        """Move a staged run to its final name (``.ID.starting`` -> ``ID``)."""
        if not self.path.name.endswith(".starting"):
            return self
        final = self.path.with_name(self.run_id)
        os.replace(self.path, final)
        return RunDir(final)

    @classmethod
    def open(cls, path: Path) -> RunDir:
        run = cls(path)
        if not run.manifest_path.exists():
            raise InputError("not a run directory (no manifest.json)", path=path)
        return run

    def read_manifest(self) -> RunManifest:
        try:
            return RunManifest.model_validate_json(read_text(self.manifest_path))
        except ValueError as exc:
            raise InputError(f"unreadable manifest ({type(exc).__name__})", path=self.manifest_path) from None

    def write_manifest(self, manifest: RunManifest) -> None:
        write_json(self.manifest_path, manifest)

    def read_summary(self) -> dict[str, Any]:
        if not self.summary_path.exists():
            raise InputError("run has no summary.json (was it finished?)", path=self.path)
        return json.loads(read_text(self.summary_path))  # type: ignore[no-any-return]

    def item_ids(self) -> list[str]:
        return [line for line in read_text(self.items_path).splitlines() if line.strip()]

    def write_item_ids(self, ids: Sequence[str]) -> None:
        with atomic_writer(self.items_path) as handle:
            handle.write("".join(f"{i}\n" for i in ids))

    def iter_results(self) -> Iterator[dict[str, Any]]:
        """Result rows, one per item and check, streamed from results.jsonl."""
        with open(self.results_path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def result_rows(
    run_id: str, item: GoldItem, answer: EngineAnswer, checks: Sequence[Check], extra: Sequence[CheckResult] = ()
) -> list[dict[str, Any]]:
    """The rows of one item: one per check, then one per LLM verdict in ``extra`` (none when the
    engine failed)."""
    if answer.error is not None:
        return []
    case = case_from_answer(item, answer.text, answer.contexts)
    rows = []
    for result in [*evaluate(checks, case), *extra]:
        rows.append(
            {
                "run_id": run_id,
                "item_id": item.id,
                "check": result.name,
                "status": result.status.value,
                "passed": result.passed,
                "score": result.score,
                "reasons": result.reasons,
                "evidence": [e.model_dump(mode="json", exclude_none=True) for e in result.evidence],
                "cancer_type": item.cancer_type,
                "category": item.category,
                "risk": item.risk,
                "curability": item.curability,
                "expected_coverage": item.expected_coverage,
                "urgent": item.urgent,
            }
        )
    return rows


_PARQUET_BATCH = 2000


def _parquet_schema():  # type: ignore[no-untyped-def]
    import pyarrow as pa

    return pa.schema(
        [
            ("run_id", pa.string()),
            ("item_id", pa.string()),
            ("check", pa.string()),
            ("status", pa.string()),
            ("passed", pa.bool_()),
            ("score", pa.float64()),
            ("reasons", pa.list_(pa.string())),
            ("evidence_json", pa.string()),
            ("cancer_type", pa.string()),
            ("category", pa.string()),
            ("risk", pa.string()),
            ("curability", pa.string()),
            ("expected_coverage", pa.string()),
            ("urgent", pa.bool_()),
        ]
    )


def _flush_parquet(writer: Any, batch: list[dict[str, Any]]) -> None:
    import pyarrow as pa

    if not batch:
        return
    rows = [{**{k: v for k, v in r.items() if k != "evidence"}, "evidence_json": json.dumps(r["evidence"], ensure_ascii=False)} for r in batch]
    writer.write_table(pa.Table.from_pylist(rows, schema=writer.schema))
    batch.clear()


def finalize(run: RunDir, manifest: RunManifest, items: Sequence[GoldItem], checks: Sequence[Check]) -> dict[str, Any]:
    """Score every journaled answer and write results (JSONL + Parquet) and the summary.

    Items are processed in dataset order and streamed to disk, so output is deterministic and
    memory stays flat whatever the number of answers. LLM verdicts in ``judgments.jsonl`` (runs
    made with ``--judge``) become rows next to the deterministic ones, and the summary gets a
    ``judge`` section; without that file the output is exactly what it was without judges.
    """
    import pyarrow.parquet as pq

    judged = None
    if run.judgments_path.exists():
        from navis_eval.judges.store import JudgeTally, read_judgments

        judged = read_judgments(run.judgments_path)
        tally = JudgeTally(judged)
    builder = SummaryBuilder()
    batch: list[dict[str, Any]] = []
    parquet_tmp = run.parquet_path.with_name(".results.parquet.tmp")
    with (
        JournalReader(run.answers_path) as answers,
        atomic_writer(run.results_path) as out,
        pq.ParquetWriter(parquet_tmp, _parquet_schema()) as writer,
    ):
        for item in items:
            answer = answers.get(item.id)
            if answer is None:
                continue
            builder.add_answer(
                error_kind=answer.error.kind if answer.error else None, latency_ms=answer.latency_ms, cached=answer.cached
            )
            extra = [j.result for j in judged.get(item.id, [])] if judged is not None else []
            for row in result_rows(manifest.run_id, item, answer, checks, extra):
                out.write(dumps(row) + "\n")
                builder.add_result(row["check"], row["status"], row["score"], row)
                if judged is not None:
                    tally.add(row)
                batch.append(row)
                if len(batch) >= _PARQUET_BATCH:
                    _flush_parquet(writer, batch)
        _flush_parquet(writer, batch)
    parquet_tmp.replace(run.parquet_path)
    summary = {
        "run_id": manifest.run_id,
        "label": manifest.label,
        "dataset": manifest.dataset.model_dump(mode="json"),
        "rubric": manifest.rubric.model_dump(mode="json"),
        "engine": {k: manifest.engine.get(k) for k in ("kind", "name", "version", "model", "fingerprint") if manifest.engine.get(k) is not None},
        "selected_items": len(items),
        **builder.build(),
    }
    if judged is not None:
        summary["judge"] = tally.build(run.judge_path)
    write_json(run.summary_path, summary)
    return summary
