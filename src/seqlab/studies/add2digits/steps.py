"""Stages add2digits_<step>: the Northwestern course's Add2Digits task, RNN against LSTM, as a
published filled-in copy of the homework ran it and as seqlab corrects it; then every run scored,
the gradient flow measured and the theory sentence probed.

    python -m seqlab.studies.add2digits.steps {train,evaluate}

The runs, each a (model, L, seed) at every ``add2digits.lengths`` and ``train.seeds``:

    course     the copy's protocol: a FIXED training set of course.n_train examples, reshuffled
               every epoch, batches of course.batch_size, cross-entropy, Adam at course.lr,
               course.epochs epochs, scored after every epoch on a validation set of
               course.n_val; both sets drawn once from the run's seed
    corrected  the same networks, optimiser and number of updates, but every batch FRESH (no
               fixed set to memorise), scored after every epoch's worth of updates on the judge
               set (judge.n sequences per L, never trained on); at corrected.lengths only

A run's seed seeds its data, its weights (torch's default init, so a (model, L, seed) starts from
the same weights under both protocols) and its batch order; the copy's runs were unseeded.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.judging.metrics import mean_std
from seqlab.models.config import ModelConfig, count_parameters
from seqlab.studies.add2digits.data import CLASSES, TOKENS, Add2Digits, fresh_stream, shared_fraction
from seqlab.studies.add2digits.params import (
    COPY,
    COURSE_FIXED,
    MODELS,
    Add2DigitsParams,
    check_corrected,
    check_gradient_batch,
)
from seqlab.training.loop import FitConfig, evaluate, fit, resolve_device
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "add2digits"
COURSE, CORRECTED = "course", "corrected"
PROTOCOLS = (COURSE, CORRECTED)
# Each data set's own numpy stream: [seed, L, part]; the judge set's seed is judge.seed.
TRAIN_SET, VAL_SET, FRESH, JUDGE = 0, 1, 2, 3
EVAL_BATCH = 500  # held-out sets are scored in chunks of this many (any size gives the same numbers)


# --- the course's network -------------------------------------------------------------------------


@dataclass(frozen=True)
class Add2DigitsNetConfig(ModelConfig):
    kind: str  # rnn | lstm
    hidden: int
    layers: int

    def __post_init__(self):
        if self.kind not in MODELS:
            raise ValueError(f"unknown Add2Digits model {self.kind!r}; allowed values: {', '.join(MODELS)}")

    def build(self) -> "Add2DigitsNet":
        return Add2DigitsNet(self)


class Add2DigitsNet(nn.Module):
    """The course's MyRNN: one-hot tokens (B, L, 11) -> nn.RNN (tanh) or nn.LSTM, ``layers`` deep,
    batch_first -> the top layer's output at the last step (B, H) -> Linear(H, 19). Torch's default
    init everywhere (U(-1/sqrt(H), 1/sqrt(H)) for the recurrent weights and biases), no dropout."""

    def __init__(self, cfg: Add2DigitsNetConfig):
        super().__init__()
        self.cfg = cfg
        recurrent = nn.LSTM if cfg.kind == "lstm" else nn.RNN
        self.rnn = recurrent(TOKENS, cfg.hidden, cfg.layers, batch_first=True)
        self.out = nn.Linear(cfg.hidden, CLASSES)

    def logits(self, onehot: torch.Tensor) -> torch.Tensor:
        """(B, L, 11) one-hot (or any float input of that shape) -> (B, 19)."""
        output, _ = self.rnn(onehot)  # (B, L, H): the top layer at every step
        return self.out(output[:, -1])  # (B, 19)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        logits = self.logits(F.one_hot(x.long(), TOKENS).to(self.out.weight.dtype))
        loss = None if y is None else F.cross_entropy(logits, y.long())
        return logits, loss


class CourseStep:
    """The copy's update: cross-entropy (the model's), backward, Adam at torch's default betas, no
    clipping; and what its curves show, this batch's loss and accuracy before the update, with the
    batch size so an epoch's mean weighs the short last batch as the examples it holds."""

    def __init__(self, model: nn.Module, lr: float):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        logits, loss = self.model(x, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss.detach(), "acc": (logits.detach().argmax(1) == y).float().mean(),
                "n": torch.tensor(float(len(y)), device=y.device)}  # on the device the loop stacks it with


