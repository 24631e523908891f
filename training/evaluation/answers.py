"""Reading the served answer as a person would: the lists, in order, with their stars and reasons.

Everything here goes through ``screen_genius.api.recommend`` on a loaded
artifact set, so what is measured is exactly what the function answers.

- ``reason_stats``: over simulated newcomers (held-out users giving k of their
  ratings), how the reasons read: the share of lists in which one rating is
  named for every movie (a reason that explains everything explains nothing),
  the distinct ratings named per list, and the share of listed movies with a
  reason. The same figures for the rule before the catalog-wide shift was
  removed ("raw": the plain leave-one-out effect) are computed beside it.
- ``mirror_answers``: the report's mirror-image profiles (``contrast.profiles``)
  answered by the function, as text a person reads.

``python -m training.evaluation.answers --model DIR --data DIR`` prints both.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from screen_genius import api
from screen_genius.loader import Model, load_model
from screen_genius.manifest import parse_latest
from screen_genius.store import LocalStore
from training.coldstart import newcomers
from training.coldstart.ratings import CatalogRatings
from training.dataset import load_dataset
from training.evaluation import contrast

STATS_KS = (1, 4, 16)


def _list_stats(cited: list[list[int]]) -> tuple[bool, int, float]:
    """One list's reasons (rated rows cited, per movie) -> (one rating named for all, distinct named, share named)."""
    named = [set(c) for c in cited]
    everywhere = bool(named) and bool(set.intersection(*named))
    return everywhere, len(set().union(*named)), float(np.mean([bool(c) for c in cited])) if cited else 0.0


def _raw_reasons(effects: np.ndarray, rated_rows: np.ndarray, listed: np.ndarray, signs: np.ndarray) -> list[list[int]]:
    """The rule before: the two largest plain leave-one-out effects of at least MIN_EFFECT stars its way."""
    toward = effects[:, listed].T * signs[:, None]
    order = np.lexsort((np.broadcast_to(rated_rows, toward.shape), -toward))[:, : api.MAX_BECAUSE]
    return [[int(rated_rows[j]) for j in order[i] if toward[i, j] >= api.MIN_EFFECT] for i in range(len(listed))]


def reason_stats(model: Model, given_rows: np.ndarray, given_ratings: np.ndarray, ks=STATS_KS) -> dict:
    """{k: {"top"|"bottom": {rule: {"one_rating_for_all", "distinct_cited", "with_reason"}}}} over the U newcomers.

    given_rows, given_ratings: (U, >= max(ks)) catalog rows / stars in draw order (the first k are given).
    """
    catalog = model.catalog
    out: dict = {}
    for k in ks:
        acc: dict = {side: {"served": [], "raw": []} for side in ("top", "bottom")}
        for rows, ratings in zip(given_rows[:, :k], given_ratings[:, :k], strict=True):
            pairs = [(catalog[int(r)]["movie_id"], float(v)) for r, v in zip(rows, ratings, strict=True)]
            answer = api.recommend(model, pairs)
            explained = model.scorer.explain(rows.astype(np.int64), ratings.astype(np.float32))
            for side, sign in (("top", 1.0), ("bottom", -1.0)):
                listed = np.array([model.row_of[rec["movie_id"]] for rec in answer[side]])
                served = [[model.row_of[b["movie_id"]] for b in rec["because"]] for rec in answer[side]]
                raw = _raw_reasons(explained.effects, explained.rated_rows, listed, np.full(len(listed), sign))
                acc[side]["served"].append(_list_stats(served))
                acc[side]["raw"].append(_list_stats(raw))
        out[str(k)] = {
            side: {
                rule: {
                    "one_rating_for_all": float(np.mean([s[0] for s in stats])),
                    "distinct_cited": float(np.mean([s[1] for s in stats])),
                    "with_reason": float(np.mean([s[2] for s in stats])),
                }
                for rule, stats in rules.items()
            }
            for side, rules in acc.items()
        }
        out[str(k)]["n_users"] = len(given_rows)
    return out


