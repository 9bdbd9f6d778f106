"""The masked autoencoder's section of params.yaml: validated, typed, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import (
    DEVICES,
    MlflowConfig,
    choice,
    fraction,
    integer,
    mlflow_config,
    positive_number,
    section,
)
from seqlab.models.mlp import widths
from seqlab.tasks.masks import KINDS, MaskSpec


@dataclass(frozen=True)
class MaskedTrain:
    epochs: int
    batch_size: int
    lr: float
    seed: int
    device: str


@dataclass(frozen=True)
class MaskedParams:
    mask: MaskSpec
    mask_seed: int  # random_patches: the train / val / test masks are drawn from seed, seed + 1, seed + 2
    encoder: tuple[int, ...]
    decoder: tuple[int, ...]
    train: MaskedTrain
    pairs: int  # confusable class pairs shown in the figure
    ghosts: int  # misread reconstructions shown in the figure
    judge_batch_size: int
    mlflow: MlflowConfig


def parse(raw: dict) -> MaskedParams:
    m = section(raw, "masked")
    k = section(m, "masked.mask")
    spec = MaskSpec(kind=choice(k, "masked.mask.kind", KINDS),
                    center_size=integer(k, "masked.mask.center_size", 1),
                    patch_size=integer(k, "masked.mask.patch_size", 1),
                    patch_fraction=fraction(k, "masked.mask.patch_fraction"))
    if (why := spec.problem()) is not None:
        raise ParamsError(f"params.yaml: 'masked.mask': {why}")
    model = section(m, "masked.model")
    t = section(m, "masked.train")
    r = section(m, "masked.report")
    return MaskedParams(
        mask=spec,
        mask_seed=integer(k, "masked.mask.seed", 0),
        encoder=widths(model, "masked.model.encoder", allow_empty=False),
        decoder=widths(model, "masked.model.decoder", allow_empty=True),
        train=MaskedTrain(epochs=integer(t, "masked.train.epochs", 1),
                          batch_size=integer(t, "masked.train.batch_size", 1),
                          lr=positive_number(t, "masked.train.lr"), seed=integer(t, "masked.train.seed", 0),
                          device=choice(t, "masked.train.device", DEVICES)),
        pairs=integer(r, "masked.report.pairs", 0),
        ghosts=integer(r, "masked.report.ghosts", 0),
        judge_batch_size=integer(r, "masked.report.judge_batch_size", 1),
        mlflow=mlflow_config(raw),
    )
