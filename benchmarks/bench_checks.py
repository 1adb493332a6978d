"""Speed of all checks together: answers per second after start-up, and time to first verdict.

Answers of about 400 words with 3 to 4 contexts are built from the bundled labeled answers and
corpus passages (same cancer type), each one distinct so that no cache can help. Run:

    .venv/bin/python benchmarks/bench_checks.py [--answers 300] [--workers 1] [--json]

Targets (issue 4): >= 50 answers/s on 2 cores after start-up; first verdict < 3 s from process start.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_inputs(count: int, seed: int = 7) -> list[dict]:
    """Distinct ~400-word answers, each with 3-4 contexts of its cancer type."""
    rng = random.Random(seed)
    labeled = []
    for name in ("dev.jsonl", "test.jsonl"):
        path = ROOT / "datasets" / "labeled" / name
        if path.is_file():
            labeled += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    corpus: dict[str, list[str]] = {}
    for path in sorted((ROOT / "datasets" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                p = json.loads(line)
                corpus.setdefault(p["cancer_type"], []).append(p["text"])
    if not labeled:
        raise SystemExit("no labeled answers under datasets/labeled/")
    out = []
    for i in range(count):
        base = labeled[i % len(labeled)]
        contexts = list(base["contexts"])[:4]
        pool = corpus.get(base.get("cancer_type") or "", []) or [t for ts in corpus.values() for t in ts]
        while len(contexts) < 3 or (len(contexts) < 4 and rng.random() < 0.5):
            contexts.append(rng.choice(pool))
        answer = base["answer"]
        # lengthen to ~400 words with restated context sentences (claims the grounding check must verify)
        extra = [s.strip() + "." for c in contexts for s in c.split(". ") if len(s.split()) > 6]
        rng.shuffle(extra)
        words = len(answer.split())
        added = []
        for sentence in extra:
            if words >= 400:
                break
            added.append(sentence)
            words += len(sentence.split())
        body = answer + "\n\nMore detail\n\n" + " ".join(added) + f"\n\n(Reference {i}.)"
        out.append(
            {
                "id": f"bench-{i}",
                "question": base["question"],
                "answer": body,
                "contexts": contexts,
                "cancer_type": base.get("cancer_type"),
                "metadata": base.get("gold", {}),
            }
        )
    return out


def first_verdict_seconds() -> dict[str, float]:
    """Wall time of a fresh `navis-eval score` process on one answer (start-up + first verdict + exit)."""
    item = build_inputs(1)[0]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "one.jsonl"
        source.write_text(json.dumps(item) + "\n", encoding="utf-8")
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "navis_eval", "score", str(source), "--out", str(Path(tmp) / "out.jsonl")],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
    # the in-process split: imports and rubric, then the first case (lazy data such as the drug dictionary)
    code = (
        "import time; t0=time.perf_counter();"
        "from navis_eval.rubric import load_rubric; from navis_eval.checks import build_checks;"
        "from navis_eval.scoring import ScoreInput, case_from_input, evaluate; import json, sys;"
        "checks=build_checks(load_rubric()); t1=time.perf_counter();"
        "evaluate(checks, case_from_input(ScoreInput.model_validate(json.loads(sys.argv[1])))); t2=time.perf_counter();"
        "print(json.dumps({'imports_and_rubric_s': t1-t0, 'first_case_s': t2-t1}))"
    )
    split = json.loads(
        subprocess.run(
            [sys.executable, "-c", code, json.dumps(item)], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
    )
    return {"score_one_answer_process_s_min": min(times), "score_one_answer_process_s_max": max(times), **split}


def _throughput_worker(items: list[dict]) -> tuple[int, float, dict[str, float]]:
    from navis_eval.checks import build_checks
    from navis_eval.rubric import load_rubric
    from navis_eval.scoring import ScoreInput, case_from_input

    checks = build_checks(load_rubric())
    warm = case_from_input(ScoreInput.model_validate(build_inputs(1, seed=99)[0]))
    for check in checks:  # start-up: load lazy data once
        check.evaluate(warm)
    per_check = {c.name: 0.0 for c in checks}
    cases = [case_from_input(ScoreInput.model_validate(x)) for x in items]
    start = time.perf_counter()
    for case in cases:
        for check in checks:
            t = time.perf_counter()
            check.evaluate(case)
            per_check[check.name] += time.perf_counter() - t
    return len(cases), time.perf_counter() - start, per_check


def throughput(count: int, workers: int) -> dict[str, object]:
    items = build_inputs(count)
    words = sum(len(x["answer"].split()) for x in items) / len(items)
    contexts = sum(len(x["contexts"]) for x in items) / len(items)
    if workers <= 1:
        n, seconds, per_check = _throughput_worker(items)
        rate = n / seconds
    else:
        from concurrent.futures import ProcessPoolExecutor

        chunks = [items[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_throughput_worker, chunks))
        rate = sum(n / s for n, s, _ in results)  # workers run side by side
        per_check = {k: sum(r[2][k] for r in results) for k in results[0][2]}
        seconds = max(s for _, s, _ in results)
    total = sum(per_check.values()) or 1.0
    return {
        "answers": count,
        "workers": workers,
        "mean_words": round(words),
        "mean_contexts": round(contexts, 2),
        "seconds": round(seconds, 3),
        "answers_per_second": round(rate, 1),
        "time_share_by_check": {k: round(v / total, 3) for k, v in sorted(per_check.items(), key=lambda kv: -kv[1])},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--workers", type=int, default=0, help="0 = 1 and the machine's core count")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result: dict[str, object] = {"python": sys.version.split()[0], "cores": os.cpu_count()}
    result["first_verdict"] = first_verdict_seconds()
    worker_counts = [args.workers] if args.workers else sorted({1, os.cpu_count() or 1})
    result["throughput"] = [throughput(args.answers, w) for w in worker_counts]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    fv = result["first_verdict"]
    print(
        f"first verdict: fresh `navis-eval score` process on one answer {fv['score_one_answer_process_s_min']:.2f}-"
        f"{fv['score_one_answer_process_s_max']:.2f} s "
        f"(imports+rubric {fv['imports_and_rubric_s']:.2f} s, first case {fv['first_case_s']:.2f} s)"
    )
    for t in result["throughput"]:  # type: ignore[union-attr]
        print(
            f"throughput: {t['answers_per_second']} answers/s with {t['workers']} worker(s); {t['answers']} answers of "
            f"~{t['mean_words']} words, {t['mean_contexts']} contexts; time by check {t['time_share_by_check']}"
        )


if __name__ == "__main__":
    main()
