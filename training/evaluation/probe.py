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
- ``cap_users``: the toys are minutes per 5M ratings on the 2-core machine
  (Surprise SVD, 25 epochs: 97 s for 5.5M; the Keras toys' epochs over every
  rating), so the Netflix Prize's roughly 55M catalog training ratings would
  take most of an hour. Each toy is trained on the ratings of a
  deterministic sample of users (ranked by splitmix64 of the user id) that
  fits in ``TOY_CAP`` ratings, and scored on those users' probe pairs; the
  result says how many ratings, users and probe pairs it used. Sampling
  ratings instead (the first cap) thinned every user's history, and that
  cost grows fast: on synthetic:48000,17770,10000000 (5,468,994 catalog
  training ratings) SVD scored 0.8743 on all, 0.8767 on a 5M rating sample,
  0.9129 on 2M and 0.9767 on 0.5M. What the user sample costs is in
  docs/models.md, "Netflix scale".
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

TOY_CAP = 2_000_000  # training ratings per toy at most: a few minutes for the three toys on the 2-core machine
# The two-tower toy (8 epochs of batches of 512: 63 s on 2M ratings) gets half: on the 10M synthetic data it
# scored 0.9726 trained on 1M ratings and 0.9786 trained on 2M, on the same 14,238 probe pairs of the smaller
# sample's users (why it does no worse on less was not established), in half the time.
TWO_TOWER_CAP = 1_000_000
CAPS = {"toy_svd": TOY_CAP, "toy_ncf": TOY_CAP, "toy_two_tower": TWO_TOWER_CAP, "toy_ncf_librec": TOY_CAP}
CAP_METHOD = (
    "every rating of the users whose splitmix64(user_id XOR seed) ranks lowest, as many users as fit in the cap; "
    "only their probe pairs are scored; deterministic and independent of file order"
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


def cap_users(split: ProbeSplit, cap: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(training positions, probe positions), sorted: every rating of a deterministic sample of users.

    Users are ranked by splitmix64(user_id XOR seed) and taken in that order
    while their training ratings fit in ``cap`` (at least one user). Their
    histories stay whole, and only their probe pairs are scored: sampling
    ratings instead would thin every user's history, which costs a toy far
    more (see the module's docstring). Independent of file order.
    """
    n = len(split.train_ratings)
    if cap >= n:
        return np.arange(n), np.arange(len(split.probe_ratings))
    counts = np.bincount(split.train_users, minlength=split.n_users)
    order = np.argsort(splitmix64(split.user_ids.astype(np.uint64) ^ np.uint64(seed)), kind="stable")
    within = np.cumsum(counts[order]) <= cap
    within[0] = True
    chosen = np.zeros(split.n_users, dtype=bool)
    chosen[order[within]] = True
    return np.flatnonzero(chosen[split.train_users]), np.flatnonzero(chosen[split.probe_users])


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
        keep, scored = cap_users(split, cap if cap is not None else len(split.train_ratings), seed)
        users, pairs_users = split.train_users[keep], split.probe_users[scored]
        if len(keep) < len(split.train_ratings):
            # a capped toy is built for its sampled users only: the Keras toys' L2 on the embedding tables
            # touches every row at every step, so 480,000 users where 18,000 train made NCF ten times slower
            present = np.unique(np.concatenate([users, pairs_users]))
            users, pairs_users = np.searchsorted(present, users), np.searchsorted(present, pairs_users)
            model = factory(len(present), split.n_items)
        model.fit(users, split.train_items[keep], split.train_ratings[keep])
        pred = np.asarray(model.predict(pairs_users, split.probe_items[scored]), dtype=np.float64)
        rmse = float(np.sqrt(np.mean((pred - split.probe_ratings[scored]) ** 2)))
        results[model.name] = {
            "rmse": rmse,
            "n_train": len(keep),
            "n_probe": len(scored),
            "n_users": len(np.unique(split.train_users[keep])),
            "capped": bool(len(keep) < len(split.train_ratings)),
            "seconds": time.perf_counter() - started,
        }
        if log:
            log(
                f"  {model.name}: probe rmse {rmse:.4f} on {len(scored):,} probe pairs (trained on {len(keep):,} of "
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
