"""The LSTM-AE course's models, update and data (lstm_ae_*.py@7633b39, in torch): Keras's
initialisers, its gate order against a hand-computed Keras cell step, its recurrent dropout (four
per-gate masks per batch, none in eval mode), parameter counts in closed form, Keras's Adam and
clipvalue against a hand computation, and the invariants of the course's signals and windows."""

import copy
import json
import math
import os
import re
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from conftest import ROOT, fake_mnist, stage_command
from seqlab.core.errors import DataError, ParamsError
from seqlab.models.config import count_parameters
from seqlab.studies.lstmae.course import steps
from seqlab.studies.lstmae.course.data import course_signals, course_split, course_windows, leak_share
from seqlab.studies.lstmae.course.network import (
    BINARY_ACCURACY,
    CourseClassifierConfig,
    KerasDropLSTM,
    KerasLSTMAEConfig,
    KerasPredictAEConfig,
    keras_dense_init,
    keras_lstm,
    keras_lstm_init,
    trainable_parameters,
)
from seqlab.studies.lstmae.course.params import COURSE_SYNTHETIC, parse
from seqlab.studies.lstmae.course.update import KERAS_EPSILON, KerasAdam, KerasStep, epoch_means
from seqlab.training.loop import FitConfig, fit


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def copy_into_lstm(layer: KerasDropLSTM) -> nn.LSTM:
    """nn.LSTM with the hand-written layer's weights: b_ih = its one bias, b_hh = 0."""
    lstm = nn.LSTM(layer.input_size, layer.hidden_size, batch_first=True)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(layer.weight_ih)
        lstm.weight_hh_l0.copy_(layer.weight_hh)
        lstm.bias_ih_l0.copy_(layer.bias)
        lstm.bias_hh_l0.zero_()
    return lstm


# --- Keras's initialisers ------------------------------------------------------------------------


@pytest.mark.parametrize("I, H", [(1, 64), (64, 64), (28, 16)])
def test_keras_lstm_init_is_glorot_orthogonal_over_all_gates_and_unit_forget_bias(I, H):
    torch.manual_seed(0)
    lstm = keras_lstm(I, H)
    w_ih, w_hh = lstm.weight_ih_l0.detach(), lstm.weight_hh_l0.detach()
    limit = math.sqrt(6 / (I + 4 * H))  # glorot_uniform on Keras's (I, 4H) kernel
    assert w_ih.abs().max() <= limit and w_ih.abs().max() > 0.9 * limit
    # orthogonal over the whole (4H, H) matrix: W^T W = I ...
    assert torch.allclose(w_hh.T @ w_hh, torch.eye(H), atol=1e-5)
    # ... not per gate: one gate's (H, H) block is far from orthogonal
    block = torch.linalg.svdvals(w_hh[:H])
    assert block.min() < 0.5 and block.max() < 1.0
    b_ih, b_hh = lstm.bias_ih_l0.detach(), lstm.bias_hh_l0.detach()
    expected = torch.zeros(4 * H)
    expected[H : 2 * H] = 1.0  # Keras's order i, f, c, o: the forget block is the second
    assert torch.equal(b_ih, expected) and torch.equal(b_hh, torch.zeros(4 * H))
    assert lstm.bias_ih_l0.requires_grad and not lstm.bias_hh_l0.requires_grad  # one trained bias per gate


def test_the_hand_written_layer_gets_the_same_init_and_dense_gets_glorot_with_zero_bias():
    torch.manual_seed(1)
    layer = KerasDropLSTM(28, 32, 0.2)
    assert torch.allclose(layer.weight_hh.T @ layer.weight_hh, torch.eye(32), atol=1e-5)
    assert layer.weight_ih.abs().max() <= math.sqrt(6 / (28 + 128))
    assert layer.bias[32:64].eq(1).all() and layer.bias[:32].eq(0).all() and layer.bias[64:].eq(0).all()
    dense = keras_dense_init(nn.Linear(64, 10))
    limit = math.sqrt(6 / (64 + 10))
    assert dense.weight.abs().max() <= limit and dense.weight.abs().max() > 0.9 * limit
    assert dense.bias.eq(0).all()


def test_keras_lstm_init_refuses_what_keras_has_no_counterpart_for():
    with pytest.raises(ValueError, match="one-layer"):
        keras_lstm_init(nn.LSTM(3, 4, num_layers=2))
    with pytest.raises(ValueError, match="one-layer"):
        keras_lstm_init(nn.LSTM(3, 4, bidirectional=True))


# --- gate order and the recurrent dropout ---------------------------------------------------------


