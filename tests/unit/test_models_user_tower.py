"""Model 2 and its export: order-free input, exact TFLite parity, the scoring contract."""

import dataclasses

import numpy as np
import pytest

from screen_genius import features
from screen_genius.scale import HALF_STARS
from training.coldstart import newcomers
from training.coldstart.ratings import CatalogRatings
from training.export import (
    PARITY_TOLERANCE,
    ParityError,
    check_parity,
    convert_to_tflite,
    parity_bound,
    parity_inputs,
    run_tflite,
)
from training.models import movie_factors, user_tower


def model1_like_vectors(n=25, seed=0):
    """Vectors with Model 1's layout: [q (14), b_movie, 1]."""
    rng = np.random.default_rng(seed)
    v = rng.normal(0, 0.3, size=(n, 16)).astype(np.float32)
    v[:, 15] = 1.0
    return v


@pytest.fixture(scope="module")
def small_model():
    config = user_tower.UserTowerConfig(width=16, epochs=1)
    model = user_tower.build_model(model1_like_vectors(), 3.55, config)
    # move away from the initial weights so the test sees a non-trivial network
    rng = np.random.default_rng(1)
    for w in model.weights:
        w.assign(w.numpy() + rng.normal(0, 0.05, size=w.shape).astype(np.float32))
    return model


def inputs(mv, n=8, seed=2):
    rng = np.random.default_rng(seed)
    rows = np.full((n, 16), -1)
    ratings = np.zeros((n, 16), np.float32)
    for i in range(n):
        k = 1 + i % 16
        rows[i, :k] = rng.choice(len(mv), k, replace=False)
        ratings[i, :k] = rng.choice(np.arange(0.5, 5.01, 0.5), k)
    return rows, ratings


def test_the_offset_never_sits_on_the_rating_grid():
    for mean in (3.5, 3.52, 3.0, 3.6614, 4.0):
        offset = user_tower.rating_offset(mean, 0.5)
        assert min(abs(offset - p) for p in np.arange(0.5, 5.01, 0.5)) >= 0.05 - 1e-9


def test_predictions_do_not_depend_on_the_order_of_the_rated_movies(small_model):
    mv = model1_like_vectors()
    rows, ratings = inputs(mv)
    x = features.user_matrices(mv, rows, ratings, 3.55)
    perm = np.random.default_rng(0).permutation(16)
    a = np.asarray(small_model(x))
    b = np.asarray(small_model(x[:, perm]))
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert a.shape == (8, len(mv))


def test_an_untrained_fold_in_tower_predicts_the_exact_ridge_fold_in():
    mv = model1_like_vectors()
    model = user_tower.build_model(mv, 3.55, user_tower.UserTowerConfig(width=16, ensemble=1, fold_in_reg=8.0))
    for layer_weight in model.tower.out.weights:
        layer_weight.assign(np.zeros(layer_weight.shape, np.float32))
    given, stars = np.array([3, 7, 11, 20, 23]), np.array([5.0, 4.0, 1.0, 2.5, 4.5])
    rows = np.full((1, 16), -1)
    ratings = np.zeros((1, 16), np.float32)
    rows[0, :5], ratings[0, :5] = given, stars
    pred = np.asarray(model(features.user_matrices(mv, rows, ratings, 3.55)))[0]
    # ridge regression of rating - offset - b_movie on [q, 1], ridge 8 on every coordinate
    a = np.concatenate([mv[given, :14], np.ones((5, 1))], axis=1).astype(np.float64)
    z = np.linalg.solve(a.T @ a + 8.0 * np.eye(15), a.T @ (stars - 3.55 - mv[given, 14]))
    expected = 3.55 + mv[:, 14] + mv[:, :14] @ z[:14] + z[14]
    np.testing.assert_allclose(pred, expected, atol=1e-4)
    nothing = np.asarray(model(np.zeros((1, 16, 16), np.float32)))[0]
    np.testing.assert_allclose(nothing, 3.55 + mv[:, 14], atol=1e-5)  # nothing rated: the item means


