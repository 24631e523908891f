"""The fit/predict surface shared by the Keras toy models.

A toy model maps (user, item) index pairs to a rating; subclasses only say
how to build their Keras model (``build(mean)``), and this trains it with MSE
and Adam and predicts in large batches.
"""

from __future__ import annotations

import numpy as np


class KerasRatingModel:
    """Base of NeuMF and the two-tower toy: ``fit(users, items, ratings)``, ``predict(users, items)``."""

    epochs: int
    batch_size: int
    learning_rate: float
    seed: int

    def build(self, mean: float):
        """The Keras model: input (batch, 2) int32 [user, item] -> (batch,) predicted rating."""
        raise NotImplementedError

    def fit(self, users, items, ratings) -> None:
        import keras

        keras.utils.set_random_seed(self.seed)
        self.model = self.build(float(np.mean(ratings)))
        self.model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="mse")
        self.history = self.model.fit(
            _pairs(users, items), ratings.astype(np.float32), epochs=self.epochs, batch_size=self.batch_size, verbose=0
        ).history

    def predict(self, users, items) -> np.ndarray:
        return self.model.predict(_pairs(users, items), batch_size=8192, verbose=0).astype(np.float32)


def _pairs(users, items) -> np.ndarray:
    return np.stack([users, items], axis=1).astype(np.int32)
