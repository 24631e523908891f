"""Model 1 by ALS: batched ridge solves equal the textbook ones; the title prior fills in where ratings are few."""

import numpy as np
import pytest

from training.coldstart.ratings import CatalogRatings
from training.models import layout, movie_factors


def small_table(seed=0, n_users=40, n_items=12):
    """Ratings with some users and one movie that have none (the empty rows must get their prior)."""
    rng = np.random.default_rng(seed)
    users, rows, ratings = [], [], []
    for u in range(n_users):
        if u % 7 == 3:
            continue  # no ratings
        seen = rng.choice(n_items - 1, rng.integers(1, 8), replace=False)  # the last movie is never rated
        users += [u] * len(seen)
        rows += seen.tolist()
        ratings += rng.integers(1, 6, len(seen)).astype(float).tolist()
    table = CatalogRatings.build(np.array(users), np.array(rows), np.array(ratings), n_items)
    return table, rng


def per_row_ridge(a, t, reg, prior):
    return np.linalg.solve(a.T @ a + np.diag(reg), a.T @ t + reg * prior)


@pytest.mark.parametrize("chunk", [3, 16_384])
def test_blocked_user_solves_equal_one_textbook_ridge_per_user(monkeypatch, chunk):
    monkeypatch.setattr(movie_factors, "CHUNK_USERS", chunk)
    train, rng = small_table()
    items = rng.normal(size=(train.n_items, 4))  # [q (3), b_movie]
    reg = np.array([1.0, 2.0, 0.5, 3.0])
    got = movie_factors.solve_users(train, items, 3.5, reg)
    for u in range(train.n_users):
        rows, ratings = train.user(u)
        a = np.concatenate([items[rows, :3], np.ones((len(rows), 1))], axis=1)
        want = per_row_ridge(a, ratings - 3.5 - items[rows, 3], reg, np.zeros(4))
        np.testing.assert_allclose(got[u], want, atol=1e-5)


@pytest.mark.parametrize("chunk", [3, 16_384])
def test_blocked_movie_solves_equal_one_textbook_ridge_per_movie_and_unrated_movies_get_their_prior(monkeypatch, chunk):
    monkeypatch.setattr(movie_factors, "CHUNK_USERS", chunk)
    train, rng = small_table(1)
    users = rng.normal(size=(train.n_users, 4))  # [p (3), b_user]
    reg = np.array([1.0, 2.0, 0.5, 3.0])
    prior = rng.normal(size=(train.n_items, 4))
    got = movie_factors.solve_items(train, users, 3.5, reg, prior)
    owners, rows, ratings = train.triples()
    for i in range(train.n_items):
        who = owners[rows == i]
        a = np.concatenate([users[who, :3], np.ones((len(who), 1))], axis=1)
        want = per_row_ridge(a, ratings[rows == i] - 3.5 - users[who, 3], reg, prior[i])
        np.testing.assert_allclose(got[i], want, atol=1e-5)
    np.testing.assert_allclose(got[train.n_items - 1], prior[train.n_items - 1])  # never rated: the prior itself


def test_training_rmse_is_the_rmse_of_the_bilinear_prediction_over_every_rating(monkeypatch):
    monkeypatch.setattr(movie_factors, "CHUNK_USERS", 5)
    train, rng = small_table(2)
    items, users = rng.normal(size=(train.n_items, 4)), rng.normal(size=(train.n_users, 4))
    owners, rows, ratings = train.triples()
    pred = 3.5 + items[rows, 3] + users[owners, 3] + np.einsum("ij,ij->i", items[rows, :3], users[owners, :3])
    want = np.sqrt(np.mean((pred - ratings) ** 2))
    assert movie_factors.train_rmse(train, items, users, 3.5) == pytest.approx(want, rel=1e-5)


def planted(n_users=300, n_movies=40, seed=0):
    rng = np.random.default_rng(seed)
    p, q = rng.normal(0, 0.6, (n_users, 3)), rng.normal(0, 0.6, (n_movies, 3))
    users, rows, ratings = [], [], []
    for u in range(n_users):
        seen = rng.choice(n_movies - 1, 20, replace=False)  # the last movie is never rated
        users += [u] * 20
        rows += seen.tolist()
        ratings += np.clip(3.5 + (p[u] @ q[seen].T) + rng.normal(0, 0.3, 20), 0.5, 5).tolist()
    return CatalogRatings.build(np.array(users), np.array(rows), np.array(ratings), n_movies), q


