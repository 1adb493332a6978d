"""Engine registry and engine-config loading (a YAML file under ``evals/engines/`` or a kind name)."""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from navis_eval.engines.base import AnswerEngine, EngineCallError, EngineConfig, EngineContext
from navis_eval.errors import InputError, from_validation_error
from navis_eval.jsonl import load_yaml
from navis_eval.paths import resolve_bundled

BUILTIN_ENGINES: dict[str, str] = {
    "reference": "navis_eval.engines.reference:ReferenceEngine",
    "openai": "navis_eval.engines.openai_chat:OpenAIEngine",
    "http": "navis_eval.engines.http_json:HttpEngine",
    "python": "navis_eval.engines.python_callable:PythonEngine",
    "replay": "navis_eval.engines.replay:ReplayEngine",
}

__all__ = [
    "AnswerEngine",
    "EngineCallError",
    "EngineConfig",
    "EngineContext",
    "engine_class",
    "load_engine_config",
    "create_engine",
]


def engine_kinds() -> list[str]:
    names = set(BUILTIN_ENGINES)
    names.update(ep.name for ep in entry_points(group="navis_eval.engines"))
    return sorted(names)


def engine_class(kind: str, *, where: str | None = None) -> type[AnswerEngine]:
    if kind in BUILTIN_ENGINES:
        module, _, attr = BUILTIN_ENGINES[kind].partition(":")
        return getattr(import_module(module), attr)  # type: ignore[no-any-return]
    for ep in entry_points(group="navis_eval.engines"):
        if ep.name == kind:
            return ep.load()  # type: ignore[no-any-return]
    raise InputError(f"unknown engine kind '{kind}' (known: {', '.join(engine_kinds())})", path=where, field="kind")


def _coerce(value: str) -> Any:
    """Typed value for a ``-E key=value`` override (YAML scalar rules: 0.2, true, 5)."""
    import yaml

    try:
        return yaml.safe_load(value)
    except yaml.YAMLError:
        return value


def load_engine_config(spec: str, overrides: list[str] | None = None) -> tuple[EngineConfig, Path | None]:
    """Resolve ``--engine`` (a kind name or a YAML path) plus ``-E key=value`` overrides."""
    path: Path | None = None
    data: dict[str, Any]
    if spec.endswith((".yaml", ".yml")) or "/" in spec:
        path = resolve_bundled(spec)
        loaded = load_yaml(path)
        if not isinstance(loaded, dict):
            raise InputError("an engine config must be a YAML mapping", path=path)
        data = dict(loaded)
        if "kind" not in data:
            raise InputError("required key is missing", path=path, field="kind")
    else:
        data = {"kind": spec}
    for override in overrides or []:
        key, sep, value = override.partition("=")
        if not sep or not key.strip():
            raise InputError(f"engine override '{override}' must look like key=value", field="-E")
        data[key.strip()] = _coerce(value)
    where = str(path) if path else None
    cls = engine_class(str(data["kind"]), where=where)
    if path is not None:
        # relative file references in a config are relative to the config file
        data.setdefault("_base_dir", str(path.parent))
    base_dir = data.pop("_base_dir", None)
    try:
        config = cls.Config.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, path=where) from None
    if base_dir is not None and hasattr(config, "resolve_paths"):
        config.resolve_paths(Path(base_dir))
    return config, path


def create_engine(config: EngineConfig, context: EngineContext) -> AnswerEngine:
    return engine_class(config.kind)(config, context)
