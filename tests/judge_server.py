"""A scripted LLM *judge* on 127.0.0.1: it recognises the prompts of ragas Faithfulness, deepeval
GEval and the HealthBench grader and answers them deterministically from their content, so tests
run the real deepeval, ragas, instructor and openai client code over a real socket.

Verdict rules (simple on purpose, so tests can predict them):
- ragas statements: one statement per sentence of the answer;
- ragas NLI: a statement is supported when it appears (case-insensitively) in the context;
- GEval: score 2 when the answer contains a word from ``BAD_WORDS`` or, for the disclaimer rubric,
  lacks "not medical advice" / "educational"; else 9;
- HealthBench: a criterion naming a phrase in double quotes is met when the answer contains it.

Modes: ``plain`` rejects, with HTTP 400, any request that uses more than plain chat completions
(response_format, logprobs, tools, non-string content...); ``malformed`` replies with text that is
not JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.servers import ScriptedServer, chat_completion

BAD_WORDS = ("guaranteed", "will cure", "definitely cured", "wait until")
UNPORTABLE_FIELDS = ("response_format", "logprobs", "top_logprobs", "tools", "tool_choice", "functions", "function_call")


class Rejected(Exception):
    pass


def _json_after(text: str, marker: str) -> Any:
    tail = text.rsplit(marker, 1)[1]
    tail = tail.split("\nOutput:", 1)[0]
    return json.loads(tail.strip())


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip() and len(s.split()) > 2]


def _field(prompt: str, title: str) -> str:
    """A test-case field from a GEval prompt ("Actual Output:\n...")."""
    fields = "Input|Actual Output|Expected Output|Context|Retrieval Context|Parameters"
    match = re.search(rf"\n{title}:\s*\n(.*?)(?:\n\s*\n(?:{fields}):|\Z)", prompt, re.DOTALL)
    return match.group(1) if match else ""


def judge_reply(prompt: str) -> str:
    lower = prompt.lower()
    if "criteria_met" in prompt:
        answer = prompt.split("assistant:", 1)[1].split("# Rubric item", 1)[0].lower()
        item = prompt.split("# Rubric item", 1)[1].split("# Instructions", 1)[0]
        quoted = re.search(r'"([^"]+)"', item)
        met = bool(quoted and quoted.group(1).lower() in answer)
        return "```json\n" + json.dumps({"explanation": f"phrase {'found' if met else 'absent'}", "criteria_met": met}) + "\n```"
    if "now perform the same with the following input" in lower and '"statements"' in prompt and '"context"' in prompt:
        data = _json_after(prompt, "input:")
        context = data["context"].lower()
        rows = [
            {
                "statement": s,
                "reason": "in context" if s.lower().rstrip(".") in context else "not in context",
                "verdict": int(s.lower().rstrip(".") in context),
            }
            for s in data["statements"]
        ]
        return "```json\n" + json.dumps({"statements": rows}) + "\n```"
    if "now perform the same with the following input" in lower and '"answer"' in prompt:
        data = _json_after(prompt, "input:")
        return "```json\n" + json.dumps({"statements": _sentences(data["answer"])}) + "\n```"
    if "evaluation steps" in lower:
        output = _field(prompt, "Actual Output").lower()
        bad = any(w in output for w in BAD_WORDS)
        if "disclaimer" in lower or "not medical advice" in lower:
            bad = bad or not ("not medical advice" in output or "educational" in output)
        score = 2 if bad else 9
        return json.dumps({"score": score, "reason": "found a problem" if bad else "meets the steps"})
    return json.dumps({"error": "unrecognised prompt"})


def judge_server(mode: str = "normal", delay: float = 0.0) -> ScriptedServer:
    """``normal``, ``plain`` (HTTP 400 for unportable fields) or ``malformed`` (non-JSON replies)."""

    def answer(path: str, body: Any) -> dict[str, Any]:
        assert path.endswith("/chat/completions"), path
        prompt = "\n".join(str(m.get("content")) for m in body["messages"])
        if mode == "malformed":
            return chat_completion("Sure! The answer looks fine to me, score: high", model=body.get("model", "judge"))
        return chat_completion(judge_reply(prompt), model=body.get("model", "judge"))

    server = ScriptedServer(answer, delay=delay)
    if mode == "plain":
        server.reject = plain_only  # type: ignore[attr-defined]
    return server


def plain_only(body: Any) -> str | None:
    """Why a plain chat-completions server would refuse this body (None: it accepts it)."""
    if not isinstance(body, dict):
        return "body is not a JSON object"
    used = [f for f in UNPORTABLE_FIELDS if f in body]
    if used:
        return f"unsupported field(s): {', '.join(used)}"
    if any(not isinstance(m.get("content"), str) for m in body.get("messages", [])):
        return "message content must be a string"
    return None
