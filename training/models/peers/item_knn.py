"""Item-kNN with fold-in: a new user's stars from the movies most similar to the ones they rated.

The neighbourhood model of Koren (2010) and Surprise's ``KNNBaseline``, for a
user the model has never seen:

    baseline(u, i) = mu + b_i + b_u
    b_i            = the movie's mean deviation from mu, shrunk (``item_shrink`` pseudo-ratings)
    b_u            = sum over given (r_uj - mu - b_j) / (n_given + user_shrink)
    predicted(u,i) = baseline(u, i) + sum_j s_ij e_uj / (sum_j s_ij + den_reg)
    e_uj           = r_uj - baseline(u, j), over the ``k`` given movies j most similar to i (s_ij > 0 only)

Similarities are shrunk Pearson correlations of the training users' baseline
residuals (Surprise's ``pearson_baseline``): over the n_ij users who rated
both movies, s_ij = sum e_ui e_uj / sqrt(sum e_ui^2 sum e_uj^2) x
(n_ij - 1) / (n_ij - 1 + shrinkage). A movie is never its own neighbour.
``den_reg`` pulls a prediction resting on a few weak similarities back toward
the baseline. With nothing rated (K = 0) the prediction is mu + b_i: the
shrunk item-mean chart.

``k``, ``shrinkage`` and ``den_reg`` are chosen by RMSE on validation users
drawn from the training users (``coldstart.newcomers.validation_users``), unless all three are given.
"""

from __future__ import annotations

import numpy as np

from training.coldstart import metrics, newcomers
from training.coldstart.ratings import CatalogRatings

GRID = {"k": (10, 30), "shrinkage": (25.0, 100.0, 400.0), "den_reg": (0.0, 0.5, 2.0)}
MAX_BLOCK_USERS = 4096  # users per vectorised block at most
BLOCK_ELEMENTS = 32_000_000  # similarities (users x movies x given) per block: about 128 MB of float32, a few copies


