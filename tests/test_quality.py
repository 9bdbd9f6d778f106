"""The image scores against closed forms: Fréchet distance between known Gaussians (diagonal,
rotated and non-commuting covariances), the Inception score on hand-computed predictions."""

import math

import numpy as np
import pytest

from seqlab.studies.gan.quality import class_histogram, frechet_distance, frechet_features, gaussian, inception_score


def test_frechet_distance_of_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    # ||mu1 - mu2||^2 + sum (sqrt a - sqrt b)^2 = 5 + (1 + 1 + 0)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(7.0, abs=1e-9)


def test_frechet_distance_of_rotated_covariances_with_a_shared_basis():
    theta = 0.7
    r = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    s1, s2 = r @ np.diag([1.0, 9.0]) @ r.T, r @ np.diag([4.0, 1.0]) @ r.T  # non-diagonal, commuting
    assert abs(s1[0, 1]) > 0.1
    expected = (1 - 2) ** 2 + (3 - 1) ** 2  # eigenvalues in the same basis: (sqrt 1 - sqrt 4)^2 + (sqrt 9 - sqrt 1)^2
    assert frechet_distance(np.zeros(2), s1, np.zeros(2), s2) == pytest.approx(expected, abs=1e-9)


def test_frechet_distance_of_non_commuting_covariances():
    # For a 2x2 matrix M with positive eigenvalues, Tr sqrt(M) = sqrt(Tr M + 2 sqrt(det M)).
    s1, s2 = np.array([[2.0, 1.0], [1.0, 2.0]]), np.diag([1.0, 4.0])
    m = s1 @ s2
    assert not np.allclose(m, s2 @ s1)
    tr_sqrt = math.sqrt(np.trace(m) + 2 * math.sqrt(np.linalg.det(m)))
    expected = 4.0 + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt  # means 2 apart on one axis
    assert frechet_distance(np.array([2.0, 0.0]), s1, np.zeros(2), s2) == pytest.approx(expected, abs=1e-9)
    assert frechet_distance(np.zeros(2), s2, np.array([2.0, 0.0]), s1) == pytest.approx(expected, abs=1e-9)


def test_frechet_features_converges_to_the_closed_form_and_is_zero_on_itself():
    rng = np.random.default_rng(0)
    s1, s2 = np.array([[2.0, 1.0], [1.0, 2.0]]), np.diag([1.0, 4.0])
    a = rng.multivariate_normal([0.0, 0.0], s1, size=200_000)
    b = rng.multivariate_normal([1.0, 0.0], s2, size=200_000)
    exact = frechet_distance(np.zeros(2), s1, np.array([1.0, 0.0]), s2)
    assert frechet_features(a, b) == pytest.approx(exact, abs=0.03)
    assert frechet_features(a, a) == pytest.approx(0.0, abs=1e-8)
    mu, cov = gaussian(a)
    assert np.allclose(cov, s1, atol=0.03) and np.allclose(mu, 0.0, atol=0.01)
    with pytest.raises(ValueError, match="N >= 2"):
        gaussian(np.zeros((1, 3)))


def test_frechet_distance_survives_fewer_samples_than_dimensions():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 20)), rng.normal(size=(5, 20))  # singular covariances
    assert math.isfinite(frechet_features(a, b)) and frechet_features(a, b) > 0


def test_inception_score_closed_forms():
    eye = np.eye(4)
    assert inception_score(np.tile(eye[0], (10, 1))) == pytest.approx(1.0)  # one class for every sample
    assert inception_score(np.full((10, 4), 0.25)) == pytest.approx(1.0)  # no sample is confident
    assert inception_score(np.repeat(eye, 5, axis=0)) == pytest.approx(4.0)  # confident and balanced
    # half one-hot on class 0, half (1/2, 1/2): p(y) = (3/4, 1/4);
    # KL = log(4/3) and 1/2 log(2/3) + 1/2 log 2, averaged, exponentiated
    probs = np.array([[1.0, 0.0]] * 5 + [[0.5, 0.5]] * 5)
    expected = math.exp((math.log(4 / 3) + 0.5 * math.log(2 / 3) + 0.5 * math.log(2)) / 2)
    assert inception_score(probs) == pytest.approx(expected)


def test_class_histogram_counts_every_class():
    assert class_histogram(np.array([0, 2, 2, 9]), 10) == [1, 0, 2, 0, 0, 0, 0, 0, 0, 1]
