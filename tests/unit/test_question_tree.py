"""The question tree (``tree`` strategy): learned screens that route a person by their answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from screen_genius import elicit
from screen_genius.elicit import ElicitationData
from screen_genius.question_tree import QuestionTree
from training.coldstart.ratings import CatalogRatings
from training.models import question_tree

N = 31  # 0..20 split two groups (A loves 0..10, B loves 11..20); 21..25 split A inside, 26..30 split B inside
A_INNER, B_INNER = set(range(21, 26)), set(range(26, 31))


def planted(n_users: int = 600, seed: int = 0) -> CatalogRatings:
    """Users of two groups, each of two kinds, who rate 60% of the movies they can see (1 or 5 stars)."""
    rng = np.random.default_rng(seed)
    users, rows, stars = [], [], []
    for u in range(n_users):
        group, kind = u % 2, (u // 2) % 2
        for m in range(N):
            inner_of_other_group = (m in A_INNER and group) or (m in B_INNER and not group)
            if inner_of_other_group or rng.random() > 0.6:
                continue
            high = (m <= 10) == (group == 0) if m <= 20 else kind == 0
            users.append(u)
            rows.append(m)
            stars.append(5.0 if high else 1.0)
    return CatalogRatings.build(np.array(users), np.array(rows), np.array(stars), N)


@pytest.fixture(scope="module")
def tree() -> QuestionTree:
    return question_tree.fit(planted(), question_tree.TreeSettings(min_node=20))


def elicitation(tree: QuestionTree | None) -> ElicitationData:
    return ElicitationData(
        n_ratings=np.full(N, 100.0),
        p_seen=np.full(N, 0.5),
        mean=np.full(N, 3.0),
        var=np.ones(N),
        entropy=np.ones(N),
        features=np.ones((N, 1)),
        prior_cov=np.ones((1, 1)),
        noise_var=1.0,
        tree=tree,
    )


def cards(data: ElicitationData, rated: dict[int, float], skipped=(), listed=()) -> list[int]:
    rows = np.array(list(rated), np.int64)
    scores = data.scores(
        "tree", rows, np.full(N, 3.0), np.array(skipped, np.int64), None, np.array(list(rated.values()))
    )
    exclude = np.concatenate([rows, np.array(skipped, np.int64)])
    return elicit.choose_unlisted(scores, exclude, np.array(listed, np.int64)).tolist()


def _parents(tree: QuestionTree) -> dict[int, int]:
    """Each node's parent: fit lays out each node's routing cells together, from its root cell on."""
    ends = [*tree.roots[1:].tolist(), len(tree.cells)]
    return {
        int(tree.cells[c, 4]): node
        for node, (start, end) in enumerate(zip(tree.roots.tolist(), ends, strict=True))
        for c in range(start, end)
        if tree.cells[c, 4] >= 0
    }


def test_the_first_question_splits_the_groups_and_no_screen_repeats_an_earlier_one(tree):
    root = set(tree.questions[0].tolist())
    assert tree.questions[0, 0] <= 20  # the answer that tells A from B is worth most
    assert A_INNER & root and B_INNER & root  # then what splits each group inside
    parents = _parents(tree)
    assert len(parents) == len(tree.roots) - 1 >= 2  # every node but the root hangs below one, and there are some
    for node in parents:
        above, up = set(), node
        while up:
            up = parents[up]
            above |= {int(m) for m in tree.questions[up] if m >= 0}
        assert not above & {int(m) for m in tree.questions[node] if m >= 0}


def test_a_five_and_a_one_for_the_same_movie_lead_to_different_cards(tree):
    data = elicitation(tree)
    first = int(tree.questions[0, 0])
    rest = [int(m) for m in tree.questions[0, 1:] if m >= 0]
    loved = cards(data, {first: 5.0}, skipped=rest)  # loved the group question, has seen nothing else asked
    hated = cards(data, {first: 1.0}, skipped=rest)
    assert loved != hated
    # Loving a movie of B's (11..20) or of A's (0..10): the next screen asks what splits that group inside.
    lover_inner, hater_inner = (B_INNER, A_INNER) if first >= 11 else (A_INNER, B_INNER)
    assert loved[0] in lover_inner and hated[0] in hater_inner


def test_a_person_stays_at_the_root_until_half_of_it_is_answered(tree):
    root = [int(m) for m in tree.questions[0] if m >= 0]
    half = (len(root) + 1) // 2
    assert tree.node(np.array(root[: half - 1]), np.full(half - 1, 5.0), np.zeros(0, np.int64)) == 0
    assert tree.node(np.array(root[:1]), np.array([5.0]), np.array(root[1:half])) != 0


def test_the_cards_do_not_depend_on_the_order_of_the_ratings_and_leave_out_rated_skipped_and_listed(tree):
    data = elicitation(tree)
    rng = np.random.default_rng(3)
    rated = {int(m): float(rng.choice([1.0, 5.0])) for m in tree.questions[0] if m >= 0}
    skipped, listed = [1, 2], [3, 4]
    want = cards(data, rated, skipped, listed)
    for _ in range(5):
        keys = rng.permutation(list(rated)).tolist()
        assert cards(data, {k: rated[k] for k in keys}, skipped[::-1], listed) == want
    assert len(want) == elicit.ASK_K and not set(want) & (set(rated) | {1, 2, 3, 4})


def test_the_tree_travels_in_elicitation_npz_and_a_set_without_it_asks_as_the_fallback(tree):
    data = elicitation(tree)
    back = ElicitationData.from_bytes(data.to_bytes())
    assert back.tree is not None
    for name in ("questions", "cells", "roots"):
        np.testing.assert_array_equal(getattr(back.tree, name), getattr(tree, name))
    older = ElicitationData.from_bytes(elicitation(None).to_bytes())
    assert older.tree is None
    rated, predicted = np.array([0]), np.linspace(1, 5, N)
    np.testing.assert_array_equal(
        older.scores("tree", rated, predicted, None, None, np.array([5.0])),
        older.scores(elicit.TREE_FALLBACK, rated, predicted, None, None),
    )


def test_a_tree_that_points_outside_itself_or_the_catalog_is_refused(tree):
    broken = tree.cells.copy()
    broken[0, 1] = len(broken) + 5
    with pytest.raises(ValueError, match="outside the tree"):
        QuestionTree(tree.questions, broken, tree.roots, tree.liked)
    too_far = dataclasses.replace(tree, questions=tree.questions + N)
    with pytest.raises(ValueError, match=f"of {N} movies"):
        elicitation(too_far)
    with pytest.raises(ValueError, match="answered_ratings"):
        elicitation(tree).scores("tree", np.array([0, 1]), None, None, None, np.array([5.0]))


def change_cards(data: ElicitationData, rated: dict[int, float], skipped=()) -> list[int]:
    rows = np.array(list(rated), np.int64)
    scores = data.scores(
        elicit.TREE_CHANGE, rows, np.full(N, 3.0), np.array(skipped, np.int64), None, np.array(list(rated.values()))
    )
    return elicit.choose(scores, np.concatenate([rows, np.array(skipped, np.int64)])).tolist()


def test_tree_change_is_seen_change_with_the_persons_screen_boosted_and_reads_how_they_rated(tree):
    data = elicitation(tree)
    first = int(tree.questions[0, 0])
    rest = [int(m) for m in tree.questions[0, 1:] if m >= 0]
    screens = {}
    for stars in (5.0, 1.0):
        rows, ratings, skipped = np.array([first]), np.array([stars]), np.array(rest, np.int64)
        change = data.scores("seen_change", rows, np.full(N, 3.0), skipped)
        boosted = data.scores(elicit.TREE_CHANGE, rows, np.full(N, 3.0), skipped, None, ratings)
        screen = [int(m) for m in tree.questions[tree.node(rows, ratings, skipped)] if m >= 0]
        want = change.copy()
        want[screen] *= elicit.TREE_BOOST
        np.testing.assert_array_equal(boosted, want)
        screens[stars] = set(screen)
    loved, hated = change_cards(data, {first: 5.0}, rest), change_cards(data, {first: 1.0}, rest)
    assert loved != hated  # the same movie rated 5 and 1: different screens, different cards
    # Every movie weighs alike here, so each person's screen comes first, whole: the one that splits their group.
    assert set(loved[: len(screens[5.0])]) == screens[5.0] and set(hated[: len(screens[1.0])]) == screens[1.0]
    lover_inner, hater_inner = (B_INNER, A_INNER) if first >= 11 else (A_INNER, B_INNER)
    assert screens[5.0] & lover_inner and screens[1.0] & hater_inner


def test_tree_change_boosts_the_root_only_for_a_person_whose_ratings_are_all_root_movies(tree):
    data = elicitation(tree)
    root = [int(m) for m in tree.questions[0] if m >= 0]
    outside = next(m for m in range(N) if m not in root)
    predicted = np.full(N, 3.0)
    fresh = data.scores(elicit.TREE_CHANGE, np.zeros(0, np.int64), predicted, None, None, np.zeros(0))
    assert (fresh[root] == elicit.TREE_BOOST * data.scores("seen_change", np.zeros(0, np.int64), predicted)[root]).all()
    searched = np.array([outside, root[0]])  # came with a rating of their own beside one root movie: still at the root
    assert tree.node(searched, np.array([5.0, 5.0]), np.zeros(0, np.int64)) == 0
    np.testing.assert_array_equal(
        data.scores(elicit.TREE_CHANGE, searched, predicted, None, None, np.array([5.0, 5.0])),
        data.scores("seen_change", searched, predicted),
    )


def test_tree_change_cards_do_not_depend_on_the_order_of_the_ratings_and_leave_out_rated_and_skipped(tree):
    data = elicitation(tree)
    rng = np.random.default_rng(5)
    rated = {int(m): float(rng.choice([1.0, 5.0])) for m in tree.questions[0] if m >= 0}
    skipped = [m for m in range(N) if m not in rated][:3]
    want = change_cards(data, rated, skipped)
    for _ in range(5):
        keys = rng.permutation(list(rated)).tolist()
        assert change_cards(data, {k: rated[k] for k in keys}, skipped[::-1]) == want
    assert len(want) == elicit.ASK_K and not set(want) & (set(rated) | set(skipped))
    with pytest.raises(ValueError, match="answered_ratings"):
        data.scores(elicit.TREE_CHANGE, np.array(list(rated)), np.full(N, 3.0))
