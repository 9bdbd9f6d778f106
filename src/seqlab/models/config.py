"""A model's typed config: everything needed to build it, stored beside its weights.

Each model family has a frozen dataclass config with ``build()``. A checkpoint holds the config
and the state dict, so loading needs no arch dict re-typed by the caller:

    config.save(path, model.state_dict())
    model = SequenceClassifierConfig.load(path)     # rebuilt from the stored config, eval mode
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from seqlab.core.errors import DataError


class ModelConfig:
    """Base of the frozen dataclass configs; subclasses implement :meth:`build`."""

    def build(self) -> nn.Module:
        raise NotImplementedError

    def save(self, path: Path, state_dict: dict) -> None:
        torch.save({"model": type(self).__name__, "config": asdict(self), "state_dict": state_dict}, path)

    @classmethod
    def read(cls, path: Path) -> tuple[ModelConfig, dict]:
        """The stored config and state dict, failing clearly on another family's checkpoint."""
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        if ckpt.get("model") != cls.__name__:
            raise DataError(f"{path} holds a {ckpt.get('model')!r} checkpoint, expected {cls.__name__!r}")
        return cls(**ckpt["config"]), ckpt["state_dict"]

    @classmethod
    def load(cls, path: Path, device: torch.device | str = "cpu") -> nn.Module:
        """The model a checkpoint holds, on ``device``, in eval mode."""
        config, state_dict = cls.read(path)
        model = config.build()
        model.load_state_dict(state_dict)
        return model.to(device).eval()


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
