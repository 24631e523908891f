"""The catalog: the N most-rated movies, the only movies the models score.

Popularity is counted over training users only, so held-out users influence
nothing the model sees. Ties go to the smaller movie id. Movies without a
title cannot be embedded by Model 1 and are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def choose_catalog(counts: np.ndarray, sums: np.ndarray, movies: pd.DataFrame, size: int) -> pd.DataFrame:
    """Catalog rows (movie_id, title, year, genres, n_ratings, mean_rating), most-rated first.

    counts, sums: (max_movie_id + 1,) number and sum of the training users' ratings, by movie id.
    """
    if size < 1:
        raise ValueError(f"catalog size must be at least 1; got {size}")
    ids = np.flatnonzero(counts)
    stats = pd.DataFrame(
        {
            "movie_id": ids.astype(np.int32),
            "n_ratings": counts[ids].astype(np.int64),
            "mean_rating": (sums[ids] / counts[ids]).astype(np.float32),
        }
    )
    titled = movies[movies["title"].notna() & (movies["title"].str.len() > 0)]
    table = titled.merge(stats, on="movie_id", how="inner")
    table = table.sort_values(["n_ratings", "movie_id"], ascending=[False, True], kind="stable")
    return table.head(size).reset_index(drop=True)
