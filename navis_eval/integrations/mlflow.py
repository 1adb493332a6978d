"""Log a finished run directory to MLflow: parameters, metrics per check, the report as artifacts.

``navis-eval run --mlflow [--mlflow-uri URI]`` calls :func:`log_run` after the run. The default
tracking URI is ``$MLFLOW_TRACKING_URI``, else the local file store ``./mlruns``; nothing leaves
the machine unless the user points the URI at a server. Everything logged is read from the run
directory (manifest.json, summary.json, report.html, report.md), so an old run can be logged
later too::

    from navis_eval.integrations.mlflow import log_run
    log_run("reports/runs/20261121T181043Z-reference-3f09aa")

MLflow is an optional extra (``pip install 'navis-eval[mlflow]'``; the skinny client is enough)
and is imported only here. A ``MlflowClient`` bound to the URI is used rather than MLflow's
process-global "active run", so logging never disturbs a caller's own MLflow session.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from navis_eval.errors import InputError
from navis_eval.integrations import quiet_third_parties

ARTIFACTS = ("report.html", "report.md", "summary.json", "manifest.json")
CHECK_METRICS = ("pass_rate", "ci_low", "ci_high", "mean_score", "passed", "failed", "unscored", "n")


@dataclass(frozen=True)
class LoggedRun:
    run_id: str
    experiment_id: str
    tracking_uri: str


def require_mlflow() -> None:
    """Fail before a run starts when the extra is missing (exit 2, nothing written)."""
    if importlib.util.find_spec("mlflow") is None:
        raise InputError("--mlflow needs MLflow: pip install 'navis-eval[mlflow]'", field="--mlflow")


def resolve_tracking_uri(uri: str | None = None) -> str:
    """The URI to log to: given, else $MLFLOW_TRACKING_URI, else ./mlruns; bare paths become file: URIs."""
    chosen = uri or os.environ.get("MLFLOW_TRACKING_URI") or "mlruns"
    parsed = urlparse(chosen)
    if parsed.scheme and len(parsed.scheme) > 1:  # not a Windows drive letter
        return chosen
    return Path(chosen).resolve().as_uri()


def params(manifest: dict[str, Any], summary: dict[str, Any]) -> dict[str, str]:
    engine = manifest.get("engine", {})
    out: dict[str, Any] = {
        "run_id": manifest.get("run_id"),
        "label": manifest.get("label"),
        "harness_version": manifest.get("harness_version"),
        "git_commit": manifest.get("git_commit"),
        "engine.kind": engine.get("kind"),
        "engine.name": engine.get("name"),
        "engine.version": engine.get("version"),
        "engine.model": engine.get("model"),
        "engine.fingerprint": engine.get("fingerprint"),
        "checks": ",".join(manifest.get("checks", [])),
    }
    for part in ("dataset", "rubric"):
        ref = manifest.get(part, {})
        for key in ("name", "version", "hash"):
            out[f"{part}.{key}"] = ref.get(key)
    judge = summary.get("judge")
    if judge:
        for key in ("name", "model", "base_url", "json_mode", "fingerprint"):
            out[f"judge.{key}"] = judge.get(key)
        out["judge.judges"] = ",".join(judge.get("judges", []))
    return {k: str(v)[:6000] for k, v in out.items() if v not in (None, "")}


def metrics(summary: dict[str, Any]) -> dict[str, float]:
    out: dict[str, Any] = {
        "items": summary.get("items"),
        "answered": summary.get("answered"),
        "errors": summary.get("errors"),
        "error_rate": summary.get("error_rate"),
        "cached": summary.get("cached"),
    }
    latency = summary.get("latency_ms", {})
    for q in ("p50", "p95", "p99", "mean"):
        out[f"latency_{q}_ms"] = latency.get(q)
    for check, entry in summary.get("checks", {}).items():
        for key in CHECK_METRICS:
            out[f"{check}.{key}"] = entry.get(key)
        total = (entry.get("n") or 0) + (entry.get("unscored") or 0)
        out[f"{check}.unscored_rate"] = entry.get("unscored", 0) / total if total else None
    judge = summary.get("judge")
    if judge:
        out["judge.calls"] = judge.get("calls")
        out["judge.cache_hits"] = judge.get("cache_hits")
        out["judge.tokens"] = judge.get("tokens", {}).get("total")
        out["judge.cost_usd"] = judge.get("cost_usd")
        out["judge.errors"] = judge.get("errors")
        for check, d in judge.get("disagreement", {}).items():
            out[f"{check}.llm_agreement"] = d.get("agreement")
            out[f"{check}.llm_kappa"] = d.get("kappa")
        hb = judge.get("healthbench") or {}
        out["healthbench.score"] = hb.get("score")
        for tag, entry in (hb.get("by_tag") or {}).items():
            out[f"healthbench.tag.{_key(tag)}"] = entry.get("score")
    return {k: float(v) for k, v in out.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _key(text: str) -> str:
    """MLflow keys allow letters, digits, _ - . / and spaces."""
    return "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in text)


def log_run(run_path: Path | str, *, tracking_uri: str | None = None, experiment: str = "navis-eval") -> LoggedRun:
    """Create one MLflow run for a navis run directory and return its id."""
    from navis_eval.store import RunDir

    require_mlflow()
    run = RunDir.open(Path(run_path))
    manifest = json.loads(run.manifest_path.read_text(encoding="utf-8"))
    summary = run.read_summary()
    uri = resolve_tracking_uri(tracking_uri)
    quiet_third_parties()
    if uri.startswith("file:"):
        # MLflow 3 keeps the file store in maintenance mode and refuses it unless asked; it is the
        # zero-setup default here (a user's explicit setting still wins).
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found is not None else client.create_experiment(experiment)
    tags = {"navis.run_id": manifest.get("run_id", ""), "navis.status": manifest.get("status", "")}
    if manifest.get("label"):
        tags["navis.label"] = manifest["label"]
    created = client.create_run(experiment_id, run_name=manifest.get("label") or manifest.get("run_id"), tags=tags)
    mlflow_run_id = created.info.run_id
    try:
        now = int(time.time() * 1000)
        client.log_batch(
            mlflow_run_id,
            metrics=[Metric(key, value, now, 0) for key, value in sorted(metrics(summary).items())],
            params=[Param(key, value) for key, value in sorted(params(manifest, summary).items())],
            tags=[RunTag("mlflow.note.content", f"navis-eval run {manifest.get('run_id')}")],
        )
        for name in ARTIFACTS:
            if (run.path / name).is_file():
                client.log_artifact(mlflow_run_id, str(run.path / name))
    except Exception:
        client.set_terminated(mlflow_run_id, status="FAILED")
        raise
    client.set_terminated(mlflow_run_id, status="FINISHED")
    return LoggedRun(mlflow_run_id, experiment_id, uri)
