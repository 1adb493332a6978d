"""Verdicts out of the review database: CSV or JSONL rows, or labeled data for ``validate-checks``.

``csv`` / ``jsonl``: one row per verdict ever recorded, oldest first, with ``current`` marking each
reviewer's latest verdict on a result (earlier ones are history) and ``label`` the reviewer's own
judgement (pass/fail; empty when unsure).

``labeled``: one line per reviewed answer in the ``datasets/labeled`` format. A check's label is
the majority of the reviewers' current decisive verdicts on it (confirming a failed check = fail,
overturning it = pass); checks with only "unsure" verdicts or a tied vote are left out, and so is
an answer left with no label at all. The split is a stable function of the question id, so the
same question never lands in both dev and test across runs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from navis_eval.errors import InputError
from navis_eval.jsonl import atomic_writer
from navis_eval.review.store import ReviewStore, Verdict

FORMATS = ("csv", "jsonl", "labeled")
SPLITS = ("auto", "dev", "test")

CSV_COLUMNS = [
    "verdict_id",
    "created_at",
    "reviewer",
    "run_id",
    "item_id",
    "check",
    "harness_status",
    "verdict",
    "label",
    "note",
    "current",
    "rubric_name",
    "rubric_version",
    "rubric_hash",
    "engine",
    "cancer_type",
    "category",
    "risk",
    "answer_sha256",
]


@dataclass(frozen=True)
class ExportResult:
    rows: int
    skipped: int = 0


def auto_split(item_id: str) -> str:
    return "dev" if hashlib.sha256(item_id.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def verdict_rows(store: ReviewStore) -> Iterator[dict[str, Any]]:
    answers = store.answers()
    for v in store.verdicts():
        snap = answers.get((v.run_id, v.item_id))
        row = v.as_row()
        row["cancer_type"] = snap.cancer_type if snap else None
        row["category"] = snap.category if snap else None
        row["risk"] = snap.risk if snap else None
        yield row


def _verb(v: Verdict) -> str:
    return {"confirm": "confirmed", "overturn": "overturned", "unsure": "unsure about"}[v.verdict]


def labeled_rows(store: ReviewStore, split: str = "auto") -> tuple[list[dict[str, Any]], int]:
    """Reviewed answers as labeled examples, and how many reviewed answers gave no example."""
    if split not in SPLITS:
        raise InputError(f"must be one of {', '.join(SPLITS)}", field="--split")
    answers = store.answers()
    grouped: dict[tuple[str, str], dict[str, list[Verdict]]] = defaultdict(lambda: defaultdict(list))
    for v in store.verdicts(current_only=True):
        snap = answers.get((v.run_id, v.item_id))
        if snap is None or snap.answer_sha256 != v.answer_sha256:
            continue  # the verdict was about a different text than the one stored: not a label for it
        grouped[(v.run_id, v.item_id)][v.check].append(v)
    rows: list[dict[str, Any]] = []
    skipped = 0
    for key in sorted(grouped):
        snap = answers[key]
        labels: dict[str, dict[str, Any]] = {}
        checks = [c for c in snap.checks if c in grouped[key]] + sorted(c for c in grouped[key] if c not in snap.checks)
        for check in checks:
            verdicts = grouped[key][check]
            votes = Counter(v.label for v in verdicts if v.label is not None)
            if not votes:
                continue
            ranked = votes.most_common()
            if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
                continue  # reviewers split evenly: no label
            label = ranked[0][0]
            parts = []
            for v in sorted(verdicts, key=lambda v: v.reviewer):
                text = f"{v.reviewer} {_verb(v)} the {v.harness_status} result"
                parts.append(f"{text}: {v.note}" if v.note else text)
            labels[check] = {"label": label, "note": "; ".join(parts)}
        if not labels or not snap.question:
            skipped += 1
            continue
        gold = snap.gold
        rows.append(
            {
                "id": f"rev:{snap.run_id}:{snap.item_id}",
                "split": auto_split(snap.item_id) if split == "auto" else split,
                "question": snap.question,
                "cancer_type": snap.cancer_type,
                "contexts": snap.contexts,
                "answer": snap.answer,
                "gold": {
                    "curability": gold.get("curability", "not_applicable"),
                    "expected_coverage": gold.get("expected_coverage", "covered"),
                    "urgent": bool(gold.get("urgent", False)),
                },
                "style": f"reviewed:{snap.engine_name or 'engine'}",
                "labels": labels,
            }
        )
    return rows, skipped


def _write_csv(rows: list[dict[str, Any]], handle: IO[str]) -> None:
    writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in CSV_COLUMNS})


def render(store: ReviewStore, fmt: str, *, split: str = "auto") -> tuple[str, ExportResult]:
    if fmt not in FORMATS:
        raise InputError(f"must be one of {', '.join(FORMATS)}", field="--format")
    buffer = io.StringIO()
    skipped = 0
    if fmt == "labeled":
        rows, skipped = labeled_rows(store, split)
    else:
        rows = list(verdict_rows(store))
    if fmt == "csv":
        _write_csv(rows, buffer)
    else:
        for row in rows:
            buffer.write(json.dumps(row, ensure_ascii=False) + "\n")
    return buffer.getvalue(), ExportResult(rows=len(rows), skipped=skipped)


def export(store: ReviewStore, fmt: str, out: Path | None, *, split: str = "auto") -> tuple[str | None, ExportResult]:
    """Write the export to ``out`` atomically, or return the text when ``out`` is None."""
    text, result = render(store, fmt, split=split)
    if out is None:
        return text, result
    if out.is_dir():
        raise InputError("is a folder; give a file name", path=out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(out) as handle:
        handle.write(text)
    return None, result
