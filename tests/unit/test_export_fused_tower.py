"""The fused serving graph: the fold-in ensemble's exact function in a fraction of the TFLite ops."""

from collections import Counter

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from screen_genius import features
from screen_genius.loader import build_model
from screen_genius.manifest import ManifestError
from screen_genius.scale import RatingScale
from screen_genius.scorer import KeptTower, Scorer, Tower
from training.export import (
    ParityError,
    check_kept_parity,
    check_parity,
    convert_kept_to_tflite,
    convert_to_tflite,
    parity_bound,
    run_tflite,
)
from training.export.fused_tower import fusable_members, fused_kept_function, fused_serving_function
from training.models import user_tower
from training.models.tower_layers import EnsembleModel

OFFSET = 3.55
N_MOVIES = 30


def movie_vectors(seed=0):
    """Vectors with Model 1's layout: [q (14), b_movie, 1]."""
    rng = np.random.default_rng(seed)
    v = rng.normal(0, 0.3, size=(N_MOVIES, 16)).astype(np.float32)
    v[:, 15] = 1.0
    return v


def trained_like(model, seed=1):
    """Move every weight off its initial value, members apart: their own ridges, gates and bias shrinks."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if w.name == "gates":  # fit_gates leaves each count's gate in [0, 1]
            w.assign(rng.uniform(0.0, 1.0, size=w.shape).astype(np.float32))
        elif w.name == "fold_in_reg":  # ridges between about 0.7 and 12, factors and user bias apart
            w.assign(rng.uniform(0.0, 12.0, size=w.shape).astype(np.float32))
        elif w.name == "bias_shrink":  # the user bias's shrink, of either sign (the tower reads its size)
            w.assign(np.float32(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 6.0)))
        else:
            w.assign(w.numpy() + rng.normal(0, 0.05, size=w.shape).astype(np.float32))
    return model


def build(ensemble, seed_weights=1, **config):
    config = user_tower.UserTowerConfig(width=16, ensemble=ensemble, **config)
    return trained_like(user_tower.build_model(movie_vectors(), OFFSET, config), seed_weights)


@pytest.fixture(scope="module")
def ensemble():
    return build(3)


def matrices(seed=2):
    """(34, 16, 16): every k from 0 (all rows empty) to 16, twice, with half-star ratings in random slots."""
    rng = np.random.default_rng(seed)
    n = 2 * (features.MAX_RATINGS + 1)
    rows = np.full((n, features.MAX_RATINGS), -1)
    ratings = np.zeros((n, features.MAX_RATINGS), np.float32)
    for i in range(n):
        k = i % (features.MAX_RATINGS + 1)
        slots = rng.choice(features.MAX_RATINGS, k, replace=False)  # empty rows between rated ones
        rows[i, slots] = rng.choice(N_MOVIES, k, replace=False)
        ratings[i, slots] = rng.choice(np.arange(0.5, 5.01, 0.5), k)
    return features.user_matrices(movie_vectors(), rows, ratings, OFFSET)


def keras_predict(model):
    return lambda x: np.asarray(model(x, training=False))


def op_count(flatbuffer: bytes) -> int:
    return sum(Counter(op["op_name"] for op in Interpreter(model_content=flatbuffer)._get_ops_details()).values())


@pytest.mark.parametrize("members", [1, 3])
def test_the_fused_graph_computes_the_keras_model_for_every_number_of_ratings(members):
    model = build(members)
    x = matrices()
    expected = keras_predict(model)(x)
    got = fused_serving_function(model)(x)["ratings"].numpy()
    assert got.shape == expected.shape == (len(x), N_MOVIES)
    assert np.max(np.abs(got - expected)) <= parity_bound(expected)


def test_the_fused_graph_uses_each_members_own_weights(ensemble):
    """Members differ (ridges, gates, MLPs, scorers): swapping two members' weights changes the ensemble's ratings
    only if the fused graph reads each from its own member; the mean over members is what comes out."""
    x = matrices()
    per_member = [keras_predict(m)(x) for m in ensemble.members]
    assert np.max(np.abs(per_member[0] - per_member[1])) > 1e-2  # the fixture's members are really apart
    got = fused_serving_function(ensemble)(x)["ratings"].numpy()
    expected = np.mean(per_member, axis=0)
    assert np.max(np.abs(got - expected)) <= parity_bound(expected)


def test_the_converted_fused_tower_passes_the_export_parity_check_with_the_served_signature(ensemble):
    x = matrices()
    flatbuffer = convert_to_tflite(ensemble)
    assert check_parity(flatbuffer, keras_predict(ensemble), x) <= parity_bound(keras_predict(ensemble)(x))
    interpreter = Interpreter(model_content=flatbuffer)
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert list(inp["shape_signature"]) == [-1, features.MAX_RATINGS, features.VECTOR_DIM]
    assert list(out["shape_signature"]) == [-1, N_MOVIES]
    assert inp["dtype"] == out["dtype"] == np.float32
    for batch in (1, 17):  # dynamic batch, as the function resizes it
        assert run_tflite(flatbuffer, x[:batch]).shape == (batch, N_MOVIES)


def test_one_interpreter_answers_batches_with_any_number_of_rated_rows_including_none(ensemble):
    """The function keeps one interpreter: the fused graph's rated-row count changes between calls."""
    x = matrices()
    expected = keras_predict(ensemble)(x)
    interpreter = Interpreter(model_content=convert_to_tflite(ensemble), num_threads=1)
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    empty = [0, features.MAX_RATINGS + 1]  # the two all-empty matrices
    batches = [list(range(17)), [16], empty, [0], list(range(17, 34)), empty * 8 + [0], list(range(34))]
    for rows in batches:
        interpreter.resize_tensor_input(inp["index"], [len(rows), features.MAX_RATINGS, features.VECTOR_DIM])
        interpreter.allocate_tensors()
        interpreter.set_tensor(inp["index"], x[rows])
        interpreter.invoke()
        got = interpreter.get_tensor(out["index"])
        assert np.max(np.abs(got - expected[rows])) <= parity_bound(expected[rows])


