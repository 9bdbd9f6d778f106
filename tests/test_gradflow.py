"""Gradient flow: the probed state gradients equal finite differences and the RNN's
hand-derived backward recursion; the decay fit recovers a known factor."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqlab.models.recurrent import KINDS
from seqlab.models.sequence import SequenceClassifierConfig
from seqlab.studies.gradflow.norms import decay_factor, gradient_norms, state_gradients

B, T, I, H, C = 2, 5, 4, 3, 4


def _model(name: str, impl: str = "cell"):
    torch.manual_seed(0)
    return SequenceClassifierConfig(name, impl, I, H, C, forget_bias=1.0).build().double()


def _batch():
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, I, (B, T), generator=g), torch.randint(0, C, (B,), generator=g)


def _loss_with_state_nudge(model, x, y, t: int, part: int, delta: torch.Tensor) -> float:
    """An independent forward pass: run the cell, add ``delta`` to state part ``part`` right
    after step ``t`` (1-based), and return the summed loss."""
    cell = model.backbone.cell
    onehot = F.one_hot(x, I).double()
    state = cell.init_state(B, onehot)
    for step, xp_t in enumerate(cell.project_input(onehot).unbind(1), start=1):
        _, state = cell(xp_t, state)
        if step == t:
            if isinstance(state, tuple):
                state = tuple(s + delta if i == part else s for i, s in enumerate(state))
            else:
                state = state + delta
    h = state[0] if isinstance(state, tuple) else state
    return F.cross_entropy(model.head(h), y, reduction="sum").item()


@pytest.mark.parametrize("name", sorted(KINDS))
def test_state_gradients_match_finite_differences(name):
    model, (x, y) = _model(name), _batch()
    grads = state_gradients(model, x, y)
    assert len(grads) == T
    eps = 1e-6
    for t in range(1, T + 1):
        for part, g in enumerate(grads[t - 1]):
            fd = torch.zeros(B, H, dtype=torch.double)
            for b in range(B):
                for k in range(H):
                    d = torch.zeros(B, H, dtype=torch.double)
                    d[b, k] = eps
                    with torch.no_grad():
                        fd[b, k] = (_loss_with_state_nudge(model, x, y, t, part, d)
                                    - _loss_with_state_nudge(model, x, y, t, part, -d)) / (2 * eps)
            torch.testing.assert_close(g, fd, atol=1e-7, rtol=1e-5, msg=f"{name} t={t} part={part}")


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_fused_models_are_measured_through_their_twin_cell(name):
    """A fused model's probed gradient at step t equals a finite difference taken on the fused
    module itself, run in two segments with the state nudged in between."""
    model, (x, y) = _model(name, "fused"), _batch()
    rnn = model.backbone.rnn
    onehot = F.one_hot(x, I).double()
    grads = state_gradients(model, x, y)
    t, eps = 2, 1e-6

    def loss(delta):
        with torch.no_grad():
            _, state = rnn(onehot[:, :t])
            if isinstance(state, tuple):
                state = (state[0] + delta, state[1])  # nudge h, keep c
            else:
                state = state + delta
            out, _ = rnn(onehot[:, t:], state)
            return F.cross_entropy(model.head(out[:, -1]), y, reduction="sum").item()

    d = torch.zeros(1, B, H, dtype=torch.double)
    d[0, 1, 2] = eps
    fd = (loss(d) - loss(-d)) / (2 * eps)
    assert grads[t - 1][0][1, 2].item() == pytest.approx(fd, rel=1e-5, abs=1e-8)


def test_rnn_norms_follow_the_backward_recursion():
    """dL/dh(t-1) = W_h^T [(1 - h(t)^2) * dL/dh(t)], from dL/dh(T) = W_out^T (softmax - onehot)."""
    model, (x, y) = _model("rnn"), _batch()
    cell = model.backbone.cell
    with torch.no_grad():
        hs = model.backbone(F.one_hot(x, I).double())  # (B, T, H)
        p = torch.softmax(model.head(hs[:, -1]), dim=-1) - F.one_hot(y, C).double()
        g = p @ model.head.weight  # (B, H)
        expected = [g]
        for t in range(T - 1, 0, -1):
            g = (g * (1 - hs[:, t] ** 2)) @ cell.weight_h
            expected.insert(0, g)
    norms = gradient_norms(model, x, y)
    np.testing.assert_allclose(norms["state"], [e.norm(dim=1).mean().item() for e in expected], rtol=1e-10)


def test_gradient_norms_leave_the_model_untouched():
    model, (x, y) = _model("lstm", "fused").float(), _batch()
    gradient_norms(model, x, y)
    assert next(model.parameters()).dtype == torch.float32
    assert all(p.grad is None for p in model.parameters())


def test_decay_factor_recovers_a_geometric_decay():
    t = np.arange(1, 21)
    norms = 3.0 * 0.8 ** (20 - t)
    norms[-1] = 50.0  # the step where the loss enters is left out of the fit
    assert decay_factor(norms) == pytest.approx(0.8, rel=1e-9)
    assert decay_factor(np.array([1.0, 0.0, 0.0])) is None


def test_the_ratio_compares_the_ends_of_the_fitted_range():
    """n steps: the fit covers t = 1..n-1 and the ratio is ||dL/ds(1)|| / ||dL/ds(n-1)||; the last
    state, where the loss enters, is in neither."""
    from seqlab.studies.gradflow.norms import first_to_penultimate

    norms = np.array([0.125, 0.25, 0.5, 1.0, 99.0])  # halving back from t = 4; t = 5 is the head's
    assert first_to_penultimate(norms) == 0.125 / 1.0
    assert decay_factor(norms) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="at least 3 steps"):
        first_to_penultimate(np.array([1.0, 2.0]))
