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
from navis_eval.jsonl import load_models, load_yaml
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


def corpus_files(location: Path) -> list[Path]:
    """The corpus JSONL files under a folder (sorted), or the single file given."""
    if location.is_dir():
        return sorted(location.glob("*.jsonl"))
    return [location]


def load_corpus(location: str | Path) -> list[CorpusPassage]:
    """All passages of a corpus folder or file; ids must be unique across files."""
    passages: list[CorpusPassage] = []
    seen: dict[str, Path] = {}
    for path in corpus_files(resolve_bundled(location)):
        for passage in load_models(path, CorpusPassage):
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
    else:
        raise InputError("expected a dataset descriptor (.yaml) or a gold set (.jsonl)", path=location)
    items = load_models(questions, GoldItem)
    files = corpus_files(corpus_location) if corpus_location is not None else []
    passages = load_corpus(corpus_location) if corpus_location is not None else []
    return Dataset(
        name=name,
        version=version,
        hash=_hash_files([questions, *files]),
        path=str(location),
        items=items,
        corpus=passages,
        corpus_files=files,
    )
