"""The MF fold-in baseline: its blocked ALS is the textbook one, solve by solve."""

import numpy as np

from training.coldstart.ratings import CatalogRatings
from training.models import baselines, movie_factors


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


def test_mf_fold_in_folds_in_each_new_user_by_one_ridge_solve_with_the_ridge_its_validation_users_chose():
    rng = np.random.default_rng(5)
    users = np.repeat(np.arange(80), 25)
    rows = np.concatenate([rng.choice(30, 25, replace=False) for _ in range(80)])
    train = CatalogRatings.build(users, rows, rng.integers(1, 6, len(rows)).astype(float), 30)
    model = baselines.MFFoldIn(factors=3, iterations=3, seed=2)
    model.fit(train)
    # chosen on validation users among the candidates: the one with the lowest validation RMSE
    assert len(model.validation) == len(movie_factors.FOLD_IN_REGS)
    assert model.validation[f"fold_in_reg={model.fold_in_reg:g}"] == min(model.validation.values())
    # then the factors of every training user (the same as a fixed-ridge model's)
    fixed = baselines.MFFoldIn(factors=3, iterations=3, seed=2, fold_in_reg=model.fold_in_reg)
    fixed.fit(train)
    np.testing.assert_allclose(model.item_factors, fixed.item_factors)
    # a new user's stars: mu + b_i + q_i . p + b_u, with [p, b_u] one ridge solve on their given movies
    given_rows, given_ratings = (
        np.array([[4, 9, 17, -1], [-1, -1, -1, -1]]),
        np.array([[5.0, 1.0, 4.0, 0.0], [0.0] * 4]),
    )
    got = model.predict(given_rows, given_ratings)
    a = np.concatenate([model.item_factors[[4, 9, 17]], np.ones((3, 1))], axis=1)
    pb = np.linalg.solve(
        a.T @ a + model.fold_in_reg * np.eye(4),
        a.T @ (np.array([5.0, 1.0, 4.0]) - model.mu - model.item_bias[[4, 9, 17]]),
    )
    np.testing.assert_allclose(got[0], model.mu + model.item_bias + model.item_factors @ pb[:3] + pb[3], atol=1e-5)
    np.testing.assert_allclose(got[1], model.mu + model.item_bias, atol=1e-5)  # nothing given: the item means
