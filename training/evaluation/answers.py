"""Reading the served answer as a person would: the lists, in order, with their stars and reasons.

Everything here goes through ``screen_genius.api.recommend`` on a loaded
artifact set, so what is measured is exactly what the function answers.

- ``reason_stats``: over simulated newcomers (held-out users giving k of their
  ratings), how the reasons read: the share of lists in which one rating is
  named for every movie (a reason that explains everything explains nothing),
  the distinct ratings named per list, and the share of listed movies with a
  reason, and the share of reasons that agree with the list (a liked
  rating for a top movie, a disliked one for a bottom movie). The same
  figures for the rules before are computed beside it: "by_size" (largest
  effect first, whatever its direction) and "raw" (the plain leave-one-out
  effect, before the catalog-wide shift was removed).
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


def _list_stats(cited: list[list[int]], agrees: dict[int, bool]) -> tuple[bool, int, float, float]:
    """One list's reasons (rated rows cited, per movie) -> (one rating named for all, distinct named, share named,
    share of the reasons that agree with the list: ``agrees`` says, per rated row, whether it does; nan: none)."""
    named = [set(c) for c in cited]
    everywhere = bool(named) and bool(set.intersection(*named))
    flat = [agrees[r] for c in cited for r in c]
    return (
        everywhere,
        len(set().union(*named)),
        float(np.mean([bool(c) for c in cited])) if cited else 0.0,
        float(np.mean(flat)) if flat else float("nan"),
    )


def _raw_reasons(effects: np.ndarray, rated_rows: np.ndarray, listed: np.ndarray, signs: np.ndarray) -> list[list[int]]:
    """The first rule: the two largest plain leave-one-out effects of at least MIN_EFFECT stars its way."""
    toward = effects[:, listed].T * signs[:, None]
    order = np.lexsort((np.broadcast_to(rated_rows, toward.shape), -toward))[:, : api.MAX_BECAUSE]
    return [[int(rated_rows[j]) for j in order[i] if toward[i, j] >= api.MIN_EFFECT] for i in range(len(listed))]


RULES = ("served", "by_size", "raw")


def reason_stats(model: Model, given_rows: np.ndarray, given_ratings: np.ndarray, ks=STATS_KS) -> dict:
    """{k: {"top"|"bottom": {rule: {"one_rating_for_all", "distinct_cited", "with_reason", "agreeing"}}}} over the
    U newcomers.

    Rules: "served", what the function names (against the catalog-wide shift, the ratings that agree with the
    list first); "by_size", the same reasons largest first whatever their direction (the rule before); "raw", the
    plain leave-one-out effect. "agreeing": the share of named reasons that agree with the list (a liked rating
    for a top movie, a disliked one for a bottom movie), over the lists that name any.
    given_rows, given_ratings: (U, >= max(ks)) catalog rows / stars in draw order (the first k are given).
    """
    catalog = model.catalog
    out: dict = {}
    for k in ks:
        acc: dict = {side: {rule: [] for rule in RULES} for side in ("top", "bottom")}
        for rows, ratings in zip(given_rows[:, :k], given_ratings[:, :k], strict=True):
            pairs = [(catalog[int(r)]["movie_id"], float(v)) for r, v in zip(rows, ratings, strict=True)]
            answer = api.recommend(model, pairs)
            explained = model.scorer.explain(rows.astype(np.int64), ratings.astype(np.float32))
            direction = api.taste_directions(dict(pairs), model.scorer.offset)
            liked = {model.row_of[m]: d == "liked" for m, d in direction.items()}
            for side, sign in (("top", 1.0), ("bottom", -1.0)):
                listed = np.array([model.row_of[rec["movie_id"]] for rec in answer[side]])
                signs = np.full(len(listed), sign)
                agrees = {r: liked[r] == (sign > 0) for r in liked}
                cited = {
                    "served": [[model.row_of[b["movie_id"]] for b in rec["because"]] for rec in answer[side]],
                    "by_size": [
                        [r for r, _ in rs] for rs in explained.reasons(listed, signs, api.MAX_BECAUSE, api.MIN_EFFECT)
                    ],
                    "raw": _raw_reasons(explained.effects, explained.rated_rows, listed, signs),
                }
                for rule in RULES:
                    acc[side][rule].append(_list_stats(cited[rule], agrees))
        out[str(k)] = {
            side: {
                rule: {
                    "one_rating_for_all": float(np.mean([s[0] for s in stats])),
                    "distinct_cited": float(np.mean([s[1] for s in stats])),
                    "with_reason": float(np.mean([s[2] for s in stats])),
                    "agreeing": float(np.nanmean([s[3] for s in stats])),
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
            print(
                f"k={k} {side}: "
                + "; ".join(
                    f"{rule} one rating for all 10 {r['one_rating_for_all']:.2f}, distinct cited "
                    f"{r['distinct_cited']:.1f}, with a reason {r['with_reason']:.2f}, agreeing {r['agreeing']:.2f}"
                    for rule, r in per[side].items()
                )
            )
    for m in mirrors:
        print(f"\n== {m['name']}: " + ", ".join(f"{t} {_stars(v)}" for t, v in m["profile"]))
        print(read_as_text(m["answer"]))
    if args.out:
        Path(args.out).write_text(json.dumps({"reasons": stats, "mirrors": mirrors}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
