"""The UvA palindrome study's section of params.yaml (``uvapal``): each key declared once, as a
field of the schema below (seqlab.core.schema).

The course's protocol is ../shared/COURSES.md §1. Its scale (hidden 256, batch 256, 3,000 steps
over 81 symbols) costs about 40 minutes per run on one core, so ``scale: small`` runs the same
protocol at ``small.hidden`` and ``small.batch_size``; ``scale: course`` runs the course's.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, boolean, choice, choice_list, fraction, int_list, integer, number, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings
from seqlab.studies.uvapal.network import CELLS

SCALES = ("small", "course")
# The runs: the course's protocol (the batch-axis bug on), the corrected one (bug off), and one
# change at a time from the course's, on the LSTM at ablation.T (seqlab.studies.uvapal.steps).
PROTOCOLS = ("course", "corrected", "forget_bias", "lr")


@dataclass(frozen=True)
class Size:
    hidden: int = param(integer, 2)  # the embedding is hidden/2, as in the course
    batch_size: int = param(integer, 2)  # the bug normalises over the batch: one sample is not a batch

    def check(self, key: str) -> None:
        if self.hidden % 2:
            raise ParamsError(f"params.yaml: '{key}.hidden' must be even (the embedding is hidden/2), got {self.hidden}")


@dataclass(frozen=True)
class UvaTrain:
    seeds: tuple[int, ...] = param(int_list, 0, "seeds")
    steps: int = param(integer, 1)
    lr: float = param(positive_number)
    clip_norm: float = param(positive_number)
    forget_bias: float = param(number)
    eval_every: int = param(integer, 1)  # the course logged training-batch accuracy every 60 steps
    stop_early: bool = param(boolean)  # end a run at the first held-out evaluation at the target
    device: str = param(choice, DEVICES)


@dataclass(frozen=True)
class Heldout:
    n: int = param(integer, 1)
    seed: int = param(integer, 0)


@dataclass(frozen=True)
class Ablation:
    T: int = param(integer, 2)
    forget_bias: float = param(number)  # protocol forget_bias: the course's, with this forget bias
    lr: float = param(positive_number)  # protocol lr: the course's, with this learning rate


@dataclass(frozen=True)
class UvaEvaluate:
    target_acc: float = param(fraction)


@dataclass(frozen=True)
class UvaParams:
    SECTION = "uvapal"

    scale: str = param(choice, SCALES)
    small: Size = part(Size)
    course: Size = part(Size)
    models: tuple[str, ...] = param(choice_list, tuple(CELLS))
    lengths: tuple[int, ...] = param(int_list, 2, "binary palindrome lengths")
    protocols: tuple[str, ...] = param(choice_list, PROTOCOLS)
    train: UvaTrain = part(UvaTrain)
    heldout: Heldout = part(Heldout)
    ablation: Ablation = part(Ablation)
    evaluate: UvaEvaluate = part(UvaEvaluate)
    runtime: Runtime = settings()

    def check(self, key: str) -> None:
        odd = [T for T in self.lengths if T % 2]
        if odd or self.ablation.T % 2:
            raise ParamsError(f"params.yaml: '{key}.lengths' and '{key}.ablation.T' must be even (an odd T's longest "
                              f"palindrome exceeds the course's 4T+2 symbols), got {odd or [self.ablation.T]}")
        if "course" not in self.protocols:
            raise ParamsError(f"params.yaml: '{key}.protocols' must include 'course': every other protocol is "
                              f"compared with it; got {list(self.protocols)}")


parse = parser(UvaParams)
