import pytest
import torch
from torch import nn

from seqlab.models.cells import GRUCell, LSTMCell, PeepholeLSTMCell, RNNCell
from seqlab.models.config import count_parameters
from seqlab.models.recurrent import KINDS, CellRecurrence, FusedRecurrence, build_backbone, to_cell
from seqlab.models.sequence import BitTagger, SequenceClassifierConfig, SequenceRegressor


def build_model(kind, impl, input_dim, hidden, num_classes, forget_bias=0.0, pad_index=None):
    return SequenceClassifierConfig(kind, impl, input_dim, hidden, num_classes, forget_bias, pad_index).build()

B, T, I, H = 3, 7, 5, 6


def _torch_grads(cell, ref: nn.RNNBase) -> dict[str, torch.Tensor]:
    """The fused module's gradients, mapped onto the cell's parameter names."""
    grads = {"weight_x": ref.weight_ih_l0.grad, "weight_h": ref.weight_hh_l0.grad, "bias": ref.bias_ih_l0.grad}
    if isinstance(cell, GRUCell):
        grads["bias_hn"] = ref.bias_hh_l0.grad[2 * H :]
    return grads


@pytest.mark.parametrize("cell_cls,ref_cls", [(RNNCell, nn.RNN), (LSTMCell, nn.LSTM), (GRUCell, nn.GRU)])
def test_hand_written_cells_match_torch_outputs_and_gradients(cell_cls, ref_cls):
    torch.manual_seed(0)
    ref = ref_cls(I, H, batch_first=True)
    ours = to_cell(FusedRecurrence(ref))  # the library's weight copy, summed biases and all
    cell = ours.cell
    assert isinstance(cell, cell_cls)

    x = torch.randn(B, T, I)
    x_ours, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_ours = ours(x_ours)
    out_ref, _ = ref(x_ref)
    torch.testing.assert_close(out_ours, out_ref, atol=1e-5, rtol=1e-5)

    weights = torch.randn(B, T, H)  # a loss that reads every time step
    (out_ours * weights).sum().backward()
    (out_ref * weights).sum().backward()
    torch.testing.assert_close(x_ours.grad, x_ref.grad, atol=1e-5, rtol=1e-5)
    for name, grad in _torch_grads(cell, ref).items():
        torch.testing.assert_close(getattr(cell, name).grad, grad, atol=1e-5, rtol=1e-5, msg=name)


def test_peephole_cell_follows_the_course_equations():
    """Against a step-by-step reference with one matrix per gate, written from the equations."""
    torch.manual_seed(0)
    cell = PeepholeLSTMCell(I, H)
    Wx = dict(zip("fioc", cell.weight_x.detach().chunk(4)))
    Wc = dict(zip("fio", cell.weight_c.detach().chunk(3)))
    b = dict(zip("fioc", cell.bias.detach().chunk(4)))
    x = torch.randn(B, T, I)
    c = torch.zeros(B, H)
    expected = []
    for t in range(T):
        xt = x[:, t]
        f = torch.sigmoid(xt @ Wx["f"].T + c @ Wc["f"].T + b["f"])
        i = torch.sigmoid(xt @ Wx["i"].T + c @ Wc["i"].T + b["i"])
        o = torch.sigmoid(xt @ Wx["o"].T + c @ Wc["o"].T + b["o"])
        c = torch.sigmoid(xt @ Wx["c"].T + b["c"]) * i + c * f
        expected.append(torch.tanh(c) * o)
    torch.testing.assert_close(CellRecurrence(cell)(x), torch.stack(expected, 1), atol=1e-6, rtol=1e-6)


def test_lstm_parameter_count_with_one_bias_per_gate():
    n_i, n_h, n_o = 10, 128, 10
    model = build_model("lstm", "cell", n_i, n_h, n_o)
    assert count_parameters(model) == 4 * (n_h * n_i + n_h**2 + n_h) + n_o * n_h + n_o
    # torch's fused LSTM keeps two biases per gate: 4 * N_h more parameters.
    fused = build_model("lstm", "fused", n_i, n_h, n_o)
    assert count_parameters(fused) == count_parameters(model) + 4 * n_h


