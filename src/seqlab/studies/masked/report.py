"""The report's masked-autoencoder section, read from the study's stage outputs only."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, table
from seqlab.studies.masked.course_report import course_section
from seqlab.studies.masked.params import MaskedParams
from seqlab.judging.verdicts import binomial_se

STUDY = "masked"
COURSE_STUDY = "masked_course"  # stage masked_course_evaluate's results
CONTENTS = "masked autoencoder"

MASKS = {"left": "the left half (columns 0–13) is hidden", "right": "the right half is hidden",
         "center": "a centred square of side {center_size} px is hidden",
         "random_patches": "{patch_size}×{patch_size} px patches are hidden, each with probability {patch_fraction:g}"}


def _top_confusions(cm: list[list[int]], k: int = 5) -> str:
    cells = sorted(((cm[i][j], i, j) for i in range(len(cm)) for j in range(len(cm)) if i != j), reverse=True)
    return ", ".join(f"{i} read as {j} ({c})" for c, i, j in cells[:k] if c)


def section(p: MaskedParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    m, run = res["metrics"], res["run"]
    n = m["n_test"]
    mask = MASKS[p.mask.kind].format(**vars(p.mask.spec))
    errors = [
        {"model": "MLP autoencoder", "MSE, hidden pixels": f"{m['masked_mse']:.4f}",
         "MSE, visible pixels": f"{m['visible_mse']:.4f}"},
        {"model": "baseline: the training mean image in the hidden pixels, the input elsewhere",
         "MSE, hidden pixels": f"{m['baseline_masked_mse']:.4f}", "MSE, visible pixels": f"{m['baseline_visible_mse']:.4f}"},
    ]
    judged = [{"the judge reads": what, "accuracy": f"{m[f'judge_{key}_acc']:.3f} ± "
                                                    f"{binomial_se(m[f'judge_{key}_acc'], n):.3f}"}
              for key, what in (("original", "the original test digits"), ("masked", "the masked inputs"),
                                ("reconstruction", "the autoencoder's reconstructions"),
                                ("baseline", "the mean-image baseline"))]
    pairs = ", ".join(f"{a}/{b}" for a, b in res["pairs"])
    t, model = p.train, p.model
    return [
        "## Masked autoencoder: filling in a hidden half",
        "",
        f"An MLP (784 → {' → '.join(map(str, model.encoder))} → {' → '.join(map(str, (*model.decoder, 784)))}, ReLU, sigmoid "
        f"output; {run['n_params']:,} parameters) sees an MNIST digit of which {mask} "
        f"({res['hidden_fraction']:.0%} of the pixels, set to 0) and is trained to output the whole digit "
        f"(pixel MSE). It trains on the MNIST study's {res['n_train']:,} training images and is tested on its {n:,} "
        "test images.",
        "",
        "### Pixel error on the test split",
        "",
        table(errors),
        "",
        "### What the reconstructions look like to a classifier",
        "",
        f"The judge is the MNIST study's best classifier, chosen on validation: {res['judge']}. It never saw "
        "these test digits. ± is one binomial standard error.",
        "",
        table(judged),
        "",
        f"Its most frequent misreadings of the reconstructions: {_top_confusions(res['confusion']['reconstruction'])}; "
        f"of the originals: {_top_confusions(res['confusion']['original']) or 'none'}.",
        "",
        fig(STUDY, "reconstructions.png", "Masked inputs, reconstructions and originals"),
        "",
        f"Columns: the first test digit of each class in the {len(res['pairs'])} class pairs whose mean training "
        f"images differ least on the visible pixels ({pairs}: chosen by that rule, not by hand), then the first test "
        "digits whose original the judge reads right and whose reconstruction it reads wrong (\"ghosts\").",
        "",
        fig(STUDY, "confusion.png", "The judge's confusion matrices"),
        "",
        f"Training: Adam lr {t.lr}, batch {t.batch_size}, {t.epochs} epochs ({run['steps_run']:,} steps, "
        f"{run['train_seconds']:.0f} s), seed {t.seed}. MLflow experiment `masked`.",
        "",
        *course_section(read_json(paths.study_results(COURSE_STUDY)), p),
    ]
