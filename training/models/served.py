"""The served model, as one cold-start recommender: Model 1 (ALS movie vectors), Model 2 (user tower), list ranking.

``ServedModel.fit(train)`` runs the whole training of what the function
serves, on training users only:

1. Model 1 (``movie_factors``): movie vectors from the training users'
   ratings with the title and year as their prior.
2. Model 2 (``user_tower``): the gated set-tower ensemble, starting from an
   exact ridge fold-in on those vectors; its validation users (never stepped
   on) pick the epochs and the gates.
3. The list ranking (``ranking``): EASE's "likely to watch" score fitted on
   the training users, and its parameters chosen by cross-fitting over them
   (``ranking_cases``, ``choose_ranking``): every training user (a sample of 10,000 at scale) is a
   simulated newcomer once, scored by the ridge fold-in the tower starts from.

``predict`` gives the stars shown; ``rank_scores`` the scores that order the
top and bottom lists. Cross-validation fits one per fold; ``train`` fits one
on the published split and exports it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from screen_genius.scorer import PastSixteen
from training.coldstart import folds, lists, newcomers, sample
from training.coldstart.ratings import CatalogRatings
from training.models import movie_factors, past_sixteen, ranking, user_tower
from training.models.checkpoints import Checkpoints, cached_part

# The model directory ``save`` writes (training.json, written by ``fitting.train_models``, says what they are):
MODEL_FILES = {
    "movie_vectors.npy": "(catalog_size, 16) float32, Model 1's output",
    "user_tower.weights.h5": "Model 2 (served): set-tower ensemble + catalog scorer",
    "ranking.npz": "the list ranking: EASE weights, popularity, no-information prior, rating spreads",
    "no_information.npy": "(catalog_size,) float32 stars for a person who has rated nothing (the item mean)",
}
RANKING_FILE = "ranking.npz"
NO_INFORMATION_FILE = "no_information.npy"
RANKING_FOLDS = 5  # cross-fitting folds over the training users for the ranking choice
RANKING_ALS_ITERATIONS = 6
LEAK_SHARE = 0.01  # past 16: validation users holding less of the training ratings are not refitted out
RANKING_DRAWS = 1  # seeded permutations per simulated newcomer (every sampled training user is one)
RANKING_USERS = 10_000  # the cross-fitting runs on a deterministic sample of at most this many training users
RANKING_RESAMPLES = 200  # bootstrap resamples of the people the ranking choice is averaged over
CHECK_USERS = 5_000  # the tower check runs on at most this many validation users (a seeded sample)
CHECK_RESAMPLES = 2_000  # bootstrap resamples of the tower check's paired interval
CHECK_LEVEL = 0.90  # the tower check's interval: the top's choice is dropped when it lies below zero
# in each resample of the top's choice, the candidate with the least of the chart in its top 10 among those whose
# recall@10 is within this many bootstrap standard errors of the resample's best (0: the best recall alone)
TOP_CHART_TOLERANCE = 2.0


class RankingCase(NamedTuple):
    """One simulated-newcomer case of the ranking choice: U newcomers at one k, over the catalog's n movies.

    stars, personal: (U, n) float64; popularity, prior: (n,); exclude: (U, n) bool (the given movies);
    targets: (U, n) true ratings, NaN elsewhere; spread: (n,) the movies' rating spreads or None (1);
    users: (U,) int user ids, the same person in every case they appear in, or None: then cases that share
    one ``targets`` array (one draw, several k) share their rows' people.
    """

    stars: np.ndarray
    personal: np.ndarray
    popularity: np.ndarray
    prior: np.ndarray
    exclude: np.ndarray
    targets: np.ndarray
    spread: np.ndarray | None = None
    users: np.ndarray | None = None


def ranking_cases(
    train: CatalogRatings,
    features: np.ndarray,
    factors_config,
    offset: float,
    lam: float,
    n_inner: int = RANKING_FOLDS,
    seed: int = 0,
    max_users: int = RANKING_USERS,
    fold_in_reg: float = 8.0,
) -> list[RankingCase]:
    """Simulated newcomers for the ranking choice, by cross-fitting over all of ``train``'s users.

    ``train``'s users are split into ``n_inner`` folds (``folds.split_fold``);
    per fold, Model 1 (ALS), EASE and the movies' rating spreads are fitted on
    the other folds, and each held-out user with enough ratings gives the first k = 1, 2, 4, 8, 16 of a
    seeded permutation. Their stars are the ridge fold-in on the vectors
    (``movie_factors.fold_in_stars``, with the tower's chosen starting ridge
    ``fold_in_reg``): the tower's own starting point, cheap
    enough to score every training user. With more than ``max_users``
    training users, the cross-fitting runs on a deterministic sample of that
    many (``coldstart.sample``): the choice is a few numbers, and 10,000
    newcomers at five k each decide them as well as 400,000 would, at a
    fortieth of the cost (the refits and the grid are linear in users). Returns a ``RankingCase`` per fold,
    draw and k, its ``users`` the newcomers' user ids.
    """
    if train.n_users > max_users:  # Netflix scale: a deterministic sample keeps the choice to minutes
        train, _ = sample.sample_ratings(train, max_users, seed)
    cases = []
    for fold in range(n_inner):
        fit_users, held = folds.split_fold(train, fold, n_inner, seed + 17)
        # a few ALS sweeps suffice for the stand-in stars (the served vectors get the full fit)
        config = dataclasses.replace(factors_config, iterations=min(factors_config.iterations, RANKING_ALS_ITERATIONS))
        factors = movie_factors.fit_movie_factors(fit_users, features, offset, config)
        seen = ranking.SeenScore.fit(fit_users, lam=lam, seed=seed)
        prior = movie_factors.fold_in_stars(factors.vectors, offset, np.full((1, 1), -1), np.zeros((1, 1)))[0]
        prior = prior - prior.mean()
        for d in range(RANKING_DRAWS):
            draw = newcomers.draw(held, seed + d)
            if draw.targets.n_users == 0:
                continue
            cases += draw_cases(
                draw,
                seen,
                prior,
                train.n_items,
                lambda rows, values, v=factors.vectors: movie_factors.fold_in_stars(
                    v, offset, rows, values, fold_in_reg
                ),
            )
    return cases


def draw_cases(draw, seen: ranking.SeenScore, prior: np.ndarray, n_items: int, stars_of) -> list[RankingCase]:
    """One ``RankingCase`` per k of ``newcomers.KS`` for a draw of newcomers: ``stars_of(rows, values)`` their stars,
    ``seen`` their EASE scores and the movies' popularity and spreads, ``prior`` the chart."""
    targets = newcomers.dense(draw.targets)
    cases = []
    for k in newcomers.KS:
        rows, values = draw.given(k)
        cases.append(
            RankingCase(
                np.asarray(stars_of(rows, values), dtype=np.float64),
                seen.personal(rows).astype(np.float64),
                seen.popularity.astype(np.float64),
                prior,
                newcomers.given_mask(rows, n_items),
                targets,
                seen.spread,
                draw.targets.user_ids.astype(np.int64),
            )
        )
    return cases


