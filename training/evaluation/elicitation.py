"""Which movies to ask a newcomer to rate first: ``ask_next`` strategies measured on simulated people.

The simulation (``simulate``): a held-out user starts with nothing rated.
Each round a strategy shows 10 movies that are neither rated nor skipped; the
simulated person rates those they really rated (their true rating), and the
others go to ``skipped`` as "not seen". They stop at 16 answers (a round that
would pass 16 is cut at 16, in the order shown; the movies after the cut stay
unanswered) or after 10 rounds. After every round (and before the first) the
model predicts from the answers so far, and we measure on that person's
ratings not yet given:

- answers: how many movies they could rate so far (a person rates only what they have seen);
- RMSE of the predicted stars (clipped to the scale, as served);
- recall@10: of the remaining movies they rated >= 4, the share found in the
  top 10 of every catalog movie not yet rated, divided by min(10, how many);
- hate@10: the same for movies rated <= 2 and the bottom 10.

The reference is today's situation: 16 of the person's ratings drawn at
random (``newcomers.draw``, seeds 0, 1, 2), scored with the same metrics.

Strategies share ``screen_genius.elicit`` with the function (one
implementation), plus ``random`` here. ``elicitation_data`` computes what the
served strategy needs from the training users; export ships it as
``elicitation.npz``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from screen_genius import elicit
from screen_genius.elicit import ElicitationData
from screen_genius.ranking import choose_lists
from training.coldstart import newcomers
from training.coldstart.ratings import CatalogRatings
from training.evaluation import protocol
from training.models import question_tree

# "+unlisted40": the top 40 left out of the cards (elicit.unlisted_top), for the strategies chosen with it.
DEEP = tuple(f"{s}+unlisted40" for s in ("pop_entropy", "seen_change", "tree", elicit.TREE_CHANGE))
STRATEGIES = ("random", *elicit.STRATEGIES, *tuple(f"{s}+unlisted" for s in elicit.STRATEGIES), *DEEP)
ROUNDS = 10
PER_ROUND = elicit.ASK_K
MAX_ANSWERS = 16
LIKED, DISLIKED = 4.0, 2.0  # stars: >= LIKED counts for recall@10, <= DISLIKED for hate@10
TOP_N = elicit.LISTED  # the served lists' length
PRIOR_RIDGE = 5.0  # ridge of the per-user fold-in that estimates the taste prior
SEEN_RANK = 16  # dimensions of the seen space (``seen_space``)


def seen_space(train: CatalogRatings, rank: int = SEEN_RANK) -> dict:
    """The "seen" space of ``ElicitationData``: a truncated SVD of the training users' binary seen matrix.

    X (users x N, 1 where the user rated the movie) ~ U S V'; a user's coordinates are z_u = X_u V (V has
    orthonormal columns, so X_u's best rank-k fit is V z_u); their prior is the mean and covariance of z_u over
    training users, and the noise is the mean squared residual per entry, sum_u (|X_u|^2 - |z_u|^2) / (users N).
    Sparse throughout: a few sparse products per iteration of ``svds``, never the dense matrix.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import svds

    n_users, n_items = train.n_users, train.n_items
    k = min(rank, n_items - 1, n_users - 1)
    if k < 1:
        return {}
    x = csr_matrix((np.ones(len(train.rows)), train.rows, train.indptr), shape=(n_users, n_items))
    x.sum_duplicates()
    x.data[:] = 1.0
    _, _, vt = svds(x, k=k, random_state=0)
    v = vt[::-1].T.copy()  # (N, k), largest singular value first
    v *= np.where(v.sum(axis=0) < 0, -1.0, 1.0)  # a deterministic sign: popularity positive
    z = np.asarray(x @ v)
    residual = (x.multiply(x).sum() - (z**2).sum()) / (n_users * n_items)
    return {
        "seen_vectors": v,
        "seen_mean": z.mean(axis=0),
        "seen_cov": np.cov(z, rowvar=False).reshape(k, k) + 1e-6 * np.eye(k),
        "seen_noise": float(max(residual, 1e-4)),
    }


def elicitation_data(
    train: CatalogRatings, movie_vectors: np.ndarray, offset: float, scale, tree: bool = True
) -> ElicitationData:
    """Per-movie statistics of the training users and the taste prior in Model 1's space.

    movie_vectors: (n_movies, 16) Model 1 vectors, [q (14), b_movie, 1]; a
    person's taste is theta = (p, b_user) against features (q, 1), and a rating
    is offset + b_movie + features . theta + noise. The prior covariance of
    theta and the noise variance come from ridge fold-ins of the training users.
    """
    from training.models.layout import FACTORS

    n_items = train.n_items
    sums, counts = train.item_stats()
    counts = counts.astype(np.float64)
    mean = np.divide(sums, counts, out=np.full(n_items, train.mean()), where=counts > 0)
    sq = np.bincount(train.rows, weights=train.ratings.astype(np.float64) ** 2, minlength=n_items)
    var = np.maximum(np.divide(sq, counts, out=np.zeros(n_items), where=counts > 0) - mean**2, 0.0)
    points = scale.points()
    bins = np.clip(np.rint((train.ratings - scale.min) / scale.step).astype(np.int64), 0, len(points) - 1)
    hist = np.zeros((n_items, len(points)))
    np.add.at(hist, (train.rows, bins), 1.0)
    p = hist / np.maximum(hist.sum(axis=1, keepdims=True), 1.0)
    entropy = -(p * np.log2(np.where(p > 0, p, 1.0))).sum(axis=1)

    vectors = np.asarray(movie_vectors, dtype=np.float64)
    features = np.concatenate([vectors[:, :FACTORS], vectors[:, FACTORS + 1 : FACTORS + 2]], axis=1)
    base = offset + vectors[:, FACTORS]
    thetas: list[np.ndarray] = []
    residuals: list[np.ndarray] = []
    eye = np.eye(features.shape[1])
    for u in range(train.n_users):
        rows, ratings = train.user(u)
        if len(rows) < 20:  # a fold-in from few ratings is mostly ridge, not taste
            continue
        f, y = features[rows], ratings - base[rows]
        theta = np.linalg.solve(f.T @ f + PRIOR_RIDGE * eye, f.T @ y)
        thetas.append(theta)
        residuals.append((y - f @ theta) ** 2 * len(rows) / max(len(rows) - features.shape[1], 1))
    taste = np.array(thetas) if thetas else np.zeros((2, features.shape[1]))
    prior_cov = np.cov(taste, rowvar=False) + 1e-4 * eye
    noise_var = float(np.mean(np.concatenate(residuals))) if residuals else 1.0
    return ElicitationData(
        n_ratings=counts,
        p_seen=counts / max(train.n_users, 1),
        mean=mean,
        var=var,
        entropy=entropy,
        features=features,
        prior_cov=prior_cov,
        noise_var=max(noise_var, 1e-3),
        tree=question_tree.fit(train) if tree else None,
        **seen_space(train),
    )


# ---- the simulated person ---------------------------------------------------


@dataclass
class Person:
    """One held-out user during the simulation: what they really rated, and what they answered so far."""

    user_id: int
    rows: np.ndarray  # (n,) their catalog ratings
    ratings: np.ndarray
    answered: list = field(default_factory=list)  # catalog rows, in the order answered
    answers: list = field(default_factory=list)  # their ratings
    skipped: list = field(default_factory=list)
    done: bool = False

    def __post_init__(self):
        self.truth = dict(zip(self.rows.tolist(), self.ratings.tolist(), strict=False))

    def answer(self, shown: np.ndarray) -> None:
        for row in shown.tolist():
            if row in self.truth:
                if len(self.answered) < MAX_ANSWERS:
                    self.answered.append(row)
                    self.answers.append(self.truth[row])
            else:
                self.skipped.append(row)
        self.done = len(self.answered) >= MAX_ANSWERS

    def given(self) -> tuple[np.ndarray, np.ndarray]:
        """(16,) rows / ratings padded with -1 / 0, for the protocol's ``predict``."""
        rows, ratings = np.full(MAX_ANSWERS, -1, np.int64), np.zeros(MAX_ANSWERS, np.float32)
        rows[: len(self.answered)], ratings[: len(self.answers)] = self.answered, self.answers
        return rows, ratings

    def remaining(self) -> tuple[np.ndarray, np.ndarray]:
        keep = ~np.isin(self.rows, self.answered)
        return self.rows[keep], self.ratings[keep]


def list_metrics(predicted, exclude: np.ndarray, rows: np.ndarray, ratings: np.ndarray) -> dict:
    """One person's metrics. predicted: (n_movies,) stars, or (stars, top scores, bottom scores) when the
    lists are ranked by scores of their own; exclude: rows left out of the lists; rows/ratings: targets."""
    stars, top_scores, bottom_scores = predicted if isinstance(predicted, tuple) else (predicted,) * 3
    top, bottom = choose_lists(top_scores, bottom_scores, exclude, TOP_N, TOP_N)
    predicted = stars
    liked, disliked = rows[ratings >= LIKED], rows[ratings <= DISLIKED]
    err = predicted[rows].astype(np.float64) - ratings
    return {
        "sse": float(err @ err),
        "n": len(rows),
        "recall": np.isin(top, liked).sum() / min(TOP_N, len(liked)) if len(liked) else None,
        "hate": np.isin(bottom, disliked).sum() / min(TOP_N, len(disliked)) if len(disliked) else None,
    }


def pooled(per_person: list[dict]) -> dict:
    """Mean over people of recall/hate (people with such targets), RMSE over all targets."""
    n = sum(m["n"] for m in per_person)
    recall = [m["recall"] for m in per_person if m["recall"] is not None]
    hate = [m["hate"] for m in per_person if m["hate"] is not None]
    return {
        "rmse": float(np.sqrt(sum(m["sse"] for m in per_person) / n)) if n else None,
        "recall@10": float(np.mean(recall)) if recall else None,
        "hate@10": float(np.mean(hate)) if hate else None,
    }


def shown_next(
    strategy: str,
    data: ElicitationData,
    person: Person,
    predicted: tuple,
    round_: int,
    seed: int,
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """The 10 movies shown this round; predicted: (stars, top scores, bottom scores), each (n_movies,).

    A strategy named "NAME+unlisted" also leaves out the movies on the person's current top and bottom 10
    (as the function does: a movie is never on the page twice); "NAME+unlistedN" their top N and bottom 10."""
    name, _, rule = strategy.partition("+")
    stars, top_scores, bottom_scores = predicted
    listed = None
    if rule:
        depth = elicit.unlisted_top(strategy)
        if depth < 0:
            raise ValueError(f"unknown rule {rule!r} in {strategy!r}; use +unlisted or +unlistedN")
        rated = np.asarray(person.answered, np.int64)
        listed = np.concatenate(choose_lists(top_scores, bottom_scores, rated, TOP_N, depth))
    if name == "random":  # seeded per (seed, person, round): the same draw whatever else runs
        draw = np.random.default_rng([seed, person.user_id, round_]).random(data.catalog_size)
        exclude = np.asarray(person.answered + person.skipped + ([] if listed is None else listed.tolist()), np.int64)
        return elicit.choose(draw, exclude, PER_ROUND)
    return data.cards(  # the function's own path (``Model.ask_next``)
        name,
        np.asarray(person.answered, dtype=np.int64),
        stars,
        np.asarray(person.skipped, dtype=np.int64),
        reference,
        np.asarray(person.answers, dtype=np.float64),
        listed,
        PER_ROUND,
    )


def simulate(
    model,
    data: ElicitationData,
    test: CatalogRatings,
    strategies=STRATEGIES,
    scale=None,
    rounds: int = ROUNDS,
    seed: int = 0,
    log=None,
) -> dict:
    """Every strategy on ``test``'s eligible users, for a fitted cold-start ``model``.

    model: the protocol surface, ``predict(given_rows (B, 16), given_ratings (B, 16)) -> (B, n_movies)``
    stars; with ``rank_scores`` (same inputs -> (top scores, bottom scores)) the lists follow those, as the
    served model's do. Returns {strategy: {"rounds": [metrics after round 0..rounds]}, "reference_16_random": metrics,
    "n_users"}, each metrics dict with "remaining" (the issue's measure: each strategy on the ratings
    its person has not given yet) and "common" (every strategy and the reference on the same targets
    and candidates: the ratings no strategy and no reference draw ever asked for; see ``common_metrics``).
    """
    users = newcomers.eligible(test)
    lo, hi = (scale.min, scale.max) if scale is not None else (-np.inf, np.inf)

    def predict(given):
        """(stars, top scores, bottom scores), each (U, n_movies) float32."""
        rows, ratings = zip(*given, strict=False)
        return scored(np.stack(rows), np.stack(ratings))

    def scored(rows, ratings):
        stars = np.clip(model.predict(rows, ratings), lo, hi).astype(np.float32)
        if not hasattr(model, "rank_scores"):
            return stars, stars, stars
        top, bottom = model.rank_scores(rows, ratings)
        return stars, np.asarray(top, np.float32), np.asarray(bottom, np.float32)

    def one(scores, i):
        """Person i's (stars, top scores, bottom scores)."""
        return tuple(x[i] for x in scores)

    def top_of(scores, i, exclude):
        """Person i's top TOP_N rows, as the function chooses them."""
        return choose_lists(scores[1][i], scores[2][i], exclude, TOP_N, TOP_N)[0]

    # snapshots[strategy][round] = (predictions (U, n_movies), answered rows per person, answers, shown)
    snapshots = {}
    for strategy in strategies:
        people = [Person(int(test.user_ids[u]), *test.user(u)) for u in users]
        predicted = predict([p.given() for p in people])
        reference = predicted[0][0] if people else None  # the stars for a person with nothing rated
        snaps = []
        for round_ in range(rounds + 1):
            if round_:
                for i, person in enumerate(people):
                    if person.done:
                        continue
                    person.answer(shown_next(strategy, data, person, one(predicted, i), round_, seed, reference))
                predicted = predict([p.given() for p in people])
            snaps.append(
                (
                    predicted,
                    [np.asarray(p.answered, np.int64) for p in people],
                    float(np.mean([len(p.answered) for p in people])),
                    float(np.mean([len(p.answered) + len(p.skipped) for p in people])),
                )
            )
        snapshots[strategy] = snaps
    draws = [newcomers.draw(test, s, MAX_ANSWERS) for s in protocol.SEEDS]
    reference_predictions = [scored(d.given_rows, d.given_ratings) for d in draws]

    # Common targets: a person's ratings that no strategy (final answers) and no reference draw asked for.
    asked: list[set[int]] = [set() for _ in users]
    for snaps in snapshots.values():
        for i, rows in enumerate(snaps[-1][1]):
            asked[i].update(rows.tolist())
    for d in draws:
        for i in range(len(users)):
            asked[i].update(d.given_rows[i].tolist())
    common = []
    for i, u in enumerate(users):
        rows, ratings = test.user(u)
        keep = ~np.isin(rows, list(asked[i]))
        common.append((np.asarray(sorted(asked[i]), np.int64), rows[keep], ratings[keep]))

    out: dict[str, Any] = {"n_users": len(users), "user_ids": [int(test.user_ids[u]) for u in users]}
    for strategy, snaps in snapshots.items():
        history: list[dict[str, Any]] = []
        per_user: list[dict[str, list]] = []
        eventual = [top_of(snaps[-1][0], i, snaps[-1][1][i]) for i in range(len(users))]
        for round_, (predicted, answered, answers, shown) in enumerate(snaps):
            remaining, found = [], []
            for i, u in enumerate(users):
                rows, ratings = test.user(u)
                keep = ~np.isin(rows, answered[i])
                remaining.append(list_metrics(one(predicted, i), answered[i], rows[keep], ratings[keep]))
                top = top_of(predicted, i, answered[i])
                found.append(float(np.isin(eventual[i], top).mean()))
            shared = [list_metrics(one(predicted, i), *common[i]) for i in range(len(users))]
            history.append(
                {
                    "round": round_,
                    "answers": answers,
                    "shown": shown,
                    "found": float(np.mean(found)),
                    "remaining": pooled(remaining),
                    "common": pooled(shared),
                }
            )
            per_user.append(
                {
                    "answers": [len(a) for a in answered],
                    "sse": [m["sse"] for m in remaining],
                    "n": [m["n"] for m in remaining],
                    "recall": [m["recall"] for m in remaining],
                    "found": found,
                    "common_sse": [m["sse"] for m in shared],
                    "common_n": [m["n"] for m in shared],
                    "common_recall": [m["recall"] for m in shared],
                }
            )
        out[strategy] = {"rounds": history, "per_user": per_user}
        if log:
            log(
                f"  {strategy}: "
                + ", ".join(
                    f"r{h['round']} {h['answers']:.1f} ans, "
                    f"rmse {h['remaining']['rmse']:.4f}/{h['common']['rmse']:.4f}, "
                    f"rec {h['remaining']['recall@10']:.3f}/{h['common']['recall@10']:.3f}"
                    for h in history
                    if h["round"] in (1, 2, 3, 10)
                )
            )
    remaining_ref, common_ref = [], []
    for d, predicted in zip(draws, reference_predictions, strict=False):
        remaining_ref.append(
            pooled([list_metrics(one(predicted, i), d.given_rows[i], *d.targets.user(i)) for i in range(len(users))])
        )
        common_ref.append(pooled([list_metrics(one(predicted, i), *common[i]) for i in range(len(users))]))
    out["reference_16_random"] = {
        "answers": float(MAX_ANSWERS),
        "remaining": mean_metrics(remaining_ref),
        "common": mean_metrics(common_ref),
    }
    return out


def mean_metrics(results: list[dict]) -> dict:
    """Key by key mean; None (no such targets) when any result has none."""
    return {
        key: None if any(r[key] is None for r in results) else float(np.mean([r[key] for r in results]))
        for key in results[0]
    }


def merge_folds(per_fold: list[dict]) -> dict:
    """Fold results -> one table: each number is the mean over folds weighted by the fold's users."""
    weights = np.array([f["n_users"] for f in per_fold], dtype=np.float64)
    weights /= weights.sum()

    def mean(items):
        if isinstance(items[0], dict):
            return {k: mean([x[k] for x in items]) for k in items[0]}
        if any(x is None for x in items):
            return None
        return float(sum(w * x for w, x in zip(weights, items, strict=False)))

    out: dict[str, Any] = {
        "n_users": int(sum(f["n_users"] for f in per_fold)),
        "user_ids": [u for f in per_fold for u in f.get("user_ids", [])],
    }
    for key in per_fold[0]:
        if key in ("n_users", "user_ids"):
            continue
        if key == "reference_16_random":
            out[key] = mean([f[key] for f in per_fold])
        else:
            out[key] = {
                "rounds": [
                    mean([f[key]["rounds"][r] for f in per_fold]) for r in range(len(per_fold[0][key]["rounds"]))
                ]
            }
            if "per_user" in per_fold[0][key]:  # people of every fold, in fold order (paired across strategies)
                out[key]["per_user"] = [
                    {
                        m: [x for f in per_fold for x in f[key]["per_user"][r][m]]
                        for m in per_fold[0][key]["per_user"][r]
                    }
                    for r in range(len(per_fold[0][key]["per_user"]))
                ]
    return out


def paired_interval(per_user: dict, base: dict, measure: str, level: float = 0.9, draws: int = 2000, seed: int = 0):
    """(difference, low, high): strategy minus ``base`` on the same people, with a paired bootstrap interval.

    per_user / base: one round's per-person lists (``simulate``'s "per_user"). measure "rmse": the RMSE over
    every remaining rating (resampling people, each with all their ratings); "recall": the mean recall@10
    over people with liked targets in both; "answers", "found": means over people; "common_rmse",
    "common_recall": the same on the common targets (every strategy scored on the same ratings).
    """
    rng = np.random.default_rng(seed)
    n = len(base["n"])
    picks = rng.integers(0, n, size=(draws, n))
    if measure in ("rmse", "common_rmse"):
        prefix = measure[: -len("rmse")]
        sse, sse0 = np.asarray(per_user[prefix + "sse"]), np.asarray(base[prefix + "sse"])
        cnt, cnt0 = np.asarray(per_user[prefix + "n"], float), np.asarray(base[prefix + "n"], float)
        rmse = lambda e, c, idx: np.sqrt(e[idx].sum(-1) / np.maximum(c[idx].sum(-1), 1))  # no targets: 0
        stat = lambda idx: rmse(sse, cnt, idx) - rmse(sse0, cnt0, idx)
        point, boot = float(stat(np.arange(n))), stat(picks)
    else:
        a, b = per_user[measure], base[measure]
        both = np.array([x is not None and y is not None for x, y in zip(a, b, strict=True)])
        diff = np.where(both, [0.0 if x is None or y is None else x - y for x, y in zip(a, b, strict=True)], 0.0)
        stat = lambda idx: (diff[idx] * both[idx]).sum(-1) / np.maximum(both[idx].sum(-1), 1)
        point, boot = float(stat(np.arange(n))), stat(picks)
    low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return point, float(low), float(high)


# ---- the mirror-image profiles' cards ---------------------------------------

MIRROR_GIVEN = 3  # loved and hated movies each profile starts with (6 answers)


def mirror_cards(model, data: ElicitationData, catalog, scale, strategies, rounds: int = 3, pairs: int = 2) -> list:
    """The first ``rounds`` rounds of cards for mirror-image profiles (``contrast.profiles``), per strategy.

    Profile A has rated the 3 most-rated movies of genre X (not Y) at the top of the scale and the 3 of Y (not X)
    at the bottom; its mirror B the same 6 the other way round. Each then answers the cards as a person who has
    seen every catalog movie of X or Y (not both) and rates them as their profile does, and nothing else (a
    skip). Returns [{"name", "given": [(row, stars)], "mirror_given", "cards": {strategy: [A's rows per round]},
    "mirror_cards": {...}, "shared": {strategy: how many of the first round's 10 both are asked}}].
    """
    from training.evaluation import contrast

    genre_sets = [set(g.split("|")) if isinstance(g, str) else set() for g in catalog["genres"]]
    out = []
    for p in contrast.profiles(catalog, scale)[:pairs]:
        x = [i for i, g in enumerate(genre_sets) if p["loves"] in g and p["hates"] not in g]
        y = [i for i, g in enumerate(genre_sets) if p["hates"] in g and p["loves"] not in g]
        entry: dict[str, Any] = {"name": p["name"], "cards": {}, "mirror_cards": {}, "shared": {}}
        for side, (loved, hated) in (("cards", (x, y)), ("mirror_cards", (y, x))):
            rows = np.array(loved + hated, np.int64)
            stars = np.array([scale.max] * len(loved) + [scale.min] * len(hated), np.float32)
            given = loved[:MIRROR_GIVEN] + hated[:MIRROR_GIVEN]
            entry["given" if side == "cards" else "mirror_given"] = [
                (int(r), float(scale.max if r in loved else scale.min)) for r in given
            ]
            empty_rows, empty_stars = Person(-1, rows, stars).given()
            reference = np.clip(model.predict(empty_rows[None], empty_stars[None]), scale.min, scale.max)[0]
            for strategy in strategies:
                person = Person(-1, rows, stars)
                person.answered = list(given)
                person.answers = [float(scale.max if r in loved else scale.min) for r in given]
                shown = []
                for round_ in range(1, rounds + 1):
                    r_, v_ = person.given()
                    stars_now = np.clip(model.predict(r_[None], v_[None]), scale.min, scale.max)[0]
                    top, bottom = (
                        model.rank_scores(r_[None], v_[None])
                        if hasattr(model, "rank_scores")
                        else (stars_now[None], stars_now[None])
                    )
                    cards = shown_next(strategy, data, person, (stars_now, top[0], bottom[0]), round_, 0, reference)
                    shown.append([int(c) for c in cards])
                    person.answer(cards)
                entry[side][strategy] = shown
        for strategy in strategies:
            entry["shared"][strategy] = len(set(entry["cards"][strategy][0]) & set(entry["mirror_cards"][strategy][0]))
        out.append(entry)
    return out
