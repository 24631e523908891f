"""The user tower on the cold-start model surface: ``fit(train)``, ``predict(given_rows, given_ratings)``."""

from __future__ import annotations

import numpy as np

from screen_genius import features
from training.models.user_tower.config import MAX_RATINGS, UserTowerConfig
from training.models.user_tower.trainer import TrainedUserTower, train_user_tower

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
