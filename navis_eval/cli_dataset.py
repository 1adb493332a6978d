"""``navis-eval dataset validate | stats | export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from navis_eval.cli import _guard, app

dataset_app = typer.Typer(help="Validate, describe and export the gold set and corpus.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")

DatasetOption = Annotated[str | None, typer.Option("--dataset", help="Dataset descriptor (.yaml) or gold JSONL. Default: the bundled gold set.")]


@dataset_app.command("validate")
@_guard
def validate(dataset: DatasetOption = None) -> None:
    """Check schema, cross-references (cited passages exist, ids unique) and the declared minimums."""
    from navis_eval.dataset import load_dataset
    from navis_eval.dataset_validation import validate_dataset

    loaded = load_dataset(dataset)
    problems = validate_dataset(loaded)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {loaded.name} {loaded.version}", err=True)
        raise typer.Exit(2)
    typer.echo(f"{loaded.name} {loaded.version}: {len(loaded.items)} questions, {len(loaded.corpus)} passages, valid ({loaded.hash})")


@dataset_app.command("stats")
@_guard
def stats(
    dataset: DatasetOption = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """Print the composition: cancer type x category, risk, coverage, curability, corpus."""
    from navis_eval.dataset import load_dataset
    from navis_eval.dataset_validation import dataset_stats
    from navis_eval.errors import InputError

    if fmt not in ("text", "json"):
        raise InputError("must be 'text' or 'json'", field="--format")
    data = dataset_stats(load_dataset(dataset))
    if fmt == "json":
        typer.echo(json.dumps(data, indent=2, sort_keys=False))
        return
    typer.echo(f"{data['name']} {data['version']}  {data['questions']} questions, {data['cancer_types']} cancer types, {data['passages']} passages")
    for key in ("by_category", "by_risk", "by_coverage", "by_curability"):
        typer.echo(f"{key[3:]}: " + ", ".join(f"{k} {v}" for k, v in data[key].items()))
    typer.echo(f"urgent {data['urgent']}, with patient profile {data['with_patient_profile']}, with criteria {data['with_criteria']}")


@dataset_app.command("export")
@_guard
def export(
    out: Annotated[Path, typer.Option("--out", help="Folder for gold.parquet and corpus.parquet.")],
    dataset: DatasetOption = None,
) -> None:
    """Export the gold set and corpus to Parquet (loadable with pandas or `datasets`)."""
    from navis_eval.dataset import load_dataset
    from navis_eval.hf import export_parquet

    for path in export_parquet(load_dataset(dataset), out):
        typer.echo(str(path))


@dataset_app.command("import-healthbench")
@_guard
def import_healthbench(
    input_file: Annotated[Path, typer.Argument(metavar="IN.jsonl", help="HealthBench-format JSONL.")],
    out: Annotated[Path, typer.Option("--out", help="Gold JSONL to write (usable as --dataset).")],
    cancer_type: Annotated[str, typer.Option(help="cancer_type of every imported item, e.g. breast or general.")],
    category: Annotated[str, typer.Option(help="category of every imported item, e.g. what_is or side_effects.")],
    risk: Annotated[str, typer.Option(help="standard or high.")] = "standard",
    expected_coverage: Annotated[str, typer.Option(help="covered, partial or not_covered.")] = "not_covered",
    id_prefix: Annotated[str, typer.Option(help="Prefix of the item ids (prompt_id follows).")] = "hb-",
    multi_turn: Annotated[str, typer.Option(help="Conversations with earlier turns: skip, or join into the question.")] = "skip",
    require_tag: Annotated[list[str] | None, typer.Option(help="Keep only examples with this example tag (repeatable).")] = None,
    match: Annotated[str | None, typer.Option(help="Keep only prompts matching this regex (case-insensitive).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most N items.")] = None,
) -> None:
    """Import HealthBench-format examples as gold items; their rubrics become `criteria` for the healthbench judge."""
    import re

    from navis_eval.errors import InputError
    from navis_eval.hf import healthbench_items
    from navis_eval.jsonl import write_jsonl
    from navis_eval.models import CATEGORIES

    if category not in CATEGORIES:
        raise InputError(f"unknown category (known: {', '.join(CATEGORIES)})", field="--category")
    if multi_turn not in ("skip", "join"):
        raise InputError("must be 'skip' or 'join'", field="--multi-turn")
    if match is not None:
        try:
            re.compile(match)
        except re.error as exc:
            raise InputError(f"not a valid regular expression: {exc}", field="--match") from None
    if out.resolve() == input_file.resolve():
        raise InputError("output would overwrite the input", path=out, field="--out")
    items, skipped = healthbench_items(
        input_file,
        cancer_type=cancer_type,
        category=category,
        risk=risk,
        expected_coverage=expected_coverage,
        id_prefix=id_prefix,
        multi_turn=multi_turn,
        require_tags=tuple(require_tag or ()),
        match=match,
        limit=limit,
    )
    if not items:
        reasons = ", ".join(f"{k} {v}" for k, v in skipped.items() if v)
        raise InputError(f"no example was imported (all skipped: {reasons})", path=input_file)
    write_jsonl(out, [i.model_dump(mode="json", exclude_none=True) for i in items])
    criteria = sum(len(i.criteria) for i in items)
    left = ", ".join(f"{k} {v}" for k, v in skipped.items() if v)
    typer.echo(f"imported {len(items)} items with {criteria} criteria -> {out}" + (f" (skipped: {left})" if left else ""))
