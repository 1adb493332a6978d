"""The `score` output format external tooling relies on: names, keys, order and offsets."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import navis, seed_answers


def test_score_output_format_on_the_seed_answers(tmp_path: Path) -> None:
    seeds = seed_answers()
    lines = [
        {"id": f"seed-{n}", "question": text.splitlines()[0], "answer": text, "contexts": [], "cancer_type": "pleural_mesothelioma"}
        for n, text in enumerate(seeds)
    ]
    lines.append({"id": "bare", "question": "Is CLL curable?", "answer": "Ask your doctor.", "contexts": ["CLL is a slow-growing leukemia."]})
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "out.jsonl"
    result = navis("score", str(source), "--out", str(out))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == [line["id"] for line in lines]
    for record, line in zip(records, lines, strict=True):
        assert set(record) == {"id", "checks"}
        assert {"disclaimer", "required_sections"} <= set(record["checks"])
        for verdict in record["checks"].values():
            assert set(verdict) == {"passed", "score", "reasons", "evidence"}
            assert verdict["passed"] in (True, False, None)
            assert 0.0 <= verdict["score"] <= 1.0
            assert all(isinstance(reason, str) for reason in verdict["reasons"])
            for evidence in verdict["evidence"]:
                assert set(evidence) == {"start", "end", "text"}
                assert line["answer"][evidence["start"] : evidence["end"]] == evidence["text"]
    for seed in records[:2]:
        assert seed["checks"]["disclaimer"]["passed"] is True
        assert seed["checks"]["required_sections"]["passed"] is True
    bare = records[2]["checks"]
    assert bare["disclaimer"]["passed"] is False and bare["required_sections"]["passed"] is False
    assert bare["disclaimer"]["evidence"][0]["text"] == "Ask your doctor."  # the near miss is shown
