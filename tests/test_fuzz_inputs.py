"""Fuzzed input files: every loader either accepts the file or raises our one-line InputError.

Never another exception (which the CLI would show as a traceback), and never a written file.
Mutations start from the real shipped files, so the fuzzer spends its time near valid input,
where parsers are most likely to be careless.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navis_eval.checks import build_checks
from navis_eval.dataset import load_dataset
from navis_eval.engines import create_engine, load_engine_config
from navis_eval.engines.base import EngineContext
from navis_eval.errors import NavisError
from navis_eval.rubric import load_rubric
from navis_eval.score_file import score_file
from tests.conftest import ROOT

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

GOLD_LINES = (ROOT / "datasets/gold/questions.jsonl").read_bytes().splitlines()[:3]
CORPUS_LINES = (ROOT / "datasets/corpus/cll.jsonl").read_bytes().splitlines()[:3]
RUBRIC = (ROOT / "rubrics/navis-v1.yaml").read_bytes()
ENGINE = (ROOT / "evals/engines/reference.yaml").read_bytes()
SCORE_LINE = json.dumps({"id": "a1", "question": "Is CLL curable?", "answer": "CLL is usually not curable. Not medical advice.", "contexts": ["ctx"]}).encode()


@st.composite
def mutated(draw, original: bytes) -> bytes:  # type: ignore[no-untyped-def]
    """Byte flips, deletions, insertions, truncation and splices of a valid file."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from([b"\xff\xfe", b'"', b"{", b"}", b"\n", b": [", b"null", b"-1", b"1e999", b"\t", b"'", b"!!python/object:os.system"]))
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 80))]
    return bytes(data)


def json_values() -> st.SearchStrategy:  # type: ignore[type-arg]
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@st.composite
def field_swaps(draw, lines: list[bytes]) -> bytes:  # type: ignore[no-untyped-def]
    """Valid JSON lines with one field removed, retyped or added."""
    out = []
    for line in lines:
        obj = json.loads(line)
        key = draw(st.sampled_from(sorted(obj)))
        action = draw(st.sampled_from(["drop", "retype", "add"]))
        if action == "drop":
            obj.pop(key)
        elif action == "retype":
            obj[key] = draw(json_values())
        else:
            obj[draw(st.text(min_size=1, max_size=8))] = draw(json_values())
        out.append(json.dumps(obj).encode())
    return b"\n".join(out) + b"\n"


def only_input_errors(call) -> None:  # type: ignore[no-untyped-def]
    try:
        call()
    except NavisError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip()


@FUZZ
@given(data=st.one_of(mutated(b"\n".join(GOLD_LINES) + b"\n"), field_swaps(GOLD_LINES)))
def test_fuzzed_gold_files(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_bytes(data)
    only_input_errors(lambda: load_dataset(path, corpus=ROOT / "datasets/corpus/cll.jsonl"))


@FUZZ
@given(data=st.one_of(mutated(b"\n".join(CORPUS_LINES) + b"\n"), field_swaps(CORPUS_LINES)))
def test_fuzzed_corpus_files(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(data)
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(GOLD_LINES[0] + b"\n")
    only_input_errors(lambda: load_dataset(gold, corpus=path))


@FUZZ
@given(data=mutated(RUBRIC))
def test_fuzzed_rubrics(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_bytes(data)

    def load_and_use() -> None:
        checks = build_checks(load_rubric(path))
        from navis_eval.checks.base import Case

        for check in checks:
            check.evaluate(Case(question="Is it curable?", answer="It is not medical advice.", contexts=["x"]))

    only_input_errors(load_and_use)


@FUZZ
@given(data=st.one_of(mutated(ENGINE), st.dictionaries(st.sampled_from(["kind", "top_k", "max_passages", "name", "template", "cache", "bogus"]), json_values()).map(lambda d: json.dumps(d).encode())))
def test_fuzzed_engine_configs(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "engine.yaml"
    path.write_bytes(data)

    def load() -> None:
        config, _ = load_engine_config(str(path))
        if config.kind == "reference":  # only the offline engine is ever built here
            create_engine(config, EngineContext(load_dataset())).check_ready()

    only_input_errors(load)


@FUZZ
@given(data=st.one_of(mutated(SCORE_LINE + b"\n" + SCORE_LINE.replace(b"a1", b"a2") + b"\n"), field_swaps([SCORE_LINE])))
def test_fuzzed_score_inputs_write_nothing_on_error(tmp_path: Path, data: bytes) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    out = tmp_path / "out.jsonl"
    out.unlink(missing_ok=True)
    checks = build_checks(load_rubric())
    try:
        score_file(source, out, checks)
    except NavisError:
        assert not out.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    else:
        assert out.exists()


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = tmp_path / "engine.yaml"
    marker = tmp_path / "pwned"
    path.write_text(f"!!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(NavisError, match="invalid YAML"):
        load_engine_config(str(path))
    assert not marker.exists()
