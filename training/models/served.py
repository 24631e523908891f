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
import itertools
import json
import time
from pathlib import Path

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
    "ranking.npz": "the list ranking: EASE weights, popularity, no-information prior",
    "no_information.npy": "(catalog_size,) float32 stars for a person who has rated nothing (the item mean)",
}
RANKING_FILE = "ranking.npz"
NO_INFORMATION_FILE = "no_information.npy"
RANKING_FOLDS = 5  # cross-fitting folds over the training users for the ranking choice
RANKING_ALS_ITERATIONS = 6
RANKING_DRAWS = 1  # seeded permutations per simulated newcomer (every sampled training user is one)
RANKING_USERS = 10_000  # the cross-fitting runs on a deterministic sample of at most this many training users


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
) -> list[tuple]:
    """Simulated newcomers for the ranking choice, by cross-fitting over all of ``train``'s users.

    ``train``'s users are split into ``n_inner`` folds (``folds.split_fold``);
    per fold, Model 1 (ALS) and EASE are fitted on the other folds, and each
    held-out user with enough ratings gives the first k = 1, 2, 4, 8, 16 of a
    seeded permutation. Their stars are the ridge fold-in on the vectors
    (``movie_factors.fold_in_stars``, with the tower's chosen starting ridge
    ``fold_in_reg``): the tower's own starting point, cheap
    enough to score every training user. With more than ``max_users``
    training users, the cross-fitting runs on a deterministic sample of that
    many (``coldstart.sample``): the choice is six numbers, and 10,000
    newcomers at five k each decide them as well as 400,000 would, at a
    fortieth of the cost (the refits and the grid are linear in users). Returns [(stars, personal, popularity,
    prior, exclude, targets)] per fold, draw and k.
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
        popularity = seen.popularity.astype(np.float64)
        for d in range(RANKING_DRAWS):
            draw = newcomers.draw(held, seed + d)
            if draw.targets.n_users == 0:
                continue
            targets = newcomers.dense(draw.targets)
            for k in newcomers.KS:
                rows, values = draw.given(k)
                stars = movie_factors.fold_in_stars(factors.vectors, offset, rows, values, fold_in_reg)
                cases.append(
                    (
                        stars,
                        seen.personal(rows).astype(np.float64),
                        popularity,
                        prior,
                        newcomers.given_mask(rows, train.n_items),
                        targets,
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


def choose_ranking(cases: list[tuple]) -> dict:
    """The list-ranking parameters that do best on simulated newcomers (``ranking_cases``).

    Top: among ``ranking.TOP_GRID`` candidates whose hits are rated at least
    as high, on average, as with stars alone, the simplest within one
    standard error of the largest mean recall@10 (over folds, draws and k).
    Bottom: among ``ranking.BOTTOM_GRID`` candidates whose bottom 10 holds at
    most ``ranking.MAX_BOTTOM_CHART`` of the 20 movies the chart puts lowest
    (the lowest no-information stars of the case), the simplest within one
    standard error of the largest hate@10; if none qualifies, the one holding
    fewest. Returns {"params": RankingParams, "n_cases", "top_table", "bottom_table"}.
    """
    if not cases:
        return {"params": ranking.RankingParams(), "n_cases": 0}

    # one pass over the cases: each candidate's [recall@10, hit rating] of the top lists and [hate@10,
    # bottom rating, chart share] of the bottom lists, per case; one list_scores call scores a top and a
    # bottom candidate at once
    top_cases: dict = {c: [] for c in ranking.TOP_GRID}
    bottom_cases: dict = {c: [] for c in ranking.BOTTOM_GRID}
    pairs = list(itertools.zip_longest(ranking.TOP_GRID, ranking.BOTTOM_GRID))
    for stars, personal, popularity, prior, exclude, targets in cases:
        liked, disliked = lists.liked(targets), lists.disliked(targets)
        flops = np.argsort(prior, kind="stable")[: lists.CHART_N]
        for top_c, bottom_c in pairs:
            params = ranking.params_of(top_c or ranking.TOP_GRID[0], bottom_c or ranking.BOTTOM_GRID[0])
            top_s, bottom_s = ranking.list_scores(stars, personal, popularity, prior, params)
            for c, per, keys, relevant in (
                (top_c, top_cases, -top_s, liked),
                (bottom_c, bottom_cases, bottom_s, disliked),
            ):
                if c is not None:
                    chosen = _first(keys, exclude)
                    share, hit_sum, hit_count = lists.caught(chosen, targets, relevant)
                    per[c].append(
                        [np.nanmean(share), hit_sum.sum() / max(hit_count.sum(), 1), np.isin(chosen, flops).mean()]
                    )
    top_per = {c: np.array(v) for c, v in top_cases.items()}
    bottom_per = {c: np.array(v) for c, v in bottom_cases.items()}
    top_table = {c: v.mean(axis=0) for c, v in top_per.items()}
    bottom_table = {c: v.mean(axis=0) for c, v in bottom_per.items()}
    base_top = top_table[ranking.TOP_GRID[0]]
    top = _one_standard_error(
        {c: v[:, 0] for c, v in top_per.items()}, [c for c, v in top_table.items() if v[1] >= base_top[1]]
    )
    personal_enough = [c for c, v in bottom_table.items() if v[2] <= ranking.MAX_BOTTOM_CHART]
    bottom = (
        _one_standard_error({c: v[:, 0] for c, v in bottom_per.items()}, personal_enough)
        if personal_enough
        else min(bottom_table, key=lambda c: (bottom_table[c][2], c))
    )
    return {
        "params": ranking.params_of(top, bottom),
        "n_cases": len(cases),
        "top_table": {str(c): {"recall@10": float(v[0]), "hit_rating": float(v[1])} for c, v in top_table.items()},
        "bottom_table": {
            str(c): {"hate@10": float(v[0]), "bottom_rating": float(v[1]), "chart_share": float(v[2])}
            for c, v in bottom_table.items()
        },
    }


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
        self.fit_ranking(train, checkpoints)

    def fit_every_rating(self, train: CatalogRatings, validation: CatalogRatings | None) -> None:
        """The item mean for no ratings; the blend past 16 chosen on the tower's validation users (``past_sixteen``)."""
        t = time.perf_counter()
        self.no_information = past_sixteen.no_information_stars(train)
        if validation is not None and validation.n_users:
            self.past, self.past_table = past_sixteen.choose(
                self.tower.predict, validation, self.movie_vectors, self.offset, self.tower_config.seed
            )
        self.timings["past_sixteen_s"] = time.perf_counter() - t
        if self.log:
            chosen = f"fold-in ridge {self.past.reg:g}, half {self.past.half:g}" if self.past else "the tower alone"
            self.log(f"  past 16 ratings: {chosen} ({self.past_table.get('n_users', 0)} validation users)")

    def fit_ranking(self, train: CatalogRatings, checkpoints: Checkpoints | None = None) -> None:
        """EASE on every training user; ranking parameters chosen by cross-fitting over them (``ranking_cases``)."""
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
            return seen, choose_ranking(cases)

        def to_arrays(fitted):
            seen, choice = fitted
            info = {"lam": seen.lam, "choice": {**choice, "params": choice["params"].to_dict()}}
            return {"weights": seen.weights, "popularity": seen.popularity}, info

        def from_arrays(arrays, info):
            choice = {**info["choice"], "params": ranking.RankingParams(**info["choice"]["params"])}
            return ranking.SeenScore(arrays["weights"], arrays["popularity"], lam=info["lam"]), choice

        self.seen, self.choice = cached_part(checkpoints, "ranking", build, to_arrays, from_arrays)
        self.timings["ranking_s"] = time.perf_counter() - t
        if self.log:
            self.log(f"  list ranking: {self.params} ({self.choice.get('n_cases')} simulated cases)")

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
            np.savez(
                directory / RANKING_FILE, weights=self.seen.weights, popularity=self.seen.popularity, prior=self.prior
            )
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
        seen = ranking.SeenScore(z["weights"], z["popularity"], lam=info["ranking"].get("ease_lambda"))
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