def test_an_untrained_bias_tower_predicts_item_mean_plus_shrunk_user_bias():
    mv = model1_like_vectors()
    model = user_tower.build_model(mv, 3.55, user_tower.UserTowerConfig(width=16, ensemble=1, base="bias"))
    for layer_weight in model.tower.out.weights:
        layer_weight.assign(np.zeros(layer_weight.shape, np.float32))
    rows = np.full((1, 16), -1)
    ratings = np.zeros((1, 16), np.float32)
    rows[0, :2], ratings[0, :2] = [3, 7], [5.0, 4.0]
    pred = np.asarray(model(features.user_matrices(mv, rows, ratings, 3.55)))[0]
    residual = (5.0 - 3.55 - mv[3, 14]) + (4.0 - 3.55 - mv[7, 14])
    expected = 3.55 + mv[:, 14] + residual / (2 + 3.0)
    np.testing.assert_allclose(pred, expected, atol=1e-5)


def test_tflite_matches_keras_within_1e_5_on_random_and_real_inputs(small_model):
    mv = model1_like_vectors()
    flatbuffer = convert_to_tflite(small_model)
    real = [(np.array([1, 4, 9]), np.array([4.5, 2.0, 3.0], np.float32)), (np.arange(20), np.full(20, 4.0, np.float32))]
    x = parity_inputs(mv, 3.55, real, HALF_STARS)
    assert len(x) > 64  # random inputs plus two real users (one of them with two 16-subsets or fewer)
    diff = check_parity(flatbuffer, lambda a: np.asarray(small_model(a)), x)
    assert diff <= PARITY_TOLERANCE * 5  # relative to stars of at most 5
    out = run_tflite(flatbuffer, x[:3])
    assert out.shape == (3, len(mv)) and out.dtype == np.float32


def test_export_refuses_a_tflite_model_that_differs_from_keras(small_model):
    mv = model1_like_vectors()
    flatbuffer = convert_to_tflite(small_model)
    x = parity_inputs(mv, 3.55, [], HALF_STARS)
    with pytest.raises(ParityError):
        check_parity(flatbuffer, lambda a: np.asarray(small_model(a)) + 1e-3, x)


def test_the_parity_bound_is_relative_to_the_largest_output_and_never_below_the_tolerance():
    assert parity_bound(np.array([[4.0, 5.0], [1.0, 2.0]], np.float32)) == pytest.approx(5 * PARITY_TOLERANCE)
    assert parity_bound(np.array([[0.1, -0.2]], np.float32)) == PARITY_TOLERANCE  # small outputs: absolute 1e-5
    assert parity_bound(np.array([[-8.0]], np.float32)) == pytest.approx(8 * PARITY_TOLERANCE)
    assert 1.24e-5 < parity_bound(np.array([[4.2]], np.float32)) < 1e-3  # float32 noise passes, an offset does not


def random_ratings(n_users: int, per_user: int, n_movies: int, rating: float | None = None) -> CatalogRatings:
    """``per_user`` distinct movies for each user, half-star ratings at random (or all ``rating``)."""
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(n_users), per_user)
    rows = np.concatenate([rng.choice(n_movies, per_user, replace=False) for _ in range(n_users)])
    values = rng.choice(np.arange(1, 5.5, 0.5), len(rows)) if rating is None else np.full(len(rows), rating)
    return CatalogRatings.build(users, rows, values, n_movies)


def test_training_uses_only_the_users_it_is_given_and_is_repeatable():
    train = random_ratings(30, 12, 25)
    mv = model1_like_vectors()
    config = user_tower.UserTowerConfig(width=16, epochs=2, patience=2)
    a = user_tower.train_user_tower(train, mv, 3.55, config)
    b = user_tower.train_user_tower(train, mv, 3.55, config)
    x = features.user_matrices(mv, *inputs(mv), 3.55)
    np.testing.assert_allclose(a.predict_matrices(x), b.predict_matrices(x), atol=1e-5)
    assert len(a.history["rmse"]) >= 1


