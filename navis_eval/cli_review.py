"""``navis-eval review RUN_DIR... | review export | review agreement``: the reviewer workbench.

``review`` is a command group whose first argument may be a run directory instead of a
subcommand: ``navis-eval review reports/runs/a reports/runs/b`` serves those runs (it is short for
``review serve ...``). A run directory that happens to be called ``export`` can be given as
``./export``. The web stack (fastapi, uvicorn, jinja2) is imported only when serving.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from navis_eval.cli import _guard, app

DEFAULT_DB = Path("reports/review.sqlite")


class ReviewGroup(TyperGroup):
    """A group that treats a first argument which is not a subcommand as the start of ``serve``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


review_app = typer.Typer(
    cls=ReviewGroup,
    no_args_is_help=True,
    help=(
        "Reviewer workbench. `navis-eval review RUN_DIR... [--host 127.0.0.1] [--port N] [--db PATH] [--token T]` "
        "serves a local web app where clinicians confirm or overturn what the checks flagged; "
        "`review export` and `review agreement` read the verdict database."
    ),
)
app.add_typer(review_app, name="review")

DbOption = Annotated[Path, typer.Option("--db", help="The review database (SQLite).")]


def _open_store(db: Path) -> Any:
    from navis_eval.review.store import ReviewStore

    return ReviewStore(db, create=False)


@review_app.command("serve")
@_guard
def serve(
    run_dirs: Annotated[list[Path], typer.Argument(metavar="RUN_DIR", help="One or more finished run directories.")],
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but loopback requires --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    db: DbOption = DEFAULT_DB,
    token: Annotated[
        str | None,
        typer.Option(help="Access token every request must carry (also $NAVIS_REVIEW_TOKEN). Required off loopback."),
    ] = None,
) -> None:
    """Serve the review web app for one or more run directories (same as `navis-eval review RUN_DIR...`)."""
    try:
        from navis_eval.review.app import serve as serve_app
    except ModuleNotFoundError as exc:
        from navis_eval.errors import InputError

        raise InputError(
            f"the review app needs the 'review' extra ({exc.name} is missing): pip install 'navis-eval[review]'"
        ) from None
    token = token if token is not None else (os.environ.get("NAVIS_REVIEW_TOKEN") or None)
    serve_app(list(run_dirs), host=host, port=port, db=db, token=token)


@review_app.command("export")
@_guard
def export(
    db: DbOption,
    fmt: Annotated[
        str, typer.Option("--format", help="csv or jsonl (one row per verdict), or labeled (datasets/labeled format).")
    ] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Output file (default: standard output).")] = None,
    split: Annotated[str, typer.Option(help="For --format labeled: dev, test, or auto (stable by question id).")] = "auto",
) -> None:
    """Export verdicts, or reviewed answers as labeled data for `validate-checks`."""
    from navis_eval.review.export import export as run_export

    text, result = run_export(_open_store(db), fmt, out, split=split)
    if text is not None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        skipped = f" ({result.skipped} reviewed answers without a decisive label left out)" if result.skipped else ""
        typer.echo(f"wrote {result.rows} {'examples' if fmt == 'labeled' else 'verdicts'} to {out}{skipped}", err=True)


@review_app.command("agreement")
@_guard
def agreement(
    db: DbOption,
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """Per check: precision of flags and Cohen's kappa; per reviewer pair: agreement and kappa."""
    import json

    from navis_eval.errors import InputError
    from navis_eval.review.agreement import agreement as compute
    from navis_eval.review.agreement import format_text

    if fmt not in ("text", "json"):
        raise InputError("must be 'text' or 'json'", field="--format")
    report = compute(_open_store(db).verdicts())
    if fmt == "json":
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        typer.echo(format_text(report), nl=False)
