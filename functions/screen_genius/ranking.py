"""Which movies make the top and bottom lists: predicted stars, adjusted by what this person is likely to watch.

The stars shown are the tower's; the scores below choose which 10 movies make
each list, and the list is then shown in the order of its stars
(``Scorer.rank``). Training: ``training.models.ranking``.

    personal     = sum over the person's rated movies of EASE's weight row (ranking.npz "weights")
    top score    = stars + gamma_top * (personal + popularity_top * popularity) - chart_top * prior
                   (the stars alone for a person who has rated nothing)

The bottom list is "the ten you will probably like least": movies this
person would plausibly meet *and* would rate low. With ``hate_scale`` > 0
its score is the log of that chance (lowest score first means most likely):

    seen         = max(personal + hate_popularity * popularity, SEEN_FLOOR)
    low          = logistic((hate_below - (stars - hate_chart * prior)) / (hate_scale * spread ** hate_spread))
    bottom score = -(log seen + log low), and +inf for a movie whose stars are above
                   the median of this person's stars

``hate_chart`` judges the stars against the chart (a movie everyone pans is
no news about this person). ``spread`` (ranking.npz "spread", 1 where absent)
is each movie's spread of ratings around its raters' own means, relative to
the catalog's: a divisive movie is likelier to be rated low by someone
predicted to rate it middling; ``hate_spread`` 0 ignores it. Sets exported before this form rank the bottom
linearly: stars - gamma_bottom * (personal + popularity_bottom * popularity)
+ chart_bottom * prior.

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
PARAMS = (
    "gamma_top",
    "popularity_top",
    "chart_top",
    "gamma_bottom",
    "popularity_bottom",
    "chart_bottom",
    "hate_popularity",
    "hate_chart",
    "hate_below",
    "hate_scale",
    "hate_spread",
)
# parameters a set exported before them lacks, and what that set meant
DEFAULTS = {
    "chart_bottom": 0.0,
    "hate_popularity": 0.0,
    "hate_chart": 0.0,
    "hate_below": 2.5,
    "hate_scale": 0.0,
    "hate_spread": 0.0,
}
SEEN_FLOOR = 0.01  # the least chance of meeting a movie: EASE scores can be 0 or negative


def list_scores(
    stars: np.ndarray,
    personal: np.ndarray,
    popularity: np.ndarray,
    prior: np.ndarray,
    params: Mapping[str, float],
    n_rated: np.ndarray | int | None = None,
    spread: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(top scores, bottom scores), each shaped like ``stars`` ((..., n_movies)): best first / worst first.

    spread: (n_movies,) each movie's relative spread of ratings (> 0), or None for 1 everywhere.

    n_rated: (...,) how many movies each person rated. With none rated the top list follows the stars (the
    no-information stars: the chart), since there is nothing personal to pull it toward or away from.
    """
    p = {**DEFAULTS, **params}
    stars = np.asarray(stars, dtype=np.float64)
    top = stars + p["gamma_top"] * (personal + p["popularity_top"] * popularity) - p["chart_top"] * prior
    if n_rated is not None:
        top = np.where(np.asarray(n_rated)[..., None] == 0, stars, top)
    if p["hate_scale"] > 0:
        seen = np.maximum(personal + p["hate_popularity"] * popularity, SEEN_FLOOR)
        scale = (
            p["hate_scale"] if spread is None or not p["hate_spread"] else p["hate_scale"] * spread ** p["hate_spread"]
        )
        z = (p["hate_below"] - (stars - p["hate_chart"] * prior)) / scale
        bottom = np.logaddexp(0.0, -z) - np.log(seen)  # -(log seen + log logistic(z))
        # "will probably not like" never names a movie predicted above this person's median
        bottom = np.where(stars > _median(stars), np.inf, bottom)
    else:
        bottom = (
            stars - p["gamma_bottom"] * (personal + p["popularity_bottom"] * popularity) + p["chart_bottom"] * prior
        )
    return top, bottom


def _median(x: np.ndarray) -> np.ndarray:
    """np.median(x, axis=-1, keepdims=True), by partial selection: the same numbers at a fraction of the cost."""
    n = x.shape[-1]
    half = n // 2
    if n % 2:
        odd: np.ndarray = np.partition(x, half, axis=-1)[..., half : half + 1]
        return odd
    part = np.partition(x, [half - 1, half], axis=-1)
    even: np.ndarray = (part[..., half - 1 : half] + part[..., half : half + 1]) / 2
    return even