ALL = [(name, impl) for name, spec in KINDS.items() for impl in spec.impls]


@pytest.mark.parametrize("name,impl", ALL)
def test_every_registered_model_runs_forward_and_backward(name, impl):
    torch.manual_seed(0)
    model = build_model(name, impl, input_dim=10, hidden=H, num_classes=10, forget_bias=1.0)
    x = torch.randint(0, 10, (B, T))
    y = torch.randint(0, 10, (B,))
    logits, loss = model(x, y)
    assert logits.shape == (B, 10) and loss.shape == ()
    assert model(x)[1] is None
    loss.backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, f"{pname} gets no gradient"


@pytest.mark.parametrize("impl", ["cell", "fused"])
def test_lstm_forget_gate_starts_at_the_configured_bias(impl):
    backbone = build_backbone("lstm", impl, input_dim=4, hidden=H, forget_bias=1.0)
    if impl == "cell":
        bias = backbone.cell.bias
    else:
        bias = backbone.rnn.bias_ih_l0 + backbone.rnn.bias_hh_l0
    assert torch.all(bias[H : 2 * H] == 1.0)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="valid names: gru, lstm, peephole, rnn"):
        build_model("transformer", "cell", 10, 8, 10)
    with pytest.raises(ValueError, match="valid impls: cell"):
        build_model("peephole", "fused", 10, 8, 10)


# --- the heads the algorithmic studies use ------------------------------------------------------


@pytest.mark.parametrize("impl", ["cell", "fused"])
def test_padded_classifier_reads_each_sequences_last_real_step(impl):
    torch.manual_seed(0)
    pad = 5
    model = build_model("lstm", impl, 6, H, 4, pad_index=pad)
    short, long_ = torch.tensor([[1, 2, 3]]), torch.tensor([[4, 0, 1, 2, 3]])
    batch = torch.tensor([[1, 2, 3, pad, pad], [4, 0, 1, 2, 3]])
    logits, _ = model(batch)
    torch.testing.assert_close(logits[0], model(short)[0][0])
    torch.testing.assert_close(logits[1], model(long_)[0][0])


@pytest.mark.parametrize("name", sorted(KINDS))
def test_regressor_and_bit_tagger_shapes_and_gradients(name):
    torch.manual_seed(0)
    x = torch.rand(B, T, 2)
    reg = SequenceRegressor(build_backbone(name, KINDS[name].fastest_impl("cpu"), 2, H))
    pred, loss = reg(x, torch.rand(B))
    assert pred.shape == (B,) and loss.ndim == 0
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in reg.parameters())
    for loss_name in ("mse", "bce"):
        tagger = BitTagger(build_backbone(name, KINDS[name].fastest_impl("cpu"), 2, H), loss_name)
        logits, loss = tagger(x, torch.randint(0, 2, (B, T)).float())
        assert logits.shape == (B, T)
        loss.backward()
        assert all(p.grad is not None for p in tagger.parameters())


def test_bit_tagger_losses_are_mse_on_probabilities_and_bce_on_logits():
    torch.manual_seed(0)
    x, bits = torch.rand(B, T, 2), torch.randint(0, 2, (B, T)).float()
    backbone = build_backbone("lstm", "fused", 2, H)
    mse, bce = BitTagger(backbone, "mse"), BitTagger(backbone, "bce")
    bce.head.load_state_dict(mse.head.state_dict())
    logits, loss_mse = mse(x, bits)
    _, loss_bce = bce(x, bits)
    torch.testing.assert_close(loss_mse, ((torch.sigmoid(logits) - bits) ** 2).mean())
    p = torch.sigmoid(logits)
    torch.testing.assert_close(loss_bce, -(bits * p.log() + (1 - bits) * (1 - p).log()).mean())
    with pytest.raises(ValueError, match="valid losses: mse, bce"):
        BitTagger(backbone, "hinge")


# --- typed configs: build, save, load ----------------------------------------------------------------


