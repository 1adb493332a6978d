"""Real run directories for the reviewer-workbench tests, plus tests of loading and highlighting.

Runs are made the way users make them: the reference engine answers a few gold questions, and the
replay engine plays back edited copies of those answers (a disclaimer removed, the questions
section cut, an invented drug claim, hostile markup) so that checks really fail.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from navis_eval.checks import check_classes
from navis_eval.dataset import load_dataset
from navis_eval.engines import load_engine_config
from navis_eval.errors import InputError
from navis_eval.pipeline import Selection, start_run
from navis_eval.review.highlight import highlight, segments
from navis_eval.review.rundata import ResultView, load_runs
from navis_eval.runner import RunOptions
from tests.conftest import ROOT

QUIET = RunOptions(progress=False)
HOSTILE_SCRIPT = "<script>window.__navisPwned = 1; alert(1)</script>"
HOSTILE_IMG = '<img src=x onerror="window.__navisPwnedImg = 1; alert(2)">'
INVENTED = "Zorvatinib cures 95% of patients within 3 weeks."


@dataclass
class Runs:
    a: Path
    b: Path
    ids: list[str]
    hostile_id: str
    rubric: Path

    @property
    def paths(self) -> list[Path]:
        return [self.a, self.b]


def pick_ids() -> list[str]:
    """Two questions from each of three cancer types, one of them high risk where possible."""
    items = load_dataset().items
    chosen: list[str] = []
    for cancer in ("aml", "breast", "pancreatic"):
        of_type = [i for i in items if i.cancer_type == cancer]
        high = [i for i in of_type if i.risk == "high"][:1]
        rest = [i for i in of_type if i not in high]
        chosen.extend(i.id for i in (high + rest)[:2])
    order = {i.id: n for n, i in enumerate(items)}
    return sorted(chosen, key=order.__getitem__)


def review_rubric(folder: Path) -> Path:
    """The default rubric, plus the grounding check (with its defaults) when the rubric lacks it."""
    base = yaml.safe_load((ROOT / "rubrics" / "navis-v1.yaml").read_text(encoding="utf-8"))
    if "grounding" in check_classes() and "grounding" not in base["checks"]:
        base["checks"]["grounding"] = {}
        base["name"] = "navis-v1-review-test"
    path = folder / "rubric.yaml"
    path.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    try:
        from navis_eval.rubric import load_rubric

        load_rubric(path)
    except InputError:  # grounding needs settings this test cannot guess: keep the default rubric
        path.write_text((ROOT / "rubrics" / "navis-v1.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def without_disclaimer(text: str) -> str:
    keep = [
        line
        for line in text.split("\n")
        if not re.search(r"medical advice|general information|educational|informational|substitute|replace", line, re.I)
    ]
    return "\n".join(keep)


def without_questions(text: str) -> str:
    return re.sub(r"Important Questions.*?(?=Why This Matters)", "", text, flags=re.S | re.I)


def make_runs(tmp: Path) -> Runs:
    ids = pick_ids()
    rubric = review_rubric(tmp)
    ref = start_run(
        engine_config=load_engine_config("evals/engines/reference.yaml")[0],
        selection=Selection(ids=tuple(ids)),
        options=QUIET,
        runs_dir=tmp,
        run_id="reference",
        rubric_path=str(rubric),
    )
    answers = {json.loads(line)["item_id"]: json.loads(line) for line in ref.run.answers_path.read_text().splitlines() if line}

    def recording(item_id: str, text: str) -> dict[str, Any]:
        return {"id": item_id, "answer": text, "contexts": answers[item_id]["contexts"]}

    first = [
        recording(ids[0], f"{HOSTILE_SCRIPT}\n{without_disclaimer(answers[ids[0]]['text'])}\n{HOSTILE_IMG}\n"),
        recording(ids[1], without_disclaimer(answers[ids[1]]["text"])),
        recording(ids[2], without_questions(answers[ids[2]]["text"])),
        recording(ids[3], without_disclaimer(answers[ids[3]]["text"]).replace("\n\n", f"\n\n{INVENTED} ", 1)),
        recording(ids[4], answers[ids[4]]["text"]),
        recording(ids[5], without_questions(without_disclaimer(answers[ids[5]]["text"]))),
    ]
    second = [
        recording(ids[0], without_disclaimer(answers[ids[0]]["text"])),
        recording(ids[1], answers[ids[1]]["text"]),
        recording(ids[2], answers[ids[2]]["text"]),
        recording(ids[3], without_questions(answers[ids[3]]["text"])),
        recording(ids[4], without_disclaimer(answers[ids[4]]["text"])),
        recording(ids[5], answers[ids[5]]["text"]),
    ]
    paths = []
    for name, lines in (("candidate", first), ("other", second)):
        path = tmp / f"{name}.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        outcome = start_run(
            engine_config=load_engine_config("replay", [f"path={path}", f"name=engine-{name}"])[0],
            selection=Selection(ids=tuple(ids)),
            options=QUIET,
            runs_dir=tmp,
            run_id=f"run-{name}",
            label=f"{name} release",
            rubric_path=str(rubric),
        )
        paths.append(outcome.run.path)
    return Runs(a=paths[0], b=paths[1], ids=ids, hostile_id=ids[0], rubric=rubric)


_BUILT: list[Runs] = []


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Built once per test process and shared by every review test module (read-only)."""
    if not _BUILT:
        _BUILT.append(make_runs(tmp_path_factory.mktemp("review-runs")))
    return _BUILT[0]


