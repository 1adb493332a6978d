"""``navis-eval score``: recorded answers in, one verdict line per answer out, same order.

Input is validated line by line while output goes to a temporary file; the output appears only
when every line was valid and scored, so bad input never leaves a partial file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from navis_eval.checks.base import Check
from navis_eval.errors import InputError, from_validation_error
from navis_eval.jsonl import atomic_writer, dumps, iter_json_objects
from navis_eval.scoring import ScoreInput, case_from_input, evaluate, score_record


def score_file(input_path: Path, output_path: Path, checks: Sequence[Check]) -> int:
    if output_path.resolve() == input_path.resolve():
        raise InputError("output would overwrite the input", path=output_path, field="--out")
    seen: dict[str, int] = {}
    count = 0
    with atomic_writer(output_path) as out:
        for number, obj in iter_json_objects(input_path):
            try:
                line = ScoreInput.model_validate(obj)
            except ValidationError as exc:
                raise from_validation_error(exc, path=input_path, line=number) from None
            if line.id in seen:
                raise InputError(f"duplicate id '{line.id}' (first on line {seen[line.id]})", path=input_path, line=number, field="id")
            seen[line.id] = number
            out.write(dumps(score_record(line.id, evaluate(checks, case_from_input(line)))) + "\n")
            count += 1
    return count