def keras_steps(x, kernel, recurrent, bias):
    """Keras's LSTMCell (lstm.py@06ed28f, _compute_carry_and_output) over x (B, T, I) from zero
    state, in numpy: the kernel's columns are i, f, c, o."""
    B, H = x.shape[0], recurrent.shape[0]
    h, c = np.zeros((B, H)), np.zeros((B, H))
    k = lambda w, n: w[:, n * H : (n + 1) * H]  # noqa: E731
    outs = []
    for t in range(x.shape[1]):
        xt = x[:, t]
        i = sigmoid(xt @ k(kernel, 0) + bias[:H] + h @ k(recurrent, 0))
        f = sigmoid(xt @ k(kernel, 1) + bias[H : 2 * H] + h @ k(recurrent, 1))
        c = f * c + i * np.tanh(xt @ k(kernel, 2) + bias[2 * H : 3 * H] + h @ k(recurrent, 2))
        o = sigmoid(xt @ k(kernel, 3) + bias[3 * H :] + h @ k(recurrent, 3))
        h = o * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1)


def test_the_gate_order_matches_a_hand_computed_keras_cell():
    rng = np.random.default_rng(0)
    B, T, I, H = 3, 4, 2, 5
    x = rng.normal(size=(B, T, I))
    kernel, recurrent, bias = rng.normal(size=(I, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=4 * H)
    expected = keras_steps(x, kernel, recurrent, bias)
    layer = KerasDropLSTM(I, H, 0.3).double().eval()  # eval: no masks
    with torch.no_grad():
        layer.weight_ih.copy_(torch.from_numpy(kernel.T))
        layer.weight_hh.copy_(torch.from_numpy(recurrent.T))
        layer.bias.copy_(torch.from_numpy(bias))
    out, (h, c) = layer(torch.from_numpy(x))
    assert np.allclose(out.detach().numpy(), expected, atol=1e-12)
    assert h.shape == c.shape == (1, B, H) and torch.equal(h[0], out[:, -1])
    lstm = copy_into_lstm(layer).double()  # torch's (i, f, g, o) rows are Keras's columns transposed
    assert np.allclose(lstm(torch.from_numpy(x))[0].detach().numpy(), expected, atol=1e-12)


def test_without_dropout_the_layer_is_nn_lstm_in_outputs_and_gradients():
    torch.manual_seed(2)
    layer = KerasDropLSTM(3, 6, 0.0).train()
    lstm = copy_into_lstm(layer)
    x = torch.randn(4, 7, 3)
    ours, ref = layer(x)[0], lstm(x)[0]
    assert torch.allclose(ours, ref, atol=1e-6)
    ours.square().sum().backward()
    ref.square().sum().backward()
    assert torch.allclose(layer.weight_hh.grad, lstm.weight_hh_l0.grad, atol=1e-5)
    assert torch.allclose(layer.weight_ih.grad, lstm.weight_ih_l0.grad, atol=1e-5)
    assert torch.allclose(layer.bias.grad, lstm.bias_ih_l0.grad, atol=1e-5)
    # with dropout but in eval mode: the same function
    dropped = KerasDropLSTM(3, 6, 0.5)
    dropped.load_state_dict(layer.state_dict())
    assert torch.allclose(dropped.eval()(x)[0], ref, atol=1e-6)


def test_recurrent_dropout_masks_are_drawn_once_per_batch_constant_over_time_and_per_gate():
    p, B, T, I, H = 0.5, 4, 6, 3, 8
    torch.manual_seed(3)
    layer = KerasDropLSTM(I, H, p).train()
    x = torch.randn(B, T, I)
    torch.manual_seed(11)
    out = layer(x)[0]
    torch.manual_seed(11)
    masks = layer.draw_masks(B, x)  # what forward drew: one (4, B, H) set, nothing per step
    assert masks.shape == (4, B, H)
    assert set(masks.unique().tolist()) <= {0.0, 1 / (1 - p)}  # inverted dropout
    assert all(not torch.equal(masks[a], masks[b]) for a in range(4) for b in range(a))  # one mask per gate
    assert torch.equal(layer(x, masks)[0], out)
    # by hand: gate k reads h(t-1) * m_k with the same m_k at every step
    w, u, b = layer.weight_ih.detach(), layer.weight_hh.detach(), layer.bias.detach()
    h = c = torch.zeros(B, H)
    for t in range(T):
        z = [x[:, t] @ w[k * H : (k + 1) * H].T + b[k * H : (k + 1) * H] + (h * masks[k]) @ u[k * H : (k + 1) * H].T
             for k in range(4)]
        c = torch.sigmoid(z[1]) * c + torch.sigmoid(z[0]) * torch.tanh(z[2])
        h = torch.sigmoid(z[3]) * torch.tanh(c)
        assert torch.allclose(out[:, t], h, atol=1e-6)
    assert not torch.allclose(layer(x)[0], out)  # the next batch draws fresh masks
    plain = copy_into_lstm(layer)(x)[0]
    assert not torch.allclose(out, plain) and torch.allclose(layer.eval()(x)[0], plain, atol=1e-6)


# --- the three models -----------------------------------------------------------------------------


def lstm_params(I, H):
    return 4 * H * (I + H + 1)  # Keras: kernel, recurrent kernel, one bias per gate


@pytest.mark.parametrize("T, H, Fe", [(50, 64, 1), (28, 64, 28), (300, 32, 1)])
def test_autoencoder_shapes_loss_and_parameter_count(T, H, Fe):
    torch.manual_seed(4)
    model = KerasLSTMAEConfig(length=T, hidden=H, features=Fe).build()
    keras = lstm_params(Fe, H) + lstm_params(H, H) + H * Fe + Fe
    assert trainable_parameters(model) == keras
    assert count_parameters(model) == keras + 2 * 4 * H  # + torch's frozen b_hh of each LSTM
    if (T, H, Fe) == (50, 64, 1):
        assert keras == 49_985  # 16,896 + 33,024 + 65: Keras's summary of the toy model
    x = torch.rand(3, T, Fe)
    out, loss = model(x, x)
    assert out.shape == (3, T, Fe) and out.abs().max() < 1  # tanh
    assert torch.allclose(loss, ((out - x) ** 2).mean())
    assert model(x)[1] is None


def test_the_linear_autoencoder_and_a_wrong_length():
    torch.manual_seed(5)
    model = KerasLSTMAEConfig(length=10, hidden=4, activation=None).build()
    x = 5 + torch.rand(2, 10, 1)
    out = model(x)[0]
    with torch.no_grad():
        model.out.bias.fill_(7.0)
    assert torch.allclose(model(x)[0], out + 7)  # linear: no squashing
    with pytest.raises(ValueError, match="RepeatVector\\(10\\)"):
        model(torch.rand(2, 9, 1))
    with pytest.raises(ValueError, match="allowed values"):
        KerasLSTMAEConfig(length=10, hidden=4, activation="relu")


def test_the_prediction_model_never_sees_the_last_day_and_adds_its_two_losses():
    torch.manual_seed(6)
    N, H = 12, 8
    model = KerasPredictAEConfig(length=N, hidden=H).build()
    assert trainable_parameters(model) == lstm_params(1, H) + 2 * (lstm_params(H, H) + H + 1)
    x = torch.rand(5, N, 1)
    recon, pred = model.parts(x)
    assert recon.shape == (5, N - 1, 1) and pred.shape == (5, N, 1)
    moved = x.clone()
    moved[:, -1] += 10.0  # only the unseen day changes
    r2, p2 = model.parts(moved)
    assert torch.equal(recon, r2) and torch.equal(pred, p2)
    out, terms = model.terms(x, x)
    assert torch.equal(out, pred)
    assert torch.allclose(terms["recon_loss"], F.mse_loss(recon, x[:, :-1]))
    assert torch.allclose(terms["predict_loss"], F.mse_loss(pred, x))
    assert torch.allclose(model(x, x)[1], terms["recon_loss"] + terms["predict_loss"])
    assert model(x)[1] is None and torch.equal(model(x)[0], pred)


def test_the_classifier_is_bce_on_one_hot_with_dropout_only_in_training():
    torch.manual_seed(7)
    H = 16
    cfg = CourseClassifierConfig(hidden=H)
    model = cfg.build()
    assert isinstance(model.encoder, KerasDropLSTM) and isinstance(model.decoder, KerasDropLSTM)  # both, p 0.2
    keras = lstm_params(28, H) + lstm_params(H, H) + 10 * H + 10
    assert trainable_parameters(model) == count_parameters(model) == keras
    plain = CourseClassifierConfig(hidden=H, recurrent_dropout=0.0).build()
    assert isinstance(plain.encoder, nn.LSTM) and trainable_parameters(plain) == keras
    x, y = torch.rand(6, 28, 28), torch.tensor([0, 1, 2, 3, 9, 5])
    logits, loss = model.eval()(x, y)
    assert logits.shape == (6, 10)
    p = torch.sigmoid(logits)
    onehot = F.one_hot(y, 10).float()
    assert torch.allclose(loss, -(onehot * p.log() + (1 - onehot) * (1 - p).log()).mean(), atol=1e-6)
    assert torch.equal(model(x)[0], logits)  # eval: deterministic
    model.train()
    assert not torch.allclose(model(x)[0], logits)  # training: masks
    # Keras's binary accuracy: ten outputs all below 0.5 are right on 9 of 10
    assert torch.allclose(BINARY_ACCURACY.per_sample(-torch.ones(2, 10), torch.tensor([3, 4])), torch.full((2,), 0.9))


# --- Keras's update -------------------------------------------------------------------------------


def test_one_keras_step_by_hand_with_epsilon_hat():
    lin = nn.Linear(2, 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.5, -0.25]]))
        lin.bias.fill_(0.1)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lin

        def forward(self, x, y=None):
            out = self.lin(x)[:, 0]
            return out, None if y is None else ((out - y) ** 2).mean()

    model = Model()
    x = torch.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=torch.float64)
    y = torch.tensor([0.3, -0.2], dtype=torch.float64)
    w0, b0 = np.array([0.5, -0.25]), 0.1
    err = x.numpy() @ w0 + b0 - y.numpy()  # (2,)
    g_w, g_b = 2 * err @ x.numpy() / 2, 2 * err.mean()  # d mean(err^2)
    lr = 0.01
    out = KerasStep(model, lr)(x, y)
    assert out["loss"].item() == pytest.approx((err**2).mean())  # the loss before the update

    def keras(w, g):  # t = 1: m = 0.1 g, v = 0.001 g^2
        return w - lr * math.sqrt(1 - 0.999) / (1 - 0.9) * (0.1 * g) / (np.sqrt(0.001 * g**2) + KERAS_EPSILON)

    assert np.allclose(lin.weight.detach().numpy()[0], keras(w0, g_w), rtol=0, atol=1e-15)
    assert lin.bias.item() == pytest.approx(keras(b0, g_b), abs=1e-15)


