"""Rating metrics: how well predicted stars match a newcomer's held-back ratings.

Per user, ``ndcg_at``, ``top_mean``, ``bottom_mean`` and
``squared_and_absolute`` take ``predicted`` and ``true``: (n,) float arrays
of the same user's target ratings (stars), in the same order. Over many
users, ``score``, ``rmse``, ``ndcg``, ``recall_at`` and ``rating_stats``
take (U, n_movies) predictions and the U users' targets. The lists a person
sees (full-catalog top and bottom 10) are judged in ``lists``.
"""

from __future__ import annotations

import numpy as np

from training.coldstart.ratings import CatalogRatings

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


def score(predictions: np.ndarray, targets: CatalogRatings) -> dict:
    """Metrics of (U, n_movies) predictions against U users' targets: rmse, mae, ndcg@10, the true means of the
    10 predicted highest and lowest, and the counts."""
    sse = sae = 0.0
    n = 0
    ndcg_, top, bottom = [], [], []
    for u in range(targets.n_users):
        rows, true = targets.user(u)
        pred = predictions[u, rows]
        s, a = squared_and_absolute(pred, true)
        sse, sae, n = sse + s, sae + a, n + len(rows)
        ndcg_.append(ndcg_at(pred, true))
        top.append(top_mean(pred, true))
        bottom.append(bottom_mean(pred, true))
    return {
        "rmse": float(np.sqrt(sse / n)),
        "mae": sae / n,
        "ndcg@10": float(np.mean(ndcg_)),
        "top10_true_mean": float(np.mean(top)),
        "bottom10_true_mean": float(np.mean(bottom)),
        "n_users": int(targets.n_users),
        "n_targets": int(n),
    }


def rmse(predictions: np.ndarray, targets: CatalogRatings) -> float:
    """RMSE of (U, n_movies) predicted stars over U users' target ratings (pooled over all targets)."""
    users, rows, ratings = targets.triples()
    err = predictions[users, rows].astype(np.float64) - ratings
    return float(np.sqrt(np.mean(err * err)))


def ndcg(predictions: np.ndarray, targets: CatalogRatings) -> float:
    """Mean over users of NDCG@10 of their target movies ranked by the predictions (gain 2^stars - 1)."""
    return float(np.mean([ndcg_at(predictions[u, rows], true) for u, (rows, true) in _per_user(targets)]))


def _per_user(targets: CatalogRatings):
    return ((u, targets.user(u)) for u in range(targets.n_users))


def recall_at(scores: np.ndarray, given_rows: np.ndarray, targets: CatalogRatings, n: int = TOP_N) -> float:
    """Mean over users of hits among the n best-scored unrated catalog movies / min(n, number of targets).

    Every target counts as relevant (what the user watched). The denominator is Steck's (2019) normalized
    recall: a user with 50 targets can still score 1.
    """
    scores = np.array(scores, dtype=np.float64)
    present = given_rows >= 0
    scores[np.repeat(np.arange(len(scores)), present.sum(axis=1)), given_rows[present]] = -np.inf
    top = np.argpartition(-scores, n, axis=1)[:, :n]
    hits = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(hits, top, True, axis=1)
    users, rows, _ = targets.triples()
    found = np.bincount(users, weights=hits[users, rows], minlength=targets.n_users)
    return float(np.mean(found / np.minimum(targets.counts(), n)))


def rating_stats(predicted: np.ndarray, targets: np.ndarray, with_errors: bool = True) -> dict:
    """Per-user accuracy and rated-target ranking of (U, n_movies) predictions against (U, n_movies) targets
    (NaN where not a target): {"ndcg_rated@10", and with ``with_errors`` "sse", "sae", "n_targets"}, each (U,)."""
    u_count = targets.shape[0]
    ndcg_ = np.full(u_count, np.nan)
    sse, sae, count = np.zeros(u_count), np.zeros(u_count), np.zeros(u_count)
    for u in range(u_count):
        cols = np.flatnonzero(~np.isnan(targets[u]))
        if len(cols) == 0:
            continue
        ndcg_[u] = ndcg_at(predicted[u, cols].astype(np.float64), targets[u, cols].astype(np.float64))
        if with_errors:
            sse[u], sae[u] = squared_and_absolute(predicted[u, cols], targets[u, cols].astype(np.float64))
        count[u] = len(cols)
    out = {"ndcg_rated@10": ndcg_}
    if with_errors:
        out.update(sse=sse, sae=sae, n_targets=count)
    return out


def _gain(stars: np.ndarray) -> np.ndarray:
    """Graded relevance 2^rating - 1: a 5-star movie is worth far more near the top than a 3."""
    return np.power(2.0, stars) - 1.0
