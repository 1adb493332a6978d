"""Benchmark inputs built from the shipped gold set and corpus (no downloads)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from navis_eval.dataset import load_dataset
from navis_eval.engines import create_engine, load_engine_config
from navis_eval.engines.base import EngineContext


def reference_answers() -> list[dict]:
    """One realistic answer per gold item (reference engine: ~250-450 words, 3 contexts)."""
    dataset = load_dataset()
    config, _ = load_engine_config("evals/engines/reference.yaml")
    engine = create_engine(config, EngineContext(dataset))

    async def all_answers() -> list[dict]:
        out = []
        for item in dataset.items:
            answer = await engine.answer(item)
            out.append({"id": item.id, "question": item.question, "answer": answer.text, "contexts": answer.contexts,
                        "cancer_type": item.cancer_type, "metadata": {"curability": item.curability, "urgent": item.urgent,
                                                                      "expected_coverage": item.expected_coverage}})
        return out

    return asyncio.run(all_answers())


def write_score_input(path: Path, count: int) -> Path:
    """``count`` score-input lines cycling through the reference answers (unique ids)."""
    base = reference_answers()
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            row = dict(base[n % len(base)])
            row["id"] = f"{row['id']}-{n}"
            handle.write(json.dumps(row) + "\n")
    return path


def write_gold(path: Path, count: int) -> Path:
    """A gold file of ``count`` items with unique ids, cycling through the shipped questions."""
    items = load_dataset().items
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            item = items[n % len(items)]
            handle.write(json.dumps({**item.model_dump(mode="json"), "id": f"{item.id}-{n}"}) + "\n")
    return path
