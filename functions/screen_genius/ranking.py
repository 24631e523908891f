"""The order of the top and bottom lists: predicted stars, adjusted by what this person is likely to watch.

The stars shown are the tower's. The lists are ranked by (training: ``training.models.ranking``)

    personal     = sum over the person's rated movies of EASE's weight row (ranking.npz "weights")
    top score    = stars + gamma_top * (personal + popularity_top * popularity) - chart_top * prior
    bottom score = stars - gamma_bottom * (personal + popularity_bottom * popularity) + chart_bottom * prior

``popularity`` is each movie's share of raters and ``prior`` the stars with
nothing rated, centred. The parameters come from the manifest's
``serving.ranking``; without ranking.npz the lists follow the stars. All
numpy, deterministic, independent of the order of the ratings.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

FILE = "ranking.npz"
PARAMS = ("gamma_top", "popularity_top", "chart_top", "gamma_bottom", "popularity_bottom", "chart_bottom")


def list_scores(
    stars: np.ndarray, personal: np.ndarray, popularity: np.ndarray, prior: np.ndarray, params: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """(top scores, bottom scores), each shaped like ``stars`` ((..., n_movies)): best first / worst first."""
    stars = np.asarray(stars, dtype=np.float64)
    top = stars + params["gamma_top"] * (personal + params["popularity_top"] * popularity) - params["chart_top"] * prior
    bottom = (
        stars
        - params["gamma_bottom"] * (personal + params["popularity_bottom"] * popularity)
        + params.get("chart_bottom", 0.0) * prior
    )
    return top, bottom


@dataclass(frozen=True)
class ListRanking:
    """weights (n, n) float32, popularity (n,) and prior (n,) float64 arrays, and the five parameters."""

    weights: np.ndarray
    popularity: np.ndarray
    prior: np.ndarray
    params: Mapping[str, float]

    @classmethod
    def from_bytes(cls, data: bytes, params: Mapping[str, float], catalog_size: int) -> ListRanking:
        """Read ranking.npz; ValueError saying what is wrong when it does not fit the catalog or the parameters."""
        params = {"chart_bottom": 0.0, **params}  # sets exported before chart_bottom existed
        missing = [p for p in PARAMS if not isinstance(params.get(p), (int, float))]
        if missing:
            raise ValueError(f"manifest serving.ranking lacks numeric {', '.join(missing)}")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            weights, popularity, prior = z["weights"], z["popularity"], z["prior"]
        n = catalog_size
        if weights.shape != (n, n) or popularity.shape != (n,) or prior.shape != (n,):
            raise ValueError(
                f"need weights ({n}, {n}), popularity ({n},), prior ({n},); have {weights.shape}, "
                f"{popularity.shape}, {prior.shape}"
            )
        if not (np.isfinite(weights).all() and np.isfinite(popularity).all() and np.isfinite(prior).all()):
            raise ValueError("weights, popularity and prior must be finite")
        return cls(
            weights.astype(np.float32),
            popularity.astype(np.float64),
            prior.astype(np.float64),
            {p: float(params[p]) for p in PARAMS},
        )

    def scores(self, rated_rows: np.ndarray, stars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(top scores, bottom scores) (n,) for a person who rated ``rated_rows`` and gets ``stars`` (n,)."""
        rated = np.sort(np.asarray(rated_rows, dtype=np.int64))  # a fixed summation order: order-free answers
        personal = self.weights[rated].sum(axis=0, dtype=np.float64) if len(rated) else np.zeros(len(stars))
        return list_scores(stars, personal, self.popularity, self.prior, self.params)
