"""Validation users inside the training users: how the peers choose their hyper-parameters.

A peer's ``fit(train)`` must never see a test user, so every choice is made on
users drawn (seeded) from ``train`` itself: the rest fit a candidate, and each
validation user becomes a simulated cold-start user (a seeded permutation of
their ratings; the first ``k_max`` are the given ratings, the rest targets),
as the evaluation protocol does with held-out users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.models.catalog_ratings import CatalogRatings

KS = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class SimulatedUsers:
    """U validation users: their first ``k_max`` ratings as input, the rest as targets.

    given_rows, given_ratings: (U, k_max) int64 / float32 in draw order.
    targets: CatalogRatings of the same U users holding only the target ratings.
    """

    given_rows: np.ndarray
    given_ratings: np.ndarray
    targets: CatalogRatings

    def given(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(U, k_max) rows/ratings with the first k given and the rest -1 / 0."""
        rows, ratings = self.given_rows.copy(), self.given_ratings.copy()
        rows[:, k:], ratings[:, k:] = -1, 0.0
        return rows, ratings


MAX_USERS = 5_000  # validation users at most: the choices are a few numbers; at 480K users 15% would be 60,000


def split_users(
    train: CatalogRatings, fraction: float = 0.15, seed: int = 0, min_ratings: int = 21, max_users: int = MAX_USERS
) -> tuple[CatalogRatings, CatalogRatings]:
    """(fit users, validation users): ``fraction`` of the users with >= min_ratings ratings, at most
    ``max_users`` of them, seeded; every other user fits."""
    candidates = np.flatnonzero(train.counts() >= min_ratings)
    n_val = min(round(fraction * len(candidates)), max_users)
    if n_val == 0 or n_val == train.n_users:
        raise ValueError(
            f"cannot draw validation users: {len(candidates)} training users have "
            f">= {min_ratings} ratings, of {train.n_users}"
        )
    val = np.sort(np.random.default_rng(seed).choice(candidates, n_val, replace=False))
    rest = np.setdiff1d(np.arange(train.n_users), val)
    return train.subset(rest), train.subset(val)


def simulate(users: CatalogRatings, seed: int = 0, k_max: int = max(KS)) -> SimulatedUsers:
    """Each user's ratings in a seeded random order: the first k_max given, the rest targets.

    Users need more than k_max ratings (``split_users`` draws only such users).
    """
    counts = users.counts()
    if np.any(counts <= k_max):
        raise ValueError(f"every simulated user needs more than {k_max} ratings")
    rng = np.random.default_rng(seed)
    given_rows = np.empty((users.n_users, k_max), dtype=np.int64)
    given_ratings = np.empty((users.n_users, k_max), dtype=np.float32)
    t_users, t_rows, t_ratings = [], [], []
    for u in range(users.n_users):
        rows, ratings = users.user(u)
        order = rng.permutation(len(rows))
        given_rows[u], given_ratings[u] = rows[order[:k_max]], ratings[order[:k_max]]
        rest = order[k_max:]
        t_users.append(np.full(len(rest), users.user_ids[u]))
        t_rows.append(rows[rest])
        t_ratings.append(ratings[rest])
    targets = CatalogRatings.build(
        np.concatenate(t_users), np.concatenate(t_rows), np.concatenate(t_ratings), users.n_items
    )
    return SimulatedUsers(given_rows, given_ratings, targets)


def rmse(predictions: np.ndarray, targets: CatalogRatings) -> float:
    """RMSE of (U, n_movies) predicted stars over U users' target ratings."""
    users, rows, ratings = targets.triples()
    err = predictions[users, rows].astype(np.float64) - ratings
    return float(np.sqrt(np.mean(err * err)))


def ndcg(predictions: np.ndarray, targets: CatalogRatings) -> float:
    """Mean NDCG@10 of each user's target movies ranked by the predictions (gain 2^stars - 1)."""
    from training.evaluation.metrics import ndcg_at

    return float(
        np.mean(
            [
                ndcg_at(predictions[u, rows], true)
                for u, (rows, true) in ((u, targets.user(u)) for u in range(targets.n_users))
            ]
        )
    )


def recall_at(scores: np.ndarray, given_rows: np.ndarray, targets: CatalogRatings, n: int = 10) -> float:
    """Mean over users of hits among the n best-scored unrated catalog movies / min(n, number of targets).

    The denominator is Steck's (2019) normalized recall: a user with 50 targets can still score 1.
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
