"""Record one run of the CS324 GAN protocol at the course's scale in sweeps/gan_course/: the
Fréchet distance at every snapshot, the floor, the updates planned and reached, and where it ran.
A developer runs it once and commits the folder; the report and the ledger show it as a recorded
run, beside (never instead of) this run's own gan_course stages.

From a finished run of the stages (docs/experiments.md gives the `dvc exp run` command):

    python -m seqlab.tools.gan_record --results reports/gan_course --provenance reports/provenance \\
        --out sweeps/gan_course

From the progress log of a run followed as it went (lines "update N at S s frechet F", each
snapshot's Fréchet distance computed as the evaluate stage does), which may have been stopped
before its last update; the floor and the untrained generator's distance (update 0) are computed
here, as gan_course_evaluate computes them:

    python -m seqlab.tools.gan_record --log long.log --updates 187600 --every 500 --commit <sha> --out sweeps/gan_course
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import torch

from seqlab.core.errors import DataError
from seqlab.core.files import read_json, write_json
from seqlab.core.provenance import environment

LINE = re.compile(r"^update (\d+) at (\d+) s frechet ([0-9.]+)$")


def read_log(path: Path) -> pd.DataFrame:
    """The snapshots of a progress log: step, seconds since training began, Fréchet distance."""
    rows = [m.groups() for m in map(LINE.match, path.read_text().splitlines()) if m]
    if not rows:
        raise DataError(f"{path}: no line of the form 'update N at S s frechet F'")
    scores = pd.DataFrame(rows, columns=["step", "seconds", "frechet"]).astype({"step": int, "seconds": int,
                                                                                "frechet": float})
    if not scores["step"].is_monotonic_increasing:
        raise DataError(f"{path}: the updates are not in order")
    return scores


def references(seed: int, n: int, batch_size: int) -> tuple[float, float]:
    """The floor (n training against n test digits) and the ceiling (the run's untrained generator,
    rebuilt from its seed, on the scored latent batch), as gan_course_evaluate computes them."""
    from seqlab.core import paths
    from seqlab.judging.classifier import load_judge
    from seqlab.studies.gan.course import steps
    from seqlab.studies.gan.course.params import COURSE_MODEL
    from seqlab.studies.gan.quality import frechet_features
    from seqlab.tasks import mnist
    from seqlab.training.seeding import seed_everything

    judge, data = load_judge("cpu", n), paths.study_data("mnist")
    real = judge.features(mnist.load_split(data, "test", n)[0])
    seed_everything(seed)
    gan = COURSE_MODEL.build()
    images = steps.training_mode_images(gan, steps.latents(1, n), batch_size)  # latent_seed 0 + 1, as the stage
    untrained = judge.features(torch.from_numpy(mnist.normalise(steps.to_uint8(images))))
    return (frechet_features(judge.features(mnist.load_split(data, "train", n)[0]), real),
            frechet_features(untrained, real))


def from_log(args) -> tuple[pd.DataFrame, dict]:
    from seqlab.core import paths
    from seqlab.tasks import mnist

    scores = read_log(args.log)
    low, high = references(args.seed, args.n_samples, args.batch_size)
    if scores["step"].iloc[0] != 0:  # the log starts at the first update after the untrained snapshot
        scores = pd.concat([pd.DataFrame([{"step": 0, "seconds": 0, "frechet": round(high, 4)}]), scores])
    env = {k: v for k, v in environment().items() if k in ("cpu", "cores", "machine", "python", "torch")}
    return scores, {"source": f"the progress log of a run followed as it went ({args.log.name})",
                    "updates_planned": args.updates, "updates_reached": int(scores["step"].iloc[-1]),
                    "every": args.every, "seed": args.seed, "n_samples": args.n_samples,
                    "n_train": int(len(mnist.load_split(paths.study_data("mnist"), "train")[1])),
                    "floor": round(low, 6), "seconds": int(scores["seconds"].iloc[-1]), "commit": args.commit,
                    "threads": args.threads, **env}


def from_results(args) -> tuple[pd.DataFrame, dict]:
    res = read_json(args.results / "results.json")
    stage = args.provenance / "gan_course_train.json"
    # a run outside DVC writes no provenance: then the training's own seconds, and this machine
    # (say --commit), where the record is made where the run ran
    env = {k: v for k, v in environment().items() if k in ("cpu", "cores")}
    prov = read_json(stage) if stage.is_file() else env | {"seconds": None, "commit": ""}
    if len(res["runs"]) != 1:
        raise DataError(f"{args.results}: record one seed's run, not {len(res['runs'])}")
    seed, run = next(iter(res["runs"].items()))
    scores = pd.DataFrame([{"step": s["step"], "frechet": s["frechet"]} for s in run["snapshots"]])
    source = "the gan_course stages' outputs" if stage.is_file() else "the gan_course steps' outputs, run outside DVC"
    return scores, {"source": source, "interpolation": run["interpolation"],
                    "final_histogram": run["snapshots"][-1]["histogram"],
                    "updates_planned": res["updates"],
                    "updates_reached": int(scores["step"].iloc[-1]), "every": res["every"], "seed": int(seed),
                    "n_samples": res["metrics"]["n_samples"], "n_train": res["n_train"],
                    "floor": res["metrics"]["frechet_floor"], "seconds": prov["seconds"] or run["train_seconds"],
                    "commit": args.commit or prov["commit"],
                    "cpu": prov["cpu"], "cores": prov["cores"]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--results", type=Path, help="a gan_course_evaluate output folder (reports/gan_course)")
    src.add_argument("--log", type=Path, help="a progress log")
    ap.add_argument("--provenance", type=Path, default=Path("reports/provenance"))
    ap.add_argument("--updates", type=int, default=187_600, help="the updates the logged run was to train")
    ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-samples", type=int, default=500)
    ap.add_argument("--batch-size", type=int, default=64, help="the run's batch (batch norm's, when sampling)")
    ap.add_argument("--threads", type=int, default=1, help="the torch threads the logged run used")
    ap.add_argument("--commit", default="", help="the commit whose code the run ran (a finished run's provenance "
                    "names it unless this is given)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    scores, meta = from_results(args) if args.results else from_log(args)
    args.out.mkdir(parents=True, exist_ok=True)
    scores.to_csv(args.out / "scores.csv", index=False)
    write_json(args.out / "record.json", meta | {"recorded": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")})
    print(f"{args.out}: {len(scores)} snapshots, updates {meta['updates_reached']:,} of {meta['updates_planned']:,}")


if __name__ == "__main__":
    main()
