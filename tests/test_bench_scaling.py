"""The scaling benchmark's seed-batched model and the report's scaling section.

- benchmarks/_seed_batched.py: S seeds trained as one stacked model are S production models:
  the same losses, gradients and, after clipping and an Adam step, the same weights; with one
  bias per gate a fused model's update is NOT reproduced (torch's two biases move twice as fast);
- seqlab.report.speed: the gains, the table and the sentence from a hand-made record, the figure
  shown only when drawn from the record as it is, and "absent" without a record.
"""

from __future__ import annotations

import json
import sys

import pytest
import torch
from torch import nn

from conftest import ROOT
from seqlab.models.recurrent import KINDS
from seqlab.models.sequence import SequenceClassifierConfig
from seqlab.report import speed

sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmark's helper is a script's module, not a package
from _seed_batched import SeedBatchedClassifier, clip_per_seed  # noqa: E402

S, B, T, H, C = 3, 8, 6, 5, 10
CLIP = 0.05  # small enough that every seed's gradient is clipped, so clipping per seed is tested


def production(kind: str, impl: str) -> list[nn.Module]:
    torch.manual_seed(0)
    return [SequenceClassifierConfig(kind, impl, C, H, C, forget_bias=1.0).build() for _ in range(S)]


def train_one_step(models, batched, x, y):
    """One clipped Adam step for the S production models and for the batched model."""
    _, losses = batched(x, y)
    batched.zero_grad()
    losses.sum().backward()
    grads = {name: p.grad.clone() for name, p in batched.named_parameters()}
    clip_per_seed(list(batched.parameters()), CLIP)
    torch.optim.Adam(batched.parameters(), lr=1e-2).step()
    singles = []
    for s, model in enumerate(models):
        _, loss = model(x[s], y[s])
        loss.backward()
        singles.append((loss.item(), {k: g.clone() for k, g in batched.seed_view(model, grad=True).items()}))
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        torch.optim.Adam(model.parameters(), lr=1e-2).step()
    return losses.detach(), grads, singles


CASES = [(k, impl) for k, spec in KINDS.items() for impl in spec.impls]


@pytest.mark.parametrize("kind,impl", CASES)
def test_the_batched_model_is_s_production_models_loss_gradients_and_update(kind, impl):
    torch.manual_seed(1)
    x, y = torch.randint(0, C, (S, B, T)), torch.randint(0, C, (S, B))
    models = production(kind, impl)
    batched = SeedBatchedClassifier(kind, S, C, H, C, two_biases=impl == "fused").load_seeds(models)
    before = {name: p.detach().clone() for name, p in batched.named_parameters()}
    losses, grads, singles = train_one_step(models, batched, x, y)
    for s, (loss, grad) in enumerate(singles):
        assert losses[s].item() == pytest.approx(loss, abs=1e-6)
        for name, g in grad.items():
            torch.testing.assert_close(grads[name][s], g, atol=1e-6, rtol=1e-5)
    assert len({round(loss, 6) for loss, _ in singles}) == S  # three different seeds, not one thrice
    for s, model in enumerate(models):
        for name, w in batched.seed_view(model).items():
            torch.testing.assert_close(batched.state_dict()[name][s], w, atol=1e-5, rtol=0)
            assert not torch.equal(before[name][s], w)  # the step moved every parameter


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_one_bias_per_gate_does_not_train_like_torchs_two(kind):
    # the same function (the loss agrees), but Adam moves b_ih and b_hh by about lr each
    torch.manual_seed(1)
    x, y = torch.randint(0, C, (S, B, T)), torch.randint(0, C, (S, B))
    models = production(kind, "fused")
    batched = SeedBatchedClassifier(kind, S, C, H, C, two_biases=False).load_seeds(models)
    losses, _, singles = train_one_step(models, batched, x, y)
    assert losses.tolist() == pytest.approx([loss for loss, _ in singles], abs=1e-6)
    summed = batched.seed_view(models[0])["bias"]  # recurrent.to_cell: b_ih + b_hh after the step
    assert (batched.bias[0] - summed).abs().max().item() > 5e-3  # about lr = 1e-2 apart


def test_clipping_per_seed_leaves_a_small_seed_alone():
    p = nn.Parameter(torch.zeros(2, 3))
    p.grad = torch.tensor([[3.0, 4.0, 0.0], [0.3, 0.4, 0.0]])  # norms 5 and 0.5
    norms = clip_per_seed([p], 1.0)
    assert norms.tolist() == pytest.approx([5.0, 0.5])
    assert p.grad[0].tolist() == pytest.approx([0.6, 0.8, 0.0], abs=1e-6)  # scaled to norm 1
    assert p.grad[1].tolist() == pytest.approx([0.3, 0.4, 0.0])  # under the limit: untouched


def test_a_batched_model_knows_its_kinds():
    with pytest.raises(ValueError, match="valid kinds: rnn, lstm, peephole, gru"):
        SeedBatchedClassifier("transformer", S, C, H, C)
    with pytest.raises(ValueError, match="needs a fused model"):
        SeedBatchedClassifier("lstm", S, C, H, C, two_biases=True).load_seeds(production("lstm", "cell"))


# --- the report's section ----------------------------------------------------------------------


