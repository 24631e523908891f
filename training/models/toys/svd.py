"""Toy model: SVD matrix factorization with Surprise, as in the original project."""

from __future__ import annotations

import numpy as np


class SurpriseSVD:
    """Surprise's SVD (biased MF by SGD) on integer-coded users and movies."""

    name = "toy_svd"

    def __init__(
        self,
        n_factors: int = 50,
        n_epochs: int = 25,
        lr_all: float = 0.007,
        reg_all: float = 0.06,
        rating_range: tuple[float, float] = (0.5, 5.0),
        seed: int = 0,
    ):
        self.params = {
            "n_factors": n_factors,
            "n_epochs": n_epochs,
            "lr_all": lr_all,
            "reg_all": reg_all,
            "random_state": seed,
        }
        self.rating_range = rating_range

    def fit(self, users, items, ratings) -> None:
        import pandas as pd
        from surprise import SVD, Dataset, Reader

        frame = pd.DataFrame({"u": users.astype(np.int64), "i": items.astype(np.int64), "r": ratings.astype(float)})
        trainset = Dataset.load_from_df(frame, Reader(rating_scale=self.rating_range)).build_full_trainset()
        self.algo = SVD(**self.params)
        self.algo.fit(trainset)

    def predict(self, users, items) -> np.ndarray:
        return np.array(
            [self.algo.predict(int(u), int(i), clip=False).est for u, i in zip(users, items, strict=True)],
            dtype=np.float32,
        )
