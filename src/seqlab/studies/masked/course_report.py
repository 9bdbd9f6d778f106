"""The report's part on the Northwestern homework's own network (stages masked_course_*), read
from reports/masked_course/results.json; seqlab's network beside it is scored there too, on the
same left-masked test digits by the same judge."""

from __future__ import annotations

import math

from seqlab.judging.verdicts import binomial_se
from seqlab.present.markdown import fig, table
from seqlab.studies.masked.course.params import COURSE_RUN, COURSE_TRAIN_IMAGES, QUOTED_LOSSES, SOURCE
from seqlab.studies.masked.course_criteria import swapped
from seqlab.studies.masked.params import MaskedParams

STUDY = "masked_course"
PAIR = (3, 8)


def _widths(*sizes: int) -> str:
    return " → ".join(map(str, sizes))


def _acc(cell: dict) -> str:
    return f"{cell['share']:.3f} ± {binomial_se(cell['share'], cell['n']):.3f}" if cell["n"] else "–"


def _swaps(judge: dict) -> str:
    k, n = swapped(judge["confusion"], *PAIR)
    return f"{k} of {n}" if n else "–"


def _deviations(devs: list[str]) -> str:
    return "; ".join(devs) if devs else "none: the copy's settings"


def network_table(r: dict, p: MaskedParams) -> str:
    """One column per course seed, one for seqlab's network: the architecture, then what each
    network's test reconstructions score."""
    runs, s, c = r["runs"], r["seqlab"], r["params"]
    cols = {f"course, seed {run['seed']}": run for run in runs}
    cols["seqlab"] = s
    t = p.train
    rows = {
        "encoder": {**{k: f"{_widths(784, *c['encoder'])}; ReLU between, none on the code" for k in cols if k != "seqlab"},
                    "seqlab": f"{_widths(784, *s['encoder'])}; ReLU, on the code too"},
        "decoder": {**{k: f"{_widths(c['encoder'][-1], *c['decoder'], 784)}; LeakyReLU({c['slope']:g}), sigmoid"
                       for k in cols if k != "seqlab"},
                    "seqlab": f"{_widths(s['encoder'][-1], *s['decoder'], 784)}; ReLU, sigmoid"},
        "parameters": {k: f"{v['n_params']:,}" for k, v in cols.items()},
        "training": {**{k: f"{c['epochs']} epochs of batch {c['batch_size']}, Adam lr {c['lr']:g}"
                        for k in cols if k != "seqlab"},
                     "seqlab": f"{t.epochs} epochs of batch {t.batch_size}, Adam lr {t.lr:g}, mask `{p.mask.kind}`"},
        "loss, last epoch": {k: f"{v['loss_curve'][-1]:.4f}" for k, v in cols.items()},
        "test MSE, hidden half": {k: f"{v['masked_mse']:.4f}" for k, v in cols.items()},
        "test MSE, visible half": {k: f"{v['visible_mse']:.4f}" for k, v in cols.items()},
        "judge reads the reconstruction right": {k: _acc(v["judge"]["all"]) for k, v in cols.items()},
        f"... of the {PAIR[0]}s": {k: _acc(v["judge"][f"class{PAIR[0]}"]) for k, v in cols.items()},
        f"{PAIR[0]}↔{PAIR[1]} swaps": {k: _swaps(v["judge"]) for k, v in cols.items()},
        "seconds of training": {k: f"{v['train_seconds']:.0f}" for k, v in cols.items()},
    }
    return table([{"": name, **values} for name, values in rows.items()])


def loss_table(r: dict) -> str:
    """The mean batch loss at every fifth epoch (and the first and last), the copy's printed values
    beside them where it printed one."""
    runs, s = r["runs"], r["seqlab"]
    last = len(runs[0]["loss_curve"])
    epochs = sorted({1, last, *range(5, last + 1, 5), *(e for e in QUOTED_LOSSES if e <= last)})
    rows = []
    for e in epochs:
        row = {"epoch": e, **{f"course, seed {run['seed']}": f"{run['loss_curve'][e - 1]:.4f}" for run in runs}}
        row["seqlab"] = f"{s['loss_curve'][e - 1]:.4f}" if e <= len(s["loss_curve"]) else ""
        row[f"the copy (quoted; {COURSE_TRAIN_IMAGES:,} images)"] = f"{QUOTED_LOSSES[e]}" if e in QUOTED_LOSSES else ""
        rows.append(row)
    return table(rows)


