"""ServedModel built from its parts, written with save(dir) and read back with load(dir)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from screen_genius.scorer import PastSixteen
from training.models import ranking, served, user_tower
from training.models.fitting import load_models


def parts(n_movies: int = 25, seed: int = 0):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(0, 0.3, size=(n_movies, 16)).astype(np.float32)
    vectors[:, 15] = 1.0  # Model 1's layout: [q (14), b_movie, 1]
    config = user_tower.UserTowerConfig(width=8, ensemble=1, seed=seed)
    tower = user_tower.TrainedUserTower(
        user_tower.build_model(vectors, 3.55, config), vectors, 3.55, config, {"rmse": [0.9]}
    )
    seen = ranking.SeenScore(rng.normal(size=(n_movies, n_movies)), rng.random(n_movies), lam=300.0)
    params = ranking.RankingParams(gamma_top=1.0, chart_top=0.5, gamma_bottom=0.5)
    return tower, seen, params


def given(n_movies: int = 25, n: int = 6, seed: int = 1):
    rng = np.random.default_rng(seed)
    rows, ratings = np.full((n, 16), -1), np.zeros((n, 16), np.float32)
    for i in range(n):
        k = 1 + 3 * i % 16
        rows[i, :k] = rng.choice(n_movies, k, replace=False)
        ratings[i, :k] = rng.choice(np.arange(1, 5.5, 0.5), k)
    return rows, ratings


def test_a_model_saved_and_loaded_back_gives_the_same_stars_and_lists(tmp_path):
    tower, seen, params = parts()
    no_information = np.linspace(2.0, 4.5, 25).astype(np.float32)
    model = served.ServedModel(
        0.5,
        tower.config,
        offset=3.55,
        trained=tower,
        seen=seen,
        choice={"params": params},
        no_information=no_information,
        past=PastSixteen(4.0, 8.0),
    )
    info = model.save(tmp_path, {"dataset": "tiny", "rating_scale": {"step": 0.5, "min": 0.5, "max": 5.0}})
    assert {p.name for p in tmp_path.iterdir()} == {*served.MODEL_FILES, "training.json"}
    assert json.loads((tmp_path / "training.json").read_text()) == info
    assert list(info)[:2] == ["dataset", "rating_scale"] and info["ranking"]["ease_lambda"] == 300.0

    back = served.ServedModel.load(tmp_path)
    rows, ratings = given()
    np.testing.assert_allclose(back.predict(rows, ratings), model.predict(rows, ratings), rtol=1e-6)  # float32 ulps
    for a, b in zip(back.rank_scores(rows, ratings), model.rank_scores(rows, ratings), strict=True):
        # float32 ulps of the stars; a bottom score can sit near 0, where a relative tolerance alone is no tolerance
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert back.params == params and back.offset == 3.55 and back.past == PastSixteen(4.0, 8.0)
    # with nothing given, the no-information stars; past 16, the blend: both survive the round trip
    many_rows, many_ratings = np.full((2, 24), -1), np.zeros((2, 24), np.float32)
    many_rows[1], many_ratings[1] = np.arange(24) % 25, np.linspace(1, 5, 24)
    np.testing.assert_array_equal(back.predict(many_rows, many_ratings)[0], no_information)
    np.testing.assert_allclose(back.predict(many_rows, many_ratings), model.predict(many_rows, many_ratings))
    # the command-line path reads the same directory
    np.testing.assert_allclose(
        load_models(tmp_path).recommender().predict(rows, ratings), model.predict(rows, ratings), rtol=1e-6
    )


def test_without_a_list_ranking_no_ranking_file_is_written_and_lists_follow_the_stars(tmp_path):
    tower, _, _ = parts()
    model = served.ServedModel(0.5, tower.config, offset=3.55, trained=tower)
    model.save(tmp_path)
    assert not (tmp_path / served.RANKING_FILE).exists()
    back = served.ServedModel.load(tmp_path)
    rows, ratings = given()
    top, bottom = back.rank_scores(rows, ratings)
    np.testing.assert_array_equal(top, bottom)
    np.testing.assert_allclose(top, back.predict(rows, ratings), rtol=1e-6)


def test_a_saved_models_rating_spreads_come_back_and_order_its_bottom_list(tmp_path):
    tower, seen, _ = parts()
    spread = np.linspace(0.5, 2.0, 25)
    seen = ranking.SeenScore(seen.weights, seen.popularity, lam=300.0, spread=spread)
    params = ranking.RankingParams(hate_popularity=1.0, hate_chart=0.5, hate_below=2.5, hate_scale=0.5, hate_spread=1.0)
    model = served.ServedModel(0.5, tower.config, offset=3.55, trained=tower, seen=seen, choice={"params": params})
    model.save(tmp_path)
    with np.load(tmp_path / served.RANKING_FILE) as z:
        np.testing.assert_array_equal(z["spread"], spread)
    back = served.ServedModel.load(tmp_path)
    rows, ratings = given()
    np.testing.assert_allclose(back.rank_scores(rows, ratings)[1], model.rank_scores(rows, ratings)[1], rtol=1e-6)
    flat = served.ServedModel(0.5, tower.config, offset=3.55, trained=tower, seen=parts()[1], choice={"params": params})
    assert not np.allclose(flat.rank_scores(rows, ratings)[1], model.rank_scores(rows, ratings)[1])


def test_a_movies_rating_spread_is_its_raters_spread_about_their_own_means_over_the_catalogs():
    from training.coldstart.ratings import CatalogRatings

    # users 0-3 each rate movie 0 at their own mean (consensus) and movie 1 far from it (divisive); movie 3: nobody
    users = np.repeat(np.arange(4), 3)
    rows = np.tile([0, 1, 2], 4)
    values = np.array([3.0, 1.0, 5.0, 3.0, 5.0, 1.0, 4.0, 2.0, 6.0, 4.0, 6.0, 2.0]) - 0.5
    spread = ranking.rating_spread(CatalogRatings.build(users, rows, values, 4), shrink=0.0)
    assert spread[1] > 1.0 > spread[0] and spread[3] == 1.0
    # by hand: user means 3, 3, 4, 4 (less 0.5); movie 0's residuals all 0, movie 1's -2, 2, -2, 2, movie 2's the
    # opposite; pooled variance = (0 + 16 + 16) / (12 - 3)
    pooled = 32.0 / 9.0
    np.testing.assert_allclose(spread[:3], np.sqrt(np.array([0.0, 16.0 / 3, 16.0 / 3]) / pooled))
    shrunk = ranking.rating_spread(CatalogRatings.build(users, rows, values, 4), shrink=1000.0)
    np.testing.assert_allclose(shrunk, 1.0, atol=0.01)  # few raters against many pseudo-ratings: the catalog's


def bottom_table(*rows):
    """(n, 3) [hate@10, bottom rating, chart share] rows."""
    return np.array(rows, dtype=np.float64)


def test_the_bottom_choice_takes_the_best_hate_within_both_limits_and_else_the_candidate_nearest_both():
    table = bottom_table(
        [0.06, 2.3, 0.99],  # the stars alone: the chart's flops
        [0.10, 3.1, 0.15],  # the best hate, its bottom rated too high
        [0.08, 2.5, 0.25],  # within both limits
        [0.07, 2.4, 0.28],  # within both, less hate
    )
    allowed = served._bottom_allowed(table)
    assert allowed.tolist() == [False, True, True, True]
    assert served._bottom_pick(table, allowed) == 2
    # none within both: the nearest, each limit's excess over the limit (0.1/2.6 beats 0.3/2.6 and 0.06/0.3)
    table = bottom_table([0.06, 2.3, 0.99], [0.10, 3.1, 0.15], [0.08, 2.7, 0.25], [0.09, 2.5, 0.36])
    assert served._bottom_pick(table, served._bottom_allowed(table)) == 2
    # the chart limit is kept before the rating: a candidate over it is not nearer for a low rating
    table = bottom_table([0.06, 2.3, 0.99], [0.05, 2.6, 0.31], [0.08, 3.5, 0.25])
    assert served._bottom_pick(table, served._bottom_allowed(table)) == 2


def synthetic_cases(n_users=40, n_movies=30, seed=0, shift=None):
    """Cases of two inner folds at k = 1, 4: people like movies 0-9 (which popularity points at) and dislike the
    rest; the stars rank them backwards, and some disliked ones are the chart's flops (``prior``)."""
    rng = np.random.default_rng(seed)
    cases = []
    for fold in range(2):
        ids = np.arange(fold, 2 * n_users, 2)
        targets = np.where(rng.random((n_users, n_movies)) < 0.5, np.nan, 0.0)
        targets = np.where(np.isnan(targets), targets, np.where(np.arange(n_movies) < 10, 4.5, 1.5))
        targets += np.where(np.isnan(targets), 0, rng.choice([-0.5, 0.0, 0.5], targets.shape))
        popularity = np.linspace(1, 0, n_movies)
        prior = np.where(np.arange(n_movies) >= 25, -1.0, 0.1)
        spread = np.linspace(0.6, 1.6, n_movies)
        for k in (1, 4):
            stars = np.tile(np.linspace(3, 4, n_movies), (n_users, 1)) + rng.normal(0, 0.3, (n_users, n_movies))
            personal = rng.normal(0, 0.1, (n_users, n_movies)) + popularity * rng.random((n_users, 1))
            exclude = np.zeros((n_users, n_movies), dtype=bool)
            exclude[:, 10 + k] = True
            cases.append(served.RankingCase(stars, personal, popularity, prior, exclude, targets, spread, ids))
    return cases


