"""The lists' ranking score: predicted stars, adjusted toward what this person watches and away from the chart.

The stars shown are the rating model's. The top and bottom lists are ranked
by scores that may differ (DESIGN.md allows it; they stay deterministic):

    seen(w)      = EASE score of the movies given + w * popularity
    top score    = stars + gamma_top * seen(popularity_top) - chart_top * prior
    bottom score = -log(chance of meeting the movie and rating it low) (``screen_genius.ranking``)

``seen`` (Steck 2019's EASE on the training users' "has rated" matrix, plus
each movie's share of raters) is how likely this person is to watch a movie,
judged from what they rated. ``prior`` is the stars the model gives with
nothing rated, centred: the chart. Ranking by stars alone puts the same
highly-rated classics on everyone's top list; the first term prefers, among
movies predicted alike, the ones people like this one tend to watch, the
second keeps the chart from deciding the list. The bottom list is the
movies this person would plausibly meet and rate low: ``seen`` for meeting,
the stars against a threshold (and against the chart, with each movie's
spread of ratings: ``rating_spread``) for rating low; the
stars alone put the catalog's universally panned flops, which few people
watch, at everyone's bottom. Either list is shown in the order of its stars.
The parameters are chosen on
validation users drawn from the training users only (``served.choose_ranking``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from screen_genius import ranking as serving_ranking


@dataclass(frozen=True)
class RankingParams:
    gamma_top: float = 0.0
    popularity_top: float = 0.0
    chart_top: float = 0.0
    gamma_bottom: float = 0.0  # the linear bottom form of sets exported before the chance form
    popularity_bottom: float = 0.0
    chart_bottom: float = 0.0
    hate_popularity: float = 0.0  # the bottom as the chance of meeting a movie and rating it low
    hate_chart: float = 0.0
    hate_below: float = 2.5
    hate_scale: float = 0.0  # 0: the stars alone order the bottom list
    hate_spread: float = 0.0  # the exponent of each movie's rating spread in the scale (0: one scale for all)

    def to_dict(self) -> dict:
        return asdict(self)


# Candidates searched on validation users (top and bottom independently).
TOP_FIELDS = ("gamma_top", "popularity_top", "chart_top")
# gamma up to 8: a bootstrap average of choices at the grid's edge would be pulled inward, below the best
TOP_GRID = [
    (g, w, c)
    for g in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
    for w in (0.0, 1.0)
    for c in (0.0, 0.25, 0.5, 0.75, 1.0)
    if g or not w
]
BOTTOM_FIELDS = ("hate_popularity", "hate_chart", "hate_below", "hate_scale", "hate_spread")
# the first is the stars alone; then the chance of meeting and disliking, judged against the chart or not,
# with one rating spread for every movie or each movie's own
BOTTOM_GRID = [(0.0, 0.0, 2.5, 0.0, 0.0)] + [
    (w, c, below, scale, spread)
    for w in (0.0, 0.5, 1.0)
    for c in (0.0, 0.3, 0.5, 1.0)
    for below in (2.0, 2.5)
    for scale in (0.25, 0.5)
    for spread in (0.0, 1.0)
]
MAX_BOTTOM_CHART = 0.3  # at most this share of a bottom 10 from the catalog's 20 lowest-rated movies
MAX_BOTTOM_RATING = 2.6  # and the held-out movies that land in it rated at most this, on average
SPREAD_SHRINK = 10.0  # pseudo-ratings at the catalog's spread added to each movie's own (few raters: near 1)


def rating_spread(ratings, shrink: float = SPREAD_SHRINK) -> np.ndarray:
    """(n_items,) float64: each movie's spread of ratings around its raters' own means, over the catalog's.

    The residual of a rating is its stars less the rater's mean; a movie's
    variance of residuals is shrunk toward the pooled one by ``shrink``
    pseudo-ratings, and the square root of its ratio to the pooled one is
    returned (1: as spread as the catalog; a movie nobody rated gets 1; ``shrink`` > 0 keeps every spread
    above 0, as the function requires).
    ``ratings``: CatalogRatings.
    """
    users, rows, values = ratings.triples()
    counts = np.bincount(users, minlength=ratings.n_users)
    residual = values - (np.bincount(users, weights=values, minlength=ratings.n_users) / np.maximum(counts, 1))[users]
    n = np.bincount(rows, minlength=ratings.n_items).astype(np.float64)
    total = np.bincount(rows, weights=residual, minlength=ratings.n_items)
    squares = np.bincount(rows, weights=residual * residual, minlength=ratings.n_items)
    own = squares - np.where(n > 0, total**2 / np.maximum(n, 1), 0.0)  # sum of squares about the movie's mean
    pooled = own.sum() / max(n.sum() - np.count_nonzero(n), 1)
    if not pooled > 0:
        return np.ones(ratings.n_items)
    dof = np.maximum(n - 1, 0) + shrink
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dof > 0, np.sqrt((own + shrink * pooled) / dof / pooled), 1.0)


def params_of(top: tuple, bottom: tuple) -> RankingParams:
    """RankingParams from a TOP_GRID and a BOTTOM_GRID candidate."""
    return RankingParams(**dict(zip(TOP_FIELDS, top, strict=True)), **dict(zip(BOTTOM_FIELDS, bottom, strict=True)))


class SeenScore:
    """EASE weights (n_movies, n_movies) and popularity (n_movies,): ``(given_rows, w) -> (B, n_movies)``.

    ``spread`` (n_movies,): the movies' rating spreads (``rating_spread``) the bottom list reads beside them,
    ranking.npz's third per-movie array; None (a model fitted before it) is 1 everywhere.
    """

    def __init__(
        self, weights: np.ndarray, popularity: np.ndarray, lam: float | None = None, spread: np.ndarray | None = None
    ):
        self.lam = lam
        self.weights = np.asarray(weights, dtype=np.float32)
        self.popularity = np.asarray(popularity, dtype=np.float32)
        self.spread = None if spread is None else np.asarray(spread, dtype=np.float64)

    @classmethod
    def fit(cls, train, lam: float | None = None, seed: int = 0) -> SeenScore:
        from training.models.peers.ease import EASE

        ease = EASE(lam=lam, seed=seed)
        ease.fit(train)
        return cls(ease.weights, ease.popularity, lam=ease.lam, spread=rating_spread(train))

    def personal(self, given_rows) -> np.ndarray:
        """(B, n_movies) EASE scores of the given movies (0 with nothing given)."""
        from training.models.peers.ease import given_matrix

        return given_matrix(given_rows, len(self.weights)) @ self.weights

    def __call__(self, given_rows, popularity_weight: float = 0.0) -> np.ndarray:
        return self.personal(given_rows) + np.float32(popularity_weight) * self.popularity


def list_scores(
    stars: np.ndarray,
    personal: np.ndarray,
    popularity: np.ndarray,
    prior: np.ndarray,
    params: RankingParams,
    n_rated: np.ndarray | None = None,
    spread: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(top scores, bottom scores), each like ``stars`` (B, n_movies): the function's formula, one implementation."""
    return serving_ranking.list_scores(stars, personal, popularity, prior, params.to_dict(), n_rated, spread)
