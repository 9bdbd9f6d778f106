"""A queued experiment runs the code it was queued with, not whatever the workspace holds when the
queue starts.

The venv installs seqlab in editable mode, which puts the workspace's src/ on every Python's
path; an experiment runs in its own copy of the tree (.dvc/tmp/exps/...). Stage commands run as
``PYTHONPATH=src python -m ...`` (seqlab.tools.pipeline.PREFIX), which puts the experiment's own
src/ first. Here a probe stage records which version of its code ran; the editable install is
stood in for by PYTHONPATH pointing at the workspace, exactly where the .pth file points.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from seqlab.tools.pipeline import PREFIX

pytestmark = pytest.mark.e2e

PROBE = '''"""Writes which version of this file ran."""
from pathlib import Path

Path("reports").mkdir(exist_ok=True)
Path("reports/probe.txt").write_text("{version}")
'''


def _run(args: list[str], cwd: Path, env: dict) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def test_a_queued_experiment_runs_its_queued_code_after_the_workspace_changed(tmp_path):
    repo = tmp_path / "repo"
    probe = repo / "src" / "seqlab" / "probe.py"
    probe.parent.mkdir(parents=True)
    (probe.parent / "__init__.py").write_text('"""A stand-in package."""\n')
    probe.write_text(PROBE.format(version="committed"))
    (repo / "params.yaml").write_text("probe:\n  n: 1\n")
    stage = {"cmd": f"{PREFIX} python -m seqlab.probe", "deps": ["src/seqlab/probe.py"], "params": ["probe.n"],
             "outs": [{"reports/probe.txt": {"cache": False}}]}
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"probe": stage}}))
    bin_dir = str(Path(sys.executable).parent)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(repo / "src"),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "DVC_NO_ANALYTICS": "1", "MLFLOW_DISABLE_TELEMETRY": "true"}
    dvc = [sys.executable, "-m", "dvc"]
    _run(["git", "init", "-q"], repo, env)
    _run(dvc + ["init", "-q"], repo, env)
    _run(dvc + ["repro"], repo, env)
    assert (repo / "reports/probe.txt").read_text() == "committed"
    _run(["git", "add", "-A"], repo, env)
    _run(["git", "commit", "-qm", "probe"], repo, env)

    probe.write_text(PROBE.format(version="queued"))
    _run(dvc + ["exp", "run", "--queue", "--name", "mine", "-S", "probe.n=2"], repo, env)
    probe.write_text(PROBE.format(version="edited"))  # the workspace moves on before the queue runs
    _run(dvc + ["queue", "start", "-j", "1"], repo, env)
    deadline = time.monotonic() + 300
    while True:
        status = _run(dvc + ["queue", "status"], repo, env)
        if not re.search(r"\b(Queued|Running)\b", status) or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert "Success" in status, status

    refs = _run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"], repo, env).split()
    ref = next(r for r in refs if r.endswith("/mine"))
    assert _run(["git", "show", f"{ref}:reports/probe.txt"], repo, env) == "queued"
    assert _run(["git", "show", f"{ref}:src/seqlab/probe.py"], repo, env) == PROBE.format(version="queued")
