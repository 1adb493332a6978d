"""The review queue: flagged answers filtered, counted and sorted (pure; no web framework).

A row is one answer with at least one flag. When the queue is filtered by check, a row shows and
is judged by that check's flag only. A flag's review state comes from each reviewer's current
verdict: unreviewed, confirmed, overturned, unsure, or disputed (reviewers disagree).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from urllib.parse import urlencode

from navis_eval.review.rundata import AnswerView, ResultView, ReviewData
from navis_eval.review.store import Verdict

STATUSES: dict[str, str] = {
    "all": "All",
    "todo": "Needs review",
    "mine": "Not reviewed by me",
    "disputed": "Disputed",
    "done": "Reviewed",
}
SORTS: dict[str, str] = {
    "priority": "Priority (unreviewed, high risk first)",
    "item": "Question id",
    "cancer_type": "Cancer type",
    "category": "Category",
    "risk": "Risk",
    "flags": "Number of flags",
    "status": "Review status",
    "run": "Run",
}
FACETS: tuple[str, ...] = ("check", "cancer_type", "category", "risk", "engine", "run")
PAGE_SIZE = 200
_RISK_RANK = {"high": 0, "standard": 1}
_STATUS_RANK = {"todo": 0, "disputed": 1, "done": 2}

FlagKey = tuple[str, str, str]


@dataclass(frozen=True)
class Filters:
    check: str = ""
    cancer_type: str = ""
    category: str = ""
    risk: str = ""
    engine: str = ""
    run: str = ""
    status: str = "all"
    sort: str = "priority"
    dir: str = "asc"
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Filters:
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = params.get(f.name)
            if raw is None:
                continue
            raw = str(raw)[:200]
            if f.name == "page":
                values["page"] = max(1, int(raw)) if raw.isdigit() else 1
            else:
                values[f.name] = raw
        out = cls(**values)  # type: ignore[arg-type]
        if out.status not in STATUSES:
            out = replace(out, status="all")
        if out.sort not in SORTS:
            out = replace(out, sort="priority")
        if out.dir not in ("asc", "desc"):
            out = replace(out, dir="asc")
        return out

    def params(self, *, page: bool = True, **overrides: object) -> dict[str, str]:
        """Non-default values as query parameters."""
        default = Filters()
        merged = replace(self, **overrides)  # type: ignore[arg-type]
        out: dict[str, str] = {}
        for f in fields(self):
            if f.name == "page" and not page:
                continue
            value = getattr(merged, f.name)
            if value != getattr(default, f.name):
                out[f.name] = str(value)
        return out

    def query(self, *, page: bool = True, **overrides: object) -> str:
        return urlencode(self.params(page=page, **overrides))

    @property
    def active(self) -> bool:
        return bool(self.params(page=False, sort="priority", dir="asc"))


@dataclass(frozen=True)
class FlagState:
    result: ResultView
    state: str  # unreviewed | confirmed | overturned | unsure | disputed
    verdicts: tuple[Verdict, ...]

    @property
    def check(self) -> str:
        return self.result.check


@dataclass(frozen=True)
class QueueRow:
    view: AnswerView
    flags: tuple[FlagState, ...]
    status: str  # todo | disputed | done
    mine_todo: bool

    @property
    def engine(self) -> str:
        return self.view.run.engine_name


@dataclass
class Queue:
    rows: list[QueueRow]
    total: int  # flagged answers before filtering
    facet_counts: dict[str, Counter[str]]
    status_counts: Counter[str]
    flag_count: int
    unreviewed_flags: int


def flag_state(verdicts: Iterable[Verdict]) -> str:
    current = list(verdicts)
    if not current:
        return "unreviewed"
    decided = {v.verdict for v in current if v.verdict != "unsure"}
    if len(decided) > 1:
        return "disputed"
    if decided == {"confirm"}:
        return "confirmed"
    if decided == {"overturn"}:
        return "overturned"
    return "unsure"


def current_by_flag(verdicts: Iterable[Verdict]) -> dict[FlagKey, list[Verdict]]:
    out: dict[FlagKey, list[Verdict]] = {}
    for v in verdicts:
        if v.current:
            out.setdefault(v.key, []).append(v)
    return out


def _row(view: AnswerView, check: str, current: Mapping[FlagKey, list[Verdict]], me: str) -> QueueRow | None:
    flags = []
    for result in view.flags:
        if check and result.check != check:
            continue
        verdicts = tuple(current.get((view.run.run_id, view.item_id, result.check), ()))
        flags.append(FlagState(result, flag_state(verdicts), verdicts))
    if not flags:
        return None
    states = {f.state for f in flags}
    status = "todo" if "unreviewed" in states else "disputed" if "disputed" in states else "done"
    mine_todo = bool(me) and any(all(v.reviewer != me for v in f.verdicts) for f in flags)
    if not me:
        mine_todo = status == "todo"
    return QueueRow(view, tuple(flags), status, mine_todo)


def _facet_value(row: QueueRow, facet: str) -> list[str]:
    view = row.view
    if facet == "check":
        return [f.check for f in row.flags]
    if facet == "engine":
        return [view.run.engine_name]
    if facet == "run":
        return [view.run.run_id]
    return [str(getattr(view, facet))]


def _passes(row: QueueRow, filters: Filters, skip: str | None = None) -> bool:
    for facet in FACETS:
        if facet == skip or facet == "check":
            continue  # the check filter is applied when building rows
        wanted = getattr(filters, facet)
        if wanted and wanted not in _facet_value(row, facet):
            return False
    return True


def _status_ok(row: QueueRow, status: str) -> bool:
    if status == "all":
        return True
    if status == "mine":
        return row.mine_todo
    return row.status == status


def _sort_key(
    row: QueueRow, sort: str, run_order: Mapping[str, int], item_order: Mapping[tuple[str, str], int]
) -> tuple[object, ...]:
    view = row.view
    order = (run_order.get(view.run.run_id, 0), item_order[view.key])
    if sort == "item":
        return (view.item_id, *order)
    if sort == "cancer_type":
        return (view.cancer_type, *order)
    if sort == "category":
        return (view.category, *order)
    if sort == "risk":
        return (_RISK_RANK.get(view.risk, 2), *order)
    if sort == "flags":
        return (-len(row.flags), *order)
    if sort == "status":
        return (_STATUS_RANK[row.status], *order)
    if sort == "run":
        return order
    return (_STATUS_RANK[row.status], _RISK_RANK.get(view.risk, 2), -len(row.flags), *order)


def build_queue(data: ReviewData, verdicts: Iterable[Verdict], filters: Filters, me: str = "") -> Queue:
    current = current_by_flag(verdicts)
    flagged = data.flagged()
    every = [r for r in (_row(v, "", current, me) for v in flagged) if r is not None]
    candidates = (
        every if not filters.check else [r for r in (_row(v, filters.check, current, me) for v in flagged) if r is not None]
    )
    facet_counts: dict[str, Counter[str]] = {}
    for facet in FACETS:
        counter: Counter[str] = Counter()
        pool = every if facet == "check" else candidates
        for row in pool:
            if _passes(row, filters, skip=facet) and _status_ok(row, filters.status):
                counter.update(set(_facet_value(row, facet)))
        facet_counts[facet] = counter
    matching = [r for r in candidates if _passes(r, filters)]
    status_counts: Counter[str] = Counter({"all": len(matching)})
    for row in matching:
        status_counts[row.status] += 1
        status_counts["mine"] += row.mine_todo
    rows = [r for r in matching if _status_ok(r, filters.status)]
    run_order = {run_id: i for i, run_id in enumerate(data.runs)}
    item_order = {key: i for i, key in enumerate(data.answers)}
    rows.sort(key=lambda r: _sort_key(r, filters.sort, run_order, item_order), reverse=filters.dir == "desc")
    flag_count = sum(len(r.flags) for r in rows)
    unreviewed = sum(1 for r in rows for f in r.flags if f.state == "unreviewed")
    return Queue(rows, len(every), facet_counts, status_counts, flag_count, unreviewed)
