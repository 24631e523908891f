"""Peer models (EASE, item-kNN fold-in, LightFM hybrid, LibRecommender's NCF): what each promises."""

import os

import numpy as np
import pytest

from training.coldstart import newcomers
from training.coldstart.ratings import CatalogRatings
from training.models.baselines import ItemMean
from training.models.peers.ease import EASE, gram, weights
from training.models.peers.item_knn import ItemKNN
from training.models.peers.lightfm_hybrid import LightFMHybrid, item_features


def planted(n_users=120, n_items=30, per_user=24, seed=0) -> CatalogRatings:
    """Two tastes: odd users love movies 0-14 and dislike 15-29, even users the reverse."""
    rng = np.random.default_rng(seed)
    users, rows, ratings = [], [], []
    for u in range(n_users):
        seen = rng.choice(n_items, per_user, replace=False)
        loves_first = u % 2 == 1
        stars = np.where((seen < n_items // 2) == loves_first, 4.5, 1.5) + rng.choice([-0.5, 0.0, 0.5], per_user)
        users += [u] * per_user
        rows += seen.tolist()
        ratings += stars.tolist()
    return CatalogRatings.build(np.array(users), np.array(rows), np.array(ratings), n_items)


def nothing_rated(b: int, width: int = 16):
    return np.full((b, width), -1, np.int64), np.zeros((b, width), np.float32)


# ---- EASE -------------------------------------------------------------------


def test_ease_scores_the_movie_always_rated_with_the_given_one_highest():
    rng = np.random.default_rng(1)
    users, rows = [], []
    for u in range(200):
        seen = set(rng.choice(np.arange(2, 20), 5, replace=False).tolist())
        if u % 2:
            seen |= {0, 1}  # movie 1 is rated by exactly the users who rate movie 0
        users += [u] * len(seen)
        rows += sorted(seen)
    train = CatalogRatings.build(np.array(users), np.array(rows), np.full(len(rows), 3.0), 20)
    model = EASE(lam=10.0)
    model.fit(train)
    scores = model.predict(np.array([[0] + [-1] * 15]), np.array([[1.0] + [0.0] * 15]))
    assert scores.shape == (1, 20) and scores.dtype == np.float32
    assert int(np.argmax(np.delete(scores[0], 0))) + 1 == 1


def test_ease_column_is_the_ridge_regression_of_that_movie_on_all_the_others():
    train = planted(n_users=60, n_items=12, per_user=6)
    g, lam = gram(train), 7.0
    b = weights(g, lam)
    assert np.allclose(np.diag(b), 0.0)
    for j in (0, 5, 11):
        others = np.delete(np.arange(12), j)
        ridge = np.linalg.solve(g[np.ix_(others, others)] + lam * np.eye(11), g[others, j])
        assert np.allclose(b[others, j], ridge, atol=1e-8)


def test_ease_ignores_the_stars_and_with_nothing_rated_ranks_by_popularity():
    train = planted()
    model = EASE(lam=50.0)
    model.fit(train)
    rows = np.array([[3, 20, -1]])
    assert np.array_equal(
        model.predict(rows, np.array([[5.0, 1.0, 0]])), model.predict(rows, np.array([[1.0, 5.0, 0]]))
    )
    empty = model.predict(*nothing_rated(2))
    popularity = np.bincount(train.rows, minlength=train.n_items)
    assert np.array_equal(empty[0], empty[1])
    assert np.array_equal(np.argsort(-empty[0], kind="stable"), np.argsort(-popularity, kind="stable"))
    assert EASE.predicts_ratings is False


def test_ease_chooses_lambda_on_training_users_deterministically():
    train = planted()
    first, second = EASE(lambdas=(1.0, 30.0, 1000.0), seed=3), EASE(lambdas=(1.0, 30.0, 1000.0), seed=3)
    first.fit(train), second.fit(train)
    assert set(first.validation) == {"1.0", "30.0", "1000.0"}
    assert first.lam == second.lam == float(max(first.validation, key=first.validation.get))
    given = (np.array([[1, 2, 3, -1]]), np.array([[4.0, 4.0, 2.0, 0.0]]))
    assert np.array_equal(first.predict(*given), second.predict(*given))


# ---- item-kNN ---------------------------------------------------------------


def test_item_knn_reproduces_a_hand_computed_prediction():
    # 4 training users of 3 movies; a new user rates movies 0 and 1; predict movie 2.
    train = CatalogRatings.build(
        np.array([0, 0, 0, 1, 1, 1, 2, 2, 3, 3]),
        np.array([0, 1, 2, 0, 1, 2, 0, 2, 1, 2]),
        np.array([5, 4, 5, 2, 1, 2, 4, 4, 3, 1.0]),
        3,
    )
    model = ItemKNN(k=2, shrinkage=1.0, den_reg=0.5, item_shrink=2.0, user_shrink=1.0)
    model.fit(train)

    # by hand, with plain loops
    mu = 31.0 / 10
    b = {
        i: sum(r - mu for (uu, ii, r) in _triples(train) if ii == i)
        / (sum(1 for t in _triples(train) if t[1] == i) + 2)
        for i in range(3)
    }
    bu = {
        u: sum(r - mu - b[i] for (uu, i, r) in _triples(train) if uu == u) / (train.counts()[u] + 1) for u in range(4)
    }
    e = {(u, i): r - mu - b[i] - bu[u] for (u, i, r) in _triples(train)}

    def sim(i, j):
        common = [u for u in range(4) if (u, i) in e and (u, j) in e]
        num = sum(e[u, i] * e[u, j] for u in common)
        den = np.sqrt(sum(e[u, i] ** 2 for u in common) * sum(e[u, j] ** 2 for u in common))
        return num / den * (len(common) - 1) / (len(common) - 1 + 1.0)

    given = {0: 4.5, 1: 3.0}
    new_bu = sum(r - mu - b[j] for j, r in given.items()) / (2 + 1)
    neighbours = [(sim(2, j), r - mu - b[j] - new_bu) for j, r in given.items() if sim(2, j) > 0]
    expected = mu + b[2] + new_bu + sum(s * x for s, x in neighbours) / (sum(s for s, _ in neighbours) + 0.5)

    assert neighbours, "the fixture must give movie 2 at least one positive neighbour"
    predicted = model.predict(np.array([[0, 1, -1]]), np.array([[4.5, 3.0, 0.0]]))
    assert predicted[0, 2] == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("block", [7, 16_384])
def test_item_knn_co_rating_sums_are_the_textbook_sums_over_users_who_rated_both(monkeypatch, block):
    from training.models.peers import item_knn

    monkeypatch.setattr(item_knn, "BLOCK_USERS", block)
    train = planted(n_users=40, n_items=12, per_user=5)
    residuals = np.random.default_rng(3).normal(size=train.n_ratings)
    products, squares, common = item_knn.co_rating_sums(train, residuals)
    e = np.zeros((train.n_users, train.n_items))
    rated = np.zeros_like(e)
    users, rows, _ = train.triples()
    e[users, rows], rated[users, rows] = residuals, 1.0
    for i, j in [(0, 1), (3, 3), (5, 11), (11, 2)]:
        both = (rated[:, i] > 0) & (rated[:, j] > 0)
        assert products[i, j] == pytest.approx((e[both, i] * e[both, j]).sum(), abs=1e-5)
        assert squares[i, j] == pytest.approx((e[both, i] ** 2).sum(), abs=1e-5)
        assert common[i, j] == both.sum()


def test_item_knn_uses_only_the_k_most_similar_given_movies():
    train = planted()
    one, all_ = ItemKNN(k=1, shrinkage=10.0, den_reg=0.0), ItemKNN(k=16, shrinkage=10.0, den_reg=0.0)
    one.fit(train), all_.fit(train)
    rows, ratings = np.array([[0, 1, 16, 17, -1]]), np.array([[5.0, 4.5, 1.0, 1.5, 0.0]])
    base = all_.predict(*nothing_rated(1))[0] + all_.user_bias(np.where(rows >= 0, rows, 0), ratings, rows >= 0)[0]
    residual = ratings[0, :4] - all_.mu - all_.item_bias[rows[0, :4]] - (base[0] - all_.mu - all_.item_bias[0])
    sims = all_.similarity[5, rows[0, :4]]
    best = int(np.argmax(sims))
    assert one.predict(rows, ratings)[0, 5] == pytest.approx(base[5] + residual[best], abs=1e-5)


def test_item_knn_with_nothing_rated_is_the_shrunk_item_mean_chart():
    train = planted()
    model, chart = ItemKNN(k=10, shrinkage=25.0, den_reg=0.5), ItemMean(shrink=5.0)
    model.fit(train), chart.fit(train)
    assert np.allclose(model.predict(*nothing_rated(3)), chart.predict(*nothing_rated(3)), atol=1e-5)


def test_item_knn_predicts_taste_and_does_not_depend_on_batch_or_slot_order():
    train = planted()
    model = ItemKNN(k=10, shrinkage=25.0, den_reg=0.5)
    model.fit(train)
    rng = np.random.default_rng(0)
    rows = np.stack([rng.choice(30, 8, replace=False) for _ in range(600)])  # more than one CHUNK
    ratings = np.where(rows < 15, 5.0, 1.0).astype(np.float32)
    batch = model.predict(rows, ratings)
    assert batch.shape == (600, 30) and batch.dtype == np.float32
    assert np.allclose(batch[599], model.predict(rows[599:], ratings[599:])[0])
    assert np.allclose(batch[:1], model.predict(rows[:1, ::-1], ratings[:1, ::-1]), atol=1e-5)
    unrated = np.setdiff1d(np.arange(30), rows[0])
    assert batch[0, unrated[unrated < 15]].mean() > batch[0, unrated[unrated >= 15]].mean() + 1.0


def test_item_knn_chooses_its_hyper_parameters_on_validation_users_deterministically():
    train = planted()
    grid = {"k": (2, 10), "shrinkage": (5.0, 100.0), "den_reg": (0.0, 1.0)}
    first, second = ItemKNN(grid=grid, seed=1), ItemKNN(grid=grid, seed=1)
    first.fit(train), second.fit(train)
    assert len(first.validation) == 8 and first.validation == second.validation
    assert (first.k, first.shrinkage, first.den_reg) == (second.k, second.shrinkage, second.den_reg)
    assert f"k={first.k},shrinkage={first.shrinkage},den_reg={first.den_reg}" == min(
        first.validation, key=first.validation.get
    )


def test_validation_users_are_training_users_and_their_targets_are_never_given():
    train = planted()
    fit_users, val_users = newcomers.validation_users(train, 0.2, seed=0)
    assert not set(fit_users.user_ids.tolist()) & set(val_users.user_ids.tolist())
    assert set(fit_users.user_ids.tolist()) | set(val_users.user_ids.tolist()) == set(train.user_ids.tolist())
    sim = newcomers.draw(val_users, seed=0, min_targets=1, one_stream=True)
    for u in range(val_users.n_users):
        assert not set(sim.given_rows[u].tolist()) & set(sim.targets.user(u)[0].tolist())
        assert len(sim.targets.user(u)[0]) + 16 == val_users.counts()[u]


# ---- LightFM hybrid ---------------------------------------------------------


def test_item_features_are_identity_plus_genres_and_identity_alone_without_genres():
    features = item_features(["Drama|Comedy", None, "(no genres listed)", "Drama"], 4).toarray()
    assert features.shape == (4, 4 + 2)  # genres: Comedy, Drama
    assert np.array_equal(features[:, :4], np.eye(4))
    assert np.allclose(features[0, 4:], [0.5, 0.5]) and np.allclose(features[3, 4:], [0.0, 1.0])
    assert not features[1, 4:].any() and not features[2, 4:].any()
    assert np.array_equal(item_features(None, 4).toarray(), np.eye(4))


@pytest.mark.parametrize("genres", [None, ["A" if i < 15 else "B" for i in range(30)]], ids=["no genres", "genres"])
def test_lightfm_hybrid_serves_new_users_from_their_ratings(genres):
    train = planted()
    kwargs = {"genres": genres, "no_components": 8, "alpha": 1e-4, "epochs": 10, "seed": 0}
    model, again = LightFMHybrid(**kwargs), LightFMHybrid(**kwargs)
    model.fit(train), again.fit(train)
    lover_of_first = (np.array([[0, 1, 2, 20, 21, -1]]), np.array([[5.0, 4.5, 5.0, 1.0, 1.5, 0.0]]))
    scores = model.predict(*lover_of_first)
    assert scores.shape == (1, 30) and scores.dtype == np.float32
    assert np.array_equal(scores, again.predict(*lover_of_first))
    assert scores[0, 3:15].mean() > scores[0, 22:].mean()
    empty = model.predict(*nothing_rated(2))
    assert np.array_equal(empty[0], empty[1])
    features = model.user_features(*nothing_rated(1)).toarray()
    assert features[0, -1] == 1.0 and not features[0, :-1].any()


def test_lightfm_hybrid_chooses_its_hyper_parameters_on_validation_users():
    model = LightFMHybrid(grid={"no_components": (4,), "alpha": (1e-4, 1e-3)}, epoch_choices=(2, 4), seed=0)
    model.fit(planted())
    assert len(model.validation) == 4
    assert f"no_components={model.no_components},alpha={model.alpha},epochs={model.epochs}" == max(
        model.validation, key=model.validation.get
    )
    assert LightFMHybrid.predicts_ratings is False


# ---- LibRecommender's NCF, in a process of its own ------------------------------


def test_librec_ncf_trains_in_a_keras2_process_and_leaves_this_one_alone():
    from training.models.toys.librec_ncf import LibRecNCF

    train = planted(n_users=80, per_user=20)
    users, items, ratings = train.triples()
    test = np.arange(len(ratings)) % 5 == 0
    model = LibRecNCF(n_epochs=8, lr=3e-3, batch_size=128, seed=0)
    try:
        model.fit(users[~test], items[~test], ratings[~test])
        predicted = model.predict(users[test], items[test])
    finally:
        model.close()
    assert predicted.shape == (test.sum(),) and predicted.dtype == np.float32
    rmse = np.sqrt(np.mean((predicted - ratings[test]) ** 2))
    assert rmse < np.std(ratings[test])  # it learned something beyond the mean
    assert "TF_USE_LEGACY_KERAS" not in os.environ


def _triples(train):
    users, rows, ratings = train.triples()
    return list(zip(users.tolist(), rows.tolist(), ratings.tolist(), strict=True))


def test_validation_users_are_capped_and_every_other_user_fits():
    train = planted(n_users=200)
    fit, val = newcomers.validation_users(train, fraction=0.5, max_users=30)
    assert val.n_users == 30 and fit.n_users == 170
    assert not set(fit.user_ids.tolist()) & set(val.user_ids.tolist())


def test_item_knn_blocks_bounded_in_memory_give_the_same_predictions_for_users_of_any_width(monkeypatch):
    from training.models.peers import item_knn

    train = planted()
    model = ItemKNN(k=3, shrinkage=25.0, den_reg=0.5)
    model.fit(train)
    rng = np.random.default_rng(1)
    widths = rng.integers(1, 25, 300)  # users of 1 to 24 given ratings, padded to 24 slots in any order
    rows = np.full((300, 24), -1)
    ratings = np.zeros((300, 24), np.float32)
    for u, w in enumerate(widths):
        slots = rng.choice(24, w, replace=False)
        rows[u, slots] = rng.choice(30, w, replace=False)
        ratings[u, slots] = rng.choice([1.0, 3.0, 5.0], w)
    whole = model.predict(rows, ratings)
    monkeypatch.setattr(item_knn, "BLOCK_ELEMENTS", 30 * 40)  # about two users of 20 ratings a block
    np.testing.assert_allclose(model.predict(rows, ratings), whole, atol=1e-6)
    one = [model.predict(rows[u : u + 1], ratings[u : u + 1])[0] for u in (0, 150, 299)]
    np.testing.assert_allclose(np.stack(one), whole[[0, 150, 299]], atol=1e-6)
