from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "1")
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own response cache, so tests never see each other's answers."""
    monkeypatch.setenv("NAVIS_CACHE_DIR", str(tmp_path / "navis-cache"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def navis(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess (as users and CI do)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "navis_eval", *args],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def seed_answers() -> list[str]:
    if not SEEDS.is_dir():
        pytest.skip("shared seeds are not available")
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("0*.txt"))]
