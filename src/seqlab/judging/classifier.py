"""The judge: the pipeline's own best MNIST classifier, read from the MNIST study's outputs.

The image studies (masked autoencoder, GAN) score what they make with it: its labels say which
digit a reconstruction or a sample looks like, its probabilities give the Inception score, and
its penultimate layer (the recurrence's summary of the image) is the feature space of the
Fréchet distance. It is chosen from the classifier stage's output (models/mnist/classifiers)
by the MNIST study's rule (validation accuracy, ties to fewer parameters, then the name; never
test accuracy), so it is the model the MNIST section calls best (tests/test_image_studies.py
checks that the two choices agree), and a stage that judges depends on that output alone: it
can never run on a missing or stale classifier, and retraining the MNIST autoencoder leaves it
cached. (The rule lives in seqlab.judging.selection, which the MNIST study imports too.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.paths import CHECKPOINT, HISTORY, RUN
from seqlab.core.errors import DataError
from seqlab.core.files import read_json
from seqlab.judging.selection import choose
from seqlab.models.image import ImageClassifier, ImageClassifierConfig, describe

RUNS = paths.study_models("mnist", "classifiers")  # dvc.yaml spells it, as every judging stage's dep


@dataclass
class Judge:
    name: str  # the MNIST study's run name, e.g. "gru-64x64-bi-row"
    model: ImageClassifier
    batch_size: int = 500

    @property
    def label(self) -> str:
        return f"{describe(self.model)} ({self.name})"

    @torch.no_grad()
    def _batched(self, images: torch.Tensor, fn) -> np.ndarray:
        device = next(self.model.parameters()).device
        out = [fn(images[i : i + self.batch_size].to(device)).cpu() for i in range(0, len(images), self.batch_size)]
        return torch.cat(out).double().numpy()

    def probabilities(self, images: torch.Tensor) -> np.ndarray:
        """Images (N, 28, 28) in [0, 1] -> class probabilities (N, C)."""
        return self._batched(images, lambda x: torch.softmax(self.model(x)[0], -1))

    def labels(self, images: torch.Tensor) -> np.ndarray:
        return self.probabilities(images).argmax(1)

    def features(self, images: torch.Tensor) -> np.ndarray:
        """Images (N, 28, 28) in [0, 1] -> penultimate-layer features (N, D)."""
        return self._batched(images, self.model.features)


def best_classifier(runs=RUNS) -> str:
    """The name of the classifier the MNIST study calls best: its last validation accuracy
    (rounded as that study rounds it), ties to fewer parameters, then to the name."""
    rows = []
    for run_json in sorted(runs.glob("*/" + RUN)):
        val = pd.read_csv(run_json.parent / HISTORY)["val_acc"].dropna()
        rows.append({"name": run_json.parent.name, "val_acc": round(float(val.iloc[-1]), 6),
                     "parameters": read_json(run_json)["n_params"]})
    if not rows:
        raise DataError(f"{runs} holds no trained classifier: the judge is the MNIST study's best; run "
                        "`dvc repro mnist_train_classifiers` first")
    return str(choose(pd.DataFrame(rows))["name"])


def load_judge(device: torch.device | str = "cpu", batch_size: int = 500, runs=RUNS) -> Judge:
    """The MNIST study's best classifier, in eval mode."""
    name = best_classifier(runs)
    return Judge(name, ImageClassifierConfig.load(runs / name / CHECKPOINT, device), batch_size)


def confusion(truth: np.ndarray, predicted: np.ndarray, num_classes: int) -> list[list[int]]:
    """Counts (C, C): rows the true class, columns the judge's label."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(truth), np.asarray(predicted)), 1)
    return cm.tolist()
