"""Reading and writing text with a character-level language model: scoring a text, and
generating one greedily or by sampling at a temperature.

Temperature follows the standard convention, p = softmax(logits / tau) (Hinton et al. 2015;
Karpathy's char-rnn): tau < 1 sharpens the distribution toward the most likely character,
tau = 1 samples the model's own distribution, tau > 1 flattens it. tau = 0 is greedy decoding.
(The course wrote the inverse, softmax(logits * beta), where a large beta meant sharper.)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from seqlab.models.charlm import CharLSTM
from seqlab.tasks.text import Vocabulary


@dataclass(frozen=True)
class Score:
    """Totals over the predicted characters of a text."""

    nll: float  # summed cross-entropy, nats
    correct: int  # characters whose most likely prediction was right
    n: int  # characters predicted

    @property
    def loss(self) -> float:
        return self.nll / self.n  # nats per character

    @property
    def accuracy(self) -> float:
        return self.correct / self.n


def _totals(model: CharLSTM, x: torch.Tensor, y: torch.Tensor, state=None):
    logits, state = model.step(x, state)  # (B, T, V)
    nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
    return nll, int((logits.argmax(-1) == y).sum().item()), state


@torch.no_grad()
def score_text(model: CharLSTM, ids: torch.Tensor, seq_len: int, carry: bool = False, chunk: int = 2048) -> Score:
    """Every character of ``ids`` but the first, predicted from the ones before it.

    carry=False: the text is cut into consecutive windows of ``seq_len`` (the last may be
    shorter), each read from a zero state, exactly as training reads its windows; so the
    context is 0 to seq_len - 1 characters. carry=True: one pass over the whole text with the
    state carried from start to end (in chunks of ``chunk`` steps): every character sees all
    the text before it, as in generation.
    """
    was_training = model.training
    model.eval()
    x, y = ids[:-1].unsqueeze(0), ids[1:].unsqueeze(0)  # (1, n)
    n = x.shape[1]
    nll, correct = 0.0, 0
    if carry:
        state = None
        for i in range(0, n, chunk):
            a, b, state = _totals(model, x[:, i : i + chunk], y[:, i : i + chunk], state)
            nll, correct = nll + a, correct + b
    else:
        k = n // seq_len
        parts = [(x[0, : k * seq_len].view(k, seq_len), y[0, : k * seq_len].view(k, seq_len)),  # (k, seq_len)
                 (x[:, k * seq_len :], y[:, k * seq_len :])]  # the remainder, (1, < seq_len)
        for xs, ys in parts:
            for i in range(0, len(xs), chunk):
                if xs.shape[1]:
                    a, b, _ = _totals(model, xs[i : i + chunk], ys[i : i + chunk])
                    nll, correct = nll + a, correct + b
    model.train(was_training)
    return Score(nll, correct, n)


@dataclass(frozen=True)
class Sample:
    start: str
    text: str  # the generated characters, after the start
    temperature: float  # 0: greedy
    log_likelihood: float  # mean log p(c_t | c_<t) of the generated characters under the model (tau = 1), nats


@torch.no_grad()
def generate(model: CharLSTM, vocab: Vocabulary, start: str, length: int, temperature: float = 0.0,
             generator: torch.Generator | None = None) -> Sample:
    """``length`` characters after ``start``: the most likely one each step (temperature 0), or
    one drawn from softmax(logits / temperature) with ``generator``.

    Raises:
        ValueError: ``start`` is empty or has a character outside the vocabulary, or the
            temperature is negative.
    """
    if not start:
        raise ValueError("the start text is empty: give at least one character")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0: greedy), got {temperature}")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    ids = vocab.encode(start, "the start text").to(device).unsqueeze(0)  # (1, len(start))
    logits, state = model.step(ids)
    logits = logits[:, -1]  # (1, V): the distribution of the first new character
    out, loglik = [], 0.0
    for _ in range(length):
        logp = F.log_softmax(logits, dim=-1)
        if temperature == 0:
            nxt = logits.argmax(-1, keepdim=True)  # (1, 1)
        else:
            probs = F.softmax(logits / temperature, dim=-1)
            nxt = torch.multinomial(probs.cpu(), 1, generator=generator).to(device)  # the CPU generator, anywhere
        loglik += logp[0, nxt[0, 0]].item()
        out.append(int(nxt))
        step_logits, state = model.step(nxt, state)
        logits = step_logits[:, -1]
    model.train(was_training)
    return Sample(start, vocab.decode(out), temperature, loglik / max(length, 1))
