"""The report's part on the CS324 palindrome protocol (stages palindrome_course_*), read from
reports/palindrome_course/results.json, beside seqlab's headline study above it."""

from __future__ import annotations

from seqlab.present.markdown import fig, table
from seqlab.studies.palindrome import course_criteria as cc
from seqlab.studies.palindrome.params import PalindromeParams

STUDY = "palindrome_course"
LABELS = {"lstm": "LSTM (the student's)", "lstm_corrected": "LSTM, one softmax", "rnn": "RNN (assignment 2)"}

# Quoted from the student's logs (starga2er777/SUSTech_CS324: assignment3/Part 1/job.15867.out and job.15865.out
# @0cd95b88; assignment2/Part 3/output_t=5.txt @84a30884 and output_t=20.txt @0d431d82). Epochs 1-based here;
# the logs print them from 0.
STUDENT_RUNS = [
    {"run": "LSTM", "T": 5, "validation accuracy (quoted)": "1.0 from its 53rd epoch to its 100th",
     "final losses (quoted)": "train 1.4641, validation 1.4640"},
    {"run": "LSTM", "T": 20, "validation accuracy (quoted)": "0.9004 after epoch 1, 1.0 after epoch 2, then falling "
     "back to plateaus near 0.70, 0.80 and 0.90 and back; 0.898 after its 100th", "final losses (quoted)":
     "train 1.5614, validation 1.5633"},
    {"run": "RNN", "T": 5, "validation accuracy (quoted)": "1.0 at its last epoch",
     "final losses (quoted)": "1.46115 (the floor)"},
    {"run": "RNN", "T": 20, "validation accuracy (quoted)": "0.0996 after epoch 1, 0.524 after epoch 2, then about "
     "0.20 to its last", "final losses (quoted)": "about 2.217"},
]


def _never(x: int | None) -> str:
    return "never" if x is None else str(x)


def run_rows(res: dict, target: float) -> list[dict]:
    rows = []
    for g in res["groups"]:
        for r in g["runs"]:
            c = r["val_acc_curve"]
            rows.append({"run": LABELS[g["variant"]], "T": g["T"], "seed": r["seed"], "epochs": f"{g['epochs']:,}",
                         "final val acc": f"{r['final_val_acc']:.4f}", "final train acc": f"{r['final_train_acc']:.4f}",
                         "peak val acc": f"{r['peak_val_acc']:.4f} (epoch {r['peak_epoch']})",
                         f"first ≥ {target:g}": _never(cc.first_reached(c, target)),
                         "held from": _never(cc.held_from(c, target)), "fell back": cc.falls(c, target),
                         "final train loss": f"{r['final_train_loss']:.4f}", "seconds": f"{r['train_seconds']:.1f}"})
    return rows


def data_rows(res: dict) -> list[dict]:
    return [{"run": LABELS[g["variant"]], "T": g["T"], "palindromes (asked)": f"{g['palindromes']:,} "
             f"({g['palindromes_asked']:,}; {g['distinct']:,} exist)",
             "train / validation": f"{g['train']:,} / {g['val']:,}",
             "used per epoch": f"{g['train_used']:,} / {g['val_used']:,}" + (" (last partial batch dropped)"
                                                                              if g["drop_last"] else ""),
             "epochs": f"{g['epochs']:,}", "differs from the course": "; ".join(g["deviations"]) or "nothing"}
            for g in res["groups"]]


def softmax_rows(res: dict, target: float) -> list[dict]:
    """The student's LSTM against its one-softmax twin, same data, split and weights, per length."""
    by = {(g["variant"], g["T"]): g for g in res["groups"]}
    rows = []
    for (variant, T), fixed in by.items():
        if variant != "lstm_corrected" or ("lstm", T) not in by:
            continue
        for name, g in (("two softmaxes (the student's)", by[("lstm", T)]), ("one softmax", fixed)):
            rows.append({"T": T, "output": name,
                         "final val acc per seed": ", ".join(f"{r['final_val_acc']:.4f}" for r in g["runs"]),
                         f"first ≥ {target:g} (epoch)": ", ".join(_never(cc.first_reached(r["val_acc_curve"], target))
                                                          for r in g["runs"]),
                         "final train loss": ", ".join(f"{r['final_train_loss']:.4f}" for r in g["runs"])})
    return rows


