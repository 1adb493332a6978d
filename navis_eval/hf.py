"""Hugging Face ``datasets`` and pandas views of the gold set, corpus and run results.

The ``datasets`` library is an optional extra (``pip install navis-eval[hf]``); pandas is core.
Nested fields (key points, patient profile, criteria) stay nested: Arrow stores them natively.

The other direction needs only pyarrow: a gold set published as Parquet, as an Arrow file, or as a
folder written by ``datasets.Dataset.save_to_disk`` loads as a gold set (``load_table_models``,
used by :func:`navis_eval.dataset.load_dataset`), and HealthBench-format JSONL imports as gold
items (:func:`healthbench_items`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from navis_eval.dataset import Dataset
from navis_eval.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    import datasets

M = TypeVar("M", bound=BaseModel)
TABLE_SUFFIXES = (".parquet", ".arrow")


def gold_rows(dataset: Dataset) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in dataset.items]


def corpus_rows(dataset: Dataset) -> list[dict[str, Any]]:
    return [passage.model_dump(mode="json") for passage in dataset.corpus]


def _hf() -> Any:
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("Hugging Face support needs the 'hf' extra: pip install 'navis-eval[hf]'") from exc
    datasets.disable_progress_bars()
    return datasets


def gold_to_hf(dataset: Dataset) -> datasets.Dataset:
    """The gold questions as a ``datasets.Dataset`` (dataset name/version/hash in its info)."""
    hf = _hf()
    info = hf.DatasetInfo(description=f"{dataset.name} {dataset.version} ({dataset.hash})", version=None)
    return hf.Dataset.from_list(gold_rows(dataset), info=info)


def corpus_to_hf(dataset: Dataset) -> datasets.Dataset:
    hf = _hf()
    return hf.Dataset.from_list(corpus_rows(dataset))


def gold_to_pandas(dataset: Dataset) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(gold_rows(dataset))


def corpus_to_pandas(dataset: Dataset) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(corpus_rows(dataset))


def export_parquet(dataset: Dataset, out_dir: Path) -> list[Path]:
    """Write ``gold.parquet`` and ``corpus.parquet`` (via Arrow, no HF install needed)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in (("gold", gold_rows(dataset)), ("corpus", corpus_rows(dataset))):
        path = out_dir / f"{name}.parquet"
        table = pa.Table.from_pylist(rows)
        table = table.replace_schema_metadata(
            {b"navis.dataset": dataset.name.encode(), b"navis.version": dataset.version.encode(), b"navis.hash": dataset.hash.encode()}
        )
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table, tmp)
        tmp.replace(path)
        written.append(path)
    return written


# --- run results -----------------------------------------------------------------------------


def results_rows(run_path: Path | str) -> list[dict[str, Any]]:
    """A run's result rows (one per item and check, LLM verdicts included), evidence as JSON text."""
    import json

    from navis_eval.store import RunDir

    run = RunDir.open(Path(run_path))
    rows = []
    for row in run.iter_results():
        evidence = json.dumps(row.get("evidence", []), ensure_ascii=False)
        rows.append({**{k: v for k, v in row.items() if k != "evidence"}, "evidence_json": evidence})
    return rows


def results_to_pandas(run_path: Path | str) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(results_rows(run_path))


def results_to_hf(run_path: Path | str) -> datasets.Dataset:
    """A run's results as a ``datasets.Dataset`` (read from results.parquet, same columns)."""
    import pyarrow.parquet as pq

    from navis_eval.store import RunDir

    hf = _hf()
    run = RunDir.open(Path(run_path))
    if not run.parquet_path.exists():
        raise InputError("run has no results.parquet (was it finished?)", path=run.path)
    return hf.Dataset(pq.read_table(run.parquet_path))


def export_results_parquet(run_path: Path | str, out: Path) -> Path:
    """Copy a run's results to ``out`` as Parquet, with the run id and dataset/rubric identity in
    the file's metadata."""
    import pyarrow.parquet as pq

    from navis_eval.store import RunDir

    run = RunDir.open(Path(run_path))
    manifest = run.read_manifest()
    table = pq.read_table(run.parquet_path)
    meta = dict(table.schema.metadata or {})
    meta.update(
        {
            b"navis.run_id": manifest.run_id.encode(),
            b"navis.dataset": f"{manifest.dataset.name} {manifest.dataset.version} {manifest.dataset.hash}".encode(),
            b"navis.rubric": f"{manifest.rubric.name} {manifest.rubric.version} {manifest.rubric.hash}".encode(),
        }
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    tmp.replace(out)
    return out


# --- reading gold sets published as Parquet / Arrow ----------------------------------------------


def is_table(path: Path) -> bool:
    """A Parquet or Arrow file, or a folder written by ``datasets.Dataset.save_to_disk``."""
    return path.suffix in TABLE_SUFFIXES or (path.is_dir() and (path / "state.json").is_file())


def table_files(path: Path) -> list[Path]:
    if path.is_dir():
        import json

        state = json.loads((path / "state.json").read_text(encoding="utf-8"))
        names = [f["filename"] for f in state.get("_data_files", [])] or sorted(p.name for p in path.glob("*.arrow"))
        return [path / name for name in names]
    return [path]


def read_table(path: Path) -> pa.Table:
    """Parquet, Arrow IPC (file or stream, as Hugging Face writes it) or a save_to_disk folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.exists():
        raise InputError("file not found", path=path)
    tables = []
    for file in table_files(path):
        try:
            if file.suffix == ".parquet":
                tables.append(pq.read_table(file))
                continue
            with pa.memory_map(str(file)) as source:
                try:
                    tables.append(pa.ipc.open_stream(source).read_all())
                except pa.ArrowInvalid:
                    source.seek(0)
                    tables.append(pa.ipc.open_file(source).read_all())
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"not a readable {file.suffix.lstrip('.') or 'Arrow'} table: {exc}", path=file) from None
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def _drop_nulls(value: Any) -> Any:
    """Arrow has a null for every absent value; the models want absent keys (their defaults)."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def load_table_models(path: Path, model: type[M], *, id_field: str | None = "id") -> list[M]:
    """Validate every row of a table as ``model``; errors name the file, row (1-based) and field."""
    from navis_eval.errors import from_validation_error

    table = read_table(path)
    columns = [c for c in table.column_names if not c.startswith("__")]  # pandas/HF index columns
    items: list[M] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(table.select(columns).to_pylist(), start=1):
        try:
            item = model.model_validate(_drop_nulls(row))
        except ValidationError as exc:
            raise from_validation_error(exc, path=path, line=number) from None
        if id_field is not None:
            key = str(getattr(item, id_field))
            if key in seen:
                raise InputError(f"duplicate id '{key}' (first seen in row {seen[key]})", path=path, line=number, field=id_field)
            seen[key] = number
        items.append(item)
    return items


def table_identity(path: Path) -> tuple[str | None, str | None]:
    """Dataset name and version from the metadata ``dataset export`` writes, when present."""
    if path.suffix != ".parquet":
        return None, None
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):  # pyarrow's errors derive from these; the loader reports them
        return None, None
    name, version = meta.get(b"navis.dataset"), meta.get(b"navis.version")
    return (name.decode() if name else None), (version.decode() if version else None)