# --- loading --------------------------------------------------------------------------------


def test_runs_load_with_flags_gold_and_check_names_from_the_runs(runs: Runs) -> None:
    data = load_runs(runs.paths)
    assert list(data.runs) == ["run-candidate", "run-other"]
    assert data.runs["run-candidate"].engine_name == "engine-candidate"
    manifest = json.loads((runs.a / "manifest.json").read_text())
    assert data.checks == manifest["checks"]  # from the run, not a list in the code
    flagged = {v.item_id for v in data.flagged() if v.run.run_id == "run-candidate"}
    assert flagged == set(runs.ids) - {runs.ids[4]}
    hostile = data.get("run-candidate", runs.hostile_id)
    assert hostile is not None and hostile.gold is not None and hostile.question == hostile.gold.question
    assert {r.check for r in hostile.flags} >= {"disclaimer"}
    snap = hostile.snapshot()
    assert snap.answer.startswith(HOSTILE_SCRIPT) and snap.contexts and snap.gold["curability"] == hostile.gold.curability


def test_bad_run_directories_are_input_errors(runs: Runs, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such run directory"):
        load_runs([tmp_path / "missing"])
    with pytest.raises(InputError, match="not a run directory"):
        load_runs([tmp_path])
    with pytest.raises(InputError, match="given twice"):
        load_runs([runs.a, runs.a])


# --- highlighting ---------------------------------------------------------------------------


def test_overlapping_spans_of_two_checks_are_cut_at_every_boundary() -> None:
    text = "Alpha beta gamma delta."
    results = [
        ResultView("one", "failed", 0.0, [], [{"start": 0, "end": 10, "text": "Alpha beta", "kind": "offending", "note": "n1"}]),
        ResultView("two", "failed", 0.0, [], [{"start": 6, "end": 16, "text": "beta gamma", "kind": "offending", "note": "n2"}]),
    ]
    out = highlight(text, [], results, {"one": 0, "two": 1})
    assert "".join(s.text for s in out.answer) == text
    pieces = [(s.text, [m.check for m in s.marks]) for s in out.answer]
    assert pieces == [("Alpha ", ["one"]), ("beta", ["one", "two"]), (" gamma", ["two"]), (" delta.", [])]
    assert "one: n1" in out.answer[1].tooltip and "two: n2" in out.answer[1].tooltip


def test_grounding_claims_link_to_their_context_sentences_both_ways() -> None:
    contexts = ["First sentence here. Drug X lowers risk by half."]
    answer = "Drug X lowers risk by half. Drug Y cures everyone."
    evidence = [
        {
            "start": 0,
            "end": 27,
            "text": "Drug X lowers risk by half.",
            "kind": "supporting",
            "note": "supported",
            "support": {"context_index": 0, "start": 21, "end": 48, "text": "Drug X lowers risk by half."},
        },
        {
            "start": 28,
            "end": 50,
            "text": "Drug Y cures everyone.",
            "kind": "offending",
            "note": "not in the contexts: Y",
            "support": {"context_index": 0, "start": 0, "end": 20, "text": "First sentence here."},
        },
    ]
    out = highlight(answer, contexts, [ResultView("grounding", "failed", 0.5, [], evidence)], {"grounding": 2})
    supported, unsupported = out.marks_by_check["grounding"]
    assert (supported.kind, supported.claim, unsupported.kind, unsupported.claim) == ("supporting", 1, "offending", 2)
    twins = {m.id: m for s in out.contexts[0] for m in s.marks}
    assert twins[supported.target].kind == "support" and twins[supported.target].target == supported.id
    assert twins[unsupported.target].kind == "nearest" and "unsupported claim 2" in twins[unsupported.target].label
    assert contexts[0][twins[supported.target].start : twins[supported.target].end] == "Drug X lowers risk by half."


def test_wrong_offsets_are_repaired_by_text_and_unknown_text_is_counted_not_drawn() -> None:
    text = "One two three."
    results = [
        ResultView(
            "c",
            "failed",
            0.0,
            [],
            [
                {"start": 0, "end": 3, "text": "two", "kind": "offending"},
                {"start": 90, "end": 99, "text": "absent", "kind": "offending"},
            ],
        ),
        ResultView("d", "passed", 1.0, [], [{"start": 0, "end": 3, "text": "One", "kind": "found"}]),
    ]
    out = highlight(text, [], results, {})
    marks = out.marks_by_check["c"]
    assert [(m.start, m.end) for m in marks] == [(4, 7)]
    assert out.unlocated == {"c": 1}
    assert "d" not in out.marks_by_check  # a passed check's findings are not flags


def test_segments_without_marks_is_the_text() -> None:
    assert [s.text for s in segments("plain", [])] == ["plain"]
    assert segments("", []) == []