def protocol_rows(res: dict, p: PalindromeParams) -> list[dict]:
    """seqlab's headline protocol against the course's, setting by setting."""
    c, d, t = res["params"], p.palindrome.data, p.palindrome.train
    sizes = res["course_sizes"]
    return [
        {"": "input", "seqlab's headline study": f"each digit one-hot over {d.base}",
         "CS324 (the student's scripts)": "each digit one scalar value (input_dim 1)"},
        {"": "network", "seqlab's headline study": f"LSTM `{p.lstm.impl}`, RNN `{p.rnn.impl}`, hidden {t.hidden}; one "
         f"bias per gate where hand-written, forget-gate bias {t.forget_bias:g}",
         "CS324 (the student's scripts)": f"hand-written LSTM and tanh RNN, hidden {c['hidden']}, an nn.Linear pair per "
         "gate (two biases), torch's Linear init (U(−1, 1) on the scalar input), no forget-gate offset"},
        {"": "output and loss", "seqlab's headline study": "logits into the cross-entropy",
         "CS324 (the student's scripts)": "a softmax, then CrossEntropyLoss (a softmax taken twice; the loss cannot "
         f"fall below {res['loss_floor']:.5f})"},
        {"": "optimiser", "seqlab's headline study": f"Adam, lr {t.lr:g}, clipping at {t.clip_norm:g}",
         "CS324 (the student's scripts)": f"RMSprop, lr {c['lr']:g}, clipping at {c['clip_norm']:g} (the RNN's StepLR "
         "never stepped)"},
        {"": "data", "seqlab's headline study": f"up to {d.n_train:,} / {d.n_val:,} / {d.n_test:,} distinct palindromes "
         "in disjoint train / validation / test splits",
         "CS324 (the student's scripts)": f"up to {sizes['lstm']['palindromes']:,} (LSTM) or "
         f"{sizes['rnn']['palindromes']:,} (RNN) distinct palindromes, split {c['train_share']:.0%} / "
         f"{1 - c['train_share']:.0%} at random into train and validation"},
        {"": "schedule", "seqlab's headline study": f"{t.steps:,} steps of batch {t.batch_size}, shuffled",
         "CS324 (the student's scripts)": f"{sizes['lstm']['epochs']} (LSTM) or {sizes['rnn']['epochs']:,} (RNN) "
         f"epochs of batch {c['batch_size']}, in a fixed order"},
        {"": "metric", "seqlab's headline study": "accuracy on the held-out test split after training",
         "CS324 (the student's scripts)": "accuracy on the validation split after each epoch (printed as \"Test Acc\")"},
        {"": "seeds", "seqlab's headline study": f"{len(t.seeds)}: data, weights and batch order seeded",
         "CS324 (the student's scripts)": "one unseeded run per length; here seeds "
         f"{', '.join(map(str, c['seeds']))}, each seeding the data, split and weights"},
    ]


def course_section(res: dict, p: PalindromeParams) -> list[str]:
    target = p.palindrome.evaluate.target_acc
    c = res["params"]
    scale = ("the student's sizes throughout" if c["scale"] == "course" else
             f"lengths up to T = {c['default_size']['whole_up_to']} at the student's sizes, longer ones cut (the "
             "`differs from the course` column; `palindrome.course.scale: course` runs every size as the student did)")
    secs = [r["train_seconds"] for g in res["groups"] for r in g["runs"]]
    mlflow = [{"run": LABELS[g["variant"]], "T": g["T"], "seed": r["seed"], "MLflow run": f"`{r['run_id']}`",
               "parent run": f"`{r['parent_run_id']}`"} for g in res["groups"] for r in g["runs"]]
    fixed = softmax_rows(res, target)
    return [
        "### The CS324 protocol, as the student's code ran it",
        "",
        "The CS324 report's palindrome claims are judged here (rows `palindrome.lstm_solves_T` and "
        "`palindrome.rnn_breaks_above_T`), with the study above as each row's corrected answer. The student's "
        "assignment-3 LSTM (`starga2er777/SUSTech_CS324`, `assignment3/Part 1` @0cd95b88) and its assignment-2 RNN "
        "(`assignment2/Part 3` @84a30884), re-run in torch with their data, initialisation, loss, optimiser and "
        f"loaders, at {scale}. The model reads the first T−1 digits of a palindrome of length T and predicts the last.",
        "",
        "#### What differs between the two protocols",
        "",
        table(protocol_rows(res, p)),
        "",
        "#### The student's own runs (quoted from its logs)",
        "",
        "The report's text gives no number, only the lengths 5 and 20 and two plots; its author's logs give these.",
        "",
        table(STUDENT_RUNS),
        "",
        f"#### Every run here (validation accuracy as the student printed it, each epoch; target {target:g})",
        "",
        "*first ≥* is the first epoch at the target, *held from* the epoch from which it never fell below it again, "
        "*fell back* how often it dropped below it after reaching it.",
        "",
        table(run_rows(res, target)),
        "",
        f"With the softmax taken twice, CrossEntropyLoss cannot fall below −log(e/(e+9)) = {res['loss_floor']:.5f}, "
        "even at a perfect prediction: its gradient shrinks as the softmax saturates.",
        "",
        *(["#### What the double softmax costs", "",
           "The student's LSTM against the same network with the logits into the loss, on the same palindromes, "
           "split and initial weights.", "", table(fixed), ""] if fixed else []),
        fig(STUDY, "lstm.png", "The student's LSTM per epoch: validation accuracy and training loss"),
        "",
        fig(STUDY, "rnn.png", "The student's RNN per epoch: validation accuracy and training loss"),
        "",
        "#### Data and cost",
        "",
        table(data_rows(res)),
        "",
        f"{len(secs)} training runs, {sum(secs):.0f} s of training in total. Parameters: LSTM "
        f"{res['n_params']['lstm']:,}, RNN {res['n_params']['rnn']:,}. MLflow experiment `{STUDY}`.",
        "",
        "<details><summary>MLflow runs</summary>",
        "",
        table(mlflow),
        "",
        "</details>",
        "",
    ]
