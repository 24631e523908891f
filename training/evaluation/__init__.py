"""Evaluation, separate from the algorithms: one protocol and one report for every model."""
