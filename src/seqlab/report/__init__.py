"""The report: reports/report.md and a self-contained reports/report.html, from stage outputs only.

The report assembles the sections of the studies the registry lists (seqlab.studies.registry),
in its order; it knows no study by name. Each section reads only its study's stage outputs, so
every number is read from a file a stage of this run wrote. The HTML embeds its figures as data
URIs, so it opens offline (`dvc plots show` needs a CDN).

The stage runs ``python -m seqlab.report`` (report/__main__.py). The study sections format
their tables with seqlab.markdown, so nothing below the report imports it.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from markdown_it import MarkdownIt

from seqlab.core import paths
from seqlab.core.tracking import git_commit
from seqlab.studies.registry import STUDIES, report_module

# --- assembly -----------------------------------------------------------------------------------


def build_markdown(params: dict[str, object], commit: str) -> str:
    modules = [report_module(name) for name in STUDIES]
    md = [
        "# seqlab report",
        "",
        f"Built from the stage outputs of one `dvc repro` at git commit `{commit}`. "
        "Every number below is read from a file a stage of that run wrote.",
        "",
        "Contents: " + " · ".join(m.CONTENTS for m in modules) + ".",
        "",
    ]
    for name, module in zip(STUDIES, modules):
        md += module.section(params[name])
    return "\n".join(md)


def _embed_images(html: str, base: Path) -> str:
    def data_uri(match: re.Match) -> str:
        src = match.group(1)
        payload = base64.b64encode((base / src).read_bytes()).decode()
        return f'src="data:image/png;base64,{payload}"'

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
    md = build_markdown(params, git_commit())
    paths.REPORT_MD.parent.mkdir(parents=True, exist_ok=True)
    paths.REPORT_MD.write_text(md)
    paths.REPORT_HTML.write_text(to_html(md, paths.REPORTS))
    for path in (paths.REPORT_MD, paths.REPORT_HTML):
        print(f"wrote {path}")
    return paths.REPORT_MD, paths.REPORT_HTML
