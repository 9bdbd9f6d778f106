"""Stages masked_<step>: train the MLP masked autoencoder on the MNIST study's splits, then
score its reconstructions by pixel error and by the judge (the MNIST study's best classifier).

    python -m seqlab.studies.masked.steps {train,evaluate}
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.judging.classifier import confusion, load_judge
from seqlab.models.config import count_parameters
from seqlab.models.mlp import MaskedAutoencoderConfig
from seqlab.studies.masked.params import MaskedParams
from seqlab.tasks import masks, mnist
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.judging.metrics import Metric
from seqlab.training.runs import CHECKPOINT, RUN, RunResult, record_run
from seqlab.training.seeding import seed_everything

STUDY = "masked"
MNIST = "mnist"
SPLIT_OFFSET = {"train": 0, "val": 1, "test": 2}  # each split's masks from mask_seed + this
# Mean squared error per image (over its 784 pixels); "mse" so that run curves find it.
PIXEL_MSE = Metric("mse", lambda out, y: ((out - y) ** 2).flatten(1).mean(1), higher_is_better=False, bounded=False)


def run_dir():
    return paths.run_dir(STUDY, "mlp")


def config(p: MaskedParams) -> MaskedAutoencoderConfig:
    return MaskedAutoencoderConfig(encoder=p.model.encoder, decoder=p.model.decoder)


def masked_split(p: MaskedParams, split: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(masked inputs, full images, hidden mask, labels) of one MNIST split; masked pixels are 0."""
    x, y = mnist.load_split(paths.study_data(MNIST), split)  # (N, 28, 28) in [0, 1], (N,)
    hidden = masks.masks(p.mask.spec, len(x), p.mask.seed + SPLIT_OFFSET[split])
    hidden_t = torch.from_numpy(hidden)
    return x.masked_fill(hidden_t, 0.0), x, hidden_t, y


def train(p: MaskedParams, tracker=None) -> None:
    """One run: Adam on the pixel MSE of the whole image, validation once per epoch."""
    device = resolve_device(p.train.device, "masked.train.device")
    t = p.train
    masked_train, full_train, _, _ = masked_split(p, "train")  # input: the masked digit; target: the whole one
    masked_val, full_val, _, _ = masked_split(p, "val")
    per_epoch = math.ceil(len(masked_train) / t.batch_size)
    cfg = FitConfig(steps=t.epochs * per_epoch, batch_size=t.batch_size, lr=t.lr, clip_norm=math.inf,
                    eval_every=per_epoch)
    seed_everything(t.seed)
    model = config(p).build().to(device)
    hist = fit(model, (masked_train.to(device), full_train.to(device)), (masked_val.to(device), full_val.to(device)),
               cfg, t.seed, name="masked autoencoder", metric=PIXEL_MSE)
    result = RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))
    params = {"mask": p.mask.kind, "encoder": list(p.model.encoder), "decoder": list(p.model.decoder),
              "epochs": t.epochs, "batch_size": t.batch_size, "lr": t.lr, "seed": t.seed, "n_train": len(masked_train)}
    if p.mask.kind == "center":
        params["center_size"] = p.mask.center_size
    if p.mask.kind == "random_patches":
        params |= {"patch_size": p.mask.patch_size, "patch_fraction": p.mask.patch_fraction}
    record_run(run_dir(), config(p), result, tracker, "mlp", params)


# --- evaluate ---------------------------------------------------------------------------------


def region_mse(recon: torch.Tensor, full: torch.Tensor, region: torch.Tensor) -> float:
    """Mean squared error over the pixels where ``region`` is True, pooled over images."""
    n = int(region.sum())
    return float(((recon - full) ** 2)[region].sum() / n) if n else float("nan")


def confusable_pairs(images: np.ndarray, labels: np.ndarray, visible: np.ndarray, k: int) -> list[tuple[int, int]]:
    """The ``k`` class pairs whose mean training images differ least where the mask leaves pixels
    visible (squared distance weighted by how often each pixel is visible): the digits a
    half-seen digit is most easily taken for. A rule from the data, not a hand-picked list."""
    classes = np.unique(labels)
    means = {c: images[labels == c].mean(0) for c in classes}
    dist = {(a, b): float((((means[a] - means[b]) ** 2) * visible).sum()) for a, b in combinations(classes, 2)}
    return [(int(a), int(b)) for a, b in sorted(dist, key=lambda ab: (dist[ab], ab))[:k]]


