"""Validating a dataset beyond its schema: cross-references, clinical consistency, minimums.

Schema errors stop loading at the first bad line (see :mod:`navis_eval.jsonl`). This module then
collects every remaining problem, each with file, line and field, so a dataset author fixes them
in one pass. Minimum sizes are declared in the dataset descriptor, not hard-coded, so a small
custom gold set is not held to the bundled set's targets.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from navis_eval.dataset import Dataset
from navis_eval.jsonl import load_yaml
from navis_eval.models import CATEGORIES

_WORD = re.compile(r"\S+")


class Minimums(BaseModel):
    """Composition targets a dataset promises (``minimums:`` in its descriptor)."""

    model_config = ConfigDict(extra="forbid")

    questions: int = 0
    cancer_types: int = 0
    per_category: int = 0
    gap_share: float = Field(default=0.0, ge=0, le=1)  # share of items not covered or partly covered
    high_risk: int = 0
    with_profile: int = 0
    passages: int = 0
    passage_words: tuple[int, int] = (1, 10_000)
    key_points: tuple[int, int] = (0, 100)
    labeled: int = 0
    required_cancer_types: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        return f"{where}: " + (f"field '{self.field}': " if self.field else "") + self.message


def _line_numbers(path: Path) -> dict[str, int]:
    numbers: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            numbers.setdefault(json.loads(line).get("id", ""), number)
    return numbers


def minimums_for(dataset: Dataset) -> Minimums:
    path = Path(dataset.path)
    if path.suffix not in {".yaml", ".yml"}:
        return Minimums()
    spec = load_yaml(path) or {}
    return Minimums.model_validate(spec.get("minimums") or {})


def questions_path(dataset: Dataset) -> Path:
    path = Path(dataset.path)
    if path.suffix in {".yaml", ".yml"}:
        return path.parent / str(load_yaml(path)["questions"])
    return path


def validate_dataset(dataset: Dataset, minimums: Minimums | None = None) -> list[Problem]:
    """Every problem found in the dataset (empty when it is valid)."""
    minimums = minimums or minimums_for(dataset)
    problems: list[Problem] = []
    gold_path = questions_path(dataset)
    lines = _line_numbers(gold_path)
    passages = {p.id: p for p in dataset.corpus}
    passage_files: dict[str, tuple[Path, int]] = {}
    for file in dataset.corpus_files:
        for pid, number in _line_numbers(file).items():
            passage_files[pid] = (file, number)

    def add(message: str, *, item_id: str | None = None, field: str | None = None, passage: str | None = None) -> None:
        if passage is not None:
            file, number = passage_files.get(passage, (Path("corpus"), None))
            problems.append(Problem(str(file), number, field, message))
        else:
            problems.append(Problem(str(gold_path), lines.get(item_id or ""), field, message))

    low, high = minimums.passage_words
    for passage in dataset.corpus:
        words = len(_WORD.findall(passage.text))
        if not low <= words <= high:
            add(f"passage has {words} words; expected {low} to {high}", field="text", passage=passage.id)
    corpus_types = {p.cancer_type for p in dataset.corpus}

    kp_low, kp_high = minimums.key_points
    for item in dataset.items:
        if not kp_low <= len(item.key_points) <= kp_high:
            add(f"{len(item.key_points)} key points; expected {kp_low} to {kp_high}", item_id=item.id, field="key_points")
        for index, point in enumerate(item.key_points):
            for pid in point.passage_ids:
                if pid not in passages:
                    add(f"cites unknown passage '{pid}'", item_id=item.id, field=f"key_points.{index}.passage_ids")
        cited = [p for point in item.key_points for p in point.passage_ids]
        if item.expected_coverage == "covered" and any(not p.passage_ids for p in item.key_points):
            add("a covered item's key points must each cite a passage", item_id=item.id, field="key_points")
        if item.expected_coverage == "partial" and not cited:
            add("a partly covered item must cite at least one passage", item_id=item.id, field="key_points")
        if item.expected_coverage != "covered" and not item.gap:
            add("items not fully covered must say what the corpus lacks", item_id=item.id, field="gap")
        if item.category == "urgent_symptoms" and not item.urgent:
            add("urgent-symptom questions must be marked urgent", item_id=item.id, field="urgent")
        if item.urgent and item.risk != "high":
            add("urgent items must be high risk", item_id=item.id, field="risk")
        if dataset.corpus and item.cancer_type not in corpus_types:
            add(f"no corpus passages for cancer type '{item.cancer_type}'", item_id=item.id, field="cancer_type")
        for index, criterion in enumerate(item.criteria):
            if not criterion.criterion.strip():
                add("empty criterion", item_id=item.id, field=f"criteria.{index}")
        if item.criteria and not any(c.points > 0 for c in item.criteria):
            add("criteria need at least one positive-point criterion", item_id=item.id, field="criteria")

    problems.extend(_minimum_problems(dataset, minimums, str(gold_path)))
    return problems


def _minimum_problems(dataset: Dataset, m: Minimums, where: str) -> list[Problem]:
    items = dataset.items
    out: list[Problem] = []

    def short(what: str, have: float, want: float, fmt: str = "{}") -> None:
        if have < want:
            out.append(Problem(where, None, None, f"{what}: {fmt.format(have)} (minimum {fmt.format(want)})"))

    short("questions", len(items), m.questions)
    types = Counter(i.cancer_type for i in items)
    short("cancer types", len(types), m.cancer_types)
    categories = Counter(i.category for i in items)
    for category in CATEGORIES:
        short(f"questions in category {category}", categories.get(category, 0), m.per_category)
    gaps = sum(1 for i in items if i.expected_coverage != "covered")
    short("share not covered or partly covered", round(gaps / len(items), 3) if items else 0, m.gap_share)
    short("high-risk items", sum(1 for i in items if i.risk == "high"), m.high_risk)
    short("items with a patient profile", sum(1 for i in items if i.patient_profile), m.with_profile)
    short("corpus passages", len(dataset.corpus), m.passages)
    for required in m.required_cancer_types:
        if required not in types:
            out.append(Problem(where, None, "cancer_type", f"required cancer type '{required}' has no questions"))
    return out


def dataset_stats(dataset: Dataset) -> dict[str, Any]:
    """Composition of the dataset, for the dataset card and `navis-eval dataset stats`."""
    items = dataset.items
    types = sorted({i.cancer_type for i in items})
    matrix = {t: {c: 0 for c in CATEGORIES} for t in types}
    for item in items:
        matrix[item.cancer_type][item.category] += 1
    words = [len(_WORD.findall(p.text)) for p in dataset.corpus]
    return {
        "name": dataset.name,
        "version": dataset.version,
        "hash": dataset.hash,
        "questions": len(items),
        "cancer_types": len(types),
        "by_cancer_type_and_category": matrix,
        "by_category": dict(sorted(Counter(i.category for i in items).items())),
        "by_risk": dict(sorted(Counter(i.risk for i in items).items())),
        "by_coverage": dict(sorted(Counter(i.expected_coverage for i in items).items())),
        "by_curability": dict(sorted(Counter(i.curability for i in items).items())),
        "urgent": sum(1 for i in items if i.urgent),
        "with_patient_profile": sum(1 for i in items if i.patient_profile),
        "with_criteria": sum(1 for i in items if i.criteria),
        "passages": len(dataset.corpus),
        "passages_by_cancer_type": dict(sorted(Counter(p.cancer_type for p in dataset.corpus).items())),
        "passage_words": {"min": min(words), "max": max(words), "mean": round(sum(words) / len(words), 1)} if words else None,
        "sources": dict(Counter(p.source.organization for p in dataset.corpus).most_common()),
    }
