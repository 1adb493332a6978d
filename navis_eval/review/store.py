"""Reviewer verdicts in SQLite: append-only, durable, safe with several reviewers at once.

A verdict refers to one check result of one answer (a *flag* when the check failed; a passed
result may be spot-checked too, which is what makes Cohen's kappa between check and clinicians
computable). Verdicts are never updated or deleted: a reviewer who changes their mind adds a
new row, and the latest row per (flag, reviewer) is that reviewer's current verdict while the
earlier ones stay as history.

Durability and concurrency come from SQLite itself: WAL journal mode (readers never block the
writer), ``synchronous=FULL`` (a committed verdict survives power loss or a killed server), and
every write in one ``BEGIN IMMEDIATE`` transaction with a generous busy timeout, so two servers or
threads writing at once queue up instead of failing or losing a row. A connection is opened per
operation, which keeps the store safe to share between threads and processes.

Each verdict row carries what it was about: the check name, the harness status, the rubric name,
version and hash that produced the flag, the engine, and a hash of the answer text. The answer
itself (question, text, contexts, gold metadata) is kept once per run and item, so the database
alone is enough to export labeled data after the run directories are gone.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from navis_eval.errors import InputError

SCHEMA_VERSION = 1
VERDICTS: tuple[str, ...] = ("confirm", "overturn", "unsure")
VerdictName = Literal["confirm", "overturn", "unsure"]
HARNESS_STATUSES: tuple[str, ...] = ("failed", "passed")
MAX_REVIEWER = 80
MAX_NOTE = 4000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
  run_id TEXT NOT NULL,
  item_id TEXT NOT NULL,
  question TEXT NOT NULL,
  answer TEXT NOT NULL,
  answer_sha256 TEXT NOT NULL,
  contexts TEXT NOT NULL,
  cancer_type TEXT,
  category TEXT,
  risk TEXT,
  gold TEXT NOT NULL,
  engine TEXT NOT NULL,
  run_label TEXT,
  dataset TEXT NOT NULL,
  checks TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, item_id)
);
CREATE TABLE IF NOT EXISTS verdicts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at TEXT NOT NULL,
  reviewer TEXT NOT NULL,
  run_id TEXT NOT NULL,
  item_id TEXT NOT NULL,
  check_name TEXT NOT NULL,
  harness_status TEXT NOT NULL CHECK (harness_status IN ('failed', 'passed')),
  verdict TEXT NOT NULL CHECK (verdict IN ('confirm', 'overturn', 'unsure')),
  note TEXT NOT NULL DEFAULT '',
  rubric_name TEXT NOT NULL,
  rubric_version TEXT NOT NULL,
  rubric_hash TEXT NOT NULL,
  engine_name TEXT,
  answer_sha256 TEXT NOT NULL,
  submission TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS verdicts_by_flag ON verdicts (run_id, item_id, check_name, reviewer, id);
"""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def text_sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def label_for(harness_status: str, verdict: str) -> str | None:
    """The reviewer's own judgement of the answer: ``pass``/``fail``, or None when unsure.

    Confirming a failed check means the answer really fails it; overturning means it passes.
    For a spot-checked passed result it is the other way round.
    """
    if verdict == "unsure":
        return None
    agrees = verdict == "confirm"
    failed = harness_status == "failed"
    return "fail" if agrees == failed else "pass"


@dataclass(frozen=True)
class FlagRef:
    """The check result a verdict refers to, with the rubric that produced it."""

    run_id: str
    item_id: str
    check: str
    harness_status: str
    rubric_name: str
    rubric_version: str
    rubric_hash: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.run_id, self.item_id, self.check)


@dataclass(frozen=True)
class AnswerSnapshot:
    """What the reviewer saw: enough to turn a verdict into a labeled example later."""

    run_id: str
    item_id: str
    question: str
    answer: str
    contexts: list[str]
    cancer_type: str | None = None
    category: str | None = None
    risk: str | None = None
    gold: dict[str, Any] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)
    run_label: str | None = None
    dataset: dict[str, Any] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)

    @property
    def answer_sha256(self) -> str:
        return text_sha256(self.answer)

    @property
    def engine_name(self) -> str | None:
        name = self.engine.get("name") or self.engine.get("kind")
        return str(name) if name is not None else None


