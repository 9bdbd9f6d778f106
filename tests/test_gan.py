"""The GAN: the template's sizes and parameter counts, the non-saturating step through the one
training loop, reproducible runs, and the latent paths."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqlab.models.config import count_parameters
from seqlab.models.gan import GANConfig, from_unit, lerp, slerp, to_unit
from seqlab.studies.gan.update import D_EQUILIBRIUM, G_EQUILIBRIUM, GANStep
from seqlab.training.loop import FitConfig, fit

TEMPLATE = GANConfig(latent=100, generator=(128, 256, 512, 1024), discriminator=(512, 256))


def test_the_template_gan_has_the_course_sizes_and_parameter_counts():
    gan = TEMPLATE.build()
    # Linear layers (weights + biases), plus 2 batch-norm parameters per unit on the hidden layers but the first
    linear_g = sum(a * b + b for a, b in zip([100, 128, 256, 512, 1024], [128, 256, 512, 1024, 784]))
    assert count_parameters(gan.generator) == linear_g + 2 * (256 + 512 + 1024) == 1_510_032
    assert count_parameters(gan.discriminator) == sum(a * b + b for a, b in zip([784, 512, 256], [512, 256, 1])) == 533_505
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in gan.generator.modules()) == 3
    z = torch.randn(5, 100)
    images = gan.generator(z)
    assert images.shape == (5, 28, 28) and images.abs().max() <= 1
    assert gan.discriminator(images).shape == (5,)
    assert gan.sample(z).min() >= 0 and gan.sample(z).max() <= 1 and gan.generator.training  # mode restored


def test_the_equilibrium_losses_are_those_of_a_discriminator_that_says_one_half():
    half = torch.zeros(4)  # logit 0: D(x) = 1/2
    d = F.binary_cross_entropy_with_logits(half, torch.ones(4)) + F.binary_cross_entropy_with_logits(half, torch.zeros(4))
    assert d.item() == pytest.approx(D_EQUILIBRIUM) == pytest.approx(2 * math.log(2))
    assert F.binary_cross_entropy_with_logits(half, torch.ones(4)).item() == pytest.approx(G_EQUILIBRIUM)


def _tiny() -> GANConfig:
    return GANConfig(latent=4, generator=(8, 16), discriminator=(16,))


def test_one_step_updates_both_players_with_the_non_saturating_loss():
    torch.manual_seed(0)
    gan = _tiny().build()
    before = {k: v.clone() for k, v in gan.state_dict().items()}
    step = GANStep(gan, lr=1e-2, betas=(0.5, 0.999), seed=0)
    real = torch.rand(6, 28, 28) * 2 - 1
    out = step(real, torch.zeros(6))
    assert set(out) == {"loss", "g_loss", "d_real_acc", "d_fake_acc"}
    changed = {k for k, v in gan.state_dict().items() if not torch.equal(v, before[k])}
    assert any(k.startswith("generator.") for k in changed) and any(k.startswith("discriminator.") for k in changed)
    assert 0 <= out["d_real_acc"] <= 1 and 0 <= out["d_fake_acc"] <= 1
    # G's loss is -log D(G(z)) (non-saturating): D after its update, G before its own, on the
    # step's second noise draw (the first made D's fakes).
    noise = torch.Generator().manual_seed(0)
    _, z2 = torch.randn(6, 4, generator=noise), torch.randn(6, 4, generator=noise)
    g_before = _tiny().build().generator
    g_before.load_state_dict({k.removeprefix("generator."): v for k, v in before.items() if k.startswith("generator.")})
    with torch.no_grad():
        expected = -F.logsigmoid(gan.discriminator(g_before(z2))).mean()
    assert out["g_loss"].item() == pytest.approx(expected.item(), rel=1e-5)


def _run(seed: int):
    torch.manual_seed(seed)
    gan = _tiny().build()
    real = torch.rand(40, 28, 28) * 2 - 1
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(9))
    grids = []
    hist = fit(gan, (real, torch.zeros(40)), None, FitConfig(steps=6, batch_size=8, lr=2e-4, clip_norm=math.inf,
                                                             eval_every=3),
               seed, progress=False, step=GANStep(gan, 2e-4, (0.5, 0.999), seed),
               on_eval=lambda i, m: grids.append(gan.sample(z)))
    return hist, grids


def test_a_gan_run_is_reproducible_and_trains_through_the_one_loop():
    (h1, g1), (h2, g2), (h3, _) = _run(0), _run(0), _run(1)
    assert h1.train == h2.train and len(g1) == 2 and all(torch.equal(a, b) for a, b in zip(g1, g2))
    assert set(h1.train) == {"loss", "g_loss", "d_real_acc", "d_fake_acc"} and len(h1.train["loss"]) == 6
    assert h1.eval_step == [3, 6] and h1.train != h3.train


def test_latent_paths_start_and_end_at_their_vectors_and_slerp_keeps_the_norm():
    a, b = torch.tensor([3.0, 0.0, 0.0]), torch.tensor([0.0, 3.0, 0.0])
    t = torch.linspace(0, 1, 9)
    for path in (lerp, slerp):
        out = path(a, b, t)
        assert out.shape == (9, 3) and torch.allclose(out[0], a) and torch.allclose(out[-1], b, atol=1e-6)
    assert torch.allclose(slerp(a, b, t).norm(dim=1), torch.full((9,), 3.0))
    assert torch.allclose(slerp(a, b, torch.tensor([0.5]))[0], torch.tensor([1.0, 1.0, 0.0]) * 3 / math.sqrt(2))
    assert lerp(a, b, torch.tensor([0.5]))[0].norm() < 3  # the straight line cuts inside the sphere
    assert torch.allclose(slerp(a, a, t), a.expand(9, 3))  # parallel vectors: no division by sin 0


def test_unit_range_round_trips():
    x = torch.rand(2, 28, 28)
    assert torch.allclose(to_unit(from_unit(x)), x) and from_unit(x).min() >= -1
    assert np.isclose(to_unit(torch.tensor(-1.0)).item(), 0.0)
