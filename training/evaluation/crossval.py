"""Protocol v2: every user a cold-start test user once (user-level K-fold), judged on the lists a person sees.

For each fold (``folds.split_fold``), every model is fitted on the other
folds' users only; whatever it chooses (early stopping, gates, blends, rank
scores) it chooses on validation users drawn from those training users. Each
test user with at least 16 + 5 catalog ratings gets one seeded permutation of
their ratings (``newcomers.draw``, seeded by (seed, user id)): the first k
(k in 0, 1, 2, 4, 8, 16) are given and every rating after the first 16 is a
target, the same targets for every k. "all" (users with more than 16
ratings to give): the last max(5, 20%) of the permutation are the targets and
every other rating is given.

Per model, k and user this keeps the statistics of ``lists`` (full-catalog
top and bottom 10 among the movies the user did not give) and the accuracy
and rated-target ranking; ``summarize`` turns them into metrics with 90%
bootstrap intervals and every pairwise difference between models
(``bootstrap``: users resampled, the pairing kept).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from training import progress
from training.coldstart import folds, lists, metrics, newcomers
from training.coldstart.ratings import CatalogRatings
from training.evaluation import bootstrap

ALL = newcomers.ALL
K_VALUES = (0, *newcomers.KS)  # nothing rated yet, then every k of the contract


def ranked_lists(model, rows, values, scores, exclude) -> tuple[np.ndarray, np.ndarray]:
    """The model's top and bottom 10: by its ``rank_scores`` (top, bottom) when it has them, else by its scores."""
    if hasattr(model, "rank_scores"):
        top_scores, bottom_scores = model.rank_scores(rows, values)
        return lists.top_bottom(top_scores, exclude)[0], lists.top_bottom(bottom_scores, exclude)[1]
    return lists.top_bottom(scores, exclude)


@dataclass
class CrossValResult:
    """Per-user statistics of every model at every k, users in the same order for every model.

    stats[model][k]: {statistic: (U_k,) array, "top"/"bottom": (U_k, 10) catalog rows}.
    user_ids[k], fold_of[k]: (U_k,) the user and their fold.
    """

    n_folds: int
    seed: int
    n_movies: int
    ks: list
    stats: dict = field(default_factory=dict)
    user_ids: dict = field(default_factory=dict)
    fold_of: dict = field(default_factory=dict)
    predicts_ratings: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    def add(self, model: str, k, fold: int, stats: dict) -> None:
        per_k = self.stats.setdefault(model, {})
        if k not in per_k:
            per_k[k] = {key: [] for key in stats}
        for key, values in stats.items():
            per_k[k][key].append(values)

    def merged(self) -> CrossValResult:
        """The same result with every fold's arrays concatenated."""
        for per_k in self.stats.values():
            for k, stats in per_k.items():
                per_k[k] = {key: np.concatenate(v) if isinstance(v, list) else v for key, v in stats.items()}
        for d in (self.user_ids, self.fold_of):
            for k, v in d.items():
                d[k] = np.concatenate(v) if isinstance(v, list) else v
        return self


def cross_validate(
    ratings: CatalogRatings,
    make_models: Callable[[CatalogRatings, int], list],
    n_folds: int = folds.N_FOLDS,
    seed: int = 0,
    ks=K_VALUES,
    with_all: bool = True,
    log=None,
) -> CrossValResult:
    """Fit ``make_models(train, fold)`` per fold and collect every model's per-user statistics on the test fold.

    ``make_models`` returns fitted cold-start models (``protocol.ColdStartModel``, plus an optional
    ``predicts_ratings`` attribute, True by default, and optional ``rank_scores``) trained on ``train`` only.
    """
    splits = ((fold, *folds.split_fold(ratings, fold, n_folds, seed)) for fold in range(n_folds))
    return evaluate_splits(splits, make_models, n_folds, seed, ks, with_all, log)


