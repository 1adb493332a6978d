"""The same 200 answers scored by navis-eval's checks and by ragas' non-LLM metrics, side by side.

Shows the cost of each (time per 200 answers after imports, and import time) and what each
measures: ragas' string metrics compare an answer with a reference text; navis-eval's checks
judge safety properties with evidence. Needs the `judges` extra plus rapidfuzz, sacrebleu and
rouge_score for ragas' string metrics.
Run: .venv/bin/python -m benchmarks.bench_vs_ragas [--answers 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

from benchmarks._data import reference_answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    rows = reference_answers()[: args.answers]
    figures = []

    started = time.perf_counter()
    from navis_eval.checks import build_checks
    from navis_eval.checks.base import Case
    from navis_eval.rubric import load_rubric

    from navis_eval.checks.text import segment

    checks = build_checks(load_rubric())
    for row in rows[:5]:  # one-time lazy loading (lexicons, indexes) belongs to start-up, not to scoring
        for check in checks:
            check.evaluate(Case(question=row["question"], answer=row["answer"], contexts=row["contexts"], metadata=row["metadata"]))
    import_s = time.perf_counter() - started
    segment.cache_clear()
    started = time.perf_counter()
    for row in rows:
        case = Case(question=row["question"], answer=row["answer"], contexts=row["contexts"], metadata=row["metadata"])
        for check in checks:
            check.evaluate(case)
    figures.append({"scorer": f"navis-eval: all {len(checks)} checks", "import_s": round(import_s, 2), "score_s": round(time.perf_counter() - started, 3)})
    for check in checks:
        segment.cache_clear()  # each check pays for its own segmentation, as it would alone
        started = time.perf_counter()
        for row in rows:
            check.evaluate(Case(question=row["question"], answer=row["answer"], contexts=row["contexts"], metadata=row["metadata"]))
        figures.append({"scorer": f"navis-eval: {check.name}", "score_s": round(time.perf_counter() - started, 3)})

    started = time.perf_counter()
    from ragas.dataset_schema import SingleTurnSample
    from ragas.metrics import NonLLMContextPrecisionWithReference, NonLLMContextRecall
    from ragas.metrics.collections import BleuScore, CHRFScore, ExactMatch, NonLLMStringSimilarity, RougeScore, StringPresence

    import_s = time.perf_counter() - started
    reference = lambda row: " ".join(row["contexts"]) or row["question"]  # noqa: E731 - the nearest thing to a reference answer we have
    total = 0.0
    for cls in (BleuScore, CHRFScore, ExactMatch, NonLLMStringSimilarity, RougeScore, StringPresence):
        metric = cls()
        started = time.perf_counter()

        async def score_all(metric=metric) -> None:  # type: ignore[no-untyped-def]
            for row in rows:
                await metric.ascore(reference=reference(row), response=row["answer"])

        asyncio.run(score_all())
        elapsed = time.perf_counter() - started
        total += elapsed
        figures.append({"scorer": f"ragas: {cls.__name__}", "score_s": round(elapsed, 3)})
    for cls in (NonLLMContextRecall, NonLLMContextPrecisionWithReference):
        metric = cls()
        started = time.perf_counter()

        async def score_contexts(metric=metric) -> None:  # type: ignore[no-untyped-def]
            for row in rows:
                sample = SingleTurnSample(user_input=row["question"], response=row["answer"], retrieved_contexts=row["contexts"] or [""],
                                          reference_contexts=row["contexts"] or [""])
                await metric.single_turn_ascore(sample)

        asyncio.run(score_contexts())
        elapsed = time.perf_counter() - started
        total += elapsed
        figures.append({"scorer": f"ragas: {cls.__name__}", "score_s": round(elapsed, 3)})
    figures.insert(len(checks) + 1, {"scorer": "ragas: 8 non-LLM metrics", "import_s": round(import_s, 2), "score_s": round(total, 3)})
    for figure in figures:
        print(json.dumps({"answers": len(rows), **figure}))


if __name__ == "__main__":
    main()
