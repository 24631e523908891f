"""Ratings past 16: the blend chosen on validation users, applied as the function applies it."""

from __future__ import annotations

import numpy as np
import pytest

from screen_genius import fold_in
from screen_genius.scorer import PastSixteen
from training.coldstart.ratings import CatalogRatings
from training.models import past_sixteen

OFFSET = 3.5


def planted(n_users=120, n_movies=60, per_user=40, seed=0):
    """Ratings that a fold-in on ``vectors`` explains exactly (plus a little noise)."""
    rng = np.random.default_rng(seed)
    vectors = np.concatenate(
        [rng.normal(0, 0.6, (n_movies, 14)), rng.normal(0, 0.3, (n_movies, 1)), np.ones((n_movies, 1))], axis=1
    ).astype(np.float32)
    users, rows, values = [], [], []
    for u in range(n_users):
        p = rng.normal(0, 0.5, 14)
        picked = rng.choice(n_movies, per_user, replace=False)
        true = OFFSET + vectors[picked, 14] + vectors[picked, :14] @ p + rng.normal(0, 0.1, per_user)
        users += [u] * per_user
        rows += picked.tolist()
        values += np.clip(np.round(true * 2) / 2, 0.5, 5).tolist()
    return vectors, CatalogRatings.build(np.array(users), np.array(rows), np.array(values), n_movies)


def test_a_tower_that_reads_nothing_past_16_gets_a_blend_that_leans_on_the_fold_in():
    vectors, users = planted()
    flat = lambda rows, ratings: np.full((len(rows), 60), OFFSET)  # a tower that learned nothing
    choice, table = past_sixteen.choose(flat, users, vectors, OFFSET)
    assert choice is not None and choice.half <= 4.0
    assert table[f"{choice.reg:g}/{choice.half:g}"] < table["tower_alone"]


def test_a_tower_that_is_already_right_is_kept_alone():
    vectors, users = planted()
    _rows, _ratings, targets, _ids = past_sixteen.simulate_many(users, 0)
    oracle = lambda rows, ratings: np.nan_to_num(targets, nan=OFFSET)  # knows every target
    choice, table = past_sixteen.choose(oracle, users, vectors, OFFSET)
    assert choice is None and table["tower_alone"] == 0.0


def test_the_ridge_is_chosen_on_the_vectors_without_the_judged_users_and_the_weight_on_the_fitted_ones():
    vectors, users = planted()
    rows, ratings, targets, ids = past_sixteen.simulate_many(users, 0)
    asked = []
    # "without them": movies whose taste part is noise, so the fold-in alone should shrink hard there
    noisy = vectors.copy()
    noisy[:, :14] = np.random.default_rng(7).normal(0, 0.6, (60, 14))

    def vectors_without(user_ids):
        asked.append(np.asarray(user_ids).tolist())
        return noisy

    flat = lambda rows, ratings: np.full((len(rows), 60), OFFSET)  # a tower that learned nothing
    choice, table = past_sixteen.choose(flat, users, vectors, OFFSET, 0, vectors_without)
    assert asked == [ids.tolist()]  # asked once, for exactly the simulated users
    ridges = {reg: table[f"ridge {reg:g}"] for reg in past_sixteen.REGS}
    assert choice is not None and choice.reg == min(ridges, key=ridges.__getitem__)
    # the ridges were scored on the other vectors: there the least shrinkage loses, on the fitted ones it wins
    _, fitted = past_sixteen.choose(flat, users, vectors, OFFSET, 0, lambda user_ids: vectors)
    on_fitted = {reg: fitted[f"ridge {reg:g}"] for reg in past_sixteen.REGS}
    assert min(on_fitted, key=on_fitted.__getitem__) < choice.reg
    # the weight was scored with the chosen ridge on the fitted vectors, as the function blends
    every = fold_in.fold_in_stars(vectors, OFFSET, rows, ratings, choice.reg)
    w = np.array([choice.weight(int(n)) for n in past_sixteen.given_counts(rows)])[:, None]
    known = ~np.isnan(targets)
    blend = (1 - w) * OFFSET + w * every
    expected = np.sqrt(np.mean((blend[known] - targets[known]) ** 2))
    assert table[f"{choice.reg:g}/{choice.half:g}"] == pytest.approx(expected)
    assert not any(k.startswith(f"{r:g}/") for k in table for r in past_sixteen.REGS if r != choice.reg)


def test_the_newcomers_give_all_but_their_last_fifth_and_never_a_target():
    _, users = planted(n_users=10)
    rows, ratings, targets, ids = past_sixteen.simulate_many(users, 3)
    assert rows.shape == (10, 32)  # 40 ratings: 8 targets, 32 given
    assert ids.tolist() == users.user_ids.tolist()  # row u is user ids[u]
    for u in range(10):
        given = set(rows[u][rows[u] >= 0].tolist())
        held = set(np.flatnonzero(~np.isnan(targets[u])).tolist())
        assert len(given) == 32 and len(held) == 8 and not given & held
        own_rows, own_ratings = users.user(u)
        mine = dict(zip(own_rows.tolist(), own_ratings.tolist(), strict=True))
        assert all(mine[r] == v for r, v in zip(rows[u].tolist(), ratings[u].tolist(), strict=True))


def test_apply_blends_only_past_16_with_the_functions_weight():
    vectors, _ = planted(n_users=1)
    rng = np.random.default_rng(1)
    rows = np.full((2, 30), -1)
    ratings = np.zeros((2, 30), np.float32)
    rows[0, :10], rows[1, :30] = rng.permutation(60)[:10], rng.permutation(60)[:30]
    ratings[rows >= 0] = rng.choice(np.arange(0.5, 5.5, 0.5), (rows >= 0).sum())
    tower = rng.uniform(1, 5, (2, 60))
    past = PastSixteen(8.0, 6.0)
    out = past_sixteen.apply(tower, rows, ratings, vectors, OFFSET, past)
    np.testing.assert_array_equal(out[0], tower[0])
    every = fold_in.fold_in_stars(vectors, OFFSET, rows[1:], ratings[1:], 8.0)[0]
    w = past.weight(30)
    assert w == 14 / 20
    np.testing.assert_allclose(out[1], (1 - w) * tower[1] + w * every)
    np.testing.assert_array_equal(past_sixteen.apply(tower, rows, ratings, vectors, OFFSET, None), tower)


def test_no_information_stars_are_the_item_mean():
    users = CatalogRatings.build(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([5.0, 1.0, 4.0]), 3)
    stars = past_sixteen.no_information_stars(users)
    mu = 10 / 3
    np.testing.assert_allclose(stars, [mu + (9 - 2 * mu) / 7, mu + (1 - mu) / 6, mu], rtol=1e-6)


def test_where_the_judged_users_pull_on_the_fit_is_negligible_ridge_and_weight_are_chosen_together():
    vectors, users = planted()
    flat = lambda rows, ratings: np.full((len(rows), 60), OFFSET)
    together, table = past_sixteen.choose(flat, users, vectors, OFFSET, 0, lambda user_ids: None)
    assert (together, table) == past_sixteen.choose(flat, users, vectors, OFFSET, 0)
    assert not any(k.startswith("ridge") for k in table)  # no separate ridge step
    for reg in past_sixteen.REGS:  # every ridge with every half
        assert all(f"{reg:g}/{half:g}" in table for half in past_sixteen.HALVES)
    best = min((k for k in table if "/" in k), key=table.__getitem__)
    assert together is not None and best == f"{together.reg:g}/{together.half:g}"
