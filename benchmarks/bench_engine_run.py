"""Engine-run efficiency: 1,000 items against a server with 100 ms latency at concurrency 64.

Reports wall time over the ideal (items x latency / concurrency); target <= 1.3.
Run: .venv/bin/python -m benchmarks.bench_engine_run [--items 1000] [--latency 0.1] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._data import write_gold
from navis_eval.dataset import load_dataset
from navis_eval.engines import create_engine, load_engine_config
from navis_eval.engines.base import EngineContext
from navis_eval.journal import Journal
from navis_eval.runner import RunOptions, run_items

SERVER = "import sys; sys.argv=['fault_server','--port','{port}','--latency','{latency}']; from tests.fault_server import main; main()"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int) -> None:
    import socket

    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gold = write_gold(Path(tmp) / "gold.jsonl", args.items)
        dataset = load_dataset(gold)
        # The server runs in its own process so that it does not share the client's GIL.
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", SERVER.format(port=port, latency=args.latency)], stdout=subprocess.DEVNULL)
        try:
            wait_for(port)
            config, _ = load_engine_config(
                "http", [f"url=http://127.0.0.1:{port}/answer", 'body={"id": "{item_id}", "question": "{question}"}', "contexts_path=contexts", "cache=false"]
            )
            engine = create_engine(config, EngineContext(dataset))
            options = RunOptions(concurrency=args.concurrency, timeout=30, progress=False)

            async def go() -> float:
                with Journal(Path(tmp) / "answers.jsonl") as journal:
                    started = time.perf_counter()
                    stats = await run_items(engine, dataset.items, journal, options)
                    elapsed = time.perf_counter() - started
                    await engine.aclose()
                assert stats.answered == args.items, stats
                return elapsed

            wall = asyncio.run(go())
        finally:
            server.terminate()
            server.wait(timeout=10)
    ideal = args.items * args.latency / args.concurrency
    print(json.dumps({"items": args.items, "latency_s": args.latency, "concurrency": args.concurrency,
                      "wall_s": round(wall, 3), "ideal_s": round(ideal, 3), "ratio": round(wall / ideal, 3)}))


if __name__ == "__main__":
    main()
