"""The acceptance targets the served model is held to, each checked with the numbers that decide it.

Against the rating predictors (``roster.RATING_PREDICTORS``), at every k >= 2:
the best RMSE, rated-target NDCG@10, recall@10 and hate@10; at k >= 4 a 90%
paired interval on NDCG@10 and recall@10 that excludes zero; top-10 hits
rated at least as high as every other model's; top-10 personalization at
least the best rating predictor's; and at k = 16, at most 30% of a top 10
from the chart (the 20 highest-mean movies).

The bottom 10 ("the ten you will probably like least"), at k = 4, 8 and 16:
at most 30% of it from the 20 lowest-mean movies; bottom-10 personalization
at least MF fold-in's; hate@10 the best of every model (EASE included), with
a 90% paired interval against the best rating predictor that excludes zero;
and the held-out movies that land in it rated 2.6 stars or less on average.

Every rating counts: with every rating given ("all"), an RMSE at most the
best of MF fold-in's and item-kNN's; with none (k = 0), at most the item
mean's.
"""

from __future__ import annotations

import numpy as np

from training.evaluation import crossval
from training.evaluation.results import SERVED_MODEL, STARS_ONLY
from training.evaluation.roster import RATING_PREDICTORS


def check_targets(metrics: dict) -> list[dict]:
    """The targets, each with the numbers that decide it: [{"target", "met", "detail"}]."""
    cold, served = metrics["cold_start"], SERVED_MODEL
    peers_ = [m for m in RATING_PREDICTORS if m in cold]
    out = []
    ks = [k for k in metrics["protocol"]["ks"] if k not in ("0", "1", "all")]
    for metric, better in (("rmse", min), ("ndcg_rated@10", max), ("recall@10", max), ("hate@10", max)):
        misses = []
        for k in ks:
            best = better(peers_, key=lambda m: cold[m][k].get(metric, np.nan))
            mine, theirs = cold[served][k][metric], cold[best][k][metric]
            if (mine > theirs) if better is min else (mine < theirs):
                misses.append(f"k={k}: {mine:.4f} vs {best} {theirs:.4f}")
        out.append(
            {
                "target": f"best {metric} among the rating predictors at every k >= 2",
                "met": not misses,
                "detail": "; ".join(misses) or "held at every k",
            }
        )
    for metric in ("ndcg_rated@10", "recall@10"):
        misses = []
        for k in [k for k in ks if int(k) >= 4]:
            best = max(peers_, key=lambda m: cold[m][k][metric])
            pair = crossval.paired({"pairs": metrics["pairs"]}, k, metric, served, best)
            if pair is None or pair[1] <= 0:
                misses.append(f"k={k}: vs {best} {pair[0]:+.4f} [{pair[1]:+.4f}, {pair[2]:+.4f}]" if pair else f"k={k}")
        out.append(
            {
                "target": f"{metric}: 90% paired interval against the best rating predictor excludes zero at k >= 4",
                "met": not misses,
                "detail": "; ".join(misses) or "excluded at every k >= 4",
            }
        )
    misses = [
        f"k={k}: {m} {cold[m][k]['hit_rating']:.3f} > {cold[served][k]['hit_rating']:.3f}"
        for k in ks
        for m in cold
        # every other model, EASE included; the served model's own stars-only variant is not a peer
        if m not in (served, STARS_ONLY) and cold[m][k].get("hit_rating", 0) > cold[served][k]["hit_rating"]
    ]
    out.append(
        {
            "target": "mean true rating of the top-10 hits at least every model's (EASE included), k >= 2",
            "met": not misses,
            "detail": "; ".join(misses) or "held",
        }
    )
    misses = []
    for k in ks:
        best = max(peers_, key=lambda m: cold[m][k]["personalization_top"])
        if cold[served][k]["personalization_top"] < cold[best][k]["personalization_top"]:
            misses.append(
                f"k={k}: {cold[served][k]['personalization_top']:.3f} vs {best} "
                f"{cold[best][k]['personalization_top']:.3f}"
            )
    out.append(
        {
            "target": "top-10 personalization at least the best rating predictor's, k >= 2",
            "met": not misses,
            "detail": "; ".join(misses) or "held",
        }
    )
    out += bottom_targets(metrics)
    out += every_rating_targets(metrics)
    share = cold[served].get("16", {}).get("chart_share_top", np.nan)
    out.append(
        {
            "target": "at k = 16, at most 30% of a top 10 from the 20 highest-mean movies",
            "met": bool(share <= 0.3),
            "detail": f"{share:.3f}",
        }
    )
    return out