def test_keras_adam_is_torch_adam_with_epsilon_scaled_by_the_bias_correction_and_differs_with_torchs():
    torch.manual_seed(8)
    grads = [torch.randn(5, dtype=torch.float64) * 1e-6 for _ in range(4)]  # small: where eps matters
    w_k, w_t, w_fixed = (torch.zeros(5, dtype=torch.float64, requires_grad=True) for _ in range(3))
    keras, fixed = KerasAdam([w_k], lr=0.1), torch.optim.Adam([w_fixed], lr=0.1, eps=KERAS_EPSILON)
    torch_adam = torch.optim.Adam([w_t], lr=0.1)
    for t, g in enumerate(grads, start=1):
        torch_adam.param_groups[0]["eps"] = KERAS_EPSILON / math.sqrt(1 - 0.999**t)
        for w, opt in ((w_k, keras), (w_t, torch_adam), (w_fixed, fixed)):
            w.grad = g.clone()
            opt.step()
    assert torch.allclose(w_k, w_t, rtol=1e-10, atol=0)
    assert not torch.allclose(w_k, w_fixed, rtol=1e-3)  # torch's eps 1e-7 as is: another update here


def test_clipvalue_clips_each_element_and_the_frozen_bias_never_moves():
    torch.manual_seed(9)
    model = KerasLSTMAEConfig(length=5, hidden=4).build()
    c = 2.0**-10  # exact in float32
    step = KerasStep(model, lr=0.01, clip_value=c)
    assert all(p.requires_grad for p in step.params) and len(step.params) == 2 * 3 + 2
    x = torch.rand(8, 5, 1) * 3
    before = {k: v.clone() for k, v in model.state_dict().items()}
    step(x, x)
    grads = [p.grad for p in step.params]
    assert max(g.abs().max().item() for g in grads) <= c
    assert any(g.abs().max().item() == c for g in grads)  # something was clipped
    v = step.opt.state[step.params[0]]["v"]
    assert torch.allclose(v, 0.001 * grads[0] ** 2)  # Adam saw the clipped gradient
    assert torch.equal(model.encoder.bias_hh_l0, before["encoder.bias_hh_l0"])
    assert not torch.equal(model.encoder.bias_ih_l0, before["encoder.bias_ih_l0"])
    with pytest.raises(ValueError, match="clip_value"):
        KerasStep(model, lr=0.01, clip_value=0)


