"""A finished run directory loaded once for the report, trend and gate, and pairing of two runs.

Only what those stages need is kept per row (status and score per item and check, plus the item's
slice metadata), so even a large run loads quickly. Pass rates come from ``summary.json``, written
by the summary code; this module only pairs runs question by question.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from navis_eval.errors import InputError
from navis_eval.models import RunManifest
from navis_eval.report.fmt import short_hash
from navis_eval.stats import PairedCounts, paired_counts
from navis_eval.store import RunDir


@dataclass(frozen=True)
class Outcome:
    status: str  # passed | failed | unscored
    score: float


@dataclass(frozen=True)
class ItemMeta:
    cancer_type: str | None
    category: str | None
    risk: str | None


@dataclass
class RunData:
    run: RunDir
    manifest: RunManifest
    summary: dict[str, Any]
    outcomes: dict[str, dict[str, Outcome]] = field(default_factory=dict)  # item id -> check -> outcome
    items: dict[str, ItemMeta] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # item ids in dataset order

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def checks(self) -> list[str]:
        """Check names as the run scored them (read from the data, never hard-coded)."""
        names = list(self.summary.get("checks", {}))
        for name in self.manifest.checks:
            if name not in names:
                names.append(name)
        return names

    @property
    def display_name(self) -> str:
        """How a run is labelled in reports: its label, else engine name and version, else its id."""
        if self.manifest.label:
            return self.manifest.label
        engine = self.manifest.engine
        if engine.get("version"):
            return f"{engine.get('name') or engine.get('kind')} {engine['version']}"
        return self.run_id

    def results_digest(self) -> str:
        """Hash of results.jsonl: ties a gate verdict to the exact results it judged."""
        digest = hashlib.sha256()
        with open(self.run.results_path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return "sha256:" + digest.hexdigest()

    def iter_outcomes(self, check: str) -> Iterator[tuple[str, Outcome]]:
        for item_id in self.order:
            outcome = self.outcomes.get(item_id, {}).get(check)
            if outcome is not None:
                yield item_id, outcome


def load_run(path: Path | str) -> RunData:
    """Open a finished run directory; missing or unreadable files are input errors (exit 2)."""
    run = RunDir.open(Path(path))
    manifest = run.read_manifest()
    summary = run.read_summary()
    if not run.results_path.exists():
        raise InputError("run has no results.jsonl (was it finished?)", path=run.path)
    data = RunData(run=run, manifest=manifest, summary=summary)
    seen: list[str] = []
    with open(run.results_path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                item_id, check, status = str(row["item_id"]), str(row["check"]), str(row["status"])
                score = float(row.get("score") or 0.0)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise InputError(f"unreadable result row ({type(exc).__name__})", path=run.results_path, line=number) from None
            if status not in ("passed", "failed", "unscored"):
                raise InputError(f"unknown status '{status}'", path=run.results_path, line=number, field="status")
            if item_id not in data.outcomes:
                data.outcomes[item_id] = {}
                seen.append(item_id)
                data.items[item_id] = ItemMeta(row.get("cancer_type"), row.get("category"), row.get("risk"))
            data.outcomes[item_id][check] = Outcome(status, score)
    ordered = run.item_ids() if run.items_path.exists() else []
    known = set(ordered)
    data.order = [i for i in ordered if i in data.outcomes] + [i for i in seen if i not in known]
    return data


def mismatches(baseline: RunManifest, candidate: RunManifest) -> list[str]:
    """Why two runs are not comparable question by question (empty when they are)."""
    reasons = []
    for what in ("dataset", "rubric"):
        a, b = getattr(baseline, what), getattr(candidate, what)
        if a.hash != b.hash:
            reasons.append(
                f"{what} differs: {a.name} {a.version} ({short_hash(a.hash)}) -> {b.name} {b.version} ({short_hash(b.hash)})"
            )
    return reasons


@dataclass(frozen=True)
class CheckPairing:
    """One check compared item by item between a baseline and a candidate run."""

    check: str
    counts: PairedCounts
    item_ids: list[str]  # items scored in both runs, in candidate order
    baseline_scores: list[float]
    candidate_scores: list[float]
    newly_failing: list[str]
    newly_passing: list[str]


def pair_check(baseline: RunData, candidate: RunData, check: str) -> CheckPairing:
    """Pair the items both runs scored (unscored on either side carries no verdict and is left out)."""
    ids: list[str] = []
    before_scores: list[float] = []
    after_scores: list[float] = []
    pairs: list[tuple[bool, bool]] = []
    newly_failing: list[str] = []
    newly_passing: list[str] = []
    for item_id, after in candidate.iter_outcomes(check):
        before = baseline.outcomes.get(item_id, {}).get(check)
        if before is None or before.status == "unscored" or after.status == "unscored":
            continue
        b, a = before.status == "passed", after.status == "passed"
        pairs.append((b, a))
        ids.append(item_id)
        before_scores.append(before.score)
        after_scores.append(after.score)
        if b and not a:
            newly_failing.append(item_id)
        elif a and not b:
            newly_passing.append(item_id)
    return CheckPairing(check, paired_counts(pairs), ids, before_scores, after_scores, newly_failing, newly_passing)


def common_checks(baseline: RunData, candidate: RunData) -> list[str]:
    theirs = set(baseline.checks)
    return [c for c in candidate.checks if c in theirs]


def flips_by_item(pairings: list[CheckPairing], order: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Newly failing and newly passing checks per item, items in dataset order."""
    failing: dict[str, list[str]] = {}
    passing: dict[str, list[str]] = {}
    for pairing in pairings:
        for item_id in pairing.newly_failing:
            failing.setdefault(item_id, []).append(pairing.check)
        for item_id in pairing.newly_passing:
            passing.setdefault(item_id, []).append(pairing.check)
    rank = {item_id: i for i, item_id in enumerate(order)}
    return (
        {k: failing[k] for k in sorted(failing, key=lambda i: (rank.get(i, len(rank)), i))},
        {k: passing[k] for k in sorted(passing, key=lambda i: (rank.get(i, len(rank)), i))},
    )
