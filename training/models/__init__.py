"""Model 1 (movie vectors), Model 2 (cold-start user tower), baselines and toy models.

Every cold-start model exposes the same surface (``fit(train)``,
``predict(given_rows, given_ratings)``) so one evaluation loop compares them
all; see ``training.evaluation.protocol``.
"""
