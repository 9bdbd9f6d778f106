import re

from seqlab.report import to_html
from seqlab.studies.palindrome.report import claims


def _res(**acc_by_T):
    return {"lengths": {T[1:]: {"test_acc_mean": a, "test_acc_std": 0.01, "seeds": [{"test_acc": a}] * 3}
                        for T, a in acc_by_T.items()}}


def test_claims_are_judged_from_the_numbers():
    text = "\n".join(claims({"lstm": _res(T20=1.0), "rnn": _res(T10=1.0, T20=0.4)}, 0.99))
    assert "measured test accuracy 1.000 ± 0.010 (seeds: 1.000, 1.000, 1.000)" in text
    assert "T=20: 0.400 ± 0.010 (seeds: 0.400, 0.400, 0.400)" in text
    assert text.count("**holds**") == 2
    text = "\n".join(claims({"lstm": _res(T20=0.95), "rnn": _res(T20=0.995)}, 0.99))
    assert text.count("**does not hold**") == 2
    text = "\n".join(claims({"lstm": _res(T5=1.0), "rnn": _res(T5=1.0)}, 0.99))
    assert text.count("not tested") == 2


def test_the_html_embeds_its_figures(tmp_path):
    (tmp_path / "fig.png").write_bytes(b"\x89PNG\r\n")
    html = to_html("# t\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![x](fig.png)\n", tmp_path)
    assert "<table>" in html and "<td>1</td>" in html
    assert re.search(r'src="data:image/png;base64,iVBORw0K', html)
    assert "fig.png" not in html and "http" not in html
