"""The layout contract between Model 1's movie vectors and Model 2's user tower, in one place.

A movie vector is 16 floats: ``FACTORS`` taste factors q, then the movie's
bias (its shrunk mean rating minus the offset) in ``MOVIE_BIAS``, then the
constant 1 in ``CONSTANT``. A user vector has the same length: taste factors
p, 1 in ``MOVIE_BIAS`` (reads the movie's bias) and the user's bias in
``CONSTANT``, so that offset + user . movie = offset + q.p + b_movie + b_user.

The user tower's input row is movie vector * (rating - offset) (built by
``screen_genius.features``); its ``CONSTANT`` column is therefore the rating
minus the offset, which lets the tower decode each row.
"""

from __future__ import annotations

import numpy as np

from screen_genius.fold_in import FACTORS as FACTORS  # 14 taste factors (one definition, shared with serving)
from screen_genius.fold_in import MOVIE_BIAS as MOVIE_BIAS  # column 14

CONSTANT = FACTORS + 1  # column 15


def movie_vectors(factors: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """(n_movies, 16) float32 [q, b_movie, 1] from (n_movies, 14) factors and (n_movies,) biases (stars - offset)."""
    factors = np.asarray(factors, dtype=np.float64)
    if factors.shape[1] != FACTORS:
        raise ValueError(f"movie factors must be (n_movies, {FACTORS}); got {factors.shape}")
    return np.concatenate(
        [factors, np.asarray(bias, dtype=np.float64)[:, None], np.ones((len(factors), 1))], axis=1
    ).astype(np.float32)
