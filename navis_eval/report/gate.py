"""The release gate: a policy of rules, evaluated on a run (and optionally a baseline run).

Rules, each one a JUnit test case:

- ``run_complete``: the run answered every selected item (a stopped run is not a release);
- ``check_present``: every check the policy names was scored by the run (catches typos and a
  rubric that silently dropped a safety check);
- ``error_rate``: engine errors (timeouts, HTTP failures...) stay under a maximum;
- ``min_pass_rate``: pass rate per check overall, per risk tier, and per cancer type (only for
  cancer types with enough scored items for a rate to mean something);
- ``zero_tolerance``: chosen checks may not fail on a single item of the chosen risk tiers;
- ``regression_pass_rate`` / ``regression_score``: paired per question against the baseline; a
  regression fails only when it is larger than the allowed margin *and* significant at ``alpha``
  (exact McNemar test on pass/fail, seeded paired bootstrap on scores), so noise does not block a
  release and a real drop cannot hide behind a small sample.

Pass rates come from ``summary.json``; p-values from :mod:`navis_eval.stats`. Nothing here
re-derives a number that those modules own.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from navis_eval.errors import InputError
from navis_eval.jsonl import atomic_writer, load_yaml, read_text, write_json, yaml_line
from navis_eval.models import Risk
from navis_eval.paths import resolve_bundled
from navis_eval.report.fmt import md_code, md_text, pct, pp, pvalue, rate_text, short_hash, xml_text
from navis_eval.report.rundata import CheckPairing, RunData, common_checks, flips_by_item, mismatches, pair_check
from navis_eval.stats import mcnemar_exact, paired_bootstrap

DEFAULT_POLICY = "evals/gate.yaml"
GATE_JSON = "gate.json"
GATE_MD = "gate.md"
JUNIT_XML = "junit.xml"
_EPS = 1e-9


# --- Policy ----------------------------------------------------------------------------------------


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Rate = Annotated[float, Field(ge=0.0, le=1.0)]


class RateThresholds(_Policy):
    """A threshold for every check (``default``) with per-check overrides; null disables a rule."""

    default: Rate | None = None
    checks: dict[str, Rate | None] = Field(default_factory=dict)

    def for_check(self, check: str) -> float | None:
        if check in self.checks:
            return self.checks[check]
        return self.default

    def named(self) -> set[str]:
        return {name for name, value in self.checks.items() if value is not None}


class CancerTypeThresholds(RateThresholds):
    min_items: int = Field(default=10, ge=1)


class MinPassRate(_Policy):
    statistic: Literal["pass_rate", "ci_low"] = "pass_rate"
    overall: RateThresholds = Field(default_factory=RateThresholds)
    by_risk: dict[Risk, RateThresholds] = Field(default_factory=dict)
    by_cancer_type: CancerTypeThresholds | None = None


class ZeroTolerance(_Policy):
    risks: list[Risk] = Field(default_factory=lambda: list[Risk](["high"]))
    checks: list[str] = Field(default_factory=list)


class Regression(_Policy):
    alternative: Literal["two-sided", "one-sided"] = "two-sided"
    max_pass_rate_drop: RateThresholds = Field(default_factory=lambda: RateThresholds(default=0.05))
    max_score_drop: RateThresholds = Field(default_factory=RateThresholds)


class GatePolicy(_Policy):
    name: str = "gate"
    version: str = "1"
    description: str = ""
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    seed: int = 0
    bootstrap_resamples: int = Field(default=10_000, ge=100, le=1_000_000)
    missing_checks: Literal["fail", "skip"] = "fail"
    require_complete: bool = True
    max_error_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    min_pass_rate: MinPassRate = Field(default_factory=MinPassRate)
    zero_tolerance: ZeroTolerance | None = None
    regression: Regression = Field(default_factory=Regression)

    def named_checks(self) -> list[str]:
        names: set[str] = set(self.min_pass_rate.overall.named())
        for thresholds in self.min_pass_rate.by_risk.values():
            names |= thresholds.named()
        if self.min_pass_rate.by_cancer_type is not None:
            names |= self.min_pass_rate.by_cancer_type.named()
        if self.zero_tolerance is not None:
            names |= set(self.zero_tolerance.checks)
        names |= self.regression.max_pass_rate_drop.named() | self.regression.max_score_drop.named()
        return sorted(names)


@dataclass(frozen=True)
class LoadedPolicy:
    policy: GatePolicy
    path: str
    hash: str


def load_policy(path: str | Path | None = None) -> LoadedPolicy:
    """Read and validate a gate policy; any mistake names the file, line and key (exit 2)."""
    policy_path = resolve_bundled(path or DEFAULT_POLICY)
    text = read_text(policy_path)
    data = load_yaml(policy_path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("a gate policy must be a YAML mapping", path=policy_path, line=1)
    try:
        policy = GatePolicy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first.get("loc", ()) if p != "[key]")  # a bad mapping key: point at the key itself
        kind = first.get("type")
        if kind == "extra_forbidden":
            message = "unknown key"
        elif kind == "missing":
            message = "required key is missing"
        else:
            message = first.get("msg", "invalid value").removeprefix("Value error, ")
        raise InputError(message, path=policy_path, line=yaml_line(text, loc), field=".".join(map(str, loc)) or None) from None
    digest = "sha256:" + hashlib.sha256(policy_path.read_bytes()).hexdigest()
    return LoadedPolicy(policy, str(policy_path), digest)


# --- Evaluation ------------------------------------------------------------------------------------

Status = Literal["pass", "fail", "skip"]


@dataclass
class RuleResult:
    """One rule's verdict with what was observed, so a reader can check it without the code."""

    id: str
    kind: str
    scope: str
    check: str | None
    observed: str
    threshold: str
    status: Status
    detail: str = ""
    items: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        parts = [self.kind.replace("_", " "), self.scope]
        if self.check:
            parts.append(self.check)
        return " · ".join(p for p in parts if p)


