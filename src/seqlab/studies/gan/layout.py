"""The GAN study's names that its steps and its figures both read: where the run lives, what its
snapshots file is called, and the training scalars' names. Training code stays out of here, so
the figures stage imports none of it."""

from __future__ import annotations

import math

from seqlab.core import paths

STUDY = "gan"
SNAPSHOTS = "snapshots.npz"
# The GAN step's scalars in the run history ("loss" is D's) -> their names in the scores table.
TRAIN_COLUMNS = {"train_loss": "d_loss", "train_g_loss": "g_loss", "train_d_real_acc": "d_real_acc",
                 "train_d_fake_acc": "d_fake_acc"}
# The losses at the game's equilibrium, D(x) = 1/2 everywhere.
D_EQUILIBRIUM = 2 * math.log(2)  # -log(1/2) on a real batch plus -log(1/2) on a fake one
G_EQUILIBRIUM = math.log(2)  # -log(1/2)


def run_dir():
    return paths.run_dir(STUDY, "mlp")