def test_the_fused_tower_of_three_members_has_under_half_the_plain_graphs_ops(ensemble):
    fused, plain = op_count(convert_to_tflite(ensemble)), op_count(convert_to_tflite(ensemble, fuse=False))
    assert fused < plain / 2  # the plain graph unrolls one conjugate-gradient solve per member; the fused one, one


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda: build(1, base="bias"), id="bias-base"),
        pytest.param(lambda: build(2, tower="seed_cnn"), id="seed-cnn"),
        pytest.param(lambda: EnsembleModel([build(1), build(1, base="bias")]), id="mixed-ensemble"),
    ],
)
def test_a_model_the_fused_graph_does_not_compute_converts_as_keras_traces_it(model):
    model = model()
    assert fusable_members(model) is None and fused_serving_function(model) is None
    x = matrices()
    flatbuffer = convert_to_tflite(model)
    assert op_count(flatbuffer) == op_count(convert_to_tflite(model, fuse=False))
    check_parity(flatbuffer, keras_predict(model), x)


def random_keeps(n: int, seed: int = 4) -> np.ndarray:
    """(n, 16) float32 masks: all rows, none, and random subsets."""
    rng = np.random.default_rng(seed)
    keep = (rng.random((n, features.MAX_RATINGS)) < 0.6).astype(np.float32)
    keep[0], keep[1] = 1.0, 0.0
    return keep


def test_the_kept_graph_is_the_keras_model_of_each_input_with_only_its_kept_rows(ensemble):
    """explain_tower.tflite's function: row b is the tower on the one matrix with the rows keep[b] marks, the
    others zeroed in place, for every number of ratings and every kind of mask (all, none, random)."""
    keep = random_keeps(9)
    for matrix in matrices():
        expected = keras_predict(ensemble)(matrix[None] * keep[:, :, None])
        got = fused_kept_function(ensemble)(matrix[None], keep)["ratings"].numpy()
        assert got.shape == expected.shape == (len(keep), N_MOVIES)
        assert np.max(np.abs(got - expected)) <= parity_bound(expected)


