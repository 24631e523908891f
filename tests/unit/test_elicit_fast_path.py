"""The served ``ask_next`` path (``taste_static`` scores, ``choose`` / ``choose_unlisted``) against the plain formula.

``ElicitationData`` computes the served scores in place with seen()'s clip and the ratio's cap folded into one
clip, and ``choose`` finds the k best of a large catalog from column maxima instead of a partition of every score.
Both are meant to change nothing: here thousands of random requests, on synthetic catalogs of 970 and 17,770 movies
built to have many exact ties, are answered by a reference written the obvious way (the formula of
``ElicitationData.adaptive``'s docstring, then a full sort by score with ties to the lower row) and must give the
same cards, and the same scores to the last bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from screen_genius import elicit
from screen_genius.elicit import SEEN_FLOOR, SEEN_RATIO_CAP, TASTE, ElicitationData

HALF_STARS = np.arange(0.5, 5.01, 0.5)


def synthetic(n: int, seed: int, seen_space: bool = True) -> ElicitationData:
    """A catalog with few distinct popularities, entropies and means (so many movies tie in the static order and
    in the tilt) and a seen space whose V z lands below SEEN_FLOOR, inside [SEEN_FLOOR, 1], and above 1."""
    rng = np.random.default_rng(seed)
    n_ratings = rng.choice([3.0, 10.0, 40.0, 200.0, 1000.0], n)
    k = 6
    vectors = rng.normal(0.0, 0.3, (n, k))
    vectors[:, 0] = rng.uniform(-0.6, 2.0, n)  # with seen_mean[0] = 1: the prior's V z spans both clip ends
    seen = {
        "seen_vectors": vectors,
        "seen_mean": np.r_[1.0, np.zeros(k - 1)],
        "seen_cov": np.eye(k) * 0.05,
        "seen_noise": 2.0,
    }
    return ElicitationData(
        n_ratings=n_ratings,
        p_seen=n_ratings / 2000.0,  # 0.0015 .. 0.5: some movies' ratio hits the cap, some never can
        mean=rng.choice([3.0, 3.5, 4.0], n),
        var=np.ones(n),
        entropy=rng.choice([1.0, 1.5, 2.25], n),
        features=rng.normal(0.0, 0.3, (n, 3)),
        prior_cov=np.eye(3) * 0.2,
        noise_var=0.7,
        **(seen if seen_space else {}),
    )


def reference_seen(data: ElicitationData, rated: np.ndarray, skipped: np.ndarray) -> np.ndarray:
    """P(seen): the posterior mean of the seen-space coordinates given ones for rated and zeros for skipped movies
    (each once, in row order), through V, clipped to [SEEN_FLOOR, 1]."""
    if not data.seen_mean.shape[0]:
        return data.p_seen
    rated, skipped = sorted(set(rated.tolist())), sorted(set(skipped.tolist()))
    v = data.seen_vectors[rated + skipped]
    y = np.array([1.0] * len(rated) + [0.0] * len(skipped))
    prior_precision = np.linalg.inv(data.seen_cov)
    precision = prior_precision + v.T @ v / data.seen_noise
    z = np.linalg.solve(precision, prior_precision @ data.seen_mean + v.T @ y / data.seen_noise)
    return np.clip(data.seen_vectors @ z, SEEN_FLOOR, 1.0)


def reference_scores(
    data: ElicitationData, rated: np.ndarray, skipped: np.ndarray, predicted: np.ndarray, reference: np.ndarray | None
) -> np.ndarray:
    """static x sqrt(min(p_personal / p_population, cap)) x exp(taste x (predicted - reference)), the division as
    the product with 1 / max(p_seen, SEEN_FLOOR), as the module has always written it (so the bits can match)."""
    static = np.log1p(data.n_ratings) * data.entropy
    ratio = np.minimum(
        reference_seen(data, rated, skipped) * (1.0 / np.maximum(data.p_seen, SEEN_FLOOR)), SEEN_RATIO_CAP
    )
    zero = data.mean if reference is None else reference
    return static * np.sqrt(ratio) * np.exp(TASTE * (predicted - zero))


def reference_choose(scores: np.ndarray, exclude: np.ndarray, k: int = elicit.ASK_K) -> list[int]:
    """Every row sorted by score, highest first, ties to the lower row; the first k not excluded."""
    excluded, rows = set(np.asarray(exclude).tolist()), []
    for row in np.lexsort((np.arange(len(scores)), -scores)).tolist():
        if len(rows) == k:
            break
        if row not in excluded:
            rows.append(row)
    return rows


def random_request(rng: np.random.Generator, n: int) -> dict:
    """Rated, skipped and listed rows (repeats and overlaps allowed, mostly among the popular first rows as a
    newcomer's would be), predicted stars (half stars, so that tilts tie, or any), and sometimes a reference."""
    near = min(n, 400)
    rated = rng.integers(0, near if rng.random() < 0.7 else n, rng.integers(0, 40))
    skipped = rng.integers(0, near if rng.random() < 0.7 else n, rng.integers(0, 60))
    listed = rng.integers(0, n, rng.integers(0, 21))
    predicted = rng.choice(HALF_STARS, n) if rng.random() < 0.6 else rng.uniform(0.5, 5.0, n)
    reference = None if rng.random() < 0.8 else rng.choice([3.0, 3.5], n)
    return {"rated": rated, "skipped": skipped, "listed": listed, "predicted": predicted, "reference": reference}


@pytest.mark.parametrize(
    ("n", "seen_space", "requests"), [(970, True, 1500), (17_770, True, 1000), (17_770, False, 300)]
)
def test_served_cards_and_scores_are_the_plain_formula_and_a_full_sort(n, seen_space, requests):
    data = synthetic(n, seed=n + seen_space, seen_space=seen_space)
    rng = np.random.default_rng(n)
    ties_at_the_cut = ties_inside = 0
    for _ in range(requests):
        q = random_request(rng, n)
        scores = data.scores("taste_static", q["rated"], q["predicted"], q["skipped"], q["reference"])
        want = reference_scores(data, q["rated"], q["skipped"], q["predicted"], q["reference"])
        np.testing.assert_array_equal(scores, want)  # to the last bit, not only close
        exclude = np.concatenate([q["rated"], q["skipped"]])
        got = elicit.choose_unlisted(scores, exclude, q["listed"])
        expected = reference_choose(want, np.concatenate([exclude, q["listed"]]))
        assert got.tolist() == expected
        assert got.tolist() == elicit.choose(scores, np.concatenate([exclude, q["listed"]])).tolist()
        # how often the answer hangs on the rule "ties to the lower row"
        next_best = reference_choose(want, np.concatenate([exclude, q["listed"]]), elicit.ASK_K + 1)[-1]
        ties_at_the_cut += bool(want[expected[-1]] == want[next_best])
        ties_inside += bool(len(set(want[expected].tolist())) < len(expected))
    assert ties_at_the_cut > requests // 20 and ties_inside > requests // 20  # the test does exercise ties


@pytest.mark.parametrize("n", [970, 17_770])
def test_the_requests_reach_both_clip_ends_the_cap_and_between(n):
    """So that the comparison above covers every branch of the folded clip."""
    data, rng = synthetic(n, seed=n + 1), np.random.default_rng(n)
    below = above = capped = between = 0.0
    for _ in range(50):
        q = random_request(rng, n)
        p = reference_seen(data, q["rated"], q["skipped"])
        ratio = p / np.maximum(data.p_seen, SEEN_FLOOR)
        below, above = below + (p == SEEN_FLOOR).mean() / 50, above + (p == 1.0).mean() / 50
        capped += (ratio > SEEN_RATIO_CAP).mean() / 50
        between += ((p > SEEN_FLOOR) & (p < 1.0) & (ratio < SEEN_RATIO_CAP)).mean() / 50
    assert min(below, above, capped, between) > 0.03, (below, above, capped, between)


def test_served_scores_do_not_depend_on_the_order_of_the_answers_even_in_the_last_bit():
    data = synthetic(17_770, seed=2)
    rng = np.random.default_rng(3)
    rated, skipped = rng.choice(400, 25, replace=False), rng.choice(np.arange(400, 800), 35, replace=False)
    predicted = rng.uniform(0.5, 5.0, data.catalog_size)
    want = data.scores("taste_static", rated, predicted, skipped)
    for _ in range(5):
        got = data.scores("taste_static", rng.permutation(rated), predicted, rng.permutation(skipped))
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(data.scores("taste_static", np.r_[rated, rated[:3]], predicted, skipped), want)


@pytest.mark.parametrize("n", [970, 1023, 1024, 1500, 4099, 17_770])
def test_choose_is_a_full_sort_on_scores_with_many_ties(n):
    """``choose`` alone, at catalog sizes on both sides of where its column-maxima path starts (32 x 32 rows),
    on scores with few distinct values, with -inf scores, and with k up to beyond N / 32."""
    rng = np.random.default_rng(n)
    for trial in range(150):
        kind = trial % 3
        if kind == 0:
            scores = rng.integers(0, 6, n).astype(np.float64)  # six values: every cut is a tie
        elif kind == 1:
            scores = np.round(rng.exponential(size=n), 1)
        else:
            scores = np.where(rng.random(n) < 0.2, -np.inf, rng.normal(size=n))
        exclude = rng.integers(0, n, rng.integers(0, 120))
        k = int(rng.choice([1, 3, elicit.ASK_K, elicit.ASK_K, 40, 100]))
        assert elicit.choose(scores, exclude, k).tolist() == reference_choose(scores, exclude, k), (trial, k)


def test_choose_leaves_excluded_rows_out_even_when_they_score_best_or_fill_a_whole_column():
    n = 32 * 100  # choose reads it as (32, 100): column c is rows c, c + 100, c + 200, ...
    scores = np.zeros(n)
    scores[:200] = 5.0
    assert elicit.choose(scores, np.arange(200), 10).tolist() == list(range(200, 210))  # the best all excluded
    column = np.arange(0, n, 100)
    scores[column] = np.inf
    assert elicit.choose(scores, column, 3).tolist() == [1, 2, 3]  # a whole column excluded
    assert elicit.choose(scores, column[1:], 3).tolist() == [0, 1, 2]
