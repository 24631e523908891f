"""The adaptive `ask_next` strategies: a personal P(seen) from the answers, tilted by how they were rated."""

from __future__ import annotations

import numpy as np
import pytest

from screen_genius import elicit
from screen_genius.elicit import ElicitationData
from training.coldstart.ratings import CatalogRatings
from training.evaluation.elicitation import seen_space

N = 41  # movie 0, then two clusters: 1..20 and 21..40


def clustered_train(n_users: int = 200, seed: int = 0) -> CatalogRatings:
    """Training users who each watch one cluster (and movie 0): knowing one cluster's movie tells the other's."""
    rng = np.random.default_rng(seed)
    users, rows = [], []
    for u in range(n_users):
        cluster = np.arange(1, 21) if u % 2 else np.arange(21, 41)
        seen = [0, *rng.choice(cluster, 12, replace=False).tolist()]
        users += [u] * len(seen)
        rows += seen
    ratings = rng.choice([1.0, 3.0, 5.0], len(rows))
    return CatalogRatings.build(np.array(users), np.array(rows), ratings, N)


def clustered_data(**overrides) -> ElicitationData:
    """Every movie alike but for its cluster: same popularity, entropy and mean, features along the cluster axis."""
    train = clustered_train()
    features = np.zeros((N, 2))
    features[1:21, 0], features[21:, 1], features[0] = 1.0, 1.0, [0.5, 0.5]
    fields = {
        "n_ratings": np.full(N, 100.0),
        "p_seen": np.full(N, 0.5),
        "mean": np.full(N, 3.0),
        "var": np.ones(N),
        "entropy": np.ones(N),
        "features": features,
        "prior_cov": np.eye(2) * 0.3,
        "noise_var": 0.8,
        **seen_space(train, rank=4),
    }
    return ElicitationData(**{**fields, **overrides})


def test_seen_space_round_trips_through_the_file_and_older_files_still_load():
    data = clustered_data()
    back = ElicitationData.from_bytes(data.to_bytes())
    np.testing.assert_array_equal(back.seen_vectors, data.seen_vectors)
    assert back.seen_noise == data.seen_noise
    older = ElicitationData(**{k: getattr(data, k) for k in ElicitationData.ARRAYS})
    old = ElicitationData.from_bytes(older.to_bytes())  # a set exported before the seen space
    assert old.seen_mean.shape == (0,)
    np.testing.assert_array_equal(old.seen(np.array([1, 2]), np.array([3])), old.p_seen)


def test_rating_a_movie_of_one_cluster_makes_its_cluster_likelier_seen_and_skips_make_it_less():
    data = clustered_data()
    p = data.seen(np.array([3, 5]), np.array([], np.int64))  # rated two movies of cluster 1..20
    assert p[6:21].min() > 0.5 > p[21:].max()
    after_skips = data.seen(np.array([3, 5]), np.arange(6, 12))  # and skipped six more of it
    assert after_skips[12:21].mean() < p[12:21].mean()


def test_scores_do_not_depend_on_the_order_of_the_answers_even_in_the_last_bit():
    data = clustered_data()
    rng = np.random.default_rng(1)
    rated, skipped = np.array([0, 3, 25, 7, 30]), np.array([2, 22, 9, 40])
    predicted = rng.uniform(1, 5, N)
    want = data.scores("taste_change", rated, predicted, skipped)
    for _ in range(5):
        got = data.scores("taste_change", rng.permutation(rated), predicted, rng.permutation(skipped))
        np.testing.assert_array_equal(got, want)
    assert np.array_equal(data.scores("taste_change", rated, predicted, skipped), want)  # and again: deterministic


@pytest.mark.parametrize("strategy", elicit.ADAPTIVE)
def test_cards_leave_out_rated_skipped_and_listed_movies(strategy):
    data = clustered_data()
    rated, skipped, listed = np.array([1, 2, 3]), np.array([4, 5, 21]), np.array([6, 7, 22, 23])
    scores = data.scores(strategy, rated, np.full(N, 3.0), skipped)
    cards = elicit.choose_unlisted(scores, np.concatenate([rated, skipped]), listed)
    assert len(cards) == elicit.ASK_K and len(set(cards.tolist())) == elicit.ASK_K
    assert not set(cards.tolist()) & {1, 2, 3, 4, 5, 21, 6, 7, 22, 23}


