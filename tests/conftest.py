import fcntl
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import yaml

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=None)
def _stage_commands() -> dict[str, str]:
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        return {s.addressing: s.cmd for s in repo.index.stages}


def stage_command(name: str) -> list[str]:
    """A stage's command as dvc.yaml gives it (foreach resolved), run with this interpreter (which
    imports this checkout's seqlab, as the command's PYTHONPATH=src would from the repository root)."""
    words = shlex.split(_stage_commands()[name])
    assert words[:2] == ["PYTHONPATH=src", "python"], words
    return [sys.executable, *words[2:]]


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """One intra-op torch thread in the test process. The tests run beside the tiny run's stages (below)
    and, under pytest-xdist, beside another worker: a second thread spins on a barrier whenever the other
    core is busy (tests/test_image_models.py measured 50x slower), and at these sizes it buys nothing."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture
def default_params() -> dict:
    """The repository's params.yaml as a plain dict, for tests to shrink or break."""
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def shrink(p: dict) -> dict:
    """Every study at a size that runs in seconds: the same code paths, tiny data and models."""
    p["palindrome"]["data"].update(n_train=256, n_val=64, n_test=64)
    p["palindrome"]["train"].update(seeds=[0, 1], steps=12, batch_size=32, hidden=8, eval_every=4)
    for m in p["palindrome"]["models"]:
        p[m]["T"] = [4, 6]
    k = p["palindrome"]["course"]
    k.update(seeds=[0, 1], hidden=4, batch_size=8)
    k["default_size"].update(whole_up_to=2)  # every length at the cut sizes below
    k["default_size"]["lstm"].update(palindromes=60, epochs=2)
    k["default_size"]["rnn"].update(palindromes=50, epochs=2)
    u = p["uvapal"]
    u.update(lengths=[4, 6])
    u["small"].update(hidden=4, batch_size=8)
    u["train"].update(seeds=[0, 1], steps=12, eval_every=4)
    u["heldout"]["n"] = 16
    u["ablation"]["T"] = 4
    p["recall"]["data"].update(n_train=200, n_val=50, n_test=50)
    p["recall"]["train"].update(hidden=[2, 4], seeds=[0, 1], steps=12, batch_size=32, eval_every=4)
    p["recall"]["report"]["examples"] = 3
    k = p["recall"]["course"]
    k["train"].update(hidden=[2, 4], seeds=[0, 1], epochs=2, steps_per_epoch=4, batch_size=8, test_batches=2)
    k["judge"]["batches"] = 4
    p["addition"]["data"].update(lengths=[2, 3], eval_max_len=4, n_train=100, n_val=20, n_test=20)
    p["addition"]["train"].update(hidden=[3], seeds=[0, 1], steps=12, batch_size=16, eval_every=4)
    k = p["addition"]["course"]
    k["train"].update(seeds=[0, 1], epochs=2, steps_per_epoch=4, batch_size=8, epoch_test_n=8)
    k["evaluate"].update(sweep_max_len=4, sweep_n=8, judge_n=16, show=4)
    p["adding"]["T"] = [4, 6]
    p["adding"]["data"].update(n_train=100, n_val=20, n_test=20)
    p["adding"]["train"].update(hidden=8, seeds=[0], steps=12, batch_size=16, eval_every=4)
    p["sweep"]["T"] = [4, 6]
    p["sweep"]["data"].update(n_train=200, n_val=50, n_test=50)
    p["sweep"]["train"].update(hidden=8, seeds=[0, 1], steps=12, batch_size=32, eval_every=4)
    p["gradflow"].update(T=[4, 6], batch_size=16)
    d = p["add2digits"]
    d["lengths"] = [3, 4]
    d["network"]["hidden"] = 8
    d["train"]["seeds"] = [0]
    d["course"].update(n_train=48, n_val=16, batch_size=16, epochs=2)
    d["corrected"]["lengths"] = [4]
    d["judge"]["n"] = 32
    d["gradients"].update(batch=16, probe_seeds=[0, 1])
    m = p["mnist"]
    m["data"].update(n_train=60, n_val=20, n_test=20)
    m["classifiers"].update(hidden=[[4], [4, 4]])
    for view, subset in (("row", None), ("pixel", 20), ("permuted", 20)):  # gate inits as the defaults
        m["train"]["schedule"][view].update(epochs=1, n_train=subset, batch_size=16)
    m["autoencoder"].update(hidden=8, latent=4, epochs=1, batch_size=16)
    m["course"].update(layouts=[[4], [6], [4, 4]], steps=7, batch_size=16, eval_every=3)
    p["masked"]["model"].update(encoder=[16, 4], decoder=[16])
    p["masked"]["train"].update(epochs=2, batch_size=16)
    p["masked"]["report"].update(pairs=2, ghosts=2)
    k = p["masked"]["course"]
    k["model"].update(encoder=[8, 4], decoder=[8])
    k["train"].update(epochs=2, batch_size=16, seeds=[0, 1])
    k["report"].update(per_class=1, threes=2)
    g = p["gan"]
    g["model"].update(latent=8, generator=[8, 16], discriminator=[16])
    g["train"].update(updates=6, batch_size=8, grid_every=3)
    g["score"].update(grid_size=4, n_samples=10)
    k = g["course"]  # the template's networks are fixed: 6 updates of them take a second
    k["train"].update(updates=6, batch_size=8, seeds=[0])
    k["score"].update(every=3, n_samples=10)
    k["interpolate"].update(points=3, paths=2)
    c = p["charlm"]  # the source stays as it is: the e2e test points it at a text it writes
    c["model"].update(embedding=4, hidden=8)
    c["train"].update(steps=6, seq_len=10, batch_size=8, eval_every=2, decay_every=3)
    c["generate"].update(length=10, measure_length=40)
    c["course"]["model"].update(embedding=4, hidden=8)
    c["course"]["train"].update(steps=6, batch_size=8, eval_every=2, checkpoints=[2, 4], acc_window=2)
    c["course"]["generate"].update(starts=["t", "a"], measure_length=40, sample_length=20, samples=1)
    a = p["lstmae"]  # the prices stay on the offline source, which the pinned skfolio wheel ships
    a["synthetic"]["data"]["n"] = 100
    a["synthetic"]["model"].update(hidden=4, latent=4)
    a["synthetic"]["train"].update(steps=6, eval_every=3, batch_size=16)
    a["prices"]["data"].update(windows=30, days=20, horizon=2)
    a["prices"]["model"].update(hidden=4, latent=4)
    a["prices"]["train"].update(steps=6, eval_every=3, batch_size=8)
    k = a["course"]["synthetic"]
    k["data"].update(n=60, length=8)
    k["model"]["hidden"] = 4
    k["train"].update(epochs=2, seeds=[0, 1])
    k["variants"] = [{"hidden": 2}, {"lr": 0.05}]
    c = a["course"]
    c["mnist"]["recon"].update(hidden=3, epochs=2, pixel_epochs=1)
    c["mnist"]["classifier"].update(hidden=3, epochs=2)
    c["prices"]["default"].update(recon_windows=24, predict_windows=16, val_windows=6, test_windows=6, hidden=3, epochs=2)
    c["prices"]["data"]["days"] = 20
    return p


