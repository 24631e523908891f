"""Model 2: a cold-start user's ratings (16x16 matrix) -> predicted rating of every catalog movie.

The input is built by ``screen_genius.features`` (the code the function runs),
row i = movie vector i * (rating_i - offset), zero rows when fewer than 16.

Two towers read it:
- ``SetTower`` (served): a 1-wide convolution over rows (one small network
  applied to every rated movie alike), masked mean/sum pooling over rows and
  the number of ratings, then dense layers. The answer does not depend on the
  order of the rated movies, which a user never chose. Served as an ensemble:
  several seeds averaged in one graph (``EnsembleModel``), each tower's taste
  part shrunk for few ratings by a gate fitted on validation users.
- ``SeedCNNTower``: the original design (Conv2D 16@3x3, MaxPool 2, Conv2D
  256@3x3, MaxPool 2, Dense 256, 64, 16, leaky ReLU), kept to measure against.

``CatalogScorer`` turns the 16-D user vector into ratings for every catalog
movie: offset + user . w_movie + c_movie, with w initialized from Model 1's
vectors and c from zero, both fine-tuned on cold-start targets. It is part of
the exported graph, so the function gets ratings in stars straight out of TFLite.

Training simulates cold-start users: each step, each training user in the
batch gives a random k (1..16) of their ratings as input and every other
rating they have is a target, so one tower pass trains on many targets.
Batches are built on the fly from the per-user table; all 16x16 inputs are
never materialized at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from screen_genius import features
from training import progress
from training.models import layout, movie_factors
from training.models.checkpoints import Checkpoints, cached_part

if TYPE_CHECKING:
    import keras

    from training.models.catalog_ratings import CatalogRatings

MAX_RATINGS = features.MAX_RATINGS
FACTORS = layout.FACTORS


@dataclass
class UserTowerConfig:
    tower: str = "set"  # "set" (served) or "seed_cnn" (the original design)
    width: int = 128
    epochs: int = 80
    batch_users: int = 32  # the smallest batch; larger with many users (``schedule``)
    max_batch_users: int = 256
    epoch_users: int = 65_536  # simulated users per epoch at most: validation and early stopping this often
    max_simulated_users: int = 400_000  # per tower, over all epochs: the budget that bounds training at scale
    learning_rate: float = 5e-4
    dropout: float = 0.1
    l2_scorer: float = 1e-3  # pulls the fine-tuned scorer back toward Model 1's vectors
    max_given: int = MAX_RATINGS
    validation_fraction: float = 0.1
    patience: int = 25
    seed: int = 0
    k_distribution: str = "uniform"  # given ratings per simulated user: "uniform" in 1..16, or "log" (P(k) ~ 1/k)
    ensemble: int = 5  # towers trained with seeds seed, seed+1, ...; the served graph averages their ratings
    fit_gates: bool = True  # after training, shrink the learned taste part by number of ratings (validation users)
    gate_draws: int = 4  # simulated cold-start draws per validation user and number of ratings, to fit the gates
    base: str = "fold_in"  # the tower's starting point: "fold_in" (ridge fold-in on the movie factors) or "bias"
    fold_in_reg: float = 8.0  # initial ridge of the fold-in (learned in training)
    # at scale (a capped schedule), start from the ridge in FOLD_IN_REGS best on the validation users instead
    choose_fold_in_reg: bool = True


@dataclass(frozen=True)
class Schedule:
    """How one tower trains on a given number of users: batch size, steps per epoch, epochs, patience."""

    batch_users: int
    steps_per_epoch: int
    epochs: int
    patience: int
    learning_rate: float


def schedule(n_users: int, config: UserTowerConfig) -> Schedule:
    """The training schedule for ``n_users`` eligible fit users: the same as ever on small data, bounded at scale.

    An epoch is one pass over the users, or ``epoch_users`` of them when
    there are more (the next epoch goes on where it stopped), so validation
    and early stopping come as often at 400K users as at 40K. The batch grows
    from ``batch_users`` toward ``max_batch_users`` with the number of users
    (a power of two near n / 160: 32 on MovieLens' 600 users, 256 from about
    30K users), which is what makes a step cheap per user on CPU. The epochs
    are capped so that a tower steps on at most ``max_simulated_users``
    simulated users in all, and the patience shrinks with them (a quarter of
    the epochs, at least 2). The learning rate grows with the square root of
    the batch over ``batch_users`` (Hoffer et al. 2017): at 10M ratings,
    batches of 256 at 1.5e-3 (about the rule's 1.4e-3) reach in 12 epochs the RMSE that
    5e-4 reaches in 25 (0.9654 against 0.9655).
    """
    n = max(int(n_users), 1)
    batch = config.batch_users
    while batch < config.max_batch_users and batch * 160 < n:
        batch *= 2
    batch = max(config.batch_users, min(batch, config.max_batch_users))
    per_epoch = min(n, config.epoch_users)
    epochs = max(1, min(config.epochs, -(-config.max_simulated_users // per_epoch)))
    patience = config.patience if epochs == config.epochs else min(config.patience, max(2, epochs // 4))
    learning_rate = config.learning_rate * float(np.sqrt(batch / config.batch_users))
    return Schedule(batch, -(-per_epoch // batch), epochs, patience, learning_rate)


def rating_offset(global_mean: float, step: float) -> float:
    """The offset subtracted from ratings: the training mean, kept off the rating grid.

    A rating equal to the offset would make its row all zeros, which the tower
    reads as "no rating"; so an offset within a tenth of a step of a grid
    point is moved a quarter step away.
    """
    offset = round(float(global_mean), 4)
    nearest = round(offset / step) * step
    if abs(offset - nearest) < 0.1 * step:
        offset = nearest + 0.25 * step
    return offset


def build_model(movie_vectors: np.ndarray, offset: float, config: UserTowerConfig):
    """The Keras model of ``config``: (batch, 16, 16) -> (batch, n_movies) stars; an ensemble averages members."""
    import keras

    from training.models.tower_layers import CatalogScorer, ColdStartModel, EnsembleModel, SeedCNNTower, SetTower

    def member():
        tower = (
            SetTower(config.width, config.dropout, config.base, config.fold_in_reg)
            if config.tower == "set"
            else SeedCNNTower()
        )
        return ColdStartModel(tower, CatalogScorer(movie_vectors, offset, config.l2_scorer))

    model = member() if config.ensemble <= 1 else EnsembleModel([member() for _ in range(config.ensemble)])
    model(keras.ops.zeros((1, MAX_RATINGS, 16)))
    return model


def sample_k(n_ratings: np.ndarray, max_given: int, distribution: str, rng: np.random.Generator) -> np.ndarray:
    """(B,) given-rating counts for simulated users with ``n_ratings`` ratings each (at least 2).

    "uniform": k uniform in 1..min(n - 1, max_given). "log": P(k) proportional
    to 1/k over the same range, so 1, 2, 4, 8 and 16 given ratings weigh
    alike, as in the evaluation protocol (a new user's first ratings matter most).
    """
    top = np.minimum(n_ratings - 1, max_given)
    if distribution == "uniform":
        return rng.integers(1, top + 1)
    if distribution != "log":
        raise ValueError(f"k_distribution must be 'uniform' or 'log', not {distribution!r}")
    # inverse CDF of 1/k on [1, top + 1): floor(exp(u * log(top + 1)))
    return np.minimum(np.floor(np.exp(rng.random(len(top)) * np.log(top + 1.0))).astype(np.int64), top)


# ---- simulated cold-start users ---------------------------------------------


def sample_given(train, batch: np.ndarray, ks: np.ndarray, rng: np.random.Generator):
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
    given_rows = np.full((len(batch), MAX_RATINGS), -1, dtype=np.int64)
    given_ratings = np.zeros((len(batch), MAX_RATINGS), dtype=np.float32)
    given_rows[user[is_given], rank[is_given]] = rows[is_given]
    given_ratings[user[is_given], rank[is_given]] = ratings[is_given]
    return given_rows, given_ratings, user, rows, ratings, ~is_given


def eligible_users(users) -> np.ndarray:
    """Positions of the users a simulated newcomer can be drawn from: 2 ratings or more (one given, one target)."""
    return np.flatnonzero(users.counts() >= 2)


def make_batch(
    train,
    batch: np.ndarray,
    movie_vectors: np.ndarray,
    offset: float,
    rng: np.random.Generator,
    max_given: int = MAX_RATINGS,
    k_distribution: str = "uniform",
):
    """Simulated cold-start users ``batch`` (positions in ``train``): (x, targets, mask).

    x (B, 16, 16) float32 user matrices of k random given ratings each;
    targets and mask (B, n_movies) float32, mask 1 where the user rated the
    movie and it was not among the inputs.
    """
    b, n_items = len(batch), train.n_items
    targets = np.zeros((b, n_items), dtype=np.float32)
    mask = np.zeros((b, n_items), dtype=np.float32)
    ks = sample_k(train.counts()[batch], max_given, k_distribution, rng)
    given_rows, given_ratings, user, rows, ratings, is_target = sample_given(train, batch, ks, rng)
    targets[user, rows] = ratings
    mask[user[is_target], rows[is_target]] = 1.0
    return features.user_matrices(movie_vectors, given_rows, given_ratings, offset), targets, mask


def cold_start_batches(
    train,
    movie_vectors: np.ndarray,
    offset: float,
    batch_users: int,
    rng: np.random.Generator,
    max_given: int = MAX_RATINGS,
    k_distribution: str = "uniform",
):
    """One epoch of simulated cold-start batches (``make_batch``), streamed, users shuffled by ``rng``.

    Users with fewer than 2 ratings are skipped.
    """
    users = eligible_users(train)
    rng.shuffle(users)
    for start in range(0, len(users), batch_users):
        yield make_batch(
            train, users[start : start + batch_users], movie_vectors, offset, rng, max_given, k_distribution
        )


def as_sample_weights(mask: np.ndarray) -> np.ndarray:
    """Mask (B, n_movies) -> Keras sample weights whose weighted mean squared error is SSE / targets in the batch."""
    return (mask * (mask.size / max(float(mask.sum()), 1.0))).astype(np.float32)


def fixed_validation(
    train, movie_vectors, offset, seed: int, max_given: int = MAX_RATINGS, k_distribution: str = "uniform"
):
    """A fixed set of simulated cold-start batches for validation curves and early stopping."""
    rng = np.random.default_rng(seed)
    return list(cold_start_batches(train, movie_vectors, offset, 256, rng, max_given, k_distribution))


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
    rest are targets (``peers.validation.simulate``, as the peers choose
    theirs); the mean RMSE over k decides. Model 1's factors grow with the
    data (a fixed ridge of 8 on ten times the ratings per movie), so a fold-in
    ridge that suits MovieLens overfits at 10M ratings: there, 8 gave 1.0000
    at k = 16 and 32 gave 0.9574. Returns (ridge, {ridge: rmse}); with no
    eligible user, 8 (the fixed value) and an empty table.

    ``train_user_tower`` uses it only when the tower's schedule is capped
    (Netflix scale), for two measured reasons. The validation users' own
    ratings are in Model 1's fit: among 36,000 users that is negligible, but
    among MovieLens' 536 it makes the fold-in look better with less
    shrinkage, and they chose 2 (held-out users favour 32). And a tower that
    trains 80 epochs goes far from its start: on MovieLens, towers started
    from 2 or 32 ended worse than from 8 (5-fold served RMSE at k = 16 0.8622
    against 0.8531), while at 10M, where a tower trains 5 to 11 epochs,
    starting from the chosen 32 took it from 0.9544 to 0.9397.
    """
    from training.models.peers import validation

    eligible = np.flatnonzero(users.counts() > max(validation.KS))
    if len(eligible) == 0:
        return 8.0, {}
    if len(eligible) > max_users:
        eligible = np.sort(np.random.default_rng(seed).choice(eligible, max_users, replace=False))
    sim = validation.simulate(users.subset(eligible), seed)
    table = {
        float(reg): float(
            np.mean(
                [
                    validation.rmse(movie_factors.fold_in_stars(movie_vectors, offset, *sim.given(k), reg), sim.targets)
                    for k in validation.KS
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


@dataclass
class TrainedUserTower:
    model: keras.Model  # ColdStartModel
    movie_vectors: np.ndarray  # (n_movies, 16) float32, the input vectors (Model 1)
    offset: float
    config: UserTowerConfig
    history: dict[str, Any] = field(default_factory=dict)
    validation: CatalogRatings | None = None  # the validation users (never stepped on), when known

    def predict_matrices(self, x: np.ndarray) -> np.ndarray:
        """(B, 16, 16) -> (B, n_movies) float32 predicted ratings."""
        out = []
        for start in range(0, len(x), 1024):
            out.append(np.asarray(self._serve(x[start : start + 1024])))
        return np.concatenate(out) if out else np.zeros((0, self.movie_vectors.shape[0]), np.float32)

    @property
    def _serve(self):
        if not hasattr(self, "_serve_fn"):
            import tensorflow as tf

            self._serve_fn = tf.function(lambda x: self.model(x, training=False), reduce_retracing=True)
        return self._serve_fn


def split_validation(train, fraction: float, seed: int):
    """(fit users, validation users) of ``train``: a seeded share of users never stepped on."""
    positions = np.random.default_rng(seed).permutation(train.n_users)
    n_val = round(fraction * train.n_users) if train.n_users >= 10 else 0
    return train.subset(positions[n_val:]), train.subset(positions[:n_val])


def train_user_tower(
    train,
    movie_vectors: np.ndarray,
    offset: float,
    config: UserTowerConfig | None = None,
    log=None,
    checkpoints: Checkpoints | None = None,
) -> TrainedUserTower:
    """Train Model 2 on ``train`` (CatalogRatings of training users only).

    A fraction of the training users is set aside (never stepped on): they
    pick the best epoch and fit the taste gates, and the same users are kept
    in ``TrainedUserTower.validation`` for any later choice (the list ranking).
    Held-out test users are not involved at all. With ``config.ensemble`` > 1,
    that many towers are trained one after another (seeds seed, seed+1, ...;
    all with the same validation users) and put into one graph that averages
    their ratings. With ``checkpoints``, each finished tower is kept there,
    and one an interrupted run finished is loaded instead of trained again.
    """
    config = config or UserTowerConfig()
    fit_users, val_users = split_validation(train, config.validation_fraction, config.seed)
    # at scale only (a capped schedule): see choose_fold_in_reg
    capped = schedule(len(eligible_users(fit_users)), config).epochs < config.epochs
    if config.base == "fold_in" and config.choose_fold_in_reg and capped:
        reg, table = choose_fold_in_reg(val_users, movie_vectors, offset, config.seed + 3)
        config = dataclasses.replace(config, fold_in_reg=reg, choose_fold_in_reg=False)
        scores = {f"{r:g}": e for r, e in table.items()}
        choice: dict[str, Any] = {"chosen": reg, "validation_rmse": scores}
        if log and table:
            log(
                f"  fold-in ridge: {reg:g} (validation rmse "
                + ", ".join(f"{r}: {e:.4f}" for r, e in scores.items())
                + ")"
            )
    else:
        choice = {"chosen": config.fold_in_reg, "validation_rmse": {}}

    def one(member: UserTowerConfig) -> TrainedUserTower:
        return cached_part(
            checkpoints,
            f"tower-{member.tower}-seed{member.seed}",
            lambda: _train_one(fit_users, val_users, movie_vectors, offset, member, log),
            lambda t: ({f"w{i}": w for i, w in enumerate(t.model.get_weights())}, t.history),
            lambda arrays, history: _reloaded(arrays, history, movie_vectors, offset, member),
        )

    if config.ensemble <= 1:
        trained = one(config)
        trained.validation = val_users
        trained.history["fold_in_reg"] = choice
        return trained
    members = [one(dataclasses.replace(config, ensemble=1, seed=config.seed + i)) for i in range(config.ensemble)]
    model = build_model(np.asarray(movie_vectors, dtype=np.float32), offset, config)
    for slot, member in zip(model.members, members, strict=True):
        slot.set_weights(member.model.get_weights())
    history = dict(members[0].history)  # curves of the first member; every member's below
    history["members"] = [m.history for m in members]
    history["seconds"] = [sum(m.history["seconds"][-1] for m in members if m.history["seconds"])]
    history["fold_in_reg"] = choice
    return TrainedUserTower(model, members[0].movie_vectors, float(offset), config, history, val_users)


def _reloaded(arrays: dict, history: dict, movie_vectors, offset: float, config: UserTowerConfig) -> TrainedUserTower:
    """A tower kept by ``checkpoints``, built again with its weights."""
    vectors = np.asarray(movie_vectors, dtype=np.float32)
    model = build_model(vectors, offset, config)
    model.set_weights([arrays[f"w{i}"] for i in range(len(arrays))])
    return TrainedUserTower(model, vectors, float(offset), config, history)


def _train_one(
    fit_users, val_users, movie_vectors: np.ndarray, offset: float, config: UserTowerConfig, log=None
) -> TrainedUserTower:
    """One tower (``config.ensemble`` is ignored): ``fit()`` on streamed cold-start batches, early stopping.

    The masked multi-target loss is Keras' mean squared error with the masks
    as sample weights (``as_sample_weights``); EarlyStopping on the validation
    users keeps the best epoch's weights, and the starting point (the ridge
    fold-in, or item mean + user bias) is kept instead when no epoch beats it.
    """
    import keras

    from training.models.cold_start_data import ColdStartData, EpochRecord, FixedBatches
    from training.models.tower_layers import squared_error

    keras.utils.set_random_seed(config.seed)
    movie_vectors = np.asarray(movie_vectors, dtype=np.float32)
    n_val = val_users.n_users
    model = build_model(movie_vectors, offset, config)
    data = ColdStartData(fit_users, movie_vectors, offset, config)
    plan = data.schedule
    model.compile(optimizer=keras.optimizers.Adam(plan.learning_rate), loss=squared_error)
    validation = None
    history: dict[str, Any] = {"rmse": [], "val_rmse": [], "seconds": [], "schedule": dataclasses.asdict(plan)}
    if log and plan.epochs < config.epochs:
        log(
            f"  user tower [{config.tower}] seed {config.seed}: {len(data.eligible):,} users, batches of "
            f"{plan.batch_users}, {plan.steps_per_epoch} steps an epoch, at most {plan.epochs} epochs "
            f"(patience {plan.patience}), learning rate {plan.learning_rate:.2g}"
        )
    callbacks = [EpochRecord(history, plan.epochs, config.tower, log)]
    bar = progress.epoch_callback(plan.epochs, f"user tower [{config.tower}] seed {config.seed}")
    callbacks += [bar] if bar else []
    if n_val:
        batches = fixed_validation(
            val_users, movie_vectors, offset, config.seed + 1, config.max_given, config.k_distribution
        )
        validation = FixedBatches([(x, t, as_sample_weights(m)) for x, t, m in batches])
        initial = float(model.evaluate(validation, verbose=0))
        history["initial_val_rmse"] = float(np.sqrt(initial))
        initial_weights = model.get_weights()
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=plan.patience, min_delta=1e-6, restore_best_weights=True
            )
        )
    model.fit(data, validation_data=validation, epochs=plan.epochs, callbacks=callbacks, verbose=0)
    if n_val:
        best = int(np.argmin(history["val_rmse"]))
        history["best_epoch"] = best + 1
        if history["val_rmse"][best] ** 2 >= initial:  # no epoch beat the starting point: keep it
            model.set_weights(initial_weights)
            history["best_epoch"] = 0
    if config.fit_gates and config.tower == "set" and n_val:
        gates = fit_gates(model, val_users, movie_vectors, offset, config.gate_draws, config.seed + 2)
        history["gates"] = {
            "taste": [round(float(g), 4) for g in gates[0]],
            "bias": [round(float(g), 4) for g in gates[1]],
        }
        if log:
            log(
                "  user tower taste gate (n = 1, 2, 4, 8, 16): "
                + ", ".join(f"{gates[0, n]:.2f}" for n in (1, 2, 4, 8, 16))
            )
    return TrainedUserTower(model, movie_vectors, float(offset), config, history)


PREDICT_USERS = 256  # users per tower call when each gives several subsets (bounds the (subsets, movies) block)


class UserTowerRecommender:
    """Model 2 on the cold-start protocol: ``fit(train)``, ``predict(given_rows, given_ratings)``.

    Inputs are built exactly as the function builds them
    (``features.request_inputs``): up to 16 ratings make one matrix; with more,
    ``n_subsets`` deterministic subsets are scored and their predictions averaged.
    """

    def __init__(
        self,
        movie_vectors: np.ndarray,
        offset: float,
        config: UserTowerConfig | None = None,
        name: str | None = None,
        n_subsets: int = 1,
        log=None,
    ):
        self.movie_vectors = np.asarray(movie_vectors, dtype=np.float32)
        self.offset, self.config = float(offset), config or UserTowerConfig()
        self.name = name or ("user_tower" if self.config.tower == "set" else "seed_cnn")
        self.n_subsets, self.log = n_subsets, log
        self.trained: TrainedUserTower | None = None

    @classmethod
    def from_trained(cls, trained: TrainedUserTower, name: str, n_subsets: int = 1) -> UserTowerRecommender:
        """An already-trained tower on the protocol (its ``fit`` is then a no-op)."""
        model = cls(trained.movie_vectors, trained.offset, trained.config, name, n_subsets)
        model.trained = trained
        return model

    def fit(self, train) -> None:
        if self.trained is None:
            self.trained = train_user_tower(train, self.movie_vectors, self.offset, self.config, self.log)

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        trained = self.trained
        assert trained is not None, "fit() first"
        given_rows, given_ratings = np.asarray(given_rows), np.asarray(given_ratings, dtype=np.float32)
        if given_rows.shape[1] == MAX_RATINGS:  # at most 16 each: one matrix per user, in one batch
            x = np.concatenate(
                [
                    features.request_inputs(self.movie_vectors, r[r >= 0], v[r >= 0], self.offset, 1)
                    for r, v in zip(given_rows, given_ratings, strict=True)
                ]
            )
            return trained.predict_matrices(x)
        # more than 16: each user's subsets, many users to one tower call, averaged per user
        out = []
        for start in range(0, len(given_rows), PREDICT_USERS):
            end = start + PREDICT_USERS
            matrices = [
                features.request_inputs(self.movie_vectors, r[r >= 0], v[r >= 0], self.offset, self.n_subsets)
                for r, v in zip(given_rows[start:end], given_ratings[start:end], strict=True)
            ]
            counts = np.array([len(m) for m in matrices])
            sums = np.add.reduceat(trained.predict_matrices(np.concatenate(matrices)), np.cumsum(counts) - counts)
            out.append(sums / counts[:, None].astype(np.float32))
        return np.concatenate(out) if out else np.zeros((0, len(self.movie_vectors)), np.float32)
