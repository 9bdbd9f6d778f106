import io
import json
import re

import numpy as np
from PIL import Image

from seqlab.report.build import embedded, ledger, palette_png, provenance, to_html


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def test_the_html_embeds_its_figures(tmp_path):
    (tmp_path / "fig.png").write_bytes(_png(np.zeros((4, 4, 3), dtype=np.uint8)))
    html = to_html("# t\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![x](fig.png)\n", tmp_path)
    assert "<table>" in html and "<td>1</td>" in html
    assert re.search(r'src="data:image/webp;base64,UklGR', html)  # "RIFF": a WebP file
    assert "fig.png" not in html and "http" not in html


def test_embedded_figures_keep_their_pixels_in_a_palette():
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, size=(200, 3), dtype=np.uint8)  # a figure with 200 distinct colours
    pixels = colours[rng.integers(0, 200, size=(120, 160))]
    small = palette_png(_png(pixels))
    back = np.asarray(Image.open(io.BytesIO(small)).convert("RGB"))
    assert Image.open(io.BytesIO(small)).mode == "P" and np.array_equal(back, pixels)


def test_an_antialiased_figure_gets_the_smaller_palette():
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, size=(300, 3), dtype=np.uint8)  # more colours than a palette holds
    pixels = colours[rng.integers(0, 300, size=(120, 160))]
    small = Image.open(io.BytesIO(palette_png(_png(pixels))))
    assert small.mode == "P" and 1 < len(small.getcolors()) <= 32


def test_the_embedded_webp_keeps_every_pixel_of_the_palette_image():
    rng = np.random.default_rng(1)
    colours = rng.integers(0, 256, size=(300, 3), dtype=np.uint8)
    png = _png(colours[rng.integers(0, 300, size=(90, 70))])
    webp = Image.open(io.BytesIO(embedded(png)))
    palette = Image.open(io.BytesIO(palette_png(png)))
    assert webp.format == "WEBP" and webp.size == (70, 90)
    assert np.array_equal(np.asarray(webp.convert("RGB")), np.asarray(palette.convert("RGB")))


def test_the_ledger_and_provenance_come_from_their_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports/claims").mkdir(parents=True)
    from seqlab.judging.verdicts import NOISE, SEQLAB, Claim, Verdict

    rows = [Claim("a.one", "A beats B.", "uva", "A − B > 2 SE.", Verdict(NOISE, "+0.001 ± 0.002"), SEQLAB,
                  ("hidden 64, not 256",), "B beats A").row()]
    (tmp_path / "reports/claims/results.json").write_text(json.dumps({"claims": rows}))
    md = "\n".join(ledger())
    assert "“A beats B.”" in md and "**within noise**" in md and "This run: 1 within noise." in md
    assert "| UvA Deep Learning 2020, assignment 2 report | seqlab's protocol |" in md
    assert ("`a.one`: **within noise**, judged on seqlab's protocol. *Criterion:* A − B > 2 SE. *Deviations from the "
            "course's protocol:* hidden 64, not 256. *Evidence:* +0.001 ± 0.002. *Corrected protocol:* B beats A.") in md

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


def test_the_speed_section_totals_stages_per_study_against_the_recorded_baseline(tmp_path, monkeypatch):
    from seqlab.report import speed

    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports/provenance").mkdir(parents=True)
    stages = [("lstmae_prices_train", 100.0, 2.0, {"runs": 2, "samples": 50000, "train_seconds": 90.0,
                                                   "samples_per_s": 500.0, "samples_per_train_s": 555.6}),
              ("lstmae_figures", 4.0, 4.0, None), ("palindrome_train-gru", 54.0, 6.0, None)]
    for stage, secs, up, trained in stages:
        (tmp_path / f"reports/provenance/{stage}.json").write_text(json.dumps(
            {"stage": stage, "seconds": secs, "startup_seconds": up, "training": trained}))
    assert speed.study_of("lstmae_prices_train") == "lstmae" and speed.study_of("claims") == "claims"
    md = "\n".join(speed.section())
    assert "No cell benchmark is recorded" in md
    assert "2.8 minutes of stage processes" in md  # (100 + 2 + 4 + 4 + 54 + 6) s = 170 s
    assert "2.6 in the stages' steps and 0.2 in process start-up" in md
    assert "| lstmae  " in md and "| 1.7 " in md and "| 0.9 " in md  # 104 s and 54 s of steps
    assert "| 50,000 " in md and "| 500 " in md

    (tmp_path / "benchmarks/recorded").mkdir(parents=True)
    before = {"source": "commit abcdef0 on Some CPU",
              "stages": [{"stage": "lstmae_prices_train", "seconds": 200.0},
                         {"stage": "lstmae_figures", "seconds": 8.0},
                         {"stage": "palindrome_train-gru", "seconds": 162.0}]}
    (tmp_path / "benchmarks/recorded/pipeline_before.json").write_text(json.dumps(before))
    bench = {"config": {"batch": 128, "hidden": 128, "classes": 10, "threads": 2}, "device": "Some CPU",
             "torch": "2.14.1", "commit": "fedcba987654", "gemm_gflops": {"square_2048": 200.0, "recurrent_step": 150.0},
             "results": [{"model": "lstm", "impl": "fused", "T": 20, "median_ms": 8.0, "vs_fused": 1.0, "peer": "lstm fused",
                          "gflops": 125.0, "of_roofline": 0.625},
                         {"model": "lstm", "impl": "cell", "T": 20, "median_ms": 10.0, "vs_fused": 1.25,
                          "peer": "lstm fused", "gflops": 100.0, "of_roofline": 0.5}]}
    (tmp_path / "benchmarks/recorded/cells.json").write_text(json.dumps(bench))
    md = "\n".join(speed.section())
    assert "(commit abcdef0 on Some CPU)" in md
    assert "| 2.00× " in md and "| 3.00× " in md  # lstmae 208 s -> 104 s; palindrome 162 s -> 54 s
    assert "Slowest cell relative to its peer: lstm at T = 20, 1.25×." in md and "| 1.25× (lstm fused) " in md