@dataclass
class GateResult:
    verdict: Literal["pass", "fail"]
    policy: dict[str, Any]
    run: dict[str, Any]
    baseline: dict[str, Any] | None
    warnings: list[str]
    rules: list[RuleResult]
    newly_failing: dict[str, list[str]]
    newly_passing: dict[str, list[str]]
    results_sha256: str

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.rules if r.status == "fail"]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rules if r.status == status)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "policy": self.policy,
            "run": self.run,
            "baseline": self.baseline,
            "warnings": self.warnings,
            "counts": {s: self.count(s) for s in ("pass", "fail", "skip")},
            "rules": [asdict(r) for r in self.rules],
            "newly_failing": self.newly_failing,
            "newly_passing": self.newly_passing,
            "results_sha256": self.results_sha256,
        }


def _run_ref(data: RunData) -> dict[str, Any]:
    m = data.manifest
    return {
        "run_id": m.run_id,
        "label": m.label,
        "display_name": data.display_name,
        "engine": {k: m.engine.get(k) for k in ("kind", "name", "version") if m.engine.get(k) is not None},
        "dataset": {"name": m.dataset.name, "version": m.dataset.version, "hash": m.dataset.hash},
        "rubric": {"name": m.rubric.name, "version": m.rubric.version, "hash": m.rubric.hash},
    }


def check_comparable(baseline: RunData, candidate: RunData, *, allow_mismatch: bool) -> list[str]:
    """Refuse (exit 2) a baseline measured on another dataset or rubric unless explicitly allowed."""
    reasons = mismatches(baseline.manifest, candidate.manifest)
    if reasons and not allow_mismatch:
        raise InputError(
            "baseline is not comparable: " + "; ".join(reasons) + " (pass --allow-mismatch to compare anyway)",
            path=baseline.path,
            field="--baseline",
        )
    return [f"baseline compared despite a mismatch: {r}" for r in reasons]


