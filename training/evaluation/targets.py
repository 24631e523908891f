"""The acceptance targets the served model is held to, each checked with the numbers that decide it.

Against the rating predictors (``roster.RATING_PREDICTORS``), at every k >= 2:
the best RMSE, rated-target NDCG@10, recall@10 and hate@10; at k >= 4 a 90%
paired interval on NDCG@10 and recall@10 that excludes zero; top-10 hits
rated at least as high as every other model's; top-10 personalization at
least the best rating predictor's; and at k = 16, at most 30% of a top 10
from the chart (the 20 highest-mean movies).
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
    share = cold[served].get("16", {}).get("chart_share_top", np.nan)
    out.append(
        {
            "target": "at k = 16, at most 30% of a top 10 from the 20 highest-mean movies",
            "met": bool(share <= 0.3),
            "detail": f"{share:.3f}",
        }
    )
    return out
