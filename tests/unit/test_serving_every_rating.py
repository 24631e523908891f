"""Every rating counts: no ratings give the no-information stars; past 16, one fold-in reads them all."""

from __future__ import annotations

import numpy as np
import pytest

from screen_genius import api, features, fold_in
from screen_genius.loader import ManifestError, load_model
from screen_genius.store import LocalStore
from tests.fixtures.artifacts import OFFSET, build_artifact_set, movie_id, no_information_stars
from training.publish import publish

CATALOG = 40
PAST = {"reg": 6.0, "half": 12.0}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("every")
    build_artifact_set(tmp / "set", catalog_size=CATALOG, n_subsets=2, no_information=True, past_sixteen=PAST)
    return load_model(LocalStore(tmp / "bucket"), publish(tmp / "set", str(tmp / "bucket")))


def textbook_fold_in(vectors, rows, ratings, reg):
    """The ridge fold-in by an augmented least-squares solve: [A; sqrt(reg) I] z = [e; 0]."""
    v = vectors.astype(np.float64)
    a = np.concatenate([v[rows, :14], np.ones((len(rows), 1))], axis=1)
    e = ratings - OFFSET - v[rows, 14]
    z = np.linalg.lstsq(np.vstack([a, np.sqrt(reg) * np.eye(15)]), np.concatenate([e, np.zeros(15)]), rcond=None)[0]
    return OFFSET + v[:, 14] + v[:, :14] @ z[:14] + z[14]


def some_ratings(k, seed):
    rng = np.random.default_rng(seed)
    return rng.permutation(CATALOG)[:k], rng.choice(np.arange(0.5, 5.5, 0.5), k)


def test_with_no_ratings_the_answer_is_the_no_information_prediction(model):
    answer = api.recommend(model, [])
    stars = np.clip(no_information_stars(CATALOG, 0), 0.5, 5.0)
    shown = {rec["movie_id"]: rec["predicted_rating"] for rec in answer["top"] + answer["bottom"]}
    assert shown and all(v == round(float(stars[(m - 101) // 7]), 3) for m, v in shown.items())
    assert answer["used_ratings"] == 0


def test_past_16_the_stars_blend_the_towers_subsets_with_one_fold_in_on_every_rating(model):
    for k in (17, 30, 40):
        rows, ratings = some_ratings(k, seed=k)
        sub_rows, sub_ratings = features.choose_subsets(rows, ratings, 2)
        tower = model.scorer.tower(features.user_matrices(model.scorer.movie_vectors, sub_rows, sub_ratings, OFFSET))
        w = (k - 16) / (k - 16 + PAST["half"])
        every = textbook_fold_in(model.scorer.movie_vectors, rows, ratings, PAST["reg"])
        expected = np.clip((1 - w) * tower.mean(axis=0) + w * every, 0.5, 5.0)
        predicted, used = model.scorer.predict(rows, ratings)
        np.testing.assert_allclose(predicted, expected, atol=1e-4)
        assert used == k


def test_up_to_16_ratings_the_tower_alone_gives_the_stars(model):
    rows, ratings = some_ratings(16, seed=2)
    x = features.request_inputs(model.scorer.movie_vectors, rows, ratings, OFFSET, 2)
    np.testing.assert_allclose(
        model.scorer.predict(rows, ratings)[0], np.clip(model.scorer.tower(x).mean(0), 0.5, 5.0), atol=1e-5
    )


def test_past_16_each_effect_leaves_the_rating_out_of_the_subsets_and_of_the_fold_in(model):
    k = 22
    rows, ratings = some_ratings(k, seed=8)
    explained = model.scorer.explain(rows, ratings)
    sub_rows, sub_ratings = features.choose_subsets(rows, ratings, 2)
    vectors = model.scorer.movie_vectors
    np.testing.assert_allclose(explained.predicted, model.scorer.predict(rows, ratings)[0], atol=1e-5)
    w_less = (k - 1 - 16) / (k - 1 - 16 + PAST["half"])
    for j, row in enumerate(explained.rated_rows[:6]):
        by_hand = []
        for r, v in zip(sub_rows, sub_ratings, strict=True):
            keep = r != row
            r2, v2 = np.full(16, -1), np.zeros(16, np.float32)
            r2[: keep.sum()], v2[: keep.sum()] = r[keep], v[keep]
            by_hand.append(model.scorer.tower(features.user_matrices(vectors, r2[None], v2[None], OFFSET))[0])
        keep = rows != row
        every = textbook_fold_in(vectors, rows[keep], ratings[keep], PAST["reg"])
        without = np.clip((1 - w_less) * np.mean(by_hand, axis=0) + w_less * every, 0.5, 5.0)
        np.testing.assert_allclose(explained.effects[j], explained.predicted - without, atol=1e-4)


def test_leaving_out_a_persons_only_rating_gives_the_no_information_stars(model):
    explained = model.scorer.explain(np.array([5]), np.array([4.5]))
    expected = explained.predicted - np.clip(no_information_stars(CATALOG, 0), 0.5, 5.0)
    np.testing.assert_allclose(explained.effects[0], expected, atol=1e-6)


def test_the_fold_ins_leave_one_out_equals_folding_in_without_that_rating():
    rng = np.random.default_rng(0)
    vectors = rng.normal(0, 0.5, (30, 16)).astype(np.float32)
    rows, ratings = rng.permutation(30)[:12], rng.choice(np.arange(1.0, 5.5, 0.5), 12)
    every, without = fold_in.leave_one_out_stars(vectors, OFFSET, rows, ratings, 4.0)
    np.testing.assert_allclose(every, textbook_fold_in(vectors, rows, ratings, 4.0), atol=1e-9)
    for j in range(12):
        keep = np.arange(12) != j
        np.testing.assert_allclose(without[j], textbook_fold_in(vectors, rows[keep], ratings[keep], 4.0), atol=1e-9)


@pytest.mark.parametrize(
    ("past", "message"), [({"reg": 0, "half": 4}, "must be positive"), ({"reg": 2}, "past_sixteen")]
)
def test_a_bad_past_sixteen_setting_is_refused_with_the_reason(tmp_path, past, message):
    build_artifact_set(tmp_path / "set", catalog_size=CATALOG, past_sixteen=past)
    version = publish(tmp_path / "set", str(tmp_path / "bucket"))
    with pytest.raises(ManifestError, match=message):
        load_model(LocalStore(tmp_path / "bucket"), version)


def test_every_rating_changes_the_answer_past_16(model):
    rows, ratings = some_ratings(30, seed=4)
    base = api.recommend(model, [(movie_id(int(r)), float(v)) for r, v in zip(rows, ratings, strict=True)])
    changed = ratings.copy()
    changed[np.argmax(rows)] = 5.0 if ratings[np.argmax(rows)] < 3 else 0.5
    other = api.recommend(model, [(movie_id(int(r)), float(v)) for r, v in zip(rows, changed, strict=True)])
    assert base["used_ratings"] == other["used_ratings"] == 30
    assert [r["predicted_rating"] for r in base["top"]] != [r["predicted_rating"] for r in other["top"]]
