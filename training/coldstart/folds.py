"""User-level K-fold cross-validation: every user is a test (cold-start) user exactly once.

Folds come from the same hash as the published split (``ingest.split``):
users are ranked by splitmix64(user_id XOR seed) and dealt round-robin into
``n_folds`` folds, so fold sizes differ by at most one and a user's fold
depends only on the set of user ids and the seed, never on file order or on
the ratings. Inside a fold, the other folds are the training users; any
choice a model makes (early stopping, gates, blends) draws its validation
users from those training users only (``validation_users``).
"""

from __future__ import annotations

import numpy as np

from training.ingest.split import splitmix64

N_FOLDS = 5
METHOD = "rank users by splitmix64(user_id XOR seed); the user at rank r is in fold r mod n_folds"


def user_folds(user_ids: np.ndarray, n_folds: int = N_FOLDS, seed: int = 0) -> np.ndarray:
    """(n,) int fold index (0..n_folds-1) of each of the distinct, sorted ``user_ids``."""
    users = np.asarray(user_ids, dtype=np.int64)
    if n_folds < 2:
        raise ValueError(f"n_folds must be at least 2; got {n_folds}")
    if len(np.unique(users)) != len(users):
        raise ValueError("user_ids must be distinct")
    keys = splitmix64(users.astype(np.uint64) ^ np.uint64(seed))
    order = np.lexsort((users, keys))
    folds = np.empty(len(users), dtype=np.int64)
    folds[order] = np.arange(len(users)) % n_folds
    return folds


def split_fold(ratings, fold: int, n_folds: int = N_FOLDS, seed: int = 0):
    """(train, test) CatalogRatings of fold ``fold``: test = that fold's users, train = all others."""
    folds = user_folds(ratings.user_ids, n_folds, seed)
    return ratings.subset(np.flatnonzero(folds != fold)), ratings.subset(np.flatnonzero(folds == fold))
