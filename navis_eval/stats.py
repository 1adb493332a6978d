"""Statistics computed once and used by summaries, reports and the gate."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval for a proportion; (0, 1) when n is 0."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of an already sorted list."""
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


# --- Paired comparison of two runs on the same questions -------------------------------------------
#
# A release is compared with its baseline question by question: the same item answered by both
# engines is a pair. Pairing removes the between-question variance (some questions are simply
# harder), so real regressions stand out from noise with far fewer questions than two independent
# pass rates would need.

ALTERNATIVES = ("two-sided", "one-sided")


def _binomial_half_tail(k: int, n: int) -> int:
    """sum_{i=0..k} C(n, i), exactly (the tail of Binomial(n, 1/2) times 2**n)."""
    total = 0
    term = 1  # C(n, 0)
    for i in range(k + 1):
        total += term
        term = term * (n - i) // (i + 1)
    return total


def mcnemar_exact(regressions: int, improvements: int, *, alternative: str = "two-sided") -> float:
    """Exact McNemar p-value from the discordant pairs of a paired pass/fail comparison.

    ``regressions`` counts pairs that passed in the baseline and fail now (b), ``improvements``
    the reverse (c). Under no change each discordant pair is a fair coin, so b ~ Binomial(b + c, 1/2).
    ``two-sided`` is the textbook test; ``one-sided`` asks only whether there are more regressions
    than chance allows (P(X >= b)). Concordant pairs carry no information and are not needed.
    """
    if regressions < 0 or improvements < 0:
        raise ValueError("counts must be non-negative")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}")
    n = regressions + improvements
    if n == 0:
        return 1.0
    if alternative == "two-sided":
        tail = _binomial_half_tail(min(regressions, improvements), n)
        return min(1.0, 2 * tail / 2**n)
    # P(X >= b) = P(X <= n - b) by symmetry of Binomial(n, 1/2).
    return _binomial_half_tail(n - regressions, n) / 2**n


@dataclass(frozen=True)
class PairedCounts:
    """Pass/fail outcomes of the same items in a baseline and a candidate run."""

    both_passed: int = 0
    regressions: int = 0  # passed in the baseline, failed in the candidate
    improvements: int = 0  # failed in the baseline, passed in the candidate
    both_failed: int = 0

    @property
    def n(self) -> int:
        return self.both_passed + self.regressions + self.improvements + self.both_failed

    @property
    def baseline_pass_rate(self) -> float | None:
        return (self.both_passed + self.regressions) / self.n if self.n else None

    @property
    def candidate_pass_rate(self) -> float | None:
        return (self.both_passed + self.improvements) / self.n if self.n else None

    @property
    def drop(self) -> float:
        """Pass-rate drop on the paired items (positive = worse), in [-1, 1]."""
        return (self.regressions - self.improvements) / self.n if self.n else 0.0


def paired_counts(pairs: Iterable[tuple[bool, bool]]) -> PairedCounts:
    """Tally (baseline passed, candidate passed) pairs."""
    tally = [0, 0, 0, 0]
    for before, after in pairs:
        tally[(0 if before else 2) + (0 if after else 1)] += 1
    return PairedCounts(both_passed=tally[0], regressions=tally[1], improvements=tally[2], both_failed=tally[3])


@dataclass(frozen=True)
class BootstrapResult:
    """Paired bootstrap of the mean score difference (candidate minus baseline)."""

    n: int
    baseline_mean: float | None
    candidate_mean: float | None
    mean_diff: float  # candidate - baseline; negative = worse
    ci_low: float
    ci_high: float
    p_value: float
    resamples: int
    seed: int
    alternative: str

    @property
    def drop(self) -> float:
        """Mean score drop (positive = worse)."""
        return -self.mean_diff


_BOOTSTRAP_CHUNK = 500


def paired_bootstrap(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    alternative: str = "two-sided",
) -> BootstrapResult:
    """Seeded paired bootstrap of mean(candidate - baseline) over items.

    Items are resampled with replacement, keeping each item's two scores together. The interval is
    the percentile interval of the resampled mean differences. The p-value counts resamples on the
    far side of zero, with the +1 correction so it is never exactly 0: ``one-sided`` tests for a
    drop (H1: mean difference < 0), ``two-sided`` for any change. Same inputs and seed give the same
    numbers; results are rounded to 6 decimals so reports are byte-stable.
    """
    import numpy as np

    if len(baseline) != len(candidate):
        raise ValueError("paired samples must have the same length")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    n = len(baseline)
    if n == 0:
        return BootstrapResult(0, None, None, 0.0, 0.0, 0.0, 1.0, resamples, seed, alternative)
    before = np.asarray(baseline, dtype=np.float64)
    after = np.asarray(candidate, dtype=np.float64)
    diffs = after - before
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, _BOOTSTRAP_CHUNK):
        size = min(_BOOTSTRAP_CHUNK, resamples - start)
        index = rng.integers(0, n, size=(size, n))
        means[start : start + size] = diffs[index].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    eps = 1e-12  # resampled means equal to zero up to float noise count as zero
    at_or_above = int(np.count_nonzero(means >= -eps))
    at_or_below = int(np.count_nonzero(means <= eps))
    p_up = (at_or_above + 1) / (resamples + 1)
    p_down = (at_or_below + 1) / (resamples + 1)
    p = p_up if alternative == "one-sided" else min(1.0, 2 * min(p_up, p_down))
    return BootstrapResult(
        n=n,
        baseline_mean=round(float(before.mean()), 6),
        candidate_mean=round(float(after.mean()), 6),
        mean_diff=round(float(diffs.mean()), 6),
        ci_low=round(float(low), 6),
        ci_high=round(float(high), 6),
        p_value=round(p, 6),
        resamples=resamples,
        seed=seed,
        alternative=alternative,
    )