@pytest.fixture
def tiny_params(default_params) -> dict:
    return shrink(default_params)


def fake_mnist(root) -> None:
    """Random images in the MNIST study's split files under ``root``/data/mnist (40 / 12 / 16):
    what the course-protocol tests train on (tests never read the real splits)."""
    from seqlab.tasks import mnist

    rng = np.random.default_rng(0)
    splits = {s: (rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), rng.integers(0, 10, n))
              for s, n in (("train", 40), ("val", 12), ("test", 16))}
    mnist.save_splits(root / "data" / "mnist", splits,
                      {"source": "fake", "sizes": {s: len(v[1]) for s, v in splits.items()}, "full": False,
                       "class_names": list("0123456789")})


# --- the tiny DAG: one `dvc repro` on shrink()'s params, shared by every end-to-end test -----------------------
#
# That first repro is most of the suite's time: every stage is a Python process, and after each one DVC
# rewrites dvc.lock. So it runs once per session, in the background from the session's first test, while the
# unit tests run in this process; the tests that read it are ordered last. Under pytest-xdist the workers share
# it: the first to start takes a lock and runs it, the others wait for its exit code.

TALE = ("Once there was a miller who was poor, but he had a beautiful daughter. 'Tell me,' said the king, "
        "'can she spin straw into gold?' And the Miller said: 'Why, she can!'\n") * 30


