"""EASE (Steck 2019): the closed-form item-item model of what a person will *watch*.

EASE learns an item-item weight matrix B (n_movies, n_movies) with a zero
diagonal from the binary "has rated" matrix X of the training users:

    B = argmin ||X - X B||^2 + lambda ||B||^2  s.t. diag(B) = 0
      = I - P / diag(P),  P = (X^T X + lambda I)^-1

A new user's scores are ``x_given @ B`` with x_given the 0/1 row of the movies
they rated: no fold-in, no iteration, so it serves a cold-start user directly.
It is the strong top-N reference on MovieLens, but its scores rank what a person
is likely to have seen, not how much they will like it; the stars they gave are
ignored (a 1-star rating says "watches this kind of movie" as much as a 5).
So ``predicts_ratings`` is False: RMSE means nothing here, and its bottom list is
its lowest scores too ("least likely to be watched"), not a predicted dislike.

With nothing rated (K = 0) every ``x @ B`` is 0; a tie-breaker of 1e-6 x the
movie's share of the training users who rated it makes that list the
popularity chart (and only breaks exact ties otherwise). lambda is chosen on
validation users drawn from the training users (``coldstart.newcomers.validation_users``).
"""

from __future__ import annotations

import numpy as np

from training.coldstart import metrics, newcomers
from training.coldstart.ratings import CatalogRatings

LAMBDAS = (30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0)
# Far below any learned weight on this scale: orders exact ties, never reorders real scores.
POPULARITY_TIE_BREAK = 1e-6


class EASE:
    """EASE on the training users' binary catalog ratings; lambda from validation users.

    ``lambdas``: candidates, the one with the best validation recall@10 is kept
    (``lam`` fixes it instead and skips the search). ``seed`` draws the
    validation users and their simulated given ratings.
    """

    name = "ease"
    predicts_ratings = False

    def __init__(self, lambdas=LAMBDAS, lam: float | None = None, validation_fraction: float = 0.15, seed: int = 0):
        self.lambdas, self.lam, self.validation_fraction, self.seed = tuple(lambdas), lam, validation_fraction, seed
        self.validation: dict[str, float] = {}

    def fit(self, train: CatalogRatings) -> None:
        if self.lam is None:
            self.lam = self._choose_lambda(train)
        self.weights = weights(gram(train), self.lam).astype(np.float32)
        self.popularity = (np.bincount(train.rows, minlength=train.n_items) / max(train.n_users, 1)).astype(np.float32)

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        """(B, n_movies) float32 scores (not stars): higher = more likely to be watched."""
        return given_matrix(given_rows, len(self.weights)) @ self.weights + POPULARITY_TIE_BREAK * self.popularity

    def _choose_lambda(self, train: CatalogRatings) -> float:
        fit_users, val_users = newcomers.validation_users(train, self.validation_fraction, self.seed)
        sim = newcomers.draw(val_users, self.seed, min_targets=1, one_stream=True)
        g = gram(fit_users)
        # One eigendecomposition serves every lambda: (G + lam I)^-1 = V diag(1 / (s + lam)) V^T.
        s, v = np.linalg.eigh(g)
        for lam in self.lambdas:
            p = (v / (s + lam)) @ v.T
            b = np.eye(len(p)) - p / np.diag(p)
            self.validation[str(lam)] = float(
                np.mean(
                    [
                        metrics.recall_at(given_matrix(sim.given(k)[0], len(b)) @ b, sim.given(k)[0], sim.targets)
                        for k in newcomers.KS
                    ]
                )
            )
        return float(max(self.lambdas, key=lambda lam: (self.validation[str(lam)], -lam)))


def gram(train: CatalogRatings) -> np.ndarray:
    """(n_movies, n_movies) float64 X^T X of the binary user x movie matrix (co-rating counts).

    Summed over dense blocks of users (BLAS; exact: float32 holds counts to 2^24 per block).
    """
    g = np.zeros((train.n_items, train.n_items))
    for start, end in train.blocks():
        x = train.dense(start, end)
        g += x.T @ x
    return g


def weights(g: np.ndarray, lam: float) -> np.ndarray:
    """EASE's B (n_movies, n_movies) float64 from the Gram matrix: I - P / diag(P), P = (G + lam I)^-1."""
    p = np.linalg.inv(g + lam * np.eye(len(g)))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b


def given_matrix(given_rows, n_items: int) -> np.ndarray:
    """(B, n_items) float32 0/1 rows: 1 where the user gave a rating (-1 slots are empty)."""
    return newcomers.given_mask(given_rows, n_items).astype(np.float32)
