"""Simple cold-start baselines: what the production model has to beat.

All share the cold-start surface of ``training.evaluation.protocol``:
``fit(train)`` on training users' catalog ratings, then
``predict(given_rows, given_ratings)`` with (B, K) given ratings per user
(-1 marks an empty slot) -> (B, n_movies) predicted stars.
"""

from __future__ import annotations

import numpy as np


def _given_mask(given_rows: np.ndarray) -> np.ndarray:
    return np.asarray(given_rows) >= 0


class GlobalMean:
    """Every movie gets the training users' mean rating."""

    name = "global_mean"

    def fit(self, train) -> None:
        self.n_items, self.mu = train.n_items, train.mean()

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        return np.full((len(given_rows), self.n_items), self.mu, dtype=np.float32)


class ItemMean:
    """Each movie's mean rating, shrunk toward the global mean (``shrink`` pseudo-ratings)."""

    name = "item_mean"

    def __init__(self, shrink: float = 5.0):
        self.shrink = shrink

    def fit(self, train) -> None:
        self.mu = train.mean()
        sums, counts = train.item_stats()
        self.item_bias = ((sums - counts * self.mu) / (counts + self.shrink)).astype(np.float32)

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        return np.broadcast_to(self.mu + self.item_bias, (len(given_rows), len(self.item_bias))).astype(np.float32)


class ItemMeanUserBias(ItemMean):
    """Item mean plus the user's average deviation from it over the given ratings (shrunk)."""

    name = "item_mean_user_bias"

    def __init__(self, shrink: float = 5.0, user_shrink: float = 3.0):
        super().__init__(shrink)
        self.user_shrink = user_shrink

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        present = _given_mask(given_rows)
        rows = np.where(present, given_rows, 0)
        residual = np.where(present, np.asarray(given_ratings) - self.mu - self.item_bias[rows], 0.0)
        user_bias = residual.sum(axis=1) / (present.sum(axis=1) + self.user_shrink)
        return (self.mu + self.item_bias[None, :] + user_bias[:, None]).astype(np.float32)


class MFFoldIn:
    """Biased matrix factorization (ALS) on training users; a new user's factors and bias
    are folded in from the given ratings by ridge regression on the item factors."""

    name = "mf_fold_in"

    def __init__(
        self,
        factors: int = 16,
        reg: float = 8.0,
        fold_in_reg: float = 8.0,
        iterations: int = 12,
        shrink: float = 5.0,
        seed: int = 0,
    ):
        self.factors, self.reg, self.fold_in_reg = factors, reg, fold_in_reg
        self.iterations, self.shrink, self.seed = iterations, shrink, seed

    def fit(self, train) -> None:
        from training.models.movie_factors import solve_items, solve_users

        rng = np.random.default_rng(self.seed)
        self.mu = train.mean()
        sums, counts = train.item_stats()
        item_bias = ((sums - counts * self.mu) / (counts + self.shrink)).astype(np.float64)
        f = self.factors
        items = np.concatenate([rng.normal(0, 0.1, (train.n_items, f)), item_bias[:, None]], axis=1)  # [q, b_i]
        reg = np.full(f + 1, self.reg)
        for _ in range(self.iterations):
            # users: [p_u, b_u] against [q_i, 1] with target r - mu - b_i; then items: [q_i, b_i] against [p_u, 1]
            # with target r - mu - b_u (blocked batched ridge solves, as Model 1's ALS; a movie nobody rated gets 0)
            users = solve_users(train, items, self.mu, reg)
            items = solve_items(train, users, self.mu, reg, np.zeros_like(items))
        self.item_factors, self.item_bias = items[:, :f], items[:, f]

    def fold_in(self, rows: np.ndarray, ratings: np.ndarray) -> np.ndarray:
        """[p (factors), b_user] of a new user from their given ratings."""
        a = np.concatenate([self.item_factors[rows], np.ones((len(rows), 1))], axis=1)
        eye = np.eye(a.shape[1])
        return np.linalg.solve(a.T @ a + self.fold_in_reg * eye, a.T @ (ratings - self.mu - self.item_bias[rows]))

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        out = np.empty((len(given_rows), len(self.item_bias)), dtype=np.float32)
        for b, (rows, ratings) in enumerate(zip(given_rows, given_ratings, strict=True)):
            keep = rows >= 0
            pb = self.fold_in(rows[keep], np.asarray(ratings, dtype=np.float64)[keep])
            out[b] = self.mu + self.item_bias + self.item_factors @ pb[:-1] + pb[-1]
        return out


ALL = (GlobalMean, ItemMean, ItemMeanUserBias, MFFoldIn)