def evaluate_gate(
    loaded: LoadedPolicy,
    run: RunData,
    baseline: RunData | None = None,
    *,
    allow_mismatch: bool = False,
) -> GateResult:
    """Judge ``run`` against the policy (and ``baseline``, if given). Deterministic for a given seed."""
    policy = loaded.policy
    warnings: list[str] = []
    if baseline is not None:
        warnings += check_comparable(baseline, run, allow_mismatch=allow_mismatch)
    # Most decisive rules first: that is the order in which a reader should look at failures.
    rules: list[RuleResult] = []
    rules += _completeness_rules(policy, run)
    rules += _error_rate_rules(policy, run)
    rules += _zero_tolerance_rules(policy, run)
    newly_failing: dict[str, list[str]] = {}
    newly_passing: dict[str, list[str]] = {}
    if baseline is None:
        reg = policy.regression
        if any(t.default is not None or t.named() for t in (reg.max_pass_rate_drop, reg.max_score_drop)):
            rules.append(
                RuleResult("regression", "regression", "no baseline", None, "–", "–", "skip", "no --baseline given: not judged")
            )
    else:
        pairings = [pair_check(baseline, run, check) for check in common_checks(baseline, run)]
        for pairing in pairings:
            rules += _regression_rules(policy, pairing, f"vs {baseline.display_name}")
        only_baseline = [c for c in baseline.checks if c not in set(run.checks)]
        if only_baseline:
            warnings.append(f"checks in the baseline but not in this run (not compared): {', '.join(only_baseline)}")
        newly_failing, newly_passing = flips_by_item(pairings, run.order)
    rules += _min_pass_rate_rules(policy, run)
    verdict: Literal["pass", "fail"] = "fail" if any(r.status == "fail" for r in rules) else "pass"
    return GateResult(
        verdict=verdict,
        policy={
            "name": policy.name,
            "version": policy.version,
            "path": loaded.path,
            "hash": loaded.hash,
            "alpha": policy.alpha,
            "seed": policy.seed,
        },
        run=_run_ref(run),
        baseline=_run_ref(baseline) if baseline is not None else None,
        warnings=warnings,
        rules=rules,
        newly_failing=newly_failing,
        newly_passing=newly_passing,
        results_sha256=run.results_digest(),
    )


def _completeness_rules(policy: GatePolicy, run: RunData) -> list[RuleResult]:
    rules = []
    if policy.require_complete:
        status = run.manifest.status
        ok = status == "complete"
        why = "" if ok else f"the run is {status}: {run.manifest.stop_reason or 'not every item was answered'}"
        rules.append(RuleResult("run_complete", "run_complete", "", None, status, "complete", "pass" if ok else "fail", why))
    present = set(run.checks)
    for name in policy.named_checks():
        if name in present:
            continue
        rules.append(
            RuleResult(
                f"check_present[{name}]",
                "check_present",
                "",
                name,
                "not scored by this run",
                "scored",
                "fail" if policy.missing_checks == "fail" else "skip",
                f"the policy names check '{name}' but the run's rubric does not score it "
                f"(checks scored: {', '.join(run.checks) or 'none'})",
            )
        )
    return rules


def _error_rate_rules(policy: GatePolicy, run: RunData) -> list[RuleResult]:
    if policy.max_error_rate is None:
        return []
    summary = run.summary
    rate = float(summary.get("error_rate") or 0.0)
    errors, items = summary.get("errors", 0), summary.get("items", 0)
    kinds = ", ".join(f"{k} {v}" for k, v in summary.get("error_kinds", {}).items())
    ok = rate <= policy.max_error_rate + _EPS
    return [
        RuleResult(
            "error_rate",
            "error_rate",
            "",
            None,
            f"{pct(rate)} ({errors}/{items})",
            f"≤ {pct(policy.max_error_rate)}",
            "pass" if ok else "fail",
            "" if ok else f"engine errors: {kinds}",
            values={"error_rate": rate, "errors": errors, "items": items},
        )
    ]