def test_batches_stream_inputs_without_any_target_among_them():
    train = random_ratings(10, 20, 40, rating=4.0)
    mv = model1_like_vectors(40)
    for x, _targets, mask in user_tower.cold_start_batches(train, mv, 3.55, 4, np.random.default_rng(1)):
        assert x.shape[1:] == (16, 16) and mask.shape[1] == 40
        present = np.abs(x).max(axis=2) > 0  # (B, 16) given rows
        # each given movie is recovered from its row (column 15 is the constant 1) and is never a target
        for b in range(len(x)):
            given = {
                int(np.argmin(np.abs(mv[:, :15] - x[b, i, :15] / x[b, i, 15]).sum(axis=1)))
                for i in np.flatnonzero(present[b])
            }
            assert not any(mask[b, g] for g in given)
            assert mask[b].sum() == 20 - present[b].sum()


def test_given_ratings_are_k_of_each_users_own_drawn_uniformly_and_the_rest_are_targets():
    rng = np.random.default_rng(3)
    users = np.repeat(np.arange(3), [5, 30, 12])
    rows = np.concatenate([rng.choice(40, n, replace=False) for n in (5, 30, 12)])
    train = CatalogRatings.build(users, rows, rng.choice(np.arange(0.5, 5.01, 0.5), len(rows)), 40)
    batch, ks = np.array([1, 0, 2, 1]), np.array([16, 4, 0, 3])  # a user twice, k = 0, k = 16 of 30
    picked = np.zeros(30)
    for _ in range(2000):
        given_rows, given_ratings, user, flat_rows, _, is_target = newcomers.sample_given(train, batch, ks, rng)
        for i, u in enumerate(batch):
            own_rows, own_ratings = train.user(u)
            got = given_rows[i][given_rows[i] >= 0]
            assert len(got) == ks[i] and (given_rows[i][ks[i] :] == -1).all()
            stars = dict(zip(own_rows.tolist(), own_ratings.tolist(), strict=True))
            assert [stars[r] for r in got] == given_ratings[i][: ks[i]].tolist()  # each given with its own stars
            here = user == i
            assert sorted(flat_rows[here].tolist()) == sorted(own_rows.tolist())
            assert set(flat_rows[here & ~is_target].tolist()) == set(got.tolist())  # the given are not targets
        picked[np.searchsorted(train.user(1)[0], given_rows[0][:16])] += 1
    np.testing.assert_allclose(picked / 2000, 16 / 30, atol=0.05)  # every rating equally likely to be given


def test_the_starting_fold_in_ridge_is_the_one_validation_users_rate_best():
    rng = np.random.default_rng(6)
    mv = model1_like_vectors(40)
    mv[:, :14] *= 4.0  # large factors, as Model 1's grow with the data
    users = np.repeat(np.arange(60), 30)
    rows = np.concatenate([rng.choice(40, 30, replace=False) for _ in range(60)])
    base = 3.55 + mv[rows, 14]
    taste = np.einsum("nf,nf->n", mv[rows, :14], rng.normal(0, 0.3, (60, 14))[users])
    noise_only = CatalogRatings.build(users, rows, base + rng.normal(0, 1.0, len(rows)), 40)
    exact_taste = CatalogRatings.build(users, rows, base + taste, 40)
    reg, table = user_tower.choose_fold_in_reg(noise_only, mv, 3.55, seed=0)
    assert set(table) == set(movie_factors.FOLD_IN_REGS) and reg == max(movie_factors.FOLD_IN_REGS)  # nothing to learn
    reg, table = user_tower.choose_fold_in_reg(exact_taste, mv, 3.55, seed=0)
    assert reg == min(movie_factors.FOLD_IN_REGS) and table[reg] == min(table.values())  # all taste: shrink least
    few = random_ratings(10, 12, 40)  # nobody with more than 16 ratings: the old fixed ridge
    assert user_tower.choose_fold_in_reg(few, mv, 3.55, seed=0) == (8.0, {})