# --- HealthBench-format files ------------------------------------------------------------------


def _safe_id(value: str) -> str:
    import re

    cleaned = re.sub(r"[^A-Za-z0-9._:-]+", "-", value).strip("-.:_")
    return cleaned[:120] or "item"


def healthbench_items(
    path: Path,
    *,
    cancer_type: str,
    category: str,
    risk: str = "standard",
    expected_coverage: str = "not_covered",
    id_prefix: str = "hb-",
    multi_turn: str = "skip",
    require_tags: tuple[str, ...] = (),
    match: str | None = None,
    limit: int | None = None,
) -> tuple[list[Any], dict[str, int]]:
    """Gold items from HealthBench JSONL lines (``prompt`` messages, ``rubrics`` with ``criterion``,
    ``points``, ``tags``, ``example_tags``, ``prompt_id``), and counts of what was skipped.

    The last user message becomes the question. A conversation with earlier turns is skipped
    (``multi_turn="skip"``) or flattened into the question (``"join"``). ``require_tags`` keeps
    examples carrying all of those ``example_tags``; ``match`` keeps prompts matching a regex
    (case-insensitive), e.g. ``cancer|chemo|oncolog``.
    """
    import re

    from navis_eval.jsonl import iter_json_objects
    from navis_eval.models import GoldItem

    pattern = re.compile(match, re.IGNORECASE) if match else None
    items: list[GoldItem] = []
    skipped = {"multi_turn": 0, "tags": 0, "match": 0, "no_user_message": 0}
    seen: dict[str, int] = {}
    for number, obj in iter_json_objects(path):
        prompt = obj.get("prompt")
        if not isinstance(prompt, list) or not all(isinstance(m, dict) and "content" in m for m in prompt):
            raise InputError("'prompt' must be a list of {role, content} messages", path=path, line=number, field="prompt")
        rubrics = obj.get("rubrics", [])
        if not isinstance(rubrics, list):
            raise InputError("'rubrics' must be a list", path=path, line=number, field="rubrics")
        tags = [str(t) for t in obj.get("example_tags", [])]
        if require_tags and not set(require_tags) <= set(tags):
            skipped["tags"] += 1
            continue
        users = [i for i, m in enumerate(prompt) if m.get("role") == "user"]
        if not users:
            skipped["no_user_message"] += 1
            continue
        last = users[-1]
        if len(prompt) > 1 and multi_turn == "skip" and any(m.get("role") != "system" for m in prompt[:last]):
            skipped["multi_turn"] += 1
            continue
        question = str(prompt[last]["content"]).strip()
        earlier = [m for m in prompt[:last] if m.get("role") != "system"]
        if earlier:
            history = "\n".join(f"{m.get('role')}: {str(m.get('content')).strip()}" for m in earlier)
            question = f"Earlier in this conversation:\n{history}\n\nMy question now: {question}"
        if pattern is not None and not pattern.search(question):
            skipped["match"] += 1
            continue
        item_id = id_prefix + _safe_id(str(obj.get("prompt_id") or obj.get("id") or number))
        if item_id in seen:
            first = seen[item_id]
            raise InputError(f"duplicate id '{item_id}' (first on line {first})", path=path, line=number, field="prompt_id")
        seen[item_id] = number
        data = {
            "id": item_id,
            "question": question,
            "cancer_type": cancer_type,
            "category": category,
            "risk": risk,
            "expected_coverage": expected_coverage,
            "criteria": [
                {
                    "criterion": str(r.get("criterion", "")),
                    "points": int(r.get("points", 0)),
                    "tags": [str(t) for t in r.get("tags", [])],
                }
                for r in rubrics
            ],
        }
        try:
            items.append(GoldItem.model_validate(data))
        except ValidationError as exc:
            from navis_eval.errors import from_validation_error

            raise from_validation_error(exc, path=path, line=number) from None
        if limit is not None and len(items) >= limit:
            break
    return items, skipped
