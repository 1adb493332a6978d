"""Secret values read from the environment, and scrubbing them out of anything we write.

Engine and judge configs refer to secrets by environment variable (``api_key_env: X`` or
``${X}`` in headers). Every value read that way is registered here, and every error message and
record goes through :func:`scrub` before it is written, so a key echoed back by a failing server
never reaches a file.
"""

from __future__ import annotations

import os
import re

from navis_eval.errors import InputError

_REGISTERED: set[str] = set()
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def register(value: str) -> None:
    if value and len(value) >= 4:
        _REGISTERED.add(value)


def read_secret(variable: str, *, required: bool = True, where: str | None = None) -> str | None:
    """Read a secret from the environment and register it for scrubbing."""
    value = os.environ.get(variable)
    if value is None:
        if required:
            raise InputError(f"environment variable {variable} is not set", path=where, field=variable)
        return None
    register(value)
    return value


def expand_env(text: str, *, where: str | None = None) -> str:
    """Substitute ``${VAR}`` references; every substituted value is treated as a secret."""

    def substitute(match: re.Match[str]) -> str:
        value = read_secret(match.group(1), where=where)
        assert value is not None
        return value

    return _ENV_REF.sub(substitute, text)


def scrub(text: str) -> str:
    """Replace every registered secret value in ``text`` with ``[redacted]``."""
    for value in sorted(_REGISTERED, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "[redacted]")
    return text
