"""The statistics behind every report and gate verdict, against values computed by hand or by SciPy."""

from __future__ import annotations

import math
import random

import pytest

from navis_eval.stats import mcnemar_exact, paired_bootstrap, paired_counts, percentile, wilson_interval


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (8, 10, 0.490162, 0.943318),  # Newcombe (1998), Wilson score interval
        (0, 10, 0.0, 0.277533),
        (10, 10, 0.722467, 1.0),
        (50, 100, 0.403832, 0.596168),
        (1, 1, 0.206549, 1.0),
    ],
)
def test_wilson_interval_matches_known_values(successes: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(successes, n)
    assert got == pytest.approx((low, high), abs=1e-6)


def test_wilson_interval_without_items_is_uninformative() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_percentile_interpolates_linearly() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert percentile([], 50) is None


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        (1, 9, 0.021484375),  # scipy.stats.binomtest(1, 10).pvalue
        (0, 5, 0.0625),  # 2 / 2**5
        (6, 16, 0.052478790283203125),  # 2 * 110056 / 2**22
        (3, 3, 1.0),
        (0, 0, 1.0),
        (10, 0, 0.001953125),  # 2 / 2**10
    ],
)
def test_mcnemar_exact_two_sided(b: int, c: int, expected: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)
    assert mcnemar_exact(c, b) == pytest.approx(expected, rel=1e-12)  # symmetric


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        (8, 0, 1 / 256),  # every discordant pair is a regression
        (9, 1, 11 / 1024),  # P(X >= 9), X ~ Bin(10, 1/2)
        (1, 9, 1 - 1 / 1024),  # mostly improvements: no evidence of a drop
        (0, 0, 1.0),
    ],
)
def test_mcnemar_exact_one_sided_tests_only_for_a_drop(b: int, c: int, expected: float) -> None:
    assert mcnemar_exact(b, c, alternative="one-sided") == pytest.approx(expected, rel=1e-12)


def test_mcnemar_exact_agrees_with_a_direct_binomial_sum() -> None:
    rng = random.Random(7)
    for _ in range(50):
        b, c = rng.randint(0, 40), rng.randint(0, 40)
        n = b + c
        if n == 0:
            continue
        tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
        assert mcnemar_exact(b, c) == pytest.approx(min(1.0, 2 * tail), rel=1e-12)


def test_mcnemar_exact_handles_large_counts() -> None:
    p = mcnemar_exact(1200, 800)
    assert 0.0 < p < 1e-15
    assert mcnemar_exact(1000, 1000) == 1.0


def test_mcnemar_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)
    with pytest.raises(ValueError):
        mcnemar_exact(1, 2, alternative="less")


def test_paired_counts_and_drop() -> None:
    counts = paired_counts([(True, True)] * 6 + [(True, False)] * 3 + [(False, True)] + [(False, False)] * 2)
    assert (counts.both_passed, counts.regressions, counts.improvements, counts.both_failed) == (6, 3, 1, 2)
    assert counts.n == 12
    assert counts.baseline_pass_rate == pytest.approx(9 / 12)
    assert counts.candidate_pass_rate == pytest.approx(7 / 12)
    assert counts.drop == pytest.approx(2 / 12)


def test_bootstrap_of_a_constant_difference_is_that_difference() -> None:
    result = paired_bootstrap([1.0] * 20, [0.5] * 20, resamples=500, seed=1, alternative="one-sided")
    assert result.mean_diff == -0.5 and result.drop == 0.5
    assert (result.ci_low, result.ci_high) == (-0.5, -0.5)
    assert result.p_value == pytest.approx(1 / 501, abs=1e-6)  # no resample reaches zero; +1 correction
    same = paired_bootstrap([0.3] * 10, [0.3] * 10, resamples=200, seed=1)
    assert same.mean_diff == 0.0 and same.p_value == 1.0


def test_bootstrap_is_reproducible_with_a_seed() -> None:
    rng = random.Random(3)
    before = [rng.random() for _ in range(60)]
    after = [min(1.0, max(0.0, b + rng.gauss(-0.05, 0.2))) for b in before]
    first = paired_bootstrap(before, after, resamples=2000, seed=42)
    again = paired_bootstrap(before, after, resamples=2000, seed=42)
    other = paired_bootstrap(before, after, resamples=2000, seed=43)
    assert first == again
    assert other != first
    assert first.mean_diff == pytest.approx(sum(a - b for a, b in zip(after, before, strict=True)) / 60, abs=1e-6)
    assert first.ci_low < first.mean_diff < first.ci_high


def test_bootstrap_interval_matches_the_normal_approximation() -> None:
    # Differences of +1 and -1 in equal numbers: mean 0, population sd 1, so the standard error of
    # the mean is 1/sqrt(n) and the 95% interval is about +-1.96/sqrt(n).
    n = 400
    before = [0.0, 1.0] * (n // 2)
    after = [1.0, 0.0] * (n // 2)
    result = paired_bootstrap(before, after, resamples=10_000, seed=0)
    half_width = 1.959964 / math.sqrt(n)
    assert result.mean_diff == 0.0
    assert result.ci_low == pytest.approx(-half_width, rel=0.08)
    assert result.ci_high == pytest.approx(half_width, rel=0.08)
    assert result.p_value > 0.5


def test_bootstrap_detects_a_clear_drop_and_ignores_noise() -> None:
    rng = random.Random(11)
    before = [1.0] * 80
    drop = [0.0 if rng.random() < 0.3 else 1.0 for _ in range(80)]
    assert paired_bootstrap(before, drop, resamples=2000, seed=5, alternative="one-sided").p_value < 0.01
    noise = [1.0 if i % 40 else 0.0 for i in range(80)]  # two items flip
    assert paired_bootstrap(before, noise, resamples=2000, seed=5).p_value > 0.05


def test_bootstrap_input_validation() -> None:
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 0.0])
    empty = paired_bootstrap([], [])
    assert empty.n == 0 and empty.p_value == 1.0
