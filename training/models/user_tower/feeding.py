"""Feeding the user tower: simulated cold-start batches built from the per-user table, as numpy arrays.

Each step, each training user in a batch gives a random k (1..16, ``sample_k``)
of their ratings as input and every other rating they have is a target
(``training.coldstart.newcomers.sample_given``), so one tower pass trains on
many targets. Batches are built on the fly; all 16x16 inputs are never
materialized at once. The Keras datasets over them are in ``keras_data``.
"""

from __future__ import annotations

import numpy as np

from screen_genius import features
from training.coldstart.newcomers import sample_given, trainable
from training.models.user_tower.config import MAX_RATINGS


def sample_k(n_ratings: np.ndarray, max_given: int, distribution: str, rng: np.random.Generator) -> np.ndarray:
    """(B,) given-rating counts for simulated users with ``n_ratings`` ratings each (at least 2).

    "uniform": k uniform in 1..min(n - 1, max_given). "log": P(k) proportional
    to 1/k over the same range, so 1, 2, 4, 8 and 16 given ratings weigh
    alike, as in the evaluation protocol (a new user's first ratings matter most).
    """
    top = np.minimum(n_ratings - 1, max_given)
    if distribution == "uniform":
        return rng.integers(1, top + 1)
    if distribution != "log":
        raise ValueError(f"k_distribution must be 'uniform' or 'log', not {distribution!r}")
    # inverse CDF of 1/k on [1, top + 1): floor(exp(u * log(top + 1)))
    return np.minimum(np.floor(np.exp(rng.random(len(top)) * np.log(top + 1.0))).astype(np.int64), top)


def make_batch(
    train,
    batch: np.ndarray,
    movie_vectors: np.ndarray,
    offset: float,
    rng: np.random.Generator,
    max_given: int = MAX_RATINGS,
    k_distribution: str = "uniform",
):
    """Simulated cold-start users ``batch`` (positions in ``train``): (x, targets, mask).

    x (B, 16, 16) float32 user matrices of k random given ratings each;
    targets and mask (B, n_movies) float32, mask 1 where the user rated the
    movie and it was not among the inputs.
    """
    b, n_items = len(batch), train.n_items
    targets = np.zeros((b, n_items), dtype=np.float32)
    mask = np.zeros((b, n_items), dtype=np.float32)
    ks = sample_k(train.counts()[batch], max_given, k_distribution, rng)
    given_rows, given_ratings, user, rows, ratings, is_target = sample_given(train, batch, ks, rng)
    targets[user, rows] = ratings
    mask[user[is_target], rows[is_target]] = 1.0
    return features.user_matrices(movie_vectors, given_rows, given_ratings, offset), targets, mask


def cold_start_batches(
    train,
    movie_vectors: np.ndarray,
    offset: float,
    batch_users: int,
    rng: np.random.Generator,
    max_given: int = MAX_RATINGS,
    k_distribution: str = "uniform",
):
    """One epoch of simulated cold-start batches (``make_batch``), streamed, users shuffled by ``rng``.

    Users with fewer than 2 ratings are skipped.
    """
    users = trainable(train)
    rng.shuffle(users)
    for start in range(0, len(users), batch_users):
        yield make_batch(
            train, users[start : start + batch_users], movie_vectors, offset, rng, max_given, k_distribution
        )


def as_sample_weights(mask: np.ndarray) -> np.ndarray:
    """Mask (B, n_movies) -> Keras sample weights whose weighted mean squared error is SSE / targets in the batch."""
    return (mask * (mask.size / max(float(mask.sum()), 1.0))).astype(np.float32)


def fixed_validation(
    train, movie_vectors, offset, seed: int, max_given: int = MAX_RATINGS, k_distribution: str = "uniform"
):
    """A fixed set of simulated cold-start batches for validation curves and early stopping."""
    rng = np.random.default_rng(seed)
    return list(cold_start_batches(train, movie_vectors, offset, 256, rng, max_given, k_distribution))
