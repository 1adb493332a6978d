"""The HTML run report in a real browser: hostile answer text is shown as text and runs nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from navis_eval.report import write_run_report
from tests.test_review_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser
from tests.test_review_support import HOSTILE_SCRIPT, Runs, runs  # noqa: F401


def test_hostile_answer_text_is_inert_in_the_report(runs: Runs, tmp_path: Path) -> None:  # noqa: F811
    sync_playwright = _require_browser()
    run = tmp_path / "run"
    shutil.copytree(runs.a, run)  # the candidate run holds the <script> and <img onerror> answer
    html_path, _ = write_run_report(run)
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(Path(html_path).resolve().as_uri())
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)
            pwned = page.evaluate("() => [typeof window.__navisPwned, typeof window.__navisPwnedImg]")
            text = page.inner_text("body")
            scripts = page.evaluate("() => document.querySelectorAll('script').length")
        finally:
            browser.close()
    assert dialogs == []
    assert pwned == ["undefined", "undefined"]
    assert scripts == 0
    assert HOSTILE_SCRIPT in text  # shown to the reviewer as text