def test_at_scale_a_tower_starts_from_the_fold_in_ridge_its_validation_users_chose_and_records_it():
    train = random_ratings(60, 24, 40)  # validation users with more than 16 ratings
    mv = model1_like_vectors(40)
    # a capped schedule (too many simulated users for every epoch), as at Netflix scale: the ridge is chosen
    config = user_tower.UserTowerConfig(width=16, epochs=4, ensemble=2, fit_gates=False, max_simulated_users=60)
    trained = user_tower.train_user_tower(train, mv, 3.55, config)
    choice = trained.history["fold_in_reg"]
    assert len(choice["validation_rmse"]) == len(movie_factors.FOLD_IN_REGS)
    assert choice["validation_rmse"][f"{choice['chosen']:g}"] == min(choice["validation_rmse"].values())
    assert trained.config.fold_in_reg == choice["chosen"] and not trained.config.choose_fold_in_reg
    # every epoch over every user (MovieLens): the fixed ridge stays
    small = user_tower.train_user_tower(train, mv, 3.55, dataclasses.replace(config, max_simulated_users=10**6))
    assert small.history["fold_in_reg"] == {"chosen": 8.0, "validation_rmse": {}} and small.config.fold_in_reg == 8.0


def test_an_ensemble_serves_the_mean_of_its_members_ratings(small_model):
    mv = model1_like_vectors()
    x = features.user_matrices(mv, *inputs(mv), 3.55)
    assert len(small_model.members) == user_tower.UserTowerConfig().ensemble > 1
    members = np.stack([np.asarray(m(x)) for m in small_model.members])
    np.testing.assert_allclose(np.asarray(small_model(x)), members.mean(axis=0), atol=1e-5)


def test_users_with_more_than_16_ratings_get_the_mean_over_their_subsets_as_the_function_scores_them(
    small_model, monkeypatch
):
    mv = model1_like_vectors()
    trained = user_tower.TrainedUserTower(small_model, mv, 3.55, user_tower.UserTowerConfig(width=16))
    recommender = user_tower.UserTowerRecommender.from_trained(trained, "user_tower", n_subsets=4)
    monkeypatch.setattr(user_tower.recommender, "PREDICT_USERS", 3)  # several tower calls, the last one short
    rng = np.random.default_rng(5)
    rows, ratings = np.full((7, 24), -1), np.zeros((7, 24), np.float32)
    for i, k in enumerate((24, 3, 17, 16, 20, 1, 24)):  # <= 16 gives one subset, more gives 4
        rows[i, :k] = rng.choice(len(mv), k, replace=False)
        ratings[i, :k] = rng.choice(np.arange(0.5, 5.01, 0.5), k)
    got = recommender.predict(rows, ratings)
    for i in range(7):
        r, v = rows[i][rows[i] >= 0], ratings[i][rows[i] >= 0]
        x = features.request_inputs(mv, r, v, 3.55, 4)
        assert len(x) == (4 if len(r) > 16 else 1)
        np.testing.assert_allclose(got[i], np.asarray(small_model(x)).mean(axis=0), atol=1e-5)


def test_given_counts_follow_the_chosen_distribution_and_never_exceed_a_users_ratings_minus_one():
    rng = np.random.default_rng(0)
    n_ratings = np.array([2, 5, 40, 1000] * 5000)
    for distribution in ("uniform", "log"):
        k = user_tower.sample_k(n_ratings, 16, distribution, rng)
        assert (k >= 1).all() and (k <= np.minimum(n_ratings - 1, 16)).all()
    many = user_tower.sample_k(np.full(20000, 100), 16, "log", rng)
    assert (many == 1).mean() > 3 * (many == 16).mean()  # P(k) ~ 1/k: small k weighs like the protocol's 1, 2, 4
    with pytest.raises(ValueError):
        user_tower.sample_k(n_ratings, 16, "zipf", rng)