def evaluate_splits(
    splits,
    make_models: Callable[[CatalogRatings, int], list],
    n_splits: int,
    seed: int = 0,
    ks=K_VALUES,
    with_all: bool = True,
    log=None,
) -> CrossValResult:
    """``cross_validate`` over given (fold, train, test) splits (one split: the published held-out users)."""
    result = None
    for fold, train, test in splits:
        if result is None:
            result = CrossValResult(n_splits, seed, train.n_items, list(ks) + ([ALL] if with_all else []))
        started = time.perf_counter()
        models = make_models(train, fold)
        fit_seconds = time.perf_counter() - started
        sums, counts = train.item_stats()
        mu = train.mean()
        chart_rows = lists.chart(mu + (sums - counts * mu) / (counts + 5.0))
        first16 = newcomers.draw(test, seed)  # one permutation per user: the first k given, the same targets
        if first16.targets.n_users == 0:
            raise ValueError(
                f"no test user has {newcomers.KS[-1] + newcomers.MIN_TARGETS} or more catalog ratings "
                "to evaluate on; ingest more data or a larger catalog"
            )
        draws = dict.fromkeys(ks, first16)
        if with_all:
            extra = newcomers.draw_all(test, seed)
            if extra is not None:
                draws[ALL] = extra
        for k, d in draws.items():
            result.user_ids.setdefault(k, []).append(d.targets.user_ids.astype(np.int64))
            result.fold_of.setdefault(k, []).append(np.full(d.targets.n_users, fold))
        for model in progress.bar(models, desc=f"evaluate split {fold + 1}/{n_splits}", unit="model"):
            started = time.perf_counter()
            rates = bool(getattr(model, "predicts_ratings", True))
            result.predicts_ratings[model.name] = rates
            for k, d in draws.items():
                rows, values = (d.given_rows, d.given_ratings) if k == ALL else d.given(k)
                scores = np.asarray(model.predict(rows, values), dtype=np.float64)
                targets = newcomers.dense(d.targets)
                exclude = newcomers.given_mask(rows, train.n_items)
                top, bottom = ranked_lists(model, rows, values, scores, exclude)
                stats = lists.list_stats(top, bottom, targets, chart_rows)
                stats.update(metrics.rating_stats(scores, targets, with_errors=rates))
                stats["top"], stats["bottom"] = top, bottom
                result.add(model.name, k, fold, stats)
            result.seconds[model.name] = result.seconds.get(model.name, 0.0) + time.perf_counter() - started
        if log:
            log(
                f"  split {fold + 1}/{n_splits}: {train.n_users} training users, {first16.targets.n_users} "
                f"test users, {len(models)} models ({fit_seconds:.1f} s to fit)"
            )
    assert result is not None, "no splits to evaluate"
    return result.merged()


def summarize(result: CrossValResult, n_boot: int = bootstrap.N_BOOT, seed: int = 0, pairs: bool = True) -> dict:
    """Metrics with 90% bootstrap intervals and every paired difference between models.

    {"values": {model: {k: {metric: [value, lo, hi]}}},
     "pairs": {k: {metric: {"a|b": [a - b, lo, hi]}}}, "coverage": {model: {k: {"top": n, "bottom": n}}},
     "n_users": {k: U}}. Metrics that need ratings are absent for models that rank only.
    """
    models = list(result.stats)
    out: dict[str, Any] = {
        "values": {m: {} for m in models},
        "pairs": {},
        "coverage": {m: {} for m in models},
        "n_users": {},
        "n_boot": n_boot,
        "level": bootstrap.LEVEL,
    }
    for k in result.ks:
        key = str(k)
        present = [m for m in models if k in result.stats[m]]
        if not present:
            continue
        n_users = len(result.user_ids[k])
        out["n_users"][key] = n_users
        weights = bootstrap.resampling_weights(n_users, n_boot, seed)
        samples = {}
        for m in present:
            stats = result.stats[m][k]
            cache: dict[str, np.ndarray] = {}
            out["values"][m][key] = {}
            out["coverage"][m][key] = {"top": lists.coverage(stats["top"]), "bottom": lists.coverage(stats["bottom"])}
            for name, metric in bootstrap.METRICS.items():
                if metric.needs_ratings and not result.predicts_ratings[m]:
                    continue
                if any(f not in stats for f in metric.fields):
                    continue
                point = bootstrap.value(metric, stats, None, result.n_movies, cache, result.fold_of[k])
                boot = bootstrap.value(metric, stats, weights, result.n_movies, cache, result.fold_of[k])
                samples[(m, name)] = (point, boot)
                out["values"][m][key][name] = [point, *bootstrap.interval(boot)]
        if pairs:
            out["pairs"][key] = {}
            for name in bootstrap.METRICS:
                entry = {}
                for i, a in enumerate(present):
                    for b in present[i + 1 :]:
                        if (a, name) in samples and (b, name) in samples:
                            pa, ba = samples[(a, name)]
                            pb, bb = samples[(b, name)]
                            entry[f"{a}|{b}"] = [pa - pb, *bootstrap.interval(ba - bb)]
                out["pairs"][key][name] = entry
    return out


def paired(summary: dict, k, metric: str, a: str, b: str) -> list | None:
    """[a - b, lo, hi] from a summary, whichever order the pair was stored in."""
    entry = summary["pairs"].get(str(k), {}).get(metric, {})
    if f"{a}|{b}" in entry:
        return entry[f"{a}|{b}"]
    if f"{b}|{a}" in entry:
        d, lo, hi = entry[f"{b}|{a}"]
        return [-d, -hi, -lo]
    return None
