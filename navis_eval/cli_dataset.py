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
