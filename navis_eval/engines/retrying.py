"""Helpers that turn transport failures into :class:`EngineCallError` with retry hints."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

from navis_eval.engines.base import EngineCallError

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), if any."""
    if not headers:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def status_error(status: int, body: str, headers: Mapping[str, str] | None) -> EngineCallError:
    """An error for a non-2xx response; 429/5xx are retryable and carry Retry-After."""
    snippet = " ".join(body.split())[:200]
    return EngineCallError(
        "http_status",
        f"HTTP {status}" + (f": {snippet}" if snippet else ""),
        retryable=status in RETRYABLE_STATUS,
        retry_after=parse_retry_after(headers),
        status_code=status,
    )