def choose_lists(
    top_scores: np.ndarray, bottom_scores: np.ndarray, rated_rows: np.ndarray, k: int, depth: int
) -> tuple[np.ndarray, np.ndarray]:
    """Which movies make the lists: the rows of the ``max(depth, k)`` best by ``top_scores`` (best first: its
    first k are the top list's movies) and of the k worst by ``bottom_scores`` (worst first), leaving out
    ``rated_rows``; ties to the lower row. What the function serves (``Scorer.rank_deep``, which then orders
    each list by its stars) and what the simulated newcomers are shown (``training.evaluation.elicitation``)."""
    keep = np.ones(len(top_scores), dtype=bool)
    keep[np.asarray(rated_rows, dtype=np.int64)] = False
    candidates = np.flatnonzero(keep)
    deep = _smallest(-np.asarray(top_scores)[keep], candidates, max(depth, k))
    return deep, _smallest(np.asarray(bottom_scores)[keep], candidates, k)


def _smallest(keys: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """The k of ``rows`` (ascending) with the smallest ``keys``, ties to the lower row: a full sort's first k.

    A partial selection finds the k-th smallest key; every row at or below it
    is sorted (a few more than k only where keys tie at the boundary).
    """
    if len(keys) > k:
        kth = np.partition(keys, k - 1)[k - 1]
        near = np.flatnonzero(keys <= kth)
        keys, rows = keys[near], rows[near]
    chosen: np.ndarray = rows[np.lexsort((rows, keys))[:k]]
    return chosen


@dataclass(frozen=True)
class ListRanking:
    """weights (n, n) float32, popularity (n,), prior (n,) and spread (n,) float64 arrays, and the parameters
    (``PARAMS``). Sets exported before "spread" have none: 1 everywhere."""

    weights: np.ndarray
    popularity: np.ndarray
    prior: np.ndarray
    params: Mapping[str, float]
    spread: np.ndarray | None = None

    @classmethod
    def from_bytes(cls, data: bytes, params: Mapping[str, float], catalog_size: int) -> ListRanking:
        """Read ranking.npz; ValueError saying what is wrong when it does not fit the catalog or the parameters."""
        params = {**DEFAULTS, **params}  # sets exported before some parameters existed
        missing = [p for p in PARAMS if not isinstance(params.get(p), (int, float))]
        if missing:
            raise ValueError(f"manifest serving.ranking lacks numeric {', '.join(missing)}")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            weights, popularity, prior = z["weights"], z["popularity"], z["prior"]
            spread = z["spread"] if "spread" in z.files else np.ones(catalog_size)
        n = catalog_size
        if weights.shape != (n, n) or popularity.shape != (n,) or prior.shape != (n,):
            raise ValueError(
                f"need weights ({n}, {n}), popularity ({n},), prior ({n},); have {weights.shape}, "
                f"{popularity.shape}, {prior.shape}"
            )
        if spread.shape != (n,):
            raise ValueError(f"need spread ({n},); have {spread.shape}")
        if not (np.isfinite(weights).all() and np.isfinite(popularity).all() and np.isfinite(prior).all()):
            raise ValueError("weights, popularity and prior must be finite")
        if not (np.isfinite(spread).all() and (spread > 0).all()):
            raise ValueError("spread must be finite and positive")
        return cls(
            weights.astype(np.float32),
            popularity.astype(np.float64),
            prior.astype(np.float64),
            {p: float(params[p]) for p in PARAMS},
            spread.astype(np.float64),
        )

    def scores(self, rated_rows: np.ndarray, stars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(top scores, bottom scores) (n,) for a person who rated ``rated_rows`` and gets ``stars`` (n,)."""
        rated = np.sort(np.asarray(rated_rows, dtype=np.int64))  # a fixed summation order: order-free answers
        personal = self.weights[rated].sum(axis=0, dtype=np.float64) if len(rated) else np.zeros(len(stars))
        return list_scores(stars, personal, self.popularity, self.prior, self.params, len(rated), self.spread)