BOTTOM_KS = ("4", "8", "16")
MAX_BOTTOM_CHART = 0.3
MAX_BOTTOM_RATING = 2.6


def _target(target: str, misses: list[str], held: str = "held") -> dict:
    return {"target": target, "met": not misses, "detail": "; ".join(misses) or held}


def bottom_targets(metrics: dict) -> list[dict]:
    """The bottom 10's targets at k = 4, 8 and 16 (module docstring)."""
    cold, served = metrics["cold_start"], SERVED_MODEL
    ks = [k for k in BOTTOM_KS if k in cold.get(served, {})]
    peers_ = [m for m in RATING_PREDICTORS if m in cold]
    others = [m for m in cold if m not in (served, STARS_ONLY)]
    chart = [
        f"k={k}: {cold[served][k]['chart_share_bottom']:.3f}"
        for k in ks
        if not cold[served][k].get("chart_share_bottom", np.nan) <= MAX_BOTTOM_CHART
    ]
    personal = [
        f"k={k}: {cold[served][k]['personalization_bottom']:.3f} vs mf_fold_in "
        f"{cold['mf_fold_in'][k]['personalization_bottom']:.3f}"
        for k in ks
        if "mf_fold_in" in cold
        and cold[served][k]["personalization_bottom"] < cold["mf_fold_in"][k]["personalization_bottom"]
    ]
    hate_best = [
        f"k={k}: {cold[served][k]['hate@10']:.4f} vs {m} {cold[m][k]['hate@10']:.4f}"
        for k in ks
        for m in others
        if cold[m][k].get("hate@10", 0) > cold[served][k]["hate@10"]
    ]
    hate_interval = []
    for k in ks:
        best = max(peers_, key=lambda m: cold[m][k]["hate@10"])
        pair = crossval.paired({"pairs": metrics["pairs"]}, k, "hate@10", served, best)
        if pair is None or pair[1] <= 0:
            hate_interval.append(
                f"k={k}: vs {best} {pair[0]:+.4f} [{pair[1]:+.4f}, {pair[2]:+.4f}]" if pair else f"k={k}"
            )
    disliked = [
        f"k={k}: {cold[served][k]['bottom_rating']:.3f}"
        for k in ks
        if not cold[served][k].get("bottom_rating", np.nan) <= MAX_BOTTOM_RATING
    ]
    return [
        _target("bottom 10: at most 30% from the 20 lowest-mean movies, k = 4, 8, 16", chart),
        _target("bottom-10 personalization at least MF fold-in's, k = 4, 8, 16", personal),
        _target("hate@10 the best of every model (EASE included), k = 4, 8, 16", hate_best),
        _target(
            "hate@10: 90% paired interval against the best rating predictor excludes zero, k = 4, 8, 16",
            hate_interval,
            "excluded",
        ),
        _target("held-out movies in the bottom 10 rated 2.6 stars or less on average, k = 4, 8, 16", disliked),
    ]


def every_rating_targets(metrics: dict) -> list[dict]:
    """With every rating given, RMSE at most MF fold-in's and item-kNN's; with none, at most the item mean's."""
    cold, served = metrics["cold_start"], SERVED_MODEL
    out = []
    if "all" in cold.get(served, {}):
        rivals = [m for m in ("mf_fold_in", "item_knn") if "all" in cold.get(m, {})]
        best = min(rivals, key=lambda m: cold[m]["all"]["rmse"]) if rivals else None
        mine = cold[served]["all"]["rmse"]
        misses = (
            [f"{mine:.4f} vs {best} {cold[best]['all']['rmse']:.4f}"]
            if best and mine > cold[best]["all"]["rmse"]
            else []
        )
        out.append(
            _target("every rating given: RMSE at most the best of MF fold-in and item-kNN", misses, f"{mine:.4f}")
        )
    if "0" in cold.get(served, {}) and "0" in cold.get("item_mean", {}):
        mine, chart = cold[served]["0"]["rmse"], cold["item_mean"]["0"]["rmse"]
        misses = [f"{mine:.4f} vs item_mean {chart:.4f}"] if mine > chart + 1e-9 else []
        out.append(_target("no rating given: RMSE at most the item mean's", misses, f"{mine:.4f}"))
    return out
