"""Accuracy and ranking metrics over one user's held-back ratings.

All functions take ``predicted`` and ``true``: (n,) float arrays of the same
user's target ratings (stars), in the same order.
"""

from __future__ import annotations

import numpy as np

TOP_N = 10


def ndcg_at(predicted: np.ndarray, true: np.ndarray, n: int = TOP_N) -> float:
    """NDCG@n of the ranking by predicted rating, with gain 2^true rating - 1.

    The ideal ranking orders the same movies by their true rating. Ties in the
    predictions are broken by position (a stable sort), never by the truth.
    """
    order = np.argsort(-predicted, kind="stable")[:n]
    discounts = 1.0 / np.log2(np.arange(2, min(n, len(true)) + 2))
    dcg = float(np.sum(_gain(true[order]) * discounts[: len(order)]))
    ideal = float(np.sum(_gain(np.sort(true)[::-1][:n]) * discounts[: min(n, len(true))]))
    return dcg / ideal if ideal > 0 else 0.0


def top_mean(predicted: np.ndarray, true: np.ndarray, n: int = TOP_N) -> float:
    """Mean true rating of the n movies predicted highest."""
    return float(true[np.argsort(-predicted, kind="stable")[:n]].mean())


def bottom_mean(predicted: np.ndarray, true: np.ndarray, n: int = TOP_N) -> float:
    """Mean true rating of the n movies predicted lowest."""
    return float(true[np.argsort(predicted, kind="stable")[:n]].mean())


def squared_and_absolute(predicted: np.ndarray, true: np.ndarray) -> tuple[float, float]:
    """(sum of squared errors, sum of absolute errors)."""
    err = predicted.astype(np.float64) - true
    return float(np.sum(err * err)), float(np.sum(np.abs(err)))


def _gain(stars: np.ndarray) -> np.ndarray:
    """Graded relevance 2^rating - 1: a 5-star movie is worth far more near the top than a 3."""
    return np.power(2.0, stars) - 1.0