def test_the_step_trains_with_the_one_loop_and_records_both_branches():
    torch.manual_seed(10)
    model = KerasPredictAEConfig(length=6, hidden=4).build()
    x = torch.rand(20, 6, 1)
    cfg = FitConfig(steps=6, batch_size=8, lr=0.001, clip_norm=math.inf, eval_every=3)
    hist = fit(model, (x, x), None, cfg, seed=0, progress=False, step=KerasStep(model, 0.001, terms=model.terms))
    assert set(hist.train) == {"loss", "recon_loss", "predict_loss"} and len(hist.train_loss) == 6
    assert np.allclose(hist.train_loss, np.add(hist.train["recon_loss"], hist.train["predict_loss"]))
    # Keras's history['loss']: per epoch (3 steps of 8, 8, 4), weighted by batch size
    assert epoch_means(hist.train_loss, 20, 8) == pytest.approx(
        [np.dot(hist.train_loss[e * 3 : e * 3 + 3], [8, 8, 4]) / 20 for e in (0, 1)])


def test_epoch_means_by_hand():
    assert epoch_means([1, 2, 3, 4, 5, 6], 5, 2) == pytest.approx([(2 + 4 + 3) / 5, (8 + 10 + 6) / 5])
    with pytest.raises(ValueError, match="whole epochs"):
        epoch_means([1, 2], 5, 2)


# --- the course's data ----------------------------------------------------------------------------


def test_signals_are_min_max_scaled_then_centred_at_one_half():
    x = course_signals(10_000, 50, np.random.default_rng(0))
    assert x.shape == (10_000, 50, 1) and x.dtype == np.float32
    rows = x[..., 0].astype(np.float64)
    assert np.allclose(rows.mean(1), 0.5, atol=1e-6)
    assert np.allclose(rows.max(1) - rows.min(1), 1.0, atol=1e-6)
    assert rows.min() < 0 and rows.max() > 1  # the shift leaves [0, 1]
    assert rows.var() == pytest.approx(0.0884, abs=0.002)  # the predict-the-mean plateau (notes §1)
    assert np.array_equal(x, course_signals(10_000, 50, np.random.default_rng(0)))


