"""Settings every training study shares: the optimiser, the schedule, seeds, device, workers.

Each study's train section carries these keys (plus its own); this reads them with the key's
full name in every error.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.params import choice, fraction, get, int_list, integer, number, positive_number, section

DEVICES = ("cpu", "cuda", "auto")


@dataclass(frozen=True)
class TrainSettings:
    seeds: tuple[int, ...]
    steps: int
    batch_size: int
    lr: float
    clip_norm: float
    eval_every: int
    forget_bias: float
    device: str


def train_settings(train: dict, prefix: str) -> TrainSettings:
    """Read ``<prefix>.seeds``, ``.steps``, ``.batch_size``, ``.lr``, ``.clip_norm``,
    ``.eval_every``, ``.forget_bias`` and ``.device``."""
    return TrainSettings(
        seeds=int_list(train, f"{prefix}.seeds", 0, "training seeds"),
        steps=integer(train, f"{prefix}.steps", 1),
        batch_size=integer(train, f"{prefix}.batch_size", 1),
        lr=positive_number(train, f"{prefix}.lr"),
        clip_norm=positive_number(train, f"{prefix}.clip_norm"),
        eval_every=integer(train, f"{prefix}.eval_every", 1),
        forget_bias=number(train, f"{prefix}.forget_bias"),
        device=choice(train, f"{prefix}.device", DEVICES),
    )


def workers(raw: dict) -> int:
    """``compute.workers``: training processes run side by side (results do not depend on it)."""
    return integer(section(raw, "compute"), "compute.workers", 1)


def stop_at(train: dict, key: str) -> float | None:
    """An early-stopping accuracy in [0, 1], or null for none."""
    if get(train, key) is None:
        return None
    return fraction(train, key)



def fastest_impls(models: tuple[str, ...]) -> dict[str, str]:
    """torch's fused module where there is one, else the hand-written cell.

    The tests prove each hand-written cell computes what its fused twin does (outputs and
    gradients to 1e-5), so the studies that only need the maths take the faster kernel. The
    palindrome study keeps a per-model ``impl`` switch for comparing the two.
    """
    from seqlab.models import spec

    return {m: spec(m).impls[-1] for m in models}
