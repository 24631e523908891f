"""The ask_next simulation: simulated people, the per-movie data export ships, the metrics and the merge."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from screen_genius.scale import HALF_STARS
from training.coldstart import newcomers
from training.coldstart.ratings import CatalogRatings
from training.evaluation import elicitation
from training.evaluation.elicitation import Person, elicitation_data, list_metrics, merge_folds, simulate

N_MOVIES = 30


def random_ratings(n_users: int, seed: int, per_user=(22, 28)) -> CatalogRatings:
    rng = np.random.default_rng(seed)
    users, rows, ratings = [], [], []
    for u in range(n_users):
        k = int(rng.integers(*per_user))
        # popular movies (low rows) are rated more often, as in a real catalog
        picks = rng.choice(
            N_MOVIES, k, replace=False, p=np.linspace(2, 1, N_MOVIES) / np.linspace(2, 1, N_MOVIES).sum()
        )
        users += [1000 + u] * k
        rows += list(picks)
        ratings += list(rng.choice(HALF_STARS.points(), k))
    return CatalogRatings.build(np.array(users), np.array(rows), np.array(ratings), N_MOVIES)


def vectors(seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(0, 0.3, (N_MOVIES, 16)).astype(np.float32)
    v[:, 15] = 1.0  # Model 1's layout: [q (14), b_movie, 1]
    return v


class SpyModel:
    """A cold-start model that predicts each movie's mean and records every input it is given."""

    def __init__(self):
        self.inputs = []

    def predict(self, given_rows, given_ratings):
        self.inputs.append((np.array(given_rows), np.array(given_ratings)))
        rows = np.asarray(given_rows)
        bias = np.where(rows >= 0, np.asarray(given_ratings) - 3.5, 0).sum(1) / 10.0
        return 3.0 + np.arange(N_MOVIES)[None, :] / N_MOVIES + bias[:, None]


def test_per_movie_statistics_match_a_hand_count():
    train = CatalogRatings.build(np.array([1, 2, 3, 1]), np.array([0, 0, 0, 1]), np.array([1.0, 3.0, 5.0, 4.0]), 3)
    data = elicitation_data(train, vectors()[:3], 3.5, HALF_STARS)
    assert list(data.n_ratings) == [3, 1, 0]
    np.testing.assert_allclose(data.p_seen, [1.0, 1 / 3, 0.0])
    np.testing.assert_allclose(data.mean[:2], [3.0, 4.0])
    np.testing.assert_allclose(data.var[:2], [8 / 3, 0.0])
    np.testing.assert_allclose(data.entropy, [np.log2(3), 0.0, 0.0])  # three different ratings, one rating, none
    assert data.features.shape == (3, 15) and data.prior_cov.shape == (15, 15) and data.noise_var > 0
    np.testing.assert_array_equal(data.features[:, 14], 1.0)  # the constant column carries the user bias


def test_a_simulated_person_rates_only_what_they_rated_skips_the_rest_and_stops_at_16():
    rows = np.arange(0, 40, 2)  # rated the even rows
    person = Person(7, rows, np.full(20, 4.0, np.float32))
    person.answer(np.array([0, 1, 2, 3]))
    assert person.answered == [0, 2] and person.skipped == [1, 3] and not person.done
    person.answer(np.arange(4, 40))  # 18 more rated movies shown: only 14 fit under 16
    assert len(person.answered) == 16 and person.done and person.answered[-1] == 30
    assert 32 not in person.skipped  # seen but past the cap: neither answered nor skipped
    remaining_rows, _ = person.remaining()
    assert list(remaining_rows) == [32, 34, 36, 38]


def test_metrics_by_hand():
    predicted = np.arange(30, dtype=np.float64)  # the top 10 are rows 20..29, the bottom 10 rows 0..9
    rows = np.array([0, 1, 25, 26, 15])
    ratings = np.array([1.0, 2.0, 4.0, 5.0, 4.5])
    m = list_metrics(predicted, np.array([29]), rows, ratings)
    assert m["recall"] == pytest.approx(2 / 3) and m["hate"] == 1.0
    err = predicted[rows] - ratings
    assert m["sse"] == pytest.approx(err @ err) and m["n"] == 5
    every_liked = list_metrics(predicted, np.array([], np.int64), np.arange(15, 30), np.full(15, 5.0))
    assert every_liked["recall"] == 1.0 and every_liked["hate"] is None  # 10 of 15 liked found: min(10, 15)