@dataclass(frozen=True)
class TinyRun:
    """The tiny repository after its first `dvc repro`: where it is, the environment its commands run in
    (this interpreter first on PATH, git identity set) and what that repro printed."""

    path: Path
    env: dict
    output: str


def tiny_env() -> dict:
    """The environment git, DVC and the stages run in, in the tiny repository (the same in every xdist worker)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DVC_ROOT", "MLFLOW_TRACKING_URI", "DVC_STAGE") and not k.startswith("PYTEST_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               GIT_AUTHOR_NAME="seqlab", GIT_AUTHOR_EMAIL="seqlab@localhost",
               GIT_COMMITTER_NAME="seqlab", GIT_COMMITTER_EMAIL="seqlab@localhost",
               # Each stage on one core, training its runs in-process (seqlab.training.parallel.workers_for):
               # the tests run beside it. At these sizes two spawned workers cost a stage ~6 s of CPU to
               # start and train for milliseconds; test_parallel.py checks workers 1 and 2 agree.
               OMP_NUM_THREADS="1")
    return env


def make_tiny_repo(repo: Path) -> None:
    """Copies this checkout to ``repo`` as a commit of its tree would hold it (outputs and recorded sweeps
    left behind), with shrink()'s params, a tiny MNIST and a short tale beside it, committed to git."""
    from test_mnist_data import write_idx_dir

    repo.mkdir(parents=True)
    # tracked files and new ones not yet committed (but not ignored), as a commit of this tree would hold
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    for rel in filter(None, files.stdout.split("\0")):
        src = ROOT / rel
        # outputs stay behind, and so does a recorded sweep (sweeps/<study>/): the tiny run records its own
        # (the recorded benchmark stays: the report reads it, as a committed record). So does dvc.lock: none of
        # its hashes fits the tiny params, and DVC re-reads and rewrites the whole file after every stage
        # (~1.5 s at its 330 KB), where the tiny run's own lock grows from nothing.
        skip = rel == "dvc.lock" or rel.startswith(("data/", "models/", "reports/", "tests/")) or (
            rel.startswith("benchmarks/") and not rel.startswith("benchmarks/recorded/")) or (
            rel.startswith("sweeps/") and rel != "sweeps/README.md")
        if src.is_file() and not skip:
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    p = shrink(yaml.safe_load((repo / "params.yaml").read_text()))
    write_idx_dir(repo.parent / "mnist_idx", gz=True, n_train=80, n_test=20)
    p["mnist"]["data"]["source"] = f"idx:{repo.parent / 'mnist_idx'}"
    (repo.parent / "tale.txt").write_text(TALE, encoding="utf-8")
    p["charlm"]["data"]["source"] = f"file:{repo.parent / 'tale.txt'}"
    (repo / "params.yaml").write_text(yaml.safe_dump(p, sort_keys=False))

    env = tiny_env()
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "tiny"]):
        subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=True)


