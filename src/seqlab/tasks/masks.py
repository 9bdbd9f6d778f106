"""Masks that hide part of an MNIST digit, for the masked autoencoder.

A mask is a boolean array (N, 28, 28), True where a pixel is hidden. Masked pixels are set to
0 in the model's input; the target stays the whole image.

    left            the left half (columns 0-13): the course's setting
    right           the right half
    center          a centred square of side ``center_size``
    random_patches  square patches of side ``patch_size`` on a grid, each hidden with
                    probability ``patch_fraction``, drawn per image from a seeded generator
                    (at least one patch hidden and one visible, so no image is all or nothing)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIDE = 28
KINDS = ("left", "right", "center", "random_patches")


@dataclass(frozen=True)
class MaskSpec:
    kind: str  # one of KINDS
    center_size: int = 14  # center: side of the hidden square, in pixels
    patch_size: int = 7  # random_patches: side of a patch; divides 28
    patch_fraction: float = 0.25  # random_patches: probability that a patch is hidden

    def problem(self) -> str | None:
        """Why this mask is impossible (it hides nothing or everything), or None."""
        if self.kind not in KINDS:
            return f"unknown mask kind {self.kind!r}; allowed values: {', '.join(KINDS)}"
        if self.kind == "center" and not 0 < self.center_size < SIDE:
            return f"center_size {self.center_size} must be between 1 and {SIDE - 1}: it would hide nothing or everything"
        if self.kind == "random_patches":
            if self.patch_size < 1 or SIDE % self.patch_size:
                return f"patch_size {self.patch_size} must divide {SIDE}"
            if (SIDE // self.patch_size) ** 2 < 2:
                return f"patch_size {self.patch_size} leaves one patch: the mask would hide everything"
            if not 0 < self.patch_fraction < 1:
                return f"patch_fraction {self.patch_fraction} must be strictly between 0 and 1"
        return None


def masks(spec: MaskSpec, n: int, seed: int) -> np.ndarray:
    """(n, 28, 28) bool, True where hidden; the same ``seed`` gives the same masks."""
    if (why := spec.problem()) is not None:
        raise ValueError(why)
    out = np.zeros((n, SIDE, SIDE), dtype=bool)
    half = SIDE // 2
    if spec.kind == "left":
        out[:, :, :half] = True
    elif spec.kind == "right":
        out[:, :, half:] = True
    elif spec.kind == "center":
        lo = (SIDE - spec.center_size) // 2
        out[:, lo : lo + spec.center_size, lo : lo + spec.center_size] = True
    else:
        grid = SIDE // spec.patch_size
        rng = np.random.default_rng(seed)
        hidden = rng.random((n, grid * grid)) < spec.patch_fraction  # (n, patches)
        # Redraw one patch where a draw hid none or all of them.
        rows = np.flatnonzero(hidden.all(1) | ~hidden.any(1))
        flip = rng.integers(0, grid * grid, size=len(rows))
        hidden[rows, flip] = ~hidden[rows, flip]
        out = hidden.reshape(n, grid, 1, grid, 1).repeat(spec.patch_size, 2).repeat(spec.patch_size, 4)
        out = out.reshape(n, SIDE, SIDE)
    return out

