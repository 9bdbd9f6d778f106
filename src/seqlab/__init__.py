"""seqlab: classic recurrent-network studies as one reproducible DVC pipeline.

Layers, each importing only those below it:

    report/           the report stage: assembles the sections of the registered studies
    studies/<name>/   one folder per study: params schema, steps, figures, report section
    viz.py, markdown.py   figure helpers; report-section formatting
    training/         the one training loop, metrics, run records, worker processes, seeding
    models/, tasks/   models by name with typed configs; seeded data generators and loaders
    core/             params, paths, errors, the stage CLI, MLflow tracking
"""
