"""The cold-start protocol: what reaches a model, and that it is the same every time."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from screen_genius.scale import HALF_STARS
from training.coldstart import metrics, newcomers
from training.coldstart.ratings import CatalogRatings, heldout_ratings, training_ratings
from training.evaluation import protocol


def tiny_dataset(n_users=40, n_movies=30, seed=0):
    """A stand-in Dataset: every user rates 25 of 30 movies; users 1..8 are held out."""
    rng = np.random.default_rng(seed)
    taste = rng.normal(size=n_users)
    quality = rng.normal(size=n_movies)
    rows = []
    for u in range(1, n_users + 1):
        for m in rng.choice(n_movies, size=25, replace=False):
            r = np.clip(np.round((3.5 + 0.6 * quality[m] + 0.5 * taste[u - 1] + rng.normal(0, 0.3)) * 2) / 2, 0.5, 5)
            rows.append((u, 100 + int(m), float(r)))
    frame = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating"]).astype(
        {"user_id": "int32", "movie_id": "int32", "rating": "float32"}
    )
    frame["date"] = pd.Timestamp("2020-01-01")
    catalog = pd.DataFrame(
        {
            "movie_id": np.arange(100, 100 + n_movies, dtype=np.int32),
            "title": [f"Movie number {i}" for i in range(n_movies)],
            "year": pd.array([1980 + i for i in range(n_movies)], dtype="Int16"),
            "genres": ["Drama"] * n_movies,
        }
    )

    def ratings(columns=None, catalog_only=False):
        return frame if columns is None else frame[list(columns)]

    return SimpleNamespace(
        info={"name": "tiny"},
        rating_scale=HALF_STARS,
        catalog=catalog,
        movies=catalog,
        heldout_user_ids=np.arange(1, 9, dtype=np.int32),
        ratings=ratings,
        probe=lambda: None,
    )


class Spy:
    """A cold-start model that records everything it is shown."""

    name = "spy"

    def fit(self, train):
        self.fit_users = set(train.user_ids.tolist())
        self.fit_pairs = set(zip(np.repeat(train.user_ids, train.counts()).tolist(), train.rows.tolist(), strict=True))
        self.n_items = train.n_items

    def predict(self, given_rows, given_ratings):
        self.given = (np.array(given_rows), np.array(given_ratings))
        self.shown = [*getattr(self, "shown", []), self.given]
        return np.full((len(given_rows), self.n_items), 3.0, np.float32)


def test_training_never_sees_a_heldout_user():
    ds = tiny_dataset()
    train = training_ratings(ds)
    assert not set(train.user_ids.tolist()) & set(ds.heldout_user_ids.tolist())
    assert set(heldout_ratings(ds).user_ids.tolist()) == set(ds.heldout_user_ids.tolist())


def test_no_target_rating_reaches_the_input_used_to_predict_it():
    ds = tiny_dataset()
    test = heldout_ratings(ds)
    spy = Spy()
    spy.fit(training_ratings(ds))
    protocol.evaluate_cold_start([spy], test, ks=(1, 4, 16), seeds=(0, 1))
    for seed in (0, 1):
        d = newcomers.draw(test, seed)
        for u in range(d.targets.n_users):
            target_rows = set(d.targets.user(u)[0].tolist())
            assert not target_rows & set(d.given_rows[u].tolist())
    for given_rows, _ in spy.shown:
        assert given_rows.shape[1] == 16
    # every row the spy was given is a given (not target) rating of a draw
    k16 = [g for g in spy.shown if (g[0] >= 0).sum(axis=1).max() == 16]
    assert k16


def test_given_and_target_ratings_partition_each_users_ratings():
    test = heldout_ratings(tiny_dataset())
    d = newcomers.draw(test, seed=3)
    users = newcomers.eligible(test)
    for i, u in enumerate(users):
        rows, ratings = test.user(u)
        t_rows, t_ratings = d.targets.user(i)
        got = dict(zip(d.given_rows[i].tolist(), d.given_ratings[i].tolist(), strict=True)) | dict(
            zip(t_rows.tolist(), t_ratings.tolist(), strict=True)
        )
        assert got == dict(zip(rows.tolist(), ratings.tolist(), strict=True))
        assert len(t_rows) == len(rows) - 16


def test_draws_are_the_same_for_the_same_seed_and_differ_between_seeds():
    test = heldout_ratings(tiny_dataset())
    a, b, c = newcomers.draw(test, 0), newcomers.draw(test, 0), newcomers.draw(test, 1)
    np.testing.assert_array_equal(a.given_rows, b.given_rows)
    np.testing.assert_array_equal(a.targets.rows, b.targets.rows)
    assert not np.array_equal(a.given_rows, c.given_rows)


def test_a_users_draw_does_not_depend_on_who_else_is_tested():
    test = heldout_ratings(tiny_dataset())
    alone = test.subset(np.array([2]))
    np.testing.assert_array_equal(newcomers.draw(alone, 0).given_rows[0], newcomers.draw(test, 0).given_rows[2])


def test_the_first_k_given_are_a_prefix_of_the_sixteen():
    d = newcomers.draw(heldout_ratings(tiny_dataset()), 0)
    rows4, _ = d.given(4)
    rows8, _ = d.given(8)
    np.testing.assert_array_equal(rows4[:, :4], rows8[:, :4])
    assert (rows4[:, 4:] == -1).all()


def test_warm_start_folds_cover_every_rating_once_and_are_seeded():
    folds = protocol.warm_start_folds(103, 5, seed=0)
    assert np.bincount(folds).tolist() == [21, 21, 21, 20, 20]
    np.testing.assert_array_equal(folds, protocol.warm_start_folds(103, 5, seed=0))


def test_ndcg_is_one_for_the_true_order_and_lower_for_the_reverse():
    true = np.array([5.0, 4.0, 3.0, 1.0])
    assert metrics.ndcg_at(true, true) == 1.0
    assert metrics.ndcg_at(-true, true) < 1.0


def test_top_and_bottom_means_read_the_true_ratings_of_the_predicted_extremes():
    true = np.arange(1, 21, dtype=float) / 4
    pred = true.copy()
    assert metrics.top_mean(pred, true) == true[-10:].mean()
    assert metrics.bottom_mean(pred, true) == true[:10].mean()


def test_catalog_ratings_keep_rows_in_catalog_order_and_drop_other_movies():
    frame = pd.DataFrame({"user_id": [1, 1, 2], "movie_id": [30, 10, 99], "rating": [4.0, 2.0, 5.0]})
    table = CatalogRatings.from_frame(frame, np.array([10, 20, 30]))
    assert table.user_ids.tolist() == [1] and table.user(0)[0].tolist() == [0, 2]


def test_catalog_rows_follow_the_catalog_order_not_the_id_order_and_unknown_ids_below_or_above_are_dropped():
    frame = pd.DataFrame(
        {"user_id": [1, 1, 1, 2, 2], "movie_id": [10, 30, 5, 20, 99], "rating": [1.0, 3.0, 5.0, 2.0, 4.0]}
    )
    table = CatalogRatings.from_frame(frame, np.array([30, 10, 20]))  # catalog row 0 is movie 30
    assert table.user(0)[0].tolist() == [0, 1] and table.user(0)[1].tolist() == [3.0, 1.0]
    assert table.user(1)[0].tolist() == [2] and table.n_ratings == 3


def test_a_subset_holds_exactly_the_chosen_users_ratings_in_any_order_of_positions():
    rng = np.random.default_rng(3)
    counts = [3, 0, 2, 5, 1]
    users = np.repeat(np.arange(5) * 10, counts)
    table = CatalogRatings.build(users, rng.integers(0, 40, len(users)), rng.integers(1, 6, len(users)), 40)
    part = table.subset(np.array([3, 0, 1]))
    assert part.user_ids.tolist() == table.user_ids[[0, 1, 3]].tolist()
    for mine, theirs in zip(range(3), [0, 1, 3], strict=True):
        assert part.user(mine)[0].tolist() == table.user(theirs)[0].tolist()
        assert part.user(mine)[1].tolist() == table.user(theirs)[1].tolist()