def _configs():
    from seqlab.models.image import ImageClassifierConfig, LSTMAutoencoderConfig
    from seqlab.models.sequence import BitTaggerConfig, SequenceRegressorConfig

    return [SequenceClassifierConfig("peephole", "cell", 11, 4, 10, forget_bias=1.0, pad_index=10),
            SequenceRegressorConfig("gru", "fused", 2, 5, forget_bias=1.0),
            BitTaggerConfig("lstm", "fused", 2, 3, "mse", forget_bias=1.0),
            ImageClassifierConfig("lstm", "pixel", (4, 3), True, num_classes=10, forget_bias="chrono"),
            LSTMAutoencoderConfig(hidden=6, latent=3, dropout=0.1, forget_bias="chrono")]


@pytest.mark.parametrize("config", _configs(), ids=lambda c: type(c).__name__)
def test_a_checkpoint_rebuilds_its_model_from_the_stored_config(tmp_path, config):
    torch.manual_seed(0)
    model = config.build()
    config.save(tmp_path / "model.pt", model.state_dict())
    stored, _ = type(config).read(tmp_path / "model.pt")
    assert stored == config
    torch.manual_seed(1)  # the rebuilt model's own init must not matter: the weights are loaded over it
    loaded = type(config).load(tmp_path / "model.pt")
    assert not loaded.training
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name


def test_a_checkpoint_of_another_model_family_is_refused(tmp_path):
    from seqlab.core.errors import DataError
    from seqlab.models.sequence import SequenceRegressorConfig

    config = SequenceClassifierConfig("lstm", "fused", 10, 4, 10)
    config.save(tmp_path / "model.pt", config.build().state_dict())
    with pytest.raises(DataError, match="holds a 'SequenceClassifierConfig' checkpoint, expected 'SequenceRegressorConfig'"):
        SequenceRegressorConfig.load(tmp_path / "model.pt")


def _stepwise(cell, x):
    """The cell's equations one step at a time under autograd: the reference for its scan."""
    xp = cell.project_input(x)
    state = cell.init_state(x.shape[0], x)
    outs = []
    for xp_t in xp.unbind(1):
        h, state = cell(xp_t, state)
        outs.append(h)
    return torch.stack(outs, 1)


@pytest.mark.parametrize("cell_cls", [RNNCell, LSTMCell, PeepholeLSTMCell, GRUCell])
def test_scan_backward_equals_autograd_through_the_steps(cell_cls):
    """The hand-written whole-sequence backward (seqlab.models.scan) against autograd's own
    derivative of the step equations: outputs, input gradients and every parameter's gradient."""
    torch.manual_seed(1)
    cell = cell_cls(I, H).double()
    with torch.no_grad():  # biases away from 0 and larger weights, so every gate term matters
        for p in cell.parameters():
            p.mul_(3)
    x = torch.randn(B, T, I, dtype=torch.float64)
    weights = torch.randn(B, T, H, dtype=torch.float64)
    x_scan, x_step = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_scan = CellRecurrence(cell)(x_scan)
    (out_scan * weights).sum().backward()
    scan_grads = {n: p.grad.clone() for n, p in cell.named_parameters()}
    cell.zero_grad()
    out_step = _stepwise(cell, x_step)
    (out_step * weights).sum().backward()
    torch.testing.assert_close(out_scan, out_step, atol=1e-12, rtol=1e-10)
    torch.testing.assert_close(x_scan.grad, x_step.grad, atol=1e-12, rtol=1e-10)
    for n, p in cell.named_parameters():
        torch.testing.assert_close(scan_grads[n], p.grad, atol=1e-12, rtol=1e-10, msg=n)
    assert all(g.abs().sum() > 0 for g in scan_grads.values())  # every parameter is reached


@pytest.mark.parametrize("cell_cls", [RNNCell, LSTMCell, PeepholeLSTMCell, GRUCell])
def test_scan_passes_torch_gradcheck(cell_cls):
    """Finite differences against the hand-written backward, in float64."""
    torch.manual_seed(2)
    cell = cell_cls(3, 4).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)  # (B, T, I)
    params = list(cell.parameters())
    assert torch.autograd.gradcheck(lambda x, *ps: cell.scan(x), (x, *params))