def test_signals_worked_example():
    class Fixed:
        def random(self, shape):
            return np.array([[0.2, 0.6, 0.4], [0.1, 0.3, 0.9]])

    x = course_signals(2, 3, Fixed())[..., 0]
    assert np.allclose(x, [[0.0, 1.0, 0.5], [1 / 12, 1 / 3, 13 / 12]])


@pytest.mark.parametrize("n, sizes", [(10_000, (6000, 2000, 2000)), (479, (287, 96, 96)), (451, (270, 90, 91))])
def test_split_sizes_in_order(n, sizes):
    parts = course_split(n)
    items = np.arange(n)
    assert tuple(len(items[s]) for s in parts) == sizes
    assert np.array_equal(np.concatenate([items[s] for s in parts]), items)  # in order, nothing dropped


def series(n_tickers=3, days=40, seed=0):
    rng = np.random.default_rng(seed)
    return {f"T{k}": 50 + np.cumsum(rng.normal(size=days)) for k in range(n_tickers)}


def test_windows_are_drawn_with_replacement_and_scaled_to_0_1_without_the_last_day():
    s = series()
    w = course_windows(s, 500, 10, np.random.default_rng(1))
    assert w.x.shape == (500, 10, 1) and w.x.dtype == np.float32
    x = w.x[..., 0]
    assert x.min() >= 0 and x.max() <= 1
    assert np.allclose(x.min(1), 0) and np.allclose(x.max(1), 1)
    assert w.start.min() >= 0 and (w.start + 10).max() <= 40 - 1  # start in [0, L-N-1]: day L-1 never enters
    assert set(np.unique(w.start)) == set(range(30))  # every allowed start is drawn
    assert len({(t, st) for t, st in zip(w.ticker, w.start)}) < 500  # with replacement
    for i in (0, 17, 499):
        raw = s[w.tickers[w.ticker[i]]][w.start[i] : w.start[i] + 10]
        assert np.allclose(x[i], (raw - raw.min()) / (raw.max() - raw.min()), atol=1e-6)
    again = course_windows(s, 500, 10, np.random.default_rng(1))
    assert np.array_equal(again.x, w.x)


def test_a_flat_or_short_or_gappy_series_is_an_error_naming_the_ticker():
    flat = {"AAA": np.arange(30.0), "FLAT": np.full(30, 7.0)}
    with pytest.raises(DataError, match="ticker FLAT: .* is flat"):
        course_windows(flat, 50, 5, np.random.default_rng(0))
    with pytest.raises(DataError, match="ticker SHORT has 10 days"):
        course_windows({"AAA": np.arange(30.0), "SHORT": np.arange(10.0)}, 5, 10, np.random.default_rng(0))
    gap = np.arange(30.0)
    gap[3:27] = np.nan
    with pytest.raises(DataError, match="ticker GAP: .*non-finite"):
        course_windows({"GAP": gap}, 5, 5, np.random.default_rng(0))


def test_leak_share_counts_windows_whose_last_day_is_a_strict_extreme():
    windows = np.array([[0.0, 1.0, 2.0],  # strict maximum: leaks
                        [1.0, 2.0, 0.0],  # strict minimum: leaks
                        [2.0, 0.0, 1.0],  # inside: no leak
                        [2.0, 0.0, 2.0]])  # a tie: the seen days already reach it
    assert leak_share(windows) == 0.5
    assert leak_share(windows[..., None]) == 0.5
    w = course_windows(series(days=200), 400, 30, np.random.default_rng(2))
    x = w.x[..., 0]
    hit = (x[:, -1] == 1) & (x[:, :-1].max(1) < 1) | (x[:, -1] == 0) & (x[:, :-1].min(1) > 0)
    assert leak_share(w.x) == pytest.approx(hit.mean()) and 0 < leak_share(w.x) < 1


# --- the params and the stages -------------------------------------------------------------------


def tiny_course(default_params: dict) -> dict:
    p = copy.deepcopy(default_params)
    c = p["lstmae"]["course"]
    k = c["synthetic"]
    k["data"].update(n=60, length=8)
    k["model"].update(hidden=4)
    k["train"].update(epochs=2, seeds=[0, 1], device="cpu")
    k["variants"] = [{"hidden": 2}, {"lr": 0.05}, {"lr": 0.001}, {"lr": 0.0005}, {"lr": 0.05, "clip_value": 1e-4}]
    c["mnist"]["recon"].update(hidden=3, epochs=2, pixel_epochs=1, batch_size=16)
    c["mnist"]["classifier"].update(hidden=3, epochs=2, batch_size=16)
    c["mnist"]["device"] = "cpu"
    c["prices"]["default"].update(recon_windows=40, predict_windows=30, val_windows=8, test_windows=10, hidden=3,
                                  epochs=2)
    c["prices"]["data"]["days"] = 20
    c["prices"]["device"] = "cpu"
    p["compute"]["workers"] = 1
    return p


