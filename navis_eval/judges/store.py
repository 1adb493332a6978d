"""Judge files in a run directory and the summary's ``judge`` section.

``judgments.jsonl`` holds one line per judged item: ``{"item_id", "fingerprint", "verdicts":
[{"result": CheckResult, "details"?, "error_kind"?}]}``. ``judge.json`` holds the judge config
(the API key only as the name of its variable), the judge fingerprint, and what judging cost.
``finalize`` turns verdicts into result rows; :class:`JudgeTally` builds the summary section:
usage, unscored verdicts, HealthBench aggregates, and where deterministic and LLM verdicts
disagree per check.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from navis_eval.jsonl import atomic_writer, dumps, read_text, write_json
from navis_eval.judges.base import Judgment
from navis_eval.judges.config import HEALTHBENCH_NAME, LLM_SUFFIX

MAX_LISTED = 25


def write_judgments(path: Path, judgments: Mapping[str, Sequence[Judgment]], fingerprint: str) -> None:
    with atomic_writer(path) as out:
        for item_id, verdicts in judgments.items():
            out.write(
                dumps({"item_id": item_id, "fingerprint": fingerprint, "verdicts": [v.as_record() for v in verdicts]}) + "\n"
            )


def read_judgments(path: Path) -> dict[str, list[Judgment]]:
    judged: dict[str, list[Judgment]] = {}
    for line in read_text(path).splitlines():
        if line.strip():
            record = json.loads(line)
            judged[str(record["item_id"])] = [Judgment.from_record(v) for v in record.get("verdicts", [])]
    return judged


def write_judge_file(
    path: Path, info: dict[str, Any], config: dict[str, Any], base_dir: str | None, usage: dict[str, Any] | None
) -> None:
    record: dict[str, Any] = {"judge": info, "config": config, "base_dir": base_dir}
    if usage is not None:
        record["usage"] = usage
    write_json(path, record)


def read_judge_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    return json.loads(read_text(path))  # type: ignore[no-any-return]


def kappa(a: int, b: int, c: int, d: int) -> float | None:
    """Cohen's kappa of a 2x2 table (a: both pass, b: det pass/llm fail, c: det fail/llm pass, d: both fail)."""
    n = a + b + c + d
    if n == 0:
        return None
    observed = (a + d) / n
    expected = ((a + b) * (a + c) + (c + d) * (b + d)) / (n * n)
    if expected >= 1.0:
        return None
    return round((observed - expected) / (1 - expected), 4)


class JudgeTally:
    """Collects result rows (dataset order) to compare each check with its ``<check>.llm``."""

    def __init__(self, judged: Mapping[str, Sequence[Judgment]]) -> None:
        self.judged = judged
        self.status: dict[str, dict[str, str]] = defaultdict(dict)  # check -> item -> status
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.order: list[str] = []

    def add(self, row: dict[str, Any]) -> None:
        item_id, check = row["item_id"], row["check"]
        if not self.order or self.order[-1] != item_id:
            self.order.append(item_id)
        self.status[check][item_id] = row["status"]
        if check.endswith(LLM_SUFFIX):
            self.rows[(item_id, check)] = {"cancer_type": row.get("cancer_type"), "reason": (row.get("reasons") or [""])[0]}

    def disagreement(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for judge_name in sorted(n for n in self.status if n.endswith(LLM_SUFFIX)):
            check = judge_name[: -len(LLM_SUFFIX)]
            if check not in self.status:
                continue
            det, llm = self.status[check], self.status[judge_name]
            cells: Counter[str] = Counter()
            listed: list[dict[str, Any]] = []
            for item_id in self.order:
                d, m = det.get(item_id), llm.get(item_id)
                if d is None or m is None:
                    continue
                if d == "unscored" or m == "unscored":
                    cells[f"{'deterministic' if d == 'unscored' else 'llm'}_unscored"] += 1
                    continue
                cells[f"{d}/{m}"] += 1
                if d != m:
                    extra = self.rows.get((item_id, judge_name), {})
                    if len(listed) < MAX_LISTED:
                        listed.append(
                            {
                                "item_id": item_id,
                                "cancer_type": extra.get("cancer_type"),
                                "deterministic": d,
                                "llm": m,
                                "llm_reason": extra.get("reason", "")[:300],
                            }
                        )
            a, b, c, d_ = cells["passed/passed"], cells["passed/failed"], cells["failed/passed"], cells["failed/failed"]
            n = a + b + c + d_
            out[check] = {
                "judge": judge_name,
                "n": n,
                "agree": a + d_,
                "agreement": round((a + d_) / n, 6) if n else None,
                "kappa": kappa(a, b, c, d_),
                "deterministic_passed_llm_failed": b,
                "deterministic_failed_llm_passed": c,
                "deterministic_unscored": cells["deterministic_unscored"],
                "llm_unscored": cells["llm_unscored"],
                "items": listed,
            }
        return out

    def build(self, judge_path: Path) -> dict[str, Any]:
        from navis_eval.judges.healthbench import aggregate

        stored = read_judge_file(judge_path)
        info = stored.get("judge", {})
        unscored: Counter[str] = Counter()
        details: list[dict[str, Any]] = []
        for verdicts in self.judged.values():
            for v in verdicts:
                if v.result.status.value == "unscored":
                    unscored[v.result.name] += 1
                if v.result.name == HEALTHBENCH_NAME and v.details.get("criteria"):
                    details.append(v.details)
        section: dict[str, Any] = {**info, **stored.get("usage", {})}
        section["unscored"] = dict(sorted(unscored.items()))
        section["disagreement"] = self.disagreement()
        if any(name == HEALTHBENCH_NAME for name in info.get("judges", [])) or details:
            section["healthbench"] = aggregate(details)
        return section
