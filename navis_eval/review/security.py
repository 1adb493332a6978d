"""The workbench's security model, in one place.

* Loopback by default. Bound to a loopback address, the server answers only requests whose Host
  header names a loopback host, which defeats DNS-rebinding pages that would otherwise read
  patient answers from another site. Binding to any other address requires a token.
* Token. With ``--token`` every request must carry it: an ``Authorization: Bearer`` or
  ``X-Navis-Token`` header, or the cookie set when a browser opens ``/?token=...`` once (the
  server then redirects to the same page without the token in the address).
* Cross-site requests. Every state change is a POST that must come with the session cookie
  (SameSite=Strict, HttpOnly), the per-session CSRF token from the form (an HMAC of the session
  id with a secret kept in the review database, so open pages survive a server restart), and an
  Origin (or, failing that, Referer) naming this server.
* Content. Engine text is only ever auto-escaped by jinja2, and every response carries a strict
  Content-Security-Policy: scripts and styles come from the app's own static files only, so even
  markup that slipped through could not run.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
MIN_TOKEN_LENGTH = 16


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The host part of a Host header (``[::1]:8000`` -> ``::1``)."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def check_token_strength(token: str) -> str | None:
    """Why a token is unacceptable, or None."""
    if len(token) < MIN_TOKEN_LENGTH:
        hint = "python -c 'import secrets; print(secrets.token_urlsafe(24))'"
        return f"--token must be at least {MIN_TOKEN_LENGTH} characters (make one with: {hint})"
    if any(ch.isspace() or ord(ch) < 33 for ch in token):
        return "--token must not contain spaces or control characters"
    return None


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(secret: str, session_id: str) -> str:
    return hmac.new(secret.encode("utf-8"), b"csrf:" + session_id.encode("utf-8"), hashlib.sha256).hexdigest()


def valid_csrf(secret: str, session_id: str | None, token: str | None) -> bool:
    if not session_id or not token:
        return False
    return hmac.compare_digest(csrf_token(secret, session_id), token)


def same_origin(origin: str | None, referer: str | None, scheme: str, host_header: str) -> bool:
    """Does a state-changing request come from one of our own pages?"""
    ours = f"{scheme}://{host_header}".lower()
    if origin is not None:
        return origin.lower() == ours
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() == ours
    return False
