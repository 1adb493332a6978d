"""``report``, ``trend`` and ``gate``: the commands that read finished run directories.

Registered on the main Typer app when :mod:`navis_eval.cli` imports this module. Heavy imports
(matplotlib, numpy) happen inside the commands so ``navis-eval --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from navis_eval.cli import _guard, app

EXIT_GATE_FAILED = 1


@app.command()
@_guard
def report(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory.")],
    max_flagged: Annotated[int, typer.Option(min=0, help="Flagged answers shown in full in report.html.")] = 100,
) -> None:
    """Write report.html (self-contained) and report.md (for a PR comment) into a run directory."""
    from navis_eval.report import write_run_report

    html_path, md_path = write_run_report(run_dir, max_flagged=max_flagged)
    typer.echo(f"report: {html_path}\nsummary: {md_path}")


@app.command()
@_guard
def trend(
    run_dirs: Annotated[list[Path] | None, typer.Argument(help="Run directories to compare (any order; sorted by time).")] = None,
    history: Annotated[
        Path | None, typer.Option(help="A folder of run directories (e.g. reports/runs) instead of RUN_DIR...")
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option(help="With --history: only runs whose label matches this glob (repeatable).")
    ] = None,
    last: Annotated[int | None, typer.Option(min=2, help="Only the most recent N runs.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for trend.html, trend.json and the PNG plots.")] = Path(
        "reports/trend"
    ),
) -> None:
    """Pass rate per check over runs, per cancer type, and the questions that flipped between releases."""
    from navis_eval.errors import InputError
    from navis_eval.report.trend import discover_runs, write_trend

    notes: list[str] = []
    if history is not None and run_dirs:
        raise InputError("give run directories or --history, not both", field="--history")
    if history is not None:
        paths, notes = discover_runs(history, labels=label)
        if not paths:
            raise InputError("no finished run directories" + (" with a matching --label" if label else ""), path=history)
    elif run_dirs:
        if label:
            raise InputError("--label filters --history; with RUN_DIR... name the runs you want", field="--label")
        paths = list(run_dirs)
    else:
        raise InputError("give one or more run directories, or --history DIR", field="RUN_DIR")
    outputs = write_trend(paths, out, notes=notes, last=last)
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"trend: {outputs.html}")
    for png in outputs.pngs:
        typer.echo(f"plot: {png}")


@app.command()
@_guard
def gate(
    run_dir: Annotated[Path, typer.Argument(help="The run directory of the release candidate.")],
    policy: Annotated[str, typer.Option(help="Gate policy YAML.")] = "evals/gate.yaml",
    baseline: Annotated[
        Path | None, typer.Option(help="Run directory of the baseline release, for paired regression tests.")
    ] = None,
    allow_mismatch: Annotated[bool, typer.Option(help="Compare with a baseline measured on another dataset or rubric.")] = False,
    out: Annotated[
        Path | None, typer.Option(help="Where to write gate.json, gate.md and junit.xml (default: the run directory).")
    ] = None,
    report: Annotated[bool, typer.Option(help="Rewrite report.html / report.md with the verdict at the top.")] = True,
) -> None:
    """Judge a run against a release policy. Exit 0 pass, 1 fail, 2 usage or input error."""
    from navis_eval.report.gate import evaluate_gate, format_table, load_policy, write_gate_outputs
    from navis_eval.report.rundata import load_run

    loaded = load_policy(policy)
    candidate = load_run(run_dir)
    base = load_run(baseline) if baseline is not None else None
    result = evaluate_gate(loaded, candidate, base, allow_mismatch=allow_mismatch)
    target = out or candidate.path
    outputs = write_gate_outputs(result, target)
    if report and target.resolve() == candidate.path.resolve():
        from navis_eval.report import write_run_report

        write_run_report(candidate.path)
    typer.echo(format_table(result), nl=False)
    typer.echo(f"  wrote {outputs.markdown}, {outputs.junit}")
    if result.verdict != "pass":
        raise typer.Exit(EXIT_GATE_FAILED)