def _first(keys: np.ndarray, exclude: np.ndarray, n: int = 10) -> np.ndarray:
    """(U, n) columns with the smallest keys per row, smallest first, skipping ``exclude``.

    Partial selection, not a full sort: ties at the boundary fall either way,
    which the choice can afford (the lists themselves use ``lists.top_bottom``).
    """
    keys = np.where(exclude, np.inf, keys)
    part = np.argpartition(keys, n - 1, axis=1)[:, :n]
    return np.take_along_axis(part, np.argsort(np.take_along_axis(keys, part, axis=1), axis=1), axis=1)


def _one_standard_error(per_case: dict, allowed: list) -> tuple:
    """The simplest of ``allowed`` candidates (smallest parameters) whose mean is within one standard error of the best.

    per_case: {candidate: (n_cases,) values, higher is better}. The standard
    error is that of the per-case difference from the best candidate: the
    "one-standard-error rule" of model selection, which keeps a choice made on
    a few hundred simulated newcomers from flipping between near-equal
    candidates from one training set to the next.
    """
    best = max(allowed, key=lambda c: (float(np.mean(per_case[c])), [-x for x in c]))
    n = len(per_case[best])
    within = (
        [
            c
            for c in allowed
            if np.mean(per_case[best] - per_case[c]) <= np.std(per_case[best] - per_case[c], ddof=1) / np.sqrt(n)
        ]
        if n > 1
        else [best]
    )
    return min(within)


def _case_users(cases: list) -> list[np.ndarray]:
    """Per case, (U,) int positions 0..n_people-1 of its rows' people: by sorted user id (``RankingCase.users``),
    so the positions, and a seeded resample of them, do not depend on the order of the cases; cases without
    ids are numbered after, one person per row of each distinct ``targets`` array, in the order met."""
    ids = [c.users for c in cases if c.users is not None]
    known = np.unique(np.concatenate(ids)) if ids else np.zeros(0, dtype=np.int64)
    groups: dict = {}
    n_people = len(known)
    out = []
    for c in cases:
        if c.users is not None:
            out.append(np.searchsorted(known, c.users).astype(np.int64))
            continue
        if id(c.targets) not in groups:
            groups[id(c.targets)] = n_people
            n_people += len(c.stars)
        out.append(groups[id(c.targets)] + np.arange(len(c.stars), dtype=np.int64))
    return out


def _per_person(cases: list, candidates: list, score) -> np.ndarray:
    """(n_candidates, n_rows, 4) per case row (a newcomer at one k): [share of relevant caught (NaN: none),
    sum and count of the targets' true ratings in the list, share of the list from the chart's end].

    score(case, candidate) -> (keys (U, n), lowest first; relevant (U, n) bool; chart rows).
    """
    out = np.empty((len(candidates), sum(len(c.stars) for c in cases), 4))
    start = 0
    for c in cases:
        end = start + len(c.stars)
        for i, cand in enumerate(candidates):
            keys, relevant, chart_rows = score(c, cand)
            chosen = _first(keys, c.exclude)
            share, total, count = lists.caught(chosen, c.targets, relevant)
            out[i, start:end] = np.stack([share, total, count, np.isin(chosen, chart_rows).mean(axis=1)], axis=1)
        start = end
    return out


