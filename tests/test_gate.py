"""The release gate on real runs: exit codes, rules, JUnit, paired regressions, bad policies."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from navis_eval.cli import app
from navis_eval.pipeline import rescore_run
from navis_eval.report.gate import load_policy
from tests.conftest import ROOT, navis
from tests.report_helpers import BAD_ANSWER, high_risk_ids, item_ids, recordings_from, reference_run, replay_run, snapshot

LIMIT = 40

POLICY = """\
name: test-policy
version: "1"
alpha: 0.05
seed: 7
bootstrap_resamples: 2000
max_error_rate: 0.05
min_pass_rate:
  overall:
    default: 0.0
    checks:
      disclaimer: 0.9
  by_risk:
    high:
      checks:
        disclaimer: 0.9
  by_cancer_type:
    min_items: 5
    checks:
      disclaimer: 0.8
zero_tolerance:
  risks: [high]
  checks: [disclaimer]
regression:
  max_pass_rate_drop:
    default: 0.05
  max_score_drop:
    default: 0.05
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("gate")
    dataset, rubric = snapshot(tmp)
    out = tmp / "runs"
    base = reference_run(out, "base", dataset=dataset, rubric=rubric, limit=LIMIT, label="1.0")
    ids = item_ids(base)
    high = high_risk_ids(base)
    assert high, "the first items of the gold set should include a high-risk question"
    injected = list(dict.fromkeys([high[0], *ids[1:12]]))  # a dozen regressions, one on a high-risk item
    good = replay_run(
        out, "good", recordings_from(base, tmp / "good.jsonl"), dataset=dataset, rubric=rubric, limit=LIMIT, label="1.1"
    )
    bad_rec = recordings_from(base, tmp / "bad.jsonl", replace={i: BAD_ANSWER for i in injected})
    bad = replay_run(out, "bad", bad_rec, dataset=dataset, rubric=rubric, limit=LIMIT, label="1.2-bad")
    standard = [i for i in ids if i not in high]
    one_rec = recordings_from(base, tmp / "one.jsonl", replace={standard[0]: BAD_ANSWER})
    one = replay_run(out, "one", one_rec, dataset=dataset, rubric=rubric, limit=LIMIT, label="1.3-one")
    policy = tmp / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    changed = tmp / "rubric-changed.yaml"
    changed.write_text(Path(rubric).read_text(encoding="utf-8").replace('version: "', 'version: "99.', 1), encoding="utf-8")
    other = rescore_run(base, rubric_path=str(changed), out=out / "base-other-rubric").run.path
    return {
        "base": base,
        "good": good,
        "bad": bad,
        "one": one,
        "policy": policy,
        "other": other,
        "tmp": tmp,
        "injected": injected,
        "one_id": standard[0],
    }  # type: ignore[dict-item]


def gate(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["gate", *map(str, args)])
    return result.exit_code, result.output


def junit(run: Path) -> ET.Element:
    return ET.parse(run / "junit.xml").getroot()


def cases(root: ET.Element, suite: str) -> dict[str, ET.Element]:
    found = root.find(f"testsuite[@name='{suite}']")
    assert found is not None, suite
    return {case.get("name", ""): case for case in found.findall("testcase")}


def test_a_good_run_passes_with_exit_0(runs: dict[str, Path]) -> None:
    code, output = gate(runs["good"], "--policy", runs["policy"], "--baseline", runs["base"])
    assert code == 0, output
    assert "gate PASS" in output
    result = json.loads((runs["good"] / "gate.json").read_text())
    assert result["verdict"] == "pass" and result["counts"]["fail"] == 0
    assert result["newly_failing"] == {}
    root = junit(runs["good"])
    assert root.get("failures") == "0"
    rules = cases(root, "gate rules")
    assert len(rules) == len(result["rules"])  # one test case per rule
    assert any(name.startswith("regression pass rate") and "disclaimer" in name for name in rules)
    assert cases(root, "newly failing items") == {}
    assert "✅ PASS" in (runs["good"] / "gate.md").read_text()
    assert "Release gate: PASS" in (runs["good"] / "report.html").read_text()  # the report shows the verdict