def _min_rate_rule(
    rule_id: str, scope: str, check: str, entry: dict[str, Any] | None, threshold: float, statistic: str
) -> RuleResult:
    stat_name = "95% CI lower bound" if statistic == "ci_low" else "pass rate"
    wanted = f"{stat_name} ≥ {pct(threshold)}"
    if not entry or not entry.get("n"):
        return RuleResult(rule_id, "min_pass_rate", scope, check, "no scored items", wanted, "skip", "no item scored")
    value = float(entry[statistic])
    status: Status = "pass" if value >= threshold - _EPS else "fail"
    detail = "" if status == "pass" or statistic == "pass_rate" else f"{stat_name} {pct(value)} is below {pct(threshold)}"
    values = {k: entry.get(k) for k in ("passed", "failed", "unscored", "n", "pass_rate", "ci_low", "ci_high")}
    return RuleResult(rule_id, "min_pass_rate", scope, check, rate_text(entry), wanted, status, detail, values=values)


def _min_pass_rate_rules(policy: GatePolicy, run: RunData) -> list[RuleResult]:
    mpr = policy.min_pass_rate
    summary = run.summary
    rules = []
    for check in run.checks:
        threshold = mpr.overall.for_check(check)
        if threshold is not None:
            entry = summary.get("checks", {}).get(check)
            rules.append(_min_rate_rule(f"min_pass_rate.overall[{check}]", "overall", check, entry, threshold, mpr.statistic))
    for risk, thresholds in mpr.by_risk.items():
        for check in run.checks:
            threshold = thresholds.for_check(check)
            if threshold is not None:
                entry = summary.get("by_risk", {}).get(risk, {}).get(check)
                rule_id = f"min_pass_rate.risk[{risk}][{check}]"
                rules.append(_min_rate_rule(rule_id, f"risk={risk}", check, entry, threshold, mpr.statistic))
    ct = mpr.by_cancer_type
    if ct is None:
        return rules
    for cancer_type, per_check in summary.get("by_cancer_type", {}).items():
        for check in run.checks:
            threshold = ct.for_check(check)
            if threshold is None:
                continue
            entry = per_check.get(check)
            rule_id = f"min_pass_rate.cancer_type[{cancer_type}][{check}]"
            scope = f"cancer_type={cancer_type}"
            n = (entry or {}).get("n", 0)
            if n >= ct.min_items:
                rules.append(_min_rate_rule(rule_id, scope, check, entry, threshold, mpr.statistic))
                continue
            rules.append(
                RuleResult(
                    rule_id,
                    "min_pass_rate",
                    scope,
                    check,
                    rate_text(entry),
                    f"pass rate ≥ {pct(threshold)} (when n ≥ {ct.min_items})",
                    "skip",
                    f"only {n} scored items (fewer than min_items {ct.min_items})",
                )
            )
    return rules


def _zero_tolerance_rules(policy: GatePolicy, run: RunData) -> list[RuleResult]:
    zt = policy.zero_tolerance
    if zt is None:
        return []
    tiers = set(zt.risks)
    scope = "risk=" + ",".join(zt.risks)
    rules = []
    for check in zt.checks:
        if check not in run.checks:
            continue  # reported by check_present
        scored = 0
        failing: list[str] = []
        for item_id, outcome in run.iter_outcomes(check):
            if run.items[item_id].risk not in tiers or outcome.status == "unscored":
                continue
            scored += 1
            if outcome.status == "failed":
                failing.append(item_id)
        ok = not failing
        rules.append(
            RuleResult(
                f"zero_tolerance[{check}]",
                "zero_tolerance",
                scope,
                check,
                f"{len(failing)} failed of {scored} scored",
                "0 failures",
                "pass" if ok else "fail",
                "" if ok else _item_list("failed on", failing),
                items=failing,
                values={"failed": len(failing), "scored": scored},
            )
        )
    return rules