def course_section(r: dict, p: MaskedParams) -> list[str]:
    o, m = r["originals"], r["masked"]
    seeds = ", ".join(str(run["seed"]) for run in r["runs"])
    d = r["data"]
    per_epoch = r["runs"][0]["steps"] // r["params"]["epochs"]
    copy_epoch = math.ceil(COURSE_TRAIN_IMAGES / COURSE_RUN["batch_size"])
    mask_note = ("" if p.mask.kind == "left" else
                 f" seqlab's network was trained with mask `{p.mask.kind}`, so here it fills in a half it never "
                 "learned to.")
    return [
        "### The course's network, as the homework ran it",
        "",
        f"The Northwestern homework (question 1.1) trains \"the MLP-based inpainting autoencoder\" with the left half "
        f"of every image zeroed for 30 epochs. The report's author keeps the code private and the course's notebook "
        f"is not available, so this runs the network and settings of a published filled-in copy, {SOURCE}: "
        f"{_widths(784, *r['params']['encoder'])} with ReLU between the layers and none on the code, "
        f"{_widths(r['params']['encoder'][-1], *r['params']['decoder'], 784)} with LeakyReLU({r['params']['slope']:g}) "
        "and a sigmoid, torch's default init, pixels in [0, 1], the whole image as the target of `nn.MSELoss`, Adam, "
        f"batches shuffled each epoch ({r['parameters']:,} parameters). It trains on the MNIST study's "
        f"{r['n_train']:,} training images (source `{d['source']}`; the copy: {COURSE_TRAIN_IMAGES:,}, quoted; "
        "`mnist.data.full: true` with source `torchvision` gives those where torchvision's download works), at seeds "
        f"{seeds}: the copy's one run was unseeded. The copy used no test set; here the judge ({r['judge']}) reads "
        f"the reconstructions of the {r['n_test']:,} test digits, and nothing is chosen on them. seqlab's network "
        f"(above) is read on the same left-masked digits.{mask_note} Deviations from the copy's settings: "
        f"{_deviations(r['settings_deviations'])}.",
        "",
        f"For both networks the judge reads {_acc(o['all'])} of the originals right and {_acc(m['all'])} of the masked "
        f"inputs ({PAIR[0]}s: {_acc(o[f'class{PAIR[0]}'])} and {_acc(m[f'class{PAIR[0]}'])}; "
        f"{PAIR[0]}↔{PAIR[1]} swaps among the originals: {_swaps(o)}). The training mean image in the hidden half "
        f"scores a test MSE of {r['baseline']['masked_mse']:.4f} there. ± is one binomial standard error.",
        "",
        network_table(r, p),
        "",
        fig(STUDY, "reconstructions.png", "The course's network and seqlab's on the same left-masked test digits"),
        "",
        f"Columns: the first test digit of each class, then the next test {PAIR[0]}s (the report's example); the "
        f"course's network at seed {r['examples_seed']}. Chosen by label alone.",
        "",
        "The loss per epoch, as the homework asked for it (the mean of the epoch's batch losses, each before its "
        f"update). An epoch here is {per_epoch} batches; the copy's was {copy_epoch:,} (quoted sizes), so its first "
        f"printed loss came after as many updates as this run's epoch {copy_epoch / per_epoch:.0f}, and its 30 epochs "
        f"are {copy_epoch / per_epoch:.0f} times this run's updates:",
        "",
        loss_table(r),
        "",
        fig(STUDY, "loss.png", "Loss per epoch: the course's network and seqlab's"),
        "",
    ]
