"""Paired bootstrap over users: intervals for every metric and for every difference between two models.

Users are resampled with replacement (seeded), and every model is scored on
the same resample, so a difference between two models keeps the pairing by
user: a user who is hard for every model does not widen the interval of the
difference. Each metric is a function of per-user statistics and a (B, U)
matrix of resampling counts (``METRICS``), so pooled metrics (RMSE, the mean
rating of the hits) are pooled again on each resample rather than averaged
per user.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.coldstart import lists

N_BOOT = 1000
LEVEL = 0.90


@dataclass(frozen=True)
class Metric:
    """How one metric is read off per-user statistics.

    kind: "rmse" (sqrt of pooled sum / count), "ratio" (pooled sum / count),
    "mean" (mean over users where the statistic is defined), "personalization"
    (1 - mean pairwise Jaccard of the lists named by ``fields[0]``).
    """

    kind: str
    fields: tuple[str, ...]
    higher_is_better: bool
    label: str
    needs_ratings: bool = False  # only for models whose scores are stars


METRICS = {
    "rmse": Metric("rmse", ("sse", "n_targets"), False, "RMSE (stars)", True),
    "mae": Metric("ratio", ("sae", "n_targets"), False, "MAE (stars)", True),
    "ndcg_rated@10": Metric("mean", ("ndcg_rated@10",), True, "NDCG@10 over rated targets"),
    "recall@10": Metric("mean", ("recall@10",), True, "full-catalog recall@10 of liked targets"),
    "list_ndcg@10": Metric("mean", ("list_ndcg@10",), True, "full-catalog NDCG@10 of liked targets"),
    "hit_rating": Metric("ratio", ("hit_sum", "hit_count"), True, "mean true rating of targets in the top 10"),
    "hate@10": Metric("mean", ("hate@10",), True, "share of disliked targets in the bottom 10"),
    "bottom_rating": Metric(
        "ratio", ("bottom_sum", "bottom_count"), False, "mean true rating of targets in the bottom 10"
    ),
    "personalization_top": Metric("personalization", ("top",), True, "top-10 personalization (1 - mean Jaccard)"),
    "personalization_bottom": Metric(
        "personalization", ("bottom",), True, "bottom-10 personalization (1 - mean Jaccard)"
    ),
    "chart_share_top": Metric("mean", ("chart_share_top",), False, "share of the top 10 from the 20 highest-mean"),
    "chart_share_bottom": Metric(
        "mean", ("chart_share_bottom",), False, "share of the bottom 10 from the 20 lowest-mean"
    ),
}


PAIR_USERS = 2_000  # personalization pairs at most this many users' lists: (U, U) Jaccard, (B, U) @ (U, U) per model


def pair_users(n_users: int, limit: int | None = None) -> np.ndarray:
    """Sorted positions of the users whose pairs personalization is measured on: all, or a seeded sample.

    Personalization is a mean over pairs of users; its cost grows with the
    square of the users (3.2 GB and 4e11 multiply-adds per model and list at
    20,000), while 2,000 users already give 2 million pairs. The sample
    depends only on the number of users, so every model at one k is measured
    on the same users (the paired differences stay paired) and resampled with
    those users' bootstrap counts.
    """
    limit = PAIR_USERS if limit is None else limit
    if n_users <= limit:
        return np.arange(n_users)
    return np.sort(np.random.default_rng(0x9A1F).choice(n_users, limit, replace=False))


def resampling_weights(n_users: int, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """(n_boot, n_users) float64 counts: how often each user is drawn in each resample."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_users, np.full(n_users, 1.0 / n_users), size=n_boot).astype(np.float64)


def value(
    metric: Metric,
    stats: dict,
    weights: np.ndarray | None = None,
    n_movies: int | None = None,
    jaccard_cache: dict | None = None,
    groups: np.ndarray | None = None,
):
    """The metric on ``stats`` (per-user arrays); a float, or (B,) values with ``weights`` (B, U).

    groups: (U,) the fold of each user; personalization pairs only users of the same fold.
    """
    if metric.kind == "personalization":
        key = metric.fields[0]
        keep = pair_users(len(stats[key]))
        cache = jaccard_cache if jaccard_cache is not None else {}
        if key not in cache:
            cache[key] = lists.overlap(stats[key][keep], n_movies or int(stats[key].max()) + 1)
        return lists.personalization(
            cache[key],
            None if weights is None else np.asarray(weights)[:, keep],
            None if groups is None else np.asarray(groups)[keep],
        )
    w = np.ones(len(stats[metric.fields[0]])) if weights is None else weights
    if metric.kind == "mean":
        x = stats[metric.fields[0]]
        defined = ~np.isnan(x)
        out = (w @ np.where(defined, x, 0.0)) / (w @ defined.astype(np.float64))
    else:
        num, den = stats[metric.fields[0]], stats[metric.fields[1]]
        out = (w @ num) / (w @ den)
        if metric.kind == "rmse":
            out = np.sqrt(out)
    return float(out) if weights is None else out


def interval(samples: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The central ``level`` percentile interval of bootstrap samples (NaNs dropped)."""
    samples = np.asarray(samples, dtype=np.float64)
    samples = samples[~np.isnan(samples)]
    if samples.size == 0:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2 * 100
    lo, hi = np.percentile(samples, [tail, 100 - tail])
    return float(lo), float(hi)