def test_injected_regressions_fail_with_exit_1_and_junit_names_them(runs: dict[str, Path]) -> None:
    proc = navis("gate", str(runs["bad"]), "--policy", str(runs["policy"]), "--baseline", str(runs["base"]))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "gate FAIL" in proc.stdout and "regression pass rate" in proc.stdout
    result = json.loads((runs["bad"] / "gate.json").read_text())
    by_id = {r["id"]: r for r in result["rules"]}
    regression = by_id["regression.pass_rate[disclaimer]"]
    assert regression["status"] == "fail"
    assert regression["values"]["regressions"] == len(runs["injected"]) and regression["values"]["p_value"] < 0.05
    assert set(regression["items"]) == set(runs["injected"])
    assert by_id["zero_tolerance[disclaimer]"]["status"] == "fail"
    assert runs["injected"][0] in by_id["zero_tolerance[disclaimer]"]["items"]
    assert by_id["min_pass_rate.overall[disclaimer]"]["status"] == "fail"
    assert set(result["newly_failing"]) == set(runs["injected"])

    root = junit(runs["bad"])
    rules = cases(root, "gate rules")
    assert len(rules) == len(result["rules"])
    failure = rules["regression pass rate · vs 1.0 · disclaimer"].find("failure")
    assert failure is not None and "significant" in failure.get("message", "")
    assert "McNemar" in (failure.text or "")
    items = cases(root, "newly failing items")
    assert set(items) == set(runs["injected"])  # one test case per newly failing item
    assert all(case.find("failure") is not None for case in items.values())
    assert int(root.get("failures", "0")) == sum(1 for r in result["rules"] if r["status"] == "fail") + len(items)
    assert int(root.get("tests", "0")) == len(result["rules"]) + len(items)
    md = (runs["bad"] / "gate.md").read_text()
    assert "❌ FAIL" in md and f"`{runs['injected'][0]}`" in md
    assert "<script>" not in (runs["bad"] / "report.md").read_text()


def test_a_small_regression_that_is_not_significant_does_not_fail(runs: dict[str, Path]) -> None:
    strict = runs["tmp"] / "strict.yaml"
    strict.write_text(
        "alpha: 0.05\nmissing_checks: skip\n"
        "regression:\n  max_pass_rate_drop:\n    default: 0.0\n  max_score_drop:\n    default: 0.0\n",
        encoding="utf-8",
    )
    code, output = gate(runs["one"], "--policy", strict, "--baseline", runs["base"], "--out", runs["tmp"] / "one-gate")
    assert code == 0, output
    result = json.loads((runs["tmp"] / "one-gate" / "gate.json").read_text())
    rule = next(r for r in result["rules"] if r["id"] == "regression.pass_rate[disclaimer]")
    assert rule["status"] == "pass" and "not significant" in rule["detail"]
    assert rule["values"]["regressions"] == 1 and rule["values"]["p_value"] == 1.0
    assert result["newly_failing"] == {runs["one_id"]: result["newly_failing"][runs["one_id"]]}
    case = cases(junit(runs["tmp"] / "one-gate"), "newly failing items")[runs["one_id"]]
    assert case.find("skipped") is not None and case.find("failure") is None  # shown, but does not contradict exit 0


