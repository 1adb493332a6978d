"""The workbench web app: server-rendered pages over loaded runs and the verdict store.

Pages: the queue (``/``), one answer (``/item/{run}/{item}``), agreement (``/agreement``), and
read-only exports. The one state-changing request is ``POST /verdict``. See ``security`` for the
protections every request goes through. Needs the ``review`` extra.
"""

from __future__ import annotations

import inspect
import secrets
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from navis_eval import __version__
from navis_eval.errors import InputError
from navis_eval.review import security
from navis_eval.review.agreement import agreement
from navis_eval.review.export import render as render_export
from navis_eval.review.highlight import Highlighted, Mark, highlight
from navis_eval.review.queue import PAGE_SIZE, SORTS, STATUSES, Filters, FlagKey, build_queue, current_by_flag, flag_state
from navis_eval.review.rundata import ResultView, ReviewData
from navis_eval.review.store import VERDICTS, ReviewStore, Verdict

_PACKAGE = Path(__file__).resolve().parent
TEMPLATES = _PACKAGE / "templates"
STATIC = _PACKAGE / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
MAX_BODY = 256 * 1024
CHECK_COLORS = 8


class Settings:
    """Per-server settings shared by the middleware and the routes."""

    def __init__(self, data: ReviewData, store: ReviewStore, *, token: str | None, bind_host: str, cookie_suffix: str) -> None:
        self.data = data
        self.store = store
        self.token = token
        self.bind_host = bind_host
        suffix = "".join(ch for ch in cookie_suffix if ch.isalnum())
        self.session_cookie = f"navis_review_session{suffix and '_' + suffix}"
        self.token_cookie = f"navis_review_token{suffix and '_' + suffix}"
        self.reviewer_cookie = "navis_review_reviewer"
        self.colors = {name: i % CHECK_COLORS for i, name in enumerate(data.checks)}
        self.allowed_hosts: frozenset[str] | None = None
        if token is None:
            self.allowed_hosts = security.LOOPBACK_NAMES | {security.host_name(bind_host)}

    @cached_property
    def secret(self) -> str:
        return self.store.form_secret()

    @cached_property
    def asset_version(self) -> str:
        import hashlib

        digest = hashlib.sha256()
        for path in sorted(STATIC.iterdir()):
            digest.update(path.read_bytes())
        return digest.hexdigest()[:12]


def _cookie(response: Response, name: str, value: str, *, max_age: int | None = None, http_only: bool = True) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=http_only, samesite="strict")


def _page(status: int, title: str, message: str) -> HTMLResponse:
    env = _environment()
    html = env.get_template("message.html").render(title=title, message=message, page="message", asset_version="")
    return HTMLResponse(html, status_code=status)


_ENV: Environment | None = None


def _environment() -> Environment:
    global _ENV
    if _ENV is None:
        env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=True,  # every value rendered into HTML is escaped, engine text above all
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["pct"] = lambda v: "–" if v is None else f"{v:.0%}"
        env.filters["pct1"] = lambda v: "–" if v is None else f"{v:.1%}"
        env.filters["kappa"] = lambda v: "–" if v is None else f"{v:.2f}"
        env.filters["label"] = lambda v: str(v).replace("_", " ")
        env.filters["score"] = lambda v: "–" if v is None else f"{v:.2f}"
        env.filters["when"] = lambda v: str(v)[:19].replace("T", " ") + " UTC"
        _ENV = env
    return _ENV


@dataclass
class ResultCard:
    """One check result on the answer page, with the verdicts on it."""

    result: ResultView
    state: str
    current: list[Verdict]
    history: list[Verdict]
    marks: list[Mark]
    unlocated: int
    mine: Verdict | None

    @property
    def check(self) -> str:
        return self.result.check


