"""Training what the function serves, and the model directory it leaves: one module for every command.

``train_models`` fits the served model (``served.ServedModel``: Model 1, Model 2,
list ranking) on a dataset's training users and writes a model directory:
the served model's files (``ServedModel.save``, ``served.MODEL_FILES``:
movie_vectors.npy, user_tower.weights.h5, ranking.npz), with seed_cnn
seed_cnn.weights.h5 (the original CNN tower), and training.json (offset,
configs, training curves, list-ranking choice, timings).

``load_models`` reads it back (``TrainedModels``); ``served_model`` builds an
unfitted one with the full or quick profile (cross-validation fits one per fold).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from training.coldstart.ratings import training_ratings
from training.errors import CommandError

if TYPE_CHECKING:
    from screen_genius.scorer import PastSixteen
    from training.models.ranking import SeenScore
    from training.models.user_tower import TrainedUserTower

PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    # Model 1 (ALS) options, Model 2 options
    "full": {"movie_factors": {}, "user_tower": {}},
    "quick": {
        "movie_factors": {"iterations": 4},
        "user_tower": {"epochs": 3, "patience": 3, "width": 32, "ensemble": 2},
    },
}


def catalog_features(ds, cache_dir) -> np.ndarray:
    """(catalog_size, 384 + 2) float32: each catalog movie's title embedding and release-year features."""
    from training.models import titles_embedding

    titles = ds.catalog["title"].astype(str).tolist()
    embeddings = titles_embedding.embed_titles(titles, cache_dir)
    years, _ = titles_embedding.year_features(ds.catalog["year"].tolist())
    return np.concatenate([embeddings, years], axis=1).astype(np.float32)


def served_model(
    features: np.ndarray,
    step: float,
    quick: bool = False,
    seed: int = 0,
    log=print,
    name: str = "user_tower",
    n_subsets: int = 1,
    **tower_options,
):
    """An unfitted ``ServedModel`` with the ``quick`` or full profile (``tower_options`` override the tower's)."""
    from training.models import movie_factors, served, user_tower

    profile = PROFILES["quick" if quick else "full"]
    tower = user_tower.UserTowerConfig(seed=seed, **{**profile["user_tower"], **tower_options})
    factors = movie_factors.MovieFactorsConfig(seed=seed, **profile["movie_factors"])
    return served.ServedModel(step, tower, factors, features=features, name=name, n_subsets=n_subsets, log=log)


def train_models(
    ds,
    out_dir: Path,
    quick: bool = False,
    seed_cnn: bool = False,
    cache_dir=None,
    seed: int = 0,
    log=print,
    checkpoints=None,
) -> dict:
    """Train Model 1, Model 2 and the list ranking on ``ds``'s training users.

    Writes ``out_dir``; returns training.json. ``checkpoints``
    (``checkpoints.Checkpoints``) keeps each finished part, and reuses the ones
    an interrupted run with the same inputs finished.
    """
    from training.models import user_tower

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = {}
    started = time.perf_counter()
    train = training_ratings(ds)
    log(f"training users: {train.n_users:,}, catalog ratings: {train.n_ratings:,}")

    t = time.perf_counter()
    features = catalog_features(ds, cache_dir)
    timings["title_embeddings_s"] = time.perf_counter() - t

    model = served_model(features, ds.rating_scale.step, quick, seed, log)
    model.fit(train, checkpoints)
    timings.update(model.timings)
    offset = model.offset
    trained = model.tower.trained
    log(
        f"Model 2 [user_tower]: best epoch {trained.history.get('best_epoch')}, "
        f"val rmse {min(trained.history['val_rmse'] or [float('nan')]):.4f} ({timings['user_tower_s']:.1f} s)"
    )
    towers = {}  # besides the served model's own
    if seed_cnn:  # the original design: one CNN tower, no ensemble, on the same movie vectors
        t = time.perf_counter()
        profile = PROFILES["quick" if quick else "full"]
        config = user_tower.UserTowerConfig(tower="seed_cnn", seed=seed, **{**profile["user_tower"], "ensemble": 1})
        cnn = user_tower.train_user_tower(train, model.movie_vectors, offset, config, log)
        cnn.model.save_weights(out_dir / "seed_cnn.weights.h5")
        timings["seed_cnn_s"] = time.perf_counter() - t
        towers["seed_cnn"] = {"config": dataclasses.asdict(config), "history": cnn.history}

    timings["total_s"] = time.perf_counter() - started
    info = {
        "dataset": ds.info.get("name"),
        "catalog_size": len(ds.catalog),
        "rating_offset": offset,
        "rating_scale": ds.rating_scale.to_dict(),
        "n_training_users": train.n_users,
        "n_training_ratings": train.n_ratings,
        "quick": quick,
        "movie_vectors": None,  # filled in by ServedModel.save, as are "rating_offset" and "ranking"
        "towers": towers,
        "ranking": None,
        "past_sixteen": None,
        "timings": timings,
    }
    return model.save(out_dir, info)


@dataclass
class TrainedModels:
    """A model directory loaded back: movie vectors, offset, the trained towers (TrainedUserTower) and the
    list ranking (``ranking``: a SeenScore or None, ``prior``: the centred no-information stars)."""

    directory: Path
    info: dict[str, Any]
    movie_vectors: np.ndarray
    towers: dict[str, TrainedUserTower]
    ranking: SeenScore | None = None
    prior: np.ndarray | None = None
    no_information: np.ndarray | None = None  # (n_movies,) stars for a person who rated nothing
    past: PastSixteen | None = None  # how ratings past 16 are read

    def recommender(self, name: str = "user_tower", n_subsets: int = 1):
        """The served model on the cold-start protocol: the tower's stars, lists by the fitted ranking."""
        from training.models import served
        from training.models.ranking import RankingParams

        return served.ServedModel(
            self.info["rating_scale"]["step"],
            self.towers[name].config,
            name=name,
            n_subsets=n_subsets,
            offset=self.offset,
            trained=self.towers[name],
            seen=self.ranking,
            choice={"params": RankingParams(**self.info.get("ranking", {}).get("params", {}))},
            prior=self.prior,
            no_information=self.no_information,
            past=self.past,
        )

    @property
    def offset(self) -> float:
        return float(self.info["rating_offset"])


def load_models(model_dir: Path | str) -> TrainedModels:
    """A model directory ``train_models`` wrote: every tower in training.json, the list ranking."""
    from training.models import served

    model_dir = Path(model_dir)
    if not (model_dir / "training.json").exists():
        raise CommandError(f"{model_dir} holds no trained models; run: python -m training train --out {model_dir}")
    info = json.loads((model_dir / "training.json").read_text())
    towers = {name: served.load_tower(model_dir, info, name) for name in info["towers"]}
    seen, prior = served.load_ranking(model_dir, info)
    no_information, past = served.load_every_rating(model_dir, info)
    vectors = next(iter(towers.values())).movie_vectors if towers else np.load(model_dir / "movie_vectors.npy")
    return TrainedModels(model_dir, info, vectors, towers, seen, prior, no_information, past)