def fold_in_stars(data: ElicitationData, row: int, rating: float) -> np.ndarray:
    """The fixture's model: the Bayesian fold-in of one rating in the taste space (what the served model does)."""
    f = data.features
    cov = data.prior_cov
    theta = cov @ f[row] * (rating - data.mean[row]) / (data.noise_var + f[row] @ cov @ f[row])
    return data.mean + f @ theta


def test_a_five_and_a_one_for_the_same_movie_lead_to_different_cards():
    # Movie 0 sits between the clusters, so the seen space learns nothing from rating it; its features lean
    # to cluster 1..20, so a 5 predicts that cluster above its mean and 21..40 below, and a 1 the reverse.
    features = np.zeros((N, 2))
    features[1:21, 0], features[21:, 1], features[0] = 1.0, 1.0, [1.0, -1.0]
    data = clustered_data(features=features)
    rated = np.array([0])
    cards = {}
    for rating in (5.0, 1.0):
        predicted = fold_in_stars(data, 0, rating)
        cards[rating] = set(elicit.choose(data.scores("taste_entropy", rated, predicted), rated).tolist())
    assert cards[5.0] <= set(range(1, 21)) and cards[1.0] <= set(range(21, 41))  # each asks its own side
    assert not cards[5.0] & cards[1.0]


def test_without_the_taste_tilt_the_stars_do_not_move_the_seen_part():
    data = clustered_data()
    low, high = np.full(N, 1.0), np.full(N, 5.0)
    np.testing.assert_array_equal(
        data.scores("seen_entropy", np.array([3]), low), data.scores("seen_entropy", np.array([3]), high)
    )


def test_the_taste_tilt_is_measured_from_the_stars_of_a_person_the_model_knows_nothing_about():
    data = clustered_data()
    reference = np.random.default_rng(2).uniform(2, 4, N)  # no answers: predicted == reference, no tilt
    for info in ("static", "entropy", "change"):
        np.testing.assert_allclose(
            data.scores(f"taste_{info}", np.array([], np.int64), reference, None, reference),
            data.scores(f"seen_{info}", np.array([], np.int64), reference, None, reference),
        )


def test_choose_takes_the_k_best_with_ties_to_the_lower_row_however_many_movies():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 5, 500).astype(np.float64)  # many ties
    exclude = rng.choice(500, 60, replace=False)
    keep = np.setdiff1d(np.arange(500), exclude)
    want = keep[np.lexsort((keep, -scores[keep]))[: elicit.ASK_K]]
    np.testing.assert_array_equal(elicit.choose(scores, exclude), want)


def test_the_function_serves_an_adaptive_strategy_named_in_the_manifest(tmp_path):
    import json

    from screen_genius import api
    from screen_genius.loader import load_model
    from screen_genius.manifest import write_manifest
    from screen_genius.store import LocalStore
    from tests.fixtures.artifacts import build_artifact_set, elicitation_data, movie_id
    from training.publish import publish

    build_artifact_set(tmp_path / "set", catalog_size=N)
    base = elicitation_data(N, 0)
    fields = {k: getattr(base, k) for k in ElicitationData.ARRAYS}
    (tmp_path / "set" / elicit.FILE).write_bytes(
        ElicitationData(**fields, **seen_space(clustered_train(), 4)).to_bytes()
    )
    manifest = json.loads((tmp_path / "set" / "manifest.json").read_text())
    manifest.pop("files")
    manifest["serving"] = {**manifest.get("serving", {}), "ask_next": "taste_static+unlisted"}
    write_manifest(tmp_path / "set", **manifest)
    model = load_model(LocalStore(tmp_path / "bucket"), publish(tmp_path / "set", str(tmp_path / "bucket")))
    assert model.ask_strategy == "taste_static+unlisted"
    pairs = [(movie_id(r), 1.0 + r % 5) for r in (3, 5, 7, 30)]
    skipped = [movie_id(r) for r in (1, 2, 25)]
    answer = api.recommend(model, pairs, skipped)
    asked = [a["movie_id"] for a in answer["ask_next"]]
    assert asked == [a["movie_id"] for a in api.recommend(model, pairs[::-1], skipped[::-1])["ask_next"]]
    listed = {r["movie_id"] for r in answer["top"] + answer["bottom"]}
    assert len(set(asked)) == 10 and not set(asked) & (listed | {m for m, _ in pairs} | set(skipped))