def test_the_taste_gate_shrinks_with_few_ratings_and_never_amplifies():
    train = random_ratings(60, 24, 25)
    mv = model1_like_vectors()
    # base "bias": the taste factors come from the gated correction alone, so zero gates must zero them
    config = user_tower.UserTowerConfig(
        width=16, epochs=2, patience=2, ensemble=1, validation_fraction=0.3, base="bias"
    )
    trained = user_tower.train_user_tower(train, mv, 3.55, config)
    taste, bias = np.array(trained.history["gates"]["taste"]), np.array(trained.history["gates"]["bias"])
    assert (np.diff(taste[1:]) >= -1e-6).all() and (taste >= 0).all() and (taste <= 1 + 1e-6).all()
    np.testing.assert_allclose(bias, 1.0)
    # the gates are part of the graph: zero taste gates make every user's taste factors vanish
    trained.model.tower.gates.assign(np.stack([np.zeros(17), np.ones(17)]).astype(np.float32))
    x = features.user_matrices(mv, *inputs(mv), 3.55)
    np.testing.assert_allclose(np.asarray(trained.model.tower(x))[:, :14], 0.0, atol=1e-7)


def test_the_schedule_is_unchanged_on_small_data_and_bounded_at_netflix_scale():
    config = user_tower.UserTowerConfig()
    small = user_tower.schedule(540, config)  # MovieLens' training users
    assert (small.batch_users, small.steps_per_epoch, small.epochs, small.patience) == (32, 17, 80, 25)
    assert small.learning_rate == config.learning_rate
    large = user_tower.schedule(390_000, config)  # Netflix's
    assert large.batch_users == config.max_batch_users == 256
    assert large.steps_per_epoch == config.epoch_users // 256  # an epoch is part of a pass
    assert large.epochs * large.steps_per_epoch * 256 <= config.max_simulated_users + 256 * large.steps_per_epoch
    assert large.epochs < config.epochs and 2 <= large.patience < large.epochs
    assert large.learning_rate == pytest.approx(config.learning_rate * np.sqrt(8))  # batch 8x: rate sqrt(8)x
    middle = user_tower.schedule(20_000, config)
    assert 32 < middle.batch_users < 256 and middle.steps_per_epoch == -(-20_000 // middle.batch_users)


def test_epochs_walk_through_shuffled_passes_each_user_once_per_pass_and_go_on_where_they_stopped():
    from training.models.user_tower.keras_data import ColdStartData

    train = random_ratings(50, 6, 20)
    config = user_tower.UserTowerConfig(epoch_users=20, batch_users=8, max_batch_users=8)
    data = ColdStartData(train, model1_like_vectors(20), 3.55, config)
    assert len(data) == 3  # 20 users an epoch in batches of 8
    walked = data.walk(0, 150)
    for p in range(3):  # every pass holds every eligible user exactly once
        assert sorted(walked[50 * p : 50 * (p + 1)].tolist()) == data.eligible.tolist()
    assert walked[:50].tolist() != walked[50:100].tolist()  # each pass in a new order
    for epoch in range(5):  # five epochs of 20 users: two whole passes, the walk in order
        for i in range(len(data)):
            _, targets, _ = data[i]
            users = walked[epoch * 20 + i * 8 : epoch * 20 + min(i * 8 + 8, 20)]
            want = np.zeros((len(users), 20), np.float32)
            for row, u in enumerate(users):
                rows, ratings = train.user(u)
                want[row, rows] = ratings
            np.testing.assert_array_equal(targets, want)
        data.on_epoch_end()
