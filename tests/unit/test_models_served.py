"""ServedModel built from its parts, written with save(dir) and read back with load(dir)."""

from __future__ import annotations

import json

import numpy as np

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
        np.testing.assert_allclose(a, b, rtol=1e-6)
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
