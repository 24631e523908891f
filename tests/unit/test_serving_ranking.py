"""The lists' order in the function (screen_genius.ranking): the documented formula, order-free, checked input."""

from __future__ import annotations

import io

import numpy as np
import pytest

from screen_genius.ranking import ListRanking, choose_lists, list_scores
from training.models import ranking as training_ranking

PARAMS = {
    "gamma_top": 2.0,
    "popularity_top": 1.0,
    "chart_top": 0.5,
    "gamma_bottom": 1.0,
    "popularity_bottom": 0.0,
    "chart_bottom": 0.25,
}


def ranking_bytes(n: int, seed: int = 0, **shapes) -> bytes:
    rng = np.random.default_rng(seed)
    arrays = {
        "weights": rng.normal(size=(n, n)).astype(np.float32),
        "popularity": rng.random(n),
        "prior": rng.normal(size=n),
    }
    arrays.update(shapes)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_scores_follow_the_documented_formula():
    n = 6
    ranking = ListRanking.from_bytes(ranking_bytes(n), PARAMS, n)
    stars = np.linspace(1, 5, n)
    top, bottom = ranking.scores(np.array([1, 4]), stars)
    personal = ranking.weights[1].astype(np.float64) + ranking.weights[4]
    expected_top = stars + 2.0 * (personal + ranking.popularity) - 0.5 * ranking.prior
    np.testing.assert_allclose(top, expected_top, rtol=1e-6)
    np.testing.assert_allclose(bottom, stars - 1.0 * personal + 0.25 * ranking.prior, rtol=1e-6)


def test_nothing_rated_ranks_the_top_by_stars_and_the_bottom_by_stars_popularity_and_prior():
    n = 5
    ranking = ListRanking.from_bytes(ranking_bytes(n), PARAMS, n)
    top, bottom = ranking.scores(np.array([], dtype=np.int64), np.full(n, 3.0))
    np.testing.assert_allclose(top, np.full(n, 3.0))
    np.testing.assert_allclose(bottom, 3.0 + 0.25 * ranking.prior)


def test_a_set_exported_before_chart_bottom_ranks_its_bottom_list_without_it():
    n = 5
    old = {k: v for k, v in PARAMS.items() if k != "chart_bottom"}
    ranking = ListRanking.from_bytes(ranking_bytes(n), old, n)
    _, bottom = ranking.scores(np.array([], dtype=np.int64), np.full(n, 3.0))
    np.testing.assert_allclose(bottom, np.full(n, 3.0))


def test_scores_do_not_depend_on_the_order_of_the_ratings():
    n = 50
    ranking = ListRanking.from_bytes(ranking_bytes(n, seed=3), PARAMS, n)
    stars = np.random.default_rng(1).random(n) * 4 + 1
    rows = np.array([7, 3, 41, 19, 22])
    a = ranking.scores(rows, stars)
    b = ranking.scores(rows[::-1], stars)
    assert (a[0] == b[0]).all() and (a[1] == b[1]).all()


