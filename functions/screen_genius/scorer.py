"""Scoring one request: a user's ratings -> predicted ratings -> top and bottom lists, and why.

The user tower (``user_tower.tflite``) takes float32 ``[batch, 16, 16]`` user
matrices and returns float32 ``[batch, catalog_size]`` predicted ratings in
stars, catalog row order, unclipped. Its batch dimension may be dynamic or
fixed at 1; both are handled. Runs with LiteRT and numpy only.

``Scorer.explain`` also says which ratings moved each prediction: the same
subsets are scored again with one rating left out at a time, all in the one
batched tower call (up to 16 ratings, with ``explain_tower.tflite``: one
matrix and a mask per input, ``KeptTower``), and a rating's effect on a movie is the prediction with
every rating minus the prediction without that one (stars, after clipping, as
shown to the person). ``Explained.reasons`` names, for a listed movie, the
ratings that moved its place: a rating's effect on that movie minus the shift
it gives the whole catalog (one harsh rating lowers every prediction; that
moves no movie's place among the others and is no reason for any of them).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ai_edge_litert.interpreter import Interpreter

from screen_genius import features, fold_in
from screen_genius.ranking import ListRanking, choose_lists
from screen_genius.scale import RatingScale

BATCH_STEP = features.MAX_RATINGS + 1  # one request's 16-rating subset and its 16 leave-one-out inputs


def padded_batch(n: int) -> int:
    """The batch a tower runs for n inputs: n rounded up to a multiple of BATCH_STEP (at least one step), so that
    a visitor's growing requests do not make LiteRT resize its tensors (which costs as much as the tower)."""
    return -(-max(n, 1) // BATCH_STEP) * BATCH_STEP


def leave_one_out_masks(filled: np.ndarray) -> np.ndarray:
    """(1 + len(filled), 16) float32 keep masks for ``KeptTower``: every row, then each of the ``filled`` slots
    left out in turn (the inputs the subset without that rating would have)."""
    keep = np.ones((1 + len(filled), features.MAX_RATINGS), np.float32)
    keep[1 + np.arange(len(filled)), filled] = 0.0
    return keep


class Tower:
    """The LiteRT user tower; one instance is shared by all request threads."""

    def __init__(self, model_content: bytes, catalog_size: int) -> None:
        self._interpreter = Interpreter(model_content=model_content, num_threads=1)
        inp = self._interpreter.get_input_details()
        out = self._interpreter.get_output_details()
        if len(inp) != 1 or len(out) != 1:
            raise ValueError(f"user_tower.tflite must have 1 input and 1 output; has {len(inp)} and {len(out)}")
        self._in, self._out = inp[0], out[0]
        in_sig = list(self._in.get("shape_signature", self._in["shape"]))
        out_sig = list(self._out.get("shape_signature", self._out["shape"]))
        if self._in["dtype"] != np.float32 or in_sig[1:] != [features.MAX_RATINGS, features.VECTOR_DIM]:
            raise ValueError(
                f"user_tower.tflite input must be float32 [batch, 16, 16]; is {self._in['dtype'].__name__} {in_sig}"
            )
        if self._out["dtype"] != np.float32 or out_sig[1:] != [catalog_size]:
            raise ValueError(
                f"user_tower.tflite output must be float32 [batch, {catalog_size}] (catalog_size); "
                f"is {self._out['dtype'].__name__} {out_sig}"
            )
        self.dynamic_batch = in_sig[0] == -1
        self._batch = int(self._in["shape"][0])
        self._interpreter.allocate_tensors()
        self._lock = threading.Lock()  # a LiteRT interpreter is not thread-safe

    def __call__(self, matrices: np.ndarray) -> np.ndarray:
        """(n, 16, 16) float32 -> (n, catalog_size) float32.

        A dynamic batch is padded with empty matrices up to a multiple of
        BATCH_STEP: resizing the interpreter's tensors costs as much as the
        tower itself, and consecutive requests of one visitor differ by one
        rating (one more row to explain), so without the padding nearly every
        request would resize.
        """
        n = len(matrices)
        with self._lock:
            if not self.dynamic_batch:
                return np.concatenate([self._invoke(m[None]) for m in matrices])
            padded = padded_batch(n)
            if padded != n:
                matrices = np.concatenate([matrices, np.zeros((padded - n, *matrices.shape[1:]), np.float32)])
            return self._invoke(matrices)[:n]

    def _invoke(self, batch: np.ndarray) -> np.ndarray:
        if batch.shape[0] != self._batch:
            self._interpreter.resize_tensor_input(self._in["index"], list(batch.shape))
            self._interpreter.allocate_tensors()
            self._batch = batch.shape[0]
        self._interpreter.set_tensor(self._in["index"], np.ascontiguousarray(batch, dtype=np.float32))
        self._interpreter.invoke()
        out: np.ndarray = self._interpreter.get_tensor(self._out["index"])  # LiteRT ships no type information
        return out


class KeptTower:
    """explain_tower.tflite: one request's input and its leave-one-out inputs in one LiteRT call, the per-row
    network run once. float32 [1, 16, 16] one user matrix and [batch, 16] keep masks -> [batch, catalog_size]:
    row b is the user tower's stars for the matrix with only the rows keep[b] marks (the tower pools its rows,
    so leaving a row out in place is the leave-one-out input). Exported beside user_tower.tflite for a fused
    fold-in ensemble (``training.export``); one instance is shared by all request threads."""

    def __init__(self, model_content: bytes, catalog_size: int) -> None:
        self._interpreter = Interpreter(model_content=model_content, num_threads=1)
        inputs = self._interpreter.get_input_details()
        out = self._interpreter.get_output_details()
        shapes = sorted(list(i.get("shape_signature", i["shape"])) for i in inputs)
        want = [[-1, features.MAX_RATINGS], [1, features.MAX_RATINGS, features.VECTOR_DIM]]
        out_sig = list(out[0].get("shape_signature", out[0]["shape"])) if len(out) == 1 else []
        if (
            shapes != want
            or any(i["dtype"] != np.float32 for i in inputs)
            or out_sig != [-1, catalog_size]
            or out[0]["dtype"] != np.float32
        ):
            raise ValueError(
                f"explain_tower.tflite must take float32 [1, 16, 16] and [batch, 16] and give float32 "
                f"[batch, {catalog_size}] (catalog_size); takes {shapes} and gives {out_sig}"
            )
        self._matrix, self._keep = sorted(inputs, key=lambda i: len(i["shape"]), reverse=True)
        self._out = out[0]
        self._batch = 0
        self._lock = threading.Lock()  # a LiteRT interpreter is not thread-safe

    def __call__(self, matrix: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """(16, 16) float32 and (n, 16) keep masks -> (n, catalog_size) float32. The batch is padded with
        masks that keep nothing up to a multiple of BATCH_STEP (resizing costs as much as the tower, as
        ``Tower`` says)."""
        n = len(keep)
        padded = padded_batch(n)
        masks = np.zeros((padded, features.MAX_RATINGS), np.float32)
        masks[:n] = keep
        with self._lock:
            if padded != self._batch:
                self._interpreter.resize_tensor_input(self._keep["index"], [padded, features.MAX_RATINGS])
                self._interpreter.allocate_tensors()
                self._batch = padded
            self._interpreter.set_tensor(self._matrix["index"], np.ascontiguousarray(matrix[None], dtype=np.float32))
            self._interpreter.set_tensor(self._keep["index"], masks)
            self._interpreter.invoke()
            out: np.ndarray = self._interpreter.get_tensor(self._out["index"])  # a copy
        return out[:n]


# LEAVE_ONE_OUT[i] gathers a 16-slot subset with slot i removed and the rest moved up
# (index 16 is an empty slot): the input the subset without that rating would have.
LEAVE_ONE_OUT = np.array(
    [[j if j < i else j + 1 for j in range(features.MAX_RATINGS)] for i in range(features.MAX_RATINGS)]
)


class Explained:
    """Predictions for one request and the effect of each rating on them.

    predicted: (catalog_size,) float32, clipped to the scale.
    used: how many distinct ratings fed the model.
    rated_rows: (m,) catalog rows of the ratings that fed it, ascending.
    effects: (m, catalog_size) float32; effects[j] = predicted - the prediction without rating j (stars).
    """

    __slots__ = ("effects", "predicted", "rated_rows", "used")

    def __init__(self, predicted: np.ndarray, used: int, rated_rows: np.ndarray, effects: np.ndarray) -> None:
        self.predicted, self.used, self.rated_rows, self.effects = predicted, used, rated_rows, effects

    def relative_effects(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), m) float32 stars: each rating's effect on each of ``rows`` minus its mean effect on the catalog.

        Leave rating j out and movie ``rows[i]``'s prediction, relative to the
        catalog's, moves by -result[i, j].
        """
        shift = self.effects.mean(axis=1, dtype=np.float64)
        relative: npt.NDArray[np.float32] = (self.effects[:, rows].T - shift[None, :]).astype(np.float32)
        return relative

    def reasons(
        self, rows: np.ndarray, signs: np.ndarray, k: int, min_effect: float, liked: np.ndarray | None = None
    ) -> list[list[tuple[int, float]]]:
        """For each of ``rows``, up to k (rated row, relative effect) that placed it the way ``signs`` says.

        signs: (len(rows),) +1 for a movie placed high (top list), -1 for one
        placed low (bottom list). A rating is a reason when it moved the movie
        that way, relative to the catalog, by at least ``min_effect`` stars.
        liked: (m,) bool per rated row (``rated_rows`` order), whether the
        person liked it; with it, the ratings that agree with the placement
        come first (a liked movie for a movie placed high, a disliked one for a
        movie placed low: "you will love this because you loved that"), and the
        others only where fewer than k agreeing ones moved the movie enough.
        Within each group the largest first, ties to the lower row.
        """
        relative = self.relative_effects(rows)
        signs = np.asarray(signs, dtype=np.float32)
        toward = relative * signs[:, None]
        if liked is None:
            disagrees = np.zeros(toward.shape, dtype=bool)
        else:
            disagrees = np.asarray(liked, dtype=bool)[None, :] != (signs > 0)[:, None]
        weak = toward < min_effect  # not a reason at all: last whatever its direction
        order = np.lexsort((np.broadcast_to(self.rated_rows, toward.shape), -toward, disagrees, weak))[:, :k]
        named = self.rated_rows[order].tolist()
        effect = np.take_along_axis(relative, order, axis=1).tolist()
        enough = (~np.take_along_axis(weak, order, axis=1)).tolist()
        return [
            [(r, e) for r, e, ok in zip(named[i], effect[i], enough[i], strict=True) if ok] for i in range(len(rows))
        ]


@dataclass(frozen=True)
class PastSixteen:
    """How the answer reads ratings past the 16 the tower sees at once.

    With k > 16 ratings the stars are (1 - w) * the tower's mean over its
    16-rating subsets + w * the exact ridge fold-in on every rating
    (``screen_genius.fold_in``, ridge ``reg``), with w = (k - 16) / (k - 16 +
    ``half``): the more ratings past 16, the more the one solve that reads
    them all counts. Both numbers are chosen on validation users in training.
    """

    reg: float
    half: float

    def weight(self, k: int) -> float:
        """The fold-in's share of the stars with k ratings: 0 up to 16."""
        extra = k - features.MAX_RATINGS
        return extra / (extra + self.half) if extra > 0 else 0.0


class Scorer:
    """Predicts every catalog movie for a user and picks the top and bottom ones.

    movie_vectors: (catalog_size, 16) float32, builds the user matrices.
    offset: the rating offset of the user matrix (stars).
    n_subsets: how many deterministic 16-rating subsets to average (at least)
    when a user gave more than 16 ratings.
    no_information: (catalog_size,) stars for a person who has rated nothing
    (the chart), or None for the tower's own.
    past_sixteen: how ratings past 16 are read (``PastSixteen``), or None for
    the tower's subsets alone.
    kept_tower: explain_tower.tflite (``KeptTower``), which explains a 16-rating
    subset in one call with the per-row network run once (one call per subset
    past 16), or None: the tower's leave-one-out batch.
    """

    def __init__(
        self,
        tower: Tower,
        movie_vectors: np.ndarray,
        offset: float,
        scale: RatingScale,
        n_subsets: int = 1,
        ranking: ListRanking | None = None,
        no_information: np.ndarray | None = None,
        past_sixteen: PastSixteen | None = None,
        kept_tower: KeptTower | None = None,
    ) -> None:
        self.tower = tower
        self.kept_tower = kept_tower
        self.ranking = ranking  # the lists' order (``screen_genius.ranking``); None: by the stars
        self.movie_vectors = movie_vectors
        self.offset = float(offset)
        self.scale = scale
        self.n_subsets = max(1, int(n_subsets))
        self.catalog_size = movie_vectors.shape[0]
        self.no_information = no_information
        self.past_sixteen = past_sixteen

    def _clip(self, stars: np.ndarray) -> np.ndarray:
        clipped: npt.NDArray[np.float32] = np.clip(stars, self.scale.min, self.scale.max).astype(np.float32)
        return clipped

    def predict(self, rows: np.ndarray, ratings: np.ndarray) -> tuple[np.ndarray, int]:
        """Predicted ratings (catalog_size,) float32, clipped to the scale, and how many ratings were used.

        rows: (k,) catalog rows of the rated movies, distinct; ratings: (k,) stars.
        """
        if len(rows) == 0 and self.no_information is not None:
            return self._clip(self.no_information), 0
        sub_rows, sub_ratings = features.choose_subsets(rows, ratings, self.n_subsets)
        matrices = features.user_matrices(self.movie_vectors, sub_rows, sub_ratings, self.offset)
        used = int(np.unique(sub_rows[sub_rows >= 0]).size)  # ratings in at least one subset
        predicted = self.tower(matrices).mean(axis=0, dtype=np.float64)
        w = self.past_sixteen.weight(len(rows)) if self.past_sixteen is not None else 0.0
        if w > 0:
            assert self.past_sixteen is not None
            every = fold_in.fold_in_stars(
                self.movie_vectors,
                self.offset,
                np.asarray(rows)[None],
                np.asarray(ratings)[None],
                self.past_sixteen.reg,
            )[0]
            predicted = (1 - w) * predicted + w * every
        return self._clip(predicted), used

    def explain(self, rows: np.ndarray, ratings: np.ndarray) -> Explained:
        """``predict`` plus each used rating's effect on every prediction, from one batched tower call.

        The subsets are those ``predict`` draws; leaving rating j out removes it
        from every subset that holds it (the others are unchanged), so the
        batch holds n subsets plus one row per (subset, rating in it). Past 16
        ratings the fold-in on every rating is left without j as well (exact,
        by rank-one downdates), with the weight k - 1 ratings get. Leaving out
        a person's only rating gives the no-information stars.
        """
        k = len(rows)
        if k == 0:
            predicted, _ = self.predict(rows, ratings)
            return Explained(predicted, 0, np.zeros(0, np.int64), np.zeros((0, self.catalog_size), np.float32))
        sub_rows, sub_ratings = features.choose_subsets(rows, ratings, self.n_subsets)
        if k <= features.MAX_RATINGS:
            return self._explain_one_subset(sub_rows[0, :k], sub_ratings[0, :k])
        n_sub = len(sub_rows)
        subset_of, slot_of = np.nonzero(sub_rows >= 0)  # one leave-one-out input per filled slot
        if self.kept_tower is not None:  # per subset its matrix and a mask per input: one call each
            subsets = features.user_matrices(self.movie_vectors, sub_rows, sub_ratings, self.offset)
            outs = []
            for s, matrix in enumerate(subsets):
                outs.append(self.kept_tower(matrix, leave_one_out_masks(slot_of[subset_of == s])).astype(np.float64))
            full = np.stack([o[0] for o in outs])
            loo = np.concatenate([o[1:] for o in outs])  # in (subset, slot) order, as np.nonzero gives them
        else:
            padded_rows = np.concatenate([sub_rows, np.full((n_sub, 1), -1, sub_rows.dtype)], axis=1)
            padded_ratings = np.concatenate([sub_ratings, np.zeros((n_sub, 1), sub_ratings.dtype)], axis=1)
            loo_rows = padded_rows[subset_of[:, None], LEAVE_ONE_OUT[slot_of]]
            loo_ratings = padded_ratings[subset_of[:, None], LEAVE_ONE_OUT[slot_of]]
            matrices = features.user_matrices(
                self.movie_vectors,
                np.concatenate([sub_rows, loo_rows]),
                np.concatenate([sub_ratings, loo_ratings]),
                self.offset,
            )
            out = self.tower(matrices).astype(np.float64)
            full, loo = out[:n_sub], out[n_sub:]
        # Without rating j: the subsets holding j lose it, the others stay; then the mean over subsets.
        left_out = sub_rows[subset_of, slot_of]
        rated_rows, which = np.unique(left_out, return_inverse=True)
        # per rating, the sum over the subsets holding it of (without it - with it); every rating is in one
        if n_sub == 1:  # up to 16 ratings: one subset, its slots already in row order, one input per rating
            change = loo - full[0]
        else:
            order = np.argsort(which, kind="stable")
            starts = np.searchsorted(which[order], np.arange(len(rated_rows)))
            change = np.add.reduceat((loo - full[subset_of])[order], starts, axis=0)
        with_all = full.mean(axis=0)
        without = with_all[None, :] + change / n_sub
        w_all = self.past_sixteen.weight(k) if self.past_sixteen is not None else 0.0
        if w_all > 0:
            assert self.past_sixteen is not None
            w_less = self.past_sixteen.weight(k - 1)
            by_row = dict(zip(np.asarray(rows).tolist(), np.asarray(ratings, dtype=np.float64).tolist(), strict=True))
            every, every_without = fold_in.leave_one_out_stars(
                self.movie_vectors,
                self.offset,
                rated_rows,
                np.array([by_row[r] for r in rated_rows.tolist()]),
                self.past_sixteen.reg,
            )
            with_all = (1 - w_all) * with_all + w_all * every
            without = (1 - w_less) * without + w_less * every_without
        elif k == 1 and self.no_information is not None:
            without = np.asarray(self.no_information, dtype=np.float64)[None, :]
        predicted = self._clip(with_all)
        return Explained(predicted, len(rated_rows), rated_rows, (predicted[None, :] - self._clip(without)))

    def _explain_one_subset(self, rated_rows: np.ndarray, ratings: np.ndarray) -> Explained:
        """``explain`` for up to 16 ratings (``rated_rows`` ascending): one subset, and one input without each rating.

        The same tower inputs as the general case, gathered in one step: input 0
        holds every rating, input 1 + j every rating but the j-th, the rest
        moved up (with ``kept_tower``: the one matrix, and a mask per input
        that leaves the j-th row out in place). The prediction without rating
        j is then that input's output.
        """
        k = len(rated_rows)
        slots = features.user_matrices(self.movie_vectors, rated_rows[None], ratings[None], self.offset, width=k)[
            0
        ]  # (k, 16): one row per rating
        if self.kept_tower is not None:  # the same inputs as one matrix and k + 1 masks of its rows
            matrix = np.zeros((features.MAX_RATINGS, features.VECTOR_DIM), np.float32)
            matrix[:k] = slots
            out = self.kept_tower(matrix, leave_one_out_masks(np.arange(k)))
        else:
            matrices = np.zeros((k + 1, features.MAX_RATINGS, features.VECTOR_DIM), np.float32)
            matrices[0, :k] = slots
            if k > 1:
                matrices[1:, : k - 1] = slots[LEAVE_ONE_OUT[:k, : k - 1]]
            out = self.tower(matrices)
        predicted = self._clip(out[0])
        if k == 1 and self.no_information is not None:
            without = self._clip(self.no_information)[None, :]
        else:
            without = self._clip(out[1:])
        return Explained(predicted, k, rated_rows, predicted[None, :] - without)

    def rank(self, predicted: np.ndarray, rated_rows: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Catalog rows of the k best (best first) and k worst (worst first) of the movies not in rated_rows.

        With a list ranking, its top and bottom scores (which read the rated
        movies) choose which k movies make each list; without, the predicted
        stars do. Either way each list is then ordered by the predicted stars
        it shows: best first for the top, worst first for the bottom. Ties are
        broken by catalog row, lowest first, so the answer is deterministic.
        """
        best, worst, _ = self.rank_deep(predicted, rated_rows, k, k)
        return best, worst

    def rank_deep(
        self, predicted: np.ndarray, rated_rows: np.ndarray, k: int = 10, depth: int = 10
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``rank``'s two lists, and the rows of the top ``depth`` (>= k) the same scores choose, in the order
        they choose them (its first k are the top list's movies): what ``ask_next`` leaves out beside them."""
        top_scores, bottom_scores = (
            self.ranking.scores(rated_rows, predicted) if self.ranking is not None else (predicted, predicted)
        )
        deep, worst = choose_lists(top_scores, bottom_scores, rated_rows, k, depth)
        best = deep[:k]
        return best[np.lexsort((best, -predicted[best]))], worst[np.lexsort((worst, predicted[worst]))], deep