def test_the_default_course_params_are_the_courses_run(default_params):
    s = parse(default_params).course.synthetic
    assert s.deviations() == []
    assert (s.data.n, s.data.length, s.model.hidden, s.train.lr, s.train.batch_size, s.train.epochs,
            s.train.clip_value) == tuple(COURSE_SYNTHETIC[k] for k in
                                         ("n", "length", "hidden", "lr", "batch_size", "epochs", "clip_value"))


@pytest.mark.parametrize("part,key,value,message", [
    ("data", "n", 2, "'lstmae.course.synthetic.data.n' must be >= 3"),
    ("data", "length", 1, "'lstmae.course.synthetic.data.length' must be >= 2"),
    ("data", "seed", -1, "'lstmae.course.synthetic.data.seed' must be >= 0"),
    ("model", "hidden", 0, "'lstmae.course.synthetic.model.hidden' must be >= 1"),
    ("train", "lr", 0, "'lstmae.course.synthetic.train.lr' must be a positive number"),
    ("train", "batch_size", 0, "'lstmae.course.synthetic.train.batch_size' must be >= 1"),
    ("train", "epochs", 1.5, "'lstmae.course.synthetic.train.epochs' must be an integer"),
    ("train", "clip_value", 0, "'lstmae.course.synthetic.train.clip_value' must be a number > 0, or null"),
    ("train", "clip_value", True, "'lstmae.course.synthetic.train.clip_value' must be a number > 0, or null"),
    ("train", "seeds", [0, 0], "'lstmae.course.synthetic.train.seeds' repeats a value"),
    ("train", "seeds", [], "'lstmae.course.synthetic.train.seeds' is empty"),
    ("train", "device", "tpu", "'lstmae.course.synthetic.train.device' is 'tpu'; allowed values"),
])
def test_a_bad_course_param_names_its_key(default_params, part, key, value, message):
    default_params["lstmae"]["course"]["synthetic"][part][key] = value
    with pytest.raises(ParamsError, match=re.escape(message)):
        parse(default_params)


def test_a_missing_course_key_is_named(default_params):
    del default_params["lstmae"]["course"]["synthetic"]["train"]["clip_value"]
    with pytest.raises(ParamsError, match=re.escape("'lstmae.course.synthetic.train.clip_value' is missing")):
        parse(default_params)


def test_a_clip_value_is_read_and_listed_as_a_deviation(default_params):
    default_params["lstmae"]["course"]["synthetic"]["train"].update(clip_value=1, epochs=90)
    s = parse(default_params).course.synthetic
    assert s.train.clip_value == 1.0
    assert s.deviations() == ["epochs: 90 (course: 30)", "clip_value: 1.0 (course: None)"]


@pytest.mark.parametrize("variants,message", [
    ({"hidden": 32}, "must be a list of mappings"),
    ([{"depth": 2}], "'lstmae.course.synthetic.variants[0]' must map some of hidden, lr, clip_value"),
    ([{}], "'lstmae.course.synthetic.variants[0]' must map some of"),
    ([{"hidden": 0}], "'lstmae.course.synthetic.variants[0].hidden' must be an integer >= 1"),
    ([{"lr": -1}], "'lstmae.course.synthetic.variants[0].lr' must be a number > 0"),
    ([{"lr": 0.05, "clip_value": 0}], "'lstmae.course.synthetic.variants[0].clip_value' must be a number > 0"),
    ([{"lr": 0.05}, {"lr": 0.05}], "'lstmae.course.synthetic.variants[1]' repeats the run h64_lr0.05"),
    ([{"hidden": 64}], "'lstmae.course.synthetic.variants[0]' repeats the run h64_lr0.005"),
])
def test_a_bad_variant_names_its_key(default_params, variants, message):
    default_params["lstmae"]["course"]["synthetic"]["variants"] = variants
    with pytest.raises(ParamsError, match=re.escape(message)):
        parse(default_params).course.synthetic.runs()


def test_variants_change_the_chosen_run_and_are_labelled(default_params):
    s = parse(default_params).course.synthetic
    assert s.chosen().label == "h64_lr0.005"
    assert [r.label for r in s.runs()] == ["h32_lr0.005", "h64_lr0.05", "h64_lr0.001", "h64_lr0.0005",
                                           "h64_lr0.05_clip1"]
    assert s.runs()[-1].clip_value == 1.0 and s.runs()[0].clip_value is None


def test_the_default_mnist_and_price_params_list_their_deviations(default_params):
    c = parse(default_params).course
    assert c.mnist.deviations(4000, 500) == ["train_images: 4,000 (course: 60,000)", "val_images: 500 (course: 5,000)",
                                             "recon_epochs: 20 (course: 50)", "classifier_epochs: 20 (course: 50)"]
    assert c.prices.size == c.prices.default and c.prices.deviations()[:3] == [
        "recon_windows: 1,600 (course: 10,000)", "predict_windows: 1,600 (course: 3,000)", "hidden: 32 (course: 128)"]
    default_params["lstmae"]["course"]["prices"]["scale"] = "course"
    assert parse(default_params).course.prices.deviations() == []  # scale: course runs the exact sizes


