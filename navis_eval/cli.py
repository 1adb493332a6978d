"""The ``navis-eval`` command line. Heavy libraries are imported inside commands so --help is instant.

Exit codes: 0 success; 1 a verdict failed (gate); 2 bad usage or input (nothing written);
3 a run stopped early (``--max-errors``); 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

app = typer.Typer(
    name="navis-eval",
    help="Evaluate patient-facing oncology answer engines: run, score, report and gate releases.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_STOPPED = 3
JUDGE_HELP = (
    "Add LLM-judged verdicts (grounding.llm, <check>.llm, healthbench) with this judge config, e.g. evals/judges/example.yaml."
)
MLFLOW_URI_HELP = "MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else the local file store ./mlruns)."


def _quiet_third_parties() -> None:
    """Third-party telemetry stays off unless the user turned it on explicitly."""
    for key, value in (
        ("DEEPEVAL_TELEMETRY_OPT_OUT", "1"),
        ("DEEPEVAL_DISABLE_DOTENV", "1"),
        ("DEEPEVAL_NO_INSPECT_PROMPT", "1"),
        ("RAGAS_DO_NOT_TRACK", "true"),
        ("HF_HUB_OFFLINE", "1"),
        ("HF_HUB_DISABLE_TELEMETRY", "1"),
        ("MLFLOW_DISABLE_TELEMETRY", "true"),
        ("DO_NOT_TRACK", "1"),
    ):
        os.environ.setdefault(key, value)


def _fail(exc: Exception) -> NoReturn:
    from navis_eval.errors import NavisError
    from navis_eval.secrets import scrub

    code = exc.exit_code if isinstance(exc, NavisError) else 2
    typer.echo(f"navis-eval: error: {scrub(str(exc))}", err=True)
    raise typer.Exit(code)


def _guard(func):  # type: ignore[no-untyped-def]
    """Turn our input errors into one clear line and exit 2, never a traceback."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        from navis_eval.errors import NavisError

        _quiet_third_parties()
        try:
            return func(*args, **kwargs)
        except NavisError as exc:
            _fail(exc)
        except KeyboardInterrupt:
            typer.echo("navis-eval: interrupted; resume with `navis-eval run --resume RUN_DIR`", err=True)
            raise typer.Exit(130) from None

    return wrapper


