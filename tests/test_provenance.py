"""Each DVC stage records where its outputs came from."""

import json
import subprocess

from seqlab.core import paths, provenance


def test_a_stage_records_its_commit_changes_environment_and_time(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@x", "GIT_COMMITTER_NAME": "x", "GIT_COMMITTER_EMAIL": "x@x"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x = 1\n")
    (tmp_path / "params.yaml").write_text("a: 1\n")
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "c"]):
        subprocess.run(cmd, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    monkeypatch.setenv("DVC_EXP_NAME", "brisk-hare")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")

    record = json.loads(provenance.record("palindrome_train@lstm", 12.34).read_text())
    assert paths.provenance("palindrome_train@lstm").as_posix() == "reports/provenance/palindrome_train-lstm.json"
    assert record["stage"] == "palindrome_train@lstm" and record["commit"] == commit
    assert record["code_changed"] is False and record["params_changed"] is False
    assert record["dvc_experiment"] == "brisk-hare" and record["seconds"] == 12.3
    assert record["cpu"] and record["cores"] >= 1 and record["torch"] and record["python"].count(".") == 2
    assert record["thread_env"] == {"ATEN_CPU_CAPABILITY": "avx2"}

    (tmp_path / "params.yaml").write_text("a: 2\n")  # what `dvc exp run -S` does
    (tmp_path / "src" / "a.py").write_text("x = 2\n")
    record = json.loads(provenance.record("recall_train", 1.0).read_text())
    assert record["code_changed"] is True and record["params_changed"] is True


def test_a_training_stage_records_what_it_trained_and_its_start_up(tmp_path, monkeypatch):
    from seqlab.core import tally

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tally, "_runs", 0)
    monkeypatch.setattr(tally, "_samples", 0)
    monkeypatch.setattr(tally, "_seconds", 0.0)
    assert tally.totals() is None  # a stage that trains nothing records no training
    assert json.loads(provenance.record("a_figures", 2.0, startup=1.25).read_text())["training"] is None
    tally.add(6400, 3.0)  # two runs: 50 + 100 steps of batch 128 ...
    tally.add(12800, 5.0)
    record = json.loads(provenance.record("a_train", 10.0, startup=2.94).read_text())
    assert record["startup_seconds"] == 2.9
    assert record["training"] == {"runs": 2, "samples": 19200, "train_seconds": 8.0,
                                  "samples_per_s": 1920.0, "samples_per_train_s": 2400.0}
    age = provenance.process_age()
    assert age is None or 0 < age < 24 * 3600  # this process started before the test ran
