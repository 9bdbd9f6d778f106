"""Stages masked_course_<step>: the Northwestern homework's masked MLP autoencoder as the published
filled-in copy ran it (question 1.1), one run per seed, then every run read by the judge beside
seqlab's own masked network.

    python -m seqlab.studies.masked.course.steps {train,evaluate}

The copy's loop is seqlab's one loop as it stands: batches of 64 drawn afresh each epoch, the
model's mean pixel MSE, torch's Adam (no clipping), and the loss logged per epoch as the mean of
the epoch's batch losses, each taken before its update. The MNIST study's validation split is
scored after every epoch for the curve; nothing is chosen on it or on the test split.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.judging.classifier import confusion, load_judge
from seqlab.models.config import ModelConfig, count_parameters
from seqlab.models.mlp import PIXELS, SIDE, MaskedAutoencoderConfig, mlp
from seqlab.studies.masked.course.params import COURSE_RUN, COURSE_TRAIN_IMAGES, NEGATIVE_SLOPE, Course, CourseParams
from seqlab.studies.masked.steps import PIXEL_MSE, region_mse
from seqlab.studies.masked.steps import run_dir as seqlab_run_dir
from seqlab.tasks import masks
from seqlab.tasks import mnist as mnist_data
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, record_run, seed_curves
from seqlab.training.seeding import seed_everything

STUDY = "masked_course"  # its outputs: models/masked_course/, reports/masked_course/, ...
EXPERIMENT = "masked_course"  # MLflow
MNIST = "mnist"
DEVICE_KEY = "masked.course.train.device"
COURSE_MASK = masks.MaskSpec("left")  # x_masked[:, :, :, :14] = 0: deterministic, the same for every image
PAIR = (3, 8)  # the digits the report names
EXAMPLES = "examples.npz"  # the figure's test digits: original, masked input, both networks' reconstructions


# --- the network ---------------------------------------------------------------------------------


class CourseAutoencoder(nn.Module):
    """The copy's MLPAutoencoder: masked image (B, 28, 28) -> flatten (B, 784) -> encoder (ReLU
    between its layers, none on the code) -> code (B, encoder[-1]) -> decoder (LeakyReLU(0.2)
    between its layers) -> sigmoid -> (B, 28, 28) in [0, 1].

    forward(masked, full=None) returns (reconstruction, nn.MSELoss()(reconstruction, full)): the
    mean over every pixel of the batch, as the copy's criterion."""

    def __init__(self, encoder: Sequence[int], decoder: Sequence[int], slope: float = NEGATIVE_SLOPE):
        super().__init__()
        # the copy builds the encoder first, then the decoder: torch's default init draws in that order
        self.encoder = mlp([PIXELS, *encoder])  # Linear - ReLU - ... - Linear: the code is linear
        self.decoder = nn.Sequential(mlp([encoder[-1], *decoder, PIXELS], nn.LeakyReLU, negative_slope=slope),
                                     nn.Sigmoid())

    def forward(self, masked: torch.Tensor, full: torch.Tensor | None = None):
        code = self.encoder(masked.reshape(len(masked), PIXELS))  # (B, code)
        recon = self.decoder(code).reshape(-1, SIDE, SIDE)  # (B, 28, 28)
        return recon, None if full is None else F.mse_loss(recon, full)


@dataclass(frozen=True)
class CourseAutoencoderConfig(ModelConfig):
    encoder: tuple[int, ...]  # hidden widths 784 -> ..., the last one the code
    decoder: tuple[int, ...]  # hidden widths code -> ... -> 784

    def build(self) -> CourseAutoencoder:
        return CourseAutoencoder(self.encoder, self.decoder)


def parameters(encoder: Sequence[int], decoder: Sequence[int]) -> int:
    """The network's parameter count in closed form: a weight and a bias per Linear."""
    sizes = [PIXELS, *encoder, *decoder, PIXELS]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


# --- data ----------------------------------------------------------------------------------------


