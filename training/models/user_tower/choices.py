"""The user tower's two choices made on validation users: its starting ridge and its taste gates.

``choose_fold_in_reg`` picks the fold-in ridge the tower starts from (at
scale); ``fit_gates`` fits the gate that shrinks the learned taste part when
a newcomer has given few ratings. Both use users never stepped on in training.
"""

from __future__ import annotations

import numpy as np

from screen_genius import features
from training.coldstart import metrics, newcomers
from training.coldstart.newcomers import sample_given
from training.models import movie_factors
from training.models.user_tower.config import MAX_RATINGS

GATE_LAMBDAS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


FOLD_IN_USERS = 5_000  # validation users the fold-in ridge is chosen on, at most


def choose_fold_in_reg(
    users,
    movie_vectors: np.ndarray,
    offset: float,
    seed: int,
    regs=movie_factors.FOLD_IN_REGS,
    max_users: int = FOLD_IN_USERS,
) -> tuple[float, dict]:
    """The tower's starting ridge: the one in ``regs`` whose fold-in has the lowest RMSE on ``users``.

    ``users`` are validation users (never stepped on). Each with more than 16
    ratings gives the first k = 1, 2, 4, 8, 16 of a seeded permutation and the
    rest are targets (``coldstart.newcomers.draw``, as the peers choose
    theirs); the mean RMSE over k decides. Model 1's factors grow with the
    data (a fixed ridge of 8 on ten times the ratings per movie), so a fold-in
    ridge that suits MovieLens overfits at 10M ratings. Returns (ridge,
    {ridge: rmse}); with no eligible user, 8 (the fixed value) and an empty table.

    ``train_user_tower`` uses it only when the tower's schedule is capped
    (Netflix scale), for two measured reasons (docs/models.md, "Netflix
    scale"): the validation users' own ratings are in Model 1's fit, which
    among a few hundred users makes the fold-in look better with less
    shrinkage than held-out users want; and a tower that trains 80 epochs
    goes far from its start, while one that trains 5 to 11 epochs at scale
    keeps much of it.
    """

    eligible = np.flatnonzero(users.counts() > max(newcomers.KS))
    if len(eligible) == 0:
        return 8.0, {}
    if len(eligible) > max_users:
        eligible = np.sort(np.random.default_rng(seed).choice(eligible, max_users, replace=False))
    sim = newcomers.draw(users.subset(eligible), seed, min_targets=1, one_stream=True)
    table = {
        float(reg): float(
            np.mean(
                [
                    metrics.rmse(movie_factors.fold_in_stars(movie_vectors, offset, *sim.given(k), reg), sim.targets)
                    for k in newcomers.KS
                ]
            )
        )
        for reg in regs
    }
    return min(table, key=table.__getitem__), table


def fit_gates(
    model,
    users,
    movie_vectors: np.ndarray,
    offset: float,
    draws: int,
    seed: int,
    lambdas=GATE_LAMBDAS,
    max_scale: float = 1.0,
    max_users: int = 1000,
) -> np.ndarray:
    """Set a set tower's taste gate on ``users`` (validation users, never stepped on); returns the gates (2, 17).

    The taste gate is ``a * n / (n + lam)``: shrunk with little evidence, as a
    ridge fold-in shrinks factors estimated from few ratings. For n = 1..16,
    simulated cold-start users give n ratings (``draws`` draws per user) and
    the rest are targets; ratings are linear in the gate (the scorer is linear
    in the user vector), so for each ``lam`` the best ``a`` is a least-squares
    ratio, and the (lam, a) with the smallest squared error is kept. Two
    numbers fitted on all validation targets: stable where a free gate per n
    was not. The bias gate (row 1) stays 1. At most ``max_users`` users are
    used (a seeded sample), so the cost stays bounded on Netflix-sized data:
    1,000 users give 64,000 simulated newcomers and millions of targets for the two numbers.
    """
    tower = model.tower
    rng = np.random.default_rng(seed)
    if users.n_users > max_users:
        users = users.subset(np.sort(rng.choice(users.n_users, max_users, replace=False)))
    counts = users.counts()
    ns = np.arange(MAX_RATINGS + 1, dtype=np.float64)

    import tensorflow as tf

    serve = tf.function(lambda x: model(x, training=False), reduce_retracing=True)  # reads the gates' variable

    def predict(x, taste_gate):
        gates = np.ones((2, MAX_RATINGS + 1), np.float32)
        gates[0] = taste_gate
        tower.gates.assign(gates)
        return np.asarray(serve(x), dtype=np.float64)

    # per n: sums of t*t, t*r, r*r where t = taste part of the rating and r = target - rating without it
    stats = np.zeros((MAX_RATINGS + 1, 3))
    for n in range(1, MAX_RATINGS + 1):
        eligible = np.flatnonzero(counts > n)
        for start in range(0, len(eligible), 256):
            batch = np.repeat(eligible[start : start + 256], draws)
            given_rows, given_ratings, user, rows, ratings, is_target = sample_given(
                users, batch, np.full(len(batch), n), rng
            )
            targets = np.zeros((len(batch), users.n_items))
            mask = np.zeros((len(batch), users.n_items), dtype=bool)
            targets[user, rows], mask[user[is_target], rows[is_target]] = ratings, True
            x = features.user_matrices(movie_vectors, given_rows, given_ratings, offset)
            without = predict(x, 0.0)
            t, r = (predict(x, 1.0) - without)[mask], (targets - without)[mask]
            stats[n] += [t @ t, t @ r, r @ r]
    best = (np.inf, 1.0, 0.0)
    for lam in lambdas:
        shape = ns / (ns + lam) if lam else np.ones_like(ns)
        tt, tr, rr = (stats[:, 0] * shape**2).sum(), (stats[:, 1] * shape).sum(), stats[:, 2].sum()
        a = float(np.clip(tr / tt, 0.0, max_scale)) if tt > 0 else 1.0
        sse = rr - 2 * a * tr + a * a * tt
        if sse < best[0]:
            best = (sse, a, lam)
    _, a, lam = best
    gates = np.ones((2, MAX_RATINGS + 1), np.float32)
    gates[0] = a * (ns / (ns + lam) if lam else np.ones_like(ns))
    tower.gates.assign(gates)
    return gates