def _split(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


def _print_summary(outcome) -> None:  # type: ignore[no-untyped-def]
    summary = outcome.summary
    out = sys.stdout
    out.write(f"\nrun {outcome.manifest.run_id}: {outcome.manifest.status}\n")
    out.write(
        f"  items {summary['selected_items']}, answered {summary['answered']}, errors {summary['errors']}"
        f" ({summary['error_rate']:.1%}), cached {summary['cached']}\n"
    )
    if summary["error_kinds"]:
        kinds = ", ".join(f"{k} {v}" for k, v in summary["error_kinds"].items())
        out.write(f"  error kinds: {kinds}\n")
    out.write(f"  {'check':<24}{'pass rate':>10}  {'95% CI':<15}{'passed':>7}{'failed':>7}{'unscored':>9}\n")
    for name, entry in summary["checks"].items():
        rate = "-" if entry["pass_rate"] is None else f"{entry['pass_rate']:.1%}"
        ci = "" if entry["ci_low"] is None else f"{entry['ci_low']:.1%}-{entry['ci_high']:.1%}"
        out.write(f"  {name:<24}{rate:>10}  {ci:<15}{entry['passed']:>7}{entry['failed']:>7}{entry['unscored']:>9}\n")
    _print_judge(summary)
    out.write(f"  run directory: {outcome.run.path}\n")
    if outcome.manifest.stop_reason:
        out.write(f"  stopped: {outcome.manifest.stop_reason}\n")


@app.command()
@_guard
def run(
    engine: Annotated[str, typer.Option("--engine", "-e", help="Engine kind (reference, openai, http, python, replay) or a YAML config such as evals/engines/reference.yaml.")] = "evals/engines/reference.yaml",
    engine_set: Annotated[list[str] | None, typer.Option("--set", "-E", help="Override an engine setting: key=value (repeatable), e.g. -E model=gpt-4o.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset descriptor (.yaml) or gold JSONL. Default: the bundled gold set.")] = None,
    rubric: Annotated[str | None, typer.Option(help="Rubric YAML. Default: rubrics/navis-v1.yaml.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder that holds run directories.")] = Path("reports/runs"),
    run_id: Annotated[str | None, typer.Option(help="Name of the run directory (default: time-engine-random).")] = None,
    label: Annotated[str | None, typer.Option(help="Label for reports and trends, e.g. a release name.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N selected items.")] = None,
    cancer_type: Annotated[list[str] | None, typer.Option(help="Only these cancer types (repeatable or comma-separated).")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Only these categories.")] = None,
    risk: Annotated[list[str] | None, typer.Option(help="Only these risk tiers.")] = None,
    ids: Annotated[list[str] | None, typer.Option(help="Only these item ids.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=1024, help="Requests in flight at once.")] = 8,
    timeout: Annotated[float, typer.Option(min=0.01, help="Seconds allowed per request.")] = 120.0,
    retries: Annotated[int, typer.Option(min=0, max=20, help="Retries per item for retryable failures.")] = 3,
    rpm: Annotated[float | None, typer.Option(min=0.1, help="Maximum requests per minute.")] = None,
    max_errors: Annotated[int | None, typer.Option(min=0, help="Stop the run after more than this many engine errors.")] = None,
    max_answer_chars: Annotated[int, typer.Option(min=1, help="Longer answers are recorded as errors (oversized_answer).")] = 100_000,
    resume: Annotated[Path | None, typer.Option(help="Continue an interrupted run directory.")] = None,
    retry_errors: Annotated[bool, typer.Option(help="With --resume: call the engine again for items that ended in an error.")] = False,
    allow_mismatch: Annotated[bool, typer.Option(help="With --resume: continue although dataset, rubric or engine changed.")] = False,
    cache: Annotated[bool, typer.Option(help="Use the response cache (.navis-cache/, or $NAVIS_CACHE_DIR).")] = True,
    report: Annotated[bool, typer.Option(help="Write report.html and report.md into the run directory.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    judge: Annotated[str | None, typer.Option("--judge", help=JUDGE_HELP)] = None,
    mlflow: Annotated[bool, typer.Option("--mlflow", help="Log parameters, metrics per check and the report to MLflow.")] = False,
    mlflow_uri: Annotated[str | None, typer.Option("--mlflow-uri", help=MLFLOW_URI_HELP)] = None,
    mlflow_experiment: Annotated[str, typer.Option("--mlflow-experiment", help="MLflow experiment name.")] = "navis-eval",
) -> None:
    """Run the gold set through an engine, score every answer, and write a run directory."""
    from navis_eval.engines import load_engine_config
    from navis_eval.pipeline import Selection, resume_run, start_run
    from navis_eval.runner import RunOptions

    judge_config = _judge_config(judge)
    if mlflow:
        from navis_eval.integrations.mlflow import require_mlflow

        require_mlflow()

    options = RunOptions(
        concurrency=concurrency,
        timeout=timeout,
        retries=retries,
        requests_per_minute=rpm,
        max_errors=max_errors,
        max_answer_chars=max_answer_chars,
        progress=not quiet,
    )
    if resume is not None:
        config = load_engine_config(engine, engine_set)[0] if engine_set or engine != "evals/engines/reference.yaml" else None
        outcome = resume_run(
            resume,
            options=options,
            engine_config=config,
            retry_errors=retry_errors,
            allow_mismatch=allow_mismatch,
            use_cache=cache,
            judge_config=judge_config,
        )
    else:
        config, _ = load_engine_config(engine, engine_set)
        selection = Selection(
            limit=limit,
            cancer_types=_split(cancer_type),
            categories=_split(category),
            risks=_split(risk),
            ids=_split(ids),
        )
        outcome = start_run(
            engine_config=config,
            dataset_path=dataset,
            rubric_path=rubric,
            selection=selection,
            options=options,
            runs_dir=out,
            run_id=run_id,
            label=label,
            use_cache=cache,
            judge_config=judge_config,
        )
    _print_summary(outcome)
    if report:
        _write_report(outcome.run.path)
    if mlflow:
        from navis_eval.integrations.mlflow import log_run

        logged = log_run(outcome.run.path, tracking_uri=mlflow_uri, experiment=mlflow_experiment)
        typer.echo(f"  mlflow: run {logged.run_id} in experiment '{mlflow_experiment}' at {logged.tracking_uri}")
    if outcome.manifest.status != "complete":
        raise typer.Exit(EXIT_STOPPED)


def _judge_config(path: str | None):  # type: ignore[no-untyped-def]
    if path is None:
        return None
    from navis_eval.judges import load_judge_config

    return load_judge_config(path)


def _print_judge(summary: dict) -> None:  # type: ignore[type-arg]
    judge = summary.get("judge")
    if not judge:
        return
    tokens = judge.get("tokens", {})
    cost = judge.get("cost_usd")
    sys.stdout.write(
        f"  judge {judge.get('name')}: {judge.get('calls', 0)} calls, {judge.get('cache_hits', 0)} cache hits, "
        f"{tokens.get('total', 0)} tokens"
        + (f", ${cost:.4f}" if cost is not None else "")
        + f", {judge.get('errors', 0)} errors\n"
    )
    for check, d in judge.get("disagreement", {}).items():
        if d.get("n"):
            sys.stdout.write(
                f"    {check} vs {d['judge']}: agree {d['agree']}/{d['n']}, "
                f"deterministic passed/LLM failed {d['deterministic_passed_llm_failed']}, "
                f"deterministic failed/LLM passed {d['deterministic_failed_llm_passed']}\n"
            )


def _write_report(run_path: Path) -> None:
    try:
        from navis_eval.report import write_run_report
    except ImportError:
        return
    paths = write_run_report(run_path)
    typer.echo(f"  report: {paths[0]}")


@app.command()
@_guard
def rescore(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory.")],
    rubric: Annotated[str | None, typer.Option(help="Rubric YAML to score with.")] = None,
    out: Annotated[Path | None, typer.Option(help="New run directory (default: beside the original).")] = None,
    in_place: Annotated[bool, typer.Option(help="Overwrite the run's own results instead.")] = False,
    report: Annotated[bool, typer.Option(help="Write report.html and report.md.")] = True,
) -> None:
    """Score a run's recorded answers with a (new) rubric, without calling the engine."""
    from navis_eval.pipeline import rescore_run

    outcome = rescore_run(run_dir, rubric_path=rubric, out=out, in_place=in_place)
    _print_summary(outcome)
    if report:
        _write_report(outcome.run.path)


@app.command()
@_guard
def score(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT.jsonl", help="Lines of {id, question, answer, contexts, cancer_type?, metadata?}.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output JSONL, one line per input line.")],
    rubric: Annotated[str | None, typer.Option(help="Rubric YAML. Default: rubrics/navis-v1.yaml.")] = None,
    judge: Annotated[str | None, typer.Option("--judge", help=JUDGE_HELP)] = None,
    cache: Annotated[bool, typer.Option(help="Use the judge cache (.navis-cache/, or $NAVIS_CACHE_DIR).")] = True,
) -> None:
    """Score recorded answers without any engine (stable output format for external tooling)."""
    from navis_eval.checks import build_checks
    from navis_eval.rubric import load_rubric
    from navis_eval.score_file import score_file

    loaded = load_rubric(rubric)
    checks = build_checks(loaded)
    suite = None
    judge_config = _judge_config(judge)
    if judge_config is not None:
        from navis_eval.judges import JudgeSuite

        suite = JudgeSuite(judge_config, loaded.check_names, use_cache=cache)
    count = score_file(input_file, out, checks, judge=suite)
    judged = f" and {len(suite.names)} LLM judges" if suite else ""
    typer.echo(f"scored {count} answers with {len(checks)} checks{judged} -> {out}")
    if suite is not None and suite.last_usage is not None:
        u = suite.last_usage
        typer.echo(
            f"judge {judge_config.display_name}: {u['calls']} calls, {u['cache_hits']} cache hits, {u['tokens']['total']} tokens"
            + (f", ${u['cost_usd']:.4f}" if u.get("cost_usd") is not None else "")
            + f", {u['errors']} errors"
        )


# Command groups that live in their own modules register themselves on `app` when imported.
# Each module keeps heavy imports inside its command functions, so --help stays fast.
from navis_eval import cli_checks, cli_dataset, cli_report, cli_review  # noqa: E402, F401


def main() -> None:
    app()