def course_split(split: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(masked inputs, whole images, labels) of one MNIST split: (N, 28, 28) in [0, 1], columns
    0-13 of every input zeroed (ToTensor's scale, no normalisation, as the copy)."""
    x, y = mnist_data.load_split(paths.study_data(MNIST), split)
    hidden = torch.from_numpy(masks.masks(COURSE_MASK, len(x), 0))
    return x.masked_fill(hidden, 0.0), x, y


def run_path(seed: int):
    return paths.run_dir(STUDY, "mlp", seed=seed)


def config(c: Course) -> CourseAutoencoderConfig:
    return CourseAutoencoderConfig(c.model.encoder, c.model.decoder)


# --- train ---------------------------------------------------------------------------------------


def _job(job: tuple[Course, int]) -> RunResult:
    c, seed = job
    t = c.train
    device = resolve_device(t.device, DEVICE_KEY)
    train_in, train_full, _ = course_split("train")
    val_in, val_full, _ = course_split("val")
    per_epoch = math.ceil(len(train_in) / t.batch_size)  # the DataLoader's last batch is short
    cfg = FitConfig(steps=t.epochs * per_epoch, batch_size=t.batch_size, lr=t.lr, clip_norm=math.inf,
                    eval_every=per_epoch)
    seed_everything(seed)  # the copy was unseeded; here the weights depend on the seed alone
    net = config(c).build().to(device)
    hist = fit(net, (train_in.to(device), train_full.to(device)), (val_in.to(device), val_full.to(device)), cfg,
               seed, name=f"masked course seed {seed}", progress=False, metric=PIXEL_MSE)
    return RunResult(hist, {k: v.cpu() for k, v in net.state_dict().items()}, count_parameters(net))


def train(p: CourseParams, tracker=None) -> None:
    """The copy's run at every seed, ``compute.workers`` at a time."""
    c = p.course
    jobs = [(c, seed) for seed in c.train.seeds]
    workers = workers_for(resolve_device(c.train.device, DEVICE_KEY), p.runtime.workers)
    results = run_parallel(_job, jobs, workers, f"{STUDY} train")
    n_train = mnist_data.load_meta(paths.study_data(MNIST))["sizes"]["train"]
    t = c.train
    for (_, seed), result in zip(jobs, results):
        params = {"protocol": "course", "encoder": list(c.model.encoder), "decoder": list(c.model.decoder),
                  "activations": f"ReLU encoder, LeakyReLU({NEGATIVE_SLOPE}) decoder, sigmoid output",
                  "mask": "left half (columns 0-13)", "loss": "mse (mean)", "optimizer": "adam",
                  "epochs": t.epochs, "batch_size": t.batch_size, "lr": t.lr, "seed": seed, "n_train": n_train}
        record_run(run_path(seed), config(c), result, tracker, f"course-mlp-seed{seed}", params)


# --- evaluate ------------------------------------------------------------------------------------


def epoch_losses(history: pd.DataFrame) -> tuple[list[float], list[float]]:
    """A run's (mean batch loss, validation pixel MSE) per epoch: the loss the copy printed, each
    epoch the mean of its steps' losses (steps up to and including that epoch's validation point)."""
    curve = seed_curves([history], PIXEL_MSE.name, [0])  # one row per epoch's validation point
    return [round(float(v), 8) for v in curve["train_loss"]], [round(float(v), 8) for v in curve["val_mse"]]


@torch.no_grad()
def reconstruct(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    device = next(model.parameters()).device
    return torch.cat([model(x[i : i + batch_size].to(device))[0].cpu() for i in range(0, len(x), batch_size)])


def class_share(read: np.ndarray, truth: np.ndarray, classes: Sequence[int] | None = None) -> dict:
    """How many images (of ``classes``, or all) the judge reads as their true class."""
    keep = np.isin(truth, classes) if classes is not None else np.ones(len(truth), bool)
    k, n = int((read[keep] == truth[keep]).sum()), int(keep.sum())
    return {"right": k, "n": n, "share": round(k / n, 6) if n else None}


def judged(read: np.ndarray, truth: np.ndarray, num_classes: int) -> dict:
    """The judge's reading of one set of images: every class, the 3s alone, the 8s alone, and the
    confusion matrix (rows the true digit)."""
    a, b = PAIR
    return {"all": class_share(read, truth), f"class{a}": class_share(read, truth, [a]),
            f"class{b}": class_share(read, truth, [b]), "confusion": confusion(truth, read, num_classes)}


def score_network(recon: torch.Tensor, full: torch.Tensor, hidden: torch.Tensor, truth: np.ndarray, judge,
                  num_classes: int) -> tuple[dict, np.ndarray]:
    read = judge.labels(recon)
    return {"masked_mse": round(region_mse(recon, full, hidden), 8),
            "visible_mse": round(region_mse(recon, full, ~hidden), 8),
            "judge": judged(read, truth, num_classes)}, read


def examples(truth: np.ndarray, per_class: int, threes: int, num_classes: int) -> list[int]:
    """The figure's test digits, by label alone: the first ``per_class`` of each class, then the
    next ``threes`` 3s (the report's example)."""
    shown = [int(i) for c in range(num_classes) for i in np.flatnonzero(truth == c)[:per_class]]
    more = [int(i) for i in np.flatnonzero(truth == PAIR[0]) if int(i) not in shown][:threes]
    return shown + more


def evaluate_study(p: CourseParams, tracker=None) -> dict:
    """Every seed's network and seqlab's on the course's left-masked test digits: pixel error on
    the hidden and the visible half (against the training mean image in the hidden half) and the
    judge's readings; the loss per epoch; the figure's examples."""
    c = p.course
    device = resolve_device(c.train.device, DEVICE_KEY)
    test_in, test_full, y = course_split("test")
    train_full, _ = mnist_data.load_split(paths.study_data(MNIST), "train")  # only its mean image: unmasked
    hidden = torch.from_numpy(masks.masks(COURSE_MASK, len(test_full), 0))
    baseline = torch.where(hidden, train_full.mean(0), test_full)  # the mean image where hidden, the input elsewhere
    meta = mnist_data.load_meta(paths.study_data(MNIST))
    num_classes = len(meta["class_names"])
    truth = y.numpy()
    judge = load_judge(device, c.report.judge_batch_size)
    reads = {"original": judge.labels(test_full), "masked": judge.labels(test_in)}

    runs, recon_of, read_of, frames = [], {}, {}, []
    for seed in c.train.seeds:
        d = run_path(seed)
        recon = reconstruct(CourseAutoencoderConfig.load(d / CHECKPOINT, device), test_in)
        scores, read_of[seed] = score_network(recon, test_full, hidden, truth, judge, num_classes)
        recon_of[seed] = recon
        loss, val = epoch_losses(pd.read_csv(d / HISTORY))
        info = read_json(d / RUN)
        runs.append({"seed": seed, **scores, "loss_curve": loss, "val_mse_curve": val, "n_params": info["n_params"],
                     "train_seconds": info["train_seconds"], "steps": info["steps_run"]})
        frames.append(pd.DataFrame({"network": "course", "seed": seed, "epoch": range(1, len(loss) + 1),
                                    "train_loss": loss, "val_mse": val}))
        if tracker and info["run_id"]:
            tracker.log_metrics(info["run_id"], {"test_masked_mse": scores["masked_mse"],
                                                 "test_judge_acc": scores["judge"]["all"]["share"]})

    # seqlab's network (stage masked_train) on the same inputs: trained on masked.mask.kind, which the
    # report names (the course's left half by default)
    sd = seqlab_run_dir()
    seqlab_cfg, state = MaskedAutoencoderConfig.read(sd / CHECKPOINT)
    seqlab_model = seqlab_cfg.build()
    seqlab_model.load_state_dict(state)
    seqlab_model.to(device).eval()
    seqlab_recon = reconstruct(seqlab_model, test_in)
    seqlab_scores, seqlab_read = score_network(seqlab_recon, test_full, hidden, truth, judge, num_classes)
    loss, val = epoch_losses(pd.read_csv(sd / HISTORY))
    info = read_json(sd / RUN)
    seqlab = {**seqlab_scores, "encoder": list(seqlab_cfg.encoder), "decoder": list(seqlab_cfg.decoder),
              "n_params": info["n_params"], "loss_curve": loss, "val_mse_curve": val,
              "train_seconds": info["train_seconds"], "steps": info["steps_run"]}
    frames.append(pd.DataFrame({"network": "seqlab", "seed": None, "epoch": range(1, len(loss) + 1),
                                "train_loss": loss, "val_mse": val}))

    shown = examples(truth, c.report.per_class, c.report.threes, num_classes)
    first = c.train.seeds[0]
    out = paths.study_results(STUDY).parent
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / EXAMPLES, original=test_full[shown].numpy(), masked=test_in[shown].numpy(),
                        course=recon_of[first][shown].numpy(), seqlab=seqlab_recon[shown].numpy())
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    curves = pd.concat(frames, ignore_index=True).astype({"seed": "Int64"})  # seqlab's row: no seed (empty)
    curves.to_csv(plots / "loss.csv", index=False)

    accs = [r["judge"]["all"]["share"] for r in runs]
    metrics = {"n_test": len(truth), "judge_original_acc": class_share(reads["original"], truth)["share"],
               "judge_masked_acc": class_share(reads["masked"], truth)["share"],
               "judge_reconstruction_acc_mean": round(float(np.mean(accs)), 6),
               "masked_mse_mean": round(float(np.mean([r["masked_mse"] for r in runs])), 8),
               "baseline_masked_mse": round(region_mse(baseline, test_full, hidden), 8),
               "seqlab_judge_reconstruction_acc": seqlab["judge"]["all"]["share"],
               **{f"seed{r['seed']}.judge_reconstruction_acc": r["judge"]["all"]["share"] for r in runs},
               **{f"seed{r['seed']}.final_loss": r["loss_curve"][-1] for r in runs}}
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {
        "params": {"encoder": list(c.model.encoder), "decoder": list(c.model.decoder), "slope": NEGATIVE_SLOPE,
                   "epochs": c.train.epochs, "batch_size": c.train.batch_size, "lr": c.train.lr,
                   "seeds": list(c.train.seeds)},
        "course": {**{k: list(v) if isinstance(v, tuple) else v for k, v in COURSE_RUN.items()},
                   "train_images": COURSE_TRAIN_IMAGES},
        "settings_deviations": c.deviations(), "parameters": runs[0]["n_params"],
        "data": {"source": meta.get("source"), "full": bool(meta.get("full")), "sizes": meta["sizes"]},
        "n_train": len(train_full), "n_test": len(truth), "class_counts": mnist_data.class_counts(truth, num_classes),
        "hidden_fraction": float(hidden.float().mean()), "judge": judge.label, "judge_name": judge.name,
        "originals": judged(reads["original"], truth, num_classes),
        "masked": judged(reads["masked"], truth, num_classes),
        "baseline": {"masked_mse": metrics["baseline_masked_mse"]},
        "runs": runs, "seqlab": seqlab,
        "examples": [{"index": i, "truth": int(truth[i]), "read_original": int(reads["original"][i]),
                      "read_masked": int(reads["masked"][i]), "read_course": int(read_of[first][i]),
                      "read_seqlab": int(seqlab_read[i])} for i in shown],
        "examples_seed": first})
    return metrics


STEPS = {
    "train": Step(train, reads=("masked.course.model", "masked.course.train")),
    # the networks come from their checkpoints; the settings go into results.json, beside the deviations
    "evaluate": Step(evaluate_study, reads=("masked.course",)),
}

if __name__ == "__main__":
    run_stage(__doc__, CourseParams, STEPS, experiment=EXPERIMENT)
