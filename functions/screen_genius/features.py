"""The cold-start user input: a user's ratings as a 16x16 matrix.

Row i is the vector of the i-th rated movie times (rating_i - offset); rows
past the number of ratings are zero. Training builds its batches with
``user_matrices`` and the function builds a request's input with
``request_inputs``, so the two cannot drift apart.
"""

from __future__ import annotations

import hashlib

import numpy as np

MAX_RATINGS = 16  # rows of the user matrix
VECTOR_DIM = 16  # columns: the size of a movie vector


def user_matrices(
    movie_vectors: np.ndarray, rows: np.ndarray, ratings: np.ndarray, offset: float, width: int = MAX_RATINGS
) -> np.ndarray:
    """Batch of user matrices.

    movie_vectors: (n_movies, 16) float32, one vector per catalog row.
    rows: (batch, 16) int, catalog rows of the rated movies; -1 marks an empty slot.
    ratings: (batch, 16) float, the ratings (ignored where rows is -1).
    Returns (batch, 16, 16) float32. ``width`` < 16 builds only the first
    ``width`` slots: (batch, width) in, (batch, width, 16) out.
    """
    rows = np.asarray(rows)
    ratings = np.asarray(ratings, dtype=np.float32)
    if rows.shape != ratings.shape or rows.ndim != 2 or rows.shape[1] != width or not 0 < width <= MAX_RATINGS:
        raise ValueError(f"rows and ratings must both be (batch, {width}); got {rows.shape} and {ratings.shape}")
    present = rows >= 0
    weights = np.where(present, ratings - np.float32(offset), np.float32(0))
    vectors = movie_vectors[np.where(present, rows, 0)]
    return (vectors * weights[..., None]).astype(np.float32, copy=False)


def choose_subsets(rows: np.ndarray, ratings: np.ndarray, n_subsets: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic subsets of at most 16 ratings each that, together, hold every rating.

    rows, ratings: (k,) the user's ratings, in any order.
    Returns (rows, ratings), each (n, 16), padded with -1 / 0.
    With 16 ratings or fewer there is one subset holding all of them (sorted by
    row). With more, n = max(n_subsets, ceil(k / 16)) subsets are cut from one
    cycle through a shuffled order of the ratings: every rating lands in at
    least one subset and any two ratings in as many subsets as each other, up
    to one. The shuffle is seeded from the ratings themselves: the same
    ratings always give the same subsets, in whatever order they arrive.
    """
    rows = np.asarray(rows, dtype=np.int64)
    ratings = np.asarray(ratings, dtype=np.float32)
    order = np.lexsort((ratings, rows))
    rows, ratings = rows[order], ratings[order]
    k = len(rows)
    if k <= MAX_RATINGS:
        out_rows = np.full((1, MAX_RATINGS), -1, dtype=np.int64)
        out_ratings = np.zeros((1, MAX_RATINGS), dtype=np.float32)
        out_rows[0, :k] = rows
        out_ratings[0, :k] = ratings
        return out_rows, out_ratings
    digest = hashlib.sha256(rows.tobytes() + ratings.tobytes()).digest()
    shuffled = np.random.default_rng(int.from_bytes(digest[:8], "little")).permutation(k)
    n = max(1, n_subsets, -(-k // MAX_RATINGS))
    # consecutive windows of 16 along the cycle: distinct within a window because k > 16
    picks = np.sort(shuffled[np.arange(n * MAX_RATINGS).reshape(n, MAX_RATINGS) % k], axis=1)
    return rows[picks], ratings[picks]


def request_inputs(
    movie_vectors: np.ndarray, rows: np.ndarray, ratings: np.ndarray, offset: float, n_subsets: int = 1
) -> np.ndarray:
    """The user-tower inputs for one request: (n, 16, 16) float32, the subsets of ``choose_subsets``."""
    sub_rows, sub_ratings = choose_subsets(rows, ratings, n_subsets)
    return user_matrices(movie_vectors, sub_rows, sub_ratings, offset)
