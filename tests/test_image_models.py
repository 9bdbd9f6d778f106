import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.config import count_parameters
from seqlab.models.image import (
    KINDS,
    VIEWS,
    ImageClassifier,
    LSTMAutoencoder,
    describe,
    pixel_permutation,
    view_sequence,
    view_shape,
)
from seqlab.models.recurrent import CHRONO, StackedRecurrence

B, C = 3, 10
GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # H-sized blocks per torch layer


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One intra-op thread, as seqlab.training.parallel trains: at these sizes a second thread buys
    nothing, and while another process keeps the other core busy it made the 784-step runs
    and the Adam loop 50x slower (threads spinning on a shared barrier)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _images(n: int = B, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 28, 28, generator=torch.Generator().manual_seed(seed))


# --- views --------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", VIEWS)
def test_each_view_has_the_shape_it_declares(view):
    assert view_sequence(_images(), view).shape == (B, *view_shape(view))
    assert view_shape(view) == {"row": (28, 28), "pixel": (784, 1), "permuted": (784, 1)}[view]


def test_row_view_is_the_image_and_pixel_view_its_row_major_flattening():
    x = _images()
    torch.testing.assert_close(view_sequence(x, "row"), x)
    pixel = view_sequence(x, "pixel")
    assert pixel[1, 28 * 5 + 7, 0] == x[1, 5, 7]
    torch.testing.assert_close(pixel[:, :, 0], torch.stack([img.flatten() for img in x]))


