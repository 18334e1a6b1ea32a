"""Finsam follow-up pipeline: cleaning, reconciliation, models and appendices (bilagor).

Notebooks in ``notebooks/`` are thin; every function they call lives here.
"""

__version__ = "0.1.0"
