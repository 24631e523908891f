"""The seed's warm-start protocol on Netflix data: fit on every rating except the official probe pairs, score those.

The Netflix Prize shipped ``probe.txt``: 1,408,395 (user, movie) pairs whose
ratings are also in the training files. The seed reported its toy models on
them (SVD 0.9303, NCF 0.926, two-tower 0.9315 RMSE), as every Netflix Prize
paper did. Here:

- ``probe_split``: the ratings of the probe pairs are the test set; every
  other rating is training data (a rating is dropped from training when its
  (user, movie) pair is a probe pair, whatever its date). By default only
  catalog movies (as the 5-fold warm-start protocol used for MovieLens), and
  every user, held-out cold-start users included: the toys are warm-start
  models and never serve anyone, so they do not touch the cold-start split.
- ``cap_training``: Surprise's SVD fitted 5.5M ratings (25 epochs, trainset
  building and prediction included) in about 130 s on the 2-core machine, so
  the Netflix Prize's roughly 55M catalog training ratings would take over 20
  minutes; it is trained on a deterministic sample of at most ``SVD_CAP``
  training ratings (ranked by splitmix64 of the (user, movie) pair, so the
  sample does not depend on file order), and the result says how many it
  used. What the cap costs, measured on synthetic:48000,17770,10000000
  (5,468,994 catalog training ratings, 78,148 probe pairs; docs/models.md,
  "Netflix scale"): all 0.8743 RMSE; 5M kept 0.8767; 2M kept 0.9129; 0.5M kept
  0.9767. A rating sample thins every user's history, so the cost grows fast
  below about half the ratings.
- ``evaluate_probe``: fits each warm-start toy (``protocol.WarmStartModel``)
  on the training ratings (capped where asked) and reports probe RMSE.

Users and movies are indexed over the training and probe ratings together,
so a probe pair whose user has no other rating still gets a prediction
(each toy's fallback for an unseen user), and the result counts them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from training.evaluation.protocol import WarmStartModel
from training.ingest.split import splitmix64

SVD_CAP = 20_000_000  # training ratings for Surprise SVD: about 8 minutes on the 2-core machine (see above)
CAPS = {"toy_svd": SVD_CAP}
CAP_METHOD = (
    "the training ratings whose splitmix64((user_id << 32 | movie_id) XOR seed) ranks lowest; "
    "deterministic and independent of file order"
)


@dataclass
class ProbeSplit:
    """Training ratings and probe ratings as (n,) arrays of user positions, item positions and stars.

    ``user_ids`` (n_users,) and ``movie_ids`` (n_items,) map positions back to ids; ``info`` counts.
    """

    user_ids: np.ndarray
    movie_ids: np.ndarray
    train_users: np.ndarray
    train_items: np.ndarray
    train_ratings: np.ndarray
    probe_users: np.ndarray
    probe_items: np.ndarray
    probe_ratings: np.ndarray
    info: dict = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.movie_ids)

    def train_keys(self) -> np.ndarray:
        """(n_train,) int64 user_id << 32 | movie_id of every training rating."""
        return pair_keys(self.user_ids[self.train_users], self.movie_ids[self.train_items])


def pair_keys(user_ids: np.ndarray, movie_ids: np.ndarray) -> np.ndarray:
    return np.asarray(user_ids, dtype=np.int64) << 32 | np.asarray(movie_ids, dtype=np.int64)


def probe_split(ds, catalog_only: bool = True) -> ProbeSplit:
    """Every rating of ``ds`` (catalog movies only by default) split into training and the official probe pairs."""
    probe = ds.probe()
    if probe is None or len(probe) == 0:
        raise ValueError(
            f"{ds.path} has no probe pairs (probe.parquet); the probe protocol needs Netflix Prize "
            "data ingested with its probe.txt"
        )
    frame = ds.ratings(columns=["user_id", "movie_id", "rating"], catalog_only=catalog_only)
    users = frame["user_id"].to_numpy().astype(np.int64)
    movies = frame["movie_id"].to_numpy().astype(np.int64)
    ratings = frame["rating"].to_numpy().astype(np.float32)
    probe_keys = np.unique(pair_keys(probe["user_id"].to_numpy(), probe["movie_id"].to_numpy()))
    is_probe = np.isin(pair_keys(users, movies), probe_keys)
    user_ids = np.unique(users)
    u = np.searchsorted(user_ids, users)
    if catalog_only:  # items are catalog rows, in the catalog's order: the ordering every model shares
        movie_ids = ds.catalog["movie_id"].to_numpy().astype(np.int64)
        order = np.argsort(movie_ids)
        m = order[np.searchsorted(movie_ids[order], movies)]
    else:
        movie_ids = np.unique(movies)
        m = np.searchsorted(movie_ids, movies)
    train_users_seen = np.unique(u[~is_probe])
    probe_u = u[is_probe]
    info = {
        "catalog_only": bool(catalog_only),
        "n_train": int((~is_probe).sum()),
        "n_probe": int(is_probe.sum()),
        "n_probe_pairs_listed": len(probe_keys),
        "n_probe_without_user_training": int((~np.isin(probe_u, train_users_seen)).sum()),
        "n_users": len(user_ids),
        "n_items": len(movie_ids),
    }
    return ProbeSplit(
        user_ids,
        movie_ids,
        u[~is_probe].astype(np.int32),
        m[~is_probe].astype(np.int32),
        ratings[~is_probe],
        probe_u.astype(np.int32),
        m[is_probe].astype(np.int32),
        ratings[is_probe],
        info,
    )


def cap_training(split: ProbeSplit, cap: int, seed: int = 0) -> np.ndarray:
    """Positions (sorted) of at most ``cap`` training ratings: a deterministic, order-free sample."""
    n = len(split.train_ratings)
    if cap >= n:
        return np.arange(n)
    keys = splitmix64(split.train_keys().astype(np.uint64) ^ np.uint64(seed))
    return np.sort(np.argpartition(keys, cap - 1)[:cap])


def evaluate_probe(
    factories: list[Callable[[int, int], WarmStartModel]],
    split: ProbeSplit,
    caps: dict | None = None,
    seed: int = 0,
    log=None,
) -> dict:
    """Fit each toy (``factory(n_users, n_items)``) on the training ratings, capped per ``caps`` (name -> ratings).

    Returns {"protocol": {...counts, "cap_method"}, "models": {name: {"rmse", "n_train", "capped", "seconds"}}}.
    """
    caps = CAPS if caps is None else caps
    results = {}
    for factory in factories:
        started = time.perf_counter()
        model = factory(split.n_users, split.n_items)
        cap = caps.get(model.name)
        keep = cap_training(split, cap, seed) if cap is not None else np.arange(len(split.train_ratings))
        model.fit(split.train_users[keep], split.train_items[keep], split.train_ratings[keep])
        pred = np.asarray(model.predict(split.probe_users, split.probe_items), dtype=np.float64)
        rmse = float(np.sqrt(np.mean((pred - split.probe_ratings) ** 2)))
        results[model.name] = {
            "rmse": rmse,
            "n_train": len(keep),
            "capped": bool(len(keep) < len(split.train_ratings)),
            "seconds": time.perf_counter() - started,
        }
        if log:
            log(
                f"  {model.name}: probe rmse {rmse:.4f} (trained on {len(keep):,} of "
                f"{len(split.train_ratings):,} ratings, {results[model.name]['seconds']:.1f} s)"
            )
    return {
        "protocol": {
            **split.info,
            "seed": seed,
            "cap_method": CAP_METHOD,
            "description": "fit on every rating except the official probe pairs; RMSE on the probe "
            "pairs' ratings (the Netflix Prize's and the seed's protocol)",
        },
        "models": results,
    }
