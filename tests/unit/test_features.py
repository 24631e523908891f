"""The 16x16 user input shared by training and the function (screen_genius.features)."""

import numpy as np
import pytest

from screen_genius import features


def vectors(n=40, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 16)).astype(np.float32)


def test_row_i_is_the_movie_vector_times_rating_minus_offset_and_empty_rows_are_zero():
    mv = vectors()
    rows = np.full((1, 16), -1)
    ratings = np.zeros((1, 16), np.float32)
    rows[0, :3], ratings[0, :3] = [5, 0, 7], [4.0, 1.5, 3.0]
    x = features.user_matrices(mv, rows, ratings, 3.6)
    assert x.shape == (1, 16, 16) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0], mv[5] * (4.0 - 3.6), rtol=1e-6)
    np.testing.assert_allclose(x[0, 1], mv[0] * (1.5 - 3.6), rtol=1e-6)
    assert not x[0, 3:].any()


def test_sixteen_or_fewer_ratings_make_one_subset_holding_all_of_them():
    rows, ratings = features.choose_subsets(np.array([9, 2, 4]), np.array([1.0, 5.0, 3.5]), n_subsets=4)
    assert rows.shape == (1, 16)
    assert sorted(rows[0, :3]) == [2, 4, 9] and (rows[0, 3:] == -1).all()
    assert dict(zip(rows[0, :3], ratings[0, :3], strict=True)) == {9: 1.0, 2: 5.0, 4: 3.5}


def test_more_than_sixteen_ratings_give_the_same_subsets_whatever_the_order_they_arrive_in():
    rng = np.random.default_rng(1)
    rows = rng.choice(100, size=30, replace=False)
    ratings = rng.choice(np.arange(1, 6), size=30).astype(np.float32)
    a = features.choose_subsets(rows, ratings, 4)
    order = rng.permutation(30)
    b = features.choose_subsets(rows[order], ratings[order], 4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].shape == (4, 16)
    given = dict(zip(rows.tolist(), ratings.tolist(), strict=True))
    for sub_rows, sub_ratings in zip(*a, strict=True):
        assert len(set(sub_rows.tolist())) == 16
        assert all(given[r] == v for r, v in zip(sub_rows.tolist(), sub_ratings.tolist(), strict=True))


def test_different_ratings_can_give_different_subsets():
    rows = np.arange(30)
    a = features.choose_subsets(rows, np.full(30, 3.0), 1)[0]
    b = features.choose_subsets(rows, np.full(30, 4.0), 1)[0]
    assert not np.array_equal(a, b)


def test_request_inputs_are_the_user_matrices_of_the_chosen_subsets():
    mv = vectors()
    rows, ratings = np.arange(20), np.linspace(0.5, 5, 20).astype(np.float32)
    x = features.request_inputs(mv, rows, ratings, 3.5, n_subsets=3)
    sub_rows, sub_ratings = features.choose_subsets(rows, ratings, 3)
    np.testing.assert_array_equal(x, features.user_matrices(mv, sub_rows, sub_ratings, 3.5))


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError):
        features.user_matrices(vectors(), np.zeros((2, 16), int), np.zeros((2, 15)), 3.0)
