"""The evaluation protocol: how every model is fitted and scored, the same way.

Cold start (the product's situation). Models are fitted on the training
users' catalog ratings only. For each held-out user, a seeded permutation of
their catalog ratings puts 16 of them first; the first k (k in 1, 2, 4, 8, 16)
are the input, and every rating after the first 16 is a target, so the targets
are the same for every k and never reach a model. A draw is one such
permutation per user; several draws with fixed seeds are averaged.

Warm start (the toy models' situation). 5-fold cross-validation over the
training users' catalog ratings: each rating is a test rating exactly once
and its user and movie appear in training through their other ratings.

A cold-start model has ``name``, ``fit(train: CatalogRatings)`` and
``predict(given_rows (B, K) int, given_ratings (B, K) float) -> (B, n_movies)``
(-1 in given_rows marks an empty slot). A warm-start model has ``name``,
``fit(users, items, ratings)`` and ``predict(users, items) -> (n,)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from training.evaluation import metrics
from training.models.catalog_ratings import CatalogRatings

KS = (1, 2, 4, 8, 16)
SEEDS = (0, 1, 2)
MIN_TARGETS = 5


class ColdStartModel(Protocol):
    name: str

    def fit(self, train: CatalogRatings) -> None: ...

    def predict(self, given_rows: np.ndarray, given_ratings: np.ndarray) -> np.ndarray: ...


class WarmStartModel(Protocol):
    name: str

    def fit(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> None: ...

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ColdStartDraw:
    """One draw: for U eligible held-out users, their given ratings and their targets.

    given_rows, given_ratings: (U, k_max) in draw order (the first k are the k given).
    targets: CatalogRatings of the same U users holding only the target ratings.
    """

    seed: int
    given_rows: np.ndarray
    given_ratings: np.ndarray
    targets: CatalogRatings

    def given(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(U, 16) rows/ratings with the first k given and the rest -1 / 0."""
        width = max(16, self.given_rows.shape[1])
        rows = np.full((len(self.given_rows), width), -1, dtype=np.int64)
        ratings = np.zeros((len(self.given_rows), width), dtype=np.float32)
        rows[:, :k], ratings[:, :k] = self.given_rows[:, :k], self.given_ratings[:, :k]
        return rows, ratings


def eligible(test: CatalogRatings, k_max: int = max(KS), min_targets: int = MIN_TARGETS) -> np.ndarray:
    """Positions of test users with at least k_max + min_targets catalog ratings."""
    return np.flatnonzero(test.counts() >= k_max + min_targets)


def draw(test: CatalogRatings, seed: int, k_max: int = max(KS), min_targets: int = MIN_TARGETS) -> ColdStartDraw:
    """Split each eligible held-out user's ratings into k_max given (in random order) and targets."""
    users = eligible(test, k_max, min_targets)
    return split_users(test, users, np.full(len(users), k_max, dtype=np.int64), seed, k_max)


def split_users(test: CatalogRatings, users: np.ndarray, cuts: np.ndarray, seed: int, width: int) -> ColdStartDraw:
    """Users ``users`` (positions in ``test``) give the first ``cuts[i]`` ratings of a seeded permutation; the rest
    are targets. given_rows/given_ratings: (U, width), padded with -1 / 0."""
    given_rows = np.full((len(users), width), -1, dtype=np.int64)
    given_ratings = np.zeros((len(users), width), dtype=np.float32)
    t_users, t_rows, t_ratings = [], [], []
    for i, (u, cut) in enumerate(zip(users, cuts, strict=True)):
        rows, ratings = test.user(u)
        # Seeded by (seed, user id): a user's draw does not depend on who else is tested.
        order = np.random.default_rng([seed, int(test.user_ids[u])]).permutation(len(rows))
        given_rows[i, :cut], given_ratings[i, :cut] = rows[order[:cut]], ratings[order[:cut]]
        rest = order[cut:]
        t_users.append(np.full(len(rest), test.user_ids[u]))
        t_rows.append(rows[rest])
        t_ratings.append(ratings[rest])
    targets = CatalogRatings.build(
        np.concatenate(t_users) if t_users else np.zeros(0),
        np.concatenate(t_rows) if t_rows else np.zeros(0),
        np.concatenate(t_ratings) if t_ratings else np.zeros(0),
        test.n_items,
    )
    return ColdStartDraw(seed, given_rows, given_ratings, targets)


