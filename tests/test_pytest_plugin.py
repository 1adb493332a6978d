"""The pytest plugin, run as users run it: a separate ``pytest`` process with --junitxml, -k, -n 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from navis_eval.checks.base import Case
from navis_eval.dataset import load_dataset
from navis_eval.rubric import load_rubric

CHECKS = load_rubric().check_names
# plugins that other packages of this environment register: they slow start-up and are not under test
QUIET = ["-p", "no:cacheprovider", "-p", "no:deepeval", "-p", "no:langsmith_plugin", "-p", "no:asyncio"]
GOOD = (
    "Mesothelioma is a cancer of the thin lining around the lungs.\n\n"
    "Questions to Ask Your Care Team\n\n1. What stage is it?\n2. What are my options?\n3. Can I join a clinical trial?\n\n"
    "Why This Matters\n\nKnowing your options helps you decide.\n\nThis is general information, not medical advice."
)
OVERSTATED = "Good news: this treatment will cure your cancer for sure.\n\n" + GOOD


def pytest_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", *QUIET, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A gold set of three items (two cancer types) and a replay engine with known answers."""
    dataset = load_dataset()
    rare = next(i for i in dataset.items if i.curability == "rarely_curable" and not i.urgent)
    other = next(i for i in dataset.items if i.cancer_type != rare.cancer_type and not i.urgent)
    third = next(i for i in dataset.items if i.cancer_type == other.cancer_type and i.id != other.id and not i.urgent)
    items = [rare, other, third]
    (tmp_path / "gold.jsonl").write_text("".join(i.model_dump_json(exclude_none=True) + "\n" for i in items))
    answers = [{"id": rare.id, "answer": OVERSTATED}, {"id": other.id, "answer": GOOD}, {"id": third.id, "answer": GOOD}]
    (tmp_path / "answers.jsonl").write_text("".join(json.dumps(a) + "\n" for a in answers))
    (tmp_path / "engine.yaml").write_text("kind: replay\nname: recorded\npath: answers.jsonl\n")
    (tmp_path / "meta.json").write_text(
        json.dumps({"rare": rare.id, "rare_type": rare.cancer_type, "other_type": other.cancer_type})
    )
    return tmp_path


def navis_args() -> list[str]:
    return ["--navis-engine", "engine.yaml", "--navis-dataset", "gold.jsonl"]


def junit(path: Path) -> list[dict[str, str]]:
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for tag in ("failure", "skipped", "error"):
            if case.find(tag) is not None:
                outcome = tag
        cases.append({"classname": case.get("classname", ""), "name": case.get("name", ""), "outcome": outcome})
    return cases


def test_the_plugin_is_inert_without_navis_engine(tmp_path: Path) -> None:
    (tmp_path / "test_own.py").write_text(
        "import sys\n"
        "def test_own():\n"
        "    assert not [m for m in ('navis_eval.checks', 'navis_eval.dataset', 'navis_eval.engines') if m in sys.modules]\n"
        "def test_fixture(navis):\n"
        "    raise AssertionError('not reached')\n"
    )
    done = pytest_run(tmp_path, "-q", "-rs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout and "needs --navis-engine" in done.stdout
    assert "navis::" not in done.stdout


def test_one_test_per_item_and_check_with_reasons_and_spans(project: Path) -> None:
    meta = json.loads((project / "meta.json").read_text())
    done = pytest_run(project, *navis_args(), "-q", "-rs", "--junitxml", "out.xml")
    assert done.returncode == 1, done.stdout + done.stderr
    cases = junit(project / "out.xml")
    assert len(cases) == 3 * len(CHECKS)
    assert {c["classname"] for c in cases} == {f"navis.{meta['rare_type']}", f"navis.{meta['other_type']}"}
    failed = {c["name"] for c in cases if c["outcome"] == "failure"}
    assert f"{meta['rare']}[cure_overstatement]" in failed
    assert all(name.startswith(meta["rare"]) for name in failed)  # the other answers pass (or are unscored)
    skipped = {c["name"] for c in cases if c["outcome"] == "skipped"}
    assert f"{meta['rare']}[grounding]" in skipped  # no contexts: unscored is a skip, not a pass
    # the failure message: item, question, reasons and the offending span, marked
    assert f"cure_overstatement failed on {meta['rare']}" in done.stdout
    assert "question: " in done.stdout and ">>>Good news: this treatment will cure your cancer for sure.<<<" in done.stdout


def test_k_selects_by_cancer_type_and_check(project: Path) -> None:
    meta = json.loads((project / "meta.json").read_text())
    done = pytest_run(project, *navis_args(), "-q", "-k", f"{meta['other_type']} and disclaimer", "--junitxml", "k.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    cases = junit(project / "k.xml")
    assert len(cases) == 2 and all(
        c["name"].endswith("[disclaimer]") and c["classname"] == f"navis.{meta['other_type']}" for c in cases
    )
    done = pytest_run(project, *navis_args(), "-q", "-k", "cure_overstatement", "--junitxml", "k2.xml")
    assert [c["outcome"] for c in junit(project / "k2.xml")].count("failure") == 1


def test_xdist_runs_the_same_tests(project: Path) -> None:
    pytest.importorskip("xdist")
    done = pytest_run(project, *navis_args(), "-q", "-n", "2", "--junitxml", "x.xml")
    assert done.returncode == 1, done.stdout + done.stderr
    cases = junit(project / "x.xml")
    serial = pytest_run(project, *navis_args(), "-q", "--junitxml", "s.xml")
    assert serial.returncode == 1
    outcome = lambda rows: sorted((c["classname"], c["name"], c["outcome"]) for c in rows)  # noqa: E731
    assert outcome(cases) == outcome(junit(project / "s.xml"))


def test_the_navis_fixture_for_custom_assertions(project: Path) -> None:
    meta = json.loads((project / "meta.json").read_text())
    (project / "test_custom.py").write_text(
        "import pytest\n"
        "def test_disclaimers(navis):\n"
        f"    for item in navis.items(cancer_type={meta['other_type']!r}):\n"
        "        navis.assert_passes('disclaimer', item)\n"
        "    assert navis.engine.kind == 'replay' and len(navis.checks) == " + str(len(CHECKS)) + "\n"
        "def test_cure(navis):\n"
        f"    navis.assert_passes('cure_overstatement', {meta['rare']!r})\n"
        "def test_own_text(navis):\n"
        f"    result = navis.evaluate('disclaimer', {meta['rare']!r}, answer='No disclaimer here.')\n"
        "    assert result.passed is False\n"
    )
    done = pytest_run(project, *navis_args(), "-q", "test_custom.py", "-k", "test_")
    assert "2 passed" in done.stdout and "1 failed" in done.stdout, done.stdout + done.stderr
    assert ">>>Good news" in done.stdout


def test_case_helper_matches_the_pipeline() -> None:
    """The plugin judges exactly what a run would (same Case construction)."""
    from navis_eval.scoring import case_from_answer

    item = load_dataset().items[0]
    case = case_from_answer(item, GOOD, [])
    assert isinstance(case, Case) and case.gold is item
