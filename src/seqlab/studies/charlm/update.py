"""The char-LSTM's update, a step of the one training loop (:func:`seqlab.training.loop.fit`):
the supervised step (Adam, gradient clipping) with the course's step-wise learning-rate decay,
and a copy of the weights kept at each checkpoint step."""

from __future__ import annotations

import torch
from torch import nn

from seqlab.training.loop import FitConfig, SupervisedStep


class CharStep(SupervisedStep):
    """SupervisedStep, then the learning rate times ``decay`` every ``decay_every`` updates
    (torch's StepLR), and the weights copied to ``snapshots`` after update k for each k in
    ``keep``. The loss is the mean cross-entropy per character; the scalar "acc" the share of
    the batch's characters predicted right (the model's argmax)."""

    def __init__(self, model: nn.Module, cfg: FitConfig, decay: float, decay_every: int, keep: tuple[int, ...]):
        super().__init__(model, cfg)
        self.schedule = torch.optim.lr_scheduler.StepLR(self.opt, step_size=decay_every, gamma=decay)
        self.keep, self.updates = set(keep), 0
        self.snapshots: dict[int, dict[str, torch.Tensor]] = {}

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        scalars = super().__call__(x, y)  # a non-finite loss stops the run at the loop's next read-back
        self.schedule.step()
        self.updates += 1
        if self.updates in self.keep:
            self.snapshots[self.updates] = {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}
        return scalars