def evaluate_study(p: MaskedParams, tracker=None) -> dict:
    """Pixel error on the hidden and the visible region, against the mean-image baseline; the
    judge's accuracy on originals, masked inputs and reconstructions; figure examples."""
    device = resolve_device(p.train.device, "masked.train.device")
    model = MaskedAutoencoderConfig.load(run_dir() / CHECKPOINT, device)
    x_in, x_full, hidden, y = masked_split(p, "test")
    with torch.no_grad():
        recon = model(x_in.to(device))[0].cpu()  # (N, 28, 28)
    _, train_x, train_hidden, train_y = masked_split(p, "train")
    mean_image = train_x.mean(0)  # (28, 28)
    baseline = torch.where(hidden, mean_image, x_full)  # identity on the visible pixels, the mean where hidden
    visible = ~hidden
    errors = {"masked_mse": region_mse(recon, x_full, hidden), "visible_mse": region_mse(recon, x_full, visible),
              "baseline_masked_mse": region_mse(baseline, x_full, hidden),
              "baseline_visible_mse": region_mse(baseline, x_full, visible)}

    judge = load_judge(device, p.report.judge_batch_size)
    truth = y.numpy()
    num_classes = len(mnist.load_meta(paths.study_data(MNIST))["class_names"])
    read = {name: judge.labels(images) for name, images in
            (("original", x_full), ("masked", x_in), ("reconstruction", recon), ("baseline", baseline))}
    accuracy = {name: float((labels == truth).mean()) for name, labels in read.items()}
    confusions = {name: confusion(truth, read[name], num_classes) for name in ("original", "reconstruction", "masked")}

    # Chosen on the training split (its images and masks); the test digits only illustrate them.
    pairs = confusable_pairs(train_x.numpy(), train_y.numpy(), (~train_hidden).float().mean(0).numpy(), p.report.pairs)
    shown = [int(np.flatnonzero(truth == c)[0]) for pair in pairs for c in pair if (truth == c).any()]
    ghosts = [int(i) for i in np.flatnonzero((read["original"] == truth) & (read["reconstruction"] != truth))
              if int(i) not in shown][: p.report.ghosts]
    examples = shown + ghosts
    out = paths.study_results(STUDY).parent
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "examples.npz", masked=x_in[examples].numpy(), reconstruction=recon[examples].numpy(),
                        original=x_full[examples].numpy())

    rounded = {k: round(v, 6) for k, v in {**errors, **{f"judge_{k}_acc": v for k, v in accuracy.items()}}.items()}
    metrics = {**rounded, "n_test": len(truth)}
    write_json(paths.study_metrics(STUDY), metrics)
    run = read_json(run_dir() / RUN)
    write_json(paths.study_results(STUDY), {
        "metrics": metrics, "judge": judge.label, "judge_name": judge.name, "confusion": confusions,
        "pairs": pairs, "examples": [{"index": i, "truth": int(truth[i]), "kind": "pair" if i in shown else "ghost",
                                     **{f"read_{k}": int(v[i]) for k, v in read.items()}} for i in examples],
        "class_counts": mnist.class_counts(truth, num_classes), "hidden_fraction": float(hidden.float().mean()),
        "run": run, "n_train": len(train_x)})
    if tracker and run["run_id"]:
        tracker.log_metrics(run["run_id"], rounded)
    return metrics


STEPS = {
    "train": Step(train, reads=("masked.mask", "masked.model", "masked.train")),
    # the model comes from its checkpoint; the masks are drawn again, as in training
    "evaluate": Step(evaluate_study, reads=("masked.mask", "masked.train.device", "masked.report")),
}

if __name__ == "__main__":
    run_stage(__doc__, MaskedParams, STEPS, experiment=STUDY)
