"""Running the evaluation: every model over the folds (or the published split), the experiments, metrics.json.

``evaluate_folds`` (user-level K-fold, every model refitted per fold) and
``evaluate_all`` (the published split, the trained model directory) collect
per-user statistics through ``crossval``, summarize them with bootstrap
intervals and ``assemble`` metrics.json, with the taste-contrast profiles,
the >16-ratings subsets experiment, the toys' warm start and the targets.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np

from training.coldstart import metrics, newcomers
from training.evaluation import bootstrap, crossval, protocol
from training.evaluation.results import SERVED_MODEL, STARS_ONLY
from training.evaluation.roster import baselines_fitted, peers, warm_label, warm_start
from training.evaluation.targets import check_targets

SUBSET_CHOICES = (1, 2, 4, 8)
FOLD_SUBSETS = 4  # 16-rating subsets averaged for users giving more than 16 ("all") in the fold protocol
SUBSET_GIVEN = 32
PROTOCOLS = {
    "folds": (
        "User-level {n}-fold cross-validation over all users (folds: splitmix64 rank of the user id, as the "
        "published split). Per fold every model, the served one included, is fitted on the other folds' "
        "users; its choices (early stopping, gates, list ranking, peers' hyper-parameters) use validation "
        "users drawn from those training users. Each test user with at least 21 catalog ratings gives the "
        "first k of a seeded permutation of their ratings; every rating after the 16th is a target (the "
        "same targets for every k). 'all': the last max(5, 20%) are targets, the rest given."
    ),
    "split": (
        "The published split: models fitted on the training users; the held-out users ({n} with at least 21 "
        "catalog ratings) give the first k of a seeded permutation of their ratings; every rating after the "
        "16th is a target. 'all': the last max(5, 20%) are targets, the rest given."
    ),
}


def subsets_experiment(recommender_for, test, seeds, log=None) -> dict:
    """Users with more than 16 ratings: does averaging n deterministic 16-subsets beat one?

    ``recommender_for(n)``: the served model averaging n subsets. Each eligible
    test user gives 32 ratings; the rest are targets. The smallest n within
    0.001 RMSE of the best is chosen (fewer tower passes).
    """
    draws = [newcomers.draw(test, s, SUBSET_GIVEN) for s in seeds]
    if draws[0].targets.n_users < 5:
        return {
            "n_subsets": 1,
            "experiment": {
                "description": f"fewer than 5 test users have {SUBSET_GIVEN} + "
                f"{newcomers.MIN_TARGETS} ratings; using one subset."
            },
        }
    results = {}
    for n in SUBSET_CHOICES:
        model = recommender_for(n)
        scores = [metrics.score(model.predict(d.given_rows, d.given_ratings), d.targets) for d in draws]
        results[str(n)] = {key: float(np.mean([s[key] for s in scores])) for key in ("rmse", "ndcg@10")}
    best = min(r["rmse"] for r in results.values())
    chosen = next(n for n in SUBSET_CHOICES if results[str(n)]["rmse"] <= best + 1e-3)
    if log:
        log("  n_subsets: " + ", ".join(f"{n}: {r['rmse']:.4f}" for n, r in results.items()) + f" -> {chosen}")
    return {
        "n_subsets": int(chosen),
        "experiment": {
            "description": f"{draws[0].targets.n_users} test users with at least "
            f"{SUBSET_GIVEN + newcomers.MIN_TARGETS} ratings each give {SUBSET_GIVEN}; predictions from n "
            f"deterministic 16-rating subsets (features.choose_subsets) are averaged. The smallest n within "
            f"0.001 RMSE of the best is used.",
            "n_users": draws[0].targets.n_users,
            "results": results,
        },
    }


def cold_start_users(test, log=print) -> tuple:
    """The test users evaluated: all of them, or a deterministic sample of ``sample.DEFAULT_USERS`` (Netflix size)."""
    from training.coldstart import sample

    eligible = int((test.counts() >= newcomers.KS[-1] + newcomers.MIN_TARGETS).sum())
    if eligible <= sample.DEFAULT_USERS:
        return test, None
    test, info = sample.sample_ratings(test, sample.DEFAULT_USERS, min_ratings=newcomers.KS[-1] + newcomers.MIN_TARGETS)
    log(f"cold start: a deterministic sample of {info['n_users']:,} of {eligible:,} eligible test users")
    return test, info


def evaluate_all(ds, trained, quick: bool = False, toys: bool = True, log=print) -> dict:
    """The published split: the trained model directory against baselines and peers fitted on the same users."""
    from training.coldstart.ratings import heldout_ratings, training_ratings

    started = time.perf_counter()
    train, test = training_ratings(ds), heldout_ratings(ds)
    test, sampled = cold_start_users(test, log)
    served = trained.recommender(SERVED_MODEL)
    models = baselines_fitted(train) + peers(ds, train, quick, log, hybrid=False)
    models += [served, served.stars_only(STARS_ONLY)]
    for name in trained.towers:
        if name != SERVED_MODEL:
            from training.models.user_tower import UserTowerRecommender

            models.append(UserTowerRecommender.from_trained(trained.towers[name], name))
    log(f"cold start (published split): {len(models)} models, test users {test.n_users}")
    result = crossval.evaluate_splits([(0, train, test)], lambda tr, fold: models, 1, log=log)
    serving = subsets_experiment(lambda n: trained.recommender(SERVED_MODEL, n), test, protocol.SEEDS[:1], log)
    warm = warm_start(ds, train, quick, log, librec=False) if toys else {}
    metrics = assemble(ds, result, "split", models, serving, warm, quick, started)
    metrics["protocol"]["sample"] = sampled
    return metrics


def evaluate_folds(ds, n_folds: int, quick: bool = False, toys: bool = True, cache_dir=None, log=print) -> dict:
    """Protocol v2: user-level ``n_folds``-fold cross-validation, every model (the served one too) refitted per fold."""
    from training.coldstart.ratings import dataset_ratings, training_ratings
    from training.models.fitting import catalog_features, served_model

    started = time.perf_counter()
    ratings = dataset_ratings(ds, "all")
    features = catalog_features(ds, cache_dir)
    kept = {}

    def make(train, fold):
        log(f"fold {fold + 1}/{n_folds}: fitting on {train.n_users} users")
        served = served_model(features, ds.rating_scale.step, quick, log=lambda *a: None, n_subsets=FOLD_SUBSETS)
        t = time.perf_counter()
        served.fit(train)
        log(f"  fitted {SERVED_MODEL} ({time.perf_counter() - t:.1f} s; list ranking {served.params})")
        past = {"reg": served.past.reg, "half": served.past.half} if served.past is not None else None
        check = served.choice.get("tower_check")
        log(f"  past 16 ratings: {past or 'the tower alone'}; top's choice on the tower's validation users: {check}")
        models = baselines_fitted(train) + peers(ds, train, quick, log) + [served, served.stars_only(STARS_ONLY)]
        if fold == 0:
            kept["models"] = models
        kept.setdefault("fold_params", []).append(served.params.to_dict())
        kept.setdefault("fold_checks", []).append(check)
        kept.setdefault("fold_past_sixteen", []).append(past)
        return models

    log(f"cold start ({n_folds}-fold): {ratings.n_users} users")
    result = crossval.cross_validate(ratings, make, n_folds, log=log)
    warm = warm_start(ds, training_ratings(ds), quick, log) if toys else {}
    metrics = assemble(ds, result, "folds", kept["models"], {"n_subsets": FOLD_SUBSETS}, warm, quick, started)
    metrics["ranking"] = {"fold_params": kept["fold_params"], "fold_tower_checks": kept["fold_checks"]}
    metrics["past_sixteen"] = {"fold_choices": kept["fold_past_sixteen"]}
    return metrics


def assemble(
    ds, result, protocol_name: str, contrast_models: list, serving: dict, warm: dict, quick: bool, started: float
) -> dict:
    """metrics.json: point values, intervals, paired differences, taste contrast, targets, protocol."""
    from training.evaluation import contrast

    summary = crossval.summarize(result, n_boot=200 if quick else bootstrap.N_BOOT)
    cold = {
        m: {k: {name: v[0] for name, v in per.items()} for k, per in per_k.items()}
        for m, per_k in summary["values"].items()
    }
    for per_k in cold.values():  # the manifest's (and earlier reports') name for the rated-target ranking
        for values in per_k.values():
            values["ndcg@10"] = values["ndcg_rated@10"]
    intervals = {
        m: {k: {name: v[1:] for name, v in per.items()} for k, per in per_k.items()}
        for m, per_k in summary["values"].items()
    }
    n_users = summary["n_users"]
    description = PROTOCOLS[protocol_name].format(n=result.n_folds if protocol_name == "folds" else n_users.get("16"))
    metrics = {
        "dataset": ds.info.get("name"),
        "catalog_size": len(ds.catalog),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "served_model": SERVED_MODEL,
        "cold_start": cold,
        "intervals": intervals,
        "pairs": summary["pairs"],
        "coverage": summary["coverage"],
        "predicts_ratings": result.predicts_ratings,
        "model_seconds": result.seconds,
        "warm_start": warm,
        "serving": serving,
        "protocol": {
            "name": protocol_name,
            "description": description,
            "n_folds": result.n_folds,
            "ks": [str(k) for k in result.ks],
            "n_users": n_users,
            "n_boot": summary["n_boot"],
            "level": summary["level"],
            "warm_start": warm_label(warm, quick),
        },
        "taste_contrast": contrast.contrast(contrast_models, ds.catalog, ds.rating_scale),
        "seconds": time.perf_counter() - started,
    }
    metrics["targets"] = check_targets(metrics)
    return metrics
