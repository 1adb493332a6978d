"""Bad input: one clear message naming file, line and field; exit code 2; nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import navis

GOOD_LINE = {"id": "a1", "question": "What is mesothelioma?", "answer": "An answer. Not medical advice.", "contexts": ["ctx"]}


def write_lines(path: Path, *lines: bytes | str | dict) -> Path:  # type: ignore[type-arg]
    chunks = []
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line)
        chunks.append(line if isinstance(line, bytes) else line.encode())
    path.write_bytes(b"\n".join(chunks) + b"\n")
    return path


@pytest.mark.parametrize(
    ("second_line", "expected"),
    [
        ('{"id": "a2", "question": ', ":2: malformed JSON"),
        ("[1, 2]", ":2: each line must be a JSON object"),
        ({"id": "a2", "question": "q"}, ":2: field 'answer': required field is missing"),
        ({**GOOD_LINE, "id": "a2", "contexts": "not a list"}, ":2: field 'contexts'"),
        ({**GOOD_LINE, "id": "a2", "context": ["typo"]}, ":2: field 'context': unknown field"),
        ({**GOOD_LINE}, ":2: field 'id': duplicate id 'a1' (first on line 1)"),
        (b'{"id": "a2", "question": "caf\xe9", "answer": "x"}', ":2: not valid UTF-8"),
    ],
)
def test_score_rejects_bad_lines_without_writing_output(tmp_path: Path, second_line, expected: str) -> None:  # type: ignore[no-untyped-def]
    source = write_lines(tmp_path / "in.jsonl", GOOD_LINE, second_line)
    out = tmp_path / "out.jsonl"
    result = navis("score", str(source), "--out", str(out))
    assert result.returncode == 2
    assert expected in result.stderr, result.stderr
    assert str(source) in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]  # no temporary files left behind


def test_score_missing_input_file(tmp_path: Path) -> None:
    result = navis("score", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl"))
    assert result.returncode == 2 and "file not found" in result.stderr


def test_run_with_unknown_engine_writes_nothing(tmp_path: Path) -> None:
    result = navis("run", "--engine", "telepathy", "--out", str(tmp_path / "runs"), "-q")
    assert result.returncode == 2
    assert "unknown engine kind 'telepathy'" in result.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("kind: openai\nmodel: [unclosed\n", "invalid YAML"),
        ("kind: openai\nmodel: m\ntemprature: 0.2\n", "field 'temprature': unknown field"),
        ("kind: openai\n", "field 'model': required field is missing"),
        ("model: m\n", "field 'kind': required key is missing"),
        ("kind: http\nurl: ftp://example\n", "field 'url'"),
        ("- a list\n", "must be a YAML mapping"),
    ],
)
def test_run_with_a_bad_engine_config_names_the_file_and_field(tmp_path: Path, content: str, expected: str) -> None:
    config = tmp_path / "engine.yaml"
    config.write_text(content)
    result = navis("run", "--engine", str(config), "--out", str(tmp_path / "runs"), "-q")
    assert result.returncode == 2, result.stdout
    assert expected in result.stderr and str(config) in result.stderr
    assert not (tmp_path / "runs").exists()


def test_run_with_an_unreadable_engine_config(tmp_path: Path) -> None:
    config = tmp_path / "engine.yaml"
    config.write_bytes(b"kind: reference\nname: caf\xe9\n")
    result = navis("run", "--engine", str(config), "--out", str(tmp_path / "runs"), "-q")
    assert result.returncode == 2 and "not valid UTF-8" in result.stderr and f"{config}:2" in result.stderr


def test_run_with_a_broken_gold_file_writes_nothing(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    item = {"id": "x1", "question": "What is CLL?", "cancer_type": "cll", "category": "what_is"}
    write_lines(gold, item, {**item, "category": "astrology"}, item)
    result = navis("run", "--dataset", str(gold), "--out", str(tmp_path / "runs"), "-q")
    assert result.returncode == 2
    assert f"{gold}:2: field 'category'" in result.stderr
    write_lines(gold, item, item)
    result = navis("run", "--dataset", str(gold), "--out", str(tmp_path / "runs"), "-q")
    assert result.returncode == 2 and f"{gold}:2: field 'id': duplicate id 'x1'" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_resume_of_something_that_is_not_a_run(tmp_path: Path) -> None:
    result = navis("run", "--resume", str(tmp_path), "-q")
    assert result.returncode == 2 and "not a run directory" in result.stderr