def _stars(value: float) -> str:
    whole = int(value)
    return f"{whole}{'½' if value - whole >= 0.5 else ''}"


def read_as_text(answer: dict) -> str:
    """An answer's two lists as a person reads them: title, stars shown, and the reasons."""
    lines = []
    for side, heading in (("top", "You will probably love"), ("bottom", "You will probably not like")):
        lines.append(f"{heading}:")
        for i, rec in enumerate(answer[side], 1):
            reasons = "; ".join(
                f"because you {'liked' if b['direction'] == 'liked' else 'disliked'} {b['title']} "
                f"({_stars(b['rating'])}★, {b['effect']:+.2f})"
                for b in rec["because"]
            )
            lines.append(f"  {i:2d}. {rec['title']} ({rec['year']}): {rec['predicted_rating']:.2f}★  {reasons}")
    return "\n".join(lines)


def mirror_answers(model: Model, catalog_table, scale) -> list[dict]:
    """[{"name", "profile": [(title, rating)], "answer"}] for each mirror profile and its mirror."""
    out = []
    for p in contrast.profiles(catalog_table, scale):
        for name, ratings in ((p["name"], p["ratings"]), (f"the mirror of '{p['name']}'", p["mirror_ratings"])):
            pairs = [(model.catalog[int(r)]["movie_id"], float(v)) for r, v in zip(p["rows"], ratings, strict=True)]
            profile = [(model.catalog[int(r)]["title"], float(v)) for r, v in zip(p["rows"], ratings, strict=True)]
            out.append({"name": name, "profile": profile, "answer": api.recommend(model, pairs)})
    return out


def heldout_newcomers(data: Path, model: Model, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The published split's held-out users with enough ratings, as one newcomer draw: (U, 16) rows and stars."""
    ds = load_dataset(data)
    ratings = ds.ratings(["user_id", "movie_id", "rating"], catalog_only=True)
    held = ratings[ratings["user_id"].isin(set(model.manifest["heldout_user_ids"]))]
    rows = held["movie_id"].map(model.row_of).to_numpy()
    test = CatalogRatings.build(held["user_id"].to_numpy(), rows, held["rating"].to_numpy(), len(model.catalog))
    d = newcomers.draw(test, seed)
    return d.given_rows, d.given_ratings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.evaluation.answers", description=__doc__)
    parser.add_argument("--model", required=True, help="a published directory (with latest.json)")
    parser.add_argument("--data", required=True, help="the ingested store the model was trained on")
    parser.add_argument("--out", help="write the statistics and the mirror answers here as JSON")
    args = parser.parse_args(argv)
    store = LocalStore(Path(args.model))
    model = load_model(store, parse_latest(store.read("latest.json"), store.uri)["version"])
    ds = load_dataset(args.data)
    stats = reason_stats(model, *heldout_newcomers(Path(args.data), model))
    mirrors = mirror_answers(model, ds.catalog, ds.rating_scale)
    for k, per in stats.items():
        for side in ("top", "bottom"):
            s, r = per[side]["served"], per[side]["raw"]
            print(
                f"k={k} {side}: one rating for all 10: {s['one_rating_for_all']:.2f} "
                f"(raw {r['one_rating_for_all']:.2f}); "
                f"distinct cited {s['distinct_cited']:.1f} (raw {r['distinct_cited']:.1f}); "
                f"with a reason {s['with_reason']:.2f} (raw {r['with_reason']:.2f})"
            )
    for m in mirrors:
        print(f"\n== {m['name']}: " + ", ".join(f"{t} {_stars(v)}" for t, v in m["profile"]))
        print(read_as_text(m["answer"]))
    if args.out:
        Path(args.out).write_text(json.dumps({"reasons": stats, "mirrors": mirrors}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
