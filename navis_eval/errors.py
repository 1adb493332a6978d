"""Errors that carry enough location to fix the input: file, line and field."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class NavisError(Exception):
    """Base class; the CLI turns it into a one-line message and a non-zero exit."""

    exit_code = 2


class InputError(NavisError):
    """Bad user input (a data file, config, rubric or policy): exit code 2, nothing written."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.detail = message
        where = ""
        if self.path:
            where = self.path
            if line is not None:
                where += f":{line}"
            where += ": "
        if field:
            where += f"field '{field}': "
        # One line, always: control characters from user data (a key with a newline) are escaped.
        super().__init__(_one_line(f"{where}{message}"))


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def from_validation_error(
    exc: ValidationError, *, path: str | Path | None, line: int | None = None
) -> InputError:
    """Report the first pydantic error with its dotted field path."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or None
    message = first.get("msg", "invalid value")
    if first.get("type") == "extra_forbidden":
        message = "unknown field"
    elif first.get("type") == "missing":
        message = "required field is missing"
    return InputError(message, path=path, line=line, field=field)
