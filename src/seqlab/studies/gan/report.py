"""The report's GAN section, read from the study's stage outputs only."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, table
from seqlab.studies.gan.course_report import course_section, load_record
from seqlab.studies.gan.params import GanParams

STUDY = "gan"
COURSE_STUDY = "gan_course"  # stage gan_course_evaluate's results
CONTENTS = "GAN"


def _share(histogram: list[int]) -> str:
    total = sum(histogram)
    return " · ".join(f"{c}: {v / total:.0%}" for c, v in enumerate(histogram))


def section(p: GanParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    m, run, t, mo, walk = res["metrics"], res["run"], p.gan.train, p.gan.model, p.gan.interpolate
    snaps = res["snapshots"]
    rows = [{"update": f"{s['step']:,}", "Fréchet distance": f"{s['frechet']:.2f}",
             "Inception score": f"{s['inception_score']:.2f}",
             "largest class share": f"{max(s['histogram']) / sum(s['histogram']):.0%}"} for s in snaps]
    final = snaps[-1]
    position = (m["frechet"] - m["frechet_floor"]) / (m["frechet_ceiling"] - m["frechet_floor"])
    walks = "; ".join(f"{name}: {' → '.join(map(str, r['labels']))}" for name, r in res["interpolation"].items())
    return [
        "## GAN: generating digits, with a score you can diff",
        "",
        f"The course template's GAN: a generator {mo.latent} → {' → '.join(map(str, mo.generator))} → 784 (LeakyReLU "
        f"{mo.slope:g}, batch norm on every hidden layer but the first, tanh) and a discriminator 784 → "
        f"{' → '.join(map(str, mo.discriminator))} → 1 (LeakyReLU {mo.slope:g}); {run['n_params']:,} parameters in all. "
        f"Adam lr {t.lr:g}, betas {t.betas}, batch {t.batch_size}, the non-saturating generator loss, "
        f"{t.updates:,} updates ({run['train_seconds']:.0f} s) on the MNIST study's {res['n_train']:,} training images.",
        "",
        fig(STUDY, "progress.png", "The fixed-latent grid at the start, middle and end of training"),
        "",
        "### Scores",
        "",
        f"Both scores use the MNIST study's best classifier (chosen on validation), {res['judge']}: the "
        f"**Fréchet distance** between Gaussians fitted to its penultimate-layer features of {m['n_samples']} generated "
        f"and {m['n_samples']} real test images, and the **classifier Inception score** from its class probabilities. "
        "They are in this classifier's units, not Inception's: published MNIST FIDs (quoted, not measured here: "
        "≈ 6.7–9.8 for standard GANs, Lucic et al. 2018) are not comparable in absolute terms.",
        "",
        table([
            {"": "floor: training vs test images", "Fréchet distance": f"{m['frechet_floor']:.2f}",
             "Inception score": f"{m['inception_score_real']:.2f} (real test images)"},
            {"": f"the GAN after {t.updates:,} updates", "Fréchet distance": f"{m['frechet']:.2f}",
             "Inception score": f"{m['inception_score']:.2f}"},
            {"": "ceiling: the untrained generator", "Fréchet distance": f"{m['frechet_ceiling']:.2f}",
             "Inception score": f"{snaps[0]['inception_score']:.2f}"},
        ]),
        "",
        f"The final distance is {m['frechet'] / m['frechet_floor']:.1f}× the floor and lies {position:.1%} of the way "
        f"from the floor to the ceiling (the figure's axis is logarithmic). The judge labels the final "
        f"samples {_share(final['histogram'])} (real test images: {_share(res['real_histogram'])}); a class near 0% or "
        "far above 10% is the mark of mode collapse.",
        "",
        fig(STUDY, "scores.png", "Fréchet distance and Inception score across training"),
        "",
        table(rows),
        "",
        fig(STUDY, "histogram.png", "The judge's labels of generated and real digits"),
        "",
        "### Training dynamics",
        "",
        f"At the end, D is right on {m['d_real_acc']:.0%} of real and {m['d_fake_acc']:.0%} of fake images (mean over "
        "the last interval); at the game's equilibrium both would be 50%, D's loss 2 ln 2 and G's ln 2.",
        "",
        fig(STUDY, "losses.png", "D and G losses, and D's accuracy"),
        "",
        "### Latent interpolation",
        "",
        f"{walk.points} evenly spaced points between two fixed latent vectors (seeds "
        f"{walk.seeds[0]} and {walk.seeds[1]}), along a straight line and along the great circle "
        f"(slerp), through the final generator. The judge reads them as {walks}.",
        "",
        fig(STUDY, "interpolation.png", "Linear and spherical latent interpolation"),
        "",
        f"Every grid is in `reports/figures/gan/grids/` and in MLflow (experiment `gan`), one every {t.grid_every:,} "
        "updates from the same latent batch.",
        "",
        *course_section(read_json(paths.study_results(COURSE_STUDY)), load_record()),
    ]

