from pathlib import Path

import pytest

from seqlab.core.tracking import Tracker, repo_root, resolve_tracking_uri


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("DVC_ROOT", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def test_a_relative_store_resolves_to_the_main_repo_from_an_experiment_copy(tmp_path, monkeypatch):
    main = tmp_path / "repo"
    copy = main / ".dvc" / "tmp" / "exps" / "tmpabc123"
    copy.mkdir(parents=True)
    (copy / ".dvc").mkdir()  # the copy is a DVC repo of its own: it must not win
    assert resolve_tracking_uri("sqlite:///mlflow.db", cwd=copy) == f"sqlite:///{main}/mlflow.db"
    # DVC exports DVC_ROOT (the parent repo for queued runs); it wins over the path.
    monkeypatch.setenv("DVC_ROOT", str(tmp_path / "elsewhere"))
    assert resolve_tracking_uri("sqlite:///mlflow.db", cwd=copy) == f"sqlite:///{tmp_path}/elsewhere/mlflow.db"


def test_the_repo_root_is_found_from_a_subfolder(tmp_path):
    (tmp_path / ".dvc").mkdir()
    (tmp_path / "stages").mkdir()
    assert repo_root(tmp_path / "stages") == tmp_path


def test_absolute_and_environment_uris_are_kept(tmp_path, monkeypatch):
    assert resolve_tracking_uri("sqlite:////abs/store.db", cwd=tmp_path) == "sqlite:////abs/store.db"
    assert resolve_tracking_uri("http://127.0.0.1:5000", cwd=tmp_path) == "http://127.0.0.1:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////x.db")
    assert resolve_tracking_uri("sqlite:///mlflow.db", cwd=tmp_path) == "sqlite:////x.db"


def test_nested_runs_land_in_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    monkeypatch.setenv("DVC_STAGE", "palindrome_train@lstm")
    monkeypatch.setenv("DVC_EXP_NAME", "brisk-hare")
    tracker = Tracker("sqlite:///mlflow.db", "palindrome")
    with tracker.run("lstm-T5", {"T": 5}) as parent:
        with tracker.run("lstm-T5-seed0", {"T": 5, "seed": 0}, parent_id=parent) as child:
            tracker.log_series(child, {"train_loss": ([1, 2, 3], [2.0, 1.0, 0.5])})
            (tmp_path / "curve.png").write_bytes(b"\x89PNG")
            tracker.log_artifact(child, tmp_path / "curve.png")
    assert (tmp_path / "mlflow.db").is_file()

    run = tracker.client.get_run(child)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"T": "5", "seed": "0"}
    assert run.data.tags["mlflow.parentRunId"] == parent
    assert run.data.tags["dvc.stage"] == "palindrome_train@lstm" and run.data.tags["dvc.exp_name"] == "brisk-hare"
    assert [m.value for m in tracker.client.get_metric_history(child, "train_loss")] == [2.0, 1.0, 0.5]
    assert [a.path for a in tracker.client.list_artifacts(child)] == ["curve.png"]
    assert Path(tracker.client.get_experiment(tracker.experiment_id).artifact_location.removeprefix("file://")) \
        == tmp_path / "mlartifacts" / "palindrome"


def test_a_failing_run_is_marked_failed(tmp_path, monkeypatch):
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    tracker = Tracker("sqlite:///mlflow.db", "palindrome")
    with pytest.raises(RuntimeError):
        with tracker.run("boom", {}) as run_id:
            raise RuntimeError("diverged")
    assert tracker.client.get_run(run_id).info.status == "FAILED"