def test_the_converted_explain_tower_passes_the_export_check_and_a_wrong_tower_is_refused(ensemble):
    x = matrices()
    kept = convert_kept_to_tflite(ensemble)
    assert check_kept_parity(kept, keras_predict(ensemble), x) <= parity_bound(keras_predict(ensemble)(x))
    with pytest.raises(ParityError, match=r"must take float32 \[1, 16, 16\] and \[batch, 16\]"):
        check_kept_parity(convert_to_tflite(ensemble), keras_predict(ensemble), x[:2])  # the batch tower
    with pytest.raises(ParityError, match="differs from Keras"):  # another model's explain tower
        check_kept_parity(convert_kept_to_tflite(build(3, seed_weights=9)), keras_predict(ensemble), x[:4])


@pytest.mark.parametrize("k", [1, 2, 7, 16, 17, 30])
def test_the_scorer_explains_with_the_explain_tower_as_with_the_leave_one_out_batch(ensemble, k):
    """The same predictions and the same effect of every rating on every movie, from one matrix and k + 1 masks
    (past 16: per subset) as from the shifted inputs: the reasons the function names do not depend on which tower
    it has."""
    tower = Tower(convert_to_tflite(ensemble), N_MOVIES)
    kept = KeptTower(convert_kept_to_tflite(ensemble), N_MOVIES)
    rng = np.random.default_rng(k)
    rows = np.sort(rng.choice(N_MOVIES, k, replace=False))
    ratings = rng.choice(np.arange(0.5, 5.01, 0.5), k).astype(np.float32)
    scale = RatingScale(0.5, 5.0, 0.5)
    plain = Scorer(tower, movie_vectors(), OFFSET, scale, n_subsets=3).explain(rows, ratings)
    fast = Scorer(tower, movie_vectors(), OFFSET, scale, n_subsets=3, kept_tower=kept).explain(rows, ratings)
    assert fast.rated_rows.tolist() == plain.rated_rows.tolist() and fast.used == plain.used == k
    assert np.max(np.abs(fast.predicted - plain.predicted)) <= 1e-5
    assert np.max(np.abs(fast.effects - plain.effects)) <= 2e-5
    assert np.abs(plain.effects).max() > 0.01  # the ratings really move the predictions


def test_only_a_fused_ensemble_gets_an_explain_tower():
    assert convert_kept_to_tflite(build(2, tower="seed_cnn")) is None  # its rows' places matter: no masks
    assert fused_kept_function(build(1, base="bias")) is None


def fused_set(ensemble, explain: bytes | None):
    """build_model's files for the fused ensemble's own 30-movie set, with ``explain`` as explain_tower.tflite."""
    import io
    import json

    from tests.fixtures.artifacts import catalog

    vectors = io.BytesIO()
    np.save(vectors, movie_vectors())
    manifest = {
        "version": "20261207T000000Z",
        "catalog_size": N_MOVIES,
        "rating_scale": {"min": 0.5, "max": 5.0, "step": 0.5},
        "rating_offset": OFFSET,
    }
    files = (json.dumps(catalog(N_MOVIES)).encode(), vectors.getvalue(), convert_to_tflite(ensemble))
    return build_model(manifest, *files, None, None, None, explain)


def test_the_function_explains_with_the_sets_explain_tower_and_refuses_one_of_another_model(ensemble):
    model = fused_set(ensemble, convert_kept_to_tflite(ensemble))
    assert model.scorer.kept_tower is not None
    assert fused_set(ensemble, None).scorer.kept_tower is None  # a set exported without one, or not fused
    with pytest.raises(ManifestError, match=r"explain_tower.tflite of 20261207T000000Z disagrees with user_tower"):
        fused_set(ensemble, convert_kept_to_tflite(build(3, seed_weights=9)))
    with pytest.raises(ManifestError, match=r"explain_tower.tflite of .*must take float32 \[1, 16, 16\]"):
        fused_set(ensemble, convert_to_tflite(ensemble))
