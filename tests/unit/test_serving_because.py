"""`because`: leave-one-out effects through the served tower, and the reasons the API names from them."""

from __future__ import annotations

import numpy as np
import pytest

from screen_genius import api, features
from screen_genius.loader import load_model
from screen_genius.store import LocalStore
from tests.fixtures.artifacts import OFFSET, build_artifact_set, movie_id
from training.publish import publish

CATALOG = 40


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("because")
    build_artifact_set(tmp / "set", catalog_size=CATALOG, n_subsets=3)
    return load_model(LocalStore(tmp / "bucket"), publish(tmp / "set", str(tmp / "bucket")))


def some_ratings(k: int, seed: int):
    rng = np.random.default_rng(seed)
    rows = rng.permutation(CATALOG)[:k]
    return rows, rng.choice(np.arange(0.5, 5.5, 0.5), k).astype(np.float32)


@pytest.mark.parametrize("k", [1, 5, 16])
def test_each_effect_is_the_prediction_minus_the_scorers_prediction_without_that_rating(model, k):
    rows, ratings = some_ratings(k, seed=k)
    explained = model.scorer.explain(rows, ratings)
    predicted, _ = model.scorer.predict(rows, ratings)
    np.testing.assert_allclose(explained.predicted, predicted, atol=1e-5)
    assert list(explained.rated_rows) == sorted(rows) and explained.used == k
    for j, row in enumerate(explained.rated_rows):
        keep = rows != row
        without, _ = model.scorer.predict(rows[keep], ratings[keep])
        np.testing.assert_allclose(explained.effects[j], predicted - without, atol=1e-5)


def test_over_16_ratings_a_rating_is_left_out_of_the_same_subsets_the_answer_used(model):
    rows, ratings = some_ratings(30, seed=7)
    explained = model.scorer.explain(rows, ratings)
    sub_rows, sub_ratings = features.choose_subsets(rows, ratings, 3)
    assert list(explained.rated_rows) == sorted(set(sub_rows.ravel()) - {-1})  # only ratings the model read
    tower = model.scorer.tower
    full = np.clip(
        tower(features.user_matrices(model.scorer.movie_vectors, sub_rows, sub_ratings, OFFSET)).mean(0), 0.5, 5
    )
    for j, row in enumerate(explained.rated_rows):
        by_hand = []
        for r, v in zip(
            sub_rows, sub_ratings, strict=False
        ):  # drop the rating from the subsets holding it, keep the others whole
            keep = r != row
            r2, v2 = np.full(16, -1), np.zeros(16, np.float32)
            r2[: keep.sum()], v2[: keep.sum()] = r[keep], v[keep]
            by_hand.append(tower(features.user_matrices(model.scorer.movie_vectors, r2[None], v2[None], OFFSET))[0])
        without = np.clip(np.mean(by_hand, axis=0), 0.5, 5)
        np.testing.assert_allclose(explained.effects[j], full - without, atol=1e-5)


def test_no_ratings_explain_to_no_effects(model):
    explained = model.scorer.explain(np.zeros(0, np.int64), np.zeros(0, np.float32))
    assert explained.used == 0 and explained.effects.shape == (0, CATALOG)
    np.testing.assert_allclose(explained.predicted, model.scorer.predict(np.zeros(0, np.int64), np.zeros(0))[0])


def test_because_names_the_two_rated_movies_that_moved_each_listed_movie_most_its_way(model):
    rows, ratings = some_ratings(12, seed=3)
    pairs = [(movie_id(int(r)), float(v)) for r, v in zip(rows, ratings, strict=False)]
    answer = api.recommend(model, pairs)
    explained = model.scorer.explain(rows, ratings)
    effect = {
        (int(m), int(r)): explained.effects[j, r] for j, m in enumerate(explained.rated_rows) for r in range(CATALOG)
    }
    named = 0
    for placed, sign in (("top", 1), ("bottom", -1)):
        for rec in answer[placed]:
            row = (rec["movie_id"] - 101) // 7
            toward = sorted(
                ((sign * effect[(int(m), row)], int(m)) for m in explained.rated_rows), key=lambda t: (-t[0], t[1])
            )
            expected = [m for e, m in toward[:2] if e >= api.MIN_EFFECT]
            assert [(b["movie_id"] - 101) // 7 for b in rec["because"]] == expected
            for b in rec["because"]:
                assert b["rating"] == dict(pairs)[b["movie_id"]] and b["title"] == f"Movie {(b['movie_id'] - 101) // 7}"
                assert b["effect"] == round(float(effect[((b["movie_id"] - 101) // 7, row)]), 3)
                assert sign * b["effect"] >= api.MIN_EFFECT
            named += len(rec["because"])
    assert named > 0


def test_because_is_empty_when_no_rating_moves_a_prediction_by_005_stars(model):
    # Ratings at the offset make all-zero rows, the same input as no rating: every effect is 0.
    pairs = [(movie_id(r), OFFSET) for r in range(6)]
    answer = api.recommend(model, pairs)
    assert answer["used_ratings"] == 6
    assert all(rec["because"] == [] for rec in answer["top"] + answer["bottom"])


def test_because_is_the_same_whatever_the_order_of_the_ratings(model):
    rows, ratings = some_ratings(24, seed=5)
    pairs = [(movie_id(int(r)), float(v)) for r, v in zip(rows, ratings, strict=False)]
    assert api.recommend(model, pairs) == api.recommend(model, pairs[::-1])
