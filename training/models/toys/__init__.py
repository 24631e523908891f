"""Toy models of the original project, compared on a warm-start split.

Each exposes ``fit(users, items, ratings)`` and ``predict(users, items)``
over integer-coded users and items (``training.evaluation.protocol.WarmStartModel``).
"""