def score(predictions: np.ndarray, targets: CatalogRatings) -> dict:
    """Metrics of (U, n_movies) predictions against U users' targets."""
    sse = sae = 0.0
    n = 0
    ndcg, top, bottom = [], [], []
    for u in range(targets.n_users):
        rows, true = targets.user(u)
        pred = predictions[u, rows]
        s, a = metrics.squared_and_absolute(pred, true)
        sse, sae, n = sse + s, sae + a, n + len(rows)
        ndcg.append(metrics.ndcg_at(pred, true))
        top.append(metrics.top_mean(pred, true))
        bottom.append(metrics.bottom_mean(pred, true))
    return {
        "rmse": float(np.sqrt(sse / n)),
        "mae": sae / n,
        "ndcg@10": float(np.mean(ndcg)),
        "top10_true_mean": float(np.mean(top)),
        "bottom10_true_mean": float(np.mean(bottom)),
        "n_users": int(targets.n_users),
        "n_targets": int(n),
    }


def evaluate_cold_start(models: list, test: CatalogRatings, ks=KS, seeds=SEEDS, log=None) -> dict:
    """{model name: {k: metrics averaged over draws (plus rmse_std)}} for already-fitted models."""
    draws = [draw(test, s, max(ks)) for s in seeds]
    if not draws or draws[0].targets.n_users == 0:
        raise ValueError(f"no held-out user has {max(ks) + MIN_TARGETS} or more catalog ratings to evaluate on")
    results = {}
    for model in models:
        started = time.perf_counter()
        per_k = {}
        for k in ks:
            scores = [score(model.predict(*d.given(k)), d.targets) for d in draws]
            merged = {key: float(np.mean([s[key] for s in scores])) for key in scores[0]}
            merged["rmse_std"] = float(np.std([s["rmse"] for s in scores]))
            merged["n_users"], merged["n_targets"] = scores[0]["n_users"], scores[0]["n_targets"]
            per_k[str(k)] = merged
        results[model.name] = per_k
        if log:
            log(
                f"  {model.name}: rmse@16 {per_k[str(max(ks))]['rmse']:.4f}, ndcg@10@16 "
                f"{per_k[str(max(ks))]['ndcg@10']:.4f} ({time.perf_counter() - started:.1f} s)"
            )
    return results


def warm_start_folds(n: int, n_folds: int = 5, seed: int = 0) -> np.ndarray:
    """(n,) fold index of each rating, a seeded balanced assignment."""
    folds = np.arange(n) % n_folds
    np.random.default_rng(seed).shuffle(folds)
    return folds


def evaluate_warm_start(
    factories: list[Callable[[], WarmStartModel]], train: CatalogRatings, n_folds: int = 5, seed: int = 0, log=None
) -> dict:
    """{model name: {"rmse": mean over folds, "fold_rmse": [...], "seconds": ..}}."""
    users, items, ratings = train.triples()
    folds = warm_start_folds(len(ratings), n_folds, seed)
    results = {}
    for factory in factories:
        started = time.perf_counter()
        fold_rmse, name = [], None
        for f in range(n_folds):
            model = factory()
            name = model.name
            fit, test = folds != f, folds == f
            model.fit(users[fit], items[fit], ratings[fit])
            err = model.predict(users[test], items[test]) - ratings[test]
            fold_rmse.append(float(np.sqrt(np.mean(err.astype(np.float64) ** 2))))
        results[name] = {
            "rmse": float(np.mean(fold_rmse)),
            "fold_rmse": fold_rmse,
            "seconds": time.perf_counter() - started,
        }
        if log:
            log(f"  {name}: {n_folds}-fold rmse {results[name]['rmse']:.4f} ({results[name]['seconds']:.1f} s)")
    return results
