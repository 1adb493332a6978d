"""Hugging Face ``datasets`` and pandas views of the gold set, corpus and run results.

The ``datasets`` library is an optional extra (``pip install navis-eval[hf]``); pandas is core.
Nested fields (key points, patient profile, criteria) stay nested: Arrow stores them natively.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from navis_eval.dataset import Dataset

if TYPE_CHECKING:
    import datasets
    import pandas as pd


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
