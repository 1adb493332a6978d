"""``navis-eval run --mlflow``: parameters, metrics per check and the report in a local file store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("mlflow")

from tests.conftest import navis  # noqa: E402
from tests.judge_server import judge_server  # noqa: E402


def store(uri_dir: Path):  # type: ignore[no-untyped-def]
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri_dir.resolve().as_uri())
    experiment = client.get_experiment_by_name("navis-eval")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    return client, runs


def test_run_logs_params_metrics_and_report_to_a_local_file_store(tmp_path: Path) -> None:
    mlruns = tmp_path / "mlruns"
    done = navis(
        "run",
        "--limit",
        "3",
        "--label",
        "release-1",
        "--out",
        str(tmp_path / "runs"),
        "--run-id",
        "r1",
        "-q",
        "--mlflow",
        "--mlflow-uri",
        str(mlruns),
    )
    assert done.returncode == 0, done.stderr
    assert "mlflow: run " in done.stdout
    client, runs = store(mlruns)
    assert len(runs) == 1
    run = runs[0]
    manifest = json.loads((tmp_path / "runs" / "r1" / "manifest.json").read_text())
    summary = json.loads((tmp_path / "runs" / "r1" / "summary.json").read_text())
    params = run.data.params
    assert params["engine.kind"] == "reference" and params["dataset.hash"] == manifest["dataset"]["hash"]
    assert params["rubric.name"] == manifest["rubric"]["name"] and params["rubric.version"] == manifest["rubric"]["version"]
    assert params["dataset.version"] == manifest["dataset"]["version"] and params["label"] == "release-1"
    metrics = run.data.metrics
    for check, entry in summary["checks"].items():
        if entry["pass_rate"] is not None:
            assert metrics[f"{check}.pass_rate"] == pytest.approx(entry["pass_rate"])
            assert metrics[f"{check}.ci_low"] <= metrics[f"{check}.pass_rate"] <= metrics[f"{check}.ci_high"]
    assert metrics["error_rate"] == 0.0 and "latency_p50_ms" in metrics and "latency_p95_ms" in metrics
    assert run.data.tags["navis.run_id"] == "r1" and run.info.status == "FINISHED"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"report.html", "summary.json", "report.md", "manifest.json"} <= artifacts


def test_judged_runs_log_judge_metrics(tmp_path: Path) -> None:
    with judge_server() as server:
        cfg = tmp_path / "judge.yaml"
        cfg.write_text(
            f"model: j\nbase_url: {server.url}/v1\n"
            "judges: {faithfulness: {enabled: false}, geval: {checks: [disclaimer]}}\n"
        )
        done = navis(
            "run",
            "--limit",
            "2",
            "--judge",
            str(cfg),
            "--out",
            str(tmp_path / "runs"),
            "-q",
            "--no-report",
            "--mlflow",
            "--mlflow-uri",
            str(tmp_path / "mlruns"),
        )
    assert done.returncode == 0, done.stderr
    _, runs = store(tmp_path / "mlruns")
    metrics, params = runs[0].data.metrics, runs[0].data.params
    assert metrics["judge.calls"] >= 2 and "disclaimer.llm.pass_rate" in metrics and "disclaimer.llm_agreement" in metrics
    assert params["judge.model"] == "j" and "healthbench" in params["judge.judges"]


def test_log_run_api_and_default_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from navis_eval.integrations.mlflow import log_run, resolve_tracking_uri

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_tracking_uri() == (tmp_path / "mlruns").resolve().as_uri()
    assert resolve_tracking_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    done = navis("run", "--limit", "1", "--out", str(tmp_path / "runs"), "--run-id", "r", "-q")
    assert done.returncode == 0, done.stderr
    logged = log_run(tmp_path / "runs" / "r")
    assert logged.tracking_uri.endswith("/mlruns")
    _, runs = store(tmp_path / "mlruns")
    assert runs[0].info.run_id == logged.run_id
