import os
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def default_params() -> dict:
    """The repository's params.yaml as a plain dict, for tests to shrink or break."""
    return yaml.safe_load((ROOT / "params.yaml").read_text())


@pytest.fixture
def tiny_params(default_params) -> dict:
    p = default_params
    p["palindrome"]["data"].update(n_train=256, n_val=64, n_test=64)
    p["palindrome"]["train"].update(seeds=[0, 1], steps=12, batch_size=32, hidden=8, eval_every=4)
    for m in p["palindrome"]["models"]:
        p[m]["T"] = [4, 6]
    return p
