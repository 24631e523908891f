"""Evaluation at Netflix scale: a deterministic user sample, and the seed's probe protocol for the toys."""

import numpy as np
import pytest

from training.coldstart import sample
from training.coldstart.ratings import CatalogRatings, training_ratings
from training.dataset import load_dataset
from training.evaluation import command
from training.ingest import ingest


def users_with(counts, n_items=60, seed=0):
    rng = np.random.default_rng(seed)
    users, rows, values = [], [], []
    for u, c in enumerate(counts):
        users += [u + 1] * c
        rows += rng.choice(n_items, c, replace=False).tolist()
        values += rng.integers(1, 6, c).astype(float).tolist()
    return CatalogRatings.build(np.array(users), np.array(rows), np.array(values), n_items)


def test_all_test_users_are_kept_while_they_fit_the_budget():
    test = users_with([25] * 30)
    kept, info = command.cold_start_users(test, log=lambda *a: None)
    assert kept is test and info is None


def test_past_the_budget_a_deterministic_sample_of_evaluable_users_is_kept(monkeypatch):
    monkeypatch.setattr(sample, "DEFAULT_USERS", 10)
    test = users_with([25] * 30 + [5] * 30)  # 30 evaluable (>= 21 ratings), 30 not
    kept, info = command.cold_start_users(test, log=lambda *a: None)
    assert kept.n_users == 10 and (kept.counts() >= 21).all()
    assert info["n_users"] == 10 and info["n_eligible"] == 30
    again, _ = command.cold_start_users(test, log=lambda *a: None)
    assert (again.user_ids == kept.user_ids).all()


@pytest.fixture(scope="module")
def netflix_like(tmp_path_factory):
    root = tmp_path_factory.mktemp("netflix")
    ingest("synthetic:600,120,20000", root / "store", catalog_size=100, raw_dir=root / "raw", progress=False)
    return load_dataset(root / "store")


def test_netflix_data_reports_the_toys_on_the_probe_pairs(netflix_like):
    ds = netflix_like
    assert ds.probe() is not None and len(ds.probe()) > 0
    warm = command.warm_start(ds, training_ratings(ds), quick=True, log=lambda *a: None)
    assert set(warm) == {"toy_svd", "toy_ncf", "toy_two_tower"}
    for entry in warm.values():
        assert entry["protocol"] == "probe" and np.isfinite(entry["rmse"]) and 0 < entry["rmse"] < 2
        assert entry["counts"]["n_probe"] > 0
    assert command.warm_label(warm, quick=True).startswith("the seed's probe protocol")


def test_the_warm_start_label_says_how_many_ratings_users_and_probe_pairs_a_capped_toy_used():
    warm = {
        "toy_svd": {"protocol": "probe", "capped": True, "n_train": 5_000_000, "n_users": 41_000, "n_probe": 61_000},
        "toy_ncf": {"protocol": "probe", "capped": False, "n_train": 900, "n_users": 10, "n_probe": 50},
    }
    label = command.warm_label(warm, quick=False)
    assert "sample of users" in label and "toy_svd: 5,000,000 ratings of 41,000 users, 61,000 probe pairs" in label
    assert "toy_ncf" not in label
