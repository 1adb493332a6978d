"""A response cache keyed by (engine fingerprint, what the engine sees of the item).

Re-running an evaluation with the same engine configuration (for example with a changed rubric
or after adding checks) then costs no engine calls. Only successful answers are cached. SQLite
in WAL mode keeps concurrent runs sharing one cache safe.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from navis_eval.models import EngineAnswer

DEFAULT_CACHE_DIR = ".navis-cache"


def cache_dir() -> Path:
    return Path(os.environ.get("NAVIS_CACHE_DIR", DEFAULT_CACHE_DIR))


def connect_wal(path: Path) -> sqlite3.Connection:
    """An autocommit SQLite connection in WAL mode, safe to share between concurrent runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def cache_key(fingerprint: str, request: dict[str, Any]) -> str:
    blob = json.dumps({"engine": fingerprint, "request": request}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    def __init__(self, path: Path) -> None:
        self._db = connect_wal(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses "
            "(key TEXT PRIMARY KEY, answer TEXT NOT NULL, created TEXT DEFAULT CURRENT_TIMESTAMP)"
        )

    @classmethod
    def default(cls) -> ResponseCache:
        return cls(cache_dir() / "responses.sqlite")

    def get(self, key: str, item_id: str) -> EngineAnswer | None:
        row = self._db.execute("SELECT answer FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        answer = EngineAnswer.model_validate_json(row[0])
        return answer.model_copy(update={"item_id": item_id, "cached": True, "attempts": 0})

    def put(self, key: str, answer: EngineAnswer) -> None:
        if answer.error is not None:
            return
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, answer) VALUES (?, ?)", (key, answer.model_dump_json())
        )

    def close(self) -> None:
        self._db.close()
