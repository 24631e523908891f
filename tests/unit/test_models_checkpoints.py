"""Parts of a training kept for resuming: whole or absent, under the right key, reused instead of rebuilt."""

import numpy as np
import pytest

from training.coldstart.ratings import CatalogRatings
from training.models import user_tower
from training.models.checkpoints import Checkpoints, cached_part


def test_a_saved_part_loads_back_with_its_arrays_and_info(tmp_path):
    parts = Checkpoints(tmp_path / "parts", "key-1")
    parts.save("model1", {"vectors": np.arange(6.0).reshape(2, 3)}, {"offset": 3.55, "history": [1.0, 0.9]})
    arrays, info = Checkpoints(tmp_path / "parts", "key-1").load("model1")
    np.testing.assert_array_equal(arrays["vectors"], np.arange(6.0).reshape(2, 3))
    assert info == {"offset": 3.55, "history": [1.0, 0.9]}
    assert parts.load("tower-set-seed0") is None  # never finished


def test_parts_of_other_inputs_or_a_fresh_run_are_dropped_before_anything_is_reused(tmp_path):
    Checkpoints(tmp_path / "parts", "key-1").save("model1", {"a": np.ones(2)}, {})
    assert Checkpoints(tmp_path / "parts", "key-2").load("model1") is None  # new data or code: a new key
    Checkpoints(tmp_path / "parts", "key-2").save("model1", {"a": np.ones(2)}, {})
    assert Checkpoints(tmp_path / "parts", "key-2").load("model1") is not None
    assert Checkpoints(tmp_path / "parts", "key-2", fresh=True).load("model1") is None


def test_a_part_killed_while_being_written_is_never_read(tmp_path):
    parts = Checkpoints(tmp_path / "parts", "key-1")
    parts.save("model1", {"a": np.ones(1000)}, {})
    whole = (tmp_path / "parts" / "model1.npz").read_bytes()
    (tmp_path / "parts" / ".tower-set-seed0.npz.999.tmp").write_bytes(whole)  # a writer killed before its rename
    (tmp_path / "parts" / "ranking.npz").write_bytes(whole[: len(whole) // 2])  # a torn file (not ours: no rename)
    assert parts.load("tower-set-seed0") is None and parts.load("ranking") is None


def test_cached_part_builds_once_and_then_reuses_what_was_kept(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return np.full(3, 7.0)

    def keep(value):
        return {"value": value}, {"n": len(value)}

    def load(arrays, info):
        return arrays["value"][: info["n"]]

    first = cached_part(Checkpoints(tmp_path, "k"), "part", build, keep, load)
    again = cached_part(Checkpoints(tmp_path, "k"), "part", build, keep, load)
    np.testing.assert_array_equal(first, again)
    assert len(calls) == 1
    cached_part(None, "part", build, keep, load)  # without checkpoints: always built
    assert len(calls) == 2


def test_towers_kept_by_an_interrupted_training_are_loaded_not_trained_again(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(30), 10)
    rows = np.concatenate([rng.choice(12, 10, replace=False) for _ in range(30)])
    train = CatalogRatings.build(users, rows, rng.integers(1, 6, len(rows)).astype(float), 12)
    vectors = rng.normal(0, 0.3, (12, 16)).astype(np.float32)
    vectors[:, 15] = 1.0
    config = user_tower.UserTowerConfig(width=8, epochs=2, patience=2, ensemble=2)
    first = user_tower.train_user_tower(train, vectors, 3.55, config, checkpoints=Checkpoints(tmp_path, "k"))

    def no_training(*args, **kwargs):
        raise AssertionError("a kept tower was trained again")

    monkeypatch.setattr(user_tower.trainer, "_train_one", no_training)
    again = user_tower.train_user_tower(train, vectors, 3.55, config, checkpoints=Checkpoints(tmp_path, "k"))
    x = rng.normal(0, 0.5, (4, 16, 16)).astype(np.float32)
    np.testing.assert_allclose(again.predict_matrices(x), first.predict_matrices(x), atol=1e-6)
    assert again.history["members"] == first.history["members"]
    with pytest.raises(AssertionError, match="trained again"):  # other inputs: nothing kept applies
        user_tower.train_user_tower(train, vectors, 3.55, config, checkpoints=Checkpoints(tmp_path, "other"))
