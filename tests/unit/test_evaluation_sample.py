"""The evaluation sample of held-out users: at most n, deterministic, free of input order."""

import numpy as np
import pytest

from training.coldstart.ratings import CatalogRatings
from training.coldstart.sample import DEFAULT_USERS, sample_ids, sample_ratings
from training.ingest.split import heldout_users


def test_default_is_twenty_thousand_users():
    assert DEFAULT_USERS == 20_000


def test_at_most_n_distinct_sorted_ids_from_the_input():
    ids = np.random.default_rng(0).choice(2_649_429, 50_000, replace=False)
    chosen = sample_ids(ids, 1_000)
    assert len(chosen) == 1_000 and len(np.unique(chosen)) == 1_000
    assert np.all(np.diff(chosen) > 0) and np.isin(chosen, ids).all()


def test_fewer_users_than_n_are_all_kept():
    ids = np.array([9, 3, 3, 7])
    assert sample_ids(ids, 10).tolist() == [3, 7, 9]


def test_same_ids_same_sample_in_any_order_and_with_repeats():
    ids = np.random.default_rng(1).choice(10**6, 30_000, replace=False)
    shuffled = np.random.default_rng(2).permutation(np.concatenate([ids, ids[:500]]))
    assert np.array_equal(sample_ids(ids, 2_000, seed=3), sample_ids(shuffled, 2_000, seed=3))
    assert not np.array_equal(sample_ids(ids, 2_000, seed=3), sample_ids(ids, 2_000, seed=4))


def test_sampled_users_stay_when_unsampled_users_leave():
    ids = np.arange(1, 20_001)
    chosen = sample_ids(ids, 500)
    kept = np.union1d(chosen, np.random.default_rng(5).choice(np.setdiff1d(ids, chosen), 3_000, replace=False))
    assert np.array_equal(sample_ids(kept, 500), chosen)


def test_sample_is_not_the_corner_the_published_split_ranks_first():
    ids = np.arange(1, 100_001)
    heldout = heldout_users(ids, 0.15, seed=0)
    chosen = sample_ids(heldout, 1_500, seed=0)
    first_by_split = heldout_users(ids, 0.015, seed=0)  # the held-out users the split's own hash ranks first
    overlap = len(np.intersect1d(chosen, first_by_split)) / len(chosen)
    assert overlap < 0.2  # about 0.1 by chance; 1.0 if the split's ranking were reused


def test_sample_spreads_over_the_id_range():
    chosen = sample_ids(np.arange(100_000), 10_000)
    per_decile = np.bincount(chosen // 10_000, minlength=10)
    assert per_decile.min() > 850 and per_decile.max() < 1_150


def ratings_of(n_users: int, seed: int = 0) -> CatalogRatings:
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 40, n_users)
    users = np.repeat(rng.choice(10**6, n_users, replace=False), counts)
    rows = np.concatenate([rng.choice(50, c, replace=False) for c in counts])
    return CatalogRatings.build(users, rows, rng.integers(1, 6, len(rows)), 50)


def test_sample_ratings_counts_only_users_with_enough_ratings_and_keeps_their_ratings():
    ratings = ratings_of(3_000)
    sampled, info = sample_ratings(ratings, 400, seed=0, min_ratings=21)
    assert sampled.n_users == info["n_users"] == 400
    assert (sampled.counts() >= 21).all()
    assert info["n_eligible"] == int((ratings.counts() >= 21).sum())
    for u in range(0, sampled.n_users, 37):
        pos = int(np.searchsorted(ratings.user_ids, sampled.user_ids[u]))
        assert np.array_equal(sampled.user(u)[0], ratings.user(pos)[0])
        assert np.array_equal(sampled.user(u)[1], ratings.user(pos)[1])


def test_sample_ratings_is_deterministic():
    a, _ = sample_ratings(ratings_of(2_000), 300, seed=1, min_ratings=10)
    b, _ = sample_ratings(ratings_of(2_000), 300, seed=1, min_ratings=10)
    assert np.array_equal(a.user_ids, b.user_ids) and np.array_equal(a.ratings, b.ratings)


def test_negative_n_is_refused():
    with pytest.raises(ValueError, match="at least 0"):
        sample_ids(np.arange(5), -1)