def resampled_rows(cases, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """By hand, what ``choose_ranking`` resamples: each row's case, and each resample's weight of each row (its
    person's count in a seeded multinomial draw of the people)."""
    people = served._case_users(cases)
    n_people = int(np.concatenate(people).max()) + 1
    case_of_row = np.repeat(np.arange(len(cases)), [len(p) for p in people])
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_people, np.full(n_people, 1 / n_people), size=resamples).astype(np.float64)
    return case_of_row, counts[:, np.concatenate(people)]


def test_the_bootstrap_choice_is_the_same_for_one_seed_whatever_the_order_of_the_cases():
    cases = synthetic_cases()
    a = served.choose_ranking(cases, resamples=30, seed=5)
    b = served.choose_ranking(cases[::-1], resamples=30, seed=5)
    c = served.choose_ranking(cases, resamples=30, seed=5)
    for x, y in ((a, b), (a, c)):
        np.testing.assert_allclose(list(x["params"].to_dict().values()), list(y["params"].to_dict().values()))
    assert a["resamples"]["n"] == 30 and a["n_people"] == 80


def test_the_bootstrap_choice_averages_the_candidates_chosen_in_each_resample():
    cases = synthetic_cases()
    picks = served.choose_ranking(cases, resamples=40, seed=1)
    # by hand: the same resamples, the best in each, averaged
    case_of_row, weights = resampled_rows(cases, 40, 1)

    def bottom(c, cand):
        params = ranking.params_of(ranking.TOP_GRID[0], cand)
        _, s = ranking.list_scores(c.stars, c.personal, c.popularity, c.prior, params, spread=c.spread)
        return s, c.targets <= 2.0, np.argsort(c.prior, kind="stable")[:20]

    tables = served._tables(served._per_person(cases, ranking.BOTTOM_GRID, bottom), case_of_row, weights)
    chosen = np.array([ranking.BOTTOM_GRID[served._bottom_pick(t, served._bottom_allowed(t))] for t in tables])
    got = [getattr(picks["params"], f) for f in ranking.BOTTOM_FIELDS]
    np.testing.assert_allclose(got, chosen.mean(axis=0))
    assert picks["resamples"]["sd"]["hate_chart"] == np.float64(chosen[:, 1].std())
    # the averaged parameters are judged on every case like a grid candidate
    assert 0.0 <= picks["chosen"]["chart_share"] <= 1.0 and picks["chosen"]["hate@10"] > 0


