"""``navis-eval validate-checks``: how well each check agrees with clinician-style labels."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from navis_eval.cli import _guard, app

DEFAULT_KQA = "../shared/external/kqa/nli_medical_annotator.csv"


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class Split(StrEnum):
    dev = "dev"
    test = "test"


@app.command("validate-checks")
@_guard
def validate_checks_command(
    labeled: Annotated[
        list[Path] | None,
        typer.Argument(metavar="LABELED.jsonl...", help="Labeled answers (one or more JSONL files)."),
    ] = None,
    rubric: Annotated[str | None, typer.Option(help="Rubric YAML. Default: rubrics/navis-v1.yaml.")] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for machines.")
    ] = OutputFormat.text,
    split: Annotated[Split | None, typer.Option(help="Only lines of this split (tune on dev, report test).")] = None,
    kqa: Annotated[
        Path | None,
        typer.Option(help=f"Also measure grounding's claim support on K-QA's NLI pairs, e.g. {DEFAULT_KQA} (skipped if absent)."),
    ] = None,
    show_errors: Annotated[bool, typer.Option(help="List each disagreement with the label and the check's reasons.")] = False,
    judge: Annotated[
        str | None, typer.Option("--judge", help="Also measure the LLM judges (<check>.llm) of this judge config on the labeled answers.")
    ] = None,
) -> None:
    """Per check: confusion counts, precision, recall, F1 (failures = positive class) and balanced accuracy."""
    from navis_eval.checks import build_checks
    from navis_eval.errors import InputError
    from navis_eval.rubric import load_rubric
    from navis_eval.validation import as_json, format_text, load_labeled, validate_checks, validate_kqa

    if not labeled and kqa is None:
        raise InputError("give LABELED.jsonl files, --kqa PATH, or both", field="LABELED.jsonl")
    loaded = load_rubric(rubric)
    checks = build_checks(loaded)
    report: dict[str, object] = {"rubric": {"name": loaded.name, "version": loaded.version, "hash": loaded.hash}}
    texts: list[str] = []
    if labeled:
        items = load_labeled(labeled, split.value if split else None)
        table = validate_checks(items, checks)
        report["labeled"] = {"files": [str(p) for p in labeled], "split": split.value if split else "all", "answers": len(items)}
        report["checks"] = as_json(table, with_errors=show_errors)
        where = split.value if split else "all splits"
        title = f"{len(items)} labeled answers ({where}), rubric {loaded.name} {loaded.version}; failures are the positive class"
        texts.append(format_text(table, title))
        if show_errors:
            for name, confusion in table.items():
                for error in confusion.errors:
                    texts.append(
                        f"  {name}: {error['id']} labeled {error['label']}, check {error['status']}: "
                        f"{' | '.join(error['reasons'])[:400]}"
                    )
    if judge is not None:
        texts += _measure_judges(judge, loaded, labeled, split, report, show_errors)
    if kqa is not None:
        grounding = next((c for c in checks if c.name == "grounding"), None)
        if grounding is None:
            raise InputError("the rubric does not enable the grounding check", field="--kqa")
        result = validate_kqa(kqa, grounding)
        if result is None:
            report["kqa"] = {"skipped": f"{kqa} not found"}
            texts.append(f"K-QA: skipped ({kqa} not found)")
        else:
            report["kqa"] = result.as_dict(with_errors=show_errors)
            labels = ", ".join(f"{k} {v}" for k, v in sorted(result.labels.items()))
            texts.append(
                format_text(
                    {"grounding (claim)": result.confusion},
                    f"K-QA claim support: {result.pairs} pairs ({labels}); not supported = positive class",
                )
            )
            if show_errors:
                for error in result.confusion.errors:
                    texts.append(
                        f"  row {error['row']} {error['label']}: {error['claim'][:120]} | {'; '.join(error['problems'])}"
                    )
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        typer.echo("\n\n".join(texts))


def _measure_judges(judge: str, loaded, labeled, split, report: dict, show_errors: bool) -> list[str]:  # type: ignore[no-untyped-def, type-arg]
    """``--judge``: the same table for the LLM judges (each ``<check>.llm`` against ``<check>``'s label)."""
    from navis_eval.errors import InputError
    from navis_eval.judges import JudgeSuite, load_judge_config
    from navis_eval.judges.validation import validate_judges
    from navis_eval.validation import as_json, format_text, load_labeled

    if not labeled:
        raise InputError("--judge needs LABELED.jsonl files", field="--judge")
    suite = JudgeSuite(load_judge_config(judge), loaded.check_names)
    items = load_labeled(labeled, split.value if split else None)
    table = validate_judges(items, suite)
    report["judges"] = {**suite.describe(), "checks": as_json(table, with_errors=show_errors), "usage": suite.last_usage}
    texts = [format_text(table, f"LLM judge {suite.config.display_name} on the same answers; failures are the positive class")]
    if show_errors:
        for name, confusion in table.items():
            for error in confusion.errors:
                texts.append(f"  {name}: {error['id']} labeled {error['label']}, judge {error['status']}: {' | '.join(error['reasons'])[:400]}")
    return texts
