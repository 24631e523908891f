"""Protocol v2: list metrics against hand-computed cases, folds, bootstrap, and no leak from the test fold."""

import numpy as np
import pytest

from training.coldstart import folds, lists
from training.coldstart.ratings import CatalogRatings
from training.evaluation import bootstrap, crossval

NAN = np.nan


def targets_row(n_movies, ratings: dict) -> np.ndarray:
    row = np.full(n_movies, NAN)
    for movie, r in ratings.items():
        row[movie] = r
    return row


def test_a_top_list_holding_every_liked_movie_has_recall_one():
    targets = targets_row(30, {3: 5.0, 7: 4.0, 9: 4.5, 12: 1.0})[None]
    top = np.array([[3, 7, 9, 0, 1, 2, 4, 5, 6, 8]])
    bottom = np.array([[12, 13, 14, 15, 16, 17, 18, 19, 20, 21]])
    stats = lists.list_stats(top, bottom, targets)
    assert stats["recall@10"][0] == 1.0
    assert stats["list_ndcg@10"][0] == pytest.approx(1.0)
    assert stats["hit_sum"][0] == 13.5 and stats["hit_count"][0] == 3  # only targets count as hits


def test_recall_counts_liked_hits_over_at_most_ten_liked_targets():
    liked = dict.fromkeys(range(20), 4.0)  # 20 liked targets: a list can hold 10 of them at most
    targets = targets_row(40, liked)[None]
    top = np.array([list(range(5)) + list(range(30, 35))])
    stats = lists.list_stats(top, np.array([list(range(20, 30))]), targets)
    assert stats["recall@10"][0] == 0.5
    # hits at ranks 1..5 out of an ideal of 10 hits
    discounts = 1 / np.log2(np.arange(2, 12))
    assert stats["list_ndcg@10"][0] == pytest.approx(discounts[:5].sum() / discounts.sum())


def test_a_user_with_no_liked_target_has_no_recall():
    stats = lists.list_stats(np.arange(10)[None], np.arange(10, 20)[None], targets_row(30, {0: 3.0, 11: 2.0})[None])
    assert np.isnan(stats["recall@10"][0]) and np.isnan(stats["list_ndcg@10"][0])
    assert stats["hate@10"][0] == 1.0


def test_a_bottom_list_of_only_disliked_movies_has_hate_one():
    disliked = dict.fromkeys(range(10, 25), 1.0)
    stats = lists.list_stats(np.arange(10)[None], np.arange(10, 20)[None], targets_row(30, disliked)[None])
    assert stats["hate@10"][0] == 1.0
    assert stats["bottom_sum"][0] / stats["bottom_count"][0] == 1.0


def test_chart_share_is_the_fraction_of_a_list_from_the_chart():
    item_means = np.arange(50, dtype=float)  # movie 49 has the highest mean
    chart_rows = lists.chart(item_means, n=20)
    assert set(chart_rows[0]) == set(range(30, 50)) and set(chart_rows[1]) == set(range(20))
    top = np.array([[49, 48, 47, 1, 2, 3, 4, 5, 6, 7]])
    bottom = np.array([[0, 1, 2, 3, 40, 41, 42, 43, 44, 45]])
    stats = lists.list_stats(top, bottom, np.full((1, 50), NAN), chart_rows)
    assert stats["chart_share_top"][0] == pytest.approx(0.3)
    assert stats["chart_share_bottom"][0] == pytest.approx(0.4)


def test_lists_skip_given_movies_and_break_ties_by_catalog_row():
    scores = np.array([[1.0, 5.0, 5.0, 5.0, 0.0, 2.0]])
    exclude = np.array([[False, True, False, False, False, False]])
    top, bottom = lists.top_bottom(scores, exclude, n=3)
    assert top.tolist() == [[2, 3, 5]]
    assert bottom.tolist() == [[4, 0, 5]]


def test_identical_lists_for_every_user_have_personalization_zero():
    same = np.tile(np.arange(10), (6, 1))
    assert lists.personalization(lists.overlap(same, 40)) == 0.0
    disjoint = np.arange(60).reshape(6, 10)
    assert lists.personalization(lists.overlap(disjoint, 60)) == 1.0


def test_personalization_pairs_only_users_of_the_same_fold():
    # two folds, each with identical lists inside, different between folds: nothing personal
    lists_ = np.array([list(range(10))] * 3 + [list(range(10, 20))] * 3)
    jaccard = lists.overlap(lists_, 20)
    assert lists.personalization(jaccard) > 0.5
    assert lists.personalization(jaccard, groups=np.array([0, 0, 0, 1, 1, 1])) == 0.0


