"""The exact ridge fold-in of a new user on the movie vectors, in numpy: one implementation for training and serving.

A movie vector is [q (14 taste factors), b_movie, 1] (``training.models.layout``).
Folding a user in solves, over the movies they rated,

    [p, b_user] = argmin sum (r - offset - b_movie - q.p - b_user)^2 + reg |[p, b_user]|^2

and predicts offset + b_movie + q.p + b_user for every movie. The user tower
starts from the same solve inside its graph (for at most 16 ratings); the
function uses this one to read every rating of a person who gave more.
"""

from __future__ import annotations

import numpy as np

from screen_genius.features import VECTOR_DIM

FACTORS = VECTOR_DIM - 2  # taste factors in a movie vector, then b_movie, then the constant 1
MOVIE_BIAS = FACTORS


def ridge_fold_in(
    factors: np.ndarray, base: np.ndarray, given_rows: np.ndarray, given_ratings: np.ndarray, reg: float
) -> np.ndarray:
    """(B, f + 1) [p, b_user] of new users, one batched ridge solve.

    Per user, argmin sum (r - base_movie - q.p - b_user)^2 + reg |[p, b_user]|^2 over the given movies
    (``given_rows`` (B, K), -1 = empty); ``factors`` (n_movies, f) are the q, ``base`` (n_movies,) what a
    rating is predicted to be before taste and user bias.
    """
    q = np.asarray(factors, dtype=np.float64)
    rows = np.asarray(given_rows)
    present = rows >= 0
    safe = np.where(present, rows, 0)
    a = np.concatenate([q[safe], np.ones((*rows.shape, 1))], axis=-1) * present[..., None]
    e = (np.asarray(given_ratings, dtype=np.float64) - np.asarray(base, dtype=np.float64)[safe]) * present
    gram = np.einsum("bki,bkj->bij", a, a) + reg * np.eye(a.shape[-1])[None]
    solved: np.ndarray = np.linalg.solve(gram, np.einsum("bki,bk->bi", a, e)[..., None])[..., 0]
    return solved


def fold_in_stars(
    vectors: np.ndarray, offset: float, given_rows: np.ndarray, given_ratings: np.ndarray, reg: float
) -> np.ndarray:
    """(B, n_movies) float64 stars of the ridge fold-in on ``vectors`` ((n_movies, 16)); nothing given: offset + b."""
    v = np.asarray(vectors, dtype=np.float64)
    q, base = v[:, :FACTORS], offset + v[:, MOVIE_BIAS]
    z = ridge_fold_in(q, base, given_rows, given_ratings, reg)
    stars: np.ndarray = base[None, :] + z[:, :FACTORS] @ q.T + z[:, -1:]
    return stars


def leave_one_out_stars(
    vectors: np.ndarray, offset: float, rows: np.ndarray, ratings: np.ndarray, reg: float
) -> tuple[np.ndarray, np.ndarray]:
    """One person's fold-in stars with every rating, (n_movies,), and without each one in turn, (k, n_movies).

    rows, ratings: (k,) that person's ratings. The k solves without one rating
    share one normal matrix, each less one rank-one term, in one batched solve.
    """
    v = np.asarray(vectors, dtype=np.float64)
    q, base = v[:, :FACTORS], offset + v[:, MOVIE_BIAS]
    a = np.concatenate([q[rows], np.ones((len(rows), 1))], axis=1)  # (k, f + 1)
    e = np.asarray(ratings, dtype=np.float64) - base[rows]
    gram = a.T @ a + reg * np.eye(a.shape[1])
    rhs = a.T @ e
    z = np.linalg.solve(gram, rhs)
    without = np.linalg.solve(gram[None] - a[:, :, None] * a[:, None, :], (rhs[None] - a * e[:, None])[..., None])[
        ..., 0
    ]
    design = np.concatenate([q, np.ones((len(q), 1))], axis=1)  # (n_movies, f + 1)
    return base + design @ z, base[None, :] + without @ design.T