def _reads_tiny_run(item) -> bool:
    return "tiny_run" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The tests that read the tiny run go last (in their own order), so that the unit tests run while it builds.

    Under ``pytest -n N --dist loadgroup`` (make test) the unit tests are one group, so they run in one worker
    beside the tiny run, which is the suite's critical path: beside a second worker of unit tests the run took
    19.5 min, beside one 15.5 and 17.2 (two sittings, 2 cores). The tests that read the run are spread over
    every worker once it is built: each works on the run or its own copy of it."""
    items.sort(key=_reads_tiny_run)
    for item in items:
        if not _reads_tiny_run(item):
            item.add_marker(pytest.mark.xdist_group("unit"))


class _TinyBuild:
    """The tiny run's files in ``root`` (shared by xdist workers): repo/, repro.log, and repro.rc once it ended."""

    def __init__(self, root: Path):
        self.root = root
        self.repo, self.log, self.rc = root / "repo", root / "repro.log", root / "repro.rc"
        self.proc: subprocess.Popen | None = None  # set in the one process that started it

    def start_once(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be starting it
            if self.repo.exists():
                return
            try:
                make_tiny_repo(self.repo)
            except BaseException as e:  # the waiting tests fail with this, instead of waiting forever
                self.log.write_text(f"making the tiny repository failed: {e!r}")
                self._record("failed")
                raise
            with open(self.log, "w") as log:
                self.proc = subprocess.Popen([sys.executable, "-m", "dvc", "repro"], cwd=self.repo, env=tiny_env(),
                                             stdout=log, stderr=subprocess.STDOUT)
            # the exit code, for whichever process waits on it, as soon as it is known
            threading.Thread(target=lambda: self._record(str(self.proc.wait())), daemon=True).start()

    def _record(self, code: str) -> None:
        tmp = self.rc.with_suffix(".tmp")
        tmp.write_text(code)
        tmp.replace(self.rc)

    def wait(self) -> TinyRun:
        while not self.rc.exists():
            time.sleep(1)
        output = self.log.read_text()
        assert self.rc.read_text() == "0", f"dvc repro failed in {self.repo}:\n{output}"
        return TinyRun(self.repo, tiny_env(), output)


@pytest.fixture(scope="session", autouse=True)
def _tiny_build(request, tmp_path_factory):
    """Starts the tiny run at the session's first test, when any selected test reads it."""
    if not any(map(_reads_tiny_run, request.session.items)):
        yield None
        return
    base = tmp_path_factory.getbasetemp()
    build = _TinyBuild((base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "tiny")
    build.start_once()
    # The tiny run is the suite's critical path: from here on this process's tests (and what they start) yield
    # the CPU to it (under xdist every worker does; make test runs the unit tests in one worker).
    os.nice(5)
    yield build
    if build.proc is not None and build.proc.poll() is None:
        if request.session.shouldfail or request.session.shouldstop:
            build.proc.terminate()  # the session is stopping: nobody will read it
        build.proc.wait()  # another worker's test may still be waiting for it


@pytest.fixture(scope="session")
def tiny_run(_tiny_build) -> TinyRun:
    """The finished tiny run, shared: read it, never change it (and run no DVC command in it but
    `dvc repro`'s no-op check: DVC locks the repository). A test that changes it takes ``tiny_copy``."""
    return _tiny_build.wait()


@pytest.fixture
def tiny_copy(tiny_run, tmp_path) -> TinyRun:
    """A private copy of the finished tiny run, for a test that changes it (params, forced reruns, `dvc exp`):
    a second to copy, where a second `dvc repro` would take minutes."""
    path = tmp_path / "repo"
    shutil.copytree(tiny_run.path, path, symlinks=True)
    # MLflow stored absolute artifact locations: point them at the copy, so its new runs write there
    with sqlite3.connect(path / "mlflow.db") as db:
        db.execute("UPDATE experiments SET artifact_location = replace(artifact_location, ?, ?)",
                   (str(tiny_run.path), str(path)))
        db.execute("UPDATE runs SET artifact_uri = replace(artifact_uri, ?, ?)", (str(tiny_run.path), str(path)))
    db.close()
    return TinyRun(path, tiny_run.env, tiny_run.output)
