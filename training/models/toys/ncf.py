"""Toy model: Neural Collaborative Filtering (NeuMF) for explicit ratings, in Keras.

Two branches over user and movie embeddings, as in He et al. (2017): a
generalized matrix factorization branch (elementwise product) and an MLP
branch (concatenation through dense layers), fused by one dense layer that
predicts the rating. User and movie biases are added.
"""

from __future__ import annotations

from training.models.toys.keras_rating import KerasRatingModel


def _model(n_users: int, n_items: int, dim: int, mlp: tuple[int, ...], l2: float, mean: float):
    import keras
    from keras import layers, ops

    reg = keras.regularizers.L2(l2)

    class NeuMF(keras.Model):
        def __init__(self):
            super().__init__()
            self.gmf_user = layers.Embedding(n_users, dim, embeddings_regularizer=reg)
            self.gmf_item = layers.Embedding(n_items, dim, embeddings_regularizer=reg)
            self.mlp_user = layers.Embedding(n_users, dim, embeddings_regularizer=reg)
            self.mlp_item = layers.Embedding(n_items, dim, embeddings_regularizer=reg)
            self.user_bias = layers.Embedding(n_users, 1, embeddings_initializer="zeros", embeddings_regularizer=reg)
            self.item_bias = layers.Embedding(n_items, 1, embeddings_initializer="zeros", embeddings_regularizer=reg)
            self.mlp = [layers.Dense(units, activation="relu", kernel_regularizer=reg) for units in mlp]
            self.fuse = layers.Dense(1, kernel_initializer="zeros")

        def call(self, inputs):
            u, i = inputs[:, 0], inputs[:, 1]
            gmf = self.gmf_user(u) * self.gmf_item(i)
            h = ops.concatenate([self.mlp_user(u), self.mlp_item(i)], axis=-1)
            for layer in self.mlp:
                h = layer(h)
            out = self.fuse(ops.concatenate([gmf, h], axis=-1)) + self.user_bias(u) + self.item_bias(i)
            return mean + ops.squeeze(out, -1)

    return NeuMF()


class NeuMF(KerasRatingModel):
    name = "toy_ncf"

    def __init__(
        self,
        n_users: int,
        n_items: int,
        dim: int = 16,
        mlp=(64, 32),
        l2: float = 1e-4,
        epochs: int = 6,
        batch_size: int = 1024,
        learning_rate: float = 5e-3,
        seed: int = 0,
    ):
        self.n_users, self.n_items, self.dim, self.mlp, self.l2 = n_users, n_items, dim, tuple(mlp), l2
        self.epochs, self.batch_size, self.learning_rate, self.seed = epochs, batch_size, learning_rate, seed

    def build(self, mean: float):
        return _model(self.n_users, self.n_items, self.dim, self.mlp, self.l2, mean)
