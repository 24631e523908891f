"""Synthetic data can be learned like the Netflix Prize data: the same ladder of baselines, the same gaps.

On the real data's probe set: global mean about 1.13 RMSE, item mean + user
bias about 0.98 (13% less), a tuned SVD about 0.90 (8% less again). Here 1M
synthetic ratings (Netflix format, the real parser) are fitted without their
probe pairs by the same three rungs, and the probe RMSEs must show gaps of the
same size: biases must matter as much as on Netflix, and taste (what a factor
model adds) must be about 8% of the error, neither absent nor dominant.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from training.coldstart.ratings import CatalogRatings
from training.dataset import load_dataset
from training.ingest import ingest

SPEC = "synthetic:4800,1777,1000000"  # the 10M run's shape (users per movie, ratings per user), at 1M


@pytest.fixture(scope="module")
def ladder(tmp_path_factory):
    root = tmp_path_factory.mktemp("ladder")
    ingest(SPEC, root / "store", catalog_size=50, raw_dir=root / "raw", progress=False)
    ds = load_dataset(root / "store")
    frame = ds.ratings(columns=["user_id", "movie_id", "rating"])
    probe = ds.probe()
    key = frame["user_id"].to_numpy().astype(np.int64) << 32 | frame["movie_id"].to_numpy()
    is_probe = np.isin(key, probe["user_id"].to_numpy().astype(np.int64) << 32 | probe["movie_id"].to_numpy())
    movies = np.unique(frame["movie_id"].to_numpy())
    rows = np.searchsorted(movies, frame["movie_id"].to_numpy())
    users, ratings = frame["user_id"].to_numpy(), frame["rating"].to_numpy().astype(np.float64)
    train = CatalogRatings.build(users[~is_probe], rows[~is_probe], ratings[~is_probe], len(movies))
    # probe pairs of users who also have training ratings (all but a handful)
    tu = np.searchsorted(train.user_ids, users[is_probe])
    known = (tu < train.n_users) & (train.user_ids[np.minimum(tu, train.n_users - 1)] == users[is_probe])
    tu, ti, truth = tu[known], rows[is_probe][known], ratings[is_probe][known]

    def rmse(pred):
        return float(np.sqrt(np.mean((np.clip(pred, 1, 5) - truth) ** 2)))

    mu = train.mean()
    sums, counts = train.item_stats()
    b_item = (sums - counts * mu) / (counts + 25)
    u_all, r_all, v_all = train.triples()
    b_user = np.bincount(u_all, weights=v_all - mu - b_item[r_all], minlength=train.n_users) / (train.counts() + 10)
    p, q = biased_als(train, mu)
    return {
        "n_probe": len(truth),
        "mean": float(ratings.mean()),
        "global_mean": rmse(np.full(len(truth), mu)),
        "item_mean_user_bias": rmse(mu + b_item[ti] + b_user[tu]),
        "factors": rmse(mu + q[ti, -1] + p[tu, -1] + np.einsum("ij,ij->i", q[ti, :-1], p[tu, :-1])),
    }


def ridge(indptr, cols, targets, other, reg):
    """Per CSR row: argmin |t - A z|^2 + reg |z|^2, A = other[cols] (gram matrices by sparse @ dense)."""
    n, d = len(indptr) - 1, other.shape[1]
    outer = (other[:, :, None] * other[:, None, :]).reshape(len(other), d * d)
    ones = sp.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(n, len(other)))
    values = sp.csr_matrix((targets, cols, indptr), shape=(n, len(other)))
    gram = (ones @ outer).reshape(n, d, d) + reg * np.eye(d)
    return np.linalg.solve(gram, (values @ other)[..., None])[..., 0]


def biased_als(train: CatalogRatings, mu: float, factors: int = 16, reg: float = 10.0, iterations: int = 8):
    """rating ~ mu + b_u + b_i + p_u . q_i by alternating ridge regressions: ([p, b_u], [q, b_i])."""
    users, rows, ratings = train.triples()
    order = np.argsort(rows, kind="stable")
    m_indptr = np.zeros(train.n_items + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=train.n_items), out=m_indptr[1:])
    q = np.concatenate(
        [np.random.default_rng(0).normal(0, 0.1, (train.n_items, factors)), np.zeros((train.n_items, 1))], axis=1
    )
    for _ in range(iterations):
        a = np.concatenate([q[:, :-1], np.ones((train.n_items, 1))], axis=1)
        p = ridge(train.indptr, train.rows, ratings - mu - q[rows, -1], a, reg)
        a = np.concatenate([p[:, :-1], np.ones((train.n_users, 1))], axis=1)
        q = ridge(m_indptr, users[order], (ratings - mu - p[users, -1])[order], a, reg)
    return p, q


def test_probe_set_is_large_enough_to_tell_the_rungs_apart(ladder):
    assert ladder["n_probe"] > 10_000  # RMSE standard error about 0.006, well under the gaps asserted


def test_mean_rating_is_near_the_netflix_prize_mean(ladder):
    assert 3.5 <= ladder["mean"] <= 3.7  # Netflix: 3.60


def test_global_mean_rmse_is_near_the_netflix_prize_figure(ladder):
    assert 1.08 <= ladder["global_mean"] <= 1.18  # Netflix: about 1.13


def test_biases_take_about_thirteen_percent_of_the_error(ladder):
    ratio = ladder["item_mean_user_bias"] / ladder["global_mean"]
    assert 0.84 <= ratio <= 0.90, ladder  # Netflix: 0.98 / 1.13 = 0.87


def test_taste_takes_about_eight_percent_of_the_remaining_error(ladder):
    ratio = ladder["factors"] / ladder["item_mean_user_bias"]
    assert 0.89 <= ratio <= 0.95, ladder  # Netflix: 0.90 / 0.98 = 0.92; before calibration 0.81
