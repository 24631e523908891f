"""`ask_next`: the elicitation strategies, the file that carries them, and what the API asks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from screen_genius import api, elicit
from screen_genius.elicit import ElicitationData
from screen_genius.loader import load_model
from screen_genius.manifest import ManifestError, write_manifest
from screen_genius.store import LocalStore
from tests.fixtures.artifacts import build_artifact_set, elicitation_data, movie_id
from training.publish import publish

CATALOG = 40


def published(tmp_path, **kwargs):
    build_artifact_set(tmp_path / "set", catalog_size=CATALOG, **kwargs)
    return load_model(LocalStore(tmp_path / "bucket"), publish(tmp_path / "set", str(tmp_path / "bucket")))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return published(tmp_path_factory.mktemp("ask"))


def small_data(**overrides) -> ElicitationData:
    fields = {
        "n_ratings": np.array([5.0, 9, 9, 1]),
        "p_seen": np.array([0.5, 0.9, 0.9, 0.1]),
        "mean": np.array([3.0, 4, 2, 3.5]),
        "var": np.array([1.0, 0.5, 2, 1]),
        "entropy": np.array([2.0, 1, 1, 3]),
        "features": np.array([[1.0, 0.2], [0.3, 1.0], [-0.5, 0.5], [1.0, 1.0]]),
        "prior_cov": np.array([[0.4, 0.1], [0.1, 0.3]]),
        "noise_var": 0.6,
    }
    return ElicitationData(**{**fields, **overrides})


def test_expected_change_is_p_seen_times_the_expected_squared_move_of_the_bayesian_fold_in():
    data = small_data()
    answered = np.array([0])
    predicted = np.array([3.2, 3.9, 2.5, 3.0])
    got = data.expected_change(answered, predicted)
    f, s2 = data.features, data.noise_var
    for c in range(4):
        # By hand: the posterior after the answers, then the exact Bayesian update for a rating r of c,
        # averaged over r ~ how people rate c (two points with c's variance around c's mean).
        cov = np.linalg.inv(np.linalg.inv(data.prior_cov) + np.outer(f[0], f[0]) / s2)
        moves = []
        for r in data.mean[c] + np.sqrt(data.var[c]) * np.array([-1.0, 1.0]):
            shift = cov @ f[c] * (r - predicted[c]) / (s2 + f[c] @ cov @ f[c])  # posterior mean shift
            moves.append(np.mean((f @ shift) ** 2))
        assert got[c] == pytest.approx(data.p_seen[c] * np.mean(moves), rel=1e-9)


def test_an_answer_makes_similar_movies_less_worth_asking():
    data = small_data(
        features=np.array([[1.0, 0.0], [0.99, 0.05], [0.0, 1.0], [0.0, 0.0]]), p_seen=np.ones(4), var=np.ones(4)
    )
    before = data.expected_change(np.array([], dtype=np.int64))
    after = data.expected_change(np.array([0]))
    assert after[1] / before[1] < 0.6 < after[2] / before[2]  # movie 1 is nearly movie 0; movie 2 is not


def test_popular_and_pop_entropy_scores():
    data = small_data()
    assert list(data.scores("popular", np.array([]))) == [5, 9, 9, 1]
    np.testing.assert_allclose(data.scores("pop_entropy", np.array([])), np.log1p([5, 9, 9, 1]) * [2, 1, 1, 3])
    with pytest.raises(ValueError, match=r"unknown elicitation strategy 'coin'"):
        data.scores("coin", np.array([]))


def test_choose_takes_the_best_scores_skips_excluded_rows_and_breaks_ties_by_row():
    scores = np.array([1.0, 5, 5, 3, 5, 0])
    assert list(elicit.choose(scores, np.array([2]), k=3)) == [1, 4, 3]
    assert list(elicit.choose(scores, np.arange(6), k=3)) == []


def test_choose_unlisted_also_leaves_out_the_listed_movies():
    scores = np.arange(12, dtype=np.float64)  # 11 is the most worth asking
    assert list(elicit.choose_unlisted(scores, np.array([0, 10]), np.array([9, 11]), k=2)) == [8, 7]
    assert elicit.known("expected_change+unlisted") and elicit.known("popular")
    assert not elicit.known("expected_change+listed") and not elicit.known("coin")


def test_elicitation_file_round_trips_and_bad_contents_are_refused():
    data = elicitation_data(CATALOG, 0)
    back = ElicitationData.from_bytes(data.to_bytes())
    for name in ElicitationData.ARRAYS:
        np.testing.assert_array_equal(getattr(back, name), getattr(data, name))
    with pytest.raises(ValueError, match=r"not an \.npz"):
        ElicitationData.from_bytes(b"not a zip")
    with pytest.raises(ValueError, match="finite"):
        small_data(var=np.array([1.0, np.nan, 1, 1]))
    with pytest.raises(ValueError, match="prior_cov"):
        small_data(prior_cov=np.eye(3))


def test_ask_next_is_the_served_strategy_over_unrated_unskipped_unlisted_movies(model):
    pairs = [(movie_id(r), 4.0 + (r % 2)) for r in (0, 3, 8)]
    skipped = [movie_id(1), movie_id(2)]
    answer = api.recommend(model, pairs, skipped)
    rows = np.array([0, 3, 8])
    predicted, _ = model.scorer.predict(rows, np.array([4.0, 5.0, 4.0]))
    scores = np.log1p(model.elicitation.n_ratings) * model.elicitation.entropy  # pop_entropy, by hand
    best, worst = model.scorer.rank(predicted, rows, 10)
    expected = elicit.choose(scores, np.concatenate([[0, 3, 8, 1, 2], best, worst]))
    assert model.ask_strategy == "pop_entropy+unlisted"
    assert [a["movie_id"] for a in answer["ask_next"]] == [movie_id(int(r)) for r in expected]
    assert answer["ask_next"][0] == {
        "movie_id": movie_id(int(expected[0])),
        "title": f"Movie {expected[0]}",
        "year": 1950 + int(expected[0]) % 70,
        "genres": ["Drama"],
    }


def test_ask_next_is_deterministic_and_independent_of_the_order_of_ratings_and_skips(model):
    pairs = [(movie_id(r), 0.5 + r % 10 * 0.5) for r in range(0, 15, 3)]
    skipped = [movie_id(r) for r in range(1, 15, 3)]
    first = api.recommend(model, pairs, skipped)["ask_next"]
    assert first == api.recommend(model, pairs[::-1], skipped[::-1] + skipped[:2])["ask_next"]
    assert len(first) == 10


def test_with_nothing_rated_ask_next_is_the_strategy_over_the_whole_catalog(model):
    answer = api.recommend(model, [], [])
    _predicted, _ = model.scorer.predict(np.zeros(0, np.int64), np.zeros(0))
    expected = elicit.choose(
        np.log1p(model.elicitation.n_ratings) * model.elicitation.entropy,
        np.array([r["movie_id"] for r in answer["top"] + answer["bottom"]]) // 7 - 14,
    )
    assert [a["movie_id"] for a in answer["ask_next"]] == [movie_id(int(r)) for r in expected]
    assert not {a["movie_id"] for a in answer["ask_next"]} & {r["movie_id"] for r in answer["top"] + answer["bottom"]}
    assert answer["used_ratings"] == 0 and len(answer["top"]) == len(answer["bottom"]) == 10


def test_a_set_exported_before_elicitation_asks_the_most_rated_movies_first(tmp_path):
    old = published(tmp_path, elicitation=False)
    answer = api.recommend(old, [(movie_id(1), 4.0)], [movie_id(0)])
    assert [a["movie_id"] for a in answer["ask_next"]] == [movie_id(r) for r in range(2, 12)]


def test_an_elicitation_file_of_the_wrong_catalog_size_is_refused_naming_the_file(tmp_path):
    build_artifact_set(tmp_path / "set", catalog_size=CATALOG)
    (tmp_path / "set" / elicit.FILE).write_bytes(elicitation_data(CATALOG + 1, 0).to_bytes())
    manifest = json.loads((tmp_path / "set" / "manifest.json").read_text())
    manifest.pop("files")
    write_manifest(tmp_path / "set", **manifest)
    version = publish(tmp_path / "set", str(tmp_path / "bucket"))
    with pytest.raises(ManifestError, match=r"elicitation.npz of v1: need 40 movies"):
        load_model(LocalStore(tmp_path / "bucket"), version)


def test_genres_are_lists_in_movies_and_empty_when_the_dataset_has_none(tmp_path):
    build_artifact_set(tmp_path / "set", catalog_size=CATALOG)
    catalog = json.loads((tmp_path / "set" / "catalog.json").read_text())
    catalog[0]["genres"], catalog[1]["genres"], catalog[2]["genres"] = None, "Comedy|Sci-Fi", "(no genres listed)"
    (tmp_path / "set" / "catalog.json").write_text(json.dumps(catalog))
    manifest = json.loads((tmp_path / "set" / "manifest.json").read_text())
    manifest.pop("files")
    write_manifest(tmp_path / "set", **manifest)
    model = load_model(LocalStore(tmp_path / "bucket"), publish(tmp_path / "set", str(tmp_path / "bucket")))
    movies = json.loads(model.movies_json)["movies"]
    assert [m["genres"] for m in movies[:4]] == [[], ["Comedy", "Sci-Fi"], [], ["Drama"]]
    answer = api.recommend(model, [(movie_id(5), 5.0)], [])
    for entry in answer["top"] + answer["bottom"] + answer["ask_next"]:
        assert entry["genres"] == movies[(entry["movie_id"] - 101) // 7]["genres"]


def with_strategy(tmp_path, strategy):
    build_artifact_set(tmp_path / "set", catalog_size=CATALOG)
    manifest = json.loads((tmp_path / "set" / "manifest.json").read_text())
    manifest.pop("files")
    manifest["serving"] = {"ask_next": strategy}
    write_manifest(tmp_path / "set", **manifest)
    return LocalStore(tmp_path / "bucket"), publish(tmp_path / "set", str(tmp_path / "bucket"))


def test_the_manifest_names_the_strategy_and_an_unknown_one_is_refused(tmp_path):
    model = load_model(*with_strategy(tmp_path / "a", "expected_change"))
    rows = np.array([0, 3])
    predicted, _ = model.scorer.predict(rows, np.array([5.0, 1.0]))
    answer = api.recommend(model, [(movie_id(0), 5.0), (movie_id(3), 1.0)], [])
    expected = elicit.choose(model.elicitation.expected_change(rows, predicted), rows)
    assert [a["movie_id"] for a in answer["ask_next"]] == [movie_id(int(r)) for r in expected]
    with pytest.raises(ManifestError, match=r"serving\.ask_next 'coin'"):
        load_model(*with_strategy(tmp_path / "b", "coin"))


def test_unlisted_n_names_how_many_top_movies_the_cards_leave_out():
    assert elicit.unlisted_top("popular") == 0 and elicit.unlisted_top("popular+unlisted") == elicit.LISTED
    assert elicit.unlisted_top("tree_change+unlisted40") == 40
    for bad in ("tree_change+unlisted5", "tree_change+unlisted999", "tree_change+unlistedx", "tree_change+listed40"):
        assert elicit.unlisted_top(bad) == -1 and not elicit.known(bad)
    assert elicit.known(elicit.SERVED) and elicit.known("seen_change+unlisted40")


def test_unlisted_n_leaves_the_top_n_the_list_ranking_chooses_out_of_the_cards(tmp_path):
    build_artifact_set(tmp_path / "set", catalog_size=CATALOG)
    manifest = json.loads((tmp_path / "set" / "manifest.json").read_text())
    manifest.pop("files")
    manifest["serving"] = {**manifest.get("serving", {}), "ask_next": "pop_entropy+unlisted20"}
    write_manifest(tmp_path / "set", **manifest)
    model = load_model(LocalStore(tmp_path / "bucket"), publish(tmp_path / "set", str(tmp_path / "bucket")))
    assert model.ask_unlisted_top == 20
    pairs = [(movie_id(r), 4.0 + (r % 2)) for r in (0, 3, 8)]
    answer = api.recommend(model, pairs, [movie_id(1), movie_id(2)])
    rows = np.array([0, 3, 8])
    predicted, _ = model.scorer.predict(rows, np.array([4.0, 5.0, 4.0]))
    best, worst, deep = model.scorer.rank_deep(predicted, rows, 10, 20)
    assert len(deep) == 20 and set(deep[:10].tolist()) == set(best.tolist())  # the top list is the deep list's head
    assert [r["movie_id"] for r in answer["top"]] == [movie_id(int(r)) for r in best]
    scores = np.log1p(model.elicitation.n_ratings) * model.elicitation.entropy
    expected = elicit.choose(scores, np.concatenate([[0, 3, 8, 1, 2], deep, worst]))
    left_out = {0, 3, 8, 1, 2} | set(deep.tolist()) | set(worst.tolist())
    assert len(expected) == CATALOG - len(left_out) < 10  # every movie not rated, skipped, in the top 20 or bottom 10
    assert [a["movie_id"] for a in answer["ask_next"]] == [movie_id(int(r)) for r in expected]
