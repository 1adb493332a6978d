"""Real runs for the report, trend and gate tests: reference engine and replayed (edited) answers.

Each test module works on its own snapshot of the gold set and rubric, so edits to datasets/ or
rubrics/ made while the tests run cannot change a hash between two runs of one test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from navis_eval.engines import EngineConfig, load_engine_config
from navis_eval.pipeline import Selection, start_run
from navis_eval.runner import RunOptions
from tests.conftest import ROOT

QUIET = RunOptions(progress=False)
BAD_ANSWER = "You will be cured completely, guaranteed. <script>alert(1)</script> <img src=x onerror=alert(1)>"


def snapshot(tmp: Path) -> tuple[str, str]:
    """Copies of the gold set and the default rubric; returns (dataset descriptor, rubric) paths."""
    shutil.copytree(ROOT / "datasets", tmp / "datasets", ignore=shutil.ignore_patterns("labeled"))
    descriptor = tmp / "datasets" / "navis-gold.yaml"
    text = descriptor.read_text(encoding="utf-8").replace("labeled: labeled\n", "")
    descriptor.write_text(text, encoding="utf-8")
    (tmp / "rubrics").mkdir()
    shutil.copy(ROOT / "rubrics" / "navis-v1.yaml", tmp / "rubrics" / "navis-v1.yaml")
    return str(descriptor), str(tmp / "rubrics" / "navis-v1.yaml")


def reference_run(runs: Path, run_id: str, *, dataset: str, rubric: str, limit: int, label: str | None = None) -> Path:
    config, _ = load_engine_config(str(ROOT / "evals/engines/reference.yaml"))
    return _run(config, runs, run_id, dataset=dataset, rubric=rubric, limit=limit, label=label)


def _run(config: EngineConfig, runs: Path, run_id: str, *, dataset: str, rubric: str, limit: int, label: str | None) -> Path:
    outcome = start_run(
        engine_config=config,
        dataset_path=dataset,
        rubric_path=rubric,
        selection=Selection(limit=limit),
        options=QUIET,
        runs_dir=runs,
        run_id=run_id,
        label=label,
        use_cache=False,
    )
    return outcome.run.path


def recordings_from(run: Path, target: Path, *, replace: dict[str, str] | None = None, errors: set[str] | None = None) -> Path:
    """A replay file with a run's answers, some replaced (injected regressions) or turned into errors."""
    replace, errors = replace or {}, errors or set()
    with open(target, "w", encoding="utf-8") as out:
        for line in (run / "answers.jsonl").read_text(encoding="utf-8").splitlines():
            answer = json.loads(line)
            item_id = answer["item_id"]
            record = {"id": item_id, "answer": replace.get(item_id, answer["text"]), "contexts": answer["contexts"]}
            if item_id in errors:
                record["error"] = "timeout after 30 s"
            out.write(json.dumps(record) + "\n")
    return target


def replay_run(
    runs: Path,
    run_id: str,
    recordings: Path,
    *,
    dataset: str,
    rubric: str,
    limit: int,
    label: str | None = None,
    version: str = "2.0.0",
) -> Path:
    config, _ = load_engine_config("replay", [f"path={recordings}", "name=candidate", f"version={version}"])
    return _run(config, runs, run_id, dataset=dataset, rubric=rubric, limit=limit, label=label)


def rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def high_risk_ids(run: Path) -> list[str]:
    return list(dict.fromkeys(r["item_id"] for r in rows(run) if r["risk"] == "high"))


def item_ids(run: Path) -> list[str]:
    return (run / "items.txt").read_text(encoding="utf-8").split()