def test_the_model_only_ever_sees_answers_the_person_really_gave_never_a_movie_they_did_not_rate():
    test = random_ratings(12, seed=1)
    data = elicitation_data(random_ratings(40, seed=2), vectors(), 3.5, HALF_STARS)
    spy = SpyModel()
    simulate(
        spy, data, test, strategies=("random", "expected_change+unlisted", "taste_static+unlisted"), scale=HALF_STARS
    )
    truth = {
        (int(test.user_ids[u]), int(r)): float(v)
        for u in range(test.n_users)
        for r, v in zip(*test.user(u), strict=False)
    }
    users = newcomers.eligible(test)
    strategy_inputs = [x for x in spy.inputs if x[0].shape == (len(users), 16)]
    assert strategy_inputs
    for rows, ratings in strategy_inputs:
        for i, u in enumerate(users):
            given = rows[i] >= 0
            assert given.sum() <= 16
            for r, v in zip(rows[i][given], ratings[i][given], strict=False):
                assert truth[(int(test.user_ids[u]), int(r))] == v


def test_each_round_shows_new_movies_and_answers_grow_to_at_most_16():
    test = random_ratings(10, seed=3)
    data = elicitation_data(random_ratings(40, seed=4), vectors(), 3.5, HALF_STARS)
    out = simulate(SpyModel(), data, test, scale=HALF_STARS)
    assert out["n_users"] == 10
    for strategy in elicitation.STRATEGIES:
        rounds = out[strategy]["rounds"]
        assert len(rounds) == elicitation.ROUNDS + 1 and rounds[0]["answers"] == 0
        answers = [r["answers"] for r in rounds]
        shown = [r["shown"] for r in rounds]
        assert answers == sorted(answers) and answers[-1] <= 16
        assert all(b - a <= 10 for a, b in itertools.pairwise(shown))  # at most 10 a round, never one twice
        assert all(0 <= r["remaining"]["recall@10"] <= 1 and r["remaining"]["rmse"] > 0 for r in rounds)


def test_the_simulation_is_deterministic():
    test, train = random_ratings(8, seed=5), random_ratings(30, seed=6)
    data = elicitation_data(train, vectors(), 3.5, HALF_STARS)
    assert simulate(SpyModel(), data, test, scale=HALF_STARS) == simulate(SpyModel(), data, test, scale=HALF_STARS)


def test_folds_merge_weighted_by_their_users():
    def fold(n, x):
        metrics = {"rmse": x, "recall@10": x, "hate@10": x}
        return {
            "n_users": n,
            "s": {"rounds": [{"round": 0, "answers": x, "shown": x, "remaining": metrics, "common": metrics}]},
            "reference_16_random": {"answers": 16.0, "remaining": metrics, "common": metrics},
        }

    merged = merge_folds([fold(1, 1.0), fold(3, 2.0)])
    assert merged["n_users"] == 4
    assert merged["s"]["rounds"][0]["remaining"]["rmse"] == pytest.approx(1.75)
    assert merged["reference_16_random"]["common"]["recall@10"] == pytest.approx(1.75)


