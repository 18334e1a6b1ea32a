"""Sources layer: reads and cleans raw inputs (published transcriptions, register exports, the enkät).

Imports only from ``pipeline.core``.
"""
