"""The web app over HTTP (FastAPI's TestClient): headers, escaping, filters, CSRF, host and token checks."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from navis_eval.review.app import create_app  # noqa: E402
from navis_eval.review.rundata import ReviewData, load_runs  # noqa: E402
from navis_eval.review.security import CSP  # noqa: E402
from navis_eval.review.store import ReviewStore  # noqa: E402
from tests.conftest import navis  # noqa: E402
from tests.test_review_support import HOSTILE_IMG, HOSTILE_SCRIPT, Runs, runs  # noqa: E402,F401

BASE = "http://127.0.0.1:8765"
TOKEN = "s3cret-token-for-tests-0123"


@pytest.fixture(scope="module")
def data(runs: Runs) -> ReviewData:  # noqa: F811
    return load_runs(runs.paths)


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    return ReviewStore(tmp_path / "review.sqlite")


@pytest.fixture
def client(data: ReviewData, store: ReviewStore) -> TestClient:
    return TestClient(create_app(data, store), base_url=BASE, follow_redirects=False)


def form_of(html: str) -> dict[str, str]:
    """The hidden fields of the verdict form, as a browser would send them."""
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return {k: v.replace("&amp;", "&") for k, v in fields.items()}


def item_url(run_id: str, item_id: str) -> str:
    return f"/item/{run_id}/{item_id}"


def first_flag(data: ReviewData, check: str | None = None) -> tuple[str, str, str]:
    for view in data.flagged():
        for result in view.flags:
            if check is None or result.check == check:
                return view.run.run_id, view.item_id, result.check
    raise AssertionError("no flag")


def post_verdict(client: TestClient, run_id: str, item_id: str, check: str, decision: str, reviewer: str = "Dr A", **extra: str):  # type: ignore[no-untyped-def]
    page = client.get(item_url(run_id, item_id))
    assert page.status_code == 200
    form = {**form_of(page.text), "reviewer": reviewer, "decide": f"{decision}:{check}", f"note:{check}": "checked"}
    headers = {"Origin": BASE}
    headers.update({k.replace("_", "-"): v for k, v in extra.items()})
    return client.post("/verdict", data=form, headers=headers)


# --- headers and escaping -------------------------------------------------------------------


def test_every_response_carries_the_strict_csp_and_no_inline_code(client: TestClient, data: ReviewData, runs: Runs) -> None:  # noqa: F811
    run_id, item_id, _ = first_flag(data)
    for path in ("/", item_url(run_id, item_id), "/agreement", "/static/review.js", "/nope"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CSP
        assert CSP == "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        if response.headers["content-type"].startswith("text/html"):
            html = response.text
            scripts = re.findall(r"<script\b[^>]*>", html)
            assert all('src="/static/' in s for s in scripts), scripts
            tags = re.findall(r"<[a-zA-Z][^>]*>", html)  # real tags only: escaped engine text has no "<"
            assert not any(t.startswith("<style") or re.search(r"\sstyle=", t) for t in tags)
            assert not any(re.search(r"\son[a-z]+=", t) for t in tags), "no inline event handlers"


def test_engine_text_is_escaped(client: TestClient, runs: Runs) -> None:  # noqa: F811
    html = client.get(item_url("run-candidate", runs.hostile_id)).text
    assert HOSTILE_SCRIPT not in html and HOSTILE_IMG not in html
    assert "&lt;script&gt;window.__navisPwned" in html
    assert "&lt;img src=x onerror=&#34;window.__navisPwnedImg" in html
    assert len(re.findall(r"<script\b", html)) == 1 and "<img" not in html


def test_session_cookie_is_httponly_and_samesite_strict(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie


# --- queue ----------------------------------------------------------------------------------


def rows_of(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr class="qrow[^"]*" data-href="[^"]*" data-item="([^"]+)" data-run="([^"]+)"', html)


def test_queue_lists_flagged_answers_with_counts_filters_and_sorting(client: TestClient, data: ReviewData, runs: Runs) -> None:  # noqa: F811
    html = client.get("/").text
    rows = rows_of(html)
    assert len(rows) == len(data.flagged()) and (runs.ids[4], "run-candidate") not in rows  # a clean answer is not queued
    assert f"<strong>{len(rows)}</strong> of {len(data.flagged())} flagged answers" in html
    by_check = rows_of(client.get("/?check=required_sections").text)
    expected = {(v.item_id, v.run.run_id) for v in data.flagged() if any(r.check == "required_sections" for r in v.flags)}
    assert by_check and set(by_check) == expected
    breast = rows_of(client.get("/?cancer_type=breast").text)
    assert breast and all(item.startswith("q-breast") for item, _ in breast)
    other = rows_of(client.get("/?engine=engine-other").text)
    assert other and {run for _, run in other} == {"run-other"}
    by_item = [item for item, _ in rows_of(client.get("/?sort=item").text)]
    assert by_item == sorted(by_item)
    assert [i for i, _ in rows_of(client.get("/?sort=item&dir=desc").text)] == sorted(by_item, reverse=True)
    assert rows_of(client.get("/?cancer_type=nonexistent").text) == []
    assert client.get("/?sort=%3Cscript%3E&status=bogus&page=x").status_code == 200  # bad params fall back to defaults


def test_review_status_filter_follows_verdicts(client: TestClient, data: ReviewData) -> None:
    view = next(v for v in data.flagged() if len(v.flags) == 1)
    (result,) = view.flags
    assert post_verdict(client, view.run.run_id, view.item_id, result.check, "confirm").status_code == 303
    done = rows_of(client.get("/?status=done").text)
    todo = rows_of(client.get("/?status=todo").text)
    assert (view.item_id, view.run.run_id) in done and (view.item_id, view.run.run_id) not in todo
    assert (view.item_id, view.run.run_id) not in rows_of(client.get("/?status=mine").text)  # the cookie says who I am


# --- verdicts and CSRF ----------------------------------------------------------------------


def test_a_verdict_is_recorded_and_a_later_one_keeps_history(client: TestClient, store: ReviewStore, data: ReviewData) -> None:
    run_id, item_id, check = first_flag(data)
    first = post_verdict(client, run_id, item_id, check, "confirm")
    assert first.status_code == 303 and first.headers["location"].startswith(item_url(run_id, item_id))
    assert "navis_review_reviewer=Dr%20A" in first.headers["set-cookie"]
    assert post_verdict(client, run_id, item_id, check, "overturn").status_code == 303
    rows = store.verdicts()
    assert [(v.verdict, v.current) for v in rows] == [("confirm", False), ("overturn", True)]
    assert rows[0].rubric_name == data.runs[run_id].rubric["name"] and rows[0].note == "checked"
    page = client.get(item_url(run_id, item_id)).text
    assert "History (2 verdicts)" in page and "superseded" in page
    assert 'value="Dr A"' in page  # the reviewer's name is remembered


def test_posts_without_the_csrf_token_are_refused(client: TestClient, store: ReviewStore, data: ReviewData) -> None:
    run_id, item_id, check = first_flag(data)
    page = client.get(item_url(run_id, item_id))
    good = {**form_of(page.text), "reviewer": "Dr A", "decide": f"confirm:{check}"}
    origin = {"Origin": BASE}
    assert client.post("/verdict", data={k: v for k, v in good.items() if k != "csrf"}, headers=origin).status_code == 403
    assert client.post("/verdict", data={**good, "csrf": "0" * 64}, headers=origin).status_code == 403
    # a cross-site page, or a request that names no origin at all
    assert client.post("/verdict", data=good, headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.post("/verdict", data=good, headers={"Referer": "http://evil.example/page"}).status_code == 403
    assert client.post("/verdict", data=good).status_code == 403
    assert client.post("/verdict", data=good, headers={"Origin": "null"}).status_code == 403
    # the token belongs to one session: another browser's cookie does not match it
    stranger = TestClient(client.app, base_url=BASE, follow_redirects=False)
    stranger.get("/")
    assert stranger.post("/verdict", data=good, headers=origin).status_code == 403
    assert store.count() == 0
    # same-origin Referer (no Origin) with the right token is accepted
    assert client.post("/verdict", data=good, headers={"Referer": f"{BASE}/item/x"}).status_code == 303
    assert store.count() == 1


def test_bad_verdicts_are_refused_with_a_clear_page(client: TestClient, store: ReviewStore, data: ReviewData) -> None:
    run_id, item_id, check = first_flag(data)
    assert post_verdict(client, run_id, item_id, check, "confirm", reviewer="  ").status_code == 400
    assert post_verdict(client, run_id, item_id, check, "maybe").status_code == 400
    assert post_verdict(client, run_id, item_id, "no_such_check", "confirm").status_code == 400
    assert store.count() == 0
    assert client.get(item_url("run-candidate", "no-such-item")).status_code == 404
    assert client.put("/verdict").status_code == 405


def test_passed_results_can_be_spot_checked(client: TestClient, store: ReviewStore, data: ReviewData) -> None:
    view = next(v for v in data.flagged() if any(r.status == "passed" for r in v.results))
    passed = next(r for r in view.results if r.status == "passed")
    assert post_verdict(client, view.run.run_id, view.item_id, passed.check, "overturn").status_code == 303
    (row,) = store.verdicts()
    assert (row.harness_status, row.label) == ("passed", "fail")


# --- host and token -------------------------------------------------------------------------


def test_foreign_host_headers_are_refused_on_loopback(client: TestClient) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: refuse it."""
    assert client.get("/", headers={"Host": "evil.example:8765"}).status_code == 421
    assert client.get("/", headers={"Host": "localhost:8765"}).status_code == 200


