"""An LSTM sequence autoencoder for any (input_dim, seq_len), with an optional head on its code.

    encoder   LSTM(I -> H) over the T steps; last hidden state (B, H) -> Linear -> z (B, latent)
    decoder   z fed at each of the T steps to LSTM(latent -> H) -> Linear(H, I) = (B, T, I)
    head      optional: a module on z (a classifier, a second decoder), built from the latent size

The encoder-decoder form follows Srivastava et al. (2015), "Unsupervised learning of video
representations using LSTMs". Sequential MNIST uses it with T = I = 28 (one image row per step)
and a digit classifier as the head (seqlab.models.image.LSTMAutoencoder).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from seqlab.models.recurrent import init_gates


class SequenceAutoencoder(nn.Module):
    """(B, T, I) -> code z (B, latent) -> reconstruction (B, T, I), and ``head(z)`` if given.

    ``sigmoid`` squashes the reconstruction into [0, 1] (pixel intensities); leave it off for
    unbounded signals. ``forget_bias`` sets both LSTMs' gates (a number, or "chrono" over
    ``seq_len`` steps: see seqlab.models.recurrent.init_gates).
    """

    def __init__(self, input_dim: int, seq_len: int, hidden: int, latent: int, forget_bias: float | str = 1.0,
                 head: Callable[[int], nn.Module] | None = None, sigmoid: bool = False):
        super().__init__()
        self.seq_len = seq_len
        self.sigmoid = sigmoid
        self.encoder = nn.LSTM(input_dim, hidden, batch_first=True)
        self.to_latent = nn.Linear(hidden, latent)
        self.decoder = nn.LSTM(latent, hidden, batch_first=True)
        self.to_output = nn.Linear(hidden, input_dim)
        self.head = head(latent) if head is not None else None
        for lstm in (self.encoder, self.decoder):
            init_gates(lstm, forget_bias, t_max=seq_len)  # both read or write the T steps

    @property
    def hidden_size(self) -> int:
        return self.encoder.hidden_size

    @property
    def latent_size(self) -> int:
        return self.to_latent.out_features

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _, (h_n, _) = self.encoder(x)  # h_n: (1, B, H)
        return self.to_latent(h_n[-1])  # (B, latent)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        steps = z.unsqueeze(1).expand(-1, self.seq_len, -1)  # (B, T, latent): the same code at every step
        out, _ = self.decoder(steps)  # (B, T, H)
        y = self.to_output(out)  # (B, T, I)
        return torch.sigmoid(y) if self.sigmoid else y

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(code (B, latent), reconstruction (B, T, I), head output or None)."""
        z = self.encode(x)
        return z, self.decode(z), None if self.head is None else self.head(z)
