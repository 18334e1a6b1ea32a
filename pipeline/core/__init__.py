"""Core layer: settings, errors, file I/O, Swedish formatting, identifiers, the shared vocabulary.

Imports nothing from the other layers of the package.
"""