def test_the_course_synthetic_stages_train_and_evaluate(tmp_path, monkeypatch, default_params):
    """The synthetic step and its evaluation in this process (no tracking), on tiny params."""
    monkeypatch.chdir(tmp_path)
    p = parse(tiny_course(default_params))
    steps.train_synthetic(p)
    run = tmp_path / "models" / "lstmae_course" / "synthetic" / "h4_lr0.005" / "seed1"
    record = json.loads((run / "run.json").read_text())
    # 36 training signals in batches of 32: 2 steps an epoch (32, then 4)
    assert record["steps_run"] == 4 and record["samples"] == 2 * 36
    assert record["n_params"] == 4 * 4 * (1 + 4 + 1) + 4 * 4 * (4 + 4 + 1) + 4 + 1  # trainable: one bias per gate
    assert KerasLSTMAEConfig.read(run / "model.pt")[0].hidden == 4
    variants = sorted(d.name for d in (tmp_path / "models" / "lstmae_course" / "synthetic").iterdir())
    assert variants == ["h2_lr0.005", "h4_lr0.0005", "h4_lr0.001", "h4_lr0.005", "h4_lr0.05", "h4_lr0.05_clip0.0001"]
    m, res, curve = steps.evaluate_synthetic(p.course.synthetic)
    assert m["n_seeds"] == 2 and 0 < m["val_mse"] and 0 < m["test_mse"] and "h2_lr0.005.val_mse" in m
    assert res["sizes"] == {"train": 36, "val": 12, "test": 12} and res["steps_per_epoch"] == 2
    assert res["deviations"] == ["n: 60 (course: 10000)", "length: 8 (course: 50)", "hidden: 4 (course: 64)",
                                 "epochs: 2 (course: 30)"]
    x = steps.signals(p.course.synthetic)["val"]
    assert res["plateau"]["val"] == pytest.approx(((x - x.mean(1, keepdim=True)) ** 2).mean().item(), abs=1e-6)
    assert [v["label"] for v in res["variants"]] == [r.label for r in p.course.synthetic.runs()]
    assert all(v["seed"] == 0 for v in res["variants"])
    assert list(curve.columns) == ["label", "seed", "epoch", "step", "train_loss", "val_loss"]
    one = curve[(curve.label == "h4_lr0.005") & (curve.seed == 1)]
    assert one["step"].tolist() == [2, 4]
    hist = pd.read_csv(run / "history.csv")
    loss = hist["train_loss"].to_numpy()
    keras = [(32 * loss[0] + 4 * loss[1]) / 36, (32 * loss[2] + 4 * loss[3]) / 36]  # Keras's history['loss']
    assert one["train_loss"].tolist() == pytest.approx(keras, abs=1e-7)
    chosen = res["runs"][1]
    assert chosen["train_loss_curve"] == pytest.approx(keras, abs=1e-7)
    # the final validation MSE is the last epoch's val_loss, scored again in eval mode from the checkpoint
    assert chosen["val_mse"] == pytest.approx(one["val_loss"].iloc[-1], abs=1e-6)
    val = chosen["scores"]["val"]
    assert val["n"] == 12 and val["se"] == pytest.approx(val["sd"] / math.sqrt(12), rel=1e-5)
    # clipping every gradient element at 1e-4 changes the run; the same run again is the same run (data, init, order: the seeds)
    clipped = res["variants"][-1]
    assert clipped["clip_value"] == 1e-4 and clipped["val_mse"] != res["variants"][1]["val_mse"]
    first = (run / "history.csv").read_text()
    steps.train_synthetic(p)
    assert (run / "history.csv").read_text() == first


def test_the_course_mnist_stage_trains_both_views_and_both_classifiers(tmp_path, monkeypatch, default_params):
    monkeypatch.chdir(tmp_path)
    fake_mnist(tmp_path)
    p = parse(tiny_course(default_params))
    steps.train_mnist(p)
    m, res, curves = steps.evaluate_mnist(p.course.mnist)
    runs = res["runs"]
    assert set(runs) == {"recon_row", "recon_pixel", "recon_row_short", "classifier_dropout", "classifier_no_dropout"}
    pixel = json.loads((tmp_path / "models/lstmae_course/mnist/recon_pixel/seed0/run.json").read_text())
    assert pixel["steps_run"] == 3  # 40 images in batches of 16, one epoch
    assert [r["epochs"] for r in (runs["recon_row"][0], runs["recon_pixel"][0], runs["recon_row_short"][0])] == [2, 1, 1]
    # the short row run is the long one's first epoch: the same seed, data and batches
    assert runs["recon_row_short"][0]["val_loss_curve"][0] == pytest.approx(runs["recon_row"][0]["val_loss_curve"][0])
    assert runs["recon_row_short"][0]["val_mse"] == pytest.approx(np.mean(runs["recon_row_short"][0]["val_per_image"]))
    drop, nodrop = runs["classifier_dropout"][0], runs["classifier_no_dropout"][0]
    # Keras's printed training accuracy: the last epoch's running mean (dropout on), not the eval-mode one
    assert drop["keras_train_acc"] == pytest.approx(drop["train_acc_curve"][-1])
    assert drop["val"]["n"] == 12 and 0 <= drop["val"]["acc"] <= 1 and 0 <= drop["val"]["binary_acc"] <= 1
    assert drop["val"]["acc"] == pytest.approx(drop["val_acc_curve"][-1], abs=1e-6)  # dropout is off at validation
    # the final weights in eval mode on every training image: the corrected gap's training accuracy
    assert 0 <= nodrop["train"]["acc"] <= 1 and nodrop["train"]["n"] == 40 and res["full"] is False
    assert m["pixel_val_mse"] == runs["recon_pixel"][0]["val_mse"]
    assert set(curves["run"]) == set(runs)
    assert "train_images: 40 (course: 60,000)" in res["deviations"]


