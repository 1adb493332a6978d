"""How far clinicians agree with each check, and with each other.

Per check, from each reviewer's current verdict on a flag (a failed result):

* confirmation rate = confirmed / (confirmed + overturned): the precision of the check's flags,
  with a 95% Wilson interval. "Unsure" verdicts are counted but never enter a rate.
* Cohen's kappa between the check and the reviewers, over every decisive verdict on a passed or
  failed result. Reviewers only see flags unless they also spot-check passed results, and kappa
  against a check that always said "fail" is meaningless (it is 0 by construction), so kappa is
  reported only when reviewed results include both harness passes and harness fails.

Per reviewer pair, over results both reviewed with a decisive verdict: the share of identical
labels and Cohen's kappa. Each reviewer's verdict counts once per result (a double-reviewed flag
contributes two verdicts to the per-check figures).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

from navis_eval.review.store import Verdict
from navis_eval.stats import wilson_interval


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels; None when undefined (no pairs, or chance agreement is 1)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in set(first) | set(second)) / (n * n)
    if expected >= 1.0 - 1e-12:
        return None
    return (observed - expected) / (1.0 - expected)


@dataclass
class CheckAgreement:
    check: str
    rubric_versions: list[str]
    flags_reviewed: int = 0
    confirmed: int = 0
    overturned: int = 0
    unsure: int = 0
    confirmation_rate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    passes_reviewed: int = 0
    passes_confirmed: int = 0
    passes_overturned: int = 0
    passes_unsure: int = 0
    kappa: float | None = None
    kappa_n: int = 0
    kappa_note: str | None = None

    @property
    def flag_verdicts(self) -> int:
        return self.confirmed + self.overturned + self.unsure


@dataclass
class PairAgreement:
    reviewers: tuple[str, str]
    both_reviewed: int = 0
    n: int = 0
    agreed: int = 0
    agreement: float | None = None
    kappa: float | None = None
    by_check: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class AgreementReport:
    verdicts: int
    reviewers: list[str]
    checks: list[CheckAgreement]
    pairs: list[PairAgreement]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdicts": self.verdicts,
            "reviewers": self.reviewers,
            "checks": [{**asdict(c), "flag_verdicts": c.flag_verdicts} for c in self.checks],
            "pairs": [{**asdict(p), "reviewers": list(p.reviewers)} for p in self.pairs],
        }


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _kappa(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_text(report: AgreementReport) -> str:
    lines = [f"{report.verdicts} current verdicts by {len(report.reviewers)} reviewer(s)"]
    if not report.checks:
        lines.append("no verdicts yet")
        return "\n".join(lines) + "\n"
    lines.append("")
    lines.append(
        f"{'check':<24}{'flags':>6}{'confirm':>8}{'overturn':>9}{'unsure':>7}{'precision':>10}  {'95% CI':<13}"
        f"{'passes':>7}{'kappa':>8}{'n':>5}"
    )
    for c in report.checks:
        ci = "" if c.ci_low is None else f"{c.ci_low:.0%}-{c.ci_high:.0%}"
        lines.append(
            f"{c.check:<24}{c.flags_reviewed:>6}{c.confirmed:>8}{c.overturned:>9}{c.unsure:>7}{_rate(c.confirmation_rate):>10}"
            f"  {ci:<13}{c.passes_reviewed:>7}{_kappa(c.kappa):>8}{c.kappa_n:>5}"
        )
    notes = [f"  {c.check}: {c.kappa_note}" for c in report.checks if c.kappa_note]
    if notes:
        lines.append("kappa not computed:")
        lines.extend(notes)
    lines.append("")
    if not report.pairs:
        lines.append("inter-reviewer agreement: no result was reviewed by two reviewers")
    else:
        lines.append(f"{'reviewer pair':<36}{'both':>6}{'n':>5}{'agree':>7}{'rate':>8}{'kappa':>8}")
        for p in report.pairs:
            pair = f"{p.reviewers[0]} / {p.reviewers[1]}"
            lines.append(f"{pair:<36}{p.both_reviewed:>6}{p.n:>5}{p.agreed:>7}{_rate(p.agreement):>8}{_kappa(p.kappa):>8}")
    return "\n".join(lines) + "\n"


def agreement(verdicts: Iterable[Verdict]) -> AgreementReport:
    """Agreement figures from verdicts; only each reviewer's current verdict per result counts."""
    current = [v for v in verdicts if v.current]
    by_check: dict[str, list[Verdict]] = defaultdict(list)
    for v in current:
        by_check[v.check].append(v)
    checks: list[CheckAgreement] = []
    for name in sorted(by_check):
        rows = by_check[name]
        entry = CheckAgreement(check=name, rubric_versions=sorted({f"{v.rubric_name} {v.rubric_version}" for v in rows}))
        entry.flags_reviewed = len({v.key for v in rows if v.harness_status == "failed"})
        pairs: list[tuple[str, str]] = []
        for v in rows:
            failed = v.harness_status == "failed"
            if failed:
                entry.confirmed += v.verdict == "confirm"
                entry.overturned += v.verdict == "overturn"
                entry.unsure += v.verdict == "unsure"
            else:
                entry.passes_confirmed += v.verdict == "confirm"
                entry.passes_overturned += v.verdict == "overturn"
                entry.passes_unsure += v.verdict == "unsure"
            if v.label is not None:
                pairs.append(("fail" if failed else "pass", v.label))
        entry.passes_reviewed = entry.passes_confirmed + entry.passes_overturned + entry.passes_unsure
        decisive = entry.confirmed + entry.overturned
        if decisive:
            entry.confirmation_rate = entry.confirmed / decisive
            entry.ci_low, entry.ci_high = (round(x, 6) for x in wilson_interval(entry.confirmed, decisive))
        entry.kappa_n = len(pairs)
        harness = {h for h, _ in pairs}
        if harness != {"pass", "fail"}:
            entry.kappa_note = "needs decisive verdicts on both failed and passed results (spot-check some passes)"
        else:
            entry.kappa = cohen_kappa(pairs)
            if entry.kappa is None:
                entry.kappa_note = "undefined: chance agreement is 1"
        checks.append(entry)
    return AgreementReport(
        verdicts=len(current),
        reviewers=sorted({v.reviewer for v in current}),
        checks=checks,
        pairs=_pairs(current),
    )