def test_with_a_token_every_request_needs_it(data: ReviewData, store: ReviewStore) -> None:
    app = create_app(data, store, token=TOKEN, bind_host="0.0.0.0", cookie_suffix="9000")
    anon = TestClient(app, base_url="http://10.0.0.5:9000", follow_redirects=False)
    for path in ("/", "/agreement", "/static/review.css", "/export/verdicts.csv", "/healthz"):
        assert anon.get(path).status_code == 401, path
    assert anon.get("/?token=wrong-token-wrong-token").status_code == 401
    assert anon.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert anon.get("/", headers={"X-Navis-Token": TOKEN}).status_code == 200
    login = anon.get(f"/?token={TOKEN}&check=disclaimer")
    assert login.status_code == 303 and login.headers["location"] == "/?check=disclaimer"
    assert "navis_review_token_9000=" in login.headers["set-cookie"] and "HttpOnly" in login.headers["set-cookie"]
    assert anon.get("/").status_code == 200  # the cookie now carries it
    assert anon.get("/static/review.css").status_code == 200


def test_serve_refuses_unsafe_binding(runs: Runs, tmp_path: Path) -> None:  # noqa: F811
    db = str(tmp_path / "r.sqlite")
    open_bind = navis("review", str(runs.a), "--host", "0.0.0.0", "--db", db)
    assert open_bind.returncode == 2 and "--token" in open_bind.stderr and "Traceback" not in open_bind.stderr
    weak = navis("review", str(runs.a), "--host", "0.0.0.0", "--token", "short", "--db", db)
    assert weak.returncode == 2 and "at least 16" in weak.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = navis("review", str(runs.a), "--port", str(busy.getsockname()[1]), "--db", db)
    assert taken.returncode == 2 and "cannot listen" in taken.stderr


def test_agreement_page_and_exports(client: TestClient, data: ReviewData) -> None:
    run_id, item_id, check = first_flag(data)
    post_verdict(client, run_id, item_id, check, "confirm", reviewer="Dr A")
    post_verdict(client, run_id, item_id, check, "overturn", reviewer="Dr B")
    page = client.get("/agreement").text
    assert "Dr A · Dr B" in page and check.replace("_", " ") in page
    csv_text = client.get("/export/verdicts.csv")
    assert csv_text.status_code == 200 and csv_text.text.count("\n") == 3
    assert "attachment" in csv_text.headers["content-disposition"]
    assert client.get("/export/labeled.jsonl").status_code == 200
    assert client.get("/export/../../etc/passwd").status_code == 404
    assert client.get("/static/..%2Fapp.py").status_code == 404