def test_the_course_prices_stage_filters_splits_and_trains_both_models(tmp_path, monkeypatch, default_params):
    """On the offline source (skfolio's wheel: 20 tickers, no gaps)."""
    monkeypatch.chdir(tmp_path)
    p = parse(tiny_course(default_params))
    steps.train_prices(p)
    meta = json.loads((tmp_path / "models/lstmae_course/prices/meta.json").read_text())
    assert meta["kept"] == 20 and meta["split"] == {"train": 12, "val": 4, "test": 4}
    assert meta["split_tickers"]["train"] == sorted(meta["split_tickers"]["train"])
    assert max(meta["split_tickers"]["train"]) < min(meta["split_tickers"]["val"])  # alphabetical, not shuffled
    w = np.load(tmp_path / "models/lstmae_course/prices/windows.npz")
    assert {k: w[k].shape for k in w} == {"reconstruct": (40, 20, 1), "predict": (30, 20, 1), "val": (8, 20, 1),
                                          "test": (10, 20, 1)}
    assert all(w[k].min() == 0 and w[k].max() == 1 for k in w)  # min-max per window
    m, res, curves = steps.evaluate_prices(p.course.prices)
    pred, rec = res["runs"]["predict"], res["runs"]["reconstruct"]
    assert len(pred["val_recon"]) == len(pred["val_predict"]) == 2
    t = w["test"].astype(np.float64)
    assert rec["test_flat_mse"] == pytest.approx(t.var(axis=1).mean(), rel=1e-6)
    assert pred["naive_last_day_mse"] == pytest.approx(((t[:, -2, 0] - t[:, -1, 0]) ** 2).mean(), rel=1e-6)
    assert pred["leak_share"] == pytest.approx(leak_share(w["test"]))
    assert set(curves["model"]) == {"reconstruct", "predict"}
    assert "close" in res["meta"]["column_note"]  # the offline source's adjusted closes stand in


def test_every_course_claim_is_built_from_the_tiny_run(tmp_path, monkeypatch, default_params):
    from seqlab.studies.lstmae.course_claims import course_claims

    monkeypatch.chdir(tmp_path)
    fake_mnist(tmp_path)
    p = parse(tiny_course(default_params))
    for step in (steps.train_synthetic, steps.train_mnist, steps.train_prices, steps.evaluate_study):
        step(p)
    res = json.loads((tmp_path / "reports/lstmae_course/results.json").read_text())
    rows = course_claims(res, None, None, None)
    assert len({r.id for r in rows}) == len(rows) == 12
    by_id = {r.id: r for r in rows}
    seqlab_rows = ("lstmae.synthetic_mse", "lstmae.course_mnist_9904", "lstmae.course_prices_similarly")
    assert all(by_id[i].corrected.endswith("not run") for i in seqlab_rows)  # seqlab's own runs are absent here
    assert "eval mode" in by_id["lstmae.course_mnist_dropout"].corrected  # the same runs, measured fairly
    dip = course_claims(res, {"test_mse": 0.0365}, None, None)[0]
    assert dip.id == "lstmae.synthetic_mse" and "0.0365" in dip.corrected and "another, harder task" in dip.corrected
    assert by_id["lstmae.course_mnist_9904"].result.verdict == "not comparable"  # 40 images, not 60,000
    assert by_id["lstmae.course_synthetic_larger_hidden"].result.verdict == "not comparable"  # no larger size ran
    assert "clipvalue" in " ".join(by_id["lstmae.course_synthetic_clipping"].deviations)
    assert all(r.protocol == "course" and r.deviations for r in rows)


def test_a_bad_course_param_stops_the_stage_before_anything_is_written(tmp_path, default_params):
    p = tiny_course(default_params)
    p["lstmae"]["course"]["synthetic"]["train"]["epochs"] = 0
    p["mlflow"]["tracking_uri"] = f"sqlite:///{tmp_path}/mlflow.db"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(stage_command("lstmae_course_synthetic"), cwd=tmp_path, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert "'lstmae.course.synthetic.train.epochs' must be >= 1" in proc.stderr, proc.stderr
    assert not (tmp_path / "models").exists() and not (tmp_path / "mlflow.db").exists()
