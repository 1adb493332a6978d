"""Small real HTTP servers on 127.0.0.1 for tests: an OpenAI-compatible chat-completions endpoint
and a generic JSON answer API. They speak the real protocols over a real socket, record every
request, and can be scripted to fail (status codes, Retry-After, malformed bodies, delays).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    """One scripted response that replaces the normal one."""

    status: int = 500
    body: bytes = b'{"error": {"message": "scripted failure"}}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any
    at: float


class ScriptedServer:
    """A threaded HTTP server; ``answer(body) -> dict`` builds normal responses."""

    def __init__(self, answer: Callable[[str, Any], dict[str, Any]], delay: float = 0.0) -> None:
        self.answer = answer
        self.delay = delay
        self.faults: deque[Fault] = deque()
        self.requests: list[Recorded] = []
        # Optional validation: return a reason to answer HTTP 400 (a server that refuses a field).
        self.reject: Callable[[Any], str | None] | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                with server._lock:
                    server.requests.append(Recorded(self.path, dict(self.headers), body, time.monotonic()))
                    fault = server.faults.popleft() if server.faults else None
                if fault is not None:
                    time.sleep(fault.delay)
                    self._send(fault.status, fault.body, fault.headers)
                    return
                refusal = server.reject(body) if server.reject is not None else None
                if refusal is not None:
                    error = {"error": {"message": refusal, "type": "invalid_request_error"}}
                    self._send(400, json.dumps(error).encode(), {})
                    return
                time.sleep(server.delay)
                payload = json.dumps(server.answer(self.path, body)).encode()
                self._send(200, payload, {})

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            do_POST = _handle  # noqa: N815
            do_GET = _handle  # noqa: N815

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def fail_next(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)


def chat_completion(content: str, model: str = "test-model") -> dict[str, Any]:
    """A protocol-correct chat.completion object."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop", "logprobs": None}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
    }


GOOD_ANSWER = """Understanding your question

Mesothelioma is a cancer of the thin lining around the lungs or abdomen.

Important Questions to Ask Your Care Team

1. What stage is my cancer?
2. What are the goals of my treatment?
3. Am I eligible for a clinical trial?

Why This Matters

Knowing your options helps you take part in decisions.

This information is educational and is not medical advice.
"""


def openai_server(delay: float = 0.0) -> ScriptedServer:
    """An OpenAI-compatible server answering every chat completion with GOOD_ANSWER."""

    def answer(path: str, body: Any) -> dict[str, Any]:
        assert path.endswith("/chat/completions"), path
        return chat_completion(GOOD_ANSWER, model=body.get("model", "test-model"))

    return ScriptedServer(answer, delay=delay)
