"""Stages gan_course_<step>: the CS324 GAN as its template's protocol ran (my_gan.py), one run per
seed, then every snapshot scored by the judge and the course's interpolation read off by it.

    python -m seqlab.studies.gan.course.steps {train,evaluate}

The course looked at the generator in training mode: each saved grid was a training batch's own
fakes, batch norm on that batch's statistics. So the snapshots here are drawn the same way, from
fixed latent batches of the course's batch size, and batch norm's running statistics are put back
afterwards, so that looking changes nothing. The interpolation, as test_gan.py drew it, uses the
generator in eval mode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.errors import ParamsError
from seqlab.core.files import read_json, write_json
from seqlab.judging.classifier import load_judge
from seqlab.models.config import count_parameters
from seqlab.models.gan import GAN, GANConfig, from_unit, lerp, to_unit
from seqlab.studies.gan.course.params import COURSE_MODEL, Course, CourseParams, windows
from seqlab.studies.gan.course.update import CourseGANStep
from seqlab.studies.gan.quality import class_histogram, frechet_features, inception_score
from seqlab.tasks import mnist
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "gan_course"  # its outputs: models/gan_course/, reports/gan_course/, ...
MNIST = "mnist"
SNAPSHOTS = "snapshots.npz"
GRID = 25  # the course saved the first 25 fakes of a batch, 5 x 5
DEVICE_KEY = "gan.course.train.device"
# The step's scalars in the run history ("loss" is D's, halved) -> their names in the scores table.
TRAIN_COLUMNS = {"train_loss": "d_loss", "train_g_loss": "g_loss", "train_d_real_acc": "d_real_acc",
                 "train_d_fake_acc": "d_fake_acc"}


def run_dir(seed: int):
    return paths.run_dir(STUDY, "mlp", seed=seed)


def latents(seed: int, n: int) -> torch.Tensor:
    """A fixed latent batch (n, 100) from ``seed``, drawn on the CPU: the same on every machine."""
    return torch.randn(n, COURSE_MODEL.latent, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def training_mode_images(gan: GAN, z: torch.Tensor, batch_size: int) -> torch.Tensor:
    """G's images in [0, 1] for ``z`` (N, latent) in training mode, batch norm on each chunk of
    ``batch_size`` latents' own statistics, as the course's training batches were drawn. The
    running statistics the chunks update are restored, so sampling leaves the run unchanged."""
    g = gan.generator
    saved = {name: buf.clone() for name, buf in g.named_buffers()}
    was_training = g.training
    g.train()
    images = torch.cat([to_unit(g(chunk)) for chunk in z.split(batch_size)])  # (N, 28, 28)
    g.train(was_training)
    for name, buf in g.named_buffers():
        buf.copy_(saved[name])
    return images


def course_grid(images: torch.Tensor) -> np.ndarray:
    """The first 25 images min-max scaled over the grid, as save_image(normalize=True) did:
    uint8 (25, 28, 28)."""
    x = images[:GRID]
    x = (x - x.min()) / (x.max() - x.min()).clamp_min(1e-5)
    return (x * 255).round().to(torch.uint8).cpu().numpy()


def to_uint8(images: torch.Tensor) -> np.ndarray:
    return (images.clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()


def _train_job(job: tuple[Course, int, int]) -> tuple[RunResult, dict[str, np.ndarray]]:
    """One seed's run: the course's update every batch, a snapshot at update 0 and every
    ``score.every`` updates (and at the last)."""
    c, seed, n_samples = job
    t, sc = c.train, c.score
    device = resolve_device(t.device, DEVICE_KEY)
    x, y = mnist.load_split(paths.study_data(MNIST), "train")
    z_grid = latents(sc.latent_seed, t.batch_size).to(device)  # one training-size batch; the grid is its first 25
    z_score = latents(sc.latent_seed + 1, n_samples).to(device)
    seed_everything(seed)
    gan = COURSE_MODEL.build().to(device)
    snaps: dict[str, list] = {"step": [], "grid": [], "samples": []}

    def snapshot(step: int, _model=None) -> None:
        snaps["step"].append(step)
        snaps["grid"].append(course_grid(training_mode_images(gan, z_grid, t.batch_size)))
        snaps["samples"].append(to_uint8(training_mode_images(gan, z_score, t.batch_size)))

    snapshot(0)  # the untrained generator: the score's ceiling, and the course's "batch 0" grid
    cfg = FitConfig(steps=c.updates, batch_size=t.batch_size, lr=t.lr, clip_norm=float("inf"), eval_every=sc.every)
    hist = fit(gan, (from_unit(x).to(device), y.to(device)), None, cfg, seed, name=f"{STUDY} seed {seed}",
               step=CourseGANStep(gan, t.lr, t.betas, seed), on_eval=snapshot)
    state = {k: v.cpu() for k, v in gan.state_dict().items()}
    return RunResult(hist, state, count_parameters(gan)), {k: np.asarray(v) for k, v in snaps.items()}


def train(p: CourseParams, tracker=None) -> None:
    c = p.course
    device = resolve_device(c.train.device, DEVICE_KEY)
    sizes = mnist.load_meta(paths.study_data(MNIST))["sizes"]  # known only once the splits exist (mnist.data.full)
    n_train, n_test = sizes["train"], sizes["test"]
    if c.score.n_samples > min(n_train, n_test):
        raise ParamsError(f"params.yaml: 'gan.course.score.n_samples' ({c.score.n_samples}) exceeds the MNIST splits' "
                          f"sizes (train {n_train}, test {n_test}: 'mnist.data.n_train', 'mnist.data.n_test')")
    jobs = [(c, seed, c.score.n_samples) for seed in c.train.seeds]
    done = run_parallel(_train_job, jobs, workers_for(device, p.runtime.workers), STUDY)
    common = {"updates": c.updates, "batch_size": c.train.batch_size, "lr": c.train.lr, "betas": list(c.train.betas),
              "order": "G then D", "d_loss": "halved", "n_train": n_train}
    with parent_run(tracker, "course", common) as parent_id:
        for seed, (result, snaps) in zip(c.train.seeds, done):
            out = run_dir(seed)
            record_run(out, COURSE_MODEL, result, tracker, f"seed {seed}", common | {"seed": seed}, parent_id)
            np.savez_compressed(out / SNAPSHOTS, **snaps)


# --- evaluate ---------------------------------------------------------------------------------


def paths_between(seed: int, n_paths: int, points: int) -> torch.Tensor:
    """Latent paths (paths, points, latent): pair k joins the stream's draws 2k and 2k+1 after
    ``manual_seed(seed)``, each ``torch.randn(1, latent)`` as test_gan.py drew its two, so path 0
    is the course's; the points evenly spaced from one end to the other."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, points)
    out = []
    for _ in range(n_paths):
        a = torch.randn(1, COURSE_MODEL.latent, generator=gen)[0]
        b = torch.randn(1, COURSE_MODEL.latent, generator=gen)[0]
        out.append(lerp(a, b, t))
    return torch.stack(out)