def test_the_top_pick_takes_the_least_chart_among_candidates_within_the_tolerance_of_the_best_recall():
    table = np.array(
        [  # [recall@10, hit rating, share of the top 10 from the chart's 20 highest]
            [0.20, 4.30, 0.60],  # the stars alone
            [0.27, 4.32, 0.50],  # the best recall
            [0.26, 4.31, 0.30],  # within 0.015 of it, less of the chart
            [0.25, 4.35, 0.10],  # the least chart, but 0.02 below the best
            [0.265, 4.20, 0.05],  # near and least chart, but its hits are rated below the stars alone's
        ]
    )
    allowed = served._top_allowed(table)
    assert allowed.tolist() == [True, True, True, True, False]
    assert served._top_pick(table, allowed) == 1  # no tolerance: the best recall
    assert served._top_pick(table, allowed, tolerance=0.015) == 2
    assert served._top_pick(table, allowed, tolerance=0.05) == 3
    # the same chart share: the better recall
    table[2, 2] = 0.50
    assert served._top_pick(table, allowed, tolerance=0.015) == 1


def test_the_bootstrap_top_choice_averages_each_resamples_least_chart_pick_within_two_standard_errors():
    cases = synthetic_cases()
    picks = served.choose_ranking(cases, resamples=40, seed=1)
    case_of_row, weights = resampled_rows(cases, 40, 1)

    def top(c, cand):
        params = ranking.params_of(cand, ranking.BOTTOM_GRID[0])
        s, _ = ranking.list_scores(c.stars, c.personal, c.popularity, c.prior, params)
        return -s, c.targets >= 4.0, np.argsort(-c.prior, kind="stable")[:20]

    per = served._per_person(cases, ranking.TOP_GRID, top)
    plain = served._tables(per, case_of_row, np.ones((1, len(case_of_row))))[0]
    tables = served._tables(per, case_of_row, weights)
    best = int(np.argmax(np.where(plain[:, 1] >= plain[0, 1], plain[:, 0], -np.inf)))
    tolerance = 2.0 * tables[:, best, 0].std()
    assert tolerance > 0 and picks["resamples"]["top_tolerance"]["recall@10"] == tolerance
    chosen = []
    for t in tables:
        recall = np.where(t[:, 1] >= t[0, 1], t[:, 0], -np.inf)
        near = np.flatnonzero(recall >= recall.max() - tolerance)
        least = near[t[near, 2] == t[near, 2].min()]
        chosen.append(ranking.TOP_GRID[least[np.argmax(recall[least])]])
    np.testing.assert_allclose(
        [getattr(picks["params"], f) for f in ranking.TOP_FIELDS], served._mean_top(np.array(chosen))
    )
    # with no tolerance, each resample's best recall alone
    best_only = [ranking.TOP_GRID[served._top_pick(t, served._top_allowed(t))] for t in tables]
    assert best_only != chosen


