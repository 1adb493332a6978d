"""Where the bundled datasets, rubrics and engine configs live.

From a source checkout they are the repository's own folders; from an installed wheel they are
copies packaged under ``navis_eval/_bundled``. Paths given by the user always win.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_CANDIDATE_ROOTS = (PACKAGE_DIR.parent, PACKAGE_DIR / "_bundled")


def resolve_bundled(path: str | Path) -> Path:
    """Return ``path`` if it exists (relative to the working directory), else the bundled copy."""
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    for root in _CANDIDATE_ROOTS:
        bundled = root / candidate
        if bundled.exists():
            return bundled
    return candidate


def resolve_relative(value: str | Path, base: Path) -> Path:
    """A path from a config file: relative to the file's folder, else the working directory."""
    candidate = Path(value)
    if candidate.is_absolute():
        return candidate
    beside = base / candidate
    if beside.exists():
        return beside
    return resolve_bundled(candidate)
