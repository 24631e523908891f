"""Taste contrast: mirror-image newcomers, and whether a model gives them different lists.

For a pair of genres (say Action and Romance), profile A loves the 8 most-rated
catalog movies of the first genre that are not of the second (top of the
scale) and hates the 8 most-rated of the second that are not of the first
(bottom of the scale); its mirror B rates the same 16 movies the other way
round. A model that reads the person gives A and B different lists (top-10
overlap near 0); one that reads each movie's average gives them nearly the
same. Datasets without genres (Netflix) have no such profiles: ``profiles``
returns none and the report says so.
"""

from __future__ import annotations

import numpy as np

from screen_genius import features
from training.coldstart import lists

GENRE_PAIRS = (("Action", "Romance"), ("Horror", "Children"), ("Comedy", "Documentary"), ("Sci-Fi", "Musical"))
PER_SIDE = 8


def profiles(catalog, scale, pairs=GENRE_PAIRS, per_side: int = PER_SIDE) -> list[dict]:
    """[{"name", "loves", "hates", "rows" (16,), "ratings" (16,), "mirror_ratings" (16,)}] for pairs with enough movies.

    ``catalog``: the catalog table (row order = catalog rows, most-rated first), with a ``genres`` column.
    """
    if "genres" not in catalog or catalog["genres"].isna().all():
        return []
    genre_sets = [set(g.split("|")) if isinstance(g, str) else set() for g in catalog["genres"]]
    out = []
    for first, second in pairs:
        a = [i for i, g in enumerate(genre_sets) if first in g and second not in g][:per_side]
        b = [i for i, g in enumerate(genre_sets) if second in g and first not in g][:per_side]
        if len(a) < per_side or len(b) < per_side:
            continue
        rows = np.array(a + b, dtype=np.int64)
        ratings = np.array([scale.max] * per_side + [scale.min] * per_side, dtype=np.float32)
        out.append(
            {
                "name": f"loves {first}, hates {second}",
                "loves": first,
                "hates": second,
                "rows": rows,
                "ratings": ratings,
                "mirror_ratings": ratings[::-1].copy(),
            }
        )
    return out


def _lists(model, rows: np.ndarray, ratings: np.ndarray, n_items: int) -> tuple[list, list]:
    given_rows = np.full((1, features.MAX_RATINGS), -1, dtype=np.int64)
    given_ratings = np.zeros((1, features.MAX_RATINGS), dtype=np.float32)
    given_rows[0, : len(rows)], given_ratings[0, : len(rows)] = rows, ratings
    exclude = np.zeros((1, n_items), dtype=bool)
    exclude[0, rows] = True
    scores = np.asarray(model.predict(given_rows, given_ratings), dtype=np.float64)
    if hasattr(model, "rank_scores"):
        top_scores, bottom_scores = model.rank_scores(given_rows, given_ratings)
        top, bottom = lists.top_bottom(top_scores, exclude)[0], lists.top_bottom(bottom_scores, exclude)[1]
    else:
        top, bottom = lists.top_bottom(scores, exclude)
    return top[0].tolist(), bottom[0].tolist()


def contrast(models: list, catalog, scale) -> list[dict]:
    """Per profile pair and model: both profiles' top and bottom 10 (titles) and their overlaps (Jaccard)."""
    titles = catalog["title"].astype(str).tolist()
    out = []
    for p in profiles(catalog, scale):
        entry = {
            "name": p["name"],
            "loves": p["loves"],
            "hates": p["hates"],
            "given": [titles[r] for r in p["rows"]],
            "models": {},
        }
        for model in models:
            top_a, bottom_a = _lists(model, p["rows"], p["ratings"], len(titles))
            top_b, bottom_b = _lists(model, p["rows"], p["mirror_ratings"], len(titles))
            entry["models"][model.name] = {
                "top": [titles[r] for r in top_a],
                "bottom": [titles[r] for r in bottom_a],
                "mirror_top": [titles[r] for r in top_b],
                "mirror_bottom": [titles[r] for r in bottom_b],
                "top_overlap": _jaccard(top_a, top_b),
                "bottom_overlap": _jaccard(bottom_a, bottom_b),
            }
        out.append(entry)
    return out


def _jaccard(a: list, b: list) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0
