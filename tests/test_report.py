import io
import json
import re

import numpy as np
from PIL import Image

from seqlab.report import ledger, palette_png, provenance, to_html


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def test_the_html_embeds_its_figures(tmp_path):
    (tmp_path / "fig.png").write_bytes(_png(np.zeros((4, 4, 3), dtype=np.uint8)))
    html = to_html("# t\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![x](fig.png)\n", tmp_path)
    assert "<table>" in html and "<td>1</td>" in html
    assert re.search(r'src="data:image/png;base64,iVBORw0K', html)
    assert "fig.png" not in html and "http" not in html


def test_embedded_figures_keep_their_pixels_in_a_palette():
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, size=(200, 3), dtype=np.uint8)  # a figure with 200 distinct colours
    pixels = colours[rng.integers(0, 200, size=(120, 160))]
    small = palette_png(_png(pixels))
    back = np.asarray(Image.open(io.BytesIO(small)).convert("RGB"))
    assert Image.open(io.BytesIO(small)).mode == "P" and np.array_equal(back, pixels)


def test_the_ledger_and_provenance_come_from_their_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports/claims").mkdir(parents=True)
    rows = [{"id": "a.one", "claim": "A beats B.", "source": "course report (a)", "criterion": "A − B > 2 SE.",
             "verdict": "within noise", "evidence": "+0.001 ± 0.002", "numbers": {}}]
    (tmp_path / "reports/claims/results.json").write_text(json.dumps({"claims": rows}))
    md = "\n".join(ledger())
    assert "“A beats B.”" in md and "**within noise**" in md and "This run: 1 within noise." in md
    assert "`a.one`: **within noise**. *Criterion:* A − B > 2 SE. *Evidence:* +0.001 ± 0.002." in md

    (tmp_path / "reports/provenance").mkdir()
    record = {"stage": "a_train", "commit": "0123456789abcdef", "code_changed": False, "params_changed": True,
              "dvc_experiment": "brisk-hare", "seconds": 90.0, "cpu": "Some CPU", "cores": 2, "python": "3.11.7",
              "torch": "2.14.1", "torch_threads": 1, "thread_env": {}}
    (tmp_path / "reports/provenance/a_train.json").write_text(json.dumps(record))
    md = "\n".join(provenance())
    assert "1.5 minutes over 1 stages" in md and "| a_train " in md and "0123456789" in md and "Some CPU" in md


def test_a_sweep_shortfall_counts_only_beyond_the_test_sets_binomial_error():
    import math

    from seqlab.studies.sweep.report import _beyond_noise

    # 3 seeds x 87 test sequences, one seed 3 sequences short: 0.0015 below 0.99, 2 SE = 2 sqrt(.99 * .01 / 261)
    beyond, words = _beyond_noise([1.0, 1.0, 84 / 87], 0.99, 87)
    assert not beyond and f"within 2 SE ({2 * math.sqrt(0.99 * 0.01 / 261):.3f}; 3 × 87 test sequences)" in words
    assert _beyond_noise([1.0, 1.0, 0.10], 0.99, 5000)[0]  # a failed seed on a large test set is a failure
    assert not _beyond_noise([0.989], 0.99, 5000)[0] and _beyond_noise([0.98], 0.99, 5000)[0]  # 2 SE = 0.0028
