"""What a person sees: the top and bottom 10 of the whole catalog, and how good and how personal they are.

A model's scores for U users over the catalog, (U, n_movies), become two
lists per user: the 10 best and the 10 worst of every catalog movie the user
has not given as input (ties go to the lower catalog row, so lists are
deterministic). They are judged against the user's held-out target ratings:

- recall@10: liked targets (rated >= 4) in the top 10, over min(10, liked
  targets), so a list holding every liked movie (or 10 of them) scores 1;
  NaN for a user with no liked target.
- ndcg@10 (list): binary gain for liked targets in the top 10, ideal =
  min(10, liked targets) at the top.
- hit rating: the true ratings of all targets that land in the top 10 (their
  sum and count, so the mean over users is pooled: sum / count).
- hate@10: disliked targets (rated <= 2) in the bottom 10, over
  min(10, disliked targets); the bottom list's true ratings likewise pooled.
- chart share: the fraction of a top 10 drawn from the 20 highest-mean
  catalog movies (of a bottom 10 from the 20 lowest).
- personalization: 1 - mean Jaccard overlap of two users' lists, over all
  pairs of distinct users; coverage: distinct movies in all users' lists.

Recall over the whole catalog mixes "has seen" with "liked": read it beside
the ranking of rated targets (``metrics.rating_stats``) and the hit rating.
"""

from __future__ import annotations

import numpy as np

from training.coldstart.metrics import TOP_N

LIKED = 4.0  # a target rated at least this is "liked"
DISLIKED = 2.0  # at most this is "disliked"
CHART_N = 20  # the chart: this many highest-mean (lowest-mean) catalog movies


def top_bottom(scores: np.ndarray, exclude: np.ndarray, n: int = TOP_N) -> tuple[np.ndarray, np.ndarray]:
    """(U, n) catalog rows of each user's n best (best first) and n worst (worst first) non-excluded movies.

    scores: (U, n_movies); exclude: (U, n_movies) bool, True for the movies the user gave.
    Ties are broken by catalog row, lowest first.
    """
    s = np.asarray(scores, dtype=np.float64)
    # copies: a slice would keep each full (U, n_movies) ranking alive with the lists (310 MB per model and k at
    # 20,000 users, which the evaluation holds for every model and k)
    top = np.argsort(np.where(exclude, np.inf, -s), axis=1, kind="stable")[:, :n].copy()
    bottom = np.argsort(np.where(exclude, np.inf, s), axis=1, kind="stable")[:, :n].copy()
    return top, bottom


def chart(item_means: np.ndarray, n: int = CHART_N) -> tuple[np.ndarray, np.ndarray]:
    """(highest-mean rows, lowest-mean rows) of the catalog, n each (ties to the lower row)."""
    m = np.asarray(item_means, dtype=np.float64)
    return np.argsort(-m, kind="stable")[:n], np.argsort(m, kind="stable")[:n]


def _ratio(hits: np.ndarray, relevant: np.ndarray, n: int) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(relevant > 0, hits / np.minimum(relevant, n), np.nan)


def liked(targets: np.ndarray) -> np.ndarray:
    """(U, n_movies) bool: targets rated at least LIKED."""
    return np.nan_to_num(targets, nan=-1.0) >= LIKED


def disliked(targets: np.ndarray) -> np.ndarray:
    """(U, n_movies) bool: targets rated at most DISLIKED."""
    return np.nan_to_num(targets, nan=99.0) <= DISLIKED


def caught(chosen: np.ndarray, targets: np.ndarray, relevant: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per user, for a list ``chosen`` (U, n): the share of ``relevant`` targets it holds, over min(n, relevant)
    (NaN with none), and the sum and count of the true ratings of all targets in it."""
    in_list = np.take_along_axis(targets, chosen, axis=1)
    share = _ratio(np.take_along_axis(relevant, chosen, axis=1).sum(axis=1), relevant.sum(axis=1), chosen.shape[1])
    return share, np.nansum(in_list, axis=1), (~np.isnan(in_list)).sum(axis=1).astype(np.float64)


def list_stats(top: np.ndarray, bottom: np.ndarray, targets: np.ndarray, chart_rows=None) -> dict:
    """Per-user statistics of the lists against the targets.

    top, bottom: (U, n) catalog rows; targets: (U, n_movies) true ratings, NaN where not a target.
    chart_rows: (highest-mean rows, lowest-mean rows) for the chart shares, or None.
    Returns {name: (U,) float64}; NaN marks a user for whom a metric is undefined.
    """
    n = top.shape[1]
    liked_targets = liked(targets)
    recall, hit_sum, hit_count = caught(top, targets, liked_targets)
    hate, bottom_sum, bottom_count = caught(bottom, targets, disliked(targets))
    n_liked = liked_targets.sum(axis=1)
    discounts = 1.0 / np.log2(np.arange(2, n + 2))
    ideal = np.cumsum(discounts)[np.clip(np.minimum(n_liked, n) - 1, 0, n - 1)]
    with np.errstate(invalid="ignore", divide="ignore"):
        gains = np.take_along_axis(liked_targets, top, axis=1) * discounts
        ndcg = np.where(n_liked > 0, gains.sum(axis=1) / ideal, np.nan)
    stats = {
        "recall@10": recall,
        "list_ndcg@10": ndcg,
        "hit_sum": hit_sum,
        "hit_count": hit_count,
        "hate@10": hate,
        "bottom_sum": bottom_sum,
        "bottom_count": bottom_count,
    }
    if chart_rows is not None:
        stats["chart_share_top"] = np.isin(top, chart_rows[0]).mean(axis=1)
        stats["chart_share_bottom"] = np.isin(bottom, chart_rows[1]).mean(axis=1)
    return stats


def overlap(lists: np.ndarray, n_movies: int) -> np.ndarray:
    """(U, U) Jaccard overlap of every pair of users' lists ((U, n) catalog rows)."""
    incidence = np.zeros((len(lists), n_movies), dtype=np.float64)
    np.put_along_axis(incidence, lists, 1.0, axis=1)
    inter = incidence @ incidence.T
    sizes = incidence.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 1.0)


def personalization(
    jaccard: np.ndarray, weights: np.ndarray | None = None, groups: np.ndarray | None = None
) -> np.ndarray | float:
    """1 - mean Jaccard over pairs of distinct users; ``weights`` (B, U) bootstrap counts give (B,) values.

    groups: (U,) labels (the fold each user was tested in); only pairs within a
    group count, so lists from differently trained models (one per fold) are
    never counted as personal. With weights, a user drawn twice is not paired
    with their own copy.
    """
    u = len(jaccard)
    groups = np.zeros(u, dtype=np.int64) if groups is None else np.asarray(groups)
    w = np.ones((1, u)) if weights is None else np.asarray(weights, dtype=np.float64)
    # per group g: sum over ordered pairs (i, j) in g of w_i w_j J_ij, and of w_i w_j; then the
    # self-pairs (i, i) are taken out. One (B, |g|) @ (|g|, |g|) product per group, no (U, U) mask.
    pair_sum, pair_count = np.zeros(len(w)), np.zeros(len(w))
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        wg = w[:, members]
        pair_sum += ((wg @ jaccard[np.ix_(members, members)]) * wg).sum(axis=1)
        pair_count += wg.sum(axis=1) ** 2
    pair_sum -= (w * w) @ np.diag(jaccard)
    pair_count -= (w * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 1.0 - pair_sum / pair_count
    return float(out[0]) if weights is None else out


def coverage(lists: np.ndarray) -> int:
    """Distinct catalog movies over all users' lists."""
    return int(np.unique(lists).size)
