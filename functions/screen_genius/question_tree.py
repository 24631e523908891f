"""A tree of question screens learned on training users (``tree`` strategy of ``screen_genius.elicit``).

After Golbandi, Koren and Lempel (WSDM 2011, "Adaptive bootstrapping of
recommender systems using decision trees"), with several questions per
screen as Sun et al. (WSDM 2013) do: each *node* is one screen of up to 10
movies to rate, chosen on the training users who answered the screens above
it the same way. A person's answer to a movie is *liked* (rated at or above
``liked`` stars), *disliked* (rated below) or *unknown* (skipped or not rated).
Inside a node, a small ternary tree of *cells* sends the person on: a cell
either splits on one of the node's movies (three child cells, one per answer)
or is a leaf, which names the node of the next screen (or none: the strategy's
fallback asks from there).

A person is at the root until they have answered (rated or skipped) at least
half of its movies; then the answers pick a leaf, and so on down. Everything
reads sets of rows, so the node does not depend on the order of the ratings.
The training side is ``training.models.question_tree``.

Arrays (catalog rows throughout):

- ``questions`` (n_nodes, Q) int64: each node's movies, best question first, -1 padding;
- ``cells`` (n_cells, 5) int64: per cell [question index in its node or -1 for a leaf, child cell for
  liked, for disliked, for unknown (-1 for a leaf), next node (-1: none; leaves only)];
- ``roots`` (n_nodes,) int64: each node's first cell;
- ``liked``: the stars at or above which an answer counts as liked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LIKED, DISLIKED, UNKNOWN = 0, 1, 2  # the answer branches, in the order of ``cells``' child columns
ARRAYS = ("questions", "cells", "roots", "liked")


@dataclass(frozen=True)
class QuestionTree:
    questions: np.ndarray
    cells: np.ndarray
    roots: np.ndarray
    liked: float
    _lists: tuple[list[list[int]], list[list[int]], list[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        q, c, r = self.questions, self.cells, self.roots
        if q.ndim != 2 or not q.shape[0] or c.ndim != 2 or c.shape[1] != 5 or r.shape != (q.shape[0],):
            raise ValueError(
                f"question tree: questions must be (nodes, Q), cells (cells, 5) and roots (nodes,); are "
                f"{q.shape}, {c.shape} and {r.shape}"
            )
        n_nodes, n_cells = q.shape[0], c.shape[0]
        leaf = c[:, 0] < 0
        bad = (
            (r < 0).any()
            or (r >= n_cells).any()
            or (c[:, 0] >= q.shape[1]).any()
            or (c[~leaf, 1:4] < 0).any()
            or (c[~leaf, 1:4] >= n_cells).any()
            or (c[:, 4] >= n_nodes).any()
            or (c[~leaf, 4] >= 0).any()
        )
        if bad or not np.isfinite(self.liked):
            raise ValueError("question tree: a cell or root points outside the tree")
        # Plain lists for the walk: a request touches a few dozen entries, where numpy's per-call cost dominates.
        screens = [[int(m) for m in row if m >= 0] for row in q]
        object.__setattr__(self, "_lists", (screens, c.tolist(), r.tolist()))

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> QuestionTree:
        return cls(
            questions=np.asarray(arrays["questions"], dtype=np.int64),
            cells=np.asarray(arrays["cells"], dtype=np.int64),
            roots=np.asarray(arrays["roots"], dtype=np.int64),
            liked=float(arrays["liked"]),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "questions": self.questions,
            "cells": self.cells,
            "roots": self.roots,
            "liked": np.asarray(self.liked),
        }

    def boosted(
        self, rated_rows: np.ndarray, ratings: np.ndarray, skipped_rows: np.ndarray, scores: np.ndarray, boost: float
    ) -> np.ndarray:
        """(N,) ``scores`` (>= 0) with this person's node's movies (``boosted_rows``) ``boost`` times higher."""
        out = np.asarray(scores, dtype=np.float64).copy()
        out[self.boosted_rows(rated_rows, ratings, skipped_rows)] *= boost
        return out

    def boosted_rows(self, rated_rows: np.ndarray, ratings: np.ndarray, skipped_rows: np.ndarray) -> list[int]:
        """The movies of this person's node, or none past the tree's last screen on their path. The root's
        screen is everyone's first, so it counts only while each of the person's ratings is one of its movies."""
        node = self.node(rated_rows, ratings, skipped_rows)
        if node < 0:
            return []
        movies = self._lists[0][node]
        if node == 0 and not set(np.asarray(rated_rows).tolist()) <= set(movies):
            return []
        return movies

    def node(self, rated_rows: np.ndarray, ratings: np.ndarray, skipped_rows: np.ndarray) -> int:
        """The node whose screen this person is at, or -1 past the tree's last screen on their path."""
        stars = dict(zip(np.asarray(rated_rows).tolist(), np.asarray(ratings, dtype=np.float64).tolist(), strict=True))
        skipped = set(np.asarray(skipped_rows).tolist())
        screens, cells, roots = self._lists
        node = 0
        for _ in range(len(roots)):  # a path visits each node at most once
            movies = screens[node]
            if 2 * sum(m in stars or m in skipped for m in movies) < len(movies):
                return node
            cell = roots[node]
            while cells[cell][0] >= 0:
                given = stars.get(movies[cells[cell][0]])
                answer = UNKNOWN if given is None else LIKED if given >= self.liked else DISLIKED
                cell = cells[cell][1 + answer]
            node = cells[cell][4]
            if node < 0:
                return -1
        return -1

    def scores(
        self, rated_rows: np.ndarray, ratings: np.ndarray, skipped_rows: np.ndarray, fallback: np.ndarray
    ) -> np.ndarray:
        """(N,) ``fallback`` with this person's node's movies above every other, best question first."""
        node = self.node(rated_rows, ratings, skipped_rows)
        out = np.asarray(fallback, dtype=np.float64).copy()
        if node < 0:
            return out
        movies = self.questions[node]
        movies = movies[movies >= 0]
        top = out.max() if len(out) else 0.0
        out[movies] = top + 1.0 + np.arange(len(movies), 0, -1, dtype=np.float64)
        return out