def test_bootstrap_personalization_never_pairs_a_user_with_their_own_copy():
    disjoint = np.arange(40).reshape(4, 10)
    weights = np.array([[2.0, 2.0, 0.0, 0.0], [4.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    values = lists.personalization(lists.overlap(disjoint, 40), weights)
    assert values[0] == 1.0 and values[2] == 1.0
    assert np.isnan(values[1])  # one user drawn four times: no pair of distinct users


def test_resampled_personalization_is_the_mean_jaccard_over_pairs_of_distinct_users_in_one_fold():
    rng = np.random.default_rng(4)
    lists_ = np.stack([rng.choice(30, 10, replace=False) for _ in range(9)])
    jaccard, groups = lists.overlap(lists_, 30), np.array([0, 1, 0, 2, 1, 0, 2, 1, 0])
    weights = rng.multinomial(9, np.full(9, 1 / 9), size=5).astype(np.float64)
    got = lists.personalization(jaccard, weights, groups)
    for b, w in enumerate(weights):
        copies = np.repeat(np.arange(9), w.astype(int))  # the resample, a user once per draw
        pairs = [(i, j) for x, i in enumerate(copies) for y, j in enumerate(copies) if x != y and i != j]
        pairs = [(i, j) for i, j in pairs if groups[i] == groups[j]]
        assert got[b] == pytest.approx(1 - np.mean([jaccard[i, j] for i, j in pairs]), abs=1e-12)


def test_bootstrap_metrics_pool_ratios_on_each_resample():
    stats = {"sse": np.array([4.0, 0.0]), "n_targets": np.array([1.0, 3.0])}
    metric = bootstrap.METRICS["rmse"]
    assert bootstrap.value(metric, stats) == pytest.approx(1.0)  # sqrt(4 / 4), not the mean of per-user RMSEs
    assert bootstrap.value(metric, stats, np.array([[2.0, 0.0], [0.0, 2.0]])).tolist() == [2.0, 0.0]


def test_paired_interval_excludes_zero_only_when_one_model_wins_for_the_users():
    rng = np.random.default_rng(0)
    base = rng.random(300)
    weights = bootstrap.resampling_weights(300, 500, seed=1)
    metric = bootstrap.METRICS["recall@10"]
    better = bootstrap.value(metric, {"recall@10": base + 0.05}, weights)
    noisy = bootstrap.value(metric, {"recall@10": base + rng.normal(0, 0.3, 300) - 0.01}, weights)
    same = bootstrap.value(metric, {"recall@10": base}, weights)
    lo, hi = bootstrap.interval(better - same)
    assert lo > 0 and hi > 0
    lo, hi = bootstrap.interval(noisy - same)
    assert lo < 0 < hi


def test_folds_are_balanced_deterministic_and_independent_of_order():
    users = np.arange(1, 1001) * 7
    f = folds.user_folds(users)
    assert np.bincount(f).tolist() == [200] * 5
    shuffled = np.random.default_rng(3).permutation(len(users))
    assert (folds.user_folds(users[shuffled]) == f[shuffled]).all()
    assert not (folds.user_folds(users, seed=1) == f).all()


def _ratings(n_users=60, n_movies=40, per_user=30, seed=0) -> CatalogRatings:
    rng = np.random.default_rng(seed)
    users, rows, ratings = [], [], []
    for u in range(n_users):
        picked = rng.choice(n_movies, per_user, replace=False)
        users += [1000 + u] * per_user
        rows += picked.tolist()
        ratings += (rng.integers(1, 11, per_user) / 2).tolist()
    return CatalogRatings.build(np.array(users), np.array(rows), np.array(ratings), n_movies)


class Spy:
    """Records what it is fitted on and what it is asked; ranks by catalog row."""

    name = "spy"

    def __init__(self, train, fold, log):
        self.fold, self.log = fold, log
        self.fit_pairs = set(zip(np.repeat(train.user_ids, train.counts()).tolist(), train.rows.tolist(), strict=True))
        self.n_items = train.n_items

    def predict(self, given_rows, given_ratings):
        self.log.append((self.fold, np.array(given_rows), np.array(given_ratings)))
        return np.tile(-np.arange(self.n_items, dtype=np.float32), (len(given_rows), 1))


def test_no_test_fold_rating_reaches_training_and_targets_are_never_given():
    ratings = _ratings()
    fold_of = dict(zip(ratings.user_ids.tolist(), folds.user_folds(ratings.user_ids).tolist(), strict=True))
    spies, asked = [], []

    def make(train, fold):
        spies.append(Spy(train, fold, asked))
        assert not {u for u in train.user_ids.tolist() if fold_of[u] == fold}
        return [spies[-1]]

    result = crossval.cross_validate(ratings, make, ks=(0, 4, 16))
    assert len(spies) == 5
    for spy in spies:
        test_users = {u for u, f in fold_of.items() if f == spy.fold}
        assert not {u for u, _ in spy.fit_pairs} & test_users
    # every user is tested exactly once at each k
    assert sorted(result.user_ids[16].tolist()) == sorted(ratings.user_ids.tolist())
    # given ratings of a k come from the user's own ratings and never hold a target
    given16 = [g for g in asked if (g[1] >= 0).sum(axis=1).max() == 16]
    for fold, rows, _ in given16:
        users = result.user_ids[16][result.fold_of[16] == fold]
        for u, r in zip(users, rows, strict=True):
            own_rows, _ = ratings.user(int(np.searchsorted(ratings.user_ids, u)))
            assert set(r[r >= 0].tolist()) <= set(own_rows.tolist())
    stats = result.stats["spy"][16]
    assert (stats["n_targets"] == 30 - 16).all()
    assert np.isnan(stats["recall@10"]).sum() + (~np.isnan(stats["recall@10"])).sum() == len(ratings.user_ids)


def test_k_zero_gives_nothing_and_all_gives_more_than_sixteen():
    ratings = _ratings(per_user=35)
    asked = []
    result = crossval.cross_validate(ratings, lambda train, fold: [Spy(train, fold, asked)], ks=(0, 16))
    counts = sorted({int((rows >= 0).sum(axis=1).max()) for _, rows, _ in asked})
    assert counts == [0, 16, 35 - 7]  # "all": the last max(5, 20%) = 7 are targets
    assert result.stats["spy"]["all"]["n_targets"].tolist() == [7.0] * 60


def test_summary_pairs_every_model_and_a_model_against_itself_ties():
    ratings = _ratings()

    def make(train, fold):
        a, b = Spy(train, fold, []), Spy(train, fold, [])
        b.name = "spy_copy"
        return [a, b]

    summary = crossval.summarize(crossval.cross_validate(ratings, make, ks=(0, 4), with_all=False), n_boot=50)
    for metric in ("rmse", "recall@10", "hate@10", "personalization_top"):
        assert crossval.paired(summary, 4, metric, "spy", "spy_copy") == [0.0, 0.0, 0.0]
    assert summary["values"]["spy"]["0"]["personalization_top"][0] == 0.0  # nothing given: the same list for all
    assert summary["values"]["spy"]["4"]["personalization_top"][0] > 0.0  # given movies leave the lists


def test_personalization_of_many_users_is_measured_on_the_same_seeded_sample_for_every_model(monkeypatch):
    from training.evaluation import bootstrap

    monkeypatch.setattr(bootstrap, "PAIR_USERS", 50)
    rng = np.random.default_rng(0)
    personal = np.stack([rng.choice(200, 10, replace=False) for _ in range(300)])
    chart = np.tile(np.arange(10), (300, 1))
    metric = bootstrap.METRICS["personalization_top"]
    keep = bootstrap.pair_users(300, 50)
    assert len(keep) == 50 and np.array_equal(keep, bootstrap.pair_users(300, 50))  # the same users every time
    got = bootstrap.value(metric, {"top": personal}, n_movies=200)
    assert got == lists.personalization(lists.overlap(personal[keep], 200))
    assert bootstrap.value(metric, {"top": chart}, n_movies=200) == 0.0
    weights = bootstrap.resampling_weights(300, 20)
    assert bootstrap.value(metric, {"top": personal}, weights, 200).shape == (20,)
    assert np.array_equal(bootstrap.pair_users(40, 50), np.arange(40))  # few users: every pair


def test_the_lists_kept_for_every_model_do_not_hold_the_whole_ranking_alive():
    scores = np.random.default_rng(0).normal(size=(50, 400))
    top, bottom = lists.top_bottom(scores, np.zeros((50, 400), dtype=bool))
    for kept in (top, bottom):
        assert kept.shape == (50, 10) and kept.base is None and kept.nbytes == 50 * 10 * 8
