"""Model 2's Keras layers and models, at module level: composable, testable alone, serializable.

- ``SetTower``: (batch, 16, 16) user matrix -> (batch, 16) user vector, the
  served design: an exact ridge fold-in on the movie factors (``ridge_fold_in``,
  conjugate gradients unrolled in the graph) plus a learned, gated correction
  from pooled per-movie features; invariant to the order of rated movies.
- ``SeedCNNTower``: the original CNN design, kept to measure against.
- ``CatalogScorer``: (batch, 16) user vectors -> (batch, n_movies) stars.
- ``ColdStartModel`` (tower + scorer) and ``EnsembleModel`` (the mean of several).

The row layout the layers decode is ``training.models.layout``'s.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from screen_genius.features import MAX_RATINGS, VECTOR_DIM
from training.models.layout import CONSTANT, FACTORS, MOVIE_BIAS

FOLD_IN_ITERATIONS = 15  # conjugate-gradient steps of the in-graph fold-in: exact for 15 unknowns
PACKAGE = "screen_genius"


def squared_error(y_true, y_pred):
    """Elementwise (batch, n_movies) squared error: Keras weights it by the target masks (sample weights)."""
    return ops.square(y_pred - y_true)


def present_rows(x):
    """(batch, 16, 1) 1.0 where the row holds a rating."""
    return ops.cast(ops.max(ops.abs(x), axis=-1, keepdims=True) > 0, "float32")


def decode_rows(x, mask):
    """Per-row (vector, rating - offset) back out of vector * (rating - offset).

    Column CONSTANT (15) of every movie vector is the constant 1 (``layout``), so
    that column of x is the rating minus the offset, never 0 for a real rating
    (``rating_offset`` keeps the offset off the rating grid). Empty rows give 0.
    """
    d = x[..., CONSTANT : CONSTANT + 1]
    safe = ops.where(mask > 0, d, ops.ones_like(d))
    return x / safe * mask, d * mask


def ridge_fold_in(a, e, reg, iterations: int = FOLD_IN_ITERATIONS):
    """(batch, 16, D) rows a, (batch, 16, 1) targets e, (D,) ridge -> (batch, D): argmin |e - a z|^2 + reg . z^2.

    Solved by conjugate gradients, unrolled: only matmuls and elementwise
    ops, so the same graph runs in Keras and in LiteRT's builtin ops. With
    D = 15 unknowns, 15 exact steps solve the system; empty rows add nothing.
    """
    gram = ops.matmul(ops.transpose(a, (0, 2, 1)), a) + ops.diag(reg)[None]  # (batch, D, D)
    rhs = ops.sum(a * e, axis=1)  # (batch, D)
    z = ops.zeros_like(rhs)
    r = rhs
    p = r
    rr = ops.sum(r * r, axis=-1, keepdims=True)
    for _ in range(iterations):
        gp = ops.squeeze(ops.matmul(gram, p[..., None]), -1)
        alpha = rr / ops.maximum(ops.sum(p * gp, axis=-1, keepdims=True), 1e-12)
        z = z + alpha * p
        r = r - alpha * gp
        rr_new = ops.sum(r * r, axis=-1, keepdims=True)
        p = r + rr_new / ops.maximum(rr, 1e-20) * p
        rr = rr_new
    return z


@keras.saving.register_keras_serializable(PACKAGE)
class SetTower(layers.Layer):
    """(batch, 16, 16) -> (batch, 16) user vector, invariant to the order of rated movies.

    It starts from ``base``: "fold_in", the exact ridge fold-in of the user's
    [factors, bias] on the given movies' vectors (``ridge_fold_in``, its two
    ridges learned), or "bias", the "item mean + user bias" estimate (the
    user-bias slot gets the shrunk mean of rating - offset - b_movie). It
    learns a correction from pooled per-movie features.

    The correction's taste part (user vector columns 0..13) and bias part
    (14, 15) are scaled by gates indexed by the number of ratings n
    (``gates``: (2, 17), all ones while training). ``fit_gates`` sets the
    taste gate on validation users after training (the bias gate stays 1):
    with one or two ratings the learned taste factors are mostly noise,
    and the gate shrinks them, as a ridge fold-in shrinks factors
    estimated from little evidence.
    """

    def __init__(self, width: int, dropout: float, base: str = "bias", fold_in_reg: float = 8.0, **kwargs):
        super().__init__(**kwargs)
        self.width, self.dropout, self.fold_in_reg = width, dropout, fold_in_reg
        self.base = base
        if base not in ("bias", "fold_in"):
            raise ValueError(f"base must be 'bias' or 'fold_in', not {base!r}")
        if base == "fold_in":  # softplus(raw) = the ridge of the fold-in's factors and of its user bias, learned
            raw = float(np.log(np.expm1(fold_in_reg)))
            self.fold_in_raw = self.add_weight(
                shape=(2,), name="fold_in_reg", initializer=keras.initializers.Constant(raw)
            )
        self.row1 = layers.Conv1D(width, 1, activation="gelu")
        self.row2 = layers.Conv1D(width, 1, activation="gelu")
        self.dense1 = layers.Dense(width, activation="gelu")
        self.dense2 = layers.Dense(width // 2, activation="gelu")
        self.drop = layers.Dropout(dropout)
        self.out = layers.Dense(
            VECTOR_DIM, kernel_initializer=keras.initializers.RandomNormal(stddev=1e-3), bias_initializer="zeros"
        )
        self.bias_shrink = self.add_weight(shape=(), name="bias_shrink", initializer=keras.initializers.Constant(3.0))
        self.gates = self.add_weight(shape=(2, MAX_RATINGS + 1), name="gates", initializer="ones", trainable=False)

    def get_config(self):
        return {
            **super().get_config(),
            "width": self.width,
            "dropout": self.dropout,
            "base": self.base,
            "fold_in_reg": self.fold_in_reg,
        }

    def call(self, x, training=False):
        mask = present_rows(x)
        n = ops.sum(mask, axis=1)  # (batch, 1)
        v, d = decode_rows(x, mask)
        residual = (d - v[..., MOVIE_BIAS : MOVIE_BIAS + 1]) * mask  # rating - offset - b_movie
        rows = ops.concatenate([v[..., :FACTORS], d, residual, v[..., :FACTORS] * residual], axis=-1)
        h = self.row2(self.row1(rows)) * mask
        mean = ops.sum(h, axis=1) / ops.maximum(n, 1.0)
        user_bias = ops.sum(residual, axis=1) / (n + ops.abs(self.bias_shrink))
        factors = ops.sum(v[..., :FACTORS] * residual, axis=1) / (n + 3.0)
        count = ops.concatenate([n / MAX_RATINGS, 1.0 / ops.sqrt(ops.maximum(n, 1.0))], axis=-1)
        z = ops.concatenate([mean, user_bias, factors, count], axis=-1)
        z = self.drop(self.dense2(self.drop(self.dense1(z), training=training)), training=training)
        if self.base == "fold_in":
            reg = ops.softplus(self.fold_in_raw)
            reg = ops.concatenate([ops.ones((FACTORS,)) * reg[0], reg[1:]], axis=0)
            a = ops.concatenate([v[..., :FACTORS], mask], axis=-1)  # (batch, 16, 15): [q, 1] per rated movie
            folded = ridge_fold_in(a, residual, reg)  # (batch, 15): [p, b_user]
            base = ops.concatenate([folded[:, :FACTORS], ops.ones_like(user_bias), folded[:, FACTORS:]], axis=-1)
        else:
            base = ops.concatenate([ops.zeros_like(factors), ops.ones_like(user_bias), user_bias], axis=-1)
        correction = self.out(z)
        # one-hot of n (a matmul, not a gather: the same ops in Keras and TFLite)
        count_onehot = ops.cast(ops.equal(n, ops.arange(MAX_RATINGS + 1, dtype="float32")[None, :]), "float32")
        gate = ops.matmul(count_onehot, ops.transpose(self.gates))  # (batch, 2): taste gate, bias gate
        return base + ops.concatenate(
            [correction[:, :FACTORS] * gate[:, :1], correction[:, FACTORS:] * gate[:, 1:]], axis=-1
        )


@keras.saving.register_keras_serializable(PACKAGE)
class SeedCNNTower(layers.Layer):
    """The original CNN user tower: (batch, 16, 16) -> (batch, 16)."""

    def __init__(self, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.dropout = dropout
        act = lambda: layers.LeakyReLU(negative_slope=0.1)
        self.stack = [
            layers.Reshape((MAX_RATINGS, VECTOR_DIM, 1)),
            layers.Conv2D(16, 3, padding="same"),
            act(),
            layers.MaxPooling2D(2),
            layers.Conv2D(256, 3, padding="same"),
            act(),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(256),
            act(),
            layers.Dense(64),
            act(),
        ]
        self.out = layers.Dense(
            VECTOR_DIM,
            kernel_initializer=keras.initializers.RandomNormal(stddev=1e-3),
            bias_initializer=_unit_bias_slot(),
        )

    def get_config(self):
        return {**super().get_config(), "dropout": self.dropout}

    def call(self, x, training=False):
        for layer in self.stack:
            x = layer(x)
        return self.out(x)


@keras.saving.register_keras_serializable(PACKAGE)
class CatalogScorer(layers.Layer):
    """(batch, 16) user vectors -> (batch, n_movies) ratings = offset + u . w + c."""

    def __init__(self, movie_vectors: np.ndarray, offset: float, l2: float, **kwargs):
        super().__init__(**kwargs)
        self.initial = np.asarray(movie_vectors, dtype=np.float32).T.copy()  # (16, n_movies)
        self.offset, self.l2 = float(offset), float(l2)

    def build(self, input_shape):
        n = self.initial.shape[1]
        self.w = self.add_weight(
            shape=self.initial.shape, name="movie_weights", initializer=keras.initializers.Constant(self.initial)
        )
        self.c = self.add_weight(shape=(n,), name="movie_bias", initializer="zeros")

    def get_config(self):
        return {**super().get_config(), "movie_vectors": self.initial.T.tolist(), "offset": self.offset, "l2": self.l2}

    def call(self, u, training=False):
        if self.l2 and training:
            self.add_loss(self.l2 * (ops.sum(ops.square(self.w - self.initial)) + ops.sum(ops.square(self.c))))
        return self.offset + ops.matmul(u, self.w) + self.c


def _unit_bias_slot():
    # Start as "item bias only": user vector [0..0, 1, 0] reads b_movie out of each movie vector.
    init = np.zeros(VECTOR_DIM, np.float32)
    init[MOVIE_BIAS] = 1.0
    return keras.initializers.Constant(init)


@keras.saving.register_keras_serializable(PACKAGE)
class EnsembleModel(keras.Model):
    """Several cold-start models (different seeds) in one graph: the mean of their ratings."""

    def __init__(self, members, **kwargs):
        super().__init__(**kwargs)
        self.members = list(members)

    def call(self, x, training=False):
        return ops.mean(ops.stack([m(x, training=training) for m in self.members]), axis=0)


@keras.saving.register_keras_serializable(PACKAGE)
class ColdStartModel(keras.Model):
    """(batch, 16, 16) user matrices -> (batch, n_movies) predicted ratings in stars (unclipped)."""

    def __init__(self, tower, scorer, **kwargs):
        super().__init__(**kwargs)
        self.tower, self.scorer = tower, scorer

    def call(self, x, training=False):
        return self.scorer(self.tower(x, training=training), training=training)
