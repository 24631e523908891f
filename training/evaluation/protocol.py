"""The evaluation protocol: how every model is fitted and scored, the same way.

Cold start (the product's situation). Models are fitted on the training
users' catalog ratings only. Each held-out user is a simulated newcomer
(``training.coldstart.newcomers``): the first k of a seeded permutation of
their catalog ratings are the input and every rating after the first 16 is a
target. Several draws with fixed seeds (``SEEDS``) are averaged.

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
from typing import Protocol

import numpy as np

from training.coldstart import metrics, newcomers
from training.coldstart.newcomers import KS, MIN_TARGETS
from training.coldstart.ratings import CatalogRatings

SEEDS = (0, 1, 2)


class ColdStartModel(Protocol):
    name: str

    def fit(self, train: CatalogRatings) -> None: ...

    def predict(self, given_rows: np.ndarray, given_ratings: np.ndarray) -> np.ndarray: ...


class WarmStartModel(Protocol):
    name: str

    def fit(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> None: ...

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray: ...


def evaluate_cold_start(models: list, test: CatalogRatings, ks=KS, seeds=SEEDS, log=None) -> dict:
    """{model name: {k: metrics averaged over draws (plus rmse_std)}} for already-fitted models."""
    draws = [newcomers.draw(test, s, max(ks)) for s in seeds]
    if not draws or draws[0].targets.n_users == 0:
        raise ValueError(f"no held-out user has {max(ks) + MIN_TARGETS} or more catalog ratings to evaluate on")
    results = {}
    for model in models:
        started = time.perf_counter()
        per_k = {}
        for k in ks:
            scores = [metrics.score(model.predict(*d.given(k)), d.targets) for d in draws]
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
