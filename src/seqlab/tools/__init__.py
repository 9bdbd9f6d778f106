"""Command-line tools that are no pipeline stage: the noise check of `dvc metrics diff`, the
record of a grid of queued experiments, and the generator of dvc.yaml."""
