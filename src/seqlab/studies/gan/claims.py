"""The CS324 report's claims about its GAN, judged on the course's protocol (course_claims: the
stages gan_course_*), with this study's run as the corrected answers beside them."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.judging.verdicts import Claim
from seqlab.studies.gan.course_claims import course_claims
from seqlab.studies.gan.course_report import load_record
from seqlab.studies.gan.params import GanParams

STUDY = "gan"
COURSE_STUDY = "gan_course"  # stage gan_course_evaluate's results


def claims(p: GanParams) -> list[Claim]:
    return course_claims(read_json(paths.study_results(COURSE_STUDY)), read_json(paths.study_results(STUDY)), load_record())
