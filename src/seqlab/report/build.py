"""The report: reports/report.md and a self-contained reports/report.html, from stage outputs only.

The report assembles the sections of the studies the registry lists (seqlab.studies.registry),
in its order; it knows no study by name. Each section reads only its study's stage outputs, so
every number is read from a file a stage of this run wrote. The HTML embeds its figures as data
URIs, so it opens offline (`dvc plots show` needs a CDN).

The stage runs ``python -m seqlab.report`` (report/__main__.py). The study sections format
their tables with seqlab.present.markdown, so nothing below the report imports it.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from markdown_it import MarkdownIt
from PIL import Image

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.core.provenance import code_changed
from seqlab.core.tracking import git_commit
from seqlab.present.markdown import table
from seqlab.report import speed
from seqlab.studies.registry import STUDIES, study_module
from seqlab.judging.verdicts import COURSE, OTHER_TASK, SEQLAB, VERDICTS

PROTOCOL_NAMES = {COURSE: "the course's protocol", SEQLAB: "seqlab's protocol", OTHER_TASK: "another task"}

# --- assembly -----------------------------------------------------------------------------------


# What this package imports by name, for tools that follow imports (tests/test_deps.py).
IMPORTS_BY_NAME = tuple(f"seqlab.studies.{name}.report" for name in STUDIES)


def ledger() -> list[str]:
    """The claims ledger (written by the claims stage, seqlab.report.ledger): a verdict per course claim."""
    rows = read_json(paths.study_results("claims"))["claims"]
    counts = ", ".join(f"{sum(r['verdict'] == v for r in rows)} {v}" for v in VERDICTS
                       if any(r["verdict"] == v for r in rows))
    out = [
        "## The course's claims, judged",
        "",
        "Each claim is checked by a rule fixed in code, not by reading the numbers (its *criterion*, coded once in "
        "`seqlab/judging/verdicts.py` and the study's `claims.py`, and tested on inputs whose answer is known); the verdict "
        "follows from the rule and this run's numbers. *Mixed*: the seeds or parts disagree. *Within noise*: the difference is "
        "inside two standard errors. *Not comparable*: the claim was made on an experiment this run does not train. "
        "Each row says which protocol it was judged on: the course's (its task, model, loss and metric, at the scale "
        "stated), seqlab's own on the course's task, or seqlab's on another task, which is never judged; and it lists "
        "every deviation from the course's protocol. Quotes are the reports' own words (… marks words left out). "
        "A single seed's accuracy on 500 test images carries a binomial standard error of about ±1.3 points near "
        "90%, so a verdict resting on one is stated with it. `reports/metrics/claims.json` holds the verdicts, so "
        f"`dvc metrics diff` shows one that flips. This run: {counts}.",
        "",
        table([{"#": i, "claim (quoted)": f"“{r['claim']}”", "report": r["report"], "judged on": PROTOCOL_NAMES[r["protocol"]],
                "verdict": f"**{r['verdict']}**"} for i, r in enumerate(rows, 1)]),
        "",
    ]
    for i, r in enumerate(rows, 1):
        deviations = "; ".join(r["deviations"]) or "none"
        corrected = f" *Corrected protocol:* {r['corrected']}." if r["corrected"] else ""
        out += [f"{i}. `{r['id']}`: **{r['verdict']}**, judged on {PROTOCOL_NAMES[r['protocol']]}. *Criterion:* "
                f"{r['criterion']} *Deviations from the course's protocol:* {deviations}. *Evidence:* {r['evidence']}."
                f"{corrected}", ""]
    return out


def provenance(records: list[dict] | None = None) -> list[str]:
    """Which commit, machine and software ran each stage, and for how long (reports/provenance)."""
    records = speed.provenance_records() if records is None else records
    rows = [{"stage": r["stage"], "commit": r["commit"][:10], "code changed": "yes" if r["code_changed"] else "no",
             "params changed": "yes" if r["params_changed"] else "no",
             "DVC experiment": r["dvc_experiment"] or "", "seconds": f"{r['seconds']:,.1f}"} for r in records]
    envs = sorted({(r["cpu"], r["cores"], r["python"], r["torch"], r["torch_threads"] or "-",
                    ", ".join(f"{k}={v}" for k, v in sorted(r["thread_env"].items())) or "-") for r in records},
                  key=str)
    total = sum(r["seconds"] for r in records)
    return [
        "## Provenance",
        "",
        "Results differ between CPUs, whose floating-point paths through torch's kernels differ, so every number "
        "above is comparable only with one from the same environment. Each stage records the commit it ran at, "
        "whether the code (`src/`, `dvc.yaml`) or `params.yaml` then differed from that commit, and its step's wall "
        f"time (process start-up and imports not included): {total / 60:.1f} minutes over {len(records)} stages.",
        "",
        table([{"CPU": e[0], "cores": e[1], "Python": e[2], "torch": e[3], "torch threads (main process)": e[4],
                "numerics settings": e[5]} for e in envs]),
        "",
        "<details><summary>Every stage</summary>",
        "",
        table(rows),
        "",
        "</details>",
        "",
    ]


def build_markdown(params: dict[str, object], commit: str, code_changed: bool | None = False) -> str:
    modules = [study_module(name, "report") for name in STUDIES]
    md = [
        "# seqlab report",
        "",
        f"Assembled at git commit `{commit}`{' with uncommitted code changes' if code_changed else ''} from the "
        "outputs of the pipeline's stages; the commit, machine and wall time of each stage are under Provenance at "
        "the end. Every number below is read from a file a stage wrote, except numbers marked as quoted (from the "
        "course reports and papers).",
        "",
        "Contents: the claims ledger · " + " · ".join(m.CONTENTS for m in modules) + " · speed · provenance.",
        "",
        *ledger(),
    ]
    for name, module in zip(STUDIES, modules):
        md += module.section(params[name])
    records = speed.provenance_records()  # read once: the speed section and the provenance table show the same run
    return "\n".join(md + speed.section(records) + provenance(records))


PALETTE = 256  # a figure with at most this many colours keeps every pixel
ANTIALIASED = 32  # one with more (antialiased lines and text) gets this many: no visible change at screen size


def palette_png(png: bytes) -> bytes:
    """A figure re-encoded with a colour palette (median cut, no dithering): plots and digit grids
    use few colours, so this keeps them as drawn at about a third of the bytes, and the
    self-contained report small enough to mail and to keep in git (under 2 MB). A figure with at
    most PALETTE colours keeps every pixel; an antialiased one gets ANTIALIASED colours, whose
    shades of each line are indistinguishable at screen size. The PNG files stay as drawn."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colors = PALETTE if image.getcolors(PALETTE) is not None else ANTIALIASED  # getcolors: None when more
    out = io.BytesIO()
    image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    return out.getvalue()


