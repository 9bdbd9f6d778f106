"""Stage report: reports/report.md and a self-contained reports/report.html."""

from seqlab.cli import run_stage
from seqlab.params.report import parse
from seqlab.report import write_report
from seqlab.tracking import git_commit


def main(params, args):
    for path in write_report(params, git_commit()):
        print(f"wrote {path}")


if __name__ == "__main__":
    run_stage(__doc__, parse, main)
