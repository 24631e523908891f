"""The LiteRT scorer: same numbers as Keras, clipped, rated movies masked, deterministic order."""

from __future__ import annotations

import numpy as np
import pytest

from screen_genius import features
from screen_genius.loader import load_model
from screen_genius.store import LocalStore
from tests.fixtures.artifacts import OFFSET, build_artifact_set, keras_tower, movie_vectors
from training.publish import publish


def published_model(tmp_path, **kwargs):
    build_artifact_set(tmp_path / "set", **kwargs)
    version = publish(tmp_path / "set", str(tmp_path / "bucket"))
    return load_model(LocalStore(tmp_path / "bucket"), version)


def test_litert_tower_matches_keras_within_1e_5(tmp_path):
    model = published_model(tmp_path, catalog_size=40)
    rows = np.arange(0, 32, 2)
    ratings = np.linspace(0.5, 5, 16).astype(np.float32)
    x = features.request_inputs(movie_vectors(40, 0), rows, ratings, OFFSET)
    expected = keras_tower(40, 0).predict(x, verbose=0)
    np.testing.assert_allclose(model.scorer.tower(x), expected, atol=1e-5)


def test_predictions_are_keras_output_averaged_over_subsets_then_clipped(tmp_path):
    model = published_model(tmp_path, catalog_size=40, n_subsets=3)
    rows = np.arange(30)
    ratings = np.where(rows % 3 == 0, 5.0, 1.0).astype(np.float32)
    x = features.request_inputs(movie_vectors(40, 0), rows, ratings, OFFSET, 3)
    assert x.shape[0] == 3
    expected = np.clip(keras_tower(40, 0).predict(x, verbose=0).mean(axis=0), 0.5, 5.0)
    predicted, used = model.scorer.predict(rows, ratings)
    np.testing.assert_allclose(predicted, expected, atol=1e-5)
    assert predicted.min() >= 0.5 and predicted.max() <= 5.0
    sub_rows, _ = features.choose_subsets(rows, ratings, 3)
    assert used == len(np.unique(sub_rows)) == 30


def test_used_ratings_is_all_of_them(tmp_path):
    model = published_model(tmp_path, catalog_size=40, n_subsets=3)
    for k in (1, 7, 16, 17, 40):
        assert model.scorer.predict(np.arange(k), np.full(k, 4.0))[1] == k


def test_fixed_batch_tower_gives_the_same_answer_as_a_dynamic_one(tmp_path):
    dynamic = published_model(tmp_path / "d", catalog_size=40, n_subsets=4)
    fixed = published_model(tmp_path / "f", catalog_size=40, n_subsets=4, fixed_batch=True)
    assert dynamic.scorer.tower.dynamic_batch and not fixed.scorer.tower.dynamic_batch
    rows, ratings = np.arange(25), np.full(25, 4.5, dtype=np.float32)
    np.testing.assert_allclose(
        fixed.scorer.predict(rows, ratings)[0], dynamic.scorer.predict(rows, ratings)[0], atol=1e-6
    )


def test_rank_skips_rated_movies_orders_best_and_worst_first_and_breaks_ties_by_row(tmp_path):
    model = published_model(tmp_path, catalog_size=40)
    predicted = np.full(40, 3.0, dtype=np.float32)
    predicted[[5, 9, 2]] = 5.0  # a three-way tie at the top
    predicted[[7, 30]] = 0.5
    predicted[11] = 4.0
    best, worst = model.scorer.rank(predicted, rated_rows=np.array([9, 30]), k=10)
    assert list(best[:4]) == [2, 5, 11, 0]
    assert list(worst[:2]) == [7, 0]
    assert 9 not in best and 30 not in worst and 9 not in worst and 30 not in best
    assert len(best) == len(worst) == 10


def test_same_ratings_in_any_order_give_identical_predictions(tmp_path):
    model = published_model(tmp_path, catalog_size=40, n_subsets=2)
    rng = np.random.default_rng(3)
    rows = rng.permutation(40)[:24]
    ratings = rng.choice(np.arange(0.5, 5.5, 0.5), 24).astype(np.float32)
    order = rng.permutation(24)
    a, used_a = model.scorer.predict(rows, ratings)
    b, used_b = model.scorer.predict(rows[order], ratings[order])
    assert np.array_equal(a, b) and used_a == used_b


def test_a_tower_of_the_wrong_catalog_size_is_refused(tmp_path):
    from screen_genius.manifest import ManifestError

    build_artifact_set(tmp_path / "small", catalog_size=30)
    build_artifact_set(tmp_path / "set", catalog_size=40)
    (tmp_path / "set" / "user_tower.tflite").write_bytes((tmp_path / "small" / "user_tower.tflite").read_bytes())
    import json

    from screen_genius.manifest import write_manifest

    manifest = json.loads((tmp_path / "set" / "manifest.json").read_text())
    manifest.pop("files")
    write_manifest(tmp_path / "set", **manifest)
    publish(tmp_path / "set", str(tmp_path / "bucket"))
    with pytest.raises(ManifestError, match=r"output must be float32 \[batch, 40\]"):
        load_model(LocalStore(tmp_path / "bucket"), "v1")
