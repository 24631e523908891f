"""Reading ratings past the 16 the user tower sees at once, and the stars for a person who rated nothing.

The tower reads at most 16 ratings per input; a person who gave more gets the
mean over 16-rating subsets that together hold every rating
(``features.choose_subsets``). Each subset's fold-in is shrunk as if the person
had rated 16 movies, so the mean reads 40 ratings no better than 16. One ridge
fold-in on every rating (``screen_genius.fold_in``) reads them all at once; the
served stars blend the two (``screen_genius.scorer.PastSixteen``):

    stars = (1 - w) * tower's subsets + w * fold-in on every rating,  w = (k - 16) / (k - 16 + half)

``choose`` picks the blend on validation users (never stepped on by the tower)
who give every rating but their targets, by RMSE. Those users' ratings are in
Model 1's fit, so on the fitted vectors a fold-in scores them with their
targets already inside the movies and rewards too little shrinkage. Where they
hold enough of the fit for that to matter (MovieLens: a tenth of the users),
the choice is in two steps: the fold-in's ridge on Model 1 refitted without
them (the fold-in alone, as a newcomer gets it); then, with that ridge, ``half``
(or the tower alone, no blend) on the fitted vectors, where the tower and the
fold-in read the same movies. Where they do not (Netflix: a thousand of
480,000), ridge and ``half`` are chosen together on the fitted vectors. ``apply`` is the blend on the cold-start
protocol's (B, K) inputs, the same formula as the function's.

``no_information_stars``: what a person who has rated nothing gets, the item
mean (each movie's mean rating, shrunk toward the global mean, as the
``ItemMean`` baseline): with nothing to read, the chart is the best guess.
"""

from __future__ import annotations

import numpy as np

from screen_genius import fold_in
from screen_genius.features import MAX_RATINGS
from screen_genius.scorer import PastSixteen
from training.coldstart import newcomers
from training.coldstart.ratings import CatalogRatings
from training.models.baselines import ItemMean

REGS = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0)
HALVES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0)
MAX_USERS = 1_000  # validation users the choice is made on, at most (two numbers)


def no_information_stars(train: CatalogRatings) -> np.ndarray:
    """(n_movies,) float32: the item mean (``baselines.ItemMean``) of ``train``."""
    model = ItemMean()
    model.fit(train)
    return model.predict(np.zeros((1, 1)), np.zeros((1, 1)))[0].astype(np.float32)


def given_counts(given_rows: np.ndarray) -> np.ndarray:
    """(B,) how many ratings each row of (B, K) inputs gives (-1 marks an empty slot)."""
    return (np.asarray(given_rows) >= 0).sum(axis=1)


def apply(
    tower_stars: np.ndarray,
    given_rows: np.ndarray,
    given_ratings: np.ndarray,
    movie_vectors: np.ndarray,
    offset: float,
    past: PastSixteen | None,
) -> np.ndarray:
    """(B, n_movies) the served stars past 16 ratings: the tower's, blended with the fold-in on every rating."""
    stars = np.asarray(tower_stars, dtype=np.float64).copy()
    if past is None:
        return stars
    k = given_counts(given_rows)
    many = np.flatnonzero(k > MAX_RATINGS)
    if len(many):
        every = fold_in.fold_in_stars(movie_vectors, offset, given_rows[many], given_ratings[many], past.reg)
        w = np.array([past.weight(int(n)) for n in k[many]])[:, None]
        stars[many] = (1 - w) * stars[many] + w * every
    return stars


def simulate_many(users: CatalogRatings, seed: int, max_users: int = MAX_USERS):
    """Users who can give more than 16 (``newcomers.draw_all``, at most ``max_users`` of them): (given_rows,
    given_ratings) (U, K) in draw order, (U, n_movies) targets (NaN elsewhere) and (U,) their user ids."""
    counts = users.counts()
    eligible = np.flatnonzero(counts - newcomers.all_targets(counts) > MAX_RATINGS)
    if len(eligible) > max_users:
        users = users.subset(np.sort(np.random.default_rng(seed).choice(eligible, max_users, replace=False)))
    draw = newcomers.draw_all(users, seed)
    if draw is None:
        return (
            np.zeros((0, MAX_RATINGS), np.int64),
            np.zeros((0, MAX_RATINGS), np.float32),
            np.zeros((0, users.n_items)),
            np.zeros(0, np.int64),
        )
    return draw.given_rows, draw.given_ratings, newcomers.dense(draw.targets), draw.targets.user_ids


def choose(
    predict_tower,
    validation: CatalogRatings,
    movie_vectors: np.ndarray,
    offset: float,
    seed: int = 0,
    vectors_without=None,
) -> tuple[PastSixteen | None, dict]:
    """The blend (or None: the tower alone) with the lowest RMSE on ``validation`` users giving all but targets.

    predict_tower: (given_rows, given_ratings) -> (U, n_movies) the tower's stars.
    vectors_without: (user_ids) -> Model 1's movie vectors as if those users had not been in its fit, or
    None where their pull on the fit is too small to matter. With such vectors the choice is in two steps:
    the ridge whose fold-in alone scores the users best on them ("ridge <reg>" in the table), then ``half``
    with that ridge on ``movie_vectors`` ("<reg>/<half>"), against the tower alone. Without (or
    ``vectors_without`` None): every ridge and half together on ``movie_vectors``.
    Returns (choice, {"tower_alone": rmse, ["ridge <reg>": rmse,] "<reg>/<half>": rmse, ..., "n_users": U}).
    """
    rows, ratings, targets, user_ids = simulate_many(validation, seed)
    if len(rows) == 0:
        return None, {"n_users": 0}
    known = ~np.isnan(targets)
    truth = targets[known]

    def rmse(stars: np.ndarray) -> float:
        return float(np.sqrt(np.mean((stars[known] - truth) ** 2)))  # unclipped, as the protocol scores

    table: dict = {"n_users": len(rows)}
    regs: tuple[float, ...] = REGS
    honest = None if vectors_without is None else vectors_without(user_ids)
    if honest is not None:
        for reg in REGS:
            table[f"ridge {reg:g}"] = rmse(fold_in.fold_in_stars(honest, offset, rows, ratings, reg))
        regs = (min(REGS, key=lambda r: table[f"ridge {r:g}"]),)
    tower = np.asarray(predict_tower(rows, ratings), dtype=np.float64)
    table["tower_alone"] = rmse(tower)
    best: tuple[float, PastSixteen | None] = (table["tower_alone"], None)
    for reg in regs:
        every = fold_in.fold_in_stars(movie_vectors, offset, rows, ratings, reg)
        for half in HALVES:
            past = PastSixteen(reg, half)
            w = np.array([past.weight(int(n)) for n in given_counts(rows)])[:, None]
            score = rmse((1 - w) * tower + w * every)
            table[f"{reg:g}/{half:g}"] = score
            best = min(best, (score, past), key=lambda b: b[0])
    return best[1], table
