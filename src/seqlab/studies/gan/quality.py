"""Scores for generated images, computed in a classifier's feature and label spaces.

- :func:`frechet_distance`: between two Gaussians fitted to features (Heusel et al. 2017's FID
  formula), ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)). The matrix square root is
  ``scipy.linalg.sqrtm`` (already pinned for scikit-learn); torchmetrics' FID would need its
  Inception weights or a wrapper around our feature extractor, and computes the same formula.
- :func:`inception_score`: exp(E_x KL(p(y|x) || p(y))) (Salimans et al. 2016), here with the
  pipeline's MNIST classifier in place of Inception: 1 when every sample gets the same
  prediction, the number of classes when each is confidently one class and the classes are
  used equally.
- :func:`class_histogram`: predicted classes counted, the plainest sign of mode collapse.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg


def gaussian(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of features (N, D), as float64 (sample covariance)."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"need features of shape (N >= 2, D), got {f.shape}")
    return f.mean(0), np.cov(f, rowvar=False)


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein) distance squared between N(mu1, cov1) and N(mu2, cov2)."""
    covmean = linalg.sqrtm(cov1 @ cov2)
    if not np.isfinite(covmean).all():
        # Singular product (fewer samples than dimensions): regularise as the FID reference
        # implementation does, with a small multiple of the identity.
        eps = 1e-6 * np.eye(len(cov1))
        covmean = linalg.sqrtm((cov1 + eps) @ (cov2 + eps))
    covmean = np.real(covmean)  # round-off leaves tiny imaginary parts
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * np.trace(covmean))


def frechet_features(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between the Gaussians fitted to two feature sets (N, D) and (M, D)."""
    return frechet_distance(*gaussian(a), *gaussian(b))


def inception_score(probs: np.ndarray) -> float:
    """exp(mean over samples of KL(p(y|x) || p(y))), from class probabilities (N, C)."""
    p = np.asarray(probs, dtype=np.float64)
    marginal = p.mean(0, keepdims=True)  # (1, C)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.where(p > 0, p * (np.log(p) - np.log(marginal)), 0.0).sum(1)  # (N,)
    return float(np.exp(kl.mean()))


def class_histogram(labels: np.ndarray, num_classes: int) -> list[int]:
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes).tolist()
