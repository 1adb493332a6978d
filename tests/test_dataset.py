"""The shipped gold set, corpus and labeled answers: valid, cross-referenced, loadable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from navis_eval.dataset import load_dataset
from navis_eval.dataset_validation import Minimums, dataset_stats, validate_dataset
from navis_eval.models import CATEGORIES
from tests.conftest import ROOT, navis


@pytest.fixture(scope="module")
def shipped():  # type: ignore[no-untyped-def]
    return load_dataset()


def test_the_shipped_dataset_is_valid_and_meets_its_minimums(shipped) -> None:  # type: ignore[no-untyped-def]
    problems = validate_dataset(shipped)
    assert problems == [], "\n".join(map(str, problems[:20]))


def test_the_shipped_dataset_composition(shipped) -> None:  # type: ignore[no-untyped-def]
    stats = dataset_stats(shipped)
    assert stats["questions"] >= 300 and stats["cancer_types"] >= 25 and stats["passages"] >= 500
    assert all(stats["by_category"].get(c, 0) >= 15 for c in CATEGORIES)
    gaps = stats["by_coverage"].get("partial", 0) + stats["by_coverage"].get("not_covered", 0)
    assert gaps / stats["questions"] >= 0.20
    assert stats["by_risk"]["high"] >= 60 and stats["with_patient_profile"] >= 30


def test_the_seed_questions_are_in_the_gold_set(shipped) -> None:  # type: ignore[no-untyped-def]
    questions = {i.question.strip().lower() for i in shipped.items}
    assert "what is oligometastatic mesothelioma and can it still be cured" in questions
    assert "what happens when first-line treatment for mesothelioma stops working" in questions


def test_the_dataset_cli_validates_and_reports_stats() -> None:
    valid = navis("dataset", "validate")
    assert valid.returncode == 0, valid.stderr
    stats = navis("dataset", "stats", "--format", "json")
    assert stats.returncode == 0
    data = json.loads(stats.stdout)
    assert data["name"] == "navis-gold" and data["hash"].startswith("sha256:")
    assert set(data["by_cancer_type_and_category"]["pleural_mesothelioma"]) == set(CATEGORIES)


def copy_dataset(tmp_path: Path) -> Path:
    target = tmp_path / "datasets"
    shutil.copytree(ROOT / "datasets", target, ignore=shutil.ignore_patterns("labeled", "*.md"))
    return target


def test_validation_finds_broken_cross_references_with_file_and_line(tmp_path: Path) -> None:
    root = copy_dataset(tmp_path)
    gold = root / "gold" / "questions.jsonl"
    lines = gold.read_text().splitlines()
    item = json.loads(lines[4])
    item["key_points"][0]["passage_ids"] = ["c-nowhere-99"]
    lines[4] = json.dumps(item)
    gold.write_text("\n".join(lines) + "\n")
    result = navis("dataset", "validate", "--dataset", str(root / "navis-gold.yaml"))
    assert result.returncode == 2
    assert f"{gold}:5: field 'key_points.0.passage_ids': cites unknown passage 'c-nowhere-99'" in result.stderr


def test_duplicate_passage_ids_across_corpus_files_are_refused(tmp_path: Path) -> None:
    root = copy_dataset(tmp_path)
    corpus = sorted((root / "corpus").glob("*.jsonl"))
    first = corpus[0].read_text().splitlines()[0]
    with open(corpus[1], "a") as handle:
        handle.write(first + "\n")
    result = navis("dataset", "validate", "--dataset", str(root / "navis-gold.yaml"))
    assert result.returncode == 2 and "duplicate passage id" in result.stderr


def test_minimums_come_from_the_descriptor(shipped) -> None:  # type: ignore[no-untyped-def]
    strict = Minimums(questions=10_000)
    assert any("questions: " in str(p) for p in validate_dataset(shipped, strict))


def test_hugging_face_and_pandas_views_and_parquet_export(shipped, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("datasets")
    from navis_eval.hf import corpus_to_hf, corpus_to_pandas, export_parquet, gold_to_hf, gold_to_pandas

    gold = gold_to_hf(shipped)
    assert gold.num_rows == len(shipped.items)
    assert gold[0]["id"] == shipped.items[0].id and isinstance(gold[0]["key_points"], list)
    assert corpus_to_hf(shipped).num_rows == len(shipped.corpus)
    frame = gold_to_pandas(shipped)
    assert list(frame["id"]) == [i.id for i in shipped.items]
    assert len(corpus_to_pandas(shipped)) == len(shipped.corpus)
    paths = export_parquet(shipped, tmp_path)
    import pyarrow.parquet as pq

    table = pq.read_table(paths[0])
    assert table.num_rows == len(shipped.items)
    assert table.schema.metadata[b"navis.hash"] == shipped.hash.encode()