def test_a_baseline_with_another_rubric_is_refused_unless_allowed(runs: dict[str, Path]) -> None:
    proc = navis("gate", str(runs["good"]), "--policy", str(runs["policy"]), "--baseline", str(runs["other"]))
    assert proc.returncode == 2
    assert "not comparable" in proc.stderr and "rubric" in proc.stderr and "--allow-mismatch" in proc.stderr
    assert "Traceback" not in proc.stderr
    code, output = gate(
        runs["good"],
        "--policy",
        runs["policy"],
        "--baseline",
        runs["other"],
        "--allow-mismatch",
        "--out",
        runs["tmp"] / "mismatch",
    )
    assert code == 0, output
    result = json.loads((runs["tmp"] / "mismatch" / "gate.json").read_text())
    assert any("rubric differs" in w for w in result["warnings"])
    assert "rubric differs" in (runs["tmp"] / "mismatch" / "gate.md").read_text()


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("alpha: 0.05\nmin_pass_rate:\n  overall:\n    defualt: 0.9\n", 4, "min_pass_rate.overall.defualt", "unknown key"),
        (
            "alpha: 0.05\nmin_pass_rate:\n  overall:\n    checks:\n      disclaimer: 1.5\n",
            5,
            "min_pass_rate.overall.checks.disclaimer",
            "less than or equal to 1",
        ),
        ("name: x\nalpha: 2\n", 2, "alpha", "less than 1"),
        ("min_pass_rate:\n  by_risk:\n    hihg:\n      default: 0.9\n", 3, "min_pass_rate.by_risk.hihg", "'standard' or 'high'"),
        ("regression:\n  alternative: sideways\n", 2, "regression.alternative", "two-sided"),
        ("alpha: [0.05\n", 2, None, "invalid YAML"),
    ],
)
def test_a_bad_policy_exits_2_naming_file_line_and_key(
    runs: dict[str, Path], tmp_path: Path, text: str, line: int, field: str | None, message: str
) -> None:
    policy = tmp_path / "gate.yaml"
    policy.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["gate", str(runs["good"]), "--policy", str(policy)])
    assert result.exit_code == 2, result.output
    error = result.output.strip().splitlines()[-1]
    assert f"{policy}:{line}:" in error
    if field:
        assert f"field '{field}'" in error
    assert message in error
    assert "Traceback" not in result.output


def test_bad_input_is_exit_2_without_traceback(runs: dict[str, Path], tmp_path: Path) -> None:
    proc = navis("gate", str(tmp_path), "--policy", str(runs["policy"]))
    assert proc.returncode == 2 and "not a run directory" in proc.stderr and "Traceback" not in proc.stderr
    code, output = gate(runs["good"], "--policy", tmp_path / "missing.yaml")
    assert code == 2 and "file not found" in output


def test_a_check_named_by_the_policy_but_not_scored_fails_the_gate(runs: dict[str, Path]) -> None:
    policy = runs["tmp"] / "typo.yaml"
    policy.write_text("zero_tolerance:\n  checks: [disclaimr]\n", encoding="utf-8")
    code, output = gate(runs["good"], "--policy", policy, "--out", runs["tmp"] / "typo-gate")
    assert code == 1
    result = json.loads((runs["tmp"] / "typo-gate" / "gate.json").read_text())
    rule = next(r for r in result["rules"] if r["kind"] == "check_present")
    assert rule["check"] == "disclaimr" and rule["status"] == "fail"


def test_engine_errors_over_the_maximum_fail(runs: dict[str, Path]) -> None:
    tmp = runs["tmp"]
    dataset = str(tmp / "datasets" / "navis-gold.yaml")
    rubric = str(tmp / "rubrics" / "navis-v1.yaml")
    ids = item_ids(runs["base"])
    rec = recordings_from(runs["base"], tmp / "errors.jsonl", errors=set(ids[:4]))
    run = replay_run(tmp / "runs", "errors", rec, dataset=dataset, rubric=rubric, limit=LIMIT)
    policy = tmp / "errors.yaml"
    policy.write_text("max_error_rate: 0.05\n", encoding="utf-8")
    code, output = gate(run, "--policy", policy)
    assert code == 1
    assert "error rate" in output and "10.0% (4/40)" in output


def test_the_default_policy_is_valid_and_documented() -> None:
    loaded = load_policy(ROOT / "evals" / "gate.yaml")
    policy = loaded.policy
    assert 0 < policy.alpha < 1 and policy.max_error_rate is not None
    assert policy.zero_tolerance is not None and policy.zero_tolerance.checks
    assert policy.min_pass_rate.by_cancer_type is not None and policy.min_pass_rate.by_cancer_type.min_items >= 5
    text = (ROOT / "evals" / "gate.yaml").read_text(encoding="utf-8")
    assert text.count("#") > 30  # every rule is explained in comments


def test_gate_output_is_deterministic(runs: dict[str, Path], tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        code, _ = gate(runs["bad"], "--policy", runs["policy"], "--baseline", runs["base"], "--out", out, "--no-report")
        assert code == 1
    for name in ("gate.json", "gate.md", "junit.xml"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    shutil.rmtree(first)
