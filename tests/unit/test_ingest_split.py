"""The held-out user split: deterministic, order-free, the documented size."""

import math

import numpy as np
import pytest

from training.ingest.split import heldout_users, splitmix64


def test_same_users_and_seed_give_the_same_heldout_users_in_any_order():
    users = np.arange(1, 5001)
    a = heldout_users(users, 0.15, seed=0)
    b = heldout_users(np.random.default_rng(1).permutation(np.repeat(users, 3)), 0.15, seed=0)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("n, fraction", [(671, 0.15), (10, 0.15), (1000, 0.0), (7, 0.5)])
def test_heldout_count_is_ceil_of_the_fraction(n, fraction):
    assert len(heldout_users(np.arange(n), fraction, seed=3)) == math.ceil(fraction * n)


def test_another_seed_holds_out_other_users():
    users = np.arange(10_000)
    a, b = heldout_users(users, 0.15, 0), heldout_users(users, 0.15, 1)
    assert len(np.intersect1d(a, b)) < 0.3 * len(a)  # about 15% overlap by chance


def test_heldout_users_are_not_a_block_of_ids():
    held = heldout_users(np.arange(10_000), 0.15, 0)
    assert held.min() < 500 and held.max() > 9_500


def test_splitmix64_is_the_reference_function():
    # First outputs of the reference splitmix64 generator seeded with 0 (state advances by the golden gamma).
    gamma = np.uint64(0x9E3779B97F4A7C15)
    states = np.array([0, 1, 2], dtype=np.uint64) * gamma
    assert [hex(x) for x in splitmix64(states)] == ["0xe220a8397b1dcdaf", "0x6e789e6aa1b965f4", "0x6c45d188009454f"]
