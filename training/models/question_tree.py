"""Learn the question tree of ``screen_genius.question_tree`` on training users.

Golbandi, Koren and Lempel (WSDM 2011) grow a ternary tree of questions
greedily: each node asks the movie whose answer (liked / disliked / unknown)
splits the node's users into groups that rate the *other* movies most alike,
the error being the squared deviation of every rating from its group's mean
for that movie. We ask a screen of ``questions`` movies per node (as Sun et
al., WSDM 2013, ask several), chosen one after another by the same error:

- the *information* partition refines by every answer chosen so far (cells of
  fewer than ``min_cell`` users, or 1% of the node's, do not weigh), and the next movie is the one
  whose answers lower the error of that partition most, group means shrunk
  toward the cell's own (``shrink`` pseudo-users), the movie's own column left
  out (an answer trivially predicts itself);
- the *routing* partition splits a cell on a chosen movie only when each of
  its three answers holds at least ``min_node`` users; its leaves are the
  next screen's nodes, grown the same way on their users, ``depth`` screens in
  all. A screen ends early when no movie lowers the node's error by ``min_gain``
  of it (the fallback strategy fills the cards), and a leaf whose users have
  nothing more to tell leads to no node.

Candidates are the ``candidates`` most-rated movies, the error is measured
over the ``targets`` most-rated, on at most ``max_users`` users (a seeded
sample), so the fit costs about depth x questions x (2 candidates x 3
targets x users) multiply-adds whatever the data's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screen_genius.question_tree import DISLIKED, LIKED, UNKNOWN, QuestionTree
from training.coldstart.ratings import CatalogRatings


@dataclass(frozen=True)
class TreeSettings:
    questions: int = 10  # movies per screen
    depth: int = 3  # screens learned; past them the fallback strategy asks
    candidates: int = 300
    targets: int = 2000
    max_users: int = 5000
    min_node: int = 30  # users behind each answer of a routing split
    min_cell: int = 4  # users a cell of the information partition needs to refine further
    shrink: float = 50.0  # pseudo-users pulling a group's mean toward its cell's (10 and 50 tried on fold 0)
    min_gain: float = 1e-3  # a question must lower the node's error by this share of it, or the screen ends
    liked: float = 4.0  # stars at or above which an answer is "liked"
    seed: int = 0


def _dense(train: CatalogRatings, users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(U, T) float32 ratings (0 where not rated) and rated indicator of ``users`` on catalog rows ``items``."""
    column = np.full(train.n_items, -1, np.int64)
    column[items] = np.arange(len(items))
    ratings = np.zeros((len(users), len(items)), np.float32)
    for i, u in enumerate(users.tolist()):
        rows, stars = train.user(u)
        at = column[rows]
        keep = at >= 0
        ratings[i, at[keep]] = stars[keep]
    return ratings, (ratings > 0).astype(np.float32)


def _fit_term(s: np.ndarray, n: np.ndarray, prior: np.ndarray, shrink: float) -> np.ndarray:
    """sum(r^2) minus the squared error of ratings around their group's mean shrunk toward ``prior``.

    With m = (s + shrink prior) / (n + shrink), sum (r - m)^2 = sum r^2 - m (2 s - n m): the squares are the same
    for every split of a cell, so a split's error needs only the groups' sums and counts.
    """
    mean = (s + shrink * prior) / (n + shrink)
    return mean * (2.0 * s - n * mean)


