"""`because`: leave-one-out effects through the served tower, and the reasons the API names from them, in order."""

from __future__ import annotations

import numpy as np
import pytest

from screen_genius import api, features, scorer
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


@pytest.mark.parametrize("seed", [3, 4, 8])
def test_because_names_ratings_that_moved_each_listed_movie_its_way_against_the_catalog_agreeing_ones_first(
    model, seed
):
    rows, ratings = some_ratings(12, seed=seed)
    pairs = [(movie_id(int(r)), float(v)) for r, v in zip(rows, ratings, strict=False)]
    answer = api.recommend(model, pairs)
    # By hand, from the scorer: leave each rating out, and remove the shift it gives the whole catalog.
    predicted, _ = model.scorer.predict(rows, ratings)
    effect = {}
    for m in rows:
        keep = rows != m
        change = predicted - model.scorer.predict(rows[keep], ratings[keep])[0]
        effect.update({(int(m), r): change[r] - change.mean() for r in range(CATALOG)})
    liked = {int(m): bool(v >= ratings.mean()) for m, v in zip(rows, ratings, strict=True)}
    named = disagreeing = 0
    for placed, sign in (("top", 1), ("bottom", -1)):
        for rec in answer[placed]:
            row = (rec["movie_id"] - 101) // 7
            # reasons: at least MIN_EFFECT its way; liked ones for the top and disliked ones for the bottom first
            toward = sorted(
                ((liked[int(m)] != (sign > 0), -sign * effect[(int(m), row)], int(m)) for m in rows),
            )
            expected = [m for _, e, m in toward if -e >= api.MIN_EFFECT][:2]
            assert [(b["movie_id"] - 101) // 7 for b in rec["because"]] == expected
            disagreeing += sum(liked[m] != (sign > 0) for m in expected)
            for b in rec["because"]:
                assert b["rating"] == dict(pairs)[b["movie_id"]] and b["title"] == f"Movie {(b['movie_id'] - 101) // 7}"
                assert b["effect"] == pytest.approx(float(effect[((b["movie_id"] - 101) // 7, row)]), abs=2e-3)
                assert sign * b["effect"] >= api.MIN_EFFECT
            named += len(rec["because"])
    assert named > disagreeing > 0  # both kinds are named on these profiles, so the order was exercised


def test_a_rating_that_agrees_with_the_placement_is_named_before_a_larger_one_that_does_not():
    # Against the catalog, the liked rating (row 2) lifts movie 0 by 0.1 and the disliked one (row 5) by 0.3;
    # both lower movie 1, by 0.2 and 0.1. Rows 2 and 5 are the rated movies, in that order.
    effects = np.zeros((2, 4), np.float32)
    effects[0, :2] = 0.1, -0.2
    effects[1, :2] = 0.3, -0.1
    effects -= effects.mean(axis=1, keepdims=True)  # no catalog-wide shift, so the effects read as they are
    explained = scorer.Explained(np.full(4, 3.0, np.float32), 2, np.array([2, 5]), effects)
    liked = np.array([True, False])
    rows, signs = np.array([0, 1]), np.array([1.0, -1.0])
    top, bottom = explained.reasons(rows, signs, k=2, min_effect=0.05, liked=liked)
    assert [r for r, _ in top] == [2, 5]  # placed high: the liked rating first, then the larger disliked one
    assert [r for r, _ in bottom] == [5, 2]  # placed low: the disliked rating first, then the larger liked one
    assert [r for r, _ in explained.reasons(rows, signs, k=2, min_effect=0.05)[0]] == [5, 2]  # without: by size
    # one reason each: the agreeing rating, however much larger the other one's effect
    assert [[r for r, _ in rs] for rs in explained.reasons(rows, signs, k=1, min_effect=0.05, liked=liked)] == [
        [2],
        [5],
    ]
    # an agreeing rating that moved the movie less than min_effect is no reason; the other one still is
    assert [r for r, _ in explained.reasons(rows, signs, k=1, min_effect=0.15, liked=liked)[0]] == [5]


def test_a_rating_that_shifts_every_movie_alike_is_no_reason_for_any_of_them():
    # The rating at row 7 lowers every prediction by 0.8 stars. The one at row 3 lifts most movies
    # by 0.1, movie 0 by 0.4 and movie 1 by -0.2: against its catalog-wide shift (their mean, 0.1),
    # it placed movie 0 higher and movie 1 lower.
    n = 6
    effects = np.zeros((2, n), np.float32)
    effects[0] = 0.1
    effects[0, 0], effects[0, 1] = 0.4, -0.2
    effects[1] = -0.8
    explained = scorer.Explained(np.full(n, 3.0, np.float32), 2, np.array([3, 7]), effects)
    shift = effects[0].mean()
    relative = explained.relative_effects(np.arange(n))
    np.testing.assert_allclose(relative[:, 0], effects[0] - shift, atol=1e-6)
    np.testing.assert_allclose(relative[:, 1], 0.0, atol=1e-6)  # row 7 moved nothing relative to the catalog
    reasons = explained.reasons(np.array([0, 1]), np.array([1.0, -1.0]), k=2, min_effect=0.05)
    assert [r for r, _ in reasons[0]] == [3] and reasons[0][0][1] == pytest.approx(0.4 - shift, abs=1e-6)
    assert [r for r, _ in reasons[1]] == [3] and reasons[1][0][1] == pytest.approx(-0.2 - shift, abs=1e-6)
    # a rating whose effect on a movie is within 0.05 stars of its catalog-wide shift is never named
    assert explained.reasons(np.array([2]), np.array([1.0]), k=2, min_effect=0.05) == [[]]


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ({1: 5.0, 2: 1.0, 3: 3.5}, {1: "liked", 2: "disliked", 3: "liked"}),  # average 3.17
        ({1: 4.0, 2: 4.5}, {1: "disliked", 2: "liked"}),  # against their own average, not the scale's middle
        ({1: 1.0, 2: 1.5}, {1: "disliked", 2: "liked"}),
        ({1: 4.5}, {1: "liked"}),  # one rating: against the dataset's average (3.5 here)
        ({1: 2.0, 2: 2.0}, {1: "disliked", 2: "disliked"}),
    ],
)
def test_a_reasons_direction_is_the_rating_against_the_persons_own_average(ratings, expected):
    assert api.taste_directions(ratings, offset=3.5) == expected


def test_every_reason_says_whether_the_person_liked_or_disliked_the_rated_movie(model):
    rows, ratings = some_ratings(10, seed=11)
    pairs = [(movie_id(int(r)), float(v)) for r, v in zip(rows, ratings, strict=False)]
    answer = api.recommend(model, pairs)
    mean = float(np.mean(ratings))
    reasons = [b for rec in answer["top"] + answer["bottom"] for b in rec["because"]]
    assert reasons
    for b in reasons:
        assert b["direction"] == ("liked" if b["rating"] >= mean else "disliked")


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