def _pairs(current: Sequence[Verdict]) -> list[PairAgreement]:
    by_result: dict[tuple[str, str, str], dict[str, Verdict]] = defaultdict(dict)
    for v in current:
        by_result[v.key][v.reviewer] = v
    stats: dict[tuple[str, str], PairAgreement] = {}
    labels: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    per_check: dict[tuple[str, str], dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for key, reviewers in by_result.items():
        for a, b in combinations(sorted(reviewers), 2):
            pair = stats.setdefault((a, b), PairAgreement(reviewers=(a, b)))
            pair.both_reviewed += 1
            la, lb = reviewers[a].label, reviewers[b].label
            if la is not None and lb is not None:
                labels[(a, b)].append((la, lb))
                per_check[(a, b)][key[2]].append((la, lb))
    out = []
    for names in sorted(stats):
        pair = stats[names]
        got = labels[names]
        pair.n = len(got)
        pair.agreed = sum(1 for a, b in got if a == b)
        if pair.n:
            pair.agreement = pair.agreed / pair.n
            pair.kappa = cohen_kappa(got)
        for check in sorted(per_check[names]):
            rows = per_check[names][check]
            agreed = sum(1 for a, b in rows if a == b)
            pair.by_check[check] = {"n": len(rows), "agreed": agreed, "agreement": agreed / len(rows), "kappa": cohen_kappa(rows)}
        out.append(pair)
    return out
