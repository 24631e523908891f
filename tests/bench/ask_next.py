"""``ask_next`` cost: each strategy per answer, side by side, at our catalog's size and at Netflix's.

Per request (one person with 16 ratings and 40 skips, their predicted stars and 20 listed movies, 50 for a
``+unlistedN`` strategy: its top 40 and bottom 10), the time of ``ElicitationData.cards`` (what the function
runs) for every strategy, and the served one with every movie scored (what ``cards`` prunes), median of repeated
calls taking turns, on one BLAS thread (as the function runs), on synthetic data of the exported shapes (taste
space D = 15, seen space k = 16). Target: at most 0.3 ms for the served one, at the catalog every run serves
(970 movies, the 100M-rating run's too) and reported at the Netflix catalog (17,770 movies); the question tree
(``tree``) is fitted on synthetic ratings of that catalog, so its walk runs as deep as such a tree goes. Also: the
size of ``elicitation.npz`` and the time to fit the seen space (``seen_space``, a sparse truncated SVD) and the question
tree (``question_tree.fit``, which samples at most 5,000 users whatever the data's size) on synthetic ratings of
growing size, with the seen space's linear extrapolation (through both points) to the 100M-rating Netflix run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from screen_genius import elicit
from screen_genius.elicit import ElicitationData

TARGET_MS = 0.3
SIZES = (970, 17_770)
FIT_RATINGS = (500_000, 2_000_000)  # synthetic ratings for the seen-space fit
NETFLIX_RATINGS = 100_000_000


def synthetic(n: int, seed: int = 0) -> ElicitationData:
    from training.models import question_tree

    rng = np.random.default_rng(seed)
    n_ratings = np.round(5000.0 / (1 + np.arange(n)) ** 0.7) + 1
    seen = np.linalg.qr(rng.normal(size=(n, 16)))[0]
    return ElicitationData(
        n_ratings=n_ratings,
        p_seen=n_ratings / 6000.0,
        mean=rng.uniform(2.5, 4.5, n),
        var=rng.uniform(0.3, 1.5, n),
        entropy=rng.uniform(1.0, 3.0, n),
        features=rng.normal(0, 0.3, (n, 15)),
        prior_cov=np.eye(15) * 0.2,
        noise_var=0.7,
        seen_vectors=seen,
        seen_mean=rng.normal(0, 0.1, 16),
        seen_cov=np.eye(16) * 0.05,
        seen_noise=0.05,
        tree=question_tree.fit(synthetic_ratings(200_000, n)),
    )


SCANNED = " (every movie scored)"  # the served strategy as ``choose(scores(...))``: what ``cards`` prunes


def per_request_ms(data: ElicitationData, strategies: list[str], repeats: int = 300) -> dict[str, float]:
    """Median ms per request of each strategy, and of the served one with every movie scored (SERVED + SCANNED);
    the strategies take turns within each repeat, so the shared machine's slow spells fall on all of them."""
    rng = np.random.default_rng(1)
    n = data.catalog_size
    requests = {}
    for strategy in [*strategies, elicit.SERVED + SCANNED]:
        base = strategy.removesuffix(SCANNED)
        name, _, rule = base.partition("+")
        listed_n = max(elicit.unlisted_top(base), elicit.LISTED) + elicit.LISTED if rule else 20
        picks = rng.choice(min(n, 400), 56 + listed_n, replace=False)
        rated, skipped, listed = picks[:16], picks[16:56], picks[56:]
        stars = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], len(rated))
        if data.tree is not None:  # answer the root's movies, so the walk goes past it
            root = data.tree.questions[0][data.tree.questions[0] >= 0]
            rated = np.concatenate([root, np.setdiff1d(rated, root)])[:16]
            skipped, listed = np.setdiff1d(skipped, rated), np.setdiff1d(listed, rated)
        requests[strategy] = (name, rated, rng.uniform(1, 5, n), skipped, stars, listed)
    times: dict[str, list[float]] = {s: [] for s in requests}
    with threadpool_limits(1):  # one BLAS thread, as functions/main.py runs the function
        for _ in range(repeats):
            for strategy, (name, rated, predicted, skipped, stars, listed) in requests.items():
                t = time.perf_counter()
                if strategy.endswith(SCANNED):
                    scores = data.scores(name, rated, predicted, skipped, None, stars)
                    elicit.choose(scores, np.concatenate([rated, skipped, listed]))
                else:
                    data.cards(name, rated, predicted, skipped, None, stars, listed)  # what ``Model.ask_next`` runs
                times[strategy].append(time.perf_counter() - t)
    return {s: float(np.median(t) * 1e3) for s, t in times.items()}