def _card(
    answer: tuple[str, str],
    result: ResultView,
    current: dict[FlagKey, list[Verdict]],
    history: list[Verdict],
    marks: Highlighted,
    me: str,
) -> ResultCard:
    key = (*answer, result.check)
    verdicts = current.get(key, [])
    return ResultCard(
        result=result,
        state=flag_state(verdicts) if result.reviewable else "unscored",
        current=sorted(verdicts, key=lambda v: v.reviewer),
        history=[v for v in reversed(history) if v.key == key],
        marks=marks.marks_by_check.get(result.check, []),
        unlocated=marks.unlocated.get(result.check, 0),
        mine=next((v for v in verdicts if v.reviewer == me), None),
    )


def _item_url(run_id: str, item_id: str, query: str = "") -> str:
    url = f"/item/{quote(run_id, safe='')}/{quote(item_id, safe='')}"
    return f"{url}?{query}" if query else url


def create_app(
    data: ReviewData,
    store: ReviewStore,
    *,
    token: str | None = None,
    bind_host: str = "127.0.0.1",
    cookie_suffix: str = "",
) -> FastAPI:
    settings = Settings(data, store, token=token, bind_host=bind_host, cookie_suffix=cookie_suffix)
    options: dict[str, Any] = {"title": "navis-eval review", "docs_url": None, "redoc_url": None, "openapi_url": None}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters:
        # FastAPI's native OpenTelemetry hooks stay off: answers may contain patient data.
        options["telemetry"] = {
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        }
    app = FastAPI(**options)
    app.state.settings = settings
    env = _environment()

    # --- middleware: security headers, host, token, cross-site POSTs, session ----------------

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await _guarded(request, call_next)
        for name, value in security.SECURITY_HEADERS.items():
            response.headers[name] = value
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def _guarded(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        host_header = request.headers.get("host", "")
        if settings.allowed_hosts is not None and security.host_name(host_header) not in settings.allowed_hosts:
            return PlainTextResponse("unknown host: this server answers only on a loopback address", status_code=421)
        set_token_cookie = False
        if settings.token is not None:
            given = request.query_params.get("token")
            if given is not None and request.method == "GET" and security.same_token(given, settings.token):
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
                response: Response = RedirectResponse(target, status_code=303)
                _cookie(response, settings.token_cookie, settings.token)
                return response
            auth = request.headers.get("authorization", "")
            bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            candidates = (bearer, request.headers.get("x-navis-token"), request.cookies.get(settings.token_cookie))
            if not any(security.same_token(c, settings.token) for c in candidates):
                return _page(
                    401,
                    "Token required",
                    "This review server requires a token. Open the address you were given with ?token=… once; "
                    "the browser then keeps it in a cookie.",
                )
            set_token_cookie = request.cookies.get(settings.token_cookie) is None and request.method == "GET"
        if request.method not in ("GET", "HEAD"):
            if request.method != "POST":
                return PlainTextResponse("method not allowed", status_code=405)
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return PlainTextResponse("length required", status_code=411)
            if int(length) > MAX_BODY:
                return PlainTextResponse("request too large", status_code=413)
            if not security.same_origin(
                request.headers.get("origin"), request.headers.get("referer"), request.url.scheme, host_header
            ):
                return _page(403, "Request refused", "This form was not sent from a page of this review server.")
            if not request.cookies.get(settings.session_cookie):
                return _page(403, "Request refused", "Your session cookie is missing: reload the page and try again.")
        session = request.cookies.get(settings.session_cookie)
        new_session = None
        if not session:
            session = new_session = security.new_session_id()
        request.state.session = session
        response = await call_next(request)
        if new_session is not None:
            _cookie(response, settings.session_cookie, new_session)
        if set_token_cookie and settings.token is not None:
            _cookie(response, settings.token_cookie, settings.token)
        return response

    # --- helpers -----------------------------------------------------------------------------

    def reviewer_of(request: Request) -> str:
        return unquote(request.cookies.get(settings.reviewer_cookie, ""))[:80]

    def render(request: Request, template: str, **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(
            asset_version=settings.asset_version,
            version=__version__,
            csrf=security.csrf_token(settings.secret, request.state.session),
            reviewer=reviewer_of(request),
            runs=list(data.runs.values()),
            colors=settings.colors,
            **context,
        )
        return HTMLResponse(html)

    def filters_of(request: Request) -> Filters:
        return Filters.from_params(dict(request.query_params))

    # --- pages -------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    async def queue_page(request: Request) -> Response:
        filters = filters_of(request)
        me = reviewer_of(request)
        queue = build_queue(data, store.verdicts(run_ids=data.runs), filters, me)
        pages = max(1, -(-len(queue.rows) // PAGE_SIZE))
        page = min(filters.page, pages)
        rows = queue.rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        options = {
            "check": data.checks,
            "cancer_type": sorted({v.cancer_type for v in data.flagged()}),
            "category": sorted({v.category for v in data.flagged()}),
            "risk": sorted({v.risk for v in data.flagged()}),
            "engine": sorted({r.engine_name for r in data.runs.values()}),
            "run": list(data.runs),
        }
        return render(
            request,
            "queue.html",
            page="queue",
            title="Review queue",
            queue=queue,
            rows=rows,
            offset=(page - 1) * PAGE_SIZE,
            page_no=page,
            pages=pages,
            filters=filters,
            options=options,
            statuses=STATUSES,
            sorts=SORTS,
            item_url=_item_url,
            me=me,
        )

    @app.get("/item/{run_id}/{item_id}", response_class=HTMLResponse)
    async def item_page(request: Request, run_id: str, item_id: str) -> Response:
        view = data.get(run_id, item_id)
        if view is None:
            return _page(404, "Not found", "There is no answer with this run and question id in the runs being reviewed.")
        filters = filters_of(request)
        me = reviewer_of(request)
        history = store.verdicts(run_id=run_id, item_id=item_id)
        current = current_by_flag(history)
        queue = build_queue(data, store.verdicts(run_ids=data.runs), filters, me)
        keys = [row.view.key for row in queue.rows]
        position = keys.index(view.key) if view.key in keys else None
        back = filters.query(page=False)
        prev_url = next_url = None
        if position is not None:
            if position > 0:
                prev_url = _item_url(*keys[position - 1], back)
            if position + 1 < len(keys):
                next_url = _item_url(*keys[position + 1], back)
        marks = highlight(view.answer.text, view.answer.contexts, view.results, settings.colors)
        results = [_card(view.key, result, current, history, marks, me) for result in view.results]
        flags = [r for r in results if r.result.failed]
        others = [r for r in results if not r.result.failed]
        focus = request.query_params.get("focus", "")
        if focus not in {r.check for r in flags}:
            todo = [r for r in flags if r.mine is None] if me else [r for r in flags if r.state == "unreviewed"]
            focus = (todo or flags)[0].check if flags else ""
        saved = request.query_params.get("saved", "")
        return render(
            request,
            "item.html",
            page="item",
            title=f"{view.item_id} · review",
            view=view,
            gold=view.gold,
            marks=marks,
            flags=flags,
            others=others,
            focus=focus,
            saved=saved if saved in {r.check for r in results} else "",
            saved_verdict=verdict if (verdict := request.query_params.get("verdict", "")) in VERDICTS else "",
            back=back,
            queue_url="/" + (f"?{back}" if back else ""),
            prev_url=prev_url,
            next_url=next_url,
            position=position,
            queue_size=len(keys),
            submission=secrets.token_urlsafe(16),
            context_ids=view.answer.context_ids,
        )

    @app.post("/verdict")
    async def post_verdict(request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not security.valid_csrf(settings.secret, request.cookies.get(settings.session_cookie), fields.get("csrf")):
            return _page(403, "Request refused", "The form's security token is missing or stale: reload the page and try again.")
        verdict, _, check = fields.get("decide", "").partition(":")
        view = data.get(fields.get("run_id", ""), fields.get("item_id", ""))
        if view is None:
            return _page(404, "Not found", "There is no answer with this run and question id in the runs being reviewed.")
        back_pairs = [(k, v) for k, v in parse_qsl(fields.get("back", ""))[:20] if k in Filters.__dataclass_fields__]
        try:
            if verdict not in VERDICTS:
                raise InputError("choose confirm, overturn or unsure", field="verdict")
            flag = view.flag_ref(check)
            store.record(
                flag,
                view.snapshot(),
                reviewer=fields.get("reviewer", ""),
                verdict=verdict,
                note=fields.get(f"note:{check}", ""),
                submission=fields.get("submission") or None,
            )
        except InputError as exc:
            return _page(400, "Verdict not recorded", exc.detail)
        reviewer = " ".join(fields.get("reviewer", "").split())
        # move on to this reviewer's next unreviewed flag on the same answer
        mine = {v.check for v in store.verdicts(run_id=view.run.run_id, item_id=view.item_id) if v.reviewer == reviewer}
        names = [r.check for r in view.flags]
        following = names[names.index(check) + 1 :] + names[: names.index(check)] if check in names else names
        focus = next((name for name in following if name not in mine), check)
        query = urlencode([*back_pairs, ("focus", focus), ("saved", check), ("verdict", verdict)])
        response = RedirectResponse(
            _item_url(view.run.run_id, view.item_id, query) + f"#flag-{quote(focus, safe='')}", status_code=303
        )
        _cookie(response, settings.reviewer_cookie, quote(reviewer, safe=""), max_age=365 * 24 * 3600)
        return response

    @app.get("/agreement", response_class=HTMLResponse)
    async def agreement_page(request: Request) -> Response:
        report = agreement(store.verdicts())
        return render(request, "agreement.html", page="agreement", title="Agreement", report=report, db=str(store.path))

    @app.get("/export/{name}")
    async def export_file(name: str) -> Response:
        formats = {
            "verdicts.csv": ("csv", "text/csv"),
            "verdicts.jsonl": ("jsonl", "application/jsonl"),
            "labeled.jsonl": ("labeled", "application/jsonl"),
        }
        if name not in formats:
            return _page(404, "Not found", "Unknown export.")
        fmt, media = formats[name]
        text, _ = render_export(store, fmt)
        return Response(
            text, media_type=f"{media}; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    @app.get("/static/{name}")
    async def static_file(name: str) -> Response:
        path = STATIC / name
        if "/" in name or name.startswith(".") or path.suffix not in STATIC_TYPES or not path.is_file():
            return PlainTextResponse("not found", status_code=404)
        return Response(path.read_bytes(), media_type=STATIC_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico")
    async def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/healthz")
    async def healthz() -> Response:
        return PlainTextResponse("ok")

    return app


def port_is_free(host: str, port: int) -> str | None:
    """Why we cannot listen on host:port, or None."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def serve(run_dirs: list[Path], *, host: str, port: int, db: Path, token: str | None) -> None:
    """Load the runs, open the database and serve until interrupted."""
    import uvicorn

    from navis_eval.review.rundata import load_runs

    if token is not None and (problem := security.check_token_strength(token)):
        raise InputError(problem, field="--token")
    if not security.is_loopback(host) and token is None:
        raise InputError(
            f"binding to {host} exposes patient answers to the network; give --token (or NAVIS_REVIEW_TOKEN)", field="--host"
        )
    data = load_runs(run_dirs)
    store = ReviewStore(db)
    if (problem := port_is_free(host, port)) is not None:
        raise InputError(f"cannot listen on {host}:{port}: {problem}", field="--port")
    app = create_app(data, store, token=token, bind_host=host, cookie_suffix=str(port))
    flagged = len(data.flagged())
    shown = f"[{host}]" if ":" in host else host
    print(
        f"navis-eval review: {flagged} flagged answers from {len(data.runs)} run(s); verdicts in {db}\n"
        f"  open http://{shown}:{port}/" + ("?token=<your token>" if token else ""),
        file=sys.stderr,
        flush=True,
    )
    for run in data.runs.values():
        for warning in run.warnings:
            print(f"  warning: {run.run_id}: {warning}", file=sys.stderr, flush=True)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, server_header=False, proxy_headers=False
    )
    uvicorn.Server(config).run()
