"""Feeding Model 2's ``fit()``: simulated cold-start batches as Keras datasets, and the per-epoch record.

``ColdStartData`` draws every epoch afresh, lazily, batch by batch
(``user_tower.make_batch``); ``FixedBatches`` holds the validation users'
fixed batches; ``EpochRecord`` keeps the RMSE curves the report draws.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from training.models.user_tower import UserTowerConfig, as_sample_weights, make_batch


class ColdStartData(keras.utils.PyDataset):
    """Simulated cold-start batches, (x, targets, sample weights), drawn afresh every epoch.

    Batch ``i`` of epoch ``e`` is a pure function of (seed, e, i), so
    batches are built lazily, one at a time: nothing of an epoch is held in
    memory beyond the batch in use.
    """

    def __init__(self, users, movie_vectors, offset, config: UserTowerConfig):
        super().__init__()
        self.users, self.movie_vectors, self.offset, self.config = users, movie_vectors, offset, config
        self.eligible = np.flatnonzero(users.counts() >= 2)
        self.epoch = 0
        self._order = self._shuffled()

    def _shuffled(self):
        return np.random.default_rng([self.config.seed, self.epoch]).permutation(self.eligible)

    def __len__(self):
        return -(-len(self.eligible) // self.config.batch_users)

    def __getitem__(self, i):
        batch = self._order[i * self.config.batch_users : (i + 1) * self.config.batch_users]
        rng = np.random.default_rng([self.config.seed, self.epoch, i])
        x, targets, mask = make_batch(
            self.users, batch, self.movie_vectors, self.offset, rng, self.config.max_given, self.config.k_distribution
        )
        return x, targets, as_sample_weights(mask)

    def on_epoch_end(self):
        self.epoch += 1
        self._order = self._shuffled()


class FixedBatches(keras.utils.PyDataset):
    """A fixed list of (x, targets, sample weights) batches (the validation users)."""

    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        return self.batches[i]


class EpochRecord(keras.callbacks.Callback):
    """Training and validation RMSE and elapsed seconds per epoch into ``history``; a log line every 10."""

    def __init__(self, history: dict, config: UserTowerConfig, log=None):
        super().__init__()
        self.history_, self.config, self.log = history, config, log

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.history_["rmse"].append(float(np.sqrt(logs.get("loss", np.nan))))
        if "val_loss" in logs:
            self.history_["val_rmse"].append(float(np.sqrt(logs["val_loss"])))
        self.history_["seconds"].append(time.perf_counter() - self.started)
        if self.log and (epoch % 10 == 0 or epoch == self.config.epochs - 1):
            val = self.history_["val_rmse"][-1] if "val_loss" in logs else None
            self.log(
                f"  user tower [{self.config.tower}] epoch {epoch + 1}/{self.config.epochs}: "
                f"rmse {self.history_['rmse'][-1]:.4f}" + (f", val {val:.4f}" if val is not None else "")
            )