def _item_list(prefix: str, items: list[str], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return f"{prefix}: {shown}{more}"


def _verdict(too_big: bool, p: float, alpha: float, what: str) -> tuple[Status, str]:
    """A regression fails only when it is both larger than the margin and significant."""
    significant = p < alpha
    if too_big and significant:
        return "fail", f"{what} exceeds the margin and is significant ({pvalue(p)} < {alpha})"
    if too_big:
        return "pass", f"{what} exceeds the margin but is not significant ({pvalue(p)} ≥ {alpha})"
    return "pass", ""


def _regression_rules(policy: GatePolicy, pairing: CheckPairing, scope: str) -> list[RuleResult]:
    reg = policy.regression
    check, counts = pairing.check, pairing.counts
    rules = []
    margin = reg.max_pass_rate_drop.for_check(check)
    if margin is not None:
        rule_id = f"regression.pass_rate[{check}]"
        wanted = f"drop ≤ {margin * 100:.1f} pp or not significant (α={policy.alpha})"
        if counts.n == 0:
            rules.append(RuleResult(rule_id, "regression_pass_rate", scope, check, "no paired items", wanted, "skip"))
        else:
            p = mcnemar_exact(counts.regressions, counts.improvements, alternative=reg.alternative)
            status, detail = _verdict(counts.drop > margin + _EPS, p, policy.alpha, f"drop {pp(counts.drop)}")
            observed = (
                f"{pct(counts.baseline_pass_rate)} → {pct(counts.candidate_pass_rate)} (drop {pp(counts.drop)}; "
                f"{counts.regressions} newly failing, {counts.improvements} newly passing of {counts.n}; McNemar {pvalue(p)})"
            )
            values = {
                "n": counts.n,
                "regressions": counts.regressions,
                "improvements": counts.improvements,
                "baseline_pass_rate": counts.baseline_pass_rate,
                "candidate_pass_rate": counts.candidate_pass_rate,
                "drop": round(counts.drop, 6),
                "p_value": p,
                "test": f"mcnemar_exact/{reg.alternative}",
            }
            items = pairing.newly_failing if status == "fail" else []
            rules.append(
                RuleResult(rule_id, "regression_pass_rate", scope, check, observed, wanted, status, detail, items, values)
            )
    score_margin = reg.max_score_drop.for_check(check)
    if score_margin is not None:
        rule_id = f"regression.score[{check}]"
        wanted = f"mean score drop ≤ {score_margin:.3f} or not significant (α={policy.alpha})"
        if counts.n == 0:
            rules.append(RuleResult(rule_id, "regression_score", scope, check, "no paired items", wanted, "skip"))
        else:
            boot = paired_bootstrap(
                pairing.baseline_scores,
                pairing.candidate_scores,
                resamples=policy.bootstrap_resamples,
                seed=policy.seed,
                alternative=reg.alternative,
            )
            status, detail = _verdict(
                boot.drop > score_margin + _EPS, boot.p_value, policy.alpha, f"mean score drop {boot.drop:.3f}"
            )
            observed = (
                f"{boot.baseline_mean:.3f} → {boot.candidate_mean:.3f} (Δ {boot.mean_diff:+.3f}, "
                f"95% CI {boot.ci_low:+.3f}…{boot.ci_high:+.3f}; bootstrap {pvalue(boot.p_value)}, n={boot.n})"
            )
            rules.append(
                RuleResult(rule_id, "regression_score", scope, check, observed, wanted, status, detail, values=asdict(boot))
            )
    return rules


# --- Output ----------------------------------------------------------------------------------------

_ICON = {"pass": "✅", "fail": "❌", "skip": "⏭️"}


def _ordered(rules: list[RuleResult]) -> list[RuleResult]:
    rank = {"fail": 0, "pass": 1, "skip": 2}
    return sorted(rules, key=lambda r: rank[r.status])  # stable: policy order within a status


def format_table(result: GateResult, width: int = 60, max_rules: int = 60) -> str:
    """Plain-text table for the terminal."""
    lines = [f"gate {result.verdict.upper()}: {result.run['display_name']} ({result.run['run_id']})"]
    if result.baseline:
        lines[0] += f" vs baseline {result.baseline['display_name']} ({result.baseline['run_id']})"
    lines.append(
        f"  policy {result.policy['name']} {result.policy['version']} ({result.policy['path']}); "
        f"{result.count('fail')} failed, {result.count('pass')} passed, {result.count('skip')} skipped"
    )
    for warning in result.warnings:
        lines.append(f"  warning: {warning}")
    lines.append(f"  {'verdict':<8}{'rule':<{width}}  observed  [threshold]")
    shown = [r for r in _ordered(result.rules) if r.status != "skip"]
    for rule in shown[:max_rules]:
        title = rule.title if len(rule.title) <= width else rule.title[: width - 1] + "…"
        lines.append(f"  {rule.status.upper():<8}{title:<{width}}  {rule.observed}  [{rule.threshold}]")
        if rule.status == "fail" and rule.detail:
            detail = rule.detail if len(rule.detail) <= 300 else rule.detail[:299] + "…"
            lines.append(f"  {'':<8}  -> {detail}")
    if len(shown) > max_rules:
        lines.append(f"  … {len(shown) - max_rules} more rules in gate.md")
    if result.count("skip"):
        lines.append(
            f"  {result.count('skip')} rules skipped (no baseline, too few items, or a check the run does not score): see gate.md"
        )
    if result.newly_failing:
        lines.append(f"  newly failing vs baseline: {len(result.newly_failing)} items")
        for item_id, checks in list(result.newly_failing.items())[:20]:
            lines.append(f"    {item_id}: {', '.join(checks)}")
        if len(result.newly_failing) > 20:
            lines.append(f"    … {len(result.newly_failing) - 20} more in gate.md")
    return "\n".join(lines) + "\n"


def gate_markdown(result: GateResult, *, max_items: int = 50, max_rules: int = 80) -> str:
    icon = "✅ PASS" if result.verdict == "pass" else "❌ FAIL"
    run = result.run
    out = [f"## navis-eval gate: {icon} — {md_text(run['display_name'])}"]
    head = f"Run {md_code(run['run_id'])}"
    if result.baseline:
        head += f" vs baseline {md_code(result.baseline['run_id'])} ({md_text(result.baseline['display_name'])})"
    policy = result.policy
    head += (
        f" · policy {md_text(policy['name'])} {md_text(policy['version'])} ({md_code(Path(policy['path']).name)},"
        f" {short_hash(policy['hash'])}) · α {policy['alpha']} · "
        f"{result.count('fail')} failed, {result.count('pass')} passed, {result.count('skip')} skipped rules"
    )
    out += [head, ""]
    for warning in result.warnings:
        out.append(f"> ⚠️ {md_text(warning)}")
    if result.warnings:
        out.append("")
    shown = [r for r in _ordered(result.rules) if r.status != "skip"]
    skipped = [r for r in result.rules if r.status == "skip"]
    out += ["| | rule | observed | threshold |", "|---|---|---|---|"]
    for rule in shown[:max_rules]:
        observed = md_text(rule.observed)
        if rule.status == "fail" and rule.detail:
            observed += f"<br>**{md_text(rule.detail, 300)}**"
        out.append(f"| {_ICON[rule.status]} | {md_text(rule.title)} | {observed} | {md_text(rule.threshold)} |")
    if len(shown) > max_rules:
        out.append(f"| | … {len(shown) - max_rules} more rules in gate.json / junit.xml | | |")
    if skipped:
        out += ["", f"<details><summary>{len(skipped)} skipped rules</summary>", ""]
        out += [f"- {md_text(r.title)}: {md_text(r.detail or r.observed, 200)}" for r in skipped]
        out += ["", "</details>"]
    if result.baseline is not None:
        out += [
            "",
            f"**Newly failing vs baseline: {len(result.newly_failing)} items** · newly passing: {len(result.newly_passing)}",
            "",
        ]
        for item_id, checks in list(result.newly_failing.items())[:max_items]:
            out.append(f"- {md_code(item_id)}: {md_text(', '.join(checks))}")
        if len(result.newly_failing) > max_items:
            out.append(f"- … and {len(result.newly_failing) - max_items} more (see gate.json)")
    return "\n".join(out) + "\n"


def gate_junit(result: GateResult) -> bytes:
    """JUnit XML: one test case per rule, plus one per newly failing item.

    A newly failing item is a failure when a failed rule concerns one of its checks (the
    regression, zero-tolerance or pass-rate rule that the flip contributed to); otherwise it is
    reported as skipped with the reason, so the JUnit verdict never contradicts the exit code.
    """
    failed_checks = {r.check for r in result.rules if r.status == "fail" and r.check}
    root = ET.Element("testsuites", {"name": "navis-eval gate"})
    suites: list[tuple[str, list[tuple[str, str, Status, str, str]]]] = []
    rule_cases = []
    for rule in result.rules:
        message = rule.detail or f"observed {rule.observed}; required {rule.threshold}"
        body = f"observed: {rule.observed}\nthreshold: {rule.threshold}\n{rule.detail}".rstrip()
        if rule.items:
            body += "\nitems: " + ", ".join(rule.items)
        rule_cases.append((f"navis_eval.gate.{rule.kind}", f"{rule.title}", rule.status, message, body))
    suites.append(("gate rules", rule_cases))
    if result.baseline is not None:
        item_cases = []
        for item_id, checks in result.newly_failing.items():
            blocking = [c for c in checks if c in failed_checks]
            status: Status = "fail" if blocking else "skip"
            message = (
                f"newly failing: {', '.join(checks)}"
                if blocking
                else f"newly failing ({', '.join(checks)}) but within the policy's allowed regression"
            )
            body = f"item {item_id} passed in baseline {result.baseline['run_id']} and fails now on: {', '.join(checks)}"
            item_cases.append(("navis_eval.gate.newly_failing", item_id, status, message, body))
        suites.append(("newly failing items", item_cases))
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for suite_name, cases in suites:
        failures = sum(1 for c in cases if c[2] == "fail")
        skipped = sum(1 for c in cases if c[2] == "skip")
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": suite_name,
                "tests": str(len(cases)),
                "failures": str(failures),
                "errors": "0",
                "skipped": str(skipped),
                "time": "0",
            },
        )
        for classname, name, status, message, body in cases:
            case = ET.SubElement(suite, "testcase", {"classname": classname, "name": xml_text(name), "time": "0"})
            if status == "fail":
                failure = ET.SubElement(case, "failure", {"message": xml_text(message), "type": classname.rsplit(".", 1)[-1]})
                failure.text = xml_text(body)
            elif status == "skip":
                ET.SubElement(case, "skipped", {"message": xml_text(message)})
        totals["tests"] += len(cases)
        totals["failures"] += failures
        totals["skipped"] += skipped
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    root.set("skipped", str(totals["skipped"]))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


@dataclass(frozen=True)
class GateOutputs:
    json: Path
    markdown: Path
    junit: Path


def write_gate_outputs(result: GateResult, out_dir: Path) -> GateOutputs:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = GateOutputs(out_dir / GATE_JSON, out_dir / GATE_MD, out_dir / JUNIT_XML)
    write_json(paths.json, result.to_json())
    with atomic_writer(paths.markdown) as handle:
        handle.write(gate_markdown(result))
    with atomic_writer(paths.junit, "wb") as handle:
        handle.write(gate_junit(result))
    return paths


def read_gate_json(run_path: Path) -> dict[str, Any] | None:
    """The gate verdict stored beside a run, if the gate was run on it."""
    path = run_path / GATE_JSON
    if not path.exists():
        return None
    try:
        value = json.loads(read_text(path))
    except json.JSONDecodeError:
        raise InputError("unreadable gate.json", path=path) from None
    return value if isinstance(value, dict) else None
