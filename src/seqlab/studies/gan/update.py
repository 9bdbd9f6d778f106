"""The GAN's update rule, a step of the one training loop (:func:`seqlab.training.loop.fit`).

One step per real batch: the discriminator's Adam update on real and fake, then the
generator's on fresh fakes, with the non-saturating generator loss (Goodfellow et al. 2014,
section 3): G maximises log D(G(z)) instead of minimising log(1 - D(G(z))), whose gradient
vanishes while D still rejects every fake. At the game's equilibrium D outputs 1/2 everywhere,
so D's loss (real + fake) is 2 ln 2 and G's is ln 2: the reference lines of the loss figure.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seqlab.models.gan import GAN
from seqlab.studies.gan.layout import D_EQUILIBRIUM, G_EQUILIBRIUM  # noqa: F401 (the losses the update is read against)


class GANStep:
    """D: minimise BCE(D(x), 1) + BCE(D(G(z)), 0); G: minimise BCE(D(G(z)), 1). Two Adam
    optimizers. Returns "loss" (D's, which the loop checks for divergence), "g_loss", and D's
    accuracy on the real and on the fake half of the batch (logit > 0 read as "real")."""

    def __init__(self, gan: GAN, lr: float, betas: tuple[float, float], seed: int):
        self.gan = gan
        self.opt_d = torch.optim.Adam(gan.discriminator.parameters(), lr=lr, betas=betas)
        self.opt_g = torch.optim.Adam(gan.generator.parameters(), lr=lr, betas=betas)
        # The noise has its own generator, so a run's fakes depend on its seed alone.
        self.noise = torch.Generator().manual_seed(seed)

    def _z(self, n: int, device: torch.device) -> torch.Tensor:
        return torch.randn(n, self.gan.latent, generator=self.noise).to(device)

    def __call__(self, real: torch.Tensor, _labels: torch.Tensor) -> dict[str, torch.Tensor]:
        g, d = self.gan.generator, self.gan.discriminator
        n = len(real)
        ones = torch.ones(n, device=real.device)
        zeros = torch.zeros(n, device=real.device)
        fake = g(self._z(n, real.device))  # (B, 28, 28)
        logit_real, logit_fake = d(real), d(fake.detach())  # (B,), (B,)
        d_loss = (F.binary_cross_entropy_with_logits(logit_real, ones)
                  + F.binary_cross_entropy_with_logits(logit_fake, zeros))
        # No finiteness check here (a host sync per step): the loop reads the losses back at its
        # validation points and stops the run at the first non-finite one.
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        fake = g(self._z(n, real.device))
        g_loss = F.binary_cross_entropy_with_logits(d(fake), ones)  # non-saturating
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        return {"loss": d_loss.detach(), "g_loss": g_loss.detach(),
                "d_real_acc": (logit_real.detach() > 0).float().mean(),
                "d_fake_acc": (logit_fake.detach() < 0).float().mean()}
