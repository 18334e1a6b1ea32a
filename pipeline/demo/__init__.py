"""Synthetic demo generators. They stand apart from the estimators: they may use ``pipeline.core``
(identifiers, I/O, vocabulary) and the published transcriptions they are calibrated to, but share no
estimator or table code, so a bug in an estimator cannot be "recovered" by a test of the demo.
"""
