"""The simulated newcomer: "this person has rated k of their movies; predict the rest".

A newcomer is drawn from a user with enough catalog ratings: a permutation
of their ratings, seeded by (seed, user id) so that a user's draw does not
depend on who else is drawn, puts ``K_MAX`` (16) of them first; the first k
(k in ``KS``) are the given ratings and every rating after the first 16 is a
target, so the targets are the same for every k and never reach a model.
A user is eligible with at least ``K_MAX + MIN_TARGETS`` (21) ratings.
"all" (``draw_all``): users with more than 16 ratings left to give after
the last max(5, 20%) of the permutation are set aside as targets.

The same draw serves the evaluation (held-out users) and every model that
chooses a hyper-parameter (validation users drawn from its training users,
``validation_users``; their permutations come from one generator,
``one_stream``, as they always have, so every choice stays what it was). Training a tower draws differently, many fresh
newcomers a step (``sample_given``: a random k-subset per user, no Python
loop per user).

Given ratings travel as ``given_rows`` (U, width) int64 catalog rows (-1 in
an empty slot) and ``given_ratings`` (U, width) float32 stars (0 there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.coldstart.ratings import CatalogRatings

KS = (1, 2, 4, 8, 16)  # the numbers of given ratings every model is measured and chosen at
K_MAX = KS[-1]
MIN_TARGETS = 5  # targets a newcomer must keep beyond the K_MAX given
ALL = "all"  # the "give everything but the targets" newcomer (``draw_all``)
ALL_TARGET_SHARE = 0.2
MAX_VALIDATION_USERS = 5_000  # validation users at most: the choices are a few numbers; at 480K users 15% is 72,000


@dataclass(frozen=True)
class ColdStartDraw:
    """One draw: for U users, their given ratings and their targets.

    given_rows, given_ratings: (U, width) in draw order (the first k are the k given).
    targets: CatalogRatings of the same U users holding only the target ratings.
    """

    seed: int
    given_rows: np.ndarray
    given_ratings: np.ndarray
    targets: CatalogRatings

    def given(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(U, max(16, width)) rows/ratings with the first k given and the rest -1 / 0."""
        width = max(K_MAX, self.given_rows.shape[1])
        rows = np.full((len(self.given_rows), width), -1, dtype=np.int64)
        ratings = np.zeros((len(self.given_rows), width), dtype=np.float32)
        rows[:, :k], ratings[:, :k] = self.given_rows[:, :k], self.given_ratings[:, :k]
        return rows, ratings


def eligible(users: CatalogRatings, k_max: int = K_MAX, min_targets: int = MIN_TARGETS) -> np.ndarray:
    """Positions of the users with at least k_max + min_targets catalog ratings."""
    return np.flatnonzero(users.counts() >= k_max + min_targets)


def draw(
    users: CatalogRatings, seed: int, k_max: int = K_MAX, min_targets: int = MIN_TARGETS, one_stream: bool = False
) -> ColdStartDraw:
    """Every eligible user as a newcomer: k_max given (in seeded random order), the rest targets.

    ``one_stream``: the permutations come one user after another from one generator seeded by ``seed``
    (how validation users inside the training users are drawn), not one generator per (seed, user id).
    """
    chosen = eligible(users, k_max, min_targets)
    return split_users(users, chosen, np.full(len(chosen), k_max, dtype=np.int64), seed, k_max, one_stream)


def split_users(
    users: CatalogRatings, chosen: np.ndarray, cuts: np.ndarray, seed: int, width: int, one_stream: bool = False
) -> ColdStartDraw:
    """Users ``chosen`` (positions in ``users``) give the first ``cuts[i]`` ratings of a permutation seeded by
    (seed, user id); the rest are targets. given_rows/given_ratings: (U, width), padded with -1 / 0.
    ``one_stream``: the permutations come from one generator seeded by ``seed``, in the order of ``chosen``."""
    given_rows = np.full((len(chosen), width), -1, dtype=np.int64)
    given_ratings = np.zeros((len(chosen), width), dtype=np.float32)
    t_users, t_rows, t_ratings = [], [], []
    stream = np.random.default_rng(seed) if one_stream else None
    for i, (u, cut) in enumerate(zip(chosen, cuts, strict=True)):
        rows, ratings = users.user(u)
        # Seeded by (seed, user id): a user's draw does not depend on who else is drawn.
        rng = stream if stream is not None else np.random.default_rng([seed, int(users.user_ids[u])])
        order = rng.permutation(len(rows))
        given_rows[i, :cut], given_ratings[i, :cut] = rows[order[:cut]], ratings[order[:cut]]
        rest = order[cut:]
        t_users.append(np.full(len(rest), users.user_ids[u]))
        t_rows.append(rows[rest])
        t_ratings.append(ratings[rest])
    targets = CatalogRatings.build(
        np.concatenate(t_users) if t_users else np.zeros(0),
        np.concatenate(t_rows) if t_rows else np.zeros(0),
        np.concatenate(t_ratings) if t_ratings else np.zeros(0),
        users.n_items,
    )
    return ColdStartDraw(seed, given_rows, given_ratings, targets)


