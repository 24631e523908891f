"""Toy model: a simple two-tower rating model in Keras.

A user tower and a movie tower (embedding, then a dense layer) each produce
a vector; the rating is their dot product plus user and movie biases.
"""

from __future__ import annotations

from training.models.toys.keras_rating import KerasRatingModel


def _model(n_users: int, n_items: int, dim: int, l2: float, mean: float):
    import keras
    from keras import layers, ops

    reg = keras.regularizers.L2(l2)

    class Tower(layers.Layer):
        def __init__(self, n: int, **kwargs):
            super().__init__(**kwargs)
            self.embedding = layers.Embedding(n, dim, embeddings_regularizer=reg)
            self.dense = layers.Dense(dim, kernel_regularizer=reg)
            self.bias = layers.Embedding(n, 1, embeddings_initializer="zeros", embeddings_regularizer=reg)

        def call(self, ids):
            e = self.embedding(ids)
            return e + self.dense(e), self.bias(ids)[:, 0]

    class TwoTower(keras.Model):
        def __init__(self):
            super().__init__()
            self.users, self.items = Tower(n_users), Tower(n_items)

        def call(self, inputs):
            (pu, bu), (qi, bi) = self.users(inputs[:, 0]), self.items(inputs[:, 1])
            return mean + ops.sum(pu * qi, axis=-1) + bu + bi

    return TwoTower()


class TwoTower(KerasRatingModel):
    name = "toy_two_tower"

    def __init__(
        self,
        n_users: int,
        n_items: int,
        dim: int = 32,
        l2: float = 3e-4,
        epochs: int = 8,
        batch_size: int = 512,
        learning_rate: float = 3e-3,
        seed: int = 0,
    ):
        self.n_users, self.n_items, self.dim, self.l2 = n_users, n_items, dim, l2
        self.epochs, self.batch_size, self.learning_rate, self.seed = epochs, batch_size, learning_rate, seed

    def build(self, mean: float):
        return _model(self.n_users, self.n_items, self.dim, self.l2, mean)
