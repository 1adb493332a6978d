"""Offline scoring throughput and peak memory of `navis-eval score` (results stream to disk).

Run: .venv/bin/python -m benchmarks.bench_scoring [--counts 1000 20000]
Each count runs in a fresh process; peak RSS is that process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._data import write_score_input


def run_one(count: int, tmp: Path) -> dict:
    source = write_score_input(tmp / f"in-{count}.jsonl", count)
    out = tmp / f"out-{count}.jsonl"
    code = (
        "import resource,sys,time; t=time.perf_counter();"
        "from navis_eval.cli import app;"
        f"sys.argv=['navis-eval','score','{source}','--out','{out}'];"
        "\ntry:\n app()\nexcept SystemExit as e:\n assert not e.code, e.code\n"
        "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    inner, rss_kb = proc.stdout.strip().splitlines()[-1].split()
    words = sum(len(json.loads(line)["answer"].split()) for line in source.open()) / count
    return {"answers": count, "mean_words": round(words), "wall_s": round(wall, 2), "answers_per_s": round(count / float(inner), 1),
            "peak_rss_mb": round(int(rss_kb) / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 20000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.counts:
            print(json.dumps(run_one(count, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