def test_training_and_the_function_share_one_formula():
    rng = np.random.default_rng(2)
    stars, personal, pop, prior = rng.random((4, 3, 8))
    params = training_ranking.RankingParams(**PARAMS)
    got = training_ranking.list_scores(stars, personal, pop[0], prior[0], params)
    want = list_scores(stars, personal, pop[0], prior[0], PARAMS)
    assert all((g == w).all() for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize(
    ("params", "arrays", "message"),
    [
        ({**PARAMS, "chart_top": None}, {}, "lacks numeric chart_top"),
        (PARAMS, {"weights": np.zeros((4, 5), np.float32)}, "need weights (5, 5)"),
        (PARAMS, {"prior": np.full(5, np.nan)}, "must be finite"),
    ],
)
def test_a_ranking_file_that_does_not_fit_is_refused_with_the_reason(params, arrays, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ListRanking.from_bytes(ranking_bytes(5, **arrays), params, 5)


HATE = {**PARAMS, "hate_popularity": 0.5, "hate_chart": 0.5, "hate_below": 2.5, "hate_scale": 0.4}


def test_the_bottom_score_is_minus_the_log_chance_of_meeting_the_movie_and_rating_it_low():
    n = 6
    ranking = ListRanking.from_bytes(ranking_bytes(n, seed=4), HATE, n)
    stars = np.array([1.0, 1.5, 2.0, 3.0, 4.0, 4.5])
    _, bottom = ranking.scores(np.array([2, 5]), stars)
    personal = ranking.weights[2].astype(np.float64) + ranking.weights[5]
    seen = np.maximum(personal + 0.5 * ranking.popularity, 0.01)
    low = 1.0 / (1.0 + np.exp(-(2.5 - (stars - 0.5 * ranking.prior)) / 0.4))
    below = stars <= np.median(stars)  # 1.0, 1.5, 2.0: the movies a bottom list may name
    np.testing.assert_allclose(bottom[below], -(np.log(seen) + np.log(low))[below], rtol=1e-9)
    assert np.isinf(bottom[~below]).all()


def test_a_movie_predicted_above_the_persons_median_never_makes_the_bottom_list():
    n = 5
    weights = np.zeros((n, n), np.float32)
    weights[0, 4] = 5.0  # everyone like this person has met movie 4
    buffer = io.BytesIO()
    np.savez(buffer, weights=weights, popularity=np.array([0.1, 0.01, 0.01, 0.01, 0.9]), prior=np.zeros(n))
    ranking = ListRanking.from_bytes(buffer.getvalue(), HATE, n)
    _, bottom = ranking.scores(np.array([0]), np.array([4.0, 1.0, 1.5, 2.0, 3.9]))
    assert np.argmin(bottom) != 4 and np.isinf(bottom[4]) and np.isfinite(bottom[[1, 2]]).all()


def test_at_the_bottom_a_movie_this_person_would_meet_beats_an_obscure_one_predicted_alike():
    # Two movies with the same low stars and chart place: the one people like this person watch goes first;
    # a well-known movie predicted high does not make the bottom however often it is watched.
    n = 3
    weights = np.zeros((n, n), np.float32)
    weights[0, 1] = 0.6  # having rated movie 0 makes meeting movie 1 likely
    arrays = {"weights": weights, "popularity": np.array([0.5, 0.02, 0.02]), "prior": np.zeros(n)}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    ranking = ListRanking.from_bytes(buffer.getvalue(), HATE, n)
    _, bottom = ranking.scores(np.array([0]), np.array([4.5, 1.5, 1.5]))
    assert bottom[1] < bottom[2] < bottom[0]
    stars_only = {**HATE, "hate_scale": 0.0, "gamma_bottom": 0.0, "chart_bottom": 0.0}
    _, linear = ListRanking.from_bytes(buffer.getvalue(), stars_only, n).scores(
        np.array([0]), np.array([4.5, 1.5, 1.5])
    )
    assert linear[1] == linear[2]  # the stars alone cannot tell them apart


def test_with_nothing_rated_the_top_list_follows_the_stars():
    n = 6
    ranking = ListRanking.from_bytes(ranking_bytes(n, seed=5), PARAMS, n)
    stars = np.array([3.0, 4.5, 2.0, 4.0, 1.0, 3.5])
    top, _ = ranking.scores(np.array([], dtype=np.int64), stars)
    np.testing.assert_array_equal(top, stars)
    top_one, _ = ranking.scores(np.array([2]), stars)  # one rating: the ranking's formula again
    assert not np.array_equal(top_one, stars)
    both, _ = list_scores(
        np.stack([stars, stars]), np.zeros((2, n)), ranking.popularity, ranking.prior, PARAMS, np.array([0, 3])
    )
    np.testing.assert_array_equal(both[0], stars)
    np.testing.assert_allclose(both[1], stars + 2.0 * ranking.popularity - 0.5 * ranking.prior)


SPREAD = {**HATE, "hate_spread": 1.0}


def test_a_movies_rating_spread_widens_its_chance_of_a_low_rating_as_documented():
    n = 6
    spread = np.array([0.5, 1.0, 2.0, 1.0, 1.5, 0.8])
    ranking = ListRanking.from_bytes(ranking_bytes(n, seed=6, spread=spread), SPREAD, n)
    stars = np.array([1.0, 1.5, 2.0, 3.0, 4.0, 4.5])
    _, bottom = ranking.scores(np.array([0, 3]), stars)
    personal = ranking.weights[0].astype(np.float64) + ranking.weights[3]
    seen = np.maximum(personal + 0.5 * ranking.popularity, 0.01)
    low = 1.0 / (1.0 + np.exp(-(2.5 - (stars - 0.5 * ranking.prior)) / (0.4 * spread)))
    below = stars <= np.median(stars)
    np.testing.assert_allclose(bottom[below], -(np.log(seen) + np.log(low))[below], rtol=1e-9)


def test_a_divisive_movie_predicted_middling_goes_below_a_consensus_one_predicted_alike():
    n = 4
    arrays = {"weights": np.zeros((n, n), np.float32), "popularity": np.full(n, 0.1), "prior": np.zeros(n)}
    arrays["spread"] = np.array([1.0, 2.0, 0.5, 1.0])
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    ranking = ListRanking.from_bytes(buffer.getvalue(), SPREAD, n)
    _, bottom = ranking.scores(np.array([0]), np.array([4.0, 3.0, 3.0, 4.5]))
    assert bottom[1] < bottom[2]  # both 3 stars: the divisive one is likelier rated low
    flat = ListRanking.from_bytes(buffer.getvalue(), HATE, n)  # hate_spread 0: the spreads are not read
    _, flat_bottom = flat.scores(np.array([0]), np.array([4.0, 3.0, 3.0, 4.5]))
    assert flat_bottom[1] == flat_bottom[2]


def test_a_set_exported_before_the_spreads_ranks_its_bottom_as_it_did():
    n = 6
    old = ListRanking.from_bytes(ranking_bytes(n, seed=7), HATE, n)  # no "spread" array, no hate_spread
    assert old.params["hate_spread"] == 0.0 and (old.spread == 1.0).all()
    stars = np.array([1.0, 1.5, 2.0, 3.0, 4.0, 4.5])
    _, bottom = old.scores(np.array([1]), stars)
    _, want = list_scores(stars, old.weights[1].astype(np.float64), old.popularity, old.prior, HATE, 1)
    np.testing.assert_array_equal(bottom, want)


@pytest.mark.parametrize(
    ("spread", "message"),
    [(np.ones(4), "need spread (5,)"), (np.array([1.0, 0.0, 1.0, 1.0, 1.0]), "spread must be finite and positive")],
)
def test_a_spread_that_does_not_fit_is_refused_with_the_reason(spread, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ListRanking.from_bytes(ranking_bytes(5, spread=spread), SPREAD, 5)


def test_the_lists_choice_is_a_full_sorts_head_with_ties_to_the_lower_row_and_the_rated_left_out():
    """``choose_lists`` (what the function serves and the simulation shows) against a plain full sort, on
    scores rounded so that ties decide many boundaries, with +inf bottom scores (above the median) and
    exclusions."""
    rng = np.random.default_rng(3)
    tie_decided = 0
    for _ in range(500):
        n = int(rng.integers(12, 200))
        top = np.round(rng.normal(size=n), 1)
        bottom = np.round(rng.normal(size=n), 1)
        bottom[rng.random(n) < 0.3] = np.inf
        rated = rng.choice(n, int(rng.integers(0, n - 11)), replace=False)
        depth = int(rng.integers(10, 40))
        deep, worst = choose_lists(top, bottom, rated, 10, depth)
        left = [r for r in range(n) if r not in set(rated.tolist())]
        by_top = sorted(left, key=lambda r: (-top[r], r))
        by_bottom = sorted(left, key=lambda r: (bottom[r], r))
        assert deep.tolist() == by_top[:depth]
        assert worst.tolist() == by_bottom[:10]
        tie_decided += len(by_top) > depth and top[by_top[depth - 1]] == top[by_top[depth]]
    assert tie_decided > 50  # the tie rule, not luck, made the answers agree
