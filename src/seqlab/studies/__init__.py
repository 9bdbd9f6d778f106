"""One package per study. studies/registry.py lists them in the report's order."""