# --- data -------------------------------------------------------------------------------------------


def stream(seed: int, L: int, part: int) -> np.random.Generator:
    return np.random.default_rng([seed, L, part])


def course_sets(p: Add2DigitsParams, L: int, seed: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The copy's two datasets at one L, each generated once: training and validation."""
    task = Add2Digits(L)
    return (task.sample(stream(seed, L, TRAIN_SET), p.course.n_train),
            task.sample(stream(seed, L, VAL_SET), p.course.n_val))


def judge_set(p: Add2DigitsParams, L: int) -> tuple[np.ndarray, np.ndarray]:
    """judge.n sequences at L from the judge's own stream: the same for every run."""
    return Add2Digits(L).sample(stream(p.judge.seed, L, JUDGE), p.judge.n)


def updates(p: Add2DigitsParams) -> int:
    return p.course.epochs * p.course.steps_per_epoch()


def tensors(x: np.ndarray, y: np.ndarray, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)


def run_dir(protocol: str, model: str, L: int, seed: int):
    return paths.run_dir(STUDY, protocol, model, f"L{L}", seed=seed)


# --- train ------------------------------------------------------------------------------------------


def network(p: Add2DigitsParams, model: str) -> Add2DigitsNetConfig:
    return Add2DigitsNetConfig(model, p.network.hidden, p.network.layers)


def initial(p: Add2DigitsParams, model: str, seed: int) -> Add2DigitsNet:
    """A run's initial weights: torch's default init from the seed alone."""
    seed_everything(seed)
    return network(p, model).build()


def _train_job(job: tuple[Add2DigitsParams, str, str, int, int]) -> RunResult:
    p, protocol, model, L, seed = job
    c = p.course
    device = resolve_device(p.train.device, "add2digits.train.device")
    if protocol == COURSE:
        (x, y), val = course_sets(p, L, seed)
    else:  # one pass over updates x batch fresh examples, none of them a judge sequence
        val = judge_set(p, L)
        x, y = fresh_stream(Add2Digits(L), stream(seed, L, FRESH), updates(p) * c.batch_size, exclude=val[0])
    net = initial(p, model, seed).to(device)
    # clip_norm is the default step's; CourseStep does not clip, as the copy did not
    cfg = FitConfig(updates(p), c.batch_size, c.lr, float("inf"), c.steps_per_epoch(), eval_batch_size=EVAL_BATCH)
    hist = fit(net, tensors(x, y, device), tensors(*val, device), cfg, seed, name=f"add2digits {protocol} {model} L={L}",
               progress=False, step=CourseStep(net, c.lr))
    return RunResult(hist, {k: v.cpu() for k, v in net.state_dict().items()}, count_parameters(net))


def jobs(p: Add2DigitsParams) -> list[tuple]:
    """Every (protocol, model, L, seed), the slowest first (the LSTM at the longest L) so that the
    workers finish together."""
    runs = [(p, COURSE, m, L, s) for m in MODELS for L in p.lengths for s in p.train.seeds]
    runs += [(p, CORRECTED, m, L, s) for m in MODELS for L in p.corrected.lengths for s in p.train.seeds]
    return sorted(runs, key=lambda j: (-j[3] * (3 if j[2] == "lstm" else 1), j[1], j[2], j[4]))


def train(p: Add2DigitsParams, tracker=None) -> None:
    check_corrected(p.lengths, p.corrected.lengths)
    todo = jobs(p)
    workers = workers_for(resolve_device(p.train.device, "add2digits.train.device"), p.runtime.workers)
    results = dict(zip([j[1:] for j in todo], run_parallel(_train_job, todo, workers, STUDY)))
    c = p.course
    for protocol, lengths in ((COURSE, p.lengths), (CORRECTED, p.corrected.lengths)):
        for m in MODELS:
            for L in lengths:
                net = network(p, m)
                params = {"protocol": protocol, "model": m, "L": L, **asdict(net), "batch_size": c.batch_size,
                          "lr": c.lr, "epochs": c.epochs, "updates": updates(p),
                          "train_examples": c.n_train if protocol == COURSE else "fresh",
                          "held_out": f"validation {c.n_val}" if protocol == COURSE else f"judge {p.judge.n}"}
                with parent_run(tracker, f"{protocol}-{m}-L{L}", params) as parent_id:
                    for seed in p.train.seeds:
                        record_run(run_dir(protocol, m, L, seed), net, results[(protocol, m, L, seed)], tracker,
                                   f"{protocol}-{m}-L{L}-seed{seed}", {**params, "seed": seed}, parent_id)


# --- evaluate: curves, judge sets ----------------------------------------------------------------------


def epoch_curve(frame: pd.DataFrame, steps_per_epoch: int) -> pd.DataFrame:
    """One row per epoch: the mean training loss and accuracy over its batches (each taken before
    its update, weighted by its examples) and the held-out loss and accuracy after it."""
    epoch = (frame["step"].to_numpy() - 1) // steps_per_epoch + 1
    w = frame["train_n"].to_numpy()
    g = pd.DataFrame({"epoch": epoch, "n": w, "loss": frame["train_loss"] * w, "acc": frame["train_acc"] * w})
    g = g.groupby("epoch").sum()
    held = frame.dropna(subset=["val_acc"])
    return pd.DataFrame({"epoch": g.index.to_numpy(), "train_loss": (g["loss"] / g["n"]).to_numpy(),
                         "train_acc": (g["acc"] / g["n"]).to_numpy(), "val_loss": held["val_loss"].to_numpy(),
                         "val_acc": held["val_acc"].to_numpy()})


def _round(values) -> list[float]:
    return [round(float(v), 6) for v in values]


# --- evaluate: gradient flow --------------------------------------------------------------------------


def input_gradient_norms(net: Add2DigitsNet, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """||d loss / d x_t|| for every input position t, averaged over the batch: (L,), float64.

    x_t is the one-hot input at t, made a leaf that requires grad; the loss is the *sum* of the
    per-sample cross-entropies, so each sample's gradient is its own loss's. Float64, so a
    vanished gradient stays resolvable far below float32's range."""
    net = copy.deepcopy(net).double().eval()
    onehot = F.one_hot(x.long(), TOKENS).double().requires_grad_(True)  # (B, L, 11)
    loss = F.cross_entropy(net.logits(onehot), y.long(), reduction="sum")
    (grad,) = torch.autograd.grad(loss, onehot)  # (B, L, 11)
    return grad.norm(dim=2).mean(dim=0).numpy()  # (L,)


def spectral_radius(w: torch.Tensor) -> float:
    return float(torch.linalg.eigvals(w.detach().double()).abs().max())


def recurrent_radii(rnn: nn.Module) -> list[float]:
    """Each layer's W_hh spectral radius: the RNN's (the theory sentence's "weights"; the LSTM's
    W_hh stacks four gate maps and is not square)."""
    return [round(spectral_radius(getattr(rnn, f"weight_hh_l{k}")), 6) for k in range(rnn.num_layers)]


def rescale_recurrent(net: Add2DigitsNet, rho: float) -> Add2DigitsNet:
    """The RNN with every layer's W_hh scaled to spectral radius ``rho`` (nothing else changed)."""
    net = copy.deepcopy(net)
    with torch.no_grad():
        for k in range(net.rnn.num_layers):
            w = getattr(net.rnn, f"weight_hh_l{k}")
            w.mul_(rho / spectral_radius(w))
    return net


def tanh_states(rnn: nn.RNN, onehot: torch.Tensor) -> list[torch.Tensor]:
    """Every layer's hidden states (B, L, H), written out from nn.RNN's weights:
    h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh), h_0 = 0 (tests check the top layer against nn.RNN)."""
    states, inp = [], onehot
    for k in range(rnn.num_layers):
        w_ih, w_hh = getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}")
        b = getattr(rnn, f"bias_ih_l{k}") + getattr(rnn, f"bias_hh_l{k}")
        xp = inp @ w_ih.T + b  # (B, L, H)
        h = torch.zeros(len(inp), w_hh.shape[0], dtype=inp.dtype)
        hs = []
        for t in range(inp.shape[1]):
            h = torch.tanh(xp[:, t] + h @ w_hh.T)
            hs.append(h)
        inp = torch.stack(hs, dim=1)
        states.append(inp)
    return states


def saturation(net: Add2DigitsNet, x: torch.Tensor) -> dict:
    """How saturated the RNN's tanh units are on a batch: the mean derivative 1 - h^2 (the factor
    every backward step through a unit multiplies by) and the share of |h| > 0.99, per layer."""
    with torch.no_grad():
        states = tanh_states(copy.deepcopy(net.rnn).double(), F.one_hot(x.long(), TOKENS).double())
    return {"dtanh": [round(float((1 - h**2).mean()), 6) for h in states],
            "saturated": [round(float((h.abs() > 0.99).float().mean()), 6) for h in states]}


def gradient_record(net: Add2DigitsNet, x: torch.Tensor, y: torch.Tensor) -> dict:
    norms = input_gradient_norms(net, x, y)
    return {"norms": [float(f"{v:.6g}") for v in norms], "ratio": float(f"{norms[0] / norms[-1]:.6g}")}


def probe(p: Add2DigitsParams, batches: dict[int, tuple[torch.Tensor, torch.Tensor]]) -> list[dict]:
    """The theory sentence at initialisation: the course's RNN with each layer's W_hh rescaled to
    each radius in gradients.rhos, at every L and probe seed: the first/last gradient ratio, and
    how saturated its tanh units are."""
    rows = []
    for seed in p.gradients.probe_seeds:
        base = initial(p, "rnn", seed)
        for rho in p.gradients.rhos:
            net = rescale_recurrent(base, rho)
            for L, (x, y) in batches.items():
                rows.append({"rho": rho, "L": L, "seed": seed, **gradient_record(net, x, y), **saturation(net, x)})
    return rows


# --- evaluate ---------------------------------------------------------------------------------------


def evaluate_study(p: Add2DigitsParams, tracker=None) -> dict:
    check_corrected(p.lengths, p.corrected.lengths)
    check_gradient_batch(p.gradients.batch, p.judge.n)
    spe = p.course.steps_per_epoch()
    judges = {L: tensors(*judge_set(p, L)) for L in p.lengths}
    batches = {L: (x[: p.gradients.batch], y[: p.gradients.batch]) for L, (x, y) in judges.items()}
    runs, grads, radii, frames = [], [], [], []
    for protocol, lengths in ((COURSE, p.lengths), (CORRECTED, p.corrected.lengths)):
        for m in MODELS:
            for L in lengths:
                for seed in p.train.seeds:
                    d = run_dir(protocol, m, L, seed)
                    record = read_json(d / RUN)
                    curve = epoch_curve(pd.read_csv(d / HISTORY), spe)
                    net = Add2DigitsNetConfig.load(d / CHECKPOINT)
                    judge_acc, judge_loss = evaluate(net, *judges[L], batch_size=EVAL_BATCH)
                    row = {"protocol": protocol, "model": m, "L": L, "seed": seed,
                           **{k: _round(curve[k]) for k in ("train_loss", "train_acc", "val_loss", "val_acc")},
                           "judge_acc": round(judge_acc, 6), "judge_loss": round(judge_loss, 6),
                           **{k: record[k] for k in ("train_seconds", "samples", "run_id", "n_params")}}
                    if protocol == COURSE:  # how much of each held-out set the fixed training set holds
                        (train_x, _), (val_x, _) = course_sets(p, L, seed)
                        row["val_in_train"] = round(shared_fraction(val_x, train_x), 6)
                        row["judge_in_train"] = round(shared_fraction(judges[L][0].numpy(), train_x), 6)
                    runs.append(row)
                    frames.append(curve.assign(protocol=protocol, model=m, L=L, seed=seed))
                    grads.append({"state": protocol, "model": m, "L": L, "seed": seed,
                                  **gradient_record(net, *batches[L])})
                    if m == "rnn":
                        radii.append({"state": protocol, "L": L, "seed": seed, "radii": recurrent_radii(net.rnn)})
    for m in MODELS:  # at initialisation: the same weights every protocol's run of that seed starts from
        for seed in p.train.seeds:
            net = initial(p, m, seed)
            if m == "rnn":
                radii.append({"state": "init", "L": None, "seed": seed, "radii": recurrent_radii(net.rnn)})
            for L in p.lengths:
                grads.append({"state": "init", "model": m, "L": L, "seed": seed, **gradient_record(net, *batches[L])})
    probed = probe(p, batches)

    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    cols = ["protocol", "model", "L", "seed", "epoch", "train_loss", "train_acc", "val_loss", "val_acc"]
    pd.concat(frames)[cols].round(6).to_csv(plots / "curves.csv", index=False)
    pd.DataFrame([{"state": g["state"], "model": g["model"], "L": g["L"], "seed": g["seed"], "position": t + 1,
                   "norm": v} for g in grads for t, v in enumerate(g["norms"])]).to_csv(plots / "gradients.csv", index=False)
    # significant digits, not decimals: a vanished ratio is 1e-9
    pd.DataFrame([{k: r[k] for k in ("rho", "L", "seed", "ratio")} | {"dtanh": round(float(np.mean(r["dtanh"])), 6),
                   "saturated": round(float(np.mean(r["saturated"])), 6)} for r in probed]).to_csv(
        plots / "probe.csv", index=False)

    metrics = {}
    for protocol in PROTOCOLS:
        for m in MODELS:
            for L in sorted({r["L"] for r in runs if r["protocol"] == protocol}):
                group = [r for r in runs if (r["protocol"], r["model"], r["L"]) == (protocol, m, L)]
                metrics[f"{protocol}/{m}/L{L}"] = {
                    "final_train_loss_mean": round(mean_std([r["train_loss"][-1] for r in group])[0], 6),
                    "val_acc_mean": round(mean_std([r["val_acc"][-1] for r in group])[0], 6),
                    "judge_acc_mean": round(mean_std([r["judge_acc"] for r in group])[0], 6)}
    for m in MODELS:
        metrics[f"init_ratio/{m}/L{max(p.lengths)}"] = float(f"{np.mean([g['ratio'] for g in grads if g['state'] == 'init' and g['model'] == m and g['L'] == max(p.lengths)]):.6g}")
    for rho in (min(p.gradients.rhos), max(p.gradients.rhos)):
        metrics[f"probe_ratio/rho{rho:g}/L{max(p.lengths)}"] = float(
            f"{np.mean([r['ratio'] for r in probed if r['rho'] == rho and r['L'] == max(p.lengths)]):.6g}")
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {
        "lengths": list(p.lengths), "models": list(MODELS), "network": asdict(p.network), "seeds": list(p.train.seeds),
        "course": {**asdict(p.course), "steps_per_epoch": spe, "updates": updates(p)}, "copy": COPY,
        "course_fixed": {k: list(v) if isinstance(v, tuple) else v for k, v in COURSE_FIXED.items()},
        "corrected_lengths": list(p.corrected.lengths), "judge": asdict(p.judge),
        "gradients": {"batch": p.gradients.batch, "rhos": list(p.gradients.rhos),
                      "probe_seeds": list(p.gradients.probe_seeds)},
        "runs": runs, "grads": grads, "radii": radii, "probe": probed})
    return metrics


COURSE_READS = ("add2digits.lengths", "add2digits.network", "add2digits.course", "add2digits.corrected",
                "add2digits.judge")
STEPS = {
    "train": Step(train, reads=(*COURSE_READS, "add2digits.train")),
    "evaluate": Step(evaluate_study, reads=(*COURSE_READS, "add2digits.train.seeds", "add2digits.gradients")),
}

if __name__ == "__main__":
    run_stage(__doc__, Add2DigitsParams, STEPS, experiment=STUDY)
