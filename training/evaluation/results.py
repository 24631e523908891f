"""What evaluation hands on: the served model's name and the manifest's headline metrics."""

from __future__ import annotations

SERVED_MODEL = "user_tower"
STARS_ONLY = "user_tower_stars"  # the served model with its lists ranked by the stars alone


def headline(metrics: dict) -> dict:
    """The manifest's ``metrics`` field (DESIGN.md): rmse, mae, ndcg@10 (and the list metrics) per model and k."""
    keys = ("rmse", "mae", "ndcg@10", "recall@10", "hate@10")
    cold = {
        name: {k: {key: round(m[key], 4) for key in keys if key in m} for k, m in per_k.items()}
        for name, per_k in metrics["cold_start"].items()
    }
    warm = {name: {"rmse": round(w["rmse"], 4)} for name, w in (metrics.get("warm_start") or {}).items()}
    return {"cold_start": cold, "warm_start": warm, "protocol": metrics.get("protocol", {}).get("name")}
