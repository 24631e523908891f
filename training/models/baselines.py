"""Simple cold-start baselines: what the production model has to beat.

All share the cold-start surface of ``training.evaluation.protocol``:
``fit(train)`` on training users' catalog ratings, then
``predict(given_rows, given_ratings)`` with (B, K) given ratings per user
(-1 marks an empty slot) -> (B, n_movies) predicted stars.
"""

from __future__ import annotations

import numpy as np


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
        present = np.asarray(given_rows) >= 0  # the given slots
        rows = np.where(present, given_rows, 0)
        residual = np.where(present, np.asarray(given_ratings) - self.mu - self.item_bias[rows], 0.0)
        user_bias = residual.sum(axis=1) / (present.sum(axis=1) + self.user_shrink)
        return (self.mu + self.item_bias[None, :] + user_bias[:, None]).astype(np.float32)


class MFFoldIn:
    """Biased matrix factorization (ALS) on training users; a new user's factors and bias
    are folded in from the given ratings by ridge regression on the item factors.

    ``fold_in_reg`` None (the default): the fold-in ridge is chosen from
    ``movie_factors.FOLD_IN_REGS`` on validation users drawn from the training users
    (``coldstart.newcomers.validation_users``: factors fitted on the rest, mean RMSE over k = 1..16),
    then the factors are fitted on every training user. The factors grow with
    the data under a fixed ALS ridge, so a fold-in ridge fixed on MovieLens
    would make this peer weaker the larger the data. Too few users for a
    validation draw: 8.
    """

    name = "mf_fold_in"

    def __init__(
        self,
        factors: int = 16,
        reg: float = 8.0,
        fold_in_reg: float | None = None,
        iterations: int = 12,
        shrink: float = 5.0,
        seed: int = 0,
    ):
        self.factors, self.reg, self.fold_in_reg = factors, reg, fold_in_reg
        self.iterations, self.shrink, self.seed = iterations, shrink, seed
        self.validation: dict[str, float] = {}

    def fit(self, train) -> None:
        if self.fold_in_reg is None:
            self.fold_in_reg = self._choose(train)
        self._fit_factors(train)

    def _choose(self, train) -> float:
        from training.coldstart import metrics, newcomers
        from training.models import movie_factors

        try:
            fit_users, val_users = newcomers.validation_users(train, seed=self.seed)
        except ValueError:  # too few users with enough ratings to draw validation users from
            return 8.0
        self._fit_factors(fit_users)
        sim = newcomers.draw(val_users, self.seed, min_targets=1, one_stream=True)
        for reg in movie_factors.FOLD_IN_REGS:
            self.fold_in_reg = reg
            self.validation[f"fold_in_reg={reg:g}"] = float(
                np.mean([metrics.rmse(self.predict(*sim.given(k)), sim.targets) for k in newcomers.KS])
            )
        best = min(self.validation, key=self.validation.__getitem__)
        return float(best.split("=")[1])

    def _fit_factors(self, train) -> None:
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

    def fold_in(self, given_rows: np.ndarray, given_ratings: np.ndarray) -> np.ndarray:
        """(B, factors + 1) [p, b_user] of new users from their given ratings ((B, K), row -1 = empty)."""
        from screen_genius.fold_in import ridge_fold_in

        assert self.fold_in_reg is not None, "fit() first"
        return ridge_fold_in(self.item_factors, self.mu + self.item_bias, given_rows, given_ratings, self.fold_in_reg)

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        out = np.empty((len(given_rows), len(self.item_bias)), dtype=np.float32)
        for start in range(0, len(given_rows), PREDICT_USERS):
            end = start + PREDICT_USERS
            pb = self.fold_in(given_rows[start:end], given_ratings[start:end])
            out[start:end] = self.mu + self.item_bias[None, :] + pb[:, :-1] @ self.item_factors.T + pb[:, -1:]
        return out


PREDICT_USERS = 2048  # users per batched fold-in (the "all" protocol gives a few hundred slots each)


ALL = (GlobalMean, ItemMean, ItemMeanUserBias, MFFoldIn)
