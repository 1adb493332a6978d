"""Aggregating per-item check results into pass rates (overall and by slice), streaming."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from navis_eval.stats import percentile, wilson_interval

SLICES = ("cancer_type", "category", "risk")


def _tally() -> Counter[str]:
    return Counter()


def rate_entry(counts: Counter[str], score_sum: float = 0.0) -> dict[str, Any]:
    """Counts, pass rate (unscored excluded) and its 95% Wilson interval."""
    passed, failed, unscored = counts["passed"], counts["failed"], counts["unscored"]
    n = passed + failed
    low, high = wilson_interval(passed, n)
    entry: dict[str, Any] = {
        "passed": passed,
        "failed": failed,
        "unscored": unscored,
        "n": n,
        "pass_rate": round(passed / n, 6) if n else None,
        "ci_low": round(low, 6) if n else None,
        "ci_high": round(high, 6) if n else None,
    }
    if n:
        entry["mean_score"] = round(score_sum / n, 6)
    return entry


class SummaryBuilder:
    """Accumulates results row by row so memory stays flat however large the run."""

    def __init__(self) -> None:
        self.checks: dict[str, Counter[str]] = defaultdict(_tally)
        self.scores: Counter[str] = Counter()
        self.slices: dict[str, dict[str, dict[str, Counter[str]]]] = {s: defaultdict(lambda: defaultdict(_tally)) for s in SLICES}
        self.slice_scores: dict[str, dict[str, Counter[str]]] = {s: defaultdict(Counter) for s in SLICES}
        self.items = 0
        self.answered = 0
        self.errors = 0
        self.cached = 0
        self.error_kinds: Counter[str] = Counter()
        self.latencies: list[float] = []

    def add_answer(self, *, error_kind: str | None, latency_ms: float | None, cached: bool) -> None:
        self.items += 1
        if error_kind is not None:
            self.errors += 1
            self.error_kinds[error_kind] += 1
            return
        self.answered += 1
        if cached:
            self.cached += 1
        elif latency_ms is not None:
            self.latencies.append(latency_ms)

    def add_result(self, check: str, status: str, score: float, slices: dict[str, str | None]) -> None:
        self.checks[check][status] += 1
        if status != "unscored":
            self.scores[check] += score
        for name in SLICES:
            value = slices.get(name)
            if value is not None:
                self.slices[name][value][check][status] += 1
                if status != "unscored":
                    self.slice_scores[name][value][check] += score

    def build(self) -> dict[str, Any]:
        latencies = sorted(self.latencies)
        latency = {f"p{q}": _round(percentile(latencies, q)) for q in (50, 90, 95, 99)}
        latency["max"] = _round(latencies[-1]) if latencies else None
        latency["mean"] = _round(sum(latencies) / len(latencies)) if latencies else None
        latency["n"] = len(latencies)
        return {
            "items": self.items,
            "answered": self.answered,
            "errors": self.errors,
            "cached": self.cached,
            "error_rate": round(self.errors / self.items, 6) if self.items else 0.0,
            "error_kinds": dict(sorted(self.error_kinds.items())),
            "latency_ms": latency,
            "checks": {c: rate_entry(counts, self.scores[c]) for c, counts in sorted(self.checks.items())},
            **{
                f"by_{name}": {
                    value: {c: rate_entry(counts, self.slice_scores[name][value][c]) for c, counts in sorted(per_check.items())}
                    for value, per_check in sorted(groups.items())
                }
                for name, groups in self.slices.items()
            },
        }


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
