"""Where a stage's outputs came from: the commit and whether the code differed from it, the
machine and software, and how long the step took. The stage CLI writes one file per stage,
reports/provenance/<stage>.json, declared as that stage's output; the report tabulates them.

Results differ between CPUs (floating-point paths through torch's kernels), so a number is only
comparable with another from the same environment: this is what says which environment it was.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

from seqlab.core import paths, tally
from seqlab.core.files import write_json
from seqlab.core.tracking import git_commit


def _git_differs(*pathspec: str) -> bool | None:
    """Whether tracked files under ``pathspec`` differ from the commit (None outside git)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", *pathspec],
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return bool(out.stdout.strip())


def code_changed() -> bool | None:
    """Whether the code (src/, dvc.yaml) differs from the commit it would be attributed to."""
    return _git_differs("src", "dvc.yaml")


def cpu_model() -> str:
    """The processor's model name (Linux reports it in /proc/cpuinfo; elsewhere platform's guess)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment() -> dict:
    """The machine and software a stage ran on."""
    torch = sys.modules.get("torch")  # the thread count only where the stage used torch
    return {
        "cpu": cpu_model(), "cores": os.cpu_count(), "machine": platform.machine(),
        "python": platform.python_version(), "torch": _version("torch"),
        "torch_threads": torch.get_num_threads() if torch else None,
        "thread_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "ATEN_CPU_CAPABILITY",
                                                  "MKL_CBWR", "ONEDNN_MAX_CPU_ISA") if k in os.environ},
    }


def stage_name() -> str | None:
    """The DVC stage running this process (DVC exports it), or None outside DVC."""
    return os.environ.get("DVC_STAGE") or None


def process_age() -> float | None:
    """Seconds since this process started (Linux: /proc/self/stat and /proc/uptime), else None."""
    try:
        fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime, in clock ticks
    except (OSError, ValueError, IndexError):
        return None


def record(stage: str, seconds: float, startup: float | None = None) -> Path:
    """Write reports/provenance/<stage>.json for a step that took ``seconds``.

    ``startup``: the seconds from the process's start to the step's (interpreter, imports,
    params), the cost every stage process pays before any work. A training stage's record adds what it
    trained (seqlab.core.tally) and its throughput: training examples per second of the step's
    wall time (``samples_per_s``) and per second of the runs' own training loops."""
    path = paths.provenance(stage)
    trained = tally.totals()
    if trained:
        trained["samples_per_s"] = round(trained["samples"] / seconds, 1) if seconds > 0 else None
        trained["samples_per_train_s"] = (round(trained["samples"] / trained["train_seconds"], 1)
                                          if trained["train_seconds"] > 0 else None)
    write_json(path, {
        "stage": stage, "commit": git_commit(),
        # Uncommitted changes to the code or the DAG mean the commit alone does not say what ran;
        # a params change alone is what `dvc exp run -S` makes.
        "code_changed": code_changed(), "params_changed": _git_differs("params.yaml"),
        "dvc_experiment": os.environ.get("DVC_EXP_NAME") or None,
        "seconds": round(seconds, 1),
        "startup_seconds": round(startup, 1) if startup is not None else None,
        "training": trained, **environment(),
    })
    return path
