"""Netflix scale: the training stages before and after issue 12, side by side at 10M ratings, then `run` end to end.

Each pair runs in this one bench run, on the same data, each half in a fresh
process (``measure``: wall time and peak RSS):

- Model 1, 12 ALS iterations: Gram matrices by sparse products over every
  rating (``reference_als``, the code before) against dense catalog blocks.
- One tower: before, batches of 32 users and every epoch a whole pass; at
  10M all 80 epochs ran (the issue's log), so one epoch is measured and
  multiplied by 80. After: the bounded schedule (``user_tower.schedule``),
  trained to its end.
- The list-ranking choice: cross-fitting over every training user against
  a 10,000-user sample (``served.RANKING_USERS``).
- Ratings to the per-user catalog table: a dict lookup per rating against a sorted search, each with the
  same table build.

Then ``python -m training run --fresh`` on the same data, from the raw
files to a published artifact set: each stage's wall time and peak RSS.
``SG_BENCH_SCALE=full`` runs it at synthetic:480189,17770,100000000 (about
an hour; the pairs are skipped there: the "before" halves would take hours).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.measure import measure

TEN_M = (48_000, 17_770, 10_000_000)
FULL = (480_189, 17_770, 100_000_000)
OLD_EPOCHS = 80  # the old schedule: 80 whole passes (patience 25 never stopped it at 10M)


def _prepared(store: str):
    from training.coldstart.ratings import training_ratings
    from training.dataset import load_dataset
    from training.models import movie_factors, user_tower
    from training.models.fitting import catalog_features

    ds = load_dataset(store)
    train = training_ratings(ds)
    features = catalog_features(ds, Path(store).parent / "cache")
    offset = user_tower.rating_offset(train.mean(), ds.rating_scale.step)
    return ds, train, features, offset, movie_factors, user_tower


def model1(store: str, before: bool) -> dict:
    _, train, features, offset, movie_factors, _ = _prepared(store)
    from tests.bench import reference_als

    fit = reference_als.fit_movie_factors if before else movie_factors.fit_movie_factors
    t = time.perf_counter()
    fitted = fit(train, features, offset, movie_factors.MovieFactorsConfig())
    return {"seconds": time.perf_counter() - t, "train_rmse": fitted.history["train_rmse"][-1]}


def _vectors(store: str):
    _, train, features, offset, movie_factors, user_tower = _prepared(store)
    fitted = movie_factors.fit_movie_factors(train, features, offset, movie_factors.MovieFactorsConfig(iterations=6))
    return train, fitted.vectors, offset, user_tower


def tower(store: str, before: bool) -> dict:
    train, vectors, offset, user_tower = _vectors(store)
    if before:  # the old schedule's epoch: batches of 32, a whole pass; one epoch, times 80
        config = user_tower.UserTowerConfig(
            ensemble=1, epochs=1, max_batch_users=32, epoch_users=10**9, max_simulated_users=10**9, fit_gates=False
        )
    else:
        config = user_tower.UserTowerConfig(ensemble=1)
    t = time.perf_counter()
    trained = user_tower.train_user_tower(train, vectors, offset, config)
    seconds = time.perf_counter() - t
    h = trained.history
    return {
        "seconds": seconds * OLD_EPOCHS if before else seconds,
        "measured_seconds": seconds,
        "epochs": len(h["val_rmse"]),
        "schedule": h.get("schedule"),
        "initial_val_rmse": h.get("initial_val_rmse"),
        "val_rmse": min(h["val_rmse"]) if h["val_rmse"] else None,
    }


def ranking_choice(store: str, before: bool) -> dict:
    _, train, features, offset, movie_factors, _ = _prepared(store)
    from training.models import ranking, served

    t = time.perf_counter()
    seen = ranking.SeenScore.fit(train, seed=0)
    cases = served.ranking_cases(
        train, features, movie_factors.MovieFactorsConfig(), offset, seen.lam, max_users=10**9 if before else 10_000
    )
    choice = served.choose_ranking(cases)
    return {"seconds": time.perf_counter() - t, "params": choice["params"].to_dict(), "n_cases": choice["n_cases"]}


def lookup(store: str, before: bool) -> dict:
    import numpy as np

    from training.coldstart.ratings import CatalogRatings
    from training.dataset import load_dataset

    ds = load_dataset(store)
    frame = ds.ratings(columns=["user_id", "movie_id", "rating"], catalog_only=True)
    catalog = ds.catalog["movie_id"].to_numpy()
    t = time.perf_counter()
    if before:  # the old from_frame: a dict lookup per rating, then the same table build
        index = {int(m): i for i, m in enumerate(catalog)}
        ids = frame["movie_id"].to_numpy(dtype=np.int64)
        rows = np.fromiter((index.get(int(m), -1) for m in ids), dtype=np.int64, count=len(ids))
        keep = rows >= 0
        table = CatalogRatings.build(
            frame["user_id"].to_numpy()[keep], rows[keep], frame["rating"].to_numpy()[keep], len(catalog)
        )
    else:
        table = CatalogRatings.from_frame(frame, catalog)
    n = table.n_ratings
    return {"seconds": time.perf_counter() - t, "ratings": n}


def run_stages(source: str, work: str) -> dict:
    """`python -m training run --fresh` from the raw files; returns reports/run.json and the wall time."""
    t = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "run",
            "--dataset",
            source,
            "--work",
            work,
            "--to",
            f"{work}/published",
            "--fresh",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    record = json.loads((Path(work) / "reports" / "run.json").read_text())
    return {"wall_seconds": wall, **record, "log_tail": done.stdout[-4000:]}


PAIRS = [
    ("Model 1 (ALS, 12 iterations)", "model1"),
    ("one tower (train to the end)", "tower"),
    ("list-ranking choice", "ranking_choice"),
    ("ratings to the catalog table (from_frame)", "lookup"),
]


def run(out_dir: Path) -> dict:
    full = os.environ.get("SG_BENCH_SCALE", "") == "full"
    users, movies, ratings = FULL if full else TEN_M
    source = f"synthetic:{users},{movies},{ratings}"
    work = Path("data") / f"bench-scale-{users}-{movies}-{ratings}"
    result: dict = {"source": source, "pairs": {}}
    stages = measure("tests.bench.scale:run_stages", source, str(work))["result"]
    peak = max(s["peak_rss_bytes"] for s in stages["stages"])  # the run's own process (a grandchild here)
    result["run"] = {**stages, "peak_rss_mb": peak / 2**20}
    store = str(work / "data" / f"synthetic-{users}-{movies}-{ratings}")
    if not full:
        for label, name in PAIRS:
            before = measure(f"tests.bench.scale:{name}", store, True)
            after = measure(f"tests.bench.scale:{name}", store, False)
            result["pairs"][label] = {
                "before": {**before["result"], "peak_rss_mb": before["peak_rss_mb"]},
                "after": {**after["result"], "peak_rss_mb": after["peak_rss_mb"]},
                "speedup": before["result"]["seconds"] / after["result"]["seconds"],
            }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "scale.json").write_text(json.dumps(result, indent=2) + "\n")
    (out_dir / "scale.md").write_text(markdown(result))
    return result


def markdown(result: dict) -> str:
    run_ = result["run"]
    lines = [
        f"### `python -m training run --dataset {result['source']}` (from the raw files, --fresh)\n",
        f"Total {run_['total_seconds'] / 60:.1f} min, peak RSS {run_['peak_rss_mb'] / 1024:.1f} GiB.\n",
        "| stage | wall | peak RSS (so far) |",
        "|---|---|---|",
    ]
    for s in run_["stages"]:
        lines.append(f"| {s['name']} | {s['seconds']:.1f} s | {s['peak_rss_bytes'] / 2**30:.2f} GiB |")
    if result["pairs"]:
        lines += [
            "",
            f"### Before and after, side by side in this run ({result['source']})\n",
            "| step | before | after | ratio | peak RSS before / after |",
            "|---|---|---|---|---|",
        ]
        for label, p in result["pairs"].items():
            b, a = p["before"], p["after"]
            lines.append(
                f"| {label} | {b['seconds']:.1f} s | {a['seconds']:.1f} s | {p['speedup']:.1f}x "
                f"| {b['peak_rss_mb'] / 1024:.2f} / {a['peak_rss_mb'] / 1024:.2f} GiB |"
            )
        lines.append(
            f"\nThe tower's 'before' is one epoch of the old schedule times {OLD_EPOCHS} (all 80 ran at 10M); "
            "the served model trains five towers."
        )
    return "\n".join(lines) + "\n"
