"""Model 1 by ALS: batched ridge solves equal the textbook ones; the title prior fills in where ratings are few."""

import numpy as np
import pytest

from training.models import layout, movie_factors
from training.models.catalog_ratings import CatalogRatings


def test_batched_ridge_rows_equal_one_solve_per_row_with_prior_and_empty_rows():
    rng = np.random.default_rng(0)
    other = rng.normal(size=(12, 4))
    counts = [3, 0, 5, 1]
    indptr = np.concatenate([[0], np.cumsum(counts)])
    cols = np.concatenate([rng.choice(12, c, replace=False) for c in counts])
    targets = rng.normal(size=len(cols))
    reg = np.array([1.0, 2.0, 0.5, 3.0])
    prior = rng.normal(size=(4, 4))
    got = movie_factors.ridge_rows(indptr, cols, targets, other, reg, prior)
    for r in range(4):
        a, t = other[cols[indptr[r] : indptr[r + 1]]], targets[indptr[r] : indptr[r + 1]]
        want = np.linalg.solve(a.T @ a + np.diag(reg), a.T @ t + reg * prior[r])
        np.testing.assert_allclose(got[r], want, atol=1e-10)
    np.testing.assert_allclose(got[1], prior[1])  # no entries: the prior itself


def test_chunks_do_not_change_the_answer(monkeypatch):
    rng = np.random.default_rng(1)
    other = rng.normal(size=(30, 5))
    counts = rng.integers(0, 9, 40)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    cols = rng.integers(0, 30, indptr[-1])
    targets = rng.normal(size=indptr[-1])
    whole = movie_factors.ridge_rows(indptr, cols, targets, other, np.ones(5))
    monkeypatch.setattr(movie_factors, "CHUNK_ROWS", 7)
    np.testing.assert_allclose(movie_factors.ridge_rows(indptr, cols, targets, other, np.ones(5)), whole, atol=1e-12)


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
