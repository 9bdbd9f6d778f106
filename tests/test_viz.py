"""Figure helpers: each recorded run's curve reaches its MLflow run from the figures stage."""

import json

import numpy as np
import pandas as pd

from seqlab.present.viz import log_run_curves


class _Tracker:
    def __init__(self):
        self.logged = []

    def log_artifact(self, run_id, path):
        self.logged.append((run_id, path.name, path.read_bytes()[:4]))


def _run(folder, run_id, metric):
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"run_id": run_id}))
    pd.DataFrame({"step": [1, 2], "train_loss": [2.0, 1.0], f"train_{metric}": [0.5, 0.4],
                  f"val_{metric}": [np.nan, 0.3], "val_loss": [np.nan, 1.1]}).to_csv(folder / "history.csv", index=False)


def test_every_tracked_run_gets_its_curve_and_untracked_runs_are_skipped(tmp_path):
    _run(tmp_path / "lstm" / "T10" / "seed0", "a1", "mse")
    _run(tmp_path / "h2" / "seed0", "b2", "acc")
    _run(tmp_path / "h2" / "seed1", None, "acc")  # recorded without MLflow
    tracker = _Tracker()
    assert log_run_curves(tracker, tmp_path, "study") == 2
    assert sorted(tracker.logged) == [("a1", "curve.png", b"\x89PNG"), ("b2", "curve.png", b"\x89PNG")]
    assert log_run_curves(None, tmp_path, "study") == 0
