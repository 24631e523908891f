"""Ranking choice, taste-contrast profiles, targets and the evaluation report, on small made-up inputs."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd

from screen_genius.scale import HALF_STARS
from training.coldstart.ratings import CatalogRatings
from training.evaluation import command, contrast, crossval, report
from training.models import ranking, served


def _catalog(genres):
    n = len(genres)
    return pd.DataFrame(
        {
            "movie_id": np.arange(100, 100 + n),
            "title": [f"Movie {i}" for i in range(n)],
            "year": pd.array([2000] * n, dtype="Int16"),
            "genres": genres,
        }
    )


def test_mirror_profiles_love_one_genre_hate_the_other_and_swap():
    genres = ["Action"] * 10 + ["Romance"] * 10 + ["Action|Romance"] * 3
    profiles = contrast.profiles(_catalog(genres), HALF_STARS, pairs=(("Action", "Romance"), ("Horror", "Comedy")))
    assert len(profiles) == 1  # no Horror or Comedy movies: that pair is skipped
    p = profiles[0]
    assert p["rows"].tolist() == list(range(8)) + list(range(10, 18))  # most-rated first, never both genres
    assert p["ratings"].tolist() == [5.0] * 8 + [0.5] * 8
    assert p["mirror_ratings"].tolist() == [0.5] * 8 + [5.0] * 8


def test_no_genres_no_profiles():
    assert contrast.profiles(_catalog([None] * 30), HALF_STARS) == []


class Fixed:
    """Stars = a fixed vector for everyone; rank_scores optional."""

    def __init__(self, name, stars):
        self.name, self.stars = name, np.asarray(stars, dtype=np.float64)

    def predict(self, rows, values):
        return np.tile(self.stars, (len(rows), 1))


def test_contrast_reports_overlap_one_for_a_model_that_ignores_the_person():
    genres = ["Action"] * 10 + ["Romance"] * 10 + ["Drama"] * 20
    stars = np.linspace(1, 5, 40)
    entry = contrast.contrast([Fixed("chart", stars)], _catalog(genres), HALF_STARS)[0]
    m = entry["models"]["chart"]
    assert m["top_overlap"] == 1.0 and m["bottom_overlap"] == 1.0
    assert m["top"][0] == "Movie 39"


def ratings_for(n_users=60, n_movies=30, seed=0):
    rng = np.random.default_rng(seed)
    users, rows, values = [], [], []
    for u in range(n_users):
        picked = rng.choice(n_movies, 25, replace=False)
        users += [u] * 25
        rows += picked.tolist()
        values += np.where(picked < 10, 5.0, 1.0).tolist()  # movies 0-9 loved by all, the rest disliked
    return CatalogRatings.build(np.array(users), np.array(rows), np.array(values), n_movies)


def _cases(validation, stars, popularity):
    from training.coldstart import newcomers

    draw = newcomers.draw(validation, 0)
    targets = newcomers.dense(draw.targets)
    out = []
    for k in (1, 4, 16):
        rows, _values = draw.given(k)
        out.append(
            (
                np.tile(stars, (len(rows), 1)),
                np.zeros((len(rows), 30)),
                popularity,
                np.zeros(30),
                newcomers.given_mask(rows, 30),
                targets,
            )
        )
    return out


def test_ranking_choice_takes_a_better_recall_that_keeps_the_hit_rating_of_the_stars_alone():
    # stars rank the disliked movies 10-29 on top; popularity points at the loved movies 0-9
    cases = _cases(ratings_for(), np.linspace(3, 4, 30), np.linspace(1, 0, 30))
    choice = served.choose_ranking(cases)
    base = choice["top_table"][str(ranking.TOP_GRID[0])]
    chosen = choice["params"]
    picked = choice["top_table"][str((chosen.gamma_top, chosen.popularity_top, chosen.chart_top))]
    assert picked["hit_rating"] >= base["hit_rating"]
    assert picked["recall@10"] > base["recall@10"]
    assert chosen.popularity_top == 1.0 and chosen.gamma_top > 0


def test_of_near_equal_candidates_the_choice_takes_the_simplest_and_of_a_clear_winner_the_winner():
    simple = np.array([0.50, 0.52, 0.48, 0.51])
    noisy_better = np.array([0.55, 0.49, 0.50, 0.52])  # 0.0125 better on average, 0.017 standard error
    assert served._one_standard_error({(0.0,): simple, (1.0,): noisy_better}, [(0.0,), (1.0,)]) == (0.0,)
    clearly_better = simple + 0.05
    assert served._one_standard_error({(0.0,): simple, (1.0,): clearly_better}, [(0.0,), (1.0,)]) == (1.0,)
    # only allowed candidates count
    assert served._one_standard_error({(0.0,): simple, (1.0,): clearly_better}, [(0.0,)]) == (0.0,)


def test_bottom_choice_takes_a_better_hate_whose_bottom_10_is_not_the_charts_flops():
    # the stars put movies 20-29 lowest and the chart puts movies 10-29 low; the people dislike movies 0-9,
    # acclaimed ones they watch, which the stars put low too (below the median, where a bottom list may look)
    validation = ratings_for()
    rows = np.arange(30)
    stars = np.where(rows < 10, 2.0, np.where(rows < 20, 3.5, 1.5))
    cases = _cases(validation, stars, np.linspace(1, 0, 30))
    prior = np.where(rows < 10, 1.0, -0.5)
    cases = [
        (s, p, pop, prior, e, np.where(np.isnan(t), t, np.where(np.arange(30) < 10, 1.0, 4.5)))
        for s, p, pop, _, e, t in cases
    ]
    choice = served.choose_ranking(cases)
    chosen = choice["params"]
    picked = choice["bottom_table"][str(tuple(getattr(chosen, f) for f in ranking.BOTTOM_FIELDS))]
    stars_alone = choice["bottom_table"][str(ranking.BOTTOM_GRID[0])]
    assert stars_alone["chart_share"] > ranking.MAX_BOTTOM_CHART  # the stars alone give the flops
    assert picked["chart_share"] <= ranking.MAX_BOTTOM_CHART
    assert picked["hate@10"] > stars_alone["hate@10"] and chosen.hate_scale > 0


def test_ranking_choice_without_cases_ranks_by_stars():
    assert served.choose_ranking([])["params"] == ranking.RankingParams()


def test_fold_in_stars_with_nothing_given_are_the_item_means():
    from training.models import movie_factors

    v = np.random.default_rng(0).normal(size=(30, 16)).astype(np.float32)
    v[:, 15] = 1.0
    stars = movie_factors.fold_in_stars(v, 3.5, np.full((2, 4), -1), np.zeros((2, 4)))
    np.testing.assert_allclose(stars, np.tile(3.5 + v[:, 14], (2, 1)), rtol=1e-6)


def test_report_marks_targets_and_writes_tables(tmp_path):
    train, test = ratings_for(seed=1), ratings_for(n_users=20, seed=2)
    test = CatalogRatings(test.user_ids + 1000, test.indptr, test.rows, test.ratings, test.n_items)
    good = Fixed("user_tower", np.r_[np.linspace(5, 4, 10), np.linspace(2, 1, 20)])
    bad = Fixed("item_mean", np.linspace(1, 5, 30))
    result = crossval.evaluate_splits([(0, train, test)], lambda tr, f: [good, bad], 1, ks=(2, 4, 16))
    ds = SimpleNamespace(info={"name": "made-up"}, catalog=_catalog(["Drama"] * 30), rating_scale=HALF_STARS)
    metrics = command.assemble(ds, result, "split", [good, bad], {"n_subsets": 1}, {}, True, 0.0)
    by_target = {t["target"]: t for t in metrics["targets"]}
    assert by_target["best recall@10 among the rating predictors at every k >= 2"]["met"]
    chart = by_target["at k = 16, at most 30% of a top 10 from the 20 highest-mean movies"]
    assert chart["met"] is False and float(chart["detail"]) > 0.3  # its top 10 is the loved chart
    path = report.write_report(metrics, {}, tmp_path)
    html = path.read_text()
    assert "Targets: what the served model is held to" in html and "Taste contrast" in html
    assert "class=missed" in html and "class=met" in html
    assert (tmp_path / "metrics_vs_k.png").stat().st_size > 0 and (tmp_path / "tradeoff.png").exists()
    md = (tmp_path / "results.md").read_text()
    assert "| **user_tower** |" in md and "| item_mean |" in md
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["cold_start"]["user_tower"]["16"]["recall@10"] > saved["cold_start"]["item_mean"]["16"]["recall@10"]
