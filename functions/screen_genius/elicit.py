"""What a person should rate next (``ask_next``): movies they have probably seen whose rating would tell us most.

A newcomer can only rate movies they have seen, and each answer costs them a
little effort, so a good question is a movie that is likely to have been seen
*and* whose rating would move this person's predictions. The strategies below
score every catalog movie; ``choose`` takes the 10 best that are neither rated
nor skipped (ties to the lower catalog row, so the answer is deterministic and
does not depend on the order of the ratings). ``NAME+unlisted`` also leaves
out the movies on the person's current top and bottom 10 (``choose_unlisted``):
a movie is never on the page twice, and a listed movie can be rated where it
is listed.

- ``popular``: how many training users rated the movie.
- ``pop_entropy`` (served as ``pop_entropy+unlisted`` before the adaptive
  strategies; still what a set without ``serving.ask_next`` asks): log popularity x entropy
  of its ratings (Rashid et al. 2002, "Getting to know you"): seen by many,
  and people disagree about it.
- ``expected_change`` (measured, not served: the best RMSE, less recall):
  P(seen) x the expected squared change of this person's predictions over
  the catalog if they rated the movie, expected over how people rate it.
  The model's taste space is treated as a Bayesian linear fold-in: a
  person's taste theta (D,) has prior N(0, prior_cov); a rating of movie c
  is offset + features[c] . theta + noise (noise_var). After the answers so
  far, theta's covariance is S; rating c moves every prediction by
  features @ S f_c / (noise_var + f_c S f_c) x (r - mu_c), so the expected
  squared change is f_c' S G S f_c / (noise_var + f_c' S f_c)^2 x E(r - mu_c)^2
  with G = features' features and E(r - mu_c)^2 = var_c + (mean_c - pred_c)^2
  (how people rate c, around what the model predicts for this person).
  A few 15x15 products per request: well under a millisecond.

The adaptive strategies read the answers themselves: which movies this person
rated and skipped (a personal P(seen), ``ElicitationData.seen``: a rank-16
linear-Gaussian fold-in in the "seen" space of the training users, where a
rating is an observed 1 and a skip an observed 0), and, for ``taste_*``, how
they rated them (a tilt exp(TASTE x (predicted - reference)): people see more
of what they like, so a person predicted above what the model predicts for
nobody has more likely seen the movie). ``NAME = seen_INFO`` or ``taste_INFO``:

- ``*_static`` (served as ``taste_static+unlisted``, chosen by ``python -m training elicit`` and by reading
  the cards, see docs/models.md): the static order (log popularity x entropy) x (personal / population
  P(seen)) ** SEEN_WEIGHT, the ratio capped at SEEN_RATIO_CAP;
- ``*_entropy``: personal P(seen) x entropy of the movie's ratings;
- ``*_change``: personal P(seen) x ``expected_change``'s expected squared move (``seen_change`` has the
  lower RMSE, but asks a person mostly about the kinds of movies they said they dislike).

``tree`` asks the screen a question tree learned on training users gives this
person's answers (``screen_genius.question_tree``), then ``TREE_FALLBACK``.
``tree_change`` (served as ``tree_change+unlisted40``, chosen by ``python -m training elicit`` and the
mirror profiles' cards, docs/models.md) is ``seen_change`` with the movies of that screen TREE_BOOST times
likelier to be asked: the tree's learned splits lead, the person's own P(seen) and expected change decide
which of the screen's movies (and which others) make the 10. The root screen, the same for everyone, is
boosted only while every rating the person gave is one of its movies: someone who arrives with ratings of
their own (from search) is asked by those first.

``NAME+unlisted`` leaves out the person's current top and bottom 10; ``NAME+unlistedN`` leaves out their
top N (as the list ranking picks them, the 10 shown first among them) and bottom 10, so that the
interview does not spend the movies the person would most likely love on questions: every liked movie
rated on a card is one the top list can no longer recommend.

``ElicitationData`` is ``elicitation.npz`` of the artifact set (written by
``training.evaluation.elicitation.elicitation_data`` at export, checked by the
manifest like every other file).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from screen_genius.question_tree import ARRAYS as TREE_ARRAYS
from screen_genius.question_tree import QuestionTree

FILE = "elicitation.npz"
ADAPTIVE = ("seen_entropy", "seen_change", "seen_static", "taste_entropy", "taste_change", "taste_static")
TREE = "tree"  # the question tree's screen for this person's answers, then ``TREE_FALLBACK``
TREE_FALLBACK = "taste_static"
TREE_PREFIX = "tree_"  # the question tree's arrays in elicitation.npz
TREE_CHANGE = "tree_change"  # seen_change, the tree's current screen TREE_BOOST times likelier
TREE_BOOST = 10.0  # chosen by ``python -m training elicit`` among 2, 4, 10, 30 (docs/models.md)
STRATEGIES = ("popular", "pop_entropy", "expected_change", *ADAPTIVE, TREE, TREE_CHANGE)
SERVED = "tree_change+unlisted40"  # chosen by ``python -m training elicit`` and the cards' reading, docs/models.md
STATIC = "pop_entropy+unlisted"  # the fixed order served before; what sets without serving.ask_next ask
ASK_K = 10
LISTED = 10  # the top and bottom lists' length (api.TOP_K, the simulation's TOP_N): what "+unlisted" leaves out of each
UNLISTED_MAX = 200  # the deepest top "+unlistedN" may leave out
CHANGE = ("expected_change", "seen_change", "taste_change", TREE_CHANGE)  # what ``cards`` prunes
PRUNE_MIN = 4096  # ``cards`` scores every movie of a smaller catalog (the bound's passes would cost more)
PRUNE_SHORTLIST = 16  # ``cards``: the change of this many x k movies, best by their bound, is computed first
SEEN32_SLACK = 1e-5  # ``cards``: float32 P(seen) widened by this x max |V_c| x |z| (its rounding: < 2e-6 x that)
BOUND_SLACK = 1.0 + 1e-4  # ``cards``: the bound, widened far past the rounding of its ~20 float32 operations
STARS_MAX_32 = 100.0  # ``cards``: stars, means and the tilt's zero within this: the float32 tilt's rounding < 2e-5
FLOAT32_TINY = 1e-30  # ``cards``: a k-th best score below this is left to every movie's scores
TASTE = 1.0  # per star: how much more likely a person has seen a movie they are predicted to like
SEEN_FLOOR = 1e-3  # the least chance of "seen" the linear fold-in may give a movie
SEEN_WEIGHT = 0.5  # "static": the power of (personal / population P(seen)) that reweights the static order
SEEN_RATIO_CAP = 10.0  # "static": at most this much likelier than the population


def _empty() -> np.ndarray:
    return np.zeros(0)


@dataclass(frozen=True)
class ElicitationData:
    """Per-movie statistics of the training users, and the taste prior, in catalog row order.

    n_ratings: (N,) float64, training users who rated each movie.
    p_seen: (N,) float64, n_ratings / training users: the chance a person has seen the movie.
    mean, var: (N,) float64, mean and variance of its ratings (stars, stars^2).
    entropy: (N,) float64, entropy of its ratings over the scale points (bits).
    features: (N, D) float64, each movie in the model's taste space (D <= 16).
    prior_cov: (D, D) float64, covariance of a person's taste over training users.
    noise_var: float, stars^2 of a rating not explained by taste.
    """

    n_ratings: np.ndarray
    p_seen: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    entropy: np.ndarray
    features: np.ndarray
    prior_cov: np.ndarray
    noise_var: float
    # The "seen" space (optional: sets exported before it existed have k = 0 and a personal P(seen) equal
    # to p_seen): who rated what among the training users, as a rank-k linear-Gaussian model.
    seen_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (N, k)
    seen_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (k,) prior mean of a person's coordinates
    seen_cov: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (k, k) their prior covariance
    seen_noise: float = 1.0  # variance of one seen / not-seen entry around the rank-k model
    # The question tree (optional: sets exported before it have none, and ``tree`` then asks as its fallback).
    tree: QuestionTree | None = None
    # Derived in __post_init__, so a request does only the per-person part.
    _gram: np.ndarray = field(init=False, repr=False, compare=False)  # features' features, (D, D)
    _features_t: np.ndarray = field(init=False, repr=False, compare=False)  # features.T, contiguous (D, N)
    _prior_precision: np.ndarray = field(init=False, repr=False, compare=False)  # inverse of prior_cov
    _static: np.ndarray = field(init=False, repr=False, compare=False, default_factory=_empty)  # pop_entropy's scores
    _per_movie: np.ndarray = field(init=False, repr=False, compare=False, default_factory=_empty)  # var, mean, p_seen
    _seen_vectors32_t: np.ndarray = field(init=False, repr=False, compare=False, default_factory=_empty)  # (k, N)
    _seen_row_norm: float = field(init=False, repr=False, compare=False, default=0.0)  # max_c |seen_vectors[c]|
    # ``cards``' bound, float32: p_seen |f|^2 / N; the same / max(p_seen, SEEN_FLOOR); |f|^2; var; mean
    _bound32: np.ndarray = field(init=False, repr=False, compare=False, default_factory=_empty)
    _mean_abs_max: float = field(init=False, repr=False, compare=False, default=0.0)
    _inverse_p_seen: np.ndarray = field(init=False, repr=False, compare=False, default_factory=_empty)
    # "static": min(p * _inverse_p_seen, SEEN_RATIO_CAP) at p = SEEN_FLOOR and at p = 1, the ends of seen()'s clip
    _ratio_low: np.ndarray = field(init=False, repr=False, compare=False, default_factory=_empty)
    _ratio_high: np.ndarray = field(init=False, repr=False, compare=False, default_factory=_empty)
    _seen_precision: np.ndarray = field(
        init=False, repr=False, compare=False, default_factory=_empty
    )  # inverse of seen_cov
    _seen_prior_pull: np.ndarray = field(
        init=False, repr=False, compare=False, default_factory=_empty
    )  # it @ seen_mean

    ARRAYS = ("n_ratings", "p_seen", "mean", "var", "entropy", "features", "prior_cov", "noise_var")
    SEEN_ARRAYS = ("seen_vectors", "seen_mean", "seen_cov", "seen_noise")

    def __post_init__(self) -> None:
        n = len(self.n_ratings)
        for name in ("p_seen", "mean", "var", "entropy"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must be ({n},); is {getattr(self, name).shape}")
        d = self.features.shape[1] if self.features.ndim == 2 else -1
        if self.features.shape != (n, d) or self.prior_cov.shape != (d, d) or not 0 < d <= 16:
            raise ValueError(
                f"features must be ({n}, D) and prior_cov (D, D) with D <= 16; are "
                f"{self.features.shape} and {self.prior_cov.shape}"
            )
        values = [getattr(self, name) for name in self.ARRAYS[:-1]] + [np.asarray(self.noise_var)]
        if not all(np.isfinite(v).all() for v in values) or not self.noise_var > 0:
            raise ValueError("elicitation data must be finite, with noise_var > 0")
        k = self.seen_mean.shape[0] if self.seen_mean.ndim == 1 else -1
        if k and (self.seen_vectors.shape != (n, k) or self.seen_cov.shape != (k, k) or not 0 < k <= 64):
            raise ValueError(
                f"seen_vectors must be ({n}, k), seen_mean (k,) and seen_cov (k, k) with k <= 64; are "
                f"{self.seen_vectors.shape}, {self.seen_mean.shape} and {self.seen_cov.shape}"
            )
        if self.tree is not None and self.tree.questions.size and self.tree.questions.max() >= n:
            raise ValueError(f"the question tree asks about row {self.tree.questions.max()} of {n} movies")
        seen = [self.seen_vectors, self.seen_mean, self.seen_cov, np.asarray(self.seen_noise)]
        if not all(np.isfinite(v).all() for v in seen) or not self.seen_noise > 0:
            raise ValueError("the seen space must be finite, with seen_noise > 0")
        object.__setattr__(self, "_gram", self.features.T @ self.features)
        object.__setattr__(self, "_features_t", np.ascontiguousarray(self.features.T))
        object.__setattr__(self, "_prior_precision", np.linalg.inv(self.prior_cov))
        sq = np.einsum("ij,ij->i", self.features, self.features)  # |f|^2 per movie, for ``_change_cards``' bound
        object.__setattr__(self, "_per_movie", np.stack([self.var, self.mean, self.p_seen], axis=1))  # one gather
        pop, seen_ratio = sq * self.p_seen / n, sq * (self.p_seen / np.maximum(self.p_seen, SEEN_FLOOR)) / n
        bound32 = np.stack([pop, seen_ratio, sq, self.var, self.mean]).astype(np.float32)
        object.__setattr__(self, "_bound32", bound32)  # each within 6e-8 of its float64, inside BOUND_SLACK
        object.__setattr__(self, "_mean_abs_max", float(np.abs(self.mean).max(initial=0.0)))
        object.__setattr__(self, "_static", np.log1p(self.n_ratings) * self.entropy)
        object.__setattr__(self, "_inverse_p_seen", 1.0 / np.maximum(self.p_seen, SEEN_FLOOR))
        object.__setattr__(self, "_ratio_low", np.minimum(SEEN_FLOOR * self._inverse_p_seen, SEEN_RATIO_CAP))
        object.__setattr__(self, "_ratio_high", np.minimum(self._inverse_p_seen, SEEN_RATIO_CAP))
        if k:
            precision = np.linalg.inv(self.seen_cov)
            object.__setattr__(self, "_seen_precision", precision)
            object.__setattr__(self, "_seen_prior_pull", precision @ self.seen_mean)
            # (k, N): z @ V' reads it in rows, twice as fast as V z over (N, k) on one BLAS thread
            object.__setattr__(self, "_seen_vectors32_t", np.ascontiguousarray(self.seen_vectors.T, dtype=np.float32))
            object.__setattr__(
                self, "_seen_row_norm", float(np.sqrt(np.einsum("ij,ij->i", *[self.seen_vectors] * 2).max()))
            )

    @property
    def catalog_size(self) -> int:
        return len(self.n_ratings)

    def to_bytes(self) -> bytes:
        """The ``elicitation.npz`` file (float64 arrays, no pickles)."""
        buf = io.BytesIO()
        names = self.ARRAYS + (self.SEEN_ARRAYS if self.seen_mean.shape[0] else ())
        arrays: dict[str, Any] = {name: np.asarray(getattr(self, name), dtype=np.float64) for name in names}
        if self.tree is not None:
            arrays.update({TREE_PREFIX + name: value for name, value in self.tree.arrays().items()})
        np.savez(buf, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ElicitationData:
        """Parse ``elicitation.npz``; raises ValueError naming what is wrong."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays: dict[str, Any] = {name: np.asarray(npz[name], dtype=np.float64) for name in cls.ARRAYS}
                if "seen_vectors" in npz.files:  # sets exported before the seen space have none
                    arrays.update({name: np.asarray(npz[name], dtype=np.float64) for name in cls.SEEN_ARRAYS})
                    arrays["seen_noise"] = float(arrays["seen_noise"])
                if TREE_PREFIX + "questions" in npz.files:  # sets exported before the tree have none
                    tree = {name: npz[TREE_PREFIX + name] for name in TREE_ARRAYS}
                    arrays["tree"] = QuestionTree.from_arrays(tree)
        except KeyError as e:
            raise ValueError(f"lacks the array {e}") from None
        except (OSError, EOFError, ValueError) as e:
            raise ValueError(f"is not an .npz of arrays: {e}") from None
        arrays["noise_var"] = float(arrays["noise_var"])
        return cls(**arrays)

    # ---- strategies: (N,) scores, higher = ask sooner --------------------

    def scores(
        self,
        strategy: str,
        answered_rows: np.ndarray,
        predicted: np.ndarray | None = None,
        skipped_rows: np.ndarray | None = None,
        reference: np.ndarray | None = None,
        answered_ratings: np.ndarray | None = None,
    ) -> np.ndarray:
        """(N,) scores of ``strategy``; answered_rows / skipped_rows: what this person rated / said they have not
        seen (sets: their order does not matter); predicted: (N,) their current stars; reference: (N,) the
        model's stars for a person who has rated nothing (the taste tilt's zero; None: each movie's mean);
        answered_ratings: the stars of answered_rows, in their order (``tree`` reads them)."""
        if strategy == TREE:
            fallback = self.scores(TREE_FALLBACK, answered_rows, predicted, skipped_rows, reference)
            if self.tree is None:
                return fallback
            ratings = _answered_ratings(strategy, answered_rows, answered_ratings)
            skipped = np.zeros(0, np.int64) if skipped_rows is None else skipped_rows
            return self.tree.scores(answered_rows, ratings, skipped, fallback)
        if strategy == TREE_CHANGE:
            change = self.adaptive(answered_rows, skipped_rows, predicted, "change", 0.0, reference)
            if self.tree is None:
                return change
            ratings = _answered_ratings(strategy, answered_rows, answered_ratings)
            skipped = np.zeros(0, np.int64) if skipped_rows is None else skipped_rows
            return self.tree.boosted(answered_rows, ratings, skipped, change, TREE_BOOST)
        if strategy in ADAPTIVE:
            seen_how, info = strategy.split("_")  # "seen": P(seen) alone; "taste": tilted by the stars
            taste = TASTE if seen_how == "taste" else 0.0
            return self.adaptive(answered_rows, skipped_rows, predicted, info, taste, reference)
        if strategy == "popular":
            return self.n_ratings
        if strategy == "pop_entropy":
            return np.asarray(np.log1p(self.n_ratings) * self.entropy, dtype=np.float64)
        if strategy == "expected_change":
            return self.expected_change(answered_rows, predicted)
        raise ValueError(f"unknown elicitation strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")

    def cards(
        self,
        strategy: str,
        answered_rows: np.ndarray,
        predicted: np.ndarray | None = None,
        skipped_rows: np.ndarray | None = None,
        reference: np.ndarray | None = None,
        answered_ratings: np.ndarray | None = None,
        listed_rows: np.ndarray | None = None,
        k: int = ASK_K,
    ) -> np.ndarray:
        """The k movies to ask next under ``strategy`` (a name of STRATEGIES, no rule): ``choose`` of its
        ``scores`` leaving out the answered, skipped and ``listed_rows``. For the change strategies (CHANGE) at a
        catalog of PRUNE_MIN movies or more, the expected change is computed only for the movies an upper bound
        on their score leaves a chance (``_change_cards``): the same rows, for a fraction of the work."""
        answered = np.asarray(answered_rows, dtype=np.int64)
        skipped = np.asarray([] if skipped_rows is None else skipped_rows, dtype=np.int64)
        listed = np.asarray([] if listed_rows is None else listed_rows, dtype=np.int64)
        exclude = np.concatenate([answered, skipped, listed])
        if strategy in CHANGE and self.catalog_size >= PRUNE_MIN:
            rows = self._change_cards(strategy, answered, predicted, skipped, reference, answered_ratings, exclude, k)
            if rows is not None:
                return rows
        return choose(self.scores(strategy, answered, predicted, skipped, reference, answered_ratings), exclude, k)

    def _change_cards(
        self,
        strategy: str,
        answered: np.ndarray,
        predicted: np.ndarray | None,
        skipped: np.ndarray,
        reference: np.ndarray | None,
        ratings: np.ndarray | None,
        exclude: np.ndarray,
        k: int,
    ) -> np.ndarray | None:
        """``cards`` of a change strategy without the change of every movie, or None where it cannot tell
        (fewer than k movies left, a score that is not finite): ``cards`` then scores them all.

        A movie's score is its change spread / (noise_var + own)^2 times factors that cost one pass each
        (P(seen), surprise, tilt, boost). With S the taste posterior's covariance, spread = f' S G S f is at
        most lmax(S G S) |f|^2 and own = f' S f at least lmin(S) |f|^2, so the score is at most the bound
        B = factors x lmax |f|^2 / (noise_var + lmin |f|^2)^2. The change of the PRUNE_SHORTLIST x k movies
        with the largest B gives a k-th best score t; only the movies with B >= t can beat it, and their exact
        scores pick the k (ties to the lower row, as ``choose``)."""
        boosted: np.ndarray = np.zeros(0, np.int64)
        if strategy == TREE_CHANGE and self.tree is not None:
            given_ratings = _answered_ratings(strategy, answered, ratings)
            boosted = np.asarray(self.tree.boosted_rows(answered, given_ratings, skipped), dtype=np.int64)
        precision = self._precision(answered)
        cov, forms = self._posterior_of(precision)
        spread_max = _eigenvalue_max_at_most(forms[: len(cov)])  # lmax(S G S)
        precision_max = _eigenvalue_max_at_most(precision)
        own_min = 1.0 / precision_max if precision_max > 0 else 0.0  # at most lmin(S) = 1 / lmax(S^-1)
        # The bound in float32 (half the memory of every pass; its rounding, < 1e-6, is inside BOUND_SLACK).
        f32 = np.float32
        given = None if predicted is None else np.asarray(predicted, dtype=np.float64)
        given32 = None if given is None else given.astype(f32)
        bound = f32(spread_max * BOUND_SLACK) * (
            self._bound32[0] if strategy == "expected_change" else self._bound32[1]
        )
        if own_min:
            bound /= np.square(f32(self.noise_var) + f32(own_min) * self._bound32[2])
        else:
            bound *= f32(1.0 / self.noise_var**2)
        var32, mean32 = self._bound32[3], self._bound32[4]
        seen_z, taste = None, TASTE if strategy == "taste_change" else 0.0
        zero = self.mean if reference is None else np.asarray(reference, dtype=np.float64)
        if given32 is not None:  # (|mean - predicted| + what float32 may have lost of it)^2
            scale = self._mean_abs_max + float(np.abs(given32).max(initial=0.0))
            if taste:
                scale += float(np.abs(zero).max(initial=0.0))
            if not scale <= STARS_MAX_32:  # stars far off the scale (or NaN): the tilt's float32 exp would not hold
                return None
            gap = np.abs(mean32 - given32)
            gap += f32(4 * np.finfo(f32).eps * scale)
            bound *= var32 + gap * gap
        else:
            bound *= var32
        if strategy != "expected_change" and self.seen_mean.shape[0]:  # P(seen) widened past its float32 rounding
            seen_z = self._seen_z(answered, skipped)
            widen = f32(SEEN32_SLACK * self._seen_row_norm * float(np.linalg.norm(seen_z)))
            bound *= np.clip(seen_z.astype(f32) @ self._seen_vectors32_t + widen, f32(SEEN_FLOOR), f32(1.0))
        elif strategy != "expected_change":
            bound *= self.p_seen.astype(f32)
        if given32 is not None and taste:
            bound *= np.exp(f32(taste) * (given32 - zero.astype(f32)))
        bound[boosted] *= f32(TREE_BOOST)

        def exact(rows: np.ndarray) -> np.ndarray:  # the arithmetic of ``scores`` for these rows
            change = self._change(forms, predicted, rows)
            if strategy != "expected_change":  # adaptive(): P(seen) x tilt x change / population P(seen)
                gain = change / np.maximum(self.p_seen[rows], SEEN_FLOOR)
                seen = (
                    self.p_seen[rows] if seen_z is None else np.clip(self.seen_vectors[rows] @ seen_z, SEEN_FLOOR, 1.0)
                )
                tilt = 1.0 if given is None or not taste else np.exp(taste * (given[rows] - zero[rows]))
                change = seen * tilt * gain
            if len(boosted):
                change[(rows[:, None] == boosted[None, :]).any(axis=1)] *= TREE_BOOST
            return np.asarray(change, dtype=np.float64)

        if not np.isfinite(bound.sum()):
            return None
        bound[exclude] = -np.inf
        n, m = len(bound), min(PRUNE_SHORTLIST * k, len(bound) - 1)
        next_bound = np.partition(bound, n - m - 1)[n - m - 1]  # the (m+1)-th best bound
        rows = np.flatnonzero(bound > next_bound)  # at most m rows (fewer on ties); every other's bound <= next
        if len(rows) < k:
            return None
        scores = exact(rows)
        if not np.isfinite(scores).all():
            return None
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        if kth < FLOAT32_TINY:  # a float32 bound that small may have lost its last digits
            return None
        if next_bound >= kth:  # a movie past the shortlist may still beat the k-th
            rows = np.flatnonzero(bound >= kth)
            scores = exact(rows)
            if not np.isfinite(scores).all():
                return None
        return np.asarray(rows[np.lexsort((rows, -scores))[:k]])

    def expected_change(self, answered_rows: np.ndarray, predicted: np.ndarray | None = None) -> np.ndarray:
        """(N,) P(seen) x expected squared change of the predictions (mean over movies) if the movie were rated.

        answered_rows: catalog rows already rated (their order does not matter).
        predicted: (N,) this person's current predictions, or None for the population mean.
        """
        return self._change(self._posterior(answered_rows)[1], predicted)

    def _posterior(self, answered_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The taste posterior's covariance S (D, D) after ``answered_rows``, and the (2D, D) stack of S G S
        over S whose product with a movie's features gives both of ``_change``'s quadratic forms."""
        return self._posterior_of(self._precision(answered_rows))

    def _precision(self, answered_rows: np.ndarray) -> np.ndarray:
        """S^-1, the taste posterior's precision after ``answered_rows``."""
        a = self.features[np.sort(np.asarray(answered_rows, dtype=np.int64))]  # sorted: the sums in one order
        return np.asarray(self._prior_precision + a.T @ a / self.noise_var)

    def _posterior_of(self, precision: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cov = np.linalg.inv(precision)
        return cov, np.concatenate([cov @ self._gram @ cov, cov], axis=0)

    def _change(self, forms: np.ndarray, predicted: np.ndarray | None, rows: np.ndarray | None = None) -> np.ndarray:
        """``expected_change`` from ``_posterior``'s forms, for every movie or only for ``rows`` (the same numbers
        to rounding: BLAS and einsum may sum a column's 15 products in another order for another width)."""
        # Both quadratic forms from one (2D, D) x (D, N) product: a wide product beats two narrow ones 3x.
        d = self._gram.shape[0]
        if rows is None:
            ft = self._features_t
            both = forms @ ft
            spread = np.einsum("ij,ij->j", both[:d], ft)  # ||features @ S f_c||^2
            own = np.einsum("ij,ij->j", both[d:], ft)  # f_c S f_c: what we do not know of c's rating
        else:  # a few rows: gathered whole (one read each), the product the other way round
            f = self.features[rows]
            both = f @ forms.T
            spread = np.einsum("ij,ij->i", both[:, :d], f)
            own = np.einsum("ij,ij->i", both[:, d:], f)
        var, mean, p_seen = (self.var, self.mean, self.p_seen) if rows is None else self._per_movie[rows].T
        if predicted is None:
            surprise = var
        else:
            surprise = var + (mean - (predicted if rows is None else np.asarray(predicted)[rows])) ** 2
        change = p_seen * spread / (self.noise_var + own) ** 2 * surprise / self.catalog_size
        return np.asarray(change, dtype=np.float64)

    def seen(self, answered_rows: np.ndarray, skipped_rows: np.ndarray | None = None) -> np.ndarray:
        """(N,) this person's chance of having seen each movie, given what they rated (seen) and skipped (not).

        The training users' seen matrix X (users x N, 1 = rated) is modelled as X_u ~ N(V z_u, seen_noise) with
        z_u ~ N(seen_mean, seen_cov) (V = seen_vectors, from a truncated SVD of X). Each rated movie is an
        observed 1, each skipped one an observed 0; the posterior mean of z gives V z, clipped to
        [SEEN_FLOOR, 1]. Rows are sorted first, so the answer does not depend on their order even in the
        last bit. With no seen space (an older set): p_seen.
        """
        if not self.seen_mean.shape[0]:
            return self.p_seen
        return np.asarray(np.clip(self._seen_linear(answered_rows, skipped_rows), SEEN_FLOOR, 1.0), dtype=np.float64)

    def _seen_linear(self, answered_rows: np.ndarray, skipped_rows: np.ndarray | None) -> np.ndarray:
        """(N,) V z, ``seen`` before its clip: a new array (the caller may work in it)."""
        return np.asarray(self.seen_vectors @ self._seen_z(answered_rows, skipped_rows))

    def _seen_z(self, answered_rows: np.ndarray, skipped_rows: np.ndarray | None) -> np.ndarray:
        """(k,) the posterior mean of this person's coordinates in the seen space."""
        rated = np.unique(np.asarray(answered_rows, dtype=np.int64))
        skipped = np.unique(np.asarray([] if skipped_rows is None else skipped_rows, dtype=np.int64))
        observed = np.concatenate([rated, skipped])
        v = self.seen_vectors[observed]
        y = np.zeros(len(observed))
        y[: len(rated)] = 1.0
        precision = self._seen_precision + v.T @ v / self.seen_noise
        return np.asarray(np.linalg.solve(precision, self._seen_prior_pull + v.T @ y / self.seen_noise))

    def adaptive(
        self,
        answered_rows: np.ndarray,
        skipped_rows: np.ndarray | None,
        predicted: np.ndarray | None,
        info: str = "change",
        taste: float = TASTE,
        reference: np.ndarray | None = None,
    ) -> np.ndarray:
        """(N,) this person's P(seen) (``seen``) x a taste tilt x what a rating would tell us.

        info "entropy": the entropy of the movie's ratings (the static order's measure of disagreement);
        "change": the expected squared change of this person's predictions (``expected_change`` without its
        population P(seen)). The tilt exp(taste x (predicted - mean)) says people see more of what they like:
        a person predicted to rate a movie above its average has more likely seen it, so how they rated their
        answers, not only which movies they know, moves the next cards.
        """
        zero = self.mean if reference is None else np.asarray(reference, dtype=np.float64)
        if info == "static":  # the static order, reweighted by how much likelier this person has seen the movie
            return self._static_scores(answered_rows, skipped_rows, predicted, taste, zero)
        p = self.seen(answered_rows, skipped_rows)
        tilt = 1.0 if predicted is None or not taste else np.exp(taste * (np.asarray(predicted) - zero))
        if info == "entropy":
            gain = self.entropy
        elif info == "change":
            gain = self.expected_change(answered_rows, predicted) / np.maximum(self.p_seen, SEEN_FLOOR)
        else:
            raise ValueError(f"unknown information measure {info!r}; use static, entropy or change")
        return np.asarray(p * tilt * gain, dtype=np.float64)

    def _static_scores(
        self,
        answered_rows: np.ndarray,
        skipped_rows: np.ndarray | None,
        predicted: np.ndarray | None,
        taste: float,
        zero: np.ndarray,
    ) -> np.ndarray:
        """``adaptive``'s "static": static x min(seen() * _inverse_p_seen, SEEN_RATIO_CAP) ** SEEN_WEIGHT x
        exp(taste x (predicted - zero)), the same bits as that formula in that order, in fewer passes over the
        catalog (the served strategy: at 17,770 movies these passes are most of ask_next's cost): in place in one
        new array (and one for the tilt), and seen()'s clip to [SEEN_FLOOR, 1] then the cap as one clip of
        V z * _inverse_p_seen to [_ratio_low, _ratio_high]. x -> min(x * _inverse_p_seen, CAP) never decreases,
        rounding included, so clipping x before it or its image after it gives the same number."""
        linear = self._seen_linear(answered_rows, skipped_rows) if self.seen_mean.shape[0] else None
        score: np.ndarray
        if linear is not None and linear.dtype == np.float64:
            score = np.multiply(linear, self._inverse_p_seen, out=linear)
            np.maximum(score, self._ratio_low, out=score)  # np.clip's two steps (with array bounds, clip is 2x slower)
            np.minimum(score, self._ratio_high, out=score)
        else:  # no seen space (an older set), or not float64: the formula as written
            p = self.p_seen if linear is None else np.asarray(np.clip(linear, SEEN_FLOOR, 1.0), dtype=np.float64)
            score = np.minimum(p * self._inverse_p_seen, SEEN_RATIO_CAP)
        if SEEN_WEIGHT == 0.5:
            np.sqrt(score, out=score)
        else:
            np.power(score, SEEN_WEIGHT, out=score)
        np.multiply(self._static, score, out=score)
        if predicted is not None and taste:
            tilt = np.asarray(predicted) - zero
            if taste != 1.0:  # x 1.0 changes no bit
                tilt *= taste
            score *= np.exp(tilt, out=tilt)
        return score


def _answered_ratings(strategy: str, answered_rows: np.ndarray, answered_ratings: np.ndarray | None) -> np.ndarray:
    """The question tree's walk reads the stars: ``answered_ratings``, one per answered row, or a clear error."""
    if answered_ratings is None or len(answered_ratings) != len(answered_rows):
        raise ValueError(f"the {strategy} strategy needs answered_ratings, one per answered row")
    return answered_ratings


def _eigenvalue_max_at_most(m: np.ndarray) -> float:
    """An upper bound on the largest eigenvalue of the symmetric positive semi-definite (D, D) ``m``:
    |m^8|_F^(1/8) = (sum of eigenvalue^16)^(1/16), at most D^(1/16) (1.19 at D = 16) times it and near it when
    one eigenvalue leads; three small products, a third of an eigensolver's time. m is scaled by its trace first
    (at least the largest eigenvalue, at most D times it), so its powers neither overflow nor vanish."""
    trace = float(m.trace())
    if not trace > 0:
        return 0.0
    power = m * (1.0 / trace)
    for _ in range(3):
        power = power @ power
    return trace * float(np.vdot(power, power) ** 0.0625)


def known(strategy: str) -> bool:
    """``NAME``, ``NAME+unlisted`` or ``NAME+unlistedN`` (LISTED <= N <= UNLISTED_MAX) with NAME one of
    STRATEGIES (the manifest's ``serving.ask_next``)."""
    name, plus, _ = strategy.partition("+") if isinstance(strategy, str) else ("", "", "")
    return name in STRATEGIES and (not plus or unlisted_top(strategy) > 0)


def unlisted_top(strategy: str) -> int:
    """How many of the person's top movies ``strategy`` leaves out of the cards (with the bottom LISTED):
    0 for ``NAME`` (none, nor the bottom), LISTED for ``NAME+unlisted``, N for ``NAME+unlistedN``; -1 for a
    rule that is none of these."""
    _, plus, rule = strategy.partition("+")
    if not plus:
        return 0
    depth = rule.removeprefix("unlisted")
    if depth == rule:
        return -1
    if not depth:
        return LISTED
    return int(depth) if depth.isdecimal() and LISTED <= int(depth) <= UNLISTED_MAX else -1


CHOOSE_SLICES = 32  # ``choose``: a large catalog is read as this many interleaved slices (see there)


def choose(scores: np.ndarray, exclude_rows: np.ndarray, k: int = ASK_K) -> np.ndarray:
    """Catalog rows of the k highest scores, skipping ``exclude_rows``; ties to the lower row."""
    scores, exclude = np.asarray(scores), np.asarray(exclude_rows, dtype=np.int64)
    g = CHOOSE_SLICES
    if 0 < k <= len(scores) // g and len(scores) >= g * g and scores.dtype.kind == "f":
        # A large catalog: a threshold from the column maxima of the scores read as (g, N / g), not a partition
        # of all N (the same answer; at 17,770 movies 0.02 ms instead of 0.2). The excluded rows are -inf in a
        # copy rather than a mask of the whole catalog. Each column's maximum is a different movie, so at least k
        # movies score at or above the k-th largest column maximum: every one of the k best does too.
        n, m = len(scores), len(scores) // g
        work = scores.copy()
        work[exclude] = -np.inf
        tops = np.maximum.reduce(work[: m * g].reshape(g, m), axis=0)
        if n > m * g:  # the last few rows join the first columns
            np.maximum(tops[: n - m * g], work[m * g :], out=tops[: n - m * g])
        if np.isfinite(tops.sum()):  # else (a NaN, an infinite score, a column all excluded): the plain way below
            kth = np.partition(tops, m - k)[m - k]
            candidates = np.flatnonzero(work >= kth)  # > -inf: no excluded row
            return candidates[np.lexsort((candidates, -work[candidates]))[:k]]
    keep = np.ones(len(scores), dtype=bool)
    keep[exclude] = False
    candidates = np.flatnonzero(keep)
    if len(candidates) > 4 * k:  # sort only the movies at or above the k-th best score (the same answer, sooner)
        values = scores[candidates]
        kth = np.partition(values, len(values) - k)[len(values) - k]
        candidates = candidates[values >= kth]
    return candidates[np.lexsort((candidates, -scores[candidates]))[:k]]


def choose_unlisted(
    scores: np.ndarray, exclude_rows: np.ndarray, listed_rows: np.ndarray, k: int = ASK_K
) -> np.ndarray:
    """``choose``, also leaving out ``listed_rows`` (the person's current top and bottom lists): a movie is
    never on the page twice."""
    return choose(scores, np.concatenate([np.asarray(exclude_rows, np.int64), np.asarray(listed_rows, np.int64)]), k)


def catalog_order(catalog_size: int) -> ElicitationData:
    """Stand-in data for an artifact set exported before elicitation.npz existed.

    The catalog's row order is most-rated first, so "popular" reduces to it;
    every movie weighs alike in the taste space.
    """
    n = catalog_size
    n_ratings = np.arange(n, 0, -1, dtype=np.float64)
    return ElicitationData(
        n_ratings=n_ratings,
        p_seen=n_ratings / n,
        mean=np.zeros(n),
        var=np.ones(n),
        entropy=np.ones(n),
        features=np.ones((n, 1)),
        prior_cov=np.ones((1, 1)),
        noise_var=1.0,
    )