def test_the_report_writes_the_plot_and_both_tables_marking_the_served_strategy(tmp_path):
    from training.evaluation import command_elicit

    test, train = random_ratings(8, seed=7), random_ratings(30, seed=8)
    fold = simulate(SpyModel(), elicitation_data(train, vectors(), 3.5, HALF_STARS), test, scale=HALF_STARS)
    served = elicitation.elicit.SERVED
    results = {
        "dataset": "test",
        "results": merge_folds([fold]),
        "protocol": {
            "description": "a <test> protocol",
            "n_folds": 1,
            "folds_run": [0],
            "ensemble": 1,
            "quick": True,
            "served": served,
        },
    }
    results["intervals"] = command_elicit.intervals(results["results"])
    command_elicit.write(results, tmp_path)
    assert (tmp_path / "elicitation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "elicitation_rounds.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(results["intervals"]["taste_static+unlisted"]["2"]) == {
        "answers",
        "rmse",
        "recall",
        "found",
        "common_rmse",
        "common_recall",
    }
    assert "| taste_static+unlisted | 2 |" in (tmp_path / "elicitation.md").read_text()
    assert json.loads((tmp_path / "elicitation.json").read_text())["protocol"]["served"] == served
    page = (tmp_path / "elicitation.html").read_text()
    assert page.startswith('<section id="elicitation">') and "a &lt;test&gt; protocol" in page
    assert page.count("<table>") == 3 and f"{served} (served)" in page
    assert "16 random ratings (today)" in (tmp_path / "elicitation.md").read_text()


def test_paired_intervals_are_zero_against_itself_and_exclude_zero_for_a_uniform_gain():
    base = {"sse": [4.0, 9.0, 1.0, 2.0] * 5, "n": [4, 9, 2, 2] * 5, "recall": [0.1, None, 0.3, 0.2] * 5}
    assert elicitation.paired_interval(base, base, "rmse") == (0.0, 0.0, 0.0)
    better = {"sse": [x * 0.81 for x in base["sse"]], "n": base["n"], "recall": [0.2, 0.5, 0.4, None] * 5}
    d, low, high = elicitation.paired_interval(better, base, "rmse")
    assert d == pytest.approx(-0.1 * np.sqrt(sum(base["sse"]) / sum(base["n"]))) and low <= d <= high < 0
    d, low, high = elicitation.paired_interval(better, base, "recall")  # people with recall in both: 2 of 4
    assert d == pytest.approx(0.1) and 0 < low <= high


def test_simulation_keeps_each_persons_metrics_in_the_order_of_its_users():
    test, train = random_ratings(8, seed=9), random_ratings(30, seed=10)
    data = elicitation_data(train, vectors(), 3.5, HALF_STARS)
    out = simulate(
        SpyModel(), data, test, strategies=("pop_entropy+unlisted", "taste_static+unlisted"), scale=HALF_STARS
    )
    for s in ("pop_entropy+unlisted", "taste_static+unlisted"):
        per_user, rounds = out[s]["per_user"], out[s]["rounds"]
        assert len(per_user) == len(rounds) and len(per_user[2]["answers"]) == out["n_users"] == len(out["user_ids"])
        assert np.mean(per_user[2]["answers"]) == pytest.approx(rounds[2]["answers"])
        assert per_user[-1]["found"] == [1.0] * out["n_users"]  # the eventual top 10 is the last round's


def test_unlisted_n_leaves_the_persons_top_n_and_bottom_10_off_the_simulated_cards():
    data = elicitation_data(random_ratings(40, seed=2), vectors(), 3.5, HALF_STARS)
    person = Person(1, np.arange(N_MOVIES), np.full(N_MOVIES, 4.0, np.float32))
    stars = np.arange(N_MOVIES, dtype=np.float32)  # the top 10 are rows 20..29, the top 15 rows 15..29
    top, bottom = stars.copy(), stars.copy()
    shown = lambda strategy: set(elicitation.shown_next(strategy, data, person, (stars, top, bottom), 1, 0).tolist())
    assert shown("popular+unlisted") == set(range(10, 20))
    assert shown("popular+unlisted15") == set(range(10, 15))  # only five movies are neither listed nor left out
    bottom = -stars  # the bottom 10 by its own scores: rows 20..29, the top 15's movies among them
    free = np.arange(15)  # the top 15 (15..29) and this bottom (20..29) left out: the 10 most rated of 0..14 asked
    assert shown("popular+unlisted15") == set(free[np.lexsort((free, -data.n_ratings[free]))][:10].tolist())
    with pytest.raises(ValueError, match="unknown rule"):
        shown("popular+listed15")