def interpolate(c: Course, gan: GAN, judge, device) -> tuple[dict, np.ndarray]:
    """The final generator (eval mode, as test_gan.py) along every path: the judge's labels,
    the pixel distances between consecutive frames, and between the same frame of neighbouring
    paths (a random pair of generated digits)."""
    walk = c.interpolate
    z = paths_between(walk.seed, walk.paths, walk.points)  # (P, K, latent)
    images = gan.sample(z.reshape(-1, z.shape[-1]).to(device)).cpu().reshape(*z.shape[:2], 28, 28)  # (P, K, 28, 28)
    labels = judge.labels(images.reshape(-1, 28, 28)).reshape(z.shape[:2])  # (P, K)
    flat = images.flatten(2)  # (P, K, 784)
    consecutive = (flat[:, 1:] - flat[:, :-1]).norm(dim=-1)  # (P, K-1)
    across = (flat[1:] - flat[:-1]).norm(dim=-1).flatten()  # ((P-1) K,)
    return {"labels": labels.tolist(), "consecutive": consecutive.numpy().round(4).tolist(),
            "random_pairs": across.numpy().round(4).tolist()}, to_uint8(images)


def evaluate_study(p: CourseParams, tracker=None) -> dict:
    c = p.course
    device = resolve_device(c.train.device, DEVICE_KEY)
    judge = load_judge(device, c.score.judge_batch_size)
    data = paths.study_data(MNIST)
    num_classes = len(mnist.load_meta(data)["class_names"])
    n = c.score.n_samples
    x_test, _ = mnist.load_split(data, "test", n)
    real = judge.features(x_test)
    floor = frechet_features(judge.features(mnist.load_split(data, "train", n)[0]), real)
    n_train = mnist.load_meta(data)["sizes"]["train"]
    runs, tables, walks = {}, [], {}
    for seed in c.train.seeds:
        with np.load(run_dir(seed) / SNAPSHOTS) as f:
            steps, samples = f["step"].tolist(), f["samples"]
        rows = []
        for step, s in zip(steps, samples):
            images = torch.from_numpy(mnist.normalise(s))
            probs = judge.probabilities(images)
            rows.append({"step": int(step), "frechet": round(frechet_features(judge.features(images), real), 6),
                         "inception_score": round(inception_score(probs), 6),
                         "histogram": class_histogram(probs.argmax(1), num_classes)})
        scores = pd.DataFrame([{k: v for k, v in r.items() if k != "histogram"} for r in rows])
        history = pd.read_csv(run_dir(seed) / HISTORY).rename(columns=TRAIN_COLUMNS)
        interval = np.searchsorted(scores["step"].to_numpy(), history["step"].to_numpy())
        means = history.groupby(interval)[list(TRAIN_COLUMNS.values())].mean()
        scores = scores.join(means.set_axis(scores["step"].to_numpy()[means.index]), on="step")
        tables.append(scores.assign(seed=seed))
        gan = GANConfig.load(run_dir(seed) / CHECKPOINT, device)
        walk, walks[f"seed{seed}"] = interpolate(c, gan, judge, device)
        run = read_json(run_dir(seed) / RUN)
        runs[str(seed)] = {"snapshots": rows, "windows": windows(steps, c.updates), "interpolation": walk,
                           "train_seconds": run["train_seconds"], "n_params": run["n_params"]}
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    table = pd.concat(tables)
    table[["seed", *[k for k in table.columns if k != "seed"]]].round(6).to_csv(plots / "scores.csv", index=False)
    out = paths.study_results(STUDY)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out.parent / "interpolations.npz", **{k: v[:8] for k, v in walks.items()})
    ceilings = {s: r["snapshots"][0]["frechet"] for s, r in runs.items()}
    metrics = {"frechet": {s: r["snapshots"][-1]["frechet"] for s, r in runs.items()},
               "frechet_floor": round(floor, 4), "frechet_ceiling": ceilings, "updates": c.updates,
               "n_samples": n}
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(out, {"metrics": metrics, "judge": judge.label, "judge_name": judge.name, "n_train": n_train,
                     "updates": c.updates, "scale": c.scale, "every": c.score.every, "batch_size": c.train.batch_size,
                     "lr": c.train.lr, "betas": list(c.train.betas), "seeds": list(c.train.seeds),
                     "points": c.interpolate.points, "interpolation_seed": c.interpolate.seed,
                     "deviations": c.deviations(n_train), "runs": runs})
    return metrics


STEPS = {
    "train": Step(train, reads=("gan.course.scale", "gan.course.train", "gan.course.score.every",
                                "gan.course.score.n_samples", "gan.course.score.latent_seed")),
    "evaluate": Step(evaluate_study, reads=("gan.course",)),
}

if __name__ == "__main__":
    run_stage(__doc__, CourseParams, STEPS, experiment=STUDY)
