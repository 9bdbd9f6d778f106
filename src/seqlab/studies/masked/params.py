"""The masked autoencoder's section of params.yaml (``masked``): each key declared once, as a
field of the schema below (seqlab.core.schema).

It trains on the MNIST study's splits, but reads them from disk (``data/mnist``, its data dep),
never the ``mnist`` section: no key of it changes what this study computes beyond those files."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, choice, fraction, integer, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings
from seqlab.models.mlp import widths
from seqlab.tasks.masks import KINDS, MaskSpec


@dataclass(frozen=True)
class MaskedMask:
    kind: str = param(choice, KINDS)
    center_size: int = param(integer, 1)  # center: side of the hidden square
    patch_size: int = param(integer, 1)  # random_patches: side of a patch
    patch_fraction: float = param(fraction)  # random_patches: probability that a patch is hidden
    seed: int = param(integer, 0)  # random_patches: the train / val / test masks from seed, seed + 1, seed + 2

    @property
    def spec(self) -> MaskSpec:
        return MaskSpec(kind=self.kind, center_size=self.center_size, patch_size=self.patch_size,
                        patch_fraction=self.patch_fraction)

    def check(self, key: str) -> None:
        if (why := self.spec.problem()) is not None:
            raise ParamsError(f"params.yaml: '{key}': {why}")


@dataclass(frozen=True)
class MaskedModel:
    encoder: tuple[int, ...] = param(widths, False)  # 784 -> ... ReLU; the last width is the code
    decoder: tuple[int, ...] = param(widths, True)  # code -> ... -> 784


@dataclass(frozen=True)
class MaskedTrain:
    epochs: int = param(integer, 1)
    batch_size: int = param(integer, 1)
    lr: float = param(positive_number)
    seed: int = param(integer, 0)
    device: str = param(choice, DEVICES)


@dataclass(frozen=True)
class MaskedReport:
    pairs: int = param(integer, 0)  # confusable class pairs shown in the figure
    ghosts: int = param(integer, 0)  # misread reconstructions shown in the figure
    judge_batch_size: int = param(integer, 1)


@dataclass(frozen=True)
class MaskedParams:
    SECTION = "masked"

    mask: MaskedMask = part(MaskedMask)
    model: MaskedModel = part(MaskedModel)
    train: MaskedTrain = part(MaskedTrain)
    report: MaskedReport = part(MaskedReport)
    runtime: Runtime = settings()


parse = parser(MaskedParams)
