"""The answers journal: an append-only JSONL file, one completed item per line, flushed at once.

A SIGKILL can interrupt a write, leaving a last line without its newline; opening the journal
drops that fragment (the item is simply answered again). Any other unreadable line is corruption
and stops the run with a located error rather than guessing.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from navis_eval.errors import InputError
from navis_eval.jsonl import atomic_writer, dumps
from navis_eval.models import EngineAnswer


def read_journal(path: Path, *, repair: bool = False) -> dict[str, EngineAnswer]:
    """Completed answers by item id (a later line for the same item wins).

    With ``repair``, a torn final line left by a crash is cut off the file.
    """
    if not path.exists():
        return {}
    raw = path.read_bytes()
    answers: dict[str, EngineAnswer] = {}
    good_end = 0
    position = 0
    number = 0
    while position < len(raw):
        newline = raw.find(b"\n", position)
        if newline == -1:
            break  # torn final line: no newline was written
        number += 1
        line = raw[position:newline]
        position = newline + 1
        if line.strip():
            try:
                answer = EngineAnswer.model_validate(json.loads(line.decode("utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
                raise InputError(f"journal line is corrupt ({type(exc).__name__})", path=path, line=number) from None
            answers[answer.item_id] = answer
        good_end = position
    if repair and good_end < len(raw):
        with open(path, "r+b") as handle:
            handle.truncate(good_end)
            handle.flush()
            os.fsync(handle.fileno())
    return answers


def compact_journal(path: Path, answers: dict[str, EngineAnswer]) -> None:
    """Rewrite the journal with exactly these answers (atomically), e.g. before retrying errors."""
    with atomic_writer(path) as handle:
        for answer in answers.values():
            handle.write(dumps(answer) + "\n")


class Journal:
    """Appends answers durably.

    Every line is written and flushed to the operating system before it counts, so it survives
    the process being killed (SIGKILL, OOM, a cancelled CI job). ``fsync`` (which also survives
    a power loss or kernel crash) runs at most every ``fsync_interval`` seconds and on close, so a
    run with 64 requests in flight is not serialised behind the disk.
    """

    def __init__(self, path: Path, fsync_interval: float = 0.25) -> None:
        self.path = path
        self.fsync_interval = fsync_interval
        self._handle: IO[str] | None = None
        self._last_sync = 0.0

    def __enter__(self) -> Journal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in __exit__
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None

    def append(self, answer: EngineAnswer) -> None:
        assert self._handle is not None, "journal is not open"
        self._handle.write(dumps(answer) + "\n")
        self._handle.flush()
        now = time.monotonic()
        if now - self._last_sync >= self.fsync_interval:
            os.fsync(self._handle.fileno())
            self._last_sync = now


def journal_index(path: Path) -> dict[str, int]:
    """Byte offset of the last complete line of each item: lets readers stream in any order."""
    index: dict[str, int] = {}
    if not path.exists():
        return index
    with open(path, "rb") as handle:
        offset = 0
        for line in handle:
            if line.endswith(b"\n") and line.strip():
                try:
                    item_id = json.loads(line)["item_id"]
                except (ValueError, KeyError, TypeError):
                    raise InputError("journal line is corrupt", path=path) from None
                index[item_id] = offset
            offset += len(line)
    return index


class JournalReader:
    """Random access to journaled answers by item id, one parsed line at a time."""

    def __init__(self, path: Path) -> None:
        self._index = journal_index(path)
        self._handle = open(path, "rb") if path.exists() else None  # noqa: SIM115 - closed by close()

    def get(self, item_id: str) -> EngineAnswer | None:
        offset = self._index.get(item_id)
        if offset is None or self._handle is None:
            return None
        self._handle.seek(offset)
        return EngineAnswer.model_validate_json(self._handle.readline())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
