"""Formatting shared by every report: numbers are formatted here, never computed here."""

from __future__ import annotations

import html
import re
from typing import Any

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")  # inline markup and HTML; text never starts a line
_WS = re.compile(r"\s+")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(value: Any) -> str:
    """HTML-escape anything (quotes too, so it is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def pp(value: float | None) -> str:
    """A difference of rates in percentage points."""
    return "–" if value is None else f"{value * 100:+.1f} pp"


def ci(entry: dict[str, Any] | None) -> str:
    if not entry or entry.get("ci_low") is None:
        return "–"
    return f"{entry['ci_low'] * 100:.1f}–{entry['ci_high'] * 100:.1f}%"


def rate_text(entry: dict[str, Any] | None) -> str:
    """'92.0% (46/50; 95% CI 81.2–96.9%)' from a summary entry."""
    if not entry or not entry.get("n"):
        return "no scored items"
    return f"{pct(entry['pass_rate'])} ({entry['passed']}/{entry['n']}; 95% CI {ci(entry)})"


def pvalue(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 0.0001:
        return "p<0.0001"
    return f"p={value:.4f}"


def short_hash(value: str | None) -> str:
    if not value:
        return "-"
    return value.split(":", 1)[-1][:8]


def md_text(value: Any, limit: int | None = None) -> str:
    """One line of untrusted text made inert in Markdown (GitHub renders some HTML in Markdown)."""
    text = _WS.sub(" ", "" if value is None else str(value)).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: Any) -> str:
    """Text for inside a Markdown code span (backslash escapes do not apply there)."""
    return "`" + _WS.sub(" ", "" if value is None else str(value)).replace("`", "'").strip() + "`"


def xml_text(value: Any) -> str:
    """Drop characters XML 1.0 cannot carry (engine output may contain control bytes)."""
    return _XML_INVALID.sub("\ufffd", "" if value is None else str(value))
