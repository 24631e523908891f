"""The numbers behind the EDA figures, gathered in one streaming pass.

Only per-movie, per-user, per-rating-value and per-month counts are kept, so
the report of 100M ratings needs no more memory than that of 100K.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads

from training.counts import add_counts
from training.dataset import Dataset


@dataclass
class RatingStats:
    rating_values: np.ndarray  # (k,) the scale's points
    rating_counts: np.ndarray  # (k,) how many ratings of each value
    movie_ids: np.ndarray  # (m,) rated movies
    movie_counts: np.ndarray  # (m,) ratings per movie
    movie_means: np.ndarray  # (m,) mean rating per movie
    user_counts: np.ndarray  # (u,) ratings per user
    months: np.ndarray  # (t,) datetime64[M]
    month_counts: np.ndarray  # (t,) ratings per month


def gather(ds: Dataset) -> RatingStats:
    scale = ds.rating_scale
    n_values = scale.n_points()
    by_value = np.zeros(n_values, dtype=np.int64)
    movie_n, movie_sum, user_n, month_n = (np.zeros(1) for _ in range(4))
    first_month = None
    data = pads.dataset(ds.path / "ratings", format="parquet")
    for batch in data.to_batches(columns=["user_id", "movie_id", "rating", "date"]):
        users, movies, ratings = (batch.column(i).to_numpy() for i in range(3))
        months = batch.column(3).cast(pa.int32()).to_numpy().astype("datetime64[D]").astype("datetime64[M]")
        by_value += np.bincount(np.rint((ratings - scale.min) / scale.step).astype(np.int64), minlength=n_values)
        movie_n = add_counts(movie_n, np.bincount(movies))
        movie_sum = add_counts(movie_sum, np.bincount(movies, weights=ratings))
        user_n = add_counts(user_n, np.bincount(users))
        month_index = months.astype(np.int64)
        if first_month is None:
            first_month = int(month_index.min())
        if month_index.min() < first_month:  # keep the histogram anchored at the earliest month
            month_n = np.concatenate([np.zeros(first_month - int(month_index.min())), month_n])
            first_month = int(month_index.min())
        month_n = add_counts(month_n, np.bincount(month_index - first_month))
    rated = np.flatnonzero(movie_n)
    return RatingStats(
        rating_values=scale.points(),
        rating_counts=by_value,
        movie_ids=rated,
        movie_counts=movie_n[rated].astype(np.int64),
        movie_means=movie_sum[rated] / movie_n[rated],
        user_counts=user_n[user_n > 0].astype(np.int64),
        months=np.arange(len(month_n)).astype("datetime64[M]") + np.timedelta64(first_month or 0, "M"),
        month_counts=month_n.astype(np.int64),
    )
