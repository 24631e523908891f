"""Training the user tower: the Keras model, one tower's ``fit()`` with early stopping, and the ensemble.

``train_user_tower`` sets validation users aside (never stepped on), trains
``config.ensemble`` towers on streamed cold-start batches (``keras_data``),
fits their gates (``choices``) and puts them into one graph that averages
their ratings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from training import progress
from training.coldstart.newcomers import trainable
from training.models.checkpoints import Checkpoints, cached_part
from training.models.user_tower.choices import choose_fold_in_reg, fit_gates
from training.models.user_tower.config import MAX_RATINGS, UserTowerConfig, schedule
from training.models.user_tower.feeding import as_sample_weights, fixed_validation

if TYPE_CHECKING:
    import keras

    from training.coldstart.ratings import CatalogRatings


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
    capped = schedule(len(trainable(fit_users)), config).epochs < config.epochs
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

    from training.models.tower_layers import squared_error
    from training.models.user_tower.keras_data import ColdStartData, EpochRecord, FixedBatches

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
