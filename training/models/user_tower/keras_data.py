"""Feeding Model 2's ``fit()``: simulated cold-start batches as Keras datasets, and the per-epoch record.

``ColdStartData`` draws every epoch afresh, lazily, batch by batch
(``feeding.make_batch``); ``FixedBatches`` holds the validation users'
fixed batches; ``EpochRecord`` keeps the RMSE curves the report draws.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from training.coldstart.newcomers import trainable
from training.models.user_tower.config import UserTowerConfig, schedule
from training.models.user_tower.feeding import as_sample_weights, make_batch


class ColdStartData(keras.utils.PyDataset):
    """Simulated cold-start batches, (x, targets, sample weights), drawn afresh every epoch.

    The eligible users (2 ratings or more) are walked through in seeded
    shuffled passes, one after another; an epoch is the next
    ``schedule.steps_per_epoch`` batches of that walk (a whole pass on small
    data, part of one at scale: ``config.schedule``). Batch ``i`` of
    epoch ``e`` is a pure function of (seed, e, i), built lazily, one at a
    time: nothing of an epoch is held in memory beyond the batch in use.
    """

    def __init__(self, users, movie_vectors, offset, config: UserTowerConfig):
        super().__init__()
        self.users, self.movie_vectors, self.offset, self.config = users, movie_vectors, offset, config
        self.eligible = trainable(users)
        self.schedule = schedule(len(self.eligible), config)
        self.epoch = 0
        self._passes: dict[int, np.ndarray] = {}

    def _pass(self, p: int) -> np.ndarray:
        """The eligible users in the order of pass ``p`` (the last two passes are kept)."""
        if p not in self._passes:
            self._passes = {q: v for q, v in self._passes.items() if q >= p - 1}
            self._passes[p] = np.random.default_rng([self.config.seed, p]).permutation(self.eligible)
        return self._passes[p]

    def walk(self, start: int, count: int) -> np.ndarray:
        """The users at positions [start, start + count) of the walk through successive passes."""
        n, out = len(self.eligible), []
        while count > 0 and n:
            p, at = divmod(start, n)
            take = min(count, n - at)
            out.append(self._pass(p)[at : at + take])
            start, count = start + take, count - take
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    def __len__(self):
        return self.schedule.steps_per_epoch

    def __getitem__(self, i):
        b = self.schedule.batch_users
        epoch_size = min(len(self.eligible), self.config.epoch_users)
        start = self.epoch * epoch_size + i * b
        batch = self.walk(start, min(b, epoch_size - i * b))
        rng = np.random.default_rng([self.config.seed, self.epoch, i])
        x, targets, mask = make_batch(
            self.users, batch, self.movie_vectors, self.offset, rng, self.config.max_given, self.config.k_distribution
        )
        return x, targets, as_sample_weights(mask)

    def on_epoch_end(self):
        self.epoch += 1


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

    def __init__(self, history: dict, epochs: int, tower: str, log=None):
        super().__init__()
        self.history_, self.epochs, self.tower, self.log = history, epochs, tower, log

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.history_["rmse"].append(float(np.sqrt(logs.get("loss", np.nan))))
        if "val_loss" in logs:
            self.history_["val_rmse"].append(float(np.sqrt(logs["val_loss"])))
        self.history_["seconds"].append(time.perf_counter() - self.started)
        if self.log and (epoch % 10 == 0 or epoch == self.epochs - 1):
            val = self.history_["val_rmse"][-1] if "val_loss" in logs else None
            self.log(
                f"  user tower [{self.tower}] epoch {epoch + 1}/{self.epochs}: "
                f"rmse {self.history_['rmse'][-1]:.4f}" + (f", val {val:.4f}" if val is not None else "")
            )