def embedded(png: bytes) -> bytes:
    """A figure as the report embeds it: its palette image (:func:`palette_png`) stored as lossless
    WebP, which keeps every pixel of it in about a fifth fewer bytes than PNG (every current
    browser reads WebP data URIs)."""
    out = io.BytesIO()
    Image.open(io.BytesIO(palette_png(png))).save(out, "WEBP", lossless=True, quality=100)  # quality: effort
    return out.getvalue()


def _embed_images(html: str, base: Path) -> str:
    def data_uri(match: re.Match) -> str:
        src = match.group(1)
        payload = base64.b64encode(embedded((base / src).read_bytes())).decode()
        return f'src="data:image/webp;base64,{payload}"'

    return re.sub(r'src="([^"]+\.png)"', data_uri, html)


CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
th { background: #f3f3f3; }
img { max-width: 100%; }
code { background: #f5f5f5; padding: 0 0.2em; }
"""


def to_html(markdown: str, base: Path) -> str:
    body = MarkdownIt("commonmark").enable("table").render(markdown)
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>seqlab report</title>"
            f"<style>{CSS}</style></head><body>\n{_embed_images(body, base)}</body></html>\n")


def write_report(params: dict[str, object], tracker=None) -> tuple[Path, Path]:
    md = build_markdown(params, git_commit(), code_changed())
    paths.REPORT_MD.parent.mkdir(parents=True, exist_ok=True)
    paths.REPORT_MD.write_text(md)
    paths.REPORT_HTML.write_text(to_html(md, paths.REPORTS))
    for path in (paths.REPORT_MD, paths.REPORT_HTML):
        print(f"wrote {path}")
    return paths.REPORT_MD, paths.REPORT_HTML
