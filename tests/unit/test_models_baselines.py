"""The MF fold-in baseline: its blocked ALS is the textbook one, solve by solve."""

import numpy as np

from training.models import baselines
from training.models.catalog_ratings import CatalogRatings


def textbook_als(train, factors, reg, iterations, shrink, seed):
    """One ridge solve per user, then one per movie, as written in every ALS tutorial."""
    rng = np.random.default_rng(seed)
    mu = train.mean()
    sums, counts = train.item_stats()
    bias = (sums - counts * mu) / (counts + shrink)
    items = np.concatenate([rng.normal(0, 0.1, (train.n_items, factors)), np.ones((train.n_items, 1))], axis=1)
    users = np.zeros((train.n_users, factors + 1))
    owners, rows_all, ratings_all = train.triples()
    eye = np.eye(factors + 1)
    for _ in range(iterations):
        for u in range(train.n_users):
            rows, r = train.user(u)
            a = items[rows]
            users[u] = np.linalg.solve(a.T @ a + reg * eye, a.T @ (r - mu - bias[rows]))
        uf = np.concatenate([users[:, :factors], np.ones((train.n_users, 1))], axis=1)
        for i in range(train.n_items):
            who, r = owners[rows_all == i], ratings_all[rows_all == i]
            if len(who) == 0:
                items[i, :factors] = 0.0
                continue
            a = uf[who]
            sol = np.linalg.solve(a.T @ a + reg * eye, a.T @ (r - mu - users[who, factors]))
            items[i, :factors], bias[i] = sol[:factors], sol[factors]
    return items[:, :factors], bias


def test_mf_fold_in_fits_the_factors_of_one_ridge_solve_per_user_and_per_movie():
    rng = np.random.default_rng(4)
    users = np.repeat(np.arange(60), 8)
    rows = np.concatenate([rng.choice(14, 8, replace=False) for _ in range(60)])  # movie 14 is never rated
    train = CatalogRatings.build(users, rows, rng.integers(1, 6, len(rows)).astype(float), 15)
    model = baselines.MFFoldIn(factors=3, iterations=3, seed=2)
    model.fit(train)
    want_factors, want_bias = textbook_als(train, 3, model.reg, 3, model.shrink, 2)
    np.testing.assert_allclose(model.item_factors, want_factors, atol=1e-4)
    np.testing.assert_allclose(model.item_bias, want_bias, atol=1e-4)
    assert model.item_bias[14] == 0.0 and not model.item_factors[14].any()
