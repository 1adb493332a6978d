"""Loading the gold question set and the reference corpus, with their version and content hash.

A dataset is described by a small YAML file (``datasets/navis-gold.yaml``) naming its version, the
questions file and the corpus folder. Its content hash covers every data file, so two runs are
comparable only when they measured exactly the same questions against the same corpus.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from navis_eval.errors import InputError
from navis_eval.jsonl import M, load_models, load_yaml
from navis_eval.models import CorpusPassage, GoldItem, VersionRef
from navis_eval.paths import resolve_bundled

DEFAULT_DATASET = "datasets/navis-gold.yaml"


@dataclass(frozen=True)
class Dataset:
    """Gold items and corpus passages, plus the identity recorded in run manifests."""

    name: str
    version: str
    hash: str
    path: str
    items: list[GoldItem]
    corpus: list[CorpusPassage] = field(default_factory=list)
    corpus_files: list[Path] = field(default_factory=list)

    @property
    def ref(self) -> VersionRef:
        return VersionRef(name=self.name, version=self.version, hash=self.hash, path=self.path)

    def item(self, item_id: str) -> GoldItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def _data_files(path: Path) -> list[Path]:
    """The files whose bytes identify a gold set (a save_to_disk folder: its Arrow files)."""
    if path.is_dir():
        from navis_eval.hf import table_files

        return table_files(path)
    return [path]


def corpus_files(location: Path) -> list[Path]:
    """The corpus JSONL (or Parquet) files under a folder (sorted), or the single file given."""
    if location.is_dir():
        return sorted([*location.glob("*.jsonl"), *location.glob("*.parquet")])
    return [location]


def _load_rows(path: Path, model: type[M]) -> list[M]:
    """JSONL, or a table (Parquet, Arrow, a ``save_to_disk`` folder) with the same schema."""
    from navis_eval.hf import is_table, load_table_models

    if is_table(path):
        return load_table_models(path, model)
    return load_models(path, model)


def load_corpus(location: str | Path) -> list[CorpusPassage]:
    """All passages of a corpus folder or file; ids must be unique across files."""
    passages: list[CorpusPassage] = []
    seen: dict[str, Path] = {}
    for path in corpus_files(resolve_bundled(location)):
        for passage in _load_rows(path, CorpusPassage):
            if passage.id in seen:
                raise InputError(
                    f"duplicate passage id '{passage.id}' (also in {seen[passage.id]})", path=path, field="id"
                )
            seen[passage.id] = path
            passages.append(passage)
    return passages


def load_dataset(path: str | Path | None = None, *, corpus: str | Path | None = None) -> Dataset:
    """Load a dataset from its YAML descriptor, or a bare gold JSONL file (plus an optional corpus)."""
    location = resolve_bundled(path or DEFAULT_DATASET)
    if location.suffix in {".yaml", ".yml"}:
        spec = load_yaml(location)
        if not isinstance(spec, dict):
            raise InputError("a dataset descriptor must be a YAML mapping", path=location)
        for key in ("name", "version", "questions"):
            if not spec.get(key):
                raise InputError("required key is missing", path=location, field=key)
        questions = location.parent / str(spec["questions"])
        corpus_location = Path(corpus) if corpus else (location.parent / str(spec["corpus"]) if spec.get("corpus") else None)
        name, version = str(spec["name"]), str(spec["version"])
    elif location.suffix == ".jsonl":
        questions = location
        corpus_location = Path(corpus) if corpus else resolve_bundled("datasets/corpus")
        name, version = location.stem, "unversioned"
    elif location.suffix in (".parquet", ".arrow") or (location.is_dir() and (location / "state.json").is_file()):
        # a gold set published as Parquet/Arrow (e.g. by `navis-eval dataset export` or datasets'
        # save_to_disk); its corpus is a corpus.parquet beside it, else the bundled corpus
        from navis_eval.hf import table_identity

        questions = location
        beside = location.parent / "corpus.parquet"
        if corpus:
            corpus_location = Path(corpus)
        else:
            corpus_location = beside if beside.is_file() and beside != location else resolve_bundled("datasets/corpus")
        stored_name, stored_version = table_identity(location)
        name, version = stored_name or location.stem, stored_version or "unversioned"
    else:
        raise InputError("expected a dataset descriptor (.yaml) or a gold set (.jsonl, .parquet, .arrow)", path=location)
    items = _load_rows(questions, GoldItem)
    files = corpus_files(corpus_location) if corpus_location is not None else []
    passages = load_corpus(corpus_location) if corpus_location is not None else []
    return Dataset(
        name=name,
        version=version,
        hash=_hash_files([*_data_files(questions), *files]),
        path=str(location),
        items=items,
        corpus=passages,
        corpus_files=files,
    )
