"""Rubrics: the clinical judgement of the checks, kept as YAML a reviewer can read and change.

A rubric names which checks run and configures each one (cue phrases, section definitions,
curability table, thresholds). Each check validates its own section with a pydantic model, so a
mistake is reported as ``rubrics/x.yaml:42: field 'checks.disclaimer.cues.3': ...``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from navis_eval.errors import InputError
from navis_eval.jsonl import load_yaml, read_text, yaml_line
from navis_eval.models import VersionRef
from navis_eval.paths import resolve_bundled

DEFAULT_RUBRIC = "rubrics/navis-v1.yaml"


@dataclass(frozen=True)
class Rubric:
    """A loaded rubric: identity plus one validated config object per enabled check."""

    name: str
    version: str
    hash: str
    path: str
    description: str
    configs: dict[str, BaseModel] = field(default_factory=dict)

    @property
    def ref(self) -> VersionRef:
        return VersionRef(name=self.name, version=self.version, hash=self.hash, path=self.path)

    @property
    def check_names(self) -> list[str]:
        return list(self.configs)


def content_hash(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Load and validate a rubric file; the default is the bundled ``navis-v1``."""
    from navis_eval.checks import check_classes

    rubric_path = resolve_bundled(path or DEFAULT_RUBRIC)
    text = read_text(rubric_path)
    data = load_yaml(rubric_path)
    if not isinstance(data, dict):
        raise InputError("a rubric must be a YAML mapping", path=rubric_path)
    for key in ("name", "version", "checks"):
        if key not in data:
            raise InputError("required key is missing", path=rubric_path, field=key)
    for key in ("name", "version"):
        if not isinstance(data[key], (str, int, float)) or not str(data[key]).strip():
            raise InputError("must be a non-empty string", path=rubric_path, line=yaml_line(text, (key,)), field=key)
    checks = data["checks"]
    if not isinstance(checks, dict) or not checks:
        raise InputError(
            "must map check names to their settings", path=rubric_path, line=yaml_line(text, ("checks",)), field="checks"
        )
    available = check_classes()
    configs: dict[str, BaseModel] = {}
    for name, settings in checks.items():
        if name not in available:
            raise InputError(
                f"unknown check '{name}' (known: {', '.join(sorted(available))})",
                path=rubric_path,
                line=yaml_line(text, ("checks", name)),
                field=f"checks.{name}",
            )
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            raise InputError(
                "check settings must be a mapping",
                path=rubric_path,
                line=yaml_line(text, ("checks", name)),
                field=f"checks.{name}",
            )
        try:
            configs[name] = available[name].Config.model_validate(settings)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(first.get("loc", ()))
            message = "unknown key" if first.get("type") == "extra_forbidden" else first.get("msg", "invalid")
            message = message.removeprefix("Value error, ")
            entry = re.match(r"entry (\d+) (is not a valid regular expression.*)", message)
            if entry:  # point at the offending list entry itself, not the list
                loc = (*loc, int(entry.group(1)))
                message = entry.group(2)
            raise InputError(
                message,
                path=rubric_path,
                line=yaml_line(text, ("checks", name, *loc)),
                field=".".join(["checks", str(name), *map(str, loc)]),
            ) from None
    return Rubric(
        name=str(data["name"]),
        version=str(data["version"]),
        hash=content_hash(rubric_path.read_bytes()),
        path=str(rubric_path),
        description=str(data.get("description", "")).strip(),
        configs=configs,
    )
