"""A deterministic sample of held-out users, so that evaluation at Netflix scale takes minutes.

At 480K users the published split holds about 72,000 held-out users; scoring
every model at every k on all of them costs hours for little: a 90% interval
on RMSE from 20,000 users is already about +-0.003 wide. So evaluation may
keep at most ``n`` of them, chosen the way the split itself is chosen
(``training.ingest.split``): users are ranked by splitmix64(user_id XOR
salt) and the first ``n`` are kept. The salt differs from the split's seed,
so the sample is not the "lowest hashes" corner of the held-out set that the
split's own ranking defines.

The choice depends only on the set of user ids, ``n`` and the seed: not on
their order, not on their ratings, not on the machine. A user in the sample
of a set stays in it when users outside the sample are removed.
"""

from __future__ import annotations

import numpy as np

from training.coldstart.ratings import CatalogRatings
from training.ingest.split import splitmix64

DEFAULT_USERS = 20_000
SALT = 0x5EED_5A3F_1E00_0001  # mixed with the seed: a ranking unlike the split's (which uses the seed alone)
METHOD = (
    "rank users by splitmix64(user_id XOR (seed XOR 0x5EED5A3F1E000001)); keep the first n "
    "(all when there are at most n)"
)


def _keys(user_ids: np.ndarray, seed: int) -> np.ndarray:
    salt = np.uint64((SALT ^ int(seed)) & 0xFFFF_FFFF_FFFF_FFFF)
    return splitmix64(user_ids.astype(np.uint64) ^ salt)


def sample_ids(user_ids, n: int = DEFAULT_USERS, seed: int = 0) -> np.ndarray:
    """Sorted int64 ids of at most ``n`` of the distinct ``user_ids`` (non-negative ints, any order)."""
    if n < 0:
        raise ValueError(f"a sample of {n} users makes no sense; n must be at least 0")
    users = np.unique(np.asarray(user_ids, dtype=np.int64))
    if len(users) <= n:
        return users
    order = np.lexsort((users, _keys(users, seed)))  # ties (none in practice) broken by id
    return np.sort(users[order[:n]])


def sample_ratings(
    ratings: CatalogRatings, n: int = DEFAULT_USERS, seed: int = 0, min_ratings: int = 0
) -> tuple[CatalogRatings, dict]:
    """At most ``n`` users of ``ratings`` among those with at least ``min_ratings`` ratings, and what was done.

    ``min_ratings`` lets the sample count only the users the protocol can
    evaluate (16 given + 5 targets: 21), so ``n`` is the number evaluated.
    Returns (the sampled users' CatalogRatings, {"method", "seed", "n_requested",
    "n_eligible", "n_users"}) for the report.
    """
    counts = ratings.counts()
    eligible = np.flatnonzero(counts >= min_ratings)
    chosen = sample_ids(ratings.user_ids[eligible], n, seed)
    positions = eligible[np.isin(ratings.user_ids[eligible], chosen)]
    info = {
        "method": METHOD,
        "seed": int(seed),
        "n_requested": int(n),
        "min_ratings": int(min_ratings),
        "n_eligible": len(eligible),
        "n_users": len(positions),
    }
    return ratings.subset(positions), info
