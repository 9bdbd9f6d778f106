"""The course's GAN update, a step of the one training loop (:func:`seqlab.training.loop.fit`).

The student's my_gan.py, per batch of real images:

1. z ~ N(0, I); fakes = G(z); G's loss BCE(D(fakes), 1), the non-saturating one; G's Adam step;
2. D's loss (BCE(D(real), 1) + BCE(D(fakes.detach()), 0)) / 2 on the SAME fakes, drawn before
   G's step; D's Adam step.

G's backward also fills D's gradients; D's ``zero_grad`` clears them before D's own backward, as in
the course. D ends in a sigmoid and the loss is ``nn.BCELoss`` (log clamped at -100), not the
logit form seqlab's own step uses. Halving D's loss leaves its Adam steps almost unchanged (Adam
divides the scale out, all but epsilon) and halves the loss that is logged: at the game's
equilibrium D's is ln 2 here, not 2 ln 2.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seqlab.models.gan import GAN


class CourseGANStep:
    """G first, then D on G's (pre-update) fakes; D's loss halved; two Adam optimizers. Returns
    "loss" (D's, which the loop checks for divergence), "g_loss", and D's accuracy on the real
    and on the fake half (probability > 1/2 read as "real")."""

    def __init__(self, gan: GAN, lr: float, betas: tuple[float, float], seed: int):
        self.gan = gan
        self.opt_g = torch.optim.Adam(gan.generator.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(gan.discriminator.parameters(), lr=lr, betas=betas)
        # The noise has its own generator, so a run's fakes depend on its seed alone.
        self.noise = torch.Generator().manual_seed(seed)

    def __call__(self, real: torch.Tensor, _labels: torch.Tensor) -> dict[str, torch.Tensor]:
        g, d = self.gan.generator, self.gan.discriminator
        n = len(real)
        ones = torch.ones(n, device=real.device)
        zeros = torch.zeros(n, device=real.device)
        fake = g(torch.randn(n, self.gan.latent, generator=self.noise).to(real.device))  # (B, 28, 28)
        g_loss = F.binary_cross_entropy(torch.sigmoid(d(fake)), ones)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        p_real, p_fake = torch.sigmoid(d(real)), torch.sigmoid(d(fake.detach()))  # (B,), (B,)
        d_loss = (F.binary_cross_entropy(p_real, ones) + F.binary_cross_entropy(p_fake, zeros)) / 2
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        return {"loss": d_loss.detach(), "g_loss": g_loss.detach(),
                "d_real_acc": (p_real.detach() > 0.5).float().mean(),
                "d_fake_acc": (p_fake.detach() < 0.5).float().mean()}
