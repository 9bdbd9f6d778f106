"""Digits drawn as images, for the figures of the image studies (masked autoencoder, GAN).

Like seqlab.present.viz, only figures stages import it; it shares viz's PNG writer.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from seqlab.present.viz import save_figure


def tile(images: np.ndarray, columns: int, pad: int = 2) -> np.ndarray:
    """Images (N, H, W) in [0, 1] -> one mosaic (rows * (H + pad) - pad, ...), row-major, with
    white padding; empty cells stay white."""
    n, h, w = images.shape
    rows = -(-n // columns)
    out = np.zeros((rows * (h + pad) - pad, columns * (w + pad) - pad))
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = img
    return out


def show(ax, image: np.ndarray, title: str | None = None, fontsize: float = 8) -> None:
    """Dark strokes on white (gray_r), pixel range pinned to [0, 1], no axes."""
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=fontsize)


def save_grid(images: np.ndarray, columns: int, title: str, path: Path, size: float = 3.2) -> Path:
    """One mosaic of ``images`` as a PNG."""
    fig, ax = plt.subplots(figsize=(size, size * (-(-len(images) // columns)) / columns + 0.3))
    show(ax, tile(images, columns), title, fontsize=9)
    return save_figure(fig, path)
