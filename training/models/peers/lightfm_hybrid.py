"""LightFM hybrid: movies described by their identity and genres, users by the movies they rated.

LightFM (Kula 2015) represents a user and a movie each as the sum of the
embeddings of their features and scores the pair by the dot product plus
biases. It has no per-user parameter here, so a person the model has never
seen is served directly from their ratings:

- movie features: its identity (weight 1) plus its genres (weights 1 / number
  of genres, so they weigh as much as the identity together). Without genres
  (Netflix) the movie is its identity alone.
- user features: one feature per catalog movie the person rated, weighted by
  how far the rating sits from the movie's shrunk mean, (r - mu - b_j) /
  sqrt(n given), plus a constant feature of weight 1. This is the asymmetric
  factor model of Paterek (2007) and Koren's SVD++ implicit part: a user is
  the normalized sum of what their ratings say. With nothing rated (K = 0)
  only the constant feature is left: one shared, non-personal ranking.

Training mirrors cold start. Each training user becomes ``replicas``
simulated new users: a seeded random k in 1..16 of their ratings are the
features, the rest are targets, labelled +1 when rated >= ``like_threshold``
and -1 otherwise (LightFM's logistic loss). A movie never appears both as a
feature and as a target of the same simulated user, so the model cannot learn
"rated j, so likes j".

The output is a logit of "will love it" among movies a person rates, not
stars: ``predicts_ratings`` is False, the top list is the highest scores and
the bottom list the lowest. Components, regularization and epochs are chosen
by NDCG@10 over the rated targets of validation users drawn from the
training users. ``num_threads=1`` and fixed seeds make it deterministic.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import sparse

from training.coldstart import metrics, newcomers
from training.coldstart.ratings import CatalogRatings

K_MAX = 16
GRID = {"no_components": (16, 32), "alpha": (1e-4, 1e-3)}
EPOCHS = (5, 10, 20)


class LightFMHybrid:
    """LightFM (logistic loss) with identity + genre movie features and rating-derived user features.

    Constructor: ``genres`` (n_movies,) list of "A|B|C" strings or None per
    catalog row (None or all-None: no genre features), ``no_components``,
    ``alpha`` (item and user L2), ``epochs`` (None: chosen from ``grid`` and
    ``epoch_choices`` on validation users), ``replicas`` simulated users per
    training user, ``like_threshold`` in stars, ``learning_rate``, ``seed``.
    ``LightFMHybrid.for_dataset(ds)`` reads the genres of an ingested dataset.
    """

    name = "lightfm_hybrid"
    predicts_ratings = False

    def __init__(
        self,
        genres=None,
        no_components: int | None = None,
        alpha: float | None = None,
        epochs: int | None = None,
        replicas: int = 4,
        like_threshold: float = 4.0,
        learning_rate: float = 0.05,
        item_shrink: float = 5.0,
        grid: dict | None = None,
        epoch_choices=EPOCHS,
        graded: bool = True,
        validation_fraction: float = 0.15,
        seed: int = 0,
    ):
        self.graded = graded
        self.genres = None if genres is None else list(genres)
        self.no_components, self.alpha, self.epochs = no_components, alpha, epochs
        self.replicas, self.like_threshold, self.learning_rate = replicas, like_threshold, learning_rate
        self.item_shrink, self.grid, self.epoch_choices = item_shrink, dict(grid or GRID), tuple(epoch_choices)
        self.validation_fraction, self.seed = validation_fraction, seed
        self.validation: dict[str, float] = {}

    @classmethod
    def for_dataset(cls, ds, **kwargs) -> LightFMHybrid:
        """With the catalog's ``genres`` column where the dataset has one (MovieLens), else none (Netflix)."""
        genres = ds.catalog["genres"].tolist() if "genres" in ds.catalog.columns else None
        return cls(genres=genres, **kwargs)

    def fit(self, train: CatalogRatings) -> None:
        self.item_features = item_features(self.genres, train.n_items)
        if self.no_components is None or self.alpha is None or self.epochs is None:
            self.no_components, self.alpha, self.epochs = self._choose(train)
        self._fit_baseline(train)
        self.model = self._new_model(self.no_components, self.alpha)
        interactions, features = self._training_set(train)
        self.model.fit_partial(
            interactions,
            user_features=features,
            item_features=self.item_features,
            epochs=self.epochs,
            num_threads=1,
            sample_weight=self._sample_weight,
        )
        self._item_repr = self.model.get_item_representations(self.item_features)

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        """(B, n_movies) float32 scores (logits, not stars): higher = more likely loved."""
        return self._scores(given_rows, given_ratings, self.model, self._item_repr)

    def user_features(self, given_rows, given_ratings) -> sparse.csr_matrix:
        """(B, n_movies + 1) user features: (r - mu - b_j) / sqrt(n) per rated movie j, and a constant 1."""
        given_rows = np.asarray(given_rows)
        present = given_rows >= 0
        n = present.sum(axis=1)
        users = np.repeat(np.arange(len(given_rows)), n)
        rows = given_rows[present]
        weights = np.asarray(given_ratings, dtype=np.float64)[present] - self.mu - self.item_bias[rows]
        weights /= np.sqrt(np.repeat(n, n))
        n_items = len(self.item_bias)
        users = np.concatenate([users, np.arange(len(given_rows))])
        cols = np.concatenate([rows, np.full(len(given_rows), n_items)])
        values = np.concatenate([weights, np.ones(len(given_rows))]).astype(np.float32)
        return sparse.csr_matrix((values, (users, cols)), shape=(len(given_rows), n_items + 1))

    def _scores(self, given_rows, given_ratings, model, item_repr) -> np.ndarray:
        user_bias, user_emb = model.get_user_representations(self.user_features(given_rows, given_ratings))
        item_bias, item_emb = item_repr
        return (user_emb @ item_emb.T + user_bias[:, None] + item_bias[None, :]).astype(np.float32)

    def _new_model(self, no_components: int, alpha: float):
        from lightfm import LightFM

        return LightFM(
            no_components=no_components,
            loss="logistic",
            learning_rate=self.learning_rate,
            item_alpha=alpha,
            user_alpha=alpha,
            random_state=np.random.RandomState(self.seed),
        )

    def _fit_baseline(self, train: CatalogRatings) -> None:
        self.mu = train.mean()
        sums, counts = train.item_stats()
        self.item_bias = (sums - counts * self.mu) / (counts + self.item_shrink)

    def _training_set(self, train: CatalogRatings) -> tuple[sparse.coo_matrix, sparse.csr_matrix]:
        """Simulated new users: (interactions +1/-1 (S, n_movies), user features (S, n_movies + 1))."""
        rng = np.random.default_rng(self.seed)
        given_rows = np.full((train.n_users * self.replicas, K_MAX), -1, dtype=np.int64)
        given_ratings = np.zeros(given_rows.shape, dtype=np.float32)
        t_users, t_rows, t_labels = [], [], []
        for u in range(train.n_users):
            rows, ratings = train.user(u)
            if len(rows) < 2:
                continue
            for r in range(self.replicas):
                s = u * self.replicas + r
                order = rng.permutation(len(rows))
                k = int(rng.integers(1, min(K_MAX, len(rows) - 1) + 1))
                given_rows[s, :k], given_ratings[s, :k] = rows[order[:k]], ratings[order[:k]]
                rest = order[k:]
                t_users.append(np.full(len(rest), s))
                t_rows.append(rows[rest])
                t_labels.append(ratings[rest])
        stars = np.concatenate(t_labels)
        labels = np.where(stars >= self.like_threshold, 1.0, -1.0).astype(np.float32)
        coords = (np.concatenate(t_users), np.concatenate(t_rows))
        interactions = sparse.coo_matrix((labels, coords), shape=(len(given_rows), train.n_items))
        # graded: a 5-star or 1-star target counts more than one next to the threshold
        weights = np.abs(stars - self.like_threshold + 0.25) if self.graded else np.ones(len(stars))
        self._sample_weight = sparse.coo_matrix((weights.astype(np.float32), coords), shape=interactions.shape)
        return interactions, self.user_features(given_rows, given_ratings)

    def _choose(self, train: CatalogRatings) -> tuple[int, float, int]:
        fit_users, val_users = newcomers.validation_users(train, self.validation_fraction, self.seed)
        sim = newcomers.draw(val_users, self.seed, min_targets=1, one_stream=True)
        self._fit_baseline(fit_users)
        interactions, features = self._training_set(fit_users)
        for no_components, alpha in itertools.product(self.grid["no_components"], self.grid["alpha"]):
            model, done = self._new_model(no_components, alpha), 0
            for epochs in sorted(self.epoch_choices):
                model.fit_partial(
                    interactions,
                    user_features=features,
                    item_features=self.item_features,
                    epochs=epochs - done,
                    num_threads=1,
                    sample_weight=self._sample_weight,
                )
                done = epochs
                item_repr = model.get_item_representations(self.item_features)
                self.validation[f"no_components={no_components},alpha={alpha},epochs={epochs}"] = float(
                    np.mean(
                        [metrics.ndcg(self._scores(*sim.given(n), model, item_repr), sim.targets) for n in newcomers.KS]
                    )
                )
        best = max(self.validation, key=self.validation.__getitem__)
        values = dict(part.split("=") for part in best.split(","))
        return int(values["no_components"]), float(values["alpha"]), int(values["epochs"])


def item_features(genres, n_items: int) -> sparse.csr_matrix:
    """(n_items, n_items + n_genres) float32: identity 1, each of a movie's g genres 1 / g.

    ``genres``: None, or one "A|B|C" string (or None / NA) per catalog row;
    "(no genres listed)" counts as none.
    """
    names = [
        [g for g in text.split("|") if g and g != "(no genres listed)"] if isinstance(text, str) else []
        for text in (genres or [])
    ]
    vocabulary = sorted({g for own in names for g in own})
    index = {g: n_items + i for i, g in enumerate(vocabulary)}
    rows, cols, values = list(range(n_items)), list(range(n_items)), [1.0] * n_items
    for i, own in enumerate(names):
        rows += [i] * len(own)
        cols += [index[g] for g in own]
        values += [1.0 / max(len(own), 1)] * len(own)
    return sparse.csr_matrix((np.asarray(values, np.float32), (rows, cols)), shape=(n_items, n_items + len(vocabulary)))
