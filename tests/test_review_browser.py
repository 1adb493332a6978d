"""The workbench in a real browser: Debian's chromium, headless, driven by Playwright.

The app is served by the real CLI (`navis-eval review RUN_DIR...`, uvicorn on 127.0.0.1 and a free
port), started and stopped by the tests. Without chromium these tests skip on a developer machine
and fail in CI (CI=true), where `.ci/run` installs it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from navis_eval.review.store import ReviewStore
from tests.conftest import ROOT
from tests.test_review_support import HOSTILE_SCRIPT, Runs, runs  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_browser() -> Any:
    in_ci = bool(os.environ.get("CI"))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci:
            pytest.fail("playwright is not installed (the dev extra provides it)")
        pytest.skip("playwright is not installed")
    if not CHROMIUM.exists():
        if in_ci:
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return sync_playwright


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    run_dirs: list[Path]
    db: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = [
            sys.executable,
            "-m",
            "navis_eval",
            "review",
            *map(str, self.run_dirs),
            "--port",
            str(self.port),
            "--db",
            str(self.db),
        ]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.proc.stdout.read() if self.proc.stdout else ''}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def server(runs: Runs, tmp_path: Path) -> Iterator[Server]:  # noqa: F811
    srv = Server(runs.paths, tmp_path / "review.sqlite")
    srv.start()
    yield srv
    srv.stop()


@dataclass
class Watched:
    page: Any
    dialogs: list[str]
    console: list[str]
    page_errors: list[str]


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    w = Watched(page, [], [], [])

    def on_dialog(dialog: Any) -> None:
        w.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: w.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: w.page_errors.append(str(e)))
    yield w
    context.close()


def queue_items(page: Any) -> list[str]:
    return page.eval_on_selector_all("tr.qrow", "rows => rows.map(r => r.dataset.run + '|' + r.dataset.item)")


def test_filter_open_highlight_and_record_a_verdict_with_the_keyboard(watched: Watched, server: Server, runs: Runs) -> None:  # noqa: F811
    page = watched.page
    page.goto(server.base + "/")
    everything = queue_items(page)
    assert len(everything) >= 5 and f"run-candidate|{runs.ids[4]}" not in everything

    # filter by check: the select submits itself
    with page.expect_navigation():
        page.select_option("select[name=check]", "required_sections")
    assert "check=required_sections" in page.url
    filtered = queue_items(page)
    assert 0 < len(filtered) < len(everything)
    chips = page.eval_on_selector_all("tr.qrow", "rows => rows.map(r => r.querySelector('.chips').innerText)")
    assert all("required sections" in c for c in chips)

    # keyboard: j moves the selection, Enter opens it
    assert page.locator("tr.qrow.current").count() == 1
    first = page.locator("tr.qrow.current").get_attribute("data-item")
    if len(filtered) > 1:
        page.keyboard.press("j")
        assert (
            page.locator("tr.qrow.current").get_attribute("data-item") != first
            or len(set(i.split("|")[1] for i in filtered)) == 1
        )
        page.keyboard.press("k")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/item/" in page.url and "check=required_sections" in page.url
    run_id, item_id = page.input_value("input[name=run_id]"), page.input_value("input[name=item_id]")
    assert f"{run_id}|{item_id}" == filtered[0]

    # the flag's span is highlighted in the answer, labelled by its check, with its reason on hover
    flag = page.locator("section.flag.active")
    check = flag.get_attribute("data-check")
    flagged = "#answer-text mark.hl.flagged:is(.k-offending, .k-found)"
    marks = page.locator(f"{flagged}[data-label*='{check.replace('_', ' ')}']")
    if marks.count() == 0:  # a flag on the answer as a whole has no span; take one that has
        marks = page.locator(f"{flagged}.hl-start")
    assert marks.count() >= 1 and marks.first.is_visible()
    assert marks.first.get_attribute("title")
    assert marks.first.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert marks.first.evaluate("el => getComputedStyle(el, '::before').content").strip('"')  # the check label

    # record a verdict with the keyboard: name first, then "c"
    page.fill("#reviewer", "Dr Keyboard")
    page.locator("section.flag.active textarea").fill("the questions section is missing")
    page.locator("h1.question-text").click()
    with page.expect_navigation():
        page.keyboard.press("c")
    assert page.locator("#saved").inner_text().startswith("Recorded confirm")
    page.reload()
    card = page.locator(f"section.flag[data-check='{check}']")
    assert card.locator(".state-badge").inner_text() == "confirmed"
    assert "Dr Keyboard: confirm" in card.locator(".current-verdicts").inner_text()
    assert "the questions section is missing" in card.inner_text()

    # stop the server, start it again: the verdict is still there
    server.stop()
    server.start()
    page.reload()
    card = page.locator(f"section.flag[data-check='{check}']")
    assert card.locator(".state-badge").inner_text() == "confirmed"
    (kept,) = ReviewStore(server.db).verdicts()
    assert (kept.run_id, kept.item_id, kept.check, kept.reviewer, kept.verdict) == (
        run_id,
        item_id,
        check,
        "Dr Keyboard",
        "confirm",
    )

    # the queue (filtered to this check) now shows it reviewed, and "o" on the same flag adds to its history
    page.goto(server.base + f"/?status=done&check={check}")
    assert queue_items(page) == [f"{run_id}|{item_id}"]
    assert "state-confirmed" in (page.locator("tr.qrow .chip").first.get_attribute("class") or "")
    page.goto(server.base + f"/item/{run_id}/{item_id}?focus={check}")
    with page.expect_navigation():
        page.keyboard.press("o")
    assert [v.verdict for v in ReviewStore(server.db).verdicts()] == ["confirm", "overturn"]
    assert not watched.dialogs and not watched.page_errors
    assert not [m for m in watched.console if "Content Security Policy" in m], watched.console


def test_a_hostile_answer_runs_nothing(watched: Watched, server: Server, runs: Runs) -> None:  # noqa: F811
    page = watched.page
    page.goto(f"{server.base}/item/run-candidate/{runs.hostile_id}")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert watched.dialogs == []
    assert page.evaluate("typeof window.__navisPwned") == "undefined"
    assert page.evaluate("typeof window.__navisPwnedImg") == "undefined"
    # the markup is shown as text, and the page holds only our own script and no image
    assert HOSTILE_SCRIPT in page.locator("#answer-text").inner_text()
    assert page.locator("script").count() == 1 and page.locator("script").get_attribute("src").startswith("/static/")
    assert page.locator("img").count() == 0
    # hover and click the flagged spans: still nothing runs
    for mark in page.locator("#answer-text mark.hl").all()[:5]:
        mark.hover()
    page.locator("#answer-text").click()
    page.wait_for_timeout(200)
    assert watched.dialogs == [] and page.evaluate("typeof window.__navisPwned") == "undefined"
    assert not watched.page_errors
    assert not [m for m in watched.console if "Content Security Policy" in m], watched.console


def test_grounded_claims_link_to_their_context_sentences(watched: Watched, server: Server) -> None:
    page = watched.page
    page.goto(server.base + "/?check=grounding")
    items = queue_items(page)
    if not items:
        pytest.skip("the rubric in use has no grounding check")
    run_id, item_id = items[0].split("|")
    page.goto(f"{server.base}/item/{run_id}/{item_id}")
    linked = page.locator("#answer-text mark.hl[data-target]")
    assert linked.count() >= 1
    target = linked.first.get_attribute("data-target")
    twin = page.locator(f"#contexts mark.hl[data-marks~='{target}']")
    assert twin.count() >= 1 and twin.first.get_attribute("data-label")
    unsupported = page.locator("#answer-text mark.hl.k-offending[data-label*='unsupported']")
    assert unsupported.count() >= 1
    linked.first.click()
    page.wait_for_timeout(300)
    assert "flash" in (twin.first.get_attribute("class") or "")
