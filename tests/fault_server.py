"""A fault-injecting JSON answer server on 127.0.0.1, for fault tests and benchmarks.

It speaks plain HTTP/1.1 over asyncio streams (so hundreds of slow requests cost nothing) and, at
configurable rates, injects: extra latency, timeouts (a reply slower than the client waits), 429
with Retry-After, 500, 503 with Retry-After, dropped connections, malformed JSON, truncated JSON,
empty answers, 5 MB answers and invalid UTF-8. Each request's fate is drawn from a seeded RNG and
logged with the item id, so a test can check every outcome against its cause.

Run standalone: ``python -m tests.fault_server --port 8099 --latency 0.1 --fault-rate 0.3``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FAULTS = (
    "timeout",
    "rate_limited",
    "server_error",
    "unavailable",
    "dropped",
    "malformed_json",
    "truncated_json",
    "empty_answer",
    "huge_answer",
    "invalid_utf8",
)


@dataclass
class FaultPlan:
    """Latency and per-fault probabilities; the rest of the requests are answered normally."""

    latency: float = 0.0
    rates: dict[str, float] = field(default_factory=dict)
    timeout_delay: float = 5.0
    retry_after: float = 0.2
    seed: int = 0

    @classmethod
    def uniform(cls, total_rate: float, **kwargs: Any) -> FaultPlan:
        """Spread ``total_rate`` evenly over every fault kind."""
        return cls(rates={f: total_rate / len(FAULTS) for f in FAULTS}, **kwargs)


GOOD_ANSWER = (
    "Here is what the sources say about your question.\n\n"
    "Important Questions to Ask Your Care Team\n\n1. What is my stage?\n2. What are my options?\n3. Can I join a trial?\n\n"
    "Why This Matters\n\nIt helps you decide.\n\nThis is general information, not medical advice.\n"
)


class FaultServer:
    def __init__(self, plan: FaultPlan, host: str = "127.0.0.1", port: int = 0) -> None:
        self.plan = plan
        self.host = host
        self.port = port
        self.log: list[tuple[str, str, float]] = []  # (item id, fault or "ok", arrival time) per request
        self._rng = random.Random(plan.seed)
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def counts(self) -> Counter[str]:
        return Counter(fault for _, fault, _ in self.log)

    def _draw(self) -> str:
        roll = self._rng.random()
        cumulative = 0.0
        for fault in FAULTS:
            cumulative += self.plan.rates.get(fault, 0.0)
            if roll < cumulative:
                return fault
        return "ok"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve requests on one connection (HTTP/1.1 keep-alive) until a fault or the client closes it."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                body = json.loads(await reader.readexactly(length)) if length else {}
                item_id = str(body.get("id", ""))
                fault = self._draw()
                self.log.append((item_id, fault, time.monotonic()))
                await asyncio.sleep(self.plan.latency)
                if not await self._respond(writer, fault, item_id):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            try:
                writer.close()
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def _respond(self, writer: asyncio.StreamWriter, fault: str, item_id: str) -> bool:
        """Write the response for ``fault``; False when the connection must not be reused."""

        def send(status: str, payload: bytes, extra: str = "", declared: int | None = None, keep: bool = True) -> None:
            length = len(payload) if declared is None else declared
            connection = "keep-alive" if keep else "close"
            head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: {connection}\r\n{extra}\r\n"
            writer.write(head.encode() + payload)

        answer = json.dumps({"answer": f"{GOOD_ANSWER}(item {item_id})", "contexts": ["context for " + item_id]}).encode()
        if fault == "timeout":
            await asyncio.sleep(self.plan.timeout_delay)
            send("200 OK", answer, keep=False)
        elif fault == "rate_limited":
            send("429 Too Many Requests", b'{"error": "slow down"}', f"Retry-After: {self.plan.retry_after:g}\r\n")
        elif fault == "server_error":
            send("500 Internal Server Error", b'{"error": "boom"}')
        elif fault == "unavailable":
            send("503 Service Unavailable", b'{"error": "maintenance"}', f"Retry-After: {self.plan.retry_after:g}\r\n")
        elif fault == "dropped":
            writer.transport.abort()
            return False
        elif fault == "malformed_json":
            send("200 OK", b'{"answer": "unterminated')
        elif fault == "truncated_json":
            send("200 OK", answer[: len(answer) // 2], declared=len(answer), keep=False)
            await writer.drain()
            writer.transport.abort()
            return False
        elif fault == "empty_answer":
            send("200 OK", b'{"answer": "", "contexts": []}')
        elif fault == "huge_answer":
            send("200 OK", json.dumps({"answer": GOOD_ANSWER + "x" * 5_000_000, "contexts": []}).encode())
        elif fault == "invalid_utf8":
            send("200 OK", b'{"answer": "caf\xe9 \xff\xfe", "contexts": []}')
        else:
            send("200 OK", answer)
        await writer.drain()
        return fault != "timeout"

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        async with self._server:
            await self._stop.wait()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def __enter__(self) -> FaultServer:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None and self._thread.is_alive():
            loop = self._server.get_loop() if self._server is not None else None
            if loop is not None:
                loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=10)


def engine_overrides(server: FaultServer, timeout: float | None = None) -> list[str]:
    """`-E` settings for an http engine pointed at the server."""
    settings = ["kind=http", f"url={server.url}/answer", 'body={"id": "{item_id}", "question": "{question}"}', "contexts_path=contexts"]
    if timeout is not None:
        settings.append(f"request_timeout={timeout}")
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    plan = FaultPlan.uniform(args.fault_rate, latency=args.latency, seed=args.seed) if args.fault_rate else FaultPlan(latency=args.latency)
    server = FaultServer(plan, port=args.port)
    with server:
        print(f"fault server on {server.url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
