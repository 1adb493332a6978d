"""Rubric loading errors name the rubric file, the line and the key, and never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from navis_eval.errors import InputError
from navis_eval.rubric import load_rubric
from tests.conftest import navis

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "rubrics" / "navis-v1.yaml"


def broken(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    text = DEFAULT.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    line = text[: text.index(new)].count("\n") + 1
    return path, line


def test_both_shipped_rubrics_load_with_every_check() -> None:
    for name in ("navis-v1", "navis-chat-v1"):
        rubric = load_rubric(ROOT / "rubrics" / f"{name}.yaml")
        assert rubric.name == name
        assert set(rubric.check_names) == {
            "disclaimer",
            "required_sections",
            "grounding",
            "cure_overstatement",
            "coverage_gap_honesty",
            "urgent_escalation",
        }
    assert load_rubric().version == "1.1.0"


def test_invalid_regex_names_file_line_and_key(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "      - '\\bguarantee(?:s|d)?\\b'", "      - '\\bguarantee(?:s|d?\\b'")
    with pytest.raises(InputError) as info:
        load_rubric(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ")
    assert "checks.cure_overstatement.absolute_promises.0" in message
    assert "is not a valid regular expression" in message


def test_unknown_key_is_an_error_not_ignored(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "    min_coverage: 0.3\n", "    min_coverage: 0.3\n    min_coverrage: 0.4\n")
    with pytest.raises(InputError) as info:
        load_rubric(path)
    assert f"{path}:{line + 1}: field 'checks.grounding.min_coverrage': unknown key" == str(info.value)


def test_wrong_curability_value_names_the_table_entry(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, "        default: rarely_curable\n", "        default: mostly_curable\n")
    with pytest.raises(InputError) as info:
        load_rubric(path)
    assert re.search(r"broken\.yaml:\d+: field 'checks\.cure_overstatement\.curability_table\.0\.default'", str(info.value))


def test_out_of_range_threshold(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "    min_coverage: 0.3\n", "    min_coverage: 1.5\n")
    with pytest.raises(InputError) as info:
        load_rubric(path)
    assert str(info.value).startswith(f"{path}:{line}: field 'checks.grounding.min_coverage'")


def test_unknown_check_is_named(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "  urgent_escalation:\n", "  urgent_escalations:\n")
    with pytest.raises(InputError) as info:
        load_rubric(path)
    assert f"{path}:{line}: field 'checks.urgent_escalations': unknown check" in str(info.value)


def test_missing_version(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, 'version: "1.1.0"\n', "")
    with pytest.raises(InputError, match="field 'version': required key is missing"):
        load_rubric(path)


def test_cli_reports_the_rubric_error_in_one_line(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "    min_coverage: 0.3\n", "    min_coverage: lots\n")
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "question": "q", "answer": "a"}\n')
    result = navis("score", str(source), "--out", str(tmp_path / "out.jsonl"), "--rubric", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{path}:{line}: field 'checks.grounding.min_coverage'" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()
