"""MLflow tracking: the only module that imports mlflow.

Metrics JSON is written by the stages regardless, so `dvc metrics diff` never depends on
MLflow; this module records the same runs for `mlflow ui`.

The store defaults to ``sqlite:///mlflow.db`` at the repository root. A relative URI is
resolved against the *main* repository: `dvc exp run --temp` and queued experiments run in a
copy under .dvc/tmp/exps/, where a relative path would silently start a second store that is
deleted with the copy. DVC exports DVC_ROOT, pointing at the parent repository, to every stage.
"""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Iterator

# Before mlflow is imported anywhere: no usage reports leave this machine.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

_EXPS_MARKER = os.sep + os.path.join(".dvc", "tmp", "exps") + os.sep


def repo_root(cwd: Path | None = None) -> Path:
    """The main repository's root, also from inside a DVC experiment's temporary copy."""
    if os.environ.get("DVC_ROOT"):
        return Path(os.environ["DVC_ROOT"]).resolve()
    here = str((cwd or Path.cwd()).resolve())
    if _EXPS_MARKER in here + os.sep:
        return Path(here[: (here + os.sep).index(_EXPS_MARKER)])
    for path in [Path(here), *Path(here).parents]:
        if (path / ".dvc").is_dir():
            return path
    return Path(here)


def resolve_tracking_uri(configured: str, cwd: Path | None = None) -> str:
    """MLFLOW_TRACKING_URI wins; a relative sqlite path is anchored at the main repository."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    prefix = "sqlite:///"
    if configured.startswith(prefix) and not configured[len(prefix) :].startswith("/"):
        return prefix + str(repo_root(cwd) / configured[len(prefix) :])
    return configured


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class Tracker:
    """One MLflow experiment per study; runs nested parent (model x T) -> child (seed).

    The store is opened on first use, not here, so a stage that fails on its inputs leaves no
    database behind.
    """

    def __init__(self, configured_uri: str, experiment: str):
        self.uri = resolve_tracking_uri(configured_uri)
        self.experiment = experiment
        self.tags = {
            "mlflow.source.git.commit": git_commit(),
            "dvc.stage": os.environ.get("DVC_STAGE", ""),
            "dvc.exp_name": os.environ.get("DVC_EXP_NAME", ""),
        }

    @cached_property
    def client(self):
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.uri)

    @cached_property
    def experiment_id(self) -> str:
        from mlflow.exceptions import MlflowException

        found = self.client.get_experiment_by_name(self.experiment)
        if found is not None:
            return found.experiment_id
        # Artifacts beside the store, in the main repository (not in a temporary exp copy).
        artifacts = repo_root() / "mlartifacts" / self.experiment
        try:
            return self.client.create_experiment(self.experiment, artifact_location=artifacts.as_uri())
        except MlflowException:  # a concurrent queued experiment created it first
            return self.client.get_experiment_by_name(self.experiment).experiment_id

    @contextmanager
    def run(self, name: str, params: dict, parent_id: str | None = None, tags: dict | None = None) -> Iterator[str]:
        """Start a run, yield its id, and close it FINISHED (or FAILED on an exception)."""
        from mlflow.entities import Param

        all_tags = {k: v for k, v in {**self.tags, **(tags or {})}.items() if v != ""}
        if parent_id is not None:
            all_tags["mlflow.parentRunId"] = parent_id
        run = self.client.create_run(self.experiment_id, run_name=name, tags=all_tags)
        run_id = run.info.run_id
        self.client.log_batch(run_id, params=[Param(k, str(v)) for k, v in params.items()])
        try:
            yield run_id
        except BaseException:
            self.client.set_terminated(run_id, "FAILED")
            raise
        self.client.set_terminated(run_id, "FINISHED")

    def log_series(self, run_id: str, series: dict[str, tuple[list[int], list[float]]]) -> None:
        """Log whole metric curves at once: {key: (steps, values)}, in batches of 1000."""
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [
            Metric(key, float(v), now, int(s)) for key, (steps, values) in series.items() for s, v in zip(steps, values)
        ]
        for i in range(0, len(metrics), 1000):
            self.client.log_batch(run_id, metrics=metrics[i : i + 1000])

    def log_metrics(self, run_id: str, metrics: dict[str, float]) -> None:
        self.log_series(run_id, {k: ([0], [v]) for k, v in metrics.items()})

    def log_artifact(self, run_id: str, path: Path) -> None:
        self.client.log_artifact(run_id, str(path))