def synthetic_ratings(n_ratings: int, n_items: int = 17_770, per_user: int = 200):
    """Skewed popularity, and stars from a rank-2 taste, so the tree has answers that tell something."""
    from training.coldstart.ratings import CatalogRatings

    rng = np.random.default_rng(2)
    n_users = n_ratings // per_user
    popularity = 1.0 / (1 + np.arange(n_items)) ** 0.8
    rows = rng.choice(n_items, n_ratings, p=popularity / popularity.sum())
    users = np.repeat(np.arange(n_users), per_user)
    taste, kind = rng.normal(size=(n_users, 2)), rng.normal(size=(n_items, 2))
    stars = np.clip(np.rint(3.5 + (taste[users] * kind[rows]).sum(axis=1)), 1, 5)
    return CatalogRatings.build(users, rows, stars, n_items)


def fit_seconds(n_ratings: int) -> dict[str, float]:
    from training.evaluation.elicitation import seen_space
    from training.models import question_tree

    train = synthetic_ratings(n_ratings)
    t = time.perf_counter()
    seen_space(train)
    seen = time.perf_counter() - t
    t = time.perf_counter()
    question_tree.fit(train)
    return {"seen": seen, "tree": time.perf_counter() - t}


def run(out: Path) -> dict:
    strategies = [s + "+unlisted" for s in elicit.STRATEGIES]
    strategies += [elicit.SERVED] if elicit.SERVED not in strategies else []
    result: dict = {"target_ms": TARGET_MS, "served": elicit.SERVED, "per_request_ms": {}, "npz_mb": {}}
    for n in SIZES:
        data = synthetic(n)
        result["npz_mb"][n] = len(data.to_bytes()) / 2**20
        result["per_request_ms"][n] = per_request_ms(data, strategies)
    timed = {n: fit_seconds(n) for n in FIT_RATINGS}
    fits = {n: t["seen"] for n, t in timed.items()}
    result["seen_fit_s"] = fits
    result["tree_fit_s"] = {n: t["tree"] for n, t in timed.items()}
    (n0, n1), (t0, t1) = FIT_RATINGS, (fits[FIT_RATINGS[0]], fits[FIT_RATINGS[1]])
    slope = max((t1 - t0) / (n1 - n0), t1 / n1 / 4)  # seconds per rating beyond the fixed start-up
    result["seen_fit_netflix_s_extrapolated"] = t1 + slope * (NETFLIX_RATINGS - n1)
    served = {n: result["per_request_ms"][n][elicit.SERVED] for n in SIZES}
    result["meets_target"] = {n: ms <= TARGET_MS for n, ms in served.items()}
    lines = [
        "## ask_next",
        "",
        "Per request (16 ratings, 40 skips, 20 listed movies): `ElicitationData.cards`, median ms.",
        "",
        "| strategy | " + " | ".join(f"{n} movies" for n in SIZES) + " |",
        "|---|" + "---|" * len(SIZES),
    ]
    for s in [*strategies, elicit.SERVED + SCANNED]:
        mark = " (served)" if s == elicit.SERVED else ""
        lines.append(f"| {s}{mark} | " + " | ".join(f"{result['per_request_ms'][n][s]:.3f}" for n in SIZES) + " |")
    lines += [
        "",
        "Served ("
        + elicit.SERVED
        + "): "
        + ", ".join(
            f"{served[n]:.3f} ms at {n} movies (target <= {TARGET_MS} ms: "
            f"{'met' if result['meets_target'][n] else 'NOT met'})"
            for n in SIZES
        )
        + "; every movie scored: "
        + ", ".join(f"{result['per_request_ms'][n][elicit.SERVED + SCANNED] / served[n]:.2f}x that" for n in SIZES)
        + ". elicitation.npz: "
        + ", ".join(f"{result['npz_mb'][n]:.2f} MB at {n} movies" for n in SIZES)
        + ".",
        "Seen-space fit (sparse SVD, 17,770 movies): "
        + ", ".join(f"{fits[n]:.1f} s for {n:,} ratings" for n in FIT_RATINGS)
        + f"; extrapolated along the line through both to {NETFLIX_RATINGS:,}: "
        + f"{result['seen_fit_netflix_s_extrapolated'] / 60:.1f} min.",
        "Question-tree fit (at most 5,000 users, 300 candidates, 2,000 target movies): "
        + ", ".join(f"{result['tree_fit_s'][n]:.1f} s for {n:,} ratings" for n in FIT_RATINGS)
        + " (the user sample keeps it flat beyond that).",
        "",
    ]
    (out / "ask_next.md").write_text("\n".join(lines))
    (out / "ask_next.json").write_text(json.dumps(result, indent=2) + "\n")
    return result