def fit(train: CatalogRatings, settings: TreeSettings = TreeSettings()) -> QuestionTree:
    """The question tree of ``train``'s users (see the module docstring)."""
    st = settings
    counts = np.bincount(train.rows, minlength=train.n_items)
    by_count = np.lexsort((np.arange(train.n_items), -counts))
    items = np.sort(by_count[: min(st.targets, int((counts > 0).sum()))])
    candidates = np.sort(by_count[: min(st.candidates, len(items))])
    users = np.arange(train.n_users)
    if len(users) > st.max_users:
        users = np.sort(np.random.default_rng(st.seed).choice(len(users), st.max_users, replace=False))
    ratings, rated = _dense(train, users, items)
    stats = np.concatenate([ratings, rated], axis=1)  # (U, 2T): what sums and counts of any group add up from
    column_of = {int(r): i for i, r in enumerate(items.tolist())}
    own = np.array([column_of[int(c)] for c in candidates], np.int64)  # each candidate's own target column
    cand_ratings = ratings[:, own]
    liked = ((cand_ratings >= st.liked) & (cand_ratings > 0)).astype(np.float32)
    disliked = ((cand_ratings < st.liked) & (cand_ratings > 0)).astype(np.float32)
    answers = np.where(liked > 0, LIKED, np.where(disliked > 0, DISLIKED, UNKNOWN))  # (U, C)
    split_by = np.concatenate([liked, disliked], axis=1)  # (U, 2C)

    questions: list[list[int]] = []
    cells: list[list[int]] = []
    roots: list[int] = []
    pending: list[tuple[np.ndarray, int, int, frozenset[int]]] = [
        (np.arange(len(users)), 0, -1, frozenset())
    ]  # (users, depth, the parent's leaf cell, asked)
    while pending:
        members, depth, parent_cell, asked = pending.pop(0)
        usable = ~np.isin(candidates, list(asked))  # never a movie an earlier screen asked
        chosen = _screen(members, stats, split_by, answers, own, usable, st)
        if parent_cell >= 0:
            if not chosen:  # nothing more to learn from these users: the leaf leads to the fallback
                continue
            cells[parent_cell][4] = len(questions)
        questions.append([int(candidates[c]) for c in chosen])
        # The routing cells: split while each answer keeps min_node users.
        roots.append(len(cells))
        cells.append([-1, -1, -1, -1, -1])
        frontier = [(len(cells) - 1, members)]
        for j, c in enumerate(chosen):
            next_frontier = []
            for cell, who in frontier:
                groups = [who[answers[who, c] == a] for a in (LIKED, DISLIKED, UNKNOWN)]
                if min(len(g) for g in groups) < st.min_node:
                    next_frontier.append((cell, who))
                    continue
                cells[cell][0] = j
                for a, g in zip((LIKED, DISLIKED, UNKNOWN), groups, strict=True):
                    cells[cell][1 + a] = len(cells)
                    cells.append([-1, -1, -1, -1, -1])
                    next_frontier.append((len(cells) - 1, g))
            frontier = next_frontier
        leaves = frontier
        if depth + 1 < st.depth:
            below = asked | {int(c) for c in chosen}
            pending.extend((who, depth + 1, cell, below) for cell, who in leaves if len(who) >= st.min_node)
    width = max(len(q) for q in questions)
    return QuestionTree(
        questions=np.array([q + [-1] * (width - len(q)) for q in questions], np.int64),
        cells=np.array(cells, np.int64),
        roots=np.array(roots, np.int64),
        liked=float(st.liked),
    )


def _screen(
    members: np.ndarray,
    stats: np.ndarray,
    split_by: np.ndarray,
    answers: np.ndarray,
    own: np.ndarray,
    usable: np.ndarray,
    st: TreeSettings,
) -> list[int]:
    """Candidate indices of one node's screen, greedily by the error of the information partition."""
    n_cand, n_targets = len(own), stats.shape[1] // 2
    s, n = stats[members, :n_targets].sum(axis=0), stats[members, n_targets:].sum(axis=0)
    squares = (stats[members, :n_targets] ** 2).sum(axis=0)
    enough = st.min_gain * float((squares - np.divide(s * s, n, out=np.zeros(n_targets), where=n > 0)).sum())
    min_cell = max(st.min_cell, len(members) // 100)  # at most about 100 cells weigh the next question
    chosen: list[int] = []
    cell_of = np.zeros(len(members), np.int64)
    for _ in range(min(st.questions, int(usable.sum()))):
        open_ = np.flatnonzero(usable & ~np.isin(np.arange(n_cand), chosen))  # candidates still to weigh
        columns = np.concatenate([open_, n_cand + open_])
        gain = np.full(n_cand, -np.inf)
        gain[open_] = 0.0
        for cell in np.unique(cell_of):
            who = members[cell_of == cell]
            if len(who) < min_cell:
                continue
            block = stats[who]
            total = block.sum(axis=0)  # (2T,)
            s0, n0 = total[:n_targets], total[n_targets:]
            prior = np.divide(s0, n0, out=np.zeros(n_targets, np.float32), where=n0 > 0)
            by = split_by[who][:, columns].T @ block  # (2 open, 2T): sums and counts of the liked, disliked
            like, dis = by[: len(open_)], by[len(open_) :]
            unknown = total[None, :] - like - dis
            fit = np.add.reduce(
                [_fit_term(g[:, :n_targets], g[:, n_targets:], prior, st.shrink) for g in (like, dis, unknown)]
            )
            unsplit = prior * s0  # the cell as it is, at its own means
            fit[np.arange(len(open_)), own[open_]] = unsplit[own[open_]]  # a movie's answer does not tell itself
            gain[open_] += fit.sum(axis=1) - unsplit.sum()
        best = int(np.argmax(gain))  # ties to the more-rated (lower) candidate
        if not gain[best] > enough:  # these users' answers tell nothing more: the fallback asks the rest
            break
        chosen.append(best)
        cell_of = cell_of * 3 + answers[members, best]
        _, cell_of = np.unique(cell_of, return_inverse=True)
    return chosen
