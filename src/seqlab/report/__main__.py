"""Stage report: reports/report.md and a self-contained reports/report.html.

    python -m seqlab.report
"""

from seqlab.core.cli import run_stage
from seqlab.report.build import write_report
from seqlab.studies.registry import parse_all

if __name__ == "__main__":
    run_stage(__doc__, parse_all, {"report": write_report}, record=False)
