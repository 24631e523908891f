"""Model 1: a 16-D vector per catalog movie from its title and release year.

A two-tower rating model learns the vectors. The movie tower reads the
title's all-MiniLM-L6-v2 embedding and the normalized release year, plus a
small, strongly regularized per-movie correction (what title and year cannot
say about taste); the user tower is a per-user embedding. Both towers emit
16-D vectors laid out so that their dot product is a biased matrix
factorization:

    movie vector = [q (14), b_movie, 1]     (b_movie: shrunk mean rating - offset, fixed)     user vector = [p (14), 1, b_user]
    rating = offset + movie . user = offset + q.p + b_movie + b_user

Keeping the movie bias and a constant inside the vector matters downstream:
Model 2 sees each rated movie only as ``vector * (rating - offset)``, and
the constant column hands it the rating itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

VECTOR_DIM = 16
FACTORS = VECTOR_DIM - 2


@dataclass
class MovieVectorsConfig:
    hidden: int = 64
    epochs: int = 10
    batch_size: int = 512
    learning_rate: float = 3e-3
    l2_user: float = 1e-3
    l2_movie_id: float = 1e-2
    validation_fraction: float = 0.05
    seed: int = 0


@dataclass
class MovieVectors:
    """The output of Model 1: ``vectors`` (n_movies, 16) float32 in catalog row order."""

    vectors: np.ndarray
    offset: float
    history: dict = field(default_factory=dict)


def _layers():
    import keras
    from keras import layers, ops

    class MovieTower(layers.Layer):
        """Catalog row -> [q (14), b_movie, 1] from title embedding + year (+ a regularized id correction)."""

        def __init__(self, features: np.ndarray, bias: np.ndarray, hidden: int, l2_id: float, **kwargs):
            super().__init__(**kwargs)
            self.features = np.asarray(features, dtype=np.float32)  # (n_movies, 386) fixed inputs
            self.bias = np.asarray(bias, dtype=np.float32)  # (n_movies,) fixed movie bias
            self.hidden = layers.Dense(hidden, activation="gelu")
            self.out = layers.Dense(FACTORS, kernel_initializer=keras.initializers.RandomNormal(stddev=0.05))
            self.correction = layers.Embedding(len(self.features), FACTORS, embeddings_initializer="zeros",
                                               embeddings_regularizer=keras.regularizers.L2(l2_id))

        def build(self, input_shape):
            self.table = self.add_weight(shape=self.features.shape, trainable=False, name="content",
                                         initializer=keras.initializers.Constant(self.features))
            self.bias_table = self.add_weight(shape=(len(self.bias), 1), trainable=False, name="bias",
                                              initializer=keras.initializers.Constant(self.bias[:, None]))

        def all_movies(self):
            content = self.out(self.hidden(self.table))
            ids = ops.arange(self.features.shape[0])
            return self._assemble(content + self.correction(ids), self.bias_table)

        def call(self, rows):
            content = self.out(self.hidden(ops.take(self.table, rows, axis=0)))
            return self._assemble(content + self.correction(rows), ops.take(self.bias_table, rows, axis=0))

        @staticmethod
        def _assemble(q, b):
            return ops.concatenate([q, b, ops.ones_like(b)], axis=-1)

    class UserIdTower(layers.Layer):
        """Training-user position -> [p (14), 1, b_user]."""

        def __init__(self, n_users: int, l2: float, **kwargs):
            super().__init__(**kwargs)
            self.embedding = layers.Embedding(n_users, FACTORS + 1, embeddings_regularizer=keras.regularizers.L2(l2),
                                              embeddings_initializer=keras.initializers.RandomNormal(stddev=0.05))

        def call(self, users):
            pb = self.embedding(users)
            return ops.concatenate([pb[..., :FACTORS], ops.ones_like(pb[..., :1]), pb[..., FACTORS:]], axis=-1)

    class TwoTowerRating(keras.Model):
        """(user position, catalog row) -> offset + user vector . movie vector."""

        def __init__(self, movie_tower, user_tower, offset: float, **kwargs):
            super().__init__(**kwargs)
            self.movie_tower, self.user_tower, self.offset = movie_tower, user_tower, float(offset)

        def call(self, inputs):
            users, rows = inputs[:, 0], inputs[:, 1]
            return self.offset + ops.sum(self.user_tower(users) * self.movie_tower(rows), axis=-1)

    return MovieTower, UserIdTower, TwoTowerRating


def movie_features(title_embeddings: np.ndarray, year_feats: np.ndarray) -> np.ndarray:
    """(n_movies, 384 + 2) float32: the movie tower's fixed content input."""
    return np.concatenate([title_embeddings, year_feats], axis=1).astype(np.float32)


def movie_bias(train, offset: float, shrink: float = 5.0) -> np.ndarray:
    """(n_movies,) float32: each movie's mean rating minus the offset, shrunk by ``shrink`` pseudo-ratings
    at the training mean (the same estimate as the item-mean baseline)."""
    sums, counts = train.item_stats()
    mu = train.mean()
    return (mu + (sums - counts * mu) / (counts + shrink) - offset).astype(np.float32)


def fit_movie_vectors(train, features: np.ndarray, offset: float, config: MovieVectorsConfig | None = None,
                      verbose: int = 0) -> MovieVectors:
    """Train Model 1 on ``train`` (CatalogRatings of training users only); returns the movie vectors.

    The movie bias slot is the shrunk item mean (fixed); the towers learn the
    14 taste factors and each training user's bias around it.
    """
    import keras

    config = config or MovieVectorsConfig()
    keras.utils.set_random_seed(config.seed)
    MovieTower, UserIdTower, TwoTowerRating = _layers()
    movie_tower = MovieTower(features, movie_bias(train, offset), config.hidden, config.l2_movie_id)
    model = TwoTowerRating(movie_tower, UserIdTower(train.n_users, config.l2_user), offset)
    users, rows, ratings = train.triples()
    x = np.stack([users, rows], axis=1).astype(np.int32)
    y = ratings.astype(np.float32)
    rng = np.random.default_rng(config.seed)
    is_val = rng.random(len(y)) < config.validation_fraction
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="mse",
                  metrics=[keras.metrics.RootMeanSquaredError(name="rmse")])
    fit = model.fit(x[~is_val], y[~is_val], validation_data=(x[is_val], y[is_val]) if is_val.any() else None,
                    epochs=config.epochs, batch_size=config.batch_size, shuffle=True, verbose=verbose)
    vectors = keras.ops.convert_to_numpy(movie_tower.all_movies()).astype(np.float32)
    history = {k: [float(v) for v in vals] for k, vals in fit.history.items()}
    return MovieVectors(vectors=vectors, offset=float(offset), history=history)
