"""The bottom list's and every-rating targets, decided by the numbers the report prints."""

from __future__ import annotations

from training.evaluation import targets


def metrics(**served_at_16):
    row = {
        "rmse": 0.85,
        "hate@10": 0.12,
        "bottom_rating": 2.5,
        "chart_share_bottom": 0.2,
        "personalization_bottom": 0.9,
    }
    mf = {**row, "hate@10": 0.07, "personalization_bottom": 0.8, "chart_share_bottom": 0.5}
    cold = {
        "user_tower": {k: {**row, **(served_at_16 if k == "16" else {})} for k in ("4", "8", "16")},
        "mf_fold_in": {k: dict(mf) for k in ("4", "8", "16")},
        "item_mean": {k: {**mf, "hate@10": 0.05} for k in ("4", "8", "16")},
        "ease": {k: {**mf, "hate@10": 0.003} for k in ("4", "8", "16")},
    }
    pairs = {k: {"hate@10": {"user_tower|mf_fold_in": [0.05, 0.02, 0.08]}} for k in ("4", "8", "16")}
    return {"cold_start": cold, "pairs": pairs}


def by_name(results):
    return {r["target"].split(":")[0].split(",")[0]: r for r in results}


def test_a_personal_bottom_10_that_catches_dislikes_meets_every_bottom_target():
    assert all(r["met"] for r in targets.bottom_targets(metrics())), targets.bottom_targets(metrics())


def test_each_bottom_target_fails_on_its_own_number():
    chart = by_name(targets.bottom_targets(metrics(chart_share_bottom=0.45)))
    assert not chart["bottom 10"]["met"] and "k=16: 0.450" in chart["bottom 10"]["detail"]
    rating = targets.bottom_targets(metrics(bottom_rating=2.9))
    assert [r["met"] for r in rating] == [True, True, True, True, False]
    personal = targets.bottom_targets(metrics(personalization_bottom=0.7))
    assert [r["met"] for r in personal] == [True, False, True, True, True]
    beaten = targets.bottom_targets(metrics(**{"hate@10": 0.06}))
    assert not beaten[2]["met"] and "mf_fold_in 0.0700" in beaten[2]["detail"]


def test_a_hate_interval_that_holds_zero_misses_its_target():
    m = metrics()
    m["pairs"]["8"]["hate@10"]["user_tower|mf_fold_in"] = [0.01, -0.005, 0.03]
    result = targets.bottom_targets(m)[3]
    assert not result["met"] and result["detail"].startswith("k=8")


def test_every_rating_targets_compare_all_with_the_fold_ins_and_none_with_the_chart():
    m = {
        "cold_start": {
            "user_tower": {"all": {"rmse": 0.83}, "0": {"rmse": 0.9309}},
            "mf_fold_in": {"all": {"rmse": 0.819}},
            "item_knn": {"all": {"rmse": 0.827}},
            "item_mean": {"0": {"rmse": 0.9309}},
        }
    }
    every, none = targets.every_rating_targets(m)
    assert not every["met"] and "mf_fold_in 0.8190" in every["detail"]
    assert none["met"]
    m["cold_start"]["user_tower"]["all"]["rmse"] = 0.815
    assert targets.every_rating_targets(m)[0]["met"]