def all_targets(counts: np.ndarray) -> np.ndarray:
    """(U,) targets each user keeps in the "all" draw: max(5, ceil(20% of their ratings))."""
    return np.maximum(MIN_TARGETS, np.ceil(ALL_TARGET_SHARE * counts)).astype(np.int64)


def draw_all(users: CatalogRatings, seed: int) -> ColdStartDraw | None:
    """Users who can give more than 16: the last max(5, 20%) of a seeded permutation are targets, the rest given."""
    counts = users.counts()
    n_targets = all_targets(counts)
    chosen = np.flatnonzero(counts - n_targets > K_MAX)
    if len(chosen) == 0:
        return None
    cuts = counts[chosen] - n_targets[chosen]
    return split_users(users, chosen, cuts, seed, int(cuts.max()))


def eligible_counts(users: CatalogRatings) -> dict:
    """How many users each k evaluates (at least 16 + 5 ratings; "all": more than 16 left after the targets)."""
    counts = users.counts()
    return {"k": int((counts >= K_MAX + MIN_TARGETS).sum()), ALL: int((counts - all_targets(counts) > K_MAX).sum())}


def dense(ratings: CatalogRatings) -> np.ndarray:
    """(U, n_movies) float64 ratings, NaN where the user has none."""
    out = np.full((ratings.n_users, ratings.n_items), np.nan)
    users, rows, values = ratings.triples()
    out[users, rows] = values
    return out


def given_mask(given_rows: np.ndarray, n_items: int) -> np.ndarray:
    """(U, n_movies) bool: the movies each user gave (-1 slots are empty)."""
    given_rows = np.asarray(given_rows)
    mask = np.zeros((len(given_rows), n_items), dtype=bool)
    users, slots = np.nonzero(given_rows >= 0)
    mask[users, given_rows[users, slots]] = True
    return mask


def validation_users(
    train: CatalogRatings,
    fraction: float = 0.15,
    seed: int = 0,
    min_ratings: int = K_MAX + MIN_TARGETS,
    max_users: int = MAX_VALIDATION_USERS,
) -> tuple[CatalogRatings, CatalogRatings]:
    """(fit users, validation users) of training users: ``fraction`` of those with >= min_ratings ratings, at
    most ``max_users``, seeded; every other user fits. A model chooses its hyper-parameters on newcomers drawn
    from the validation users and never sees a test user."""
    candidates = np.flatnonzero(train.counts() >= min_ratings)
    n_val = min(round(fraction * len(candidates)), max_users)
    if n_val == 0 or n_val == train.n_users:
        raise ValueError(
            f"cannot draw validation users: {len(candidates)} training users have "
            f">= {min_ratings} ratings, of {train.n_users}"
        )
    val = np.sort(np.random.default_rng(seed).choice(candidates, n_val, replace=False))
    rest = np.setdiff1d(np.arange(train.n_users), val)
    return train.subset(rest), train.subset(val)


# ---- the training draw -------------------------------------------------------


def trainable(users: CatalogRatings) -> np.ndarray:
    """Positions of the users a training newcomer can be drawn from: 2 ratings or more (one given, one target)."""
    return np.flatnonzero(users.counts() >= 2)


def sample_given(train: CatalogRatings, batch: np.ndarray, ks: np.ndarray, rng: np.random.Generator):
    """A random ``ks[i]`` of user ``batch[i]``'s ratings each, for many users at once.

    Returns (given_rows, given_ratings, user, rows, ratings, is_target):
    (B, 16) padded given rows/ratings (in random order, -1 / 0 past k), and
    over every rating of the batch's users: its position in the batch, its
    catalog row, its stars, and whether it is a target (not given). One
    random key per rating and a sort within each user: a uniform k-subset,
    with no Python loop per user.
    """
    starts, counts = train.indptr[batch], np.diff(train.indptr)[batch]
    first = np.cumsum(counts) - counts  # each user's first slot in the flat arrays
    user = np.repeat(np.arange(len(batch)), counts)
    flat = starts[user] + np.arange(len(user)) - first[user]  # positions in train's rating arrays
    order = np.lexsort((rng.random(len(user)), user))  # a random order within each user
    rank = np.empty(len(user), dtype=np.int64)
    rank[order] = np.arange(len(user)) - first[user[order]]
    is_given = rank < np.asarray(ks)[user]
    rows, ratings = train.rows[flat], train.ratings[flat]
    given_rows = np.full((len(batch), K_MAX), -1, dtype=np.int64)
    given_ratings = np.zeros((len(batch), K_MAX), dtype=np.float32)
    given_rows[user[is_given], rank[is_given]] = rows[is_given]
    given_ratings[user[is_given], rank[is_given]] = ratings[is_given]
    return given_rows, given_ratings, user, rows, ratings, ~is_given
