"""The two stages that read every registered study: the claims ledger (``python -m
seqlab.report.ledger``) and the report (``python -m seqlab.report``, built by build.py)."""
