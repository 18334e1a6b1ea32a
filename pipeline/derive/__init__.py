"""Derive layer: tables, reconciliation, models and disclosure control built from cleaned sources.

Imports from ``pipeline.core`` and ``pipeline.sources``.
"""
