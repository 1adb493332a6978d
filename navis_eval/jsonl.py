"""Strict JSONL and YAML reading, and all-or-nothing file writing.

Readers name the file, line and field of the first problem. Writers write to a temporary file
in the same directory and rename it into place, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError

from navis_eval.errors import InputError, from_validation_error

M = TypeVar("M", bound=BaseModel)


def read_text(path: Path) -> str:
    """Read a UTF-8 file, reporting the line of the first invalid byte."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            path=path,
            line=line,
        ) from None


def iter_json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; every line must be a JSON object.

    Streams the file line by line, so memory does not grow with the file's size.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    with handle:
        offset = 0
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {offset + exc.start})", path=path, line=number
                ) from None
            offset += len(raw)
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"malformed JSON ({exc.msg}, column {exc.colno})", path=path, line=number) from None
            if not isinstance(value, dict):
                raise InputError("each line must be a JSON object", path=path, line=number)
            yield number, value


def load_models(path: Path, model: type[M], *, id_field: str | None = "id") -> list[M]:
    """Load and validate every line of a JSONL file; ids must be unique when ``id_field`` is set."""
    items: list[M] = []
    seen: dict[str, int] = {}
    for number, obj in iter_json_objects(path):
        try:
            item = model.model_validate(obj)
        except ValidationError as exc:
            raise from_validation_error(exc, path=path, line=number) from None
        if id_field is not None:
            key = str(getattr(item, id_field))
            if key in seen:
                raise InputError(
                    f"duplicate id '{key}' (first seen on line {seen[key]})", path=path, line=number, field=id_field
                )
            seen[key] = number
        items.append(item)
    return items


def load_yaml(path: Path) -> Any:
    """Load a YAML file safely (no arbitrary objects), with a located message on syntax errors."""
    import yaml

    text = read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"invalid YAML: {problem}", path=path, line=line) from None


def yaml_line(text: str, keys: tuple[Any, ...]) -> int | None:
    """Line number (1-based) of the YAML node at ``keys`` in ``text``, best effort, for error messages.

    Walks mapping keys and sequence indexes as far as they exist, so a path that goes past the
    file's structure still points at the deepest node that does exist.
    """
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key in keys:
        if node is None:
            break
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == str(key):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def dumps(obj: Any) -> str:
    """Canonical compact JSON for one JSONL line."""
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json")
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@contextmanager
def atomic_writer(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Write to a temporary sibling, fsync, then rename over ``path``; on error nothing changes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_jsonl(path: Path, rows: Iterable[Any]) -> int:
    """Atomically write rows as JSONL; returns the number of lines."""
    count = 0
    with atomic_writer(path) as handle:
        for row in rows:
            handle.write(dumps(row) + "\n")
            count += 1
    return count


def write_json(path: Path, obj: Any) -> None:
    """Atomically write pretty JSON (stable key order for byte-identical reruns)."""
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json")
    with atomic_writer(path) as handle:
        json.dump(obj, handle, ensure_ascii=False, indent=2, sort_keys=True)
        handle.write("\n")
