"""Stages gan_<step>: train the GAN on the MNIST study's training split, then score it with the
judge (the MNIST study's best classifier).

    python -m seqlab.studies.gan.steps {train,evaluate}
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.judging.classifier import load_judge
from seqlab.models.config import count_parameters
from seqlab.models.gan import GANConfig, from_unit, lerp, slerp
from seqlab.studies.gan.quality import class_histogram, frechet_features, inception_score
from seqlab.studies.gan.layout import SNAPSHOTS, STUDY, TRAIN_COLUMNS, run_dir
from seqlab.studies.gan.params import GanParams, check_samples
from seqlab.tasks import mnist
from seqlab.studies.gan.update import GANStep
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, record_run
from seqlab.training.seeding import seed_everything

MNIST = "mnist"


def config(p: GanParams) -> GANConfig:
    m = p.gan.model
    return GANConfig(latent=m.latent, generator=m.generator, discriminator=m.discriminator, slope=m.slope)


def latents(p: GanParams, n: int, offset: int) -> torch.Tensor:
    """A fixed latent batch (n, latent), drawn on the CPU from ``latent_seed + offset``: the same
    on every machine and every run, whatever the training did."""
    seed = p.gan.score.latent_seed + offset
    return torch.randn(n, p.gan.model.latent, generator=torch.Generator().manual_seed(seed))


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Images in [0, 1] -> uint8 0..255, the MNIST splits' own storage."""
    return (images.clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()


def train(p: GanParams, tracker=None) -> None:
    """One run through the training loop with the GAN step. At update 0 and every ``grid_every``
    updates the generator draws the fixed grid batch and the fixed scored batch, kept as uint8."""
    device = resolve_device(p.gan.train.device, "gan.train.device")
    t, sc = p.gan.train, p.gan.score
    x, y = mnist.load_split(paths.study_data(MNIST), "train")
    _, y_test = mnist.load_split(paths.study_data(MNIST), "test")
    check_samples(sc.n_samples, len(y), len(y_test))  # with mnist.data.full, known only now
    z_grid, z_score = latents(p, sc.grid_size, 0).to(device), latents(p, sc.n_samples, 1).to(device)
    seed_everything(t.seed)
    gan = config(p).build().to(device)
    snapshots: dict[str, list] = {"step": [], "grid": [], "samples": []}

    def snapshot(step: int, _model=None) -> None:
        snapshots["step"].append(step)
        snapshots["grid"].append(to_uint8(gan.sample(z_grid)))
        snapshots["samples"].append(to_uint8(gan.sample(z_score)))

    snapshot(0)  # the untrained generator: the score's ceiling
    cfg = FitConfig(steps=t.updates, batch_size=t.batch_size, lr=t.lr, clip_norm=float("inf"), eval_every=t.grid_every)
    hist = fit(gan, (from_unit(x).to(device), y.to(device)), None, cfg, t.seed, name="gan",
               step=GANStep(gan, t.lr, t.betas, t.seed), on_eval=snapshot)
    result = RunResult(hist, {k: v.cpu() for k, v in gan.state_dict().items()}, count_parameters(gan))
    m = p.gan.model
    params = {"latent": m.latent, "generator": list(m.generator), "discriminator": list(m.discriminator),
              "slope": m.slope, "updates": t.updates, "batch_size": t.batch_size, "lr": t.lr, "betas": list(t.betas),
              "seed": t.seed, "n_train": len(y)}
    record_run(run_dir(), config(p), result, tracker, "gan", params)
    np.savez_compressed(run_dir() / SNAPSHOTS, **{k: np.asarray(v) for k, v in snapshots.items()})


# --- evaluate ---------------------------------------------------------------------------------


def interpolations(p: GanParams, gan, device) -> dict[str, np.ndarray]:
    """Linear and spherical walks between the two fixed latent vectors: images (points, 28, 28)."""
    walk = p.gan.interpolate
    a, b = (torch.randn(p.gan.model.latent, generator=torch.Generator().manual_seed(s)) for s in walk.seeds)
    t = torch.linspace(0, 1, walk.points)
    return {name: gan.sample(path(a, b, t).to(device)).cpu().numpy() for name, path in (("linear", lerp),
                                                                                       ("slerp", slerp))}


def evaluate_study(p: GanParams, tracker=None) -> dict:
    """Per snapshot: Fréchet distance to the test images and Inception score in the judge's
    spaces, and the class histogram; the floor (training vs test images) and the ceiling (the
    untrained generator); D's accuracy; the interpolations read off by the judge."""
    device = resolve_device(p.gan.train.device, "gan.train.device")
    judge = load_judge(device, p.gan.score.judge_batch_size)
    data = paths.study_data(MNIST)
    num_classes = len(mnist.load_meta(data)["class_names"])
    n = p.gan.score.n_samples
    x_test, _ = mnist.load_split(data, "test", n)
    x_train, _ = mnist.load_split(data, "train", n)
    real = judge.features(x_test)
    floor = frechet_features(judge.features(x_train), real)
    real_probs = judge.probabilities(x_test)
    with np.load(run_dir() / SNAPSHOTS) as f:
        steps, samples = f["step"], f["samples"]
    rows = []
    for step, s in zip(steps, samples):
        images = torch.from_numpy(mnist.normalise(s))
        probs = judge.probabilities(images)
        rows.append({"step": int(step), "frechet": frechet_features(judge.features(images), real),
                     "inception_score": inception_score(probs),
                     "histogram": class_histogram(probs.argmax(1), num_classes)})
    scores = pd.DataFrame([{k: v for k, v in r.items() if k != "histogram"} for r in rows])
    # Both losses and D's accuracy, averaged over the updates since the previous snapshot.
    history = pd.read_csv(run_dir() / HISTORY).rename(columns=TRAIN_COLUMNS)
    step = scores["step"].to_numpy()
    interval = np.searchsorted(step, history["step"].to_numpy())  # update -> the snapshot that ends its interval
    means = history.groupby(interval)[list(TRAIN_COLUMNS.values())].mean()
    scores = scores.join(means.set_axis(step[means.index]), on="step")
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    scores.round(6).to_csv(plots / "scores.csv", index=False)

    gan = GANConfig.load(run_dir() / CHECKPOINT, device)
    walks = interpolations(p, gan, device)
    read = {name: judge.probabilities(torch.from_numpy(images)) for name, images in walks.items()}
    out = paths.study_results(STUDY).parent
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "interpolations.npz", **walks)

    final, start = rows[-1], rows[0]
    last = scores.iloc[-1]
    metrics = {"frechet": round(final["frechet"], 4), "frechet_floor": round(floor, 4),
               "frechet_ceiling": round(start["frechet"], 4),
               "inception_score": round(final["inception_score"], 4),
               "inception_score_real": round(inception_score(real_probs), 4),
               "d_real_acc": round(float(last["d_real_acc"]), 4), "d_fake_acc": round(float(last["d_fake_acc"]), 4),
               "classes": {str(c): v for c, v in enumerate(final["histogram"])}, "n_samples": n}
    write_json(paths.study_metrics(STUDY), metrics)
    run = read_json(run_dir() / RUN)
    write_json(paths.study_results(STUDY), {
        "metrics": metrics, "judge": judge.label, "judge_name": judge.name,
        "snapshots": rows,
        "real_histogram": class_histogram(real_probs.argmax(1), num_classes),
        "interpolation": {name: {"labels": probs.argmax(1).tolist(),
                                 "confidence": [round(float(v), 4) for v in probs.max(1)]}
                          for name, probs in read.items()},
        "run": run, "n_train": int(len(mnist.load_split(data, "train")[1]))})
    if tracker and run["run_id"]:
        tracker.log_series(run["run_id"], {"frechet": (scores["step"].tolist(), scores["frechet"].tolist()),
                                           "inception_score": (scores["step"].tolist(),
                                                               scores["inception_score"].tolist())})
    return metrics


# Neither step reads mnist.data: the splits come from data/mnist, their data dep, and gan_train
# checks gan.score.n_samples against the sizes it loads.
STEPS = {
    "train": Step(train, reads=("gan.model", "gan.train", "gan.score.grid_size", "gan.score.n_samples",
                                "gan.score.latent_seed")),
    # the generator comes from its checkpoint; the latent size only draws the interpolation's ends
    "evaluate": Step(evaluate_study, reads=("gan.model.latent", "gan.train.device", "gan.score.n_samples",
                                            "gan.score.judge_batch_size", "gan.interpolate")),
}

if __name__ == "__main__":
    run_stage(__doc__, GanParams, STEPS, experiment=STUDY)
