"""The lists a person reads: each in the order of the stars it shows, and every rating counted."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screen_genius import api, features
from screen_genius.loader import load_model
from screen_genius.store import LocalStore
from tests.fixtures.artifacts import build_artifact_set, movie_id
from training.publish import publish

CATALOG = 60
# A list ranking that leans hard on "people like you watch this" and away from the chart,
# so the ten it picks are not the ten best (or worst) by the stars alone.
RANKING = {
    "gamma_top": 1.0,
    "popularity_top": 1.0,
    "chart_top": 0.5,
    "gamma_bottom": 1.0,
    "popularity_bottom": 0.0,
    "chart_bottom": 0.5,
}
HALF_STARS = np.arange(0.5, 5.5, 0.5)


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lists")
    build_artifact_set(tmp / "set", catalog_size=CATALOG, n_subsets=2, ranking=RANKING)
    return load_model(LocalStore(tmp / "bucket"), publish(tmp / "set", str(tmp / "bucket")))


def pairs_for(rows, ratings) -> list[tuple[int, float]]:
    return [(movie_id(int(r)), float(v)) for r, v in zip(rows, ratings, strict=True)]


profiles = st.integers(0, 30).flatmap(
    lambda k: st.tuples(
        st.permutations(range(CATALOG)).map(lambda p: p[:k]),
        st.lists(st.sampled_from(list(HALF_STARS)), min_size=k, max_size=k),
    )
)


@settings(max_examples=40, deadline=None)
@given(profiles)
def test_top_runs_best_first_and_bottom_worst_first_by_the_stars_they_show(ranked, profile):
    rows, ratings = profile
    answer = api.recommend(ranked, pairs_for(rows, ratings))
    top = [rec["predicted_rating"] for rec in answer["top"]]
    bottom = [rec["predicted_rating"] for rec in answer["bottom"]]
    assert top == sorted(top, reverse=True)
    assert bottom == sorted(bottom)
    rated = {movie_id(int(r)) for r in rows}
    assert not rated & {rec["movie_id"] for rec in answer["top"] + answer["bottom"]}


def test_the_ranking_chooses_the_ten_and_the_stars_order_them(ranked):
    rng = np.random.default_rng(4)
    rows = rng.permutation(CATALOG)[:8]
    ratings = rng.choice(HALF_STARS, 8)
    predicted, _ = ranked.scorer.predict(rows, ratings)
    best, _ = ranked.scorer.rank(predicted, rows, 10)
    assert ranked.scorer.ranking is not None
    top_scores, _ = ranked.scorer.ranking.scores(rows, predicted)
    unrated = np.setdiff1d(np.arange(CATALOG), rows)
    chosen = unrated[np.lexsort((unrated, -top_scores[unrated]))[:10]]
    by_stars = unrated[np.lexsort((unrated, -predicted[unrated]))[:10]]
    assert set(best) == set(chosen)  # the ranking picks which ten
    assert set(chosen) != set(by_stars)  # (so this fixture tests something the stars alone would not give)
    assert list(best) == sorted(best, key=lambda r: (-predicted[r], r))  # the stars order them


@pytest.mark.parametrize("k", [17, 24, 40, CATALOG])
def test_more_than_16_ratings_are_all_used_and_each_one_changes_the_answer(ranked, k):
    rng = np.random.default_rng(k)
    rows = rng.permutation(CATALOG)[:k]
    ratings = rng.choice(np.arange(0.5, 3.5, 0.5), k)
    answer = api.recommend(ranked, pairs_for(rows, ratings))
    assert answer["used_ratings"] == k
    base, used = ranked.scorer.predict(rows, ratings)
    assert used == k
    for j in range(k):  # any one of them, the 17th and later included, moves the predictions
        changed = ratings.copy()
        changed[j] = 5.0
        assert not np.allclose(ranked.scorer.predict(rows, changed)[0], base, atol=1e-4), f"rating {j} was unused"


def test_over_16_ratings_the_subsets_hold_every_rating_equally_often():
    rows = np.arange(100, 137)  # 37 ratings: 3 subsets of 16 hold 48 places
    ratings = np.linspace(0.5, 5.0, 37)
    sub_rows, sub_ratings = features.choose_subsets(rows, ratings, n_subsets=2)
    assert sub_rows.shape == (3, 16)
    counts = np.bincount(sub_rows.ravel() - 100, minlength=37)
    assert counts.min() >= 1 and counts.max() - counts.min() <= 1
    assert all(len(set(s)) == 16 for s in sub_rows.tolist())
    given = dict(zip(rows.tolist(), ratings.astype(np.float32).tolist(), strict=True))
    assert all(given[r] == v for r, v in zip(sub_rows.ravel().tolist(), sub_ratings.ravel().tolist(), strict=True))
    assert features.choose_subsets(rows, ratings, n_subsets=5)[0].shape == (5, 16)  # more subsets when asked


def test_the_answer_does_not_depend_on_the_order_of_the_ratings(ranked):
    rng = np.random.default_rng(9)
    rows = rng.permutation(CATALOG)[:30]
    pairs = pairs_for(rows, rng.choice(HALF_STARS, 30))
    assert api.recommend(ranked, pairs) == api.recommend(ranked, pairs[::-1])