def point(cell: str, T: int, hidden: int, one: float, batched: float, s1: float, bound: float) -> dict:
    ms = {"one": one, "batched": batched, "batched_s1": s1, "bound": bound}
    return {"cell": cell, "impl": "fused", "T": T, "hidden": hidden,
            "variants": {k: {"ms_per_seed": v, "iqr_ms": [v * 0.9, v * 1.1], "steps": 10} for k, v in ms.items()}}


def record() -> dict:
    """Two cells at T = 5, 20 (hidden 8) and hidden 4, 8 (T = 20): the point T = 20, hidden 8 is on both curves."""
    return {"config": {"T": [5, 20], "hidden": [4, 8], "hidden_for_T": 8, "T_for_hidden": 20, "batch": 128,
                       "seeds": 3, "threads": 1},
            "conditions": "a test", "device": "Some CPU", "torch": "2.14.1", "commit": "fedcba9876543210",
            "uncommitted_paths": 0, "seconds": 90.0,
            "results": [point("rnn", 5, 8, 2.0, 1.0, 1.5, 0.8), point("rnn", 20, 4, 3.0, 2.0, 2.2, 2.5),
                        point("rnn", 20, 8, 6.0, 4.0, 5.0, 3.0),
                        point("lstm", 5, 8, 4.0, 4.0, 4.4, 2.0), point("lstm", 20, 4, 6.0, 6.6, 8.0, 5.0),
                        point("lstm", 20, 8, 9.0, 10.0, 10.0, 12.0)]}


def test_the_gain_is_the_ratio_of_median_per_seed_times():
    p = point("rnn", 20, 8, 6.0, 4.0, 5.0, 3.0)
    assert speed.gain(p, "batched") == 1.5 and speed.gain(p, "bound") == 2.0
    assert speed.gain(p, "batched", "batched_s1") == 1.25
    bench = record()
    assert [p["T"] for p in speed.curve(bench, "rnn", "T")] == [5, 20]
    assert [p["hidden"] for p in speed.curve(bench, "lstm", "hidden")] == [4, 8]
    assert [(p["T"], p["hidden"]) for p in speed.sizes(bench, "rnn")] == [(5, 8), (20, 8), (20, 4)]  # shared once
    rows = speed.gain_rows(bench)
    assert [(r["T"], r["hidden"]) for r in rows] == [(5, 8), (20, 8), (20, 4)]
    assert rows[0]["RNN"] == "2.00× (within 1.50×, bound 2.50×)" and rows[1]["LSTM"] == "0.90× (within 1.00×, bound 0.75×)"
    lines = speed.where_it_pays(bench)
    # RNN gains: 2.0 at T = 5, 1.5 at the shared point, 1.5 at hidden 4; the LSTM at most 1.0
    assert lines[0] == "the RNN at every size measured (largest 2.00×, at T = 5; the bound's largest 2.50×, at T = 5)"
    assert lines[1] == "the LSTM nowhere (largest 1.00×, at T = 5; the bound's largest 2.00×, at T = 5)"
    assert speed.where_it_pays(bench, threshold=1.6)[0].startswith("the RNN at T = 5 (largest")
    assert speed.where_it_pays(bench, threshold=1.5)[0].startswith("the RNN at every size measured (largest")
    bench["results"][2]["variants"]["batched"]["ms_per_seed"] = 6.0  # the shared point: no gain now
    assert speed.where_it_pays(bench)[0].startswith("the RNN at every size but T = 20 at hidden 8 (largest")


def test_the_section_draws_the_record_and_says_when_it_is_absent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports/provenance").mkdir(parents=True)
    md = "\n".join(speed.section([]))
    assert "No scaling benchmark is recorded (`benchmarks/recorded/scaling.json` is absent)" in md

    (tmp_path / "benchmarks/recorded").mkdir(parents=True)
    speed.SCALING.write_text(json.dumps(record()))
    md = "\n".join(speed.scaling_section())
    assert "No scaling benchmark" not in md and "on Some CPU, 1 torch thread" in md and "`fedcba9876`" in md
    assert "is missing or was drawn from another record" in md and "](../benchmarks" not in md  # no figure yet
    row = next(line for line in md.splitlines() if line.startswith("| 20 ") and "| 4 " in line)
    assert [c.strip() for c in row.split("|")[3:5]] == ["1.50× (within 1.10×, bound 1.20×)",
                                                      "0.91× (within 1.21×, bound 1.20×)"]
    assert "saves at least 1.2× per seed for the RNN at every size measured" in md and "the LSTM nowhere" in md
    assert "3 seeds batched save 1.00× to 1.50× per seed" in md  # batched_s1 / batched: 1.5, 1.1, 1.25, 1.1, 1.21, 1.0

    from seqlab.report.speed_figures import draw_scaling

    draw_scaling(speed.SCALING, speed.SCALING_FIGURE)
    md = "\n".join(speed.scaling_section())
    assert "![per-seed ms per training step" in md and "](../benchmarks/recorded/scaling.png)" in md
    speed.SCALING.write_text(json.dumps({**record(), "seconds": 91.0}))  # another record: the figure is stale
    assert "is missing or was drawn from another record" in "\n".join(speed.scaling_section())