def test_permuted_view_is_one_fixed_seeded_permutation_of_the_pixels():
    x = _images()
    pixel = view_sequence(x, "pixel")
    perm = view_sequence(x, "permuted")
    torch.testing.assert_close(perm, view_sequence(x, "permuted", permutation_seed=0))  # default seed 0
    # The documented recipe, so any process can rebuild the order without seqlab.
    expected_order = torch.randperm(784, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(pixel_permutation(0), expected_order)
    torch.testing.assert_close(perm, pixel[:, expected_order])
    # A permutation: the same pixel values per image, in another order.
    torch.testing.assert_close(perm.sort(dim=1).values, pixel.sort(dim=1).values)
    assert not torch.equal(perm, pixel)
    # Another seed, another order; the same seed, the same order.
    other = view_sequence(x, "permuted", permutation_seed=1)
    assert not torch.equal(other, perm)
    torch.testing.assert_close(other, view_sequence(x, "permuted", permutation_seed=1))
    assert sorted(pixel_permutation(1).tolist()) == list(range(784))


def test_unknown_view_and_bad_images_fail_clearly():
    with pytest.raises(ValueError, match="valid views: row, pixel, permuted"):
        view_sequence(_images(), "column")
    with pytest.raises(ValueError, match="valid views: row, pixel, permuted"):
        view_shape("column")
    with pytest.raises(ValueError, match="valid views"):
        ImageClassifier("lstm", "column", (4,))
    with pytest.raises(ValueError, match=r"\(B, 28, 28\)"):
        view_sequence(torch.rand(B, 784), "pixel")


def test_unknown_kind_and_bad_widths_fail_clearly():
    with pytest.raises(ValueError, match="valid kinds: rnn, lstm, gru"):
        ImageClassifier("peephole", "row", (4,))
    for hidden in ((), (4, 0)):
        with pytest.raises(ValueError, match="positive layer widths"):
            StackedRecurrence("gru", 28, hidden)


# --- the classifier: every kind, depth, direction and view ---------------------------------------


@pytest.mark.parametrize("view", ["row", "pixel"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("hidden", [(4,), (4, 4), (5, 3)])
@pytest.mark.parametrize("kind", KINDS)
def test_every_classifier_runs_forward_and_backward(kind, hidden, bidirectional, view):
    torch.manual_seed(0)
    model = ImageClassifier(kind, view, hidden, bidirectional, num_classes=C)
    assert model.recurrence.output_size == hidden[-1] * (2 if bidirectional else 1)
    x, y = _images(), torch.tensor([0, 3, 9])
    logits, loss = model(x, y)
    assert logits.shape == (B, C) and loss.shape == ()
    assert torch.isfinite(loss)
    assert model(x)[1] is None
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, f"{name} gets no gradient"


def test_permuted_classifier_reads_the_permuted_sequence():
    torch.manual_seed(0)
    model = ImageClassifier("gru", "permuted", (4,), permutation_seed=3)
    x = _images()
    expected = model.head(model.recurrence(view_sequence(x, "permuted", permutation_seed=3)))
    torch.testing.assert_close(model(x)[0], expected)


def test_bidirectional_summary_is_last_forward_step_and_first_backward_step():
    torch.manual_seed(0)
    H = 3
    stack = StackedRecurrence("lstm", 28, (5, H), bidirectional=True)
    x = _images()
    out, _ = stack.layers[1](stack.layers[0](x)[0])  # (B, T, 2H), chained by hand
    expected = torch.cat([out[:, -1, :H], out[:, 0, H:]], dim=-1)  # (B, 2H)
    torch.testing.assert_close(stack(x), expected)


def test_backward_half_of_the_summary_reads_the_sequence_reversed():
    """Independently of torch's bidirectional bookkeeping: the reverse weights run forwards
    over the flipped sequence end in the same state."""
    torch.manual_seed(0)
    H = 4
    stack = StackedRecurrence("gru", 28, (H,), bidirectional=True)
    bi = stack.layers[0]
    rev = nn.GRU(28, H, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(rev, name).copy_(getattr(bi, name + "_reverse"))
    x = _images()
    out, _ = rev(x.flip(1))
    torch.testing.assert_close(stack(x)[:, H:], out[:, -1])


@pytest.mark.parametrize("kind", KINDS)
def test_unidirectional_summary_is_the_last_output_step(kind):
    torch.manual_seed(0)
    stack = StackedRecurrence(kind, 28, (5, 3))
    x = _images()
    out, _ = stack.layers[1](stack.layers[0](x)[0])  # (B, T, 3)
    torch.testing.assert_close(stack(x), out[:, -1])


def test_parameter_count_follows_the_torch_formulas():
    # One LSTM layer: 4 gates, each W_ih (H, n_in), W_hh (H, H) and torch's two biases; then the head.
    H, n_in = 6, 28
    model = ImageClassifier("lstm", "row", (H,), num_classes=C)
    assert count_parameters(model) == 4 * (H * n_in + H * H + 2 * H) + (H * C + C)
    # Bidirectional (5, 3) GRU on pixels: two directions per layer; layer 2 reads 2 * 5 features.
    model = ImageClassifier("gru", "pixel", (5, 3), bidirectional=True, num_classes=C)
    layer1 = 2 * 3 * (5 * 1 + 5 * 5 + 2 * 5)
    layer2 = 2 * 3 * (3 * 10 + 3 * 3 + 2 * 3)
    assert count_parameters(model) == layer1 + layer2 + (6 * C + C)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_parameter_count_any_kind(kind, bidirectional):
    d, G, n_in = (2 if bidirectional else 1), GATES[kind], 28
    model = ImageClassifier(kind, "row", (5, 3), bidirectional, num_classes=C)
    expected = d * G * (5 * n_in + 5 * 5 + 2 * 5) + d * G * (3 * d * 5 + 3 * 3 + 2 * 3) + (d * 3 * C + C)
    assert count_parameters(model) == expected


def test_lstm_forget_gate_bias_starts_at_the_given_value_everywhere():
    stack = StackedRecurrence("lstm", 28, (5, 3), bidirectional=True, forget_bias=2.5)
    biases = 0
    for layer in stack.layers:
        H = layer.hidden_size
        for suffix in ("", "_reverse"):
            b_ih, b_hh = getattr(layer, "bias_ih_l0" + suffix), getattr(layer, "bias_hh_l0" + suffix)
            assert torch.all(b_ih[H : 2 * H] == 2.5) and torch.all(b_hh[H : 2 * H] == 0)
            assert not torch.all(b_ih[:H] == 2.5)  # only the forget gate
            biases += 1
    assert biases == 4
    ae = LSTMAutoencoder(hidden=6, latent=4, dropout=0.0, forget_bias=2.5)
    for lstm in (ae.autoencoder.encoder, ae.autoencoder.decoder):
        assert torch.all(lstm.bias_ih_l0[6:12] == 2.5) and torch.all(lstm.bias_hh_l0[6:12] == 0)
    StackedRecurrence("gru", 28, (4,), forget_bias=2.5)  # no forget gate: ignored, not an error


def _bias_blocks(layer: nn.RNNBase, suffix: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(b_ih, b_hh) of one direction, each as (gates, H) blocks in torch's gate order."""
    H = layer.hidden_size
    return (getattr(layer, "bias_ih_l0" + suffix).detach().view(-1, H),
            getattr(layer, "bias_hh_l0" + suffix).detach().view(-1, H))


def test_chrono_spreads_lstm_memory_over_the_whole_sequence():
    torch.manual_seed(0)
    model = ImageClassifier("lstm", "pixel", (64, 32), bidirectional=True, forget_bias=CHRONO)
    forget = []
    for layer in model.recurrence.layers:
        for suffix in ("", "_reverse"):
            (b_i, b_f, _, _), (h_i, h_f, _, _) = _bias_blocks(layer, suffix)
            # log u, u ~ U(1, T-1): every value in [0, log 783], and the input gate mirrors it
            assert b_f.min() >= 0 and b_f.max() <= torch.log(torch.tensor(783.0)) + 1e-6
            assert torch.equal(b_i, -b_f) and not h_i.any() and not h_f.any()
            forget.append(b_f)
    forget = torch.cat(forget)
    # The time scales e^b are uniform on [1, 783]: their mean is about 392, and every unit
    # of every layer and direction gets its own draw.
    assert 330 < forget.exp().mean() < 450 and len(forget.unique()) == len(forget)
    # The row view spans 28 steps, so its memories stay within 27 steps.
    row = ImageClassifier("lstm", "row", (64,), forget_bias=CHRONO).recurrence.layers[0]
    assert _bias_blocks(row, "")[0][1].max() <= torch.log(torch.tensor(27.0)) + 1e-6


def test_chrono_sets_the_gru_update_gate_and_leaves_the_rnn_alone():
    torch.manual_seed(0)
    gru = ImageClassifier("gru", "pixel", (16,), forget_bias=CHRONO).recurrence.layers[0]
    (b_r, b_z, _), (_, h_z, h_n) = _bias_blocks(gru, "")
    assert b_z.min() >= 0 and b_z.max() > 3 and not h_z.any()  # z near 1 keeps the state
    assert h_n.abs().sum() > 0 and b_r.abs().max() < 0.3  # torch's init elsewhere: U(-1/4, 1/4)
    torch.manual_seed(0)
    rnn = ImageClassifier("rnn", "pixel", (16,), forget_bias=CHRONO)
    torch.manual_seed(0)
    assert all(torch.equal(a, b) for a, b in zip(rnn.parameters(), ImageClassifier("rnn", "pixel", (16,)).parameters()))


def test_chrono_is_seeded_and_rejects_what_it_cannot_use():
    def biases(seed):
        torch.manual_seed(seed)
        return LSTMAutoencoder(hidden=8, latent=4, dropout=0.0, forget_bias=CHRONO).autoencoder.encoder.bias_ih_l0.detach()

    assert torch.equal(biases(1), biases(1)) and not torch.equal(biases(1), biases(2))
    assert biases(1)[8:16].max() <= torch.log(torch.tensor(27.0)) + 1e-6  # the autoencoder's 28 rows
    with pytest.raises(ValueError, match="number or 'chrono'"):
        StackedRecurrence("lstm", 1, (4,), forget_bias="crono", t_max=784)
    with pytest.raises(ValueError, match="t_max >= 2"):
        StackedRecurrence("gru", 1, (4,), forget_bias=CHRONO)


def test_describe_gives_short_labels():
    assert describe(ImageClassifier("lstm", "pixel", (64, 64), True)) == "LSTM 64x64 bi, pixel"
    assert describe(ImageClassifier("gru", "row", (8,))) == "GRU 8, row"
    assert describe(ImageClassifier("rnn", "permuted", (8,), permutation_seed=2)) == "RNN 8, permuted (seed 2)"
    assert describe(LSTMAutoencoder(8, 4, 0.1)) == "LSTM autoencoder 8, latent 4"


# --- the autoencoder ------------------------------------------------------------------------------


def _autoencoder(dropout: float = 0.5, recon_weight: float = 0.5) -> LSTMAutoencoder:
    torch.manual_seed(0)
    return LSTMAutoencoder(hidden=8, latent=4, dropout=dropout, num_classes=C, recon_weight=recon_weight)


def test_autoencoder_reconstructs_images_in_the_unit_interval():
    model = _autoencoder()
    recon = model.reconstruct(_images())
    assert recon.shape == (B, 28, 28)
    assert recon.min() >= 0 and recon.max() <= 1


def test_autoencoder_loss_is_weighted_mse_plus_cross_entropy():
    model = _autoencoder(recon_weight=0.5).eval()
    x, y = _images(), torch.tensor([1, 2, 3])
    parts = model.forward_parts(x, y)
    torch.testing.assert_close(parts.recon_mse, F.mse_loss(parts.recon, x))
    torch.testing.assert_close(parts.ce, F.cross_entropy(parts.logits, y))
    torch.testing.assert_close(parts.loss, 0.5 * ((parts.recon - x) ** 2).mean() + parts.ce)
    logits, loss = model(x, y)
    torch.testing.assert_close(logits, parts.logits)
    torch.testing.assert_close(loss, parts.loss)
    torch.testing.assert_close(model.last_recon_mse, parts.recon_mse)
    logits, loss = model(x)
    assert loss is None and logits.shape == (B, C)
    assert model.forward_parts(x).ce is None


def test_autoencoder_dropout_acts_in_train_mode_only_and_only_on_the_classifier():
    model = _autoencoder(dropout=0.5)
    x = _images()
    model.train()
    a, b = model.forward_parts(x), model.forward_parts(x)
    assert not torch.equal(a.logits, b.logits)
    torch.testing.assert_close(a.recon, b.recon)
    model.eval()
    torch.testing.assert_close(model(x)[0], model(x)[0])


def test_autoencoder_gradients_reach_encoder_decoder_and_classifier():
    model = _autoencoder()
    _, loss = model(_images(), torch.tensor([1, 2, 3]))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"{name} gets no gradient"
    assert {n.split(".")[1] for n, _ in model.named_parameters()} == {
        "encoder", "to_latent", "decoder", "to_output", "head"}


def test_autoencoder_a_few_adam_steps_reduce_the_loss():
    model = _autoencoder(dropout=0.0, recon_weight=1.0)
    x, y = _images(8, seed=1), torch.arange(8) % C
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]


# --- the generic sequence autoencoder --------------------------------------------------------------


@pytest.mark.parametrize("input_dim,seq_len", [(1, 50), (5, 7)])
def test_sequence_autoencoder_takes_any_shape_and_an_optional_head(input_dim, seq_len):
    from seqlab.models.autoencoder import SequenceAutoencoder

    torch.manual_seed(0)
    x = torch.randn(B, seq_len, input_dim)
    plain = SequenceAutoencoder(input_dim, seq_len, hidden=6, latent=3)
    z, recon, head = plain(x)
    assert z.shape == (B, 3) and recon.shape == x.shape and head is None
    # the decoder reads the code at every step; no squashing unless asked for a sigmoid
    torch.testing.assert_close(recon, plain.to_output(plain.decoder(z.unsqueeze(1).expand(-1, seq_len, -1))[0]))
    headed = SequenceAutoencoder(input_dim, seq_len, hidden=6, latent=3, head=lambda latent: nn.Linear(latent, 2),
                                 sigmoid=True)
    z, recon, head = headed(x)
    assert head.shape == (B, 2) and 0 <= recon.min() and recon.max() <= 1
    torch.testing.assert_close(head, headed.head(z))
    (recon.sum() + head.sum()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in headed.parameters())


def test_image_classifier_features_are_the_penultimate_layer():
    torch.manual_seed(0)
    model = ImageClassifier("lstm", "row", (4, 5), bidirectional=True, num_classes=C)
    x = _images()
    features = model.features(x)
    assert features.shape == (B, 2 * 5)
    torch.testing.assert_close(model(x)[0], model.head(features))
