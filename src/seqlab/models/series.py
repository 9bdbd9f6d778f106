"""LSTM autoencoders on one-dimensional series: reconstruction alone, or reconstruction and the
next day from the same code.

    SeriesAutoencoder(predict=False)   x (B, T) -> code z -> reconstruction (B, T)
    SeriesAutoencoder(predict=True)    x (B, T) -> code z -> reconstruction (B, T)
                                                          -> next steps (B, T): x_2 .. x_{T+1}

Both decoders are LSTMs fed z at every step (seqlab.models.autoencoder.SequenceAutoencoder; the
second is its ``head``). The predicting decoder's last output is the one real forecast: x_{T+1}
lies past the window, while x_2 .. x_T are in the encoder's input, so its loss over the window
is partly a reconstruction. The study scores the forecast on day T+1 separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.autoencoder import SequenceAutoencoder
from seqlab.models.config import ModelConfig
from seqlab.models.recurrent import init_gates


class StepDecoder(nn.Module):
    """z (B, latent) fed at each of T steps -> LSTM(latent -> H) -> Linear(H, 1) = (B, T, 1)."""

    def __init__(self, latent: int, hidden: int, seq_len: int, forget_bias: float):
        super().__init__()
        self.seq_len = seq_len
        self.lstm = nn.LSTM(latent, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)
        init_gates(self.lstm, forget_bias, t_max=seq_len)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        steps = z.unsqueeze(1).expand(-1, self.seq_len, -1)  # (B, T, latent)
        return self.out(self.lstm(steps)[0])  # (B, T, 1)


class SeriesAutoencoder(nn.Module):
    """forward(x (B, T), targets) -> (output (B, T), loss).

    Without ``predict``: output is the reconstruction, targets are x, loss the MSE.
    With ``predict``: targets are the next steps x_2 .. x_{T+1} (B, T); output is their
    prediction, and loss = MSE(reconstruction, x) + MSE(prediction, targets), the two decoders'
    losses with equal weight. ``last_recon_mse`` keeps the first term for logging.
    """

    def __init__(self, seq_len: int, hidden: int, latent: int, predict: bool, forget_bias: float = 1.0):
        super().__init__()
        self.predict = predict
        head = (lambda size: StepDecoder(size, hidden, seq_len, forget_bias)) if predict else None
        self.autoencoder = SequenceAutoencoder(1, seq_len, hidden, latent, forget_bias, head=head)
        self.last_recon_mse: torch.Tensor | None = None

    def parts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(reconstruction (B, T), next steps (B, T) or None)."""
        _, recon, nxt = self.autoencoder(x.unsqueeze(-1))  # (B, T, 1) each
        return recon.squeeze(-1), None if nxt is None else nxt.squeeze(-1)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        recon, nxt = self.parts(x)
        recon_mse = F.mse_loss(recon, x)
        self.last_recon_mse = recon_mse.detach()
        if not self.predict:
            return recon, recon_mse
        return nxt, None if targets is None else recon_mse + F.mse_loss(nxt, targets)


@dataclass(frozen=True)
class SeriesAutoencoderConfig(ModelConfig):
    seq_len: int
    hidden: int
    latent: int
    predict: bool
    forget_bias: float = 1.0

    def build(self) -> SeriesAutoencoder:
        return SeriesAutoencoder(self.seq_len, self.hidden, self.latent, self.predict, self.forget_bias)