@dataclass(frozen=True)
class Verdict:
    id: int
    created_at: str
    reviewer: str
    run_id: str
    item_id: str
    check: str
    harness_status: str
    verdict: str
    note: str
    rubric_name: str
    rubric_version: str
    rubric_hash: str
    engine_name: str | None
    answer_sha256: str
    current: bool = True

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.run_id, self.item_id, self.check)

    @property
    def label(self) -> str | None:
        return label_for(self.harness_status, self.verdict)

    def as_row(self) -> dict[str, Any]:
        return {
            "verdict_id": self.id,
            "created_at": self.created_at,
            "reviewer": self.reviewer,
            "run_id": self.run_id,
            "item_id": self.item_id,
            "check": self.check,
            "harness_status": self.harness_status,
            "verdict": self.verdict,
            "label": self.label,
            "note": self.note,
            "current": self.current,
            "rubric_name": self.rubric_name,
            "rubric_version": self.rubric_version,
            "rubric_hash": self.rubric_hash,
            "engine": self.engine_name,
            "answer_sha256": self.answer_sha256,
        }


def clean_reviewer(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise InputError("enter your name before recording a verdict", field="reviewer")
    if len(name) > MAX_REVIEWER:
        raise InputError(f"reviewer name is longer than {MAX_REVIEWER} characters", field="reviewer")
    if any(ord(ch) < 32 for ch in name):
        raise InputError("reviewer name contains control characters", field="reviewer")
    return name


def clean_note(value: str | None) -> str:
    note = (value or "").replace("\r\n", "\n").strip()
    if len(note) > MAX_NOTE:
        raise InputError(f"note is longer than {MAX_NOTE} characters", field="note")
    return note


_VERDICT_COLUMNS = (
    "id, created_at, reviewer, run_id, item_id, check_name, harness_status, verdict, note, "
    "rubric_name, rubric_version, rubric_hash, engine_name, answer_sha256"
)


class ReviewStore:
    """The verdict database. Cheap to construct; every method opens its own connection."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.exists():
            if not create:
                raise InputError("no review database here", path=self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif self.path.is_dir():
            raise InputError("is a folder, not a review database", path=self.path)
        self._initialise()

    # --- connections ------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as exc:
            raise InputError(f"cannot open review database: {exc}", path=self.path) from None
        return conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            raise InputError(f"review database error: {exc}", path=self.path) from None
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction: the write lock is taken up front, so writers queue, not fail."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise InputError(f"review database error: {exc}", path=self.path) from None
        finally:
            conn.close()

    def _initialise(self) -> None:
        conn = self._connect()
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise InputError(f"review database cannot use WAL mode (got {mode})", path=self.path)
            conn.execute("BEGIN IMMEDIATE")
            # statement by statement: executescript() would commit behind our transaction's back
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('created_at', ?)", (utc_now(),))
                conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('form_secret', ?)", (secrets.token_hex(32),))
            elif int(row[0]) > SCHEMA_VERSION:
                conn.execute("ROLLBACK")
                raise InputError(
                    f"review database schema {row[0]} is newer than this navis-eval understands ({SCHEMA_VERSION})",
                    path=self.path,
                )
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a usable review database: {exc}", path=self.path) from None
        finally:
            conn.close()

    def form_secret(self) -> str:
        """The key that signs CSRF tokens; kept here so open pages stay valid across restarts."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'form_secret'").fetchone()
        if row is None:  # a database created by an older version
            with self._write() as conn:
                conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('form_secret', ?)", (secrets.token_hex(32),))
                row = conn.execute("SELECT value FROM meta WHERE key = 'form_secret'").fetchone()
        return str(row[0])

    def journal_mode(self) -> str:
        with self._read() as conn:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    # --- writing ----------------------------------------------------------------------------

    def record(
        self,
        flag: FlagRef,
        snapshot: AnswerSnapshot,
        *,
        reviewer: str,
        verdict: str,
        note: str | None = "",
        submission: str | None = None,
    ) -> Verdict:
        """Append one verdict (and refresh the answer snapshot) in a single transaction.

        ``submission`` is a one-time id from the form: a double-clicked or re-sent form records
        the verdict once and returns the row already stored.
        """
        reviewer = clean_reviewer(reviewer)
        note = clean_note(note)
        if verdict not in VERDICTS:
            raise InputError(f"verdict must be one of {', '.join(VERDICTS)}", field="verdict")
        if flag.harness_status not in HARNESS_STATUSES:
            raise InputError("only passed or failed check results can be reviewed", field="check")
        if (snapshot.run_id, snapshot.item_id) != (flag.run_id, flag.item_id):
            raise ValueError("snapshot and flag refer to different answers")
        now = utc_now()
        with self._write() as conn:
            if submission:
                row = conn.execute(f"SELECT {_VERDICT_COLUMNS} FROM verdicts WHERE submission = ?", (submission,)).fetchone()
                if row is not None:
                    return _verdict(row)
            conn.execute(
                """INSERT INTO answers (run_id, item_id, question, answer, answer_sha256, contexts, cancer_type,
                       category, risk, gold, engine, run_label, dataset, checks, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (run_id, item_id) DO UPDATE SET
                       question = excluded.question, answer = excluded.answer,
                       answer_sha256 = excluded.answer_sha256, contexts = excluded.contexts,
                       cancer_type = excluded.cancer_type, category = excluded.category, risk = excluded.risk,
                       gold = excluded.gold, engine = excluded.engine, run_label = excluded.run_label,
                       dataset = excluded.dataset, checks = excluded.checks, updated_at = excluded.updated_at""",
                (
                    snapshot.run_id,
                    snapshot.item_id,
                    snapshot.question,
                    snapshot.answer,
                    snapshot.answer_sha256,
                    _json(snapshot.contexts),
                    snapshot.cancer_type,
                    snapshot.category,
                    snapshot.risk,
                    _json(snapshot.gold),
                    _json(snapshot.engine),
                    snapshot.run_label,
                    _json(snapshot.dataset),
                    _json(snapshot.checks),
                    now,
                ),
            )
            cursor = conn.execute(
                """INSERT INTO verdicts (created_at, reviewer, run_id, item_id, check_name, harness_status, verdict,
                       note, rubric_name, rubric_version, rubric_hash, engine_name, answer_sha256, submission)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    now,
                    reviewer,
                    flag.run_id,
                    flag.item_id,
                    flag.check,
                    flag.harness_status,
                    verdict,
                    note,
                    flag.rubric_name,
                    flag.rubric_version,
                    flag.rubric_hash,
                    snapshot.engine_name,
                    snapshot.answer_sha256,
                    submission or None,
                ),
            )
            new_id = int(cursor.lastrowid or 0)
        return Verdict(
            id=new_id,
            created_at=now,
            reviewer=reviewer,
            run_id=flag.run_id,
            item_id=flag.item_id,
            check=flag.check,
            harness_status=flag.harness_status,
            verdict=verdict,
            note=note,
            rubric_name=flag.rubric_name,
            rubric_version=flag.rubric_version,
            rubric_hash=flag.rubric_hash,
            engine_name=snapshot.engine_name,
            answer_sha256=snapshot.answer_sha256,
        )

    # --- reading ----------------------------------------------------------------------------

    def verdicts(
        self,
        *,
        current_only: bool = False,
        run_ids: Iterable[str] | None = None,
        run_id: str | None = None,
        item_id: str | None = None,
    ) -> list[Verdict]:
        """Verdicts in the order they were recorded; ``current`` marks each reviewer's latest per flag."""
        where: list[str] = []
        params: list[Any] = []
        if run_ids is not None:
            ids = list(run_ids)
            if not ids:
                return []
            where.append(f"run_id IN ({', '.join('?' for _ in ids)})")
            params.extend(ids)
        if run_id is not None:
            where.append("run_id = ?")
            params.append(run_id)
        if item_id is not None:
            where.append("item_id = ?")
            params.append(item_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._read() as conn:
            rows = conn.execute(f"SELECT {_VERDICT_COLUMNS} FROM verdicts {clause} ORDER BY id", params).fetchall()
        latest: dict[tuple[str, str, str, str], int] = {}
        parsed = [_verdict(row) for row in rows]
        for v in parsed:
            latest[(*v.key, v.reviewer)] = v.id
        out = [_with_current(v, latest[(*v.key, v.reviewer)] == v.id) for v in parsed]
        return [v for v in out if v.current] if current_only else out

    def count(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0])

    def answers(self) -> dict[tuple[str, str], AnswerSnapshot]:
        """Every reviewed answer, by (run id, item id)."""
        with self._read() as conn:
            rows = conn.execute(
                """SELECT run_id, item_id, question, answer, contexts, cancer_type, category, risk, gold, engine,
                          run_label, dataset, checks FROM answers ORDER BY run_id, item_id"""
            ).fetchall()
        out: dict[tuple[str, str], AnswerSnapshot] = {}
        for r in rows:
            out[(r[0], r[1])] = AnswerSnapshot(
                run_id=r[0],
                item_id=r[1],
                question=r[2],
                answer=r[3],
                contexts=json.loads(r[4]),
                cancer_type=r[5],
                category=r[6],
                risk=r[7],
                gold=json.loads(r[8]),
                engine=json.loads(r[9]),
                run_label=r[10],
                dataset=json.loads(r[11]),
                checks=json.loads(r[12]),
            )
        return out


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _verdict(row: tuple[Any, ...]) -> Verdict:
    return Verdict(
        id=int(row[0]),
        created_at=row[1],
        reviewer=row[2],
        run_id=row[3],
        item_id=row[4],
        check=row[5],
        harness_status=row[6],
        verdict=row[7],
        note=row[8],
        rubric_name=row[9],
        rubric_version=row[10],
        rubric_hash=row[11],
        engine_name=row[12],
        answer_sha256=row[13],
    )


def _with_current(v: Verdict, current: bool) -> Verdict:
    return v if v.current == current else replace(v, current=current)