def test_the_top_average_is_the_average_of_the_scores_coefficients():
    picks = np.array([[4.0, 1.0, 0.5], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    gamma, popularity, chart = served._mean_top(picks)
    # gamma * (personal + w * popularity): the coefficients of personal (2) and of popularity (4/3) averaged
    assert gamma == 2.0 and np.isclose(gamma * popularity, 4.0 / 3.0) and chart == 0.5
    assert served._mean_top(np.zeros((2, 3))) == (0.0, 0.0, 0.0)


def tower_check_cases(pull_toward_liked: bool, n_users=60, n_movies=30, seed=3):
    """One case per k: people like movies 0-9; the stars know it a little; the EASE-like personal score
    points at the liked movies (``pull_toward_liked``) or at disliked ones."""
    rng = np.random.default_rng(seed)
    targets = np.where(rng.random((n_users, n_movies)) < 0.6, np.nan, 0.0)
    targets = np.where(np.isnan(targets), targets, np.where(np.arange(n_movies) < 10, 4.5, 1.5))
    popularity = np.full(n_movies, 0.5)
    prior = np.zeros(n_movies)
    aim = np.arange(n_movies) < 10 if pull_toward_liked else np.arange(n_movies) >= 20
    cases = []
    for _k in (1, 4):
        stars = 3.5 + 0.3 * (np.arange(n_movies) < 10) + rng.normal(0, 0.4, (n_users, n_movies))
        personal = np.where(aim, 1.0, 0.0) + rng.normal(0, 0.05, (n_users, n_movies))
        exclude = np.zeros((n_users, n_movies), dtype=bool)
        cases.append(served.RankingCase(stars, personal, popularity, prior, exclude, targets, None, np.arange(n_users)))
    return cases


def recall_by_hand(cases, params):
    """Mean over cases of the mean over people (with a liked target) of liked-in-top-10 / min(10, liked)."""
    per_case = []
    for c in cases:
        top, _ = ranking.list_scores(c.stars, c.personal, c.popularity, c.prior, params)
        shares = []
        for u in range(len(c.stars)):
            liked = np.flatnonzero(c.targets[u] >= 4.0)
            if len(liked):
                best = np.argsort(-top[u], kind="stable")[:10]
                shares.append(np.isin(best, liked).sum() / min(10, len(liked)))
        per_case.append(np.mean(shares))
    return float(np.mean(per_case))


def test_the_tower_check_drops_a_top_choice_that_catches_fewer_liked_movies_and_keeps_one_that_catches_more():
    bottom = {"hate_popularity": 0.5, "hate_chart": 0.3, "hate_below": 2.0, "hate_scale": 0.25, "hate_spread": 1.0}
    chosen = ranking.RankingParams(gamma_top=2.0, popularity_top=0.0, chart_top=0.25, **bottom)
    stars_alone = ranking.RankingParams(**bottom)
    choice = {"params": chosen, "n_cases": 7}

    harmful = tower_check_cases(pull_toward_liked=False)
    dropped = served.check_top(choice, harmful, resamples=300, seed=0)
    check = dropped["tower_check"]
    assert not check["kept"] and check["interval"][1] < 0
    assert dropped["params"] == stars_alone  # the top follows the stars, the bottom's choice stays
    assert dropped["n_cases"] == 7
    assert check["recall@10"] == pytest.approx(recall_by_hand(harmful, chosen))
    assert check["stars_recall@10"] == pytest.approx(recall_by_hand(harmful, stars_alone))
    assert check["difference"] == pytest.approx(check["recall@10"] - check["stars_recall@10"])
    assert check["n_people"] == 60

    helpful = tower_check_cases(pull_toward_liked=True)
    kept = served.check_top(choice, helpful, resamples=300, seed=0)
    assert kept["tower_check"]["kept"] and kept["tower_check"]["difference"] > 0
    assert kept["params"] == chosen
    assert served.check_top(choice, []) is choice  # nothing to check on


def test_the_tower_cases_read_the_towers_stars_and_an_ease_fitted_without_the_judged_users():
    from training.coldstart.ratings import CatalogRatings

    rng = np.random.default_rng(2)
    n_users, n_movies = 50, 30
    users, rows, values = [], [], []
    for u in range(n_users):
        seen = rng.choice(n_movies, 24, replace=False)
        users += [u] * 24
        rows += seen.tolist()
        values += rng.choice([1.0, 3.0, 5.0], 24).tolist()
    train = CatalogRatings.build(np.array(users), np.array(rows), np.array(values), n_movies)
    validation = train.subset(np.arange(40, 50))
    asked = []

    def predict(given_rows, given_ratings):
        asked.append(given_rows.copy())
        return np.linspace(1, 5, n_movies)[None, :] + (given_rows >= 0).sum(axis=1, keepdims=True)  # by k

    prior = np.linspace(-1, 1, n_movies)
    cases = served.tower_cases(train, validation, predict, prior, lam=10.0)
    assert len(cases) == len(asked) == 5  # k = 1, 2, 4, 8, 16
    without = ranking.SeenScore.fit(train.subset(np.arange(40)), lam=10.0)
    with_them = ranking.SeenScore.fit(train, lam=10.0)
    for c, given_rows in zip(cases, asked, strict=True):
        assert set(c.users.tolist()) == set(range(40, 50))
        k = (given_rows >= 0).sum(axis=1, keepdims=True)
        np.testing.assert_array_equal(c.stars, np.linspace(1, 5, n_movies)[None, :] + k)
        np.testing.assert_allclose(c.personal, without.personal(given_rows), rtol=1e-6)
        assert not np.allclose(c.personal, with_them.personal(given_rows), rtol=1e-3)
        np.testing.assert_array_equal(c.prior, prior)
        # no target is a given movie
        assert not (c.exclude & ~np.isnan(c.targets)).any()
    # more validation users than max_users: a seeded sample is judged, every validation user stays out of EASE
    few = served.tower_cases(train, validation, predict, prior, lam=10.0, seed=4, max_users=4)
    judged = set(few[0].users.tolist())
    assert len(judged) == 4 and judged <= set(range(40, 50))
    assert judged == set(served.tower_cases(train, validation, predict, prior, lam=10.0, seed=4, max_users=4)[0].users)
    rows_of = served.newcomers.draw(validation.subset(np.flatnonzero(np.isin(validation.user_ids, sorted(judged)))), 4)
    k1 = rows_of.given(1)[0]
    np.testing.assert_allclose(few[0].personal, without.personal(k1), rtol=1e-6)
