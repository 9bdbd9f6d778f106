"""What a stage process trained: runs, training examples and training seconds, summed over its
runs (those of its worker processes included, as their results come back). The stage CLI puts
the totals in the stage's provenance record, beside its wall time, so the report can give each
training stage's throughput. No torch here: every stage imports this module.
"""

from __future__ import annotations

_runs = 0
_samples = 0
_seconds = 0.0


def add(samples: int, seconds: float) -> None:
    """Count one finished training run: its examples processed and its training-loop seconds."""
    global _runs, _samples, _seconds
    _runs, _samples, _seconds = _runs + 1, _samples + samples, _seconds + seconds


def totals() -> dict | None:
    """{runs, samples, train_seconds}, or None where the process trained nothing."""
    if not _runs:
        return None
    return {"runs": _runs, "samples": _samples, "train_seconds": round(_seconds, 1)}