class ItemKNN:
    """Item-kNN on baseline residuals, folded in from the given ratings.

    Constructor: ``k``, ``shrinkage``, ``den_reg`` (None: chosen from ``grid`` on
    validation users), ``item_shrink`` and ``user_shrink`` (the baseline's
    pseudo-ratings, as in ``baselines.ItemMeanUserBias``), ``seed`` (validation draw).
    """

    name = "item_knn"
    predicts_ratings = True

    def __init__(
        self,
        k: int | None = None,
        shrinkage: float | None = None,
        den_reg: float | None = None,
        item_shrink: float = 5.0,
        user_shrink: float = 3.0,
        grid: dict | None = None,
        validation_fraction: float = 0.15,
        seed: int = 0,
    ):
        self.k, self.shrinkage, self.den_reg = k, shrinkage, den_reg
        self.item_shrink, self.user_shrink = item_shrink, user_shrink
        self.grid, self.validation_fraction, self.seed = dict(grid or GRID), validation_fraction, seed
        self.validation: dict[str, float] = {}

    def fit(self, train: CatalogRatings) -> None:
        if self.k is None or self.shrinkage is None or self.den_reg is None:
            self.k, self.shrinkage, self.den_reg = self._choose(train)
        self._fit_baseline(train)
        self.similarity = shrunk_pearson(co_rating_sums(train, self._residuals(train)), self.shrinkage)

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        """(B, n_movies) float32 predicted stars."""
        return self._predict(given_rows, given_ratings, (self.den_reg,))[0]

    def _predict(self, given_rows, given_ratings, den_regs: tuple) -> list[np.ndarray]:
        """``predict`` for each of ``den_regs`` at once (the neighbours and sums do not depend on it)."""
        given_rows, given_ratings = np.asarray(given_rows), np.asarray(given_ratings, dtype=np.float32)
        outs = [np.zeros((len(given_rows), len(self.item_bias)), np.float32) for _ in den_regs]
        # users in blocks of similar numbers of given ratings, each block only as wide as its widest user
        # (the "all" protocol pads a few hundred slots that most users leave empty)
        # and as many users as fit BLOCK_ELEMENTS similarities (users x movies x width): a few thousand
        # users of 16 ratings, a few dozen of a thousand
        n_given = (given_rows >= 0).sum(axis=1)
        order = np.argsort(n_given, kind="stable")
        per_slot = len(self.item_bias)
        a = 0
        while a < len(order):
            size = min(len(order) - a, MAX_BLOCK_USERS)
            while size > 1 and size * per_slot * max(int(n_given[order[a + size - 1]]), 1) > BLOCK_ELEMENTS:
                size = max(1, BLOCK_ELEMENTS // (per_slot * max(int(n_given[order[a + size - 1]]), 1)))
            block = order[a : a + size]
            a += size
            rows, ratings = given_rows[block], given_ratings[block]
            width = max(int(n_given[block].max()), 1)
            if width < rows.shape[1]:
                keep = np.argsort(rows < 0, axis=1, kind="stable")[:, :width]  # given slots first
                rows, ratings = np.take_along_axis(rows, keep, 1), np.take_along_axis(ratings, keep, 1)
            for out, stars in zip(outs, self._predict_block(rows, ratings, den_regs), strict=True):
                out[block] = stars
        return outs

    def _predict_block(self, rows: np.ndarray, ratings: np.ndarray, den_regs: tuple) -> list[np.ndarray]:
        present = rows >= 0
        safe = np.where(present, rows, 0)
        user_bias = self.user_bias(safe, ratings, present)
        residual = np.where(present, ratings - self.mu - self.item_bias[safe] - user_bias[:, None], 0.0)
        # (b, n_movies, K): similarity of every catalog movie to each given movie; empty slots and
        # non-positive similarities are not neighbours.
        sims = np.transpose(self.similarity[:, safe], (1, 0, 2))
        sims = np.where(present[:, None, :] & (sims > 0), sims, 0.0)
        if sims.shape[2] > self.k:
            # keep the k largest per (user, movie): at or above the k-th largest value (a value-only
            # partition; no index arrays of the block's size). Exact ties at that value, which shrunk
            # correlations of real data do not produce, would keep a few more.
            kth = np.partition(sims, sims.shape[2] - self.k, axis=2)[:, :, sims.shape[2] - self.k]
            sims = np.where(sims >= kth[:, :, None], sims, 0.0)
        num = np.einsum("bik,bk->bi", sims, residual)
        weight = sims.sum(axis=2)
        base = self.mu + self.item_bias[None, :] + user_bias[:, None]
        out = []
        for den_reg in den_regs:
            den = weight + den_reg
            correction = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
            out.append((base + correction).astype(np.float32))
        return out

    def user_bias(self, rows: np.ndarray, ratings: np.ndarray, present: np.ndarray) -> np.ndarray:
        """(B,) shrunk mean deviation of each user's given ratings from mu + b_i."""
        deviation = np.where(present, ratings - self.mu - self.item_bias[rows], 0.0)
        return deviation.sum(axis=1) / (present.sum(axis=1) + self.user_shrink)

    def _fit_baseline(self, train: CatalogRatings) -> None:
        self.mu = train.mean()
        sums, counts = train.item_stats()
        self.item_bias = ((sums - counts * self.mu) / (counts + self.item_shrink)).astype(np.float32)

    def _residuals(self, train: CatalogRatings) -> np.ndarray:
        """(n_ratings,) baseline residuals of the training ratings, in ``train``'s order."""
        users, rows, ratings = train.triples()
        deviation = ratings - self.mu - self.item_bias[rows]
        user_bias = np.bincount(users, weights=deviation, minlength=train.n_users) / (train.counts() + self.user_shrink)
        return deviation - user_bias[users]

    def _choose(self, train: CatalogRatings) -> tuple[int, float, float]:
        fit_users, val_users = newcomers.validation_users(train, self.validation_fraction, self.seed)
        sim = newcomers.draw(val_users, self.seed, min_targets=1, one_stream=True)
        self._fit_baseline(fit_users)
        sums = co_rating_sums(fit_users, self._residuals(fit_users))  # once: the shrinkage only rescales them
        for shrinkage in self.grid["shrinkage"]:
            self.similarity = shrunk_pearson(sums, shrinkage)
            for k in self.grid["k"]:
                self.k = k
                den_regs = tuple(self.grid["den_reg"])  # one neighbour search serves every den_reg
                errors = [
                    [metrics.rmse(stars, sim.targets) for stars in self._predict(*sim.given(n), den_regs)]
                    for n in newcomers.KS
                ]
                for j, den_reg in enumerate(den_regs):
                    self.validation[f"k={k},shrinkage={shrinkage},den_reg={den_reg}"] = float(
                        np.mean([e[j] for e in errors])
                    )
        best = min(self.validation, key=self.validation.__getitem__)
        values = dict(part.split("=") for part in best.split(","))
        return int(values["k"]), float(values["shrinkage"]), float(values["den_reg"])


BLOCK_USERS = 16_384  # users per dense block in ``co_rating_sums``


def co_rating_sums(train: CatalogRatings, residuals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums over co-rating users, each (n_items, n_items) float64: (sum e_ui e_uj, sum e_ui^2, n_ij).

    The middle one is over the users who rated both i and j. Users go through
    in dense blocks over the catalog (a thousand movies), so each sum is a
    BLAS product per block: at 100M ratings this is seconds where sparse
    products took minutes.
    """
    n = train.n_items
    products, squares, common = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
    for start, end in train.blocks(BLOCK_USERS):
        e = train.dense(start, end, residuals[train.indptr[start] : train.indptr[end]])
        rated = train.dense(start, end)
        products += e.T @ e
        squares += (e * e).T @ rated
        common += rated.T @ rated
    return products, squares, common


def shrunk_pearson(sums: tuple[np.ndarray, np.ndarray, np.ndarray], shrinkage: float) -> np.ndarray:
    """(n_items, n_items) float32 shrunk Pearson correlation from ``co_rating_sums``; zero diagonal."""
    products, squares, common = sums
    den = np.sqrt(squares * squares.T)
    pearson = np.divide(products, den, out=np.zeros_like(products), where=den > 0)
    support = np.maximum(common - 1, 0)
    shrunk = pearson * np.divide(support, support + shrinkage, out=np.zeros_like(pearson), where=support > 0)
    np.fill_diagonal(shrunk, 0.0)
    return shrunk.astype(np.float32)
