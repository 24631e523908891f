"""Model 2 training benchmark on synthetic Netflix-shaped data.

Ingests the data layer's synthetic source (``synthetic:USERS,MOVIES,RATINGS``),
then trains Model 2 (one tower) for two epochs over every training user with batches
streamed from the per-user table (no 16x16 input is precomputed), and reports
user-tower passes/s, target ratings/s and peak RSS of that process. Two epochs
run; the rates are from the second (the first also traces the TensorFlow
graph). Default: a 5M-rating slice of Netflix's shape for a quick run; ``full=True``
(``SG_BENCH_FULL=1``) uses the 100M-rating size. Target: one epoch fits in 8 GB.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.bench.measure import measure

FULL = (480_189, 17_770, 100_480_507)
QUICK = (24_000, 17_770, 5_000_000)


def train_one_epoch(data_dir: str, max_steps: int = 0) -> dict:
    """Runs in a child process: Model 2 epochs (one tower); returns counts and the steady epoch's timings."""
    import numpy as np

    from training.coldstart.ratings import training_ratings
    from training.dataset import load_dataset
    from training.models import user_tower

    t = time.perf_counter()
    ds = load_dataset(data_dir)
    train = training_ratings(ds)
    load_s = time.perf_counter() - t
    rng = np.random.default_rng(0)
    vectors = rng.normal(0, 0.3, size=(train.n_items, 16)).astype(np.float32)
    vectors[:, 15] = 1.0
    # one tower (the served ensemble trains `UserTowerConfig().ensemble` of them, one after another)
    config = user_tower.UserTowerConfig(
        epochs=2, batch_users=256, validation_fraction=0.0, ensemble=1, epoch_users=10**9, max_simulated_users=10**9
    )  # every epoch a whole pass, as this benchmark has always measured
    t = time.perf_counter()
    trained = user_tower.train_user_tower(train, vectors, user_tower.rating_offset(train.mean(), 1.0), config)
    total_s = time.perf_counter() - t
    first_s = trained.history["seconds"][0]
    seconds = trained.history["seconds"][1] - first_s  # the second epoch: no graph tracing
    given = np.minimum(train.counts() - 1, 16)
    users = int((train.counts() >= 2).sum())
    # expected targets: every rating not drawn as input (k is uniform in 1..min(16, n-1))
    expected_given = float(((1 + given[train.counts() >= 2]) / 2).sum())
    targets = int(train.counts()[train.counts() >= 2].sum() - expected_given)
    return {
        "users": users,
        "ratings": int(train.n_ratings),
        "catalog": int(train.n_items),
        "load_s": load_s,
        "first_epoch_s": first_s,
        "epoch_s": seconds,
        "train_s": total_s,
        "tower_passes_per_s": users / seconds,
        "target_ratings_per_s": targets / seconds,
        "final_rmse": trained.history["rmse"][-1],
    }


def run(out_dir: Path, full: bool | None = None) -> dict:
    full = bool(int(os.environ.get("SG_BENCH_FULL", "0"))) if full is None else full
    users, movies, ratings = FULL if full else QUICK
    raw = Path("data/raw") / f"synthetic-{users}-{movies}-{ratings}"
    store = Path("data") / f"bench-models-{users}-{movies}-{ratings}"
    if not (store / "dataset.json").exists():
        measure("tests.bench.ingest:generate", str(raw), users, movies, ratings)
        measure("tests.bench.ingest:ingest_new", str(raw), str(store))
    m = measure("tests.bench.models:train_one_epoch", str(store))
    result = {
        **m["result"],
        "peak_rss_mb": m["peak_rss_mb"],
        "fits_8gb": m["peak_rss_mb"] < 8192,
        "size": {"users": users, "movies": movies, "ratings": ratings},
        "full": full,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "models.json").write_text(json.dumps(result, indent=2) + "\n")
    r = result
    (out_dir / "models.md").write_text(
        f"### Model 2 training (synthetic Netflix shape: {ratings:,} ratings, {users:,} users, {movies:,} movies)\n\n"
        "| training users | catalog ratings | epoch (first, with graph tracing) | tower passes/s "
        "| target ratings/s | peak RSS | fits 8 GB |\n"
        f"|---|---|---|---|---|---|---|\n"
        f"| {r['users']:,} | {r['ratings']:,} | {r['epoch_s']:.1f} s ({r['first_epoch_s']:.1f} s) "
        f"| {r['tower_passes_per_s']:,.0f} | "
        f"{r['target_ratings_per_s']:,.0f} | {r['peak_rss_mb']:,.0f} MB | {'yes' if r['fits_8gb'] else 'NO'} |\n"
    )
    return result
