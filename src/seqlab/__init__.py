"""seqlab: classic recurrent-network studies as one reproducible DVC pipeline.

Layers, each importing only those above it in this list (tools/ and report/ may import anything):

    core/             params (readers, schemas declared once), paths, errors, the stage CLI,
                      MLflow tracking, provenance
    tasks/, models/   seeded data generators and loaders; models by name with typed configs
    judging/          metrics and curve statistics, the verdict rules, the model-selection rule,
                      the MNIST judge classifier
    training/         the one training loop, run records, worker processes, seeding
    present/          figure helpers and the report's markdown tables
    studies/<name>/   one folder per study: stages.yaml, params schema, steps, figures, report
                      section, claims; a study never imports another
    report/           the two stages that read every registered study: the claims ledger, the report
    tools/            command-line tools: dvc.yaml's generator, the noise check, a queued grid's record
"""
