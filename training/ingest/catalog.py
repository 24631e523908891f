"""The catalog: the N most-rated movies, the only movies the models score.

Popularity is counted over training users only, so held-out users influence
nothing the model sees. Ties go to the smaller movie id. Movies without a
title cannot be embedded by Model 1 and are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def choose_catalog(
    movie_ids: np.ndarray, ratings: np.ndarray, movies: pd.DataFrame, size: int
) -> pd.DataFrame:
    """Catalog rows (movie_id, title, year, genres, n_ratings, mean_rating), most-rated first.

    movie_ids, ratings: (n,) the training users' ratings.
    """
    if size < 1:
        raise ValueError(f"catalog size must be at least 1; got {size}")
    ids, inverse, counts = np.unique(movie_ids, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ratings, minlength=len(ids))
    stats = pd.DataFrame({"movie_id": ids.astype(np.int32), "n_ratings": counts.astype(np.int64),
                          "mean_rating": (sums / counts).astype(np.float32)})
    titled = movies[movies["title"].notna() & (movies["title"].str.len() > 0)]
    table = titled.merge(stats, on="movie_id", how="inner")
    table = table.sort_values(["n_ratings", "movie_id"], ascending=[False, True], kind="stable")
    return table.head(size).reset_index(drop=True)