def test_als_learns_the_planted_taste_and_keeps_the_vector_layout():
    train, _ = planted()
    features = np.random.default_rng(5).normal(size=(40, 6))
    fitted = movie_factors.fit_movie_factors(
        train, features, offset=3.55, config=movie_factors.MovieFactorsConfig(iterations=8, reg_user=2.0, reg_movie=2.0)
    )
    history = fitted.history["train_rmse"]
    assert history[-1] < history[0] and history[-1] < 0.45  # the planted noise is 0.3
    v = fitted.vectors
    assert v.shape == (40, 16) and v.dtype == np.float32
    np.testing.assert_array_equal(v[:, layout.CONSTANT], 1.0)
    # the bias slot is the movie's mean rating - offset (shrunk): the unrated movie sits at mu - offset
    assert v[39, layout.MOVIE_BIAS] == pytest.approx(train.mean() - 3.55, abs=1e-6)


def test_a_movie_nobody_rated_gets_the_factors_its_title_features_predict():
    train, _ = planted()
    rng = np.random.default_rng(2)
    features = rng.normal(size=(40, 6))
    fitted = movie_factors.fit_movie_factors(train, features, 3.55, movie_factors.MovieFactorsConfig(iterations=40))
    factors = fitted.vectors[:, : layout.FACTORS].astype(np.float64)
    f = np.concatenate([features, np.ones((40, 1))], axis=1)
    w = np.linalg.solve(f.T @ f + 10.0 * np.eye(7), f.T @ factors)  # the content map (content_reg 10), converged
    # the unrated movie's factors are its content prediction; a rated one's are not
    np.testing.assert_allclose(fitted.vectors[39, : layout.FACTORS], f[39] @ w, atol=0.01)
    assert np.abs(fitted.vectors[0, : layout.FACTORS] - f[0] @ w).max() > 0.05
    assert np.abs(fitted.vectors[39, : layout.FACTORS]).sum() > 0


def test_movies_resolved_without_some_users_score_them_as_newcomers_as_a_refit_without_them_does():
    # Planted taste, noisy ratings, few ratings per movie: Model 1's movies carry each user's own ratings.
    rng = np.random.default_rng(4)
    n_users, n_items = 160, 40
    taste, kinds = rng.normal(size=(n_users, 3)), rng.normal(size=(n_items, 3))
    users, rows, ratings = [], [], []
    for u in range(n_users):
        seen = rng.choice(n_items, 24, replace=False)
        stars = np.clip(np.round(3.5 + 0.6 * kinds[seen] @ taste[u] + rng.normal(0, 0.9, 24)), 1, 5)
        users += [u] * 24
        rows += seen.tolist()
        ratings += stars.tolist()
    train = CatalogRatings.build(np.array(users), np.array(rows), np.array(ratings), n_items)
    features = rng.normal(size=(n_items, 5))
    config = movie_factors.MovieFactorsConfig(reg_user=2.0, reg_movie=2.0, iterations=10)
    fitted = movie_factors.fit_movie_factors(train, features, 3.5, config)
    drop = np.arange(n_users) % 4 == 0
    resolved = movie_factors.without_users(fitted, train, drop, features, config, iterations=10)
    refit = movie_factors.fit_movie_factors(train.subset(np.flatnonzero(~drop)), features, 3.5, config)

    def dropped_users_rmse(vectors):  # each dropped user gives 16 ratings; the other 8 are the targets
        errors = []
        for u in np.flatnonzero(drop):
            r, v = train.user(u)
            stars = movie_factors.fold_in_stars(vectors, 3.5, r[None, :16], v[None, :16], 4.0)[0]
            errors += (stars[r[16:]] - v[16:]).tolist()
        return float(np.sqrt(np.mean(np.square(errors))))

    leaky, resolved_rmse, honest = (dropped_users_rmse(v) for v in (fitted.vectors, resolved, refit.vectors))
    assert leaky < honest - 0.05  # the fitted movies already hold the dropped users' targets
    assert abs(resolved_rmse - honest) < (honest - leaky) / 4  # refitted from the fit, most of that is out
    # no iteration: the fitted movies, read back through the vector layout and out again unchanged
    same = movie_factors.without_users(fitted, train, drop, features, config, iterations=0)
    np.testing.assert_allclose(same, fitted.vectors, atol=1e-6)
