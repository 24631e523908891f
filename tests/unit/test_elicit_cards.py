"""``ElicitationData.cards``: the change strategies' cards at a large catalog, from a bound on each movie's score."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from screen_genius import elicit
from screen_genius.elicit import ElicitationData
from screen_genius.question_tree import QuestionTree

N = elicit.PRUNE_MIN + 904  # large enough that ``cards`` prunes
ROOT = np.arange(10)
LIKED_SCREEN, DISLIKED_SCREEN = np.arange(100, 110), np.arange(200, 210)


def tree() -> QuestionTree:
    """A root screen (movies 0..9) whose first movie sends a liker to movies 100..109, a disliker to 200..209."""
    questions = np.stack([ROOT, LIKED_SCREEN, DISLIKED_SCREEN])
    cells = np.array([[0, 1, 2, 3, -1], [-1, -1, -1, -1, 1], [-1, -1, -1, -1, 2], [-1, -1, -1, -1, -1]])
    cells = np.concatenate([cells, [[-1, -1, -1, -1, -1]] * 2])
    return QuestionTree(questions=questions, cells=cells, roots=np.array([0, 4, 5]), liked=4.0)


@pytest.fixture(scope="module")
def data() -> ElicitationData:
    """Skewed popularity, an anisotropic taste prior and seen space: a bound that is far from tight."""
    rng = np.random.default_rng(0)
    n_ratings = np.round(5000.0 / (1 + np.arange(N)) ** 0.7) + 1
    d, k = 8, 8
    scale = np.linspace(0.2, 1.5, d)
    return ElicitationData(
        n_ratings=n_ratings,
        p_seen=n_ratings / 6000.0,
        mean=rng.uniform(2.5, 4.5, N),
        var=rng.uniform(0.3, 1.5, N),
        entropy=rng.uniform(1.0, 3.0, N),
        features=rng.normal(0, 0.3, (N, d)) * scale,
        prior_cov=np.diag(scale) * 0.3,
        noise_var=0.7,
        seen_vectors=np.linalg.qr(rng.normal(size=(N, k)))[0] * np.linspace(1, 3, k),
        seen_mean=rng.normal(0, 0.05, k),
        seen_cov=np.eye(k) * 0.05,
        seen_noise=0.05,
        tree=tree(),
    )


def profile(rng: np.random.Generator, root: bool):
    rated = rng.choice(600, rng.integers(0, 25), replace=False)
    if root:  # through the root screen, so tree_change boosts the next one
        rated = np.unique(np.concatenate([ROOT[: rng.integers(5, 11)], rated[:0]]))
    skipped = np.setdiff1d(rng.choice(600, 30, replace=False), rated)
    listed = np.setdiff1d(rng.choice(900, 50, replace=False), np.concatenate([rated, skipped]))
    stars = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], len(rated))
    return rated, stars, skipped, listed, np.clip(rng.normal(3.5, 1.0, N), 1, 5)


def full(data: ElicitationData, strategy: str, rated, stars, skipped, listed, predicted) -> np.ndarray:
    scores = data.scores(strategy, rated, predicted, skipped, None, stars)
    return elicit.choose(scores, np.concatenate([rated, skipped, listed]))


@pytest.mark.parametrize("strategy", elicit.CHANGE)
def test_the_pruned_cards_are_the_cards_of_every_movies_score(data, strategy, monkeypatch):
    exact = ElicitationData._change
    computed: list[int] = []

    def counted(self, forms, predicted, rows=None):
        computed.append(self.catalog_size if rows is None else len(rows))
        return exact(self, forms, predicted, rows)

    rng = np.random.default_rng(1)
    for trial in range(40):
        rated, stars, skipped, listed, predicted = profile(rng, root=trial % 2 == 1)
        expected = full(data, strategy, rated, stars, skipped, listed, predicted)
        monkeypatch.setattr(ElicitationData, "_change", counted)
        got = data.cards(strategy, rated, predicted, skipped, None, stars, listed)
        monkeypatch.setattr(ElicitationData, "_change", exact)
        assert got.tolist() == expected.tolist()
        assert sum(computed) < N / 4  # and the change was computed for a small part of the catalog
        computed.clear()


def test_tree_change_cards_at_a_large_catalog_follow_the_first_answer(data):
    """Through the root, a 5 for its first movie leads to the liked screen's movies, a 1 to the disliked one's."""
    predicted = np.full(N, 3.5)
    liked = data.cards(elicit.TREE_CHANGE, ROOT, predicted, None, None, np.array([5.0] + [3.0] * 9))
    disliked = data.cards(elicit.TREE_CHANGE, ROOT, predicted, None, None, np.array([1.0] + [3.0] * 9))
    assert set(liked) & set(LIKED_SCREEN) and not set(liked) & set(DISLIKED_SCREEN)
    assert set(disliked) & set(DISLIKED_SCREEN) and not set(disliked) & set(LIKED_SCREEN)


def test_a_score_that_is_not_finite_leaves_the_cards_to_every_movies_score(data):
    rated, stars, skipped, listed, predicted = profile(np.random.default_rng(2), root=False)
    predicted[700] = np.inf  # an infinite surprise: movie 700 first, as ``choose`` of all the scores has it
    got = data.cards("seen_change", rated, predicted, skipped, None, stars, listed)
    assert got[0] == 700
    assert got.tolist() == full(data, "seen_change", rated, stars, skipped, listed, predicted).tolist()


def test_tree_change_without_answered_ratings_is_refused(data):
    with pytest.raises(ValueError, match="answered_ratings"):
        data.cards(elicit.TREE_CHANGE, ROOT, np.full(N, 3.5))


@pytest.mark.parametrize("rank", [1, 3, 16])
def test_eigenvalue_bound_is_above_the_largest_eigenvalue_and_within_its_factor(rank: int) -> None:
    """The bound ``cards`` uses for lmax(S G S) and lmax(S^-1): never below the largest eigenvalue (or a movie
    could be pruned that should be asked), at most D^(1/16) above it, and 0 for the zero matrix."""
    rng = np.random.default_rng(rank)
    for _ in range(50):
        a = rng.normal(size=(16, rank)) * rng.uniform(1e-3, 1e3)
        m = a @ a.T
        top = float(np.linalg.eigvalsh(m)[-1])
        bound = elicit._eigenvalue_max_at_most(m)
        assert top * (1 - 1e-12) <= bound <= top * 16 ** (1 / 16) * (1 + 1e-12)
        if rank == 1:  # one eigenvalue: the bound is it
            assert bound == pytest.approx(top, rel=1e-12)
    assert elicit._eigenvalue_max_at_most(np.zeros((16, 16))) == 0.0


def test_tied_scores_go_to_the_lower_row_as_choose_has_them(data):
    """Two copies of the best-scored movie at the catalog's end: all three tie, and the pruned cards list them
    in row order, as ``choose`` of every movie's score does."""
    rated, stars, skipped, listed, predicted = profile(np.random.default_rng(3), root=False)
    best = int(full(data, "seen_change", rated, stars, skipped, listed, predicted)[0])
    copies = [N - 2, N - 1]
    arrays = {}
    for name in ("n_ratings", "p_seen", "mean", "var", "entropy", "features", "seen_vectors"):
        values = getattr(data, name).copy()
        values[copies] = values[best]
        arrays[name] = values
    tied = dataclasses.replace(data, **arrays)
    predicted[copies] = predicted[best]
    exclude = np.concatenate([rated, skipped, listed])
    pruned = tied._change_cards("seen_change", rated, predicted, skipped, None, stars, exclude, elicit.ASK_K)
    assert pruned is not None  # the bound's path answered, not the fallback
    got = tied.cards("seen_change", rated, predicted, skipped, None, stars, listed).tolist()
    assert got == pruned.tolist() and got[:3] == [best, *copies]
    assert got == full(tied, "seen_change", rated, stars, skipped, listed, predicted).tolist()


def test_stars_off_the_float32_bounds_scale_leave_the_cards_to_every_movies_score(data):
    """A prediction of 5,000 stars is past what the float32 bound covers (STARS_MAX_32): every movie is scored."""
    rated, stars, skipped, listed, predicted = profile(np.random.default_rng(4), root=False)
    predicted[800] = 5000.0
    assert data._change_cards("seen_change", rated, predicted, skipped, None, stars, np.zeros(0, np.int64), 10) is None
    got = data.cards("seen_change", rated, predicted, skipped, None, stars, listed)
    assert got[0] == 800
    assert got.tolist() == full(data, "seen_change", rated, stars, skipped, listed, predicted).tolist()
