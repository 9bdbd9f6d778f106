"""Presenting results: figure helpers (viz, gallery) and the report's markdown tables."""
