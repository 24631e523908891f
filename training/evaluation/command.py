"""`python -m training evaluate`: every model on the same cold-start protocol, toys on warm start.

Fits the baselines on the training users, loads the trained towers, scores
all of them on the held-out users (``protocol``), measures whether averaging
several 16-rating subsets helps users with more than 16 ratings, runs the toy
models' 5-fold warm-start comparison, and writes reports/eval (HTML, PNG,
metrics.json). ``export`` copies the headline metrics into the manifest.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from training.evaluation import protocol

SERVED_MODEL = "user_tower"
SUBSET_CHOICES = (1, 2, 4, 8)
SUBSET_GIVEN = 32


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("data/movielens-sample"), help="ingested dataset directory")
    parser.add_argument("--models", type=Path, default=Path("artifacts/models/movielens-sample"),
                        help="model directory written by `train`")
    parser.add_argument("--out", type=Path, default=Path("reports/eval"), help="report directory")
    parser.add_argument("--quick", action="store_true", help="one draw, 2 folds, short toy training (smoke tests)")
    parser.add_argument("--no-toys", action="store_true", help="skip the warm-start toy models")


def main(args: argparse.Namespace) -> int:
    from training.dataset import load_dataset
    from training.models.command_train import load_models

    ds = load_dataset(args.data)
    metrics = evaluate_all(ds, load_models(args.models), quick=args.quick, toys=not args.no_toys, log=print)
    path = write(metrics, load_models_info(args.models), args.out)
    print(f"report: {path}")
    return 0


def load_models_info(model_dir: Path) -> dict:
    import json

    return json.loads((Path(model_dir) / "training.json").read_text())


def write(metrics: dict, training_info: dict, out_dir: Path) -> Path:
    from training.evaluation.report import write_report

    return write_report(metrics, training_info, out_dir)


def subsets_experiment(tower, test, seeds, log=None) -> dict:
    """Users with more than 16 ratings: does averaging n deterministic 16-subsets beat one?

    Each eligible held-out user gives 32 ratings; the rest are targets. The
    smallest n within 0.001 RMSE of the best is chosen (fewer tower passes).
    """
    from training.models.user_tower import UserTowerRecommender

    draws = [protocol.draw(test, s, SUBSET_GIVEN) for s in seeds]
    if draws[0].targets.n_users < 5:
        return {"n_subsets": 1, "experiment": {"description": f"fewer than 5 held-out users have {SUBSET_GIVEN} + "
                                                              f"{protocol.MIN_TARGETS} ratings; using one subset."}}
    results = {}
    for n in SUBSET_CHOICES:
        model = UserTowerRecommender.from_trained(tower, SERVED_MODEL, n_subsets=n)
        scores = [protocol.score(model.predict(d.given_rows, d.given_ratings), d.targets) for d in draws]
        results[str(n)] = {key: float(np.mean([s[key] for s in scores])) for key in ("rmse", "ndcg@10")}
    best = min(r["rmse"] for r in results.values())
    chosen = next(n for n in SUBSET_CHOICES if results[str(n)]["rmse"] <= best + 1e-3)
    if log:
        log("  n_subsets: " + ", ".join(f"{n}: {r['rmse']:.4f}" for n, r in results.items()) + f" -> {chosen}")
    return {"n_subsets": int(chosen), "experiment": {
        "description": f"{draws[0].targets.n_users} held-out users with at least {SUBSET_GIVEN + protocol.MIN_TARGETS} "
                       f"ratings each give {SUBSET_GIVEN}; predictions from n deterministic 16-rating subsets "
                       f"(features.choose_subsets) are averaged. The smallest n within 0.001 RMSE of the best is used.",
        "n_users": draws[0].targets.n_users, "results": results}}


def evaluate_all(ds, trained, quick: bool = False, toys: bool = True, log=print) -> dict:
    """All models on the protocol; returns the metrics dict written to metrics.json and the manifest."""
    from training.models import baselines
    from training.models.command_train import heldout_ratings, training_ratings
    from training.models.user_tower import UserTowerRecommender

    started = time.perf_counter()
    train, test = training_ratings(ds), heldout_ratings(ds)
    seeds = protocol.SEEDS[:1] if quick else protocol.SEEDS
    models = [cls() for cls in baselines.ALL]
    for model in models:
        model.fit(train)
    for name, tower in trained.towers.items():
        models.append(UserTowerRecommender.from_trained(tower, name))
    log(f"cold start: {len(models)} models, held-out users {test.n_users}, draws {list(seeds)}")
    cold = protocol.evaluate_cold_start(models, test, protocol.KS, seeds, log=log)
    serving = subsets_experiment(trained.towers[SERVED_MODEL], test, seeds, log)

    warm = {}
    if toys:
        from training.models.toys import ncf, svd, two_tower

        n_users, n_items = train.n_users, train.n_items
        epochs = {"epochs": 1} if quick else {}
        factories = [lambda: svd.SurpriseSVD(rating_range=(ds.rating_scale.min, ds.rating_scale.max)),
                     lambda: ncf.NeuMF(n_users, n_items, **epochs),
                     lambda: two_tower.TwoTower(n_users, n_items, **epochs)]
        log("warm start: toy models, " + ("2" if quick else "5") + "-fold")
        warm = protocol.evaluate_warm_start(factories, train, n_folds=2 if quick else 5, log=log)

    first = next(iter(cold.values()))[str(max(protocol.KS))]
    return {
        "dataset": ds.info.get("name"), "catalog_size": int(len(ds.catalog)),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "served_model": SERVED_MODEL, "cold_start": cold, "warm_start": warm, "serving": serving,
        "protocol": {"description": protocol.__doc__.split("\n\n")[1].replace("\n", " ") + " "
                                    + protocol.__doc__.split("\n\n")[2].replace("\n", " "),
                     "ks": list(protocol.KS), "seeds": list(seeds), "n_users": first["n_users"],
                     "n_targets": first["n_targets"],
                     "warm_start": ("2" if quick else "5") + "-fold over training users' catalog ratings"},
        "seconds": time.perf_counter() - started,
    }


def headline(metrics: dict) -> dict:
    """The manifest's ``metrics`` field (DESIGN.md): rmse, mae, ndcg@10 per model and k; toy RMSEs."""
    cold = {name: {k: {key: round(m[key], 4) for key in ("rmse", "mae", "ndcg@10")} for k, m in per_k.items()}
            for name, per_k in metrics["cold_start"].items()}
    warm = {name: {"rmse": round(w["rmse"], 4)} for name, w in (metrics.get("warm_start") or {}).items()}
    return {"cold_start": cold, "warm_start": warm}
