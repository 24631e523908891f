"""The held-out (cold-start test) users: a deterministic, order-free choice.

Each user id is hashed with the seed (splitmix64, a fixed integer mix); users
are ranked by hash and the first ceil(fraction * n_users) are held out. The
choice depends only on the set of user ids and the seed: not on file order,
not on the ratings, and not on which machine runs it. A user keeps their side
when other users are added, unless the count boundary moves past them.
"""

from __future__ import annotations

import math

import numpy as np

METHOD = "rank users by splitmix64(user_id XOR seed); hold out the first ceil(fraction * n_users)"


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, elementwise on uint64 (wrapping arithmetic)."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def heldout_users(user_ids: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted int32 ids of the held-out users among the distinct ``user_ids``."""
    if not 0 <= fraction < 1:
        raise ValueError(f"held-out fraction must be in [0, 1); got {fraction}")
    users = np.unique(np.asarray(user_ids, dtype=np.int64))
    n_heldout = math.ceil(fraction * len(users))
    keys = splitmix64(users.astype(np.uint64) ^ np.uint64(seed))
    order = np.lexsort((users, keys))
    return np.sort(users[order[:n_heldout]]).astype(np.int32)
