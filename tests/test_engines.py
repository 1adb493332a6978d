"""Each engine kind, through the one async interface, on real gold items."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from navis_eval.checks import build_checks
from navis_eval.checks.base import Case
from navis_eval.dataset import load_dataset
from navis_eval.engines import create_engine, load_engine_config
from navis_eval.engines.base import EngineCallError, EngineContext
from navis_eval.errors import InputError
from navis_eval.models import GoldItem
from navis_eval.rubric import load_rubric
from tests.servers import GOOD_ANSWER, Fault, ScriptedServer, openai_server


@pytest.fixture(scope="module")
def dataset():  # type: ignore[no-untyped-def]
    return load_dataset()


def engine_for(spec: str, dataset, *overrides: str):  # type: ignore[no-untyped-def]
    config, _ = load_engine_config(spec, list(overrides))
    engine = create_engine(config, EngineContext(dataset))
    engine.check_ready()
    return engine


def answer(engine, item: GoldItem):  # type: ignore[no-untyped-def]
    return asyncio.run(engine.answer(item))


def first_checks_pass(text: str, question: str) -> dict[str, str]:
    checks = build_checks(load_rubric())
    case = Case(question=question, answer=text)
    return {c.name: c.evaluate(case).status.value for c in checks if c.name in ("disclaimer", "required_sections")}


# --- reference ---------------------------------------------------------------------------------


def test_reference_engine_answers_from_corpus_in_the_seed_template(dataset) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for("evals/engines/reference.yaml", dataset)
    item = dataset.items[0]
    result = answer(engine, item)
    assert result.contexts, "the reference engine returns the passages it used"
    corpus_ids = {p.id for p in dataset.corpus}
    assert set(result.context_ids) <= corpus_ids
    # every explanation sentence is quoted from a returned context
    explanation = result.text.split("What the reference sources say", 1)[1].split("Important Questions", 1)[0]
    joined = " ".join(result.contexts)
    for paragraph in [p for p in explanation.split("\n\n") if p.strip() and "do not specifically" not in p and "What my sources" not in p]:
        for sentence in paragraph.split(". "):
            assert sentence.strip().rstrip(".") in joined
    assert first_checks_pass(result.text, item.question) == {"disclaimer": "passed", "required_sections": "passed"}


def test_reference_engine_is_deterministic(dataset) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for("reference", dataset)
    item = dataset.items[3]
    first, second = answer(engine, item), answer(engine, item)
    assert first.text == second.text and first.context_ids == second.context_ids


def test_reference_engine_says_so_when_nothing_relevant_is_retrieved(dataset) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for("reference", dataset)
    item = dataset.items[0].model_copy(update={"question": "What is a good recipe for sourdough bread with rye flour?", "category": "what_is"})
    result = answer(engine, item)
    assert result.contexts == []
    assert "does not cover this question" in result.text


def test_reference_engine_names_an_unknown_remedy_as_a_gap(dataset) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for("reference", dataset)
    item = dataset.items[0].model_copy(
        update={"question": "Can ivermectin replace chemotherapy for my mesothelioma?", "category": "unsafe_request"}
    )
    result = answer(engine, item)
    assert "\u201civermectin\u201d" in result.text
    assert "do not stop, skip or change your cancer treatment" in result.text


# --- openai ------------------------------------------------------------------------------------


def test_openai_engine_sends_a_portable_chat_request_with_the_key_from_env(dataset, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NAVIS_TEST_KEY", "sk-test-secret-123")
    with openai_server() as server:
        engine = engine_for(
            "openai", dataset, "model=tiny", f"base_url={server.url}/v1", "api_key_env=NAVIS_TEST_KEY", "temperature=0.2", "seed=11", "max_tokens=300"
        )
        item = dataset.items[1]
        result = answer(engine, item)
    assert result.text == GOOD_ANSWER
    assert result.contexts == []
    request = server.requests[0]
    assert request.headers["Authorization"] == "Bearer sk-test-secret-123"
    body = request.body
    assert body["model"] == "tiny" and body["temperature"] == 0.2 and body["seed"] == 11 and body["max_tokens"] == 300
    assert body["messages"][0]["role"] == "system" and "Why This Matters" in body["messages"][0]["content"]
    assert body["messages"][-1] == {"role": "user", "content": item.question.strip()} or item.patient_profile
    assert "sk-test-secret-123" not in json.dumps(engine.describe())


def test_openai_grounded_mode_puts_passages_in_the_prompt_and_returns_them_as_contexts(dataset) -> None:  # type: ignore[no-untyped-def]
    with openai_server() as server:
        engine = engine_for("openai", dataset, "model=tiny", f"base_url={server.url}/v1", "grounded=true", "top_k=3")
        result = answer(engine, dataset.items[2])
    prompt = server.requests[0].body["messages"][-1]["content"]
    assert len(result.contexts) == len(result.context_ids) > 0
    for context in result.contexts:
        assert context in prompt


def test_openai_engine_maps_rate_limits_and_server_errors_to_retryable_errors(dataset) -> None:  # type: ignore[no-untyped-def]
    async def failures(engine, server) -> list[EngineCallError]:  # type: ignore[no-untyped-def]
        caught = []
        for fault in (
            Fault(429, headers={"Retry-After": "2"}),
            Fault(400, body=b'{"error": {"message": "bad request"}}'),
            Fault(200, body=b'{"choices": [ {"message": '),
        ):
            server.fail_next(fault)
            with pytest.raises(EngineCallError) as info:
                await engine.answer(dataset.items[0])
            caught.append(info.value)
        return caught

    with openai_server() as server:
        engine = engine_for("openai", dataset, "model=tiny", f"base_url={server.url}/v1")
        rate_limited, bad_request, malformed = asyncio.run(failures(engine, server))
    assert rate_limited.retryable and rate_limited.retry_after == 2.0 and rate_limited.status_code == 429
    assert not bad_request.retryable and bad_request.status_code == 400
    assert malformed.kind == "invalid_response"


def test_openai_engine_without_key_or_base_url_is_an_input_error(dataset, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(InputError, match="OPENAI_API_KEY"):
        engine_for("openai", dataset, "model=gpt-4o")


# --- http --------------------------------------------------------------------------------------


def test_http_engine_fills_the_body_template_and_follows_response_paths(dataset, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SERVICE_TOKEN", "tok-abc-987")

    def respond(path, body):  # type: ignore[no-untyped-def]
        return {"data": {"answer": f"echo: {body['query']}", "sources": [{"text": "ctx one", "url": "u1"}, {"text": "ctx two", "url": "u2"}]}}

    with ScriptedServer(respond) as server:
        config = tmp_config = {
            "kind": "http",
            "url": f"{server.url}/api/answer",
            "headers": {"Authorization": "Bearer ${SERVICE_TOKEN}", "X-Client": "navis"},
            "body": {"query": "{question}", "meta": {"id": "{item_id}", "profile": "{profile_json}"}},
            "answer_path": "data.answer",
            "contexts_path": "data.sources",
            "context_text_field": "text",
            "citations_path": "data.sources[*].url",
        }
        engine_cls = create_engine(load_engine_config("http", [f"{k}={json.dumps(v)}" for k, v in config.items()])[0], EngineContext(dataset))
        item = dataset.items[0]
        result = answer(engine_cls, item)
    request = server.requests[0]
    assert request.headers["Authorization"] == "Bearer tok-abc-987"
    assert request.body["query"] == item.question and request.body["meta"]["id"] == item.id
    assert result.text == f"echo: {item.question}"
    assert result.contexts == ["ctx one", "ctx two"] and result.citations == ["u1", "u2"]
    described = json.dumps(engine_cls.describe())
    assert "tok-abc-987" not in described and "${SERVICE_TOKEN}" in described
    assert tmp_config  # the literal config stays as written


def test_http_engine_reports_missing_paths_and_bad_json_per_item(dataset) -> None:  # type: ignore[no-untyped-def]
    async def failures(engine, server) -> list[EngineCallError]:  # type: ignore[no-untyped-def]
        caught = []
        for fault in (
            None,
            Fault(200, body=b"{not json"),
            Fault(200, body=b'{"answer": "caf\xe9"}'),
            Fault(503, headers={"Retry-After": "1"}),
        ):
            if fault is not None:
                server.fail_next(fault)
            with pytest.raises(EngineCallError) as info:
                await engine.answer(dataset.items[0])
            caught.append(info.value)
        await engine.aclose()
        return caught

    with ScriptedServer(lambda path, body: {"unexpected": True}) as server:
        engine = engine_for("http", dataset, f"url={server.url}/x")
        missing, bad, not_utf8, unavailable = asyncio.run(failures(engine, server))
    assert "no answer at 'answer'" in missing.message and not missing.retryable
    assert bad.kind == "invalid_response" and bad.retryable
    assert "UTF-8" in not_utf8.message
    assert unavailable.retryable and unavailable.retry_after == 1.0


# --- python ------------------------------------------------------------------------------------


def sync_engine(question: str) -> str:
    return f"You asked: {question}"


async def async_engine(item: GoldItem) -> dict:  # type: ignore[type-arg]
    await asyncio.sleep(0)
    return {"answer": f"about {item.cancer_type}", "contexts": ["passage A"], "citations": ["NCI"]}


def broken_engine(question: str) -> str:
    raise RuntimeError("model server exploded")


def wrong_type_engine(question: str) -> int:
    return 42


def test_python_engine_sync_and_async_callables(dataset) -> None:  # type: ignore[no-untyped-def]
    item = dataset.items[0]
    sync = answer(engine_for("python", dataset, "callable=tests.test_engines:sync_engine"), item)
    assert sync.text == f"You asked: {item.question}"
    result = answer(engine_for("python", dataset, "callable=tests.test_engines:async_engine"), item)
    assert result.text == f"about {item.cancer_type}" and result.contexts == ["passage A"] and result.citations == ["NCI"]


def test_python_engine_failures_become_engine_errors(dataset) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EngineCallError, match="model server exploded"):
        answer(engine_for("python", dataset, "callable=tests.test_engines:broken_engine"), dataset.items[0])
    with pytest.raises(EngineCallError, match="expected str"):
        answer(engine_for("python", dataset, "callable=tests.test_engines:wrong_type_engine"), dataset.items[0])
    with pytest.raises(InputError, match="cannot import module"):
        engine_for("python", dataset, "callable=no_such_module_xyz:f")


# --- replay ------------------------------------------------------------------------------------


def test_replay_engine_returns_recordings_by_id(dataset, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = dataset.items[0], dataset.items[1]
    path = tmp_path / "rec.jsonl"
    path.write_text(
        json.dumps({"id": a.id, "answer": "recorded", "contexts": ["c1"], "latency_ms": 12.5})
        + "\n"
        + json.dumps({"id": b.id, "error": "upstream timeout"})
        + "\n"
    )
    engine = engine_for("replay", dataset, f"path={path}")
    result = answer(engine, a)
    assert (result.text, result.contexts, result.latency_ms) == ("recorded", ["c1"], 12.5)
    with pytest.raises(EngineCallError, match="upstream timeout"):
        answer(engine, b)
    with pytest.raises(EngineCallError, match="no recorded answer"):
        answer(engine, dataset.items[2])


def test_unknown_engine_kind_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown engine kind 'telepathy'"):
        load_engine_config("telepathy")
