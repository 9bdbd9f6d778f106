import json
import re

from seqlab.report import ledger, provenance, to_html


def test_the_html_embeds_its_figures(tmp_path):
    (tmp_path / "fig.png").write_bytes(b"\x89PNG\r\n")
    html = to_html("# t\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![x](fig.png)\n", tmp_path)
    assert "<table>" in html and "<td>1</td>" in html
    assert re.search(r'src="data:image/png;base64,iVBORw0K', html)
    assert "fig.png" not in html and "http" not in html


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
