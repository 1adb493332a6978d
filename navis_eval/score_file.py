"""``navis-eval score``: recorded answers in, one verdict line per answer out, same order.

Input is validated line by line while output goes to a temporary file; the output appears only
when every line was valid and scored, so bad input never leaves a partial file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from navis_eval.checks.base import Check
from navis_eval.errors import InputError, from_validation_error
from navis_eval.jsonl import atomic_writer, dumps, iter_json_objects
from navis_eval.scoring import ScoreInput, case_from_input, evaluate, score_record

if TYPE_CHECKING:
    from navis_eval.judges import JudgeSuite


def score_file(input_path: Path, output_path: Path, checks: Sequence[Check], judge: JudgeSuite | None = None) -> int:
    """With ``judge``, every line is read and judged first, then written with the LLM verdicts
    as extra entries of ``checks`` (``grounding.llm``, ``<check>.llm``, ``healthbench``)."""
    if judge is not None:
        return _score_with_judge(input_path, output_path, checks, judge)
    if output_path.resolve() == input_path.resolve():
        raise InputError("output would overwrite the input", path=output_path, field="--out")
    count = 0
    with atomic_writer(output_path) as out:
        for line in _validated_lines(input_path):
            out.write(dumps(score_record(line.id, evaluate(checks, case_from_input(line)))) + "\n")
            count += 1
    return count


def _validated_lines(input_path: Path) -> Iterator[ScoreInput]:
    """Input lines, validated one at a time (ids unique), streamed from the file."""
    seen: dict[str, int] = {}
    for number, obj in iter_json_objects(input_path):
        try:
            line = ScoreInput.model_validate(obj)
        except ValidationError as exc:
            raise from_validation_error(exc, path=input_path, line=number) from None
        if line.id in seen:
            first = seen[line.id]
            raise InputError(f"duplicate id '{line.id}' (first on line {first})", path=input_path, line=number, field="id")
        seen[line.id] = number
        yield line


def _read_lines(input_path: Path) -> list[ScoreInput]:
    return list(_validated_lines(input_path))


def _score_with_judge(input_path: Path, output_path: Path, checks: Sequence[Check], judge: JudgeSuite) -> int:
    if output_path.resolve() == input_path.resolve():
        raise InputError("output would overwrite the input", path=output_path, field="--out")
    lines = _read_lines(input_path)
    cases = [(line.id, case_from_input(line)) for line in lines]
    judged = judge.judge(cases).judgments
    records: list[dict[str, Any]] = []
    for line_id, case in cases:
        results = [*evaluate(checks, case), *(j.result for j in judged.get(line_id, []))]
        records.append(score_record(line_id, results))
    with atomic_writer(output_path) as out:
        for record in records:
            out.write(dumps(record) + "\n")
    return len(records)