def _top_score(c: RankingCase, cand: tuple) -> tuple:
    """``_per_person``'s score of a top candidate: the top list's keys (lowest first), the liked targets and the
    chart's top (the ``lists.CHART_N`` movies the no-information stars put highest)."""
    params = ranking.params_of(cand, ranking.BOTTOM_GRID[0])
    top_s, _ = ranking.list_scores(c.stars, c.personal, c.popularity, c.prior, params)
    return -top_s, lists.liked(c.targets), np.argsort(-c.prior, kind="stable")[: lists.CHART_N]


def _tables(per: np.ndarray, case_of_row: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(B, n_candidates, 3) [mean share, pooled rating, chart share] per candidate under person ``weights``.

    per: ``_per_person``'s (n_candidates, n_rows, 4); case_of_row: (n_rows,); weights: (B, n_rows) each row's
    weight (a person's count in a resample; 1 everywhere: the plain table). Each case's share and chart are
    weighted means over its rows and its rating pooled (sum over count), then averaged over the cases.
    """
    cases = np.unique(case_of_row)
    out = np.zeros((len(weights), per.shape[0], 3))
    for c in cases:
        rows = case_of_row == c
        w, x = weights[:, rows], per[:, rows]
        valid = ~np.isnan(x[..., 0])
        share = np.nan_to_num(x[..., 0])
        with np.errstate(invalid="ignore", divide="ignore"):
            out[..., 0] += (w @ (share * valid).T) / (w @ valid.T)
        out[..., 1] += (w @ x[..., 1].T) / np.maximum(w @ x[..., 2].T, 1.0)  # weights are counts: 0 or >= 1
        out[..., 2] += (w @ x[..., 3].T) / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    return out / len(cases)


def _top_allowed(table: np.ndarray) -> np.ndarray:
    """(n_candidates,) bool: top candidates whose hit rating is no lower than the stars alone's (index 0)."""
    return table[:, 1] >= table[0, 1]


def _top_pick(table: np.ndarray, allowed: np.ndarray, tolerance: float = 0.0) -> int:
    """Index of the ``allowed`` top candidate with the least chart share among those whose recall@10 is within
    ``tolerance`` of the best allowed one's (ties: the better recall, then the first); 0: the best recall."""
    recall = np.where(allowed, table[:, 0], -np.inf)
    near = recall >= recall.max() - tolerance
    chart = np.where(near, table[:, 2], np.inf)
    least = chart <= chart.min() + 1e-12
    return int(np.argmax(np.where(least, recall, -np.inf)))


def _bottom_distance(table: np.ndarray) -> np.ndarray:
    """(n_candidates,) how far each bottom candidate's [hate, rating, chart] lies outside both limits: the excess
    of the chart share and of the rating, each over its limit (0: within both)."""
    chart = np.maximum(table[:, 2] - ranking.MAX_BOTTOM_CHART, 0) / ranking.MAX_BOTTOM_CHART
    rating = np.maximum(table[:, 1] - ranking.MAX_BOTTOM_RATING, 0) / ranking.MAX_BOTTOM_RATING
    return chart + rating


def _bottom_allowed(table: np.ndarray) -> np.ndarray:
    """(n_candidates,) bool: bottom candidates within the chart limit (all of them if none is)."""
    within = table[:, 2] <= ranking.MAX_BOTTOM_CHART
    return within if within.any() else np.ones(len(table), dtype=bool)


def _bottom_pick(table: np.ndarray, allowed: np.ndarray) -> int:
    """Index of the best hate@10 among ``allowed`` candidates within both limits; if none, the one nearest
    both (``_bottom_distance``; ties: the best hate)."""
    distance = np.where(allowed, _bottom_distance(table), np.inf)
    nearest = distance <= distance.min() + 1e-12
    return int(np.argmax(np.where(nearest, table[:, 0], -np.inf)))


def tower_cases(
    train: CatalogRatings,
    validation: CatalogRatings,
    predict,
    prior: np.ndarray,
    lam: float,
    seed: int = 0,
    max_users: int = CHECK_USERS,
) -> list[RankingCase]:
    """Simulated newcomers for checking the top's choice: the tower's own validation users, its own stars.

    The choice is made on stand-in stars (``ranking_cases``: a fold-in, cheap enough for every training user)
    that the trained tower may not resemble: at 100M ratings the tower reads a person far better than its
    starting fold-in, and the EASE pull that helps the fold-in's lists costs the tower's. The validation
    users were never stepped on by the tower; EASE is refitted without them (``lam`` as chosen), so their
    own ratings are not in the pull that is judged on them. predict: (given_rows, given_ratings) -> stars.
    More than ``max_users`` validation users: a seeded sample of that many is judged (the rest stay out of
    EASE too).
    """
    kept = train.subset(np.flatnonzero(~np.isin(train.user_ids, validation.user_ids)))
    seen = ranking.SeenScore.fit(kept, lam=lam, seed=seed)
    if validation.n_users > max_users:
        picked = np.random.default_rng(seed).choice(validation.n_users, max_users, replace=False)
        validation = validation.subset(np.sort(picked))
    draw = newcomers.draw(validation, seed)
    if draw.targets.n_users == 0:
        return []
    return draw_cases(draw, seen, prior, train.n_items, predict)


def check_top(choice: dict, cases: list, resamples: int = CHECK_RESAMPLES, seed: int = 0) -> dict:
    """``choice`` with its top parameters checked on ``cases`` (``tower_cases``) against the stars alone.

    The top's recall@10 (mean over the cases, as ``choose_ranking`` scores it) with the chosen parameters
    and with the stars alone, and their paired difference with a ``CHECK_LEVEL`` bootstrap interval over
    the people (``resamples``, seeded). The choice stands unless the interval lies wholly below zero; then
    the top list follows the stars (the bottom's parameters are kept). Returns the choice with its params
    so decided and "tower_check": {"n_people", "recall@10", "stars_recall@10", "difference", "interval",
    "kept"}; no cases: the choice as it was.
    """
    if not cases:
        return choice
    cases = [c if isinstance(c, RankingCase) else RankingCase(*c) for c in cases]
    params = choice["params"]
    chosen = tuple(getattr(params, f) for f in ranking.TOP_FIELDS)

    people = _case_users(cases)
    person_of_row = np.concatenate(people)
    case_of_row = np.repeat(np.arange(len(cases)), [len(p) for p in people])
    n_people = int(person_of_row.max()) + 1
    per = _per_person(cases, [chosen, ranking.TOP_GRID[0]], _top_score)
    point = _tables(per, case_of_row, np.ones((1, len(case_of_row))))[0, :, 0]
    counts = np.random.default_rng(seed).multinomial(n_people, np.full(n_people, 1.0 / n_people), size=resamples)
    boot = _tables(per, case_of_row, counts.astype(np.float64)[:, person_of_row])[..., 0]
    tail = (1 - CHECK_LEVEL) / 2
    low, high = (float(q) for q in np.quantile(boot[:, 0] - boot[:, 1], [tail, 1 - tail]))
    kept = high >= 0
    top = dict(zip(ranking.TOP_FIELDS, (chosen if kept else ranking.TOP_GRID[0]), strict=True))
    return {
        **choice,
        "params": dataclasses.replace(params, **top),
        "tower_check": {
            "n_people": n_people,
            "recall@10": float(point[0]),
            "stars_recall@10": float(point[1]),
            "difference": float(point[0] - point[1]),
            "interval": [low, high],
            "kept": bool(kept),
        },
    }


def choose_ranking(cases: list, resamples: int = 0, seed: int = 0) -> dict:
    """The list-ranking parameters that do best on simulated newcomers (``ranking_cases``; 6-tuples work too).

    Top: among ``ranking.TOP_GRID`` candidates whose hits are rated at least
    as high, on average, as with stars alone, the largest mean recall@10 (over folds, draws and k).
    Bottom: among ``ranking.BOTTOM_GRID`` candidates whose bottom 10 holds at
    most ``ranking.MAX_BOTTOM_CHART`` of the 20 movies the chart puts lowest
    (the lowest no-information stars of the case) and whose held-out movies there are rated at most
    ``ranking.MAX_BOTTOM_RATING`` on average, the largest hate@10; if none qualifies, the one nearest
    both limits (``_bottom_distance``).

    ``resamples`` 0: the simplest candidate within one standard error of that best (over cases). Otherwise
    bootstrap-smoothed (Efron 2014): the people are resampled with replacement ``resamples`` times (seeded;
    every candidate judged on the same resample), the best is taken in each, and the chosen parameter
    vectors are averaged, a smooth function of the data that does not flip between near-equal candidates
    from one training set to the next (the limits too are judged in each resample: a candidate near one is
    admitted in some and not others, so the choice moves smoothly as it crosses). The top's pick in each
    resample is the allowed candidate with the least of the chart in its top 10 (the ``lists.CHART_N``
    movies the no-information stars put highest) among those whose recall@10 is within
    ``TOP_CHART_TOLERANCE`` bootstrap standard errors of the resample's best: candidates the newcomers' recall
    cannot tell apart, the one least like everyone's list. The averaged parameters are real numbers of the
    same formula.

    Returns {"params": RankingParams, "n_cases", "n_people", "top_table", "bottom_table"} and, bootstrapped,
    "resamples" (how many, the top's recall tolerance, and the spread of each chosen parameter over them) and
    "chosen" (the averaged parameters' own validation numbers).
    """
    if not cases:
        return {"params": ranking.RankingParams(), "n_cases": 0}
    cases = [c if isinstance(c, RankingCase) else RankingCase(*c) for c in cases]
    people = _case_users(cases)
    person_of_row = np.concatenate(people)
    case_of_row = np.repeat(np.arange(len(cases)), [len(p) for p in people])
    n_people = int(person_of_row.max()) + 1

    def bottom_score(c, cand):
        params = ranking.params_of(ranking.TOP_GRID[0], cand)
        _, bottom_s = ranking.list_scores(c.stars, c.personal, c.popularity, c.prior, params, spread=c.spread)
        return bottom_s, lists.disliked(c.targets), np.argsort(c.prior, kind="stable")[: lists.CHART_N]

    top_grid, bottom_grid = list(ranking.TOP_GRID), list(ranking.BOTTOM_GRID)
    top_per = _per_person(cases, top_grid, _top_score)
    bottom_per = _per_person(cases, bottom_grid, bottom_score)
    ones = np.ones((1, len(case_of_row)))
    top_table, bottom_table = _tables(top_per, case_of_row, ones)[0], _tables(bottom_per, case_of_row, ones)[0]
    result: dict = {
        "n_cases": len(cases),
        "n_people": n_people,
        "top_table": {
            str(c): {"recall@10": float(v[0]), "hit_rating": float(v[1]), "chart_share": float(v[2])}
            for c, v in zip(top_grid, top_table, strict=True)
        },
        "bottom_table": {
            str(c): {"hate@10": float(v[0]), "bottom_rating": float(v[1]), "chart_share": float(v[2])}
            for c, v in zip(bottom_grid, bottom_table, strict=True)
        },
    }
    if resamples:
        rng = np.random.default_rng(seed)
        counts = rng.multinomial(n_people, np.full(n_people, 1.0 / n_people), size=resamples).astype(np.float64)
        weights = counts[:, person_of_row]
        top_tables = _tables(top_per, case_of_row, weights)
        # the recall's bootstrap standard error: that of the candidate the plain table puts first
        error = float(top_tables[:, _top_pick(top_table, _top_allowed(top_table)), 0].std())
        tolerance = TOP_CHART_TOLERANCE * error
        top_picks = np.array(top_grid)[[_top_pick(t, _top_allowed(t), tolerance) for t in top_tables]]
        bottom_picks = np.array(bottom_grid)[
            [_bottom_pick(t, _bottom_allowed(t)) for t in _tables(bottom_per, case_of_row, weights)]
        ]
        top, bottom = _mean_top(top_picks), tuple(map(float, bottom_picks.mean(axis=0)))
        result["resamples"] = {
            "n": resamples,
            "seed": seed,
            "top_tolerance": {"standard_errors": TOP_CHART_TOLERANCE, "recall@10": tolerance},
            "sd": dict(
                zip(
                    ranking.TOP_FIELDS + ranking.BOTTOM_FIELDS,
                    map(float, [*top_picks.std(0), *bottom_picks.std(0)]),
                    strict=True,
                )
            ),
        }
        chosen_top = _tables(_per_person(cases, [top], _top_score), case_of_row, ones)[0, 0]
        chosen_bottom = _tables(_per_person(cases, [bottom], bottom_score), case_of_row, ones)[0, 0]
        result["chosen"] = {
            "recall@10": float(chosen_top[0]),
            "hit_rating": float(chosen_top[1]),
            "top_chart_share": float(chosen_top[2]),
            "hate@10": float(chosen_bottom[0]),
            "bottom_rating": float(chosen_bottom[1]),
            "chart_share": float(chosen_bottom[2]),
        }
    else:
        # per case: the mean over its newcomers, the one-standard-error rule's units
        top_cases = _case_means(top_per, case_of_row)
        bottom_cases = _case_means(bottom_per, case_of_row)
        allowed_top = [c for c, ok in zip(top_grid, _top_allowed(top_table), strict=True) if ok]
        top = _one_standard_error({c: top_cases[i, :, 0] for i, c in enumerate(top_grid)}, allowed_top)
        distance = _bottom_distance(bottom_table)
        within = [c for c, d in zip(bottom_grid, distance, strict=True) if d == 0]
        bottom = (
            _one_standard_error({c: bottom_cases[i, :, 0] for i, c in enumerate(bottom_grid)}, within)
            if within
            else bottom_grid[_bottom_pick(bottom_table, _bottom_allowed(bottom_table))]
        )
    result["params"] = ranking.params_of(top, bottom)
    return result


def _mean_top(picks: np.ndarray) -> tuple:
    """The average of top candidates (k, 3) [gamma_top, popularity_top, chart_top] as the average of the score's
    coefficients: of personal (gamma), of popularity (gamma * popularity_top) and of the chart."""
    gamma, coefficient, chart = picks[:, 0].mean(), (picks[:, 0] * picks[:, 1]).mean(), picks[:, 2].mean()
    return (float(gamma), float(coefficient / gamma) if gamma > 0 else 0.0, float(chart))


def _case_means(per: np.ndarray, case_of_row: np.ndarray) -> np.ndarray:
    """(n_candidates, n_cases, 3) [share, rating, chart] of each case alone (``_tables`` one case at a time)."""
    out = []
    for i in np.unique(case_of_row):
        rows = case_of_row == i
        out.append(_tables(per[:, rows], case_of_row[rows], np.ones((1, rows.sum())))[0])
    return np.stack(out, axis=1)


class ServedModel:
    """Model 1 + Model 2 + list ranking on the cold-start protocol surface (``evaluation.protocol.ColdStartModel``).

    Unfitted, it holds its hyper-parameters (``step``: the rating scale's step; the tower's and Model 1's
    configs) and the catalog's title ``features`` (catalog_size, 386) to fit with; ``fit(train)`` fills its
    parts. Fitted, or built from its parts (``offset``, ``factors``: Model 1's ``MovieFactors``, ``trained``:
    the ``TrainedUserTower``, ``seen``: the ``SeenScore`` or None, ``choice``: the ranking choice with its
    "params", ``prior``: (n_movies,) the centred no-information stars), it predicts, and ``save(dir)`` /
    ``load(dir)`` write and read the model directory (``MODEL_FILES``).
    """

    predicts_ratings = True

    def __init__(
        self,
        step: float,
        tower_config: user_tower.UserTowerConfig | None = None,
        factors_config: movie_factors.MovieFactorsConfig | None = None,
        *,
        features: np.ndarray | None = None,
        name: str = "user_tower",
        n_subsets: int = 1,
        rank: bool = True,
        log=None,
        offset: float | None = None,
        factors: movie_factors.MovieFactors | None = None,
        trained: user_tower.TrainedUserTower | None = None,
        seen: ranking.SeenScore | None = None,
        choice: dict | None = None,
        prior: np.ndarray | None = None,
        no_information: np.ndarray | None = None,
        past: PastSixteen | None = None,
    ):
        self.features, self.step = features, float(step)
        self.tower_config = tower_config or user_tower.UserTowerConfig()
        self.factors_config = factors_config or movie_factors.MovieFactorsConfig(seed=self.tower_config.seed)
        self.name, self.n_subsets, self.rank, self.log = name, n_subsets, rank, log
        self.timings: dict = {}
        self.no_information, self.past = no_information, past  # None: the tower's own stars
        self.past_table: dict = {}
        if offset is not None:
            self.offset = float(offset)
        if factors is not None:
            self.factors = factors
        if trained is not None:
            self.tower = user_tower.UserTowerRecommender.from_trained(trained, name, n_subsets)
            self.seen = seen
            self.choice = choice if choice is not None else {"params": ranking.RankingParams()}
            self.prior = prior if prior is not None else self.no_information_prior()

    def fit(self, train: CatalogRatings, checkpoints: Checkpoints | None = None) -> None:
        """Fit every part on ``train``; with ``checkpoints``, parts an interrupted run finished are reused."""
        assert self.features is not None, "a model loaded back has no title features to refit with"
        t = time.perf_counter()
        self.offset = user_tower.rating_offset(train.mean(), self.step)
        self.factors = cached_part(
            checkpoints,
            "model1",
            lambda: movie_factors.fit_movie_factors(train, self.features, self.offset, self.factors_config, self.log),
            lambda f: ({"vectors": f.vectors, "users": f.users}, {"offset": f.offset, "history": f.history}),
            lambda a, info: movie_factors.MovieFactors(a["vectors"], info["offset"], a["users"], info["history"]),
        )
        self.timings["movie_vectors_s"] = time.perf_counter() - t
        t = time.perf_counter()
        trained = user_tower.train_user_tower(
            train, self.factors.vectors, self.offset, self.tower_config, self.log, checkpoints
        )
        self.tower = user_tower.UserTowerRecommender.from_trained(trained, self.name, self.n_subsets)
        self.timings["user_tower_s"] = time.perf_counter() - t
        self.fit_every_rating(train, trained.validation)
        self.fit_ranking(train, checkpoints, trained.validation)

    def fit_every_rating(self, train: CatalogRatings, validation: CatalogRatings | None) -> None:
        """The item mean for no ratings; the blend past 16 chosen on the tower's validation users (``past_sixteen``).

        The fold-in's ridge is chosen on Model 1 refitted without the validation users it is judged on
        (``vectors_without``): their own ratings are in Model 1's fit, so on the fitted vectors their targets
        are already inside the movies, and the choice took the grid's least shrinkage (ridge 2, RMSE 0.64 on
        them against 0.78 refitted out) where held-out users want twice that. The blend's weight is then
        chosen with that ridge on the fitted vectors, which the tower reads too (``past_sixteen.choose``).
        The served stars use the fitted vectors.
        """
        t = time.perf_counter()
        self.no_information = past_sixteen.no_information_stars(train)
        if validation is not None and validation.n_users:
            self.past, self.past_table = past_sixteen.choose(
                self.tower.predict,
                validation,
                self.movie_vectors,
                self.offset,
                self.tower_config.seed,
                lambda user_ids: self.vectors_without(train, user_ids),
            )
        self.timings["past_sixteen_s"] = time.perf_counter() - t
        if self.log:
            chosen = f"fold-in ridge {self.past.reg:g}, half {self.past.half:g}" if self.past else "the tower alone"
            self.log(f"  past 16 ratings: {chosen} ({self.past_table.get('n_users', 0)} validation users)")

    def vectors_without(self, train: CatalogRatings, user_ids: np.ndarray) -> np.ndarray | None:
        """Model 1's movie vectors as if ``user_ids`` had not been in ``train``: the fit, warm-started, run again
        on the others (``movie_factors.without_users``). None where those users hold under LEAK_SHARE of the
        ratings (a thousand of Netflix's 480,000: their pull on any movie is too small to matter), or where
        there is no fit to rerun (a model loaded back)."""
        drop = np.isin(train.user_ids, user_ids)
        if not hasattr(self, "factors") or self.features is None or not drop.any():
            return None
        if train.counts()[drop].sum() < LEAK_SHARE * train.n_ratings:
            return None
        config = self.factors_config
        return movie_factors.without_users(self.factors, train, drop, self.features, config, config.iterations)

    def fit_ranking(
        self, train: CatalogRatings, checkpoints: Checkpoints | None = None, validation: CatalogRatings | None = None
    ) -> None:
        """EASE on every training user; ranking parameters chosen by cross-fitting over them (``ranking_cases``).

        With the tower's ``validation`` users, the top's choice is then checked on them with the tower's own
        stars (``tower_cases``, ``check_top``): it is dropped for the stars alone where it catches fewer of
        their liked movies, the paired interval wholly below zero.
        """
        t = time.perf_counter()
        self.prior = self.no_information_prior()
        if not self.rank:
            self.seen, self.choice = None, {"params": ranking.RankingParams()}
            return
        assert self.features is not None, "a model loaded back has no title features to refit with"

        def build():
            seen = ranking.SeenScore.fit(train, seed=self.tower_config.seed)
            assert seen.lam is not None  # EASE.fit chooses one when none is given
            cases = ranking_cases(
                train,
                self.features,
                self.factors_config,
                self.offset,
                seen.lam,
                seed=self.tower_config.seed,
                fold_in_reg=self.tower.trained.config.fold_in_reg,
            )
            choice = choose_ranking(cases, RANKING_RESAMPLES, self.tower_config.seed)
            if validation is not None and validation.n_users:  # the top's choice, checked on the tower itself
                checked = tower_cases(train, validation, self.predict, self.prior, seen.lam, self.tower_config.seed)
                choice = check_top(choice, checked, seed=self.tower_config.seed)
            return seen, choice

        def to_arrays(fitted):
            seen, choice = fitted
            info = {"lam": seen.lam, "choice": {**choice, "params": choice["params"].to_dict()}}
            spread = {} if seen.spread is None else {"spread": seen.spread}
            return {"weights": seen.weights, "popularity": seen.popularity, **spread}, info

        def from_arrays(arrays, info):
            choice = {**info["choice"], "params": ranking.RankingParams(**info["choice"]["params"])}
            seen = ranking.SeenScore(arrays["weights"], arrays["popularity"], info["lam"], arrays.get("spread"))
            return seen, choice

        self.seen, self.choice = cached_part(checkpoints, "ranking", build, to_arrays, from_arrays)
        self.timings["ranking_s"] = time.perf_counter() - t
        if self.log:
            self.log(f"  list ranking: {self.params} ({self.choice.get('n_cases')} simulated cases)")
            check = self.choice.get("tower_check")
            if isinstance(check, dict):
                verdict = "kept" if check["kept"] else "dropped for the stars alone"
                self.log(
                    f"  top's choice on {check['n_people']} tower validation users: recall@10 "
                    f"{check['recall@10']:.4f} against the stars' {check['stars_recall@10']:.4f}, difference "
                    f"{check['difference']:+.4f} [{check['interval'][0]:+.4f}, {check['interval'][1]:+.4f}]: {verdict}"
                )

    @property
    def params(self) -> ranking.RankingParams:
        return self.choice["params"]

    def no_information_prior(self) -> np.ndarray:
        """(n_movies,) float64: the stars with nothing rated, centred (the chart the top list is pulled from)."""
        empty = np.full((1, user_tower.MAX_RATINGS), -1)
        prior = np.asarray(self.tower.predict(empty, np.zeros(empty.shape, np.float32)), dtype=np.float64)[0]
        return prior - prior.mean()

    @property
    def movie_vectors(self) -> np.ndarray:
        """(n_movies, 16) float32: Model 1's vectors, the tower's input."""
        if hasattr(self, "factors"):
            return self.factors.vectors
        assert self.tower.trained is not None, "fit() first"
        return self.tower.trained.movie_vectors

    def save(self, directory: Path | str, info: dict | None = None) -> dict:
        """Write the model directory: the arrays (``MODEL_FILES``) and training.json, which ``load`` reads.

        ``info``: what training.json says besides the model (dataset, timings, other towers under "towers");
        its keys keep their order, the model's own ("rating_offset", "movie_vectors", "towers", "ranking",
        "past_sixteen") are filled in. Returns training.json's contents.
        """
        from training.atomic import write_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        trained = self.tower.trained
        assert trained is not None, "fit() first"
        np.save(directory / "movie_vectors.npy", self.movie_vectors)
        trained.model.save_weights(directory / f"{self.name}.weights.h5")
        if self.seen is not None:
            arrays: dict[str, np.ndarray] = {
                "weights": self.seen.weights,
                "popularity": self.seen.popularity,
                "prior": self.prior,
            }
            if self.seen.spread is not None:  # None: a model fitted before the spreads
                arrays["spread"] = self.seen.spread
            np.savez(directory / RANKING_FILE, **arrays)  # type: ignore[arg-type]
        if self.no_information is not None:
            np.save(directory / NO_INFORMATION_FILE, np.asarray(self.no_information, dtype=np.float32))
        info = dict(info or {})
        record = {
            **info,
            "past_sixteen": {
                "chosen": None if self.past is None else {"reg": self.past.reg, "half": self.past.half},
                "validation_rmse": self.past_table,
            },
            "rating_offset": self.offset,
            "rating_scale": info.get("rating_scale", {"step": self.step}),
            "movie_vectors": {
                "method": "als",
                "config": dataclasses.asdict(self.factors_config),
                "history": self.factors.history if hasattr(self, "factors") else {},
            },
            # the tower's own config: its starting fold-in ridge as chosen on validation users
            "towers": {
                self.name: {"config": dataclasses.asdict(trained.config), "history": trained.history},
                **(info.get("towers") or {}),
            },
            "ranking": {
                "params": self.params.to_dict(),
                "choice": {k: v for k, v in self.choice.items() if k != "params"},
                "ease_lambda": getattr(self.seen, "lam", None),
            },
        }
        text = json.dumps(record, indent=2) + "\n"
        write_file(directory / "training.json", lambda f: f.write(text.encode()))
        return record

    @classmethod
    def load(cls, directory: Path | str, name: str = "user_tower", n_subsets: int = 1) -> ServedModel:
        """The fitted model ``save`` wrote to ``directory``."""
        directory = Path(directory)
        info = json.loads((directory / "training.json").read_text())
        trained = load_tower(directory, info, name)
        seen, prior = load_ranking(directory, info)
        no_information, past = load_every_rating(directory, info)
        return cls(
            info["rating_scale"]["step"],
            trained.config,
            name=name,
            n_subsets=n_subsets,
            offset=info["rating_offset"],
            trained=trained,
            seen=seen,
            choice={"params": ranking.RankingParams(**info.get("ranking", {}).get("params", {}))},
            prior=prior,
            no_information=no_information,
            past=past,
        )

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        """(B, n_movies) the served stars: the function's ``Scorer.predict`` on the protocol's (B, K) inputs."""
        given_rows = np.asarray(given_rows)
        stars = past_sixteen.apply(
            self.tower.predict(given_rows, given_ratings),
            given_rows,
            np.asarray(given_ratings),
            self.movie_vectors,
            self.offset,
            self.past,
        )
        if self.no_information is not None:
            stars[past_sixteen.given_counts(given_rows) == 0] = self.no_information
        return stars

    def rank_scores(self, given_rows, given_ratings) -> tuple[np.ndarray, np.ndarray]:
        stars = np.asarray(self.predict(given_rows, given_ratings), dtype=np.float64)
        if self.seen is None:
            return stars, stars
        return ranking.list_scores(
            stars,
            self.seen.personal(given_rows).astype(np.float64),
            self.seen.popularity.astype(np.float64),
            self.prior,
            self.params,
            past_sixteen.given_counts(given_rows),
            self.seen.spread,
        )

    def stars_only(self, name: str) -> StarsOnly:
        """The same fitted model with lists ranked by the stars alone (a variant in the report)."""
        return StarsOnly(self, name)


def load_tower(directory: Path, info: dict, name: str) -> user_tower.TrainedUserTower:
    """The trained tower ``name`` of a model directory (``{name}.weights.h5``, its config in training.json)."""
    vectors = np.load(directory / "movie_vectors.npy")
    entry = info["towers"][name]
    config = user_tower.UserTowerConfig(**entry["config"])
    model = user_tower.build_model(vectors, info["rating_offset"], config)
    model.load_weights(directory / f"{name}.weights.h5")
    return user_tower.TrainedUserTower(model, vectors, float(info["rating_offset"]), config, entry["history"])


def load_ranking(directory: Path, info: dict) -> tuple[ranking.SeenScore | None, np.ndarray | None]:
    """(SeenScore, (n_movies,) float64 prior) of a model directory's ``ranking.npz``; (None, None) without one."""
    if not (directory / RANKING_FILE).exists():
        return None, None
    with np.load(directory / RANKING_FILE) as z:
        spread = z["spread"] if "spread" in z.files else None  # a model fitted before the spreads
        seen = ranking.SeenScore(z["weights"], z["popularity"], info["ranking"].get("ease_lambda"), spread)
        return seen, z["prior"].astype(np.float64)


def load_every_rating(directory: Path, info: dict) -> tuple[np.ndarray | None, PastSixteen | None]:
    """(no-information stars or None, the past-16 blend or None) of a model directory."""
    path = directory / NO_INFORMATION_FILE
    no_information = np.load(path) if path.exists() else None
    chosen = info.get("past_sixteen", {}).get("chosen")
    return no_information, PastSixteen(chosen["reg"], chosen["half"]) if chosen else None


class StarsOnly:
    """A fitted ServedModel whose lists follow the predicted stars (no list ranking)."""

    predicts_ratings = True

    def __init__(self, served: ServedModel, name: str):
        self.served, self.name = served, name

    def predict(self, given_rows, given_ratings) -> np.ndarray:
        return self.served.predict(given_rows, given_ratings)
