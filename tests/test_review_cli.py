"""The `review` command line: shapes, errors, and no web stack imported until serving."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, navis


def test_importing_the_cli_loads_no_web_stack() -> None:
    code = (
        "import sys, navis_eval.cli\n"
        "heavy = [m for m in ('fastapi', 'uvicorn', 'jinja2', 'starlette', 'navis_eval.review.app') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr


def test_review_help_names_every_shape() -> None:
    result = navis("review", "--help")
    assert result.returncode == 0
    for word in ("RUN_DIR", "export", "agreement", "--token"):
        assert word in result.stdout
    assert navis("review", "export", "--help").returncode == 0


def test_a_run_dir_first_means_serve_and_bad_ones_are_one_line_errors(tmp_path: Path) -> None:
    missing = navis("review", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such run directory" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    not_a_run = navis("review", "--port", "9", str(tmp_path))  # options may come first
    assert not_a_run.returncode == 2 and "not a run directory" in not_a_run.stderr
    no_db = navis("review", "agreement", "--db", str(tmp_path / "none.sqlite"))
    assert no_db.returncode == 2 and "no review database" in no_db.stderr
    folder = navis("review", "export", "--db", str(tmp_path), "--format", "csv")
    assert folder.returncode == 2 and "Traceback" not in folder.stderr
