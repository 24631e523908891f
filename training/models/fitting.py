"""Training what the function serves, and the model directory it leaves: one module for every command.

``train_models`` fits the served model (``served.ServedModel``: Model 1, Model 2,
list ranking) on a dataset's training users and writes a model directory:

    movie_vectors.npy            (catalog_size, 16) float32, Model 1's output
    user_tower.weights.h5        Model 2 (served): set-tower ensemble + catalog scorer
    ranking.npz                  the list ranking: EASE weights, popularity, no-information prior
    seed_cnn.weights.h5          the original CNN tower (with seed_cnn)
    training.json                offset, configs, training curves, list-ranking choice, timings

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

from training.errors import CommandError
from training.models.catalog_ratings import training_ratings

if TYPE_CHECKING:
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
    return served.ServedModel(features, step, tower, factors, name=name, n_subsets=n_subsets, log=log)


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
    np.save(out_dir / "movie_vectors.npy", model.movie_vectors)
    trained = model.tower.trained
    trained.model.save_weights(out_dir / "user_tower.weights.h5")
    # the tower's own config: its starting fold-in ridge as chosen on validation users
    towers = {"user_tower": {"config": dataclasses.asdict(trained.config), "history": trained.history}}
    log(
        f"Model 2 [user_tower]: best epoch {trained.history.get('best_epoch')}, "
        f"val rmse {min(trained.history['val_rmse'] or [float('nan')]):.4f} ({timings['user_tower_s']:.1f} s)"
    )
    ranking_info = {
        "params": model.params.to_dict(),
        "choice": {k: v for k, v in model.choice.items() if k != "params"},
        "ease_lambda": getattr(model.seen, "lam", None),
    }
    if model.seen is not None:
        np.savez(
            out_dir / "ranking.npz", weights=model.seen.weights, popularity=model.seen.popularity, prior=model.prior
        )

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
        "movie_vectors": {
            "method": "als",
            "config": dataclasses.asdict(model.factors_config),
            "history": model.factors.history,
        },
        "towers": towers,
        "ranking": ranking_info,
        "timings": timings,
    }
    (out_dir / "training.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


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

    def recommender(self, name: str = "user_tower", n_subsets: int = 1):
        """The served model on the cold-start protocol: the tower's stars, lists by the fitted ranking."""
        from training.models import served, user_tower

        model = served.ServedModel(
            None, self.info["rating_scale"]["step"], self.towers[name].config, name=name, n_subsets=n_subsets
        )
        model.tower = user_tower.UserTowerRecommender.from_trained(self.towers[name], name, n_subsets)
        from training.models.ranking import RankingParams

        model.seen = self.ranking
        model.choice = {"params": RankingParams(**self.info.get("ranking", {}).get("params", {}))}
        model.prior = self.prior if self.prior is not None else model.no_information_prior()
        return model

    @property
    def offset(self) -> float:
        return float(self.info["rating_offset"])


def load_models(model_dir: Path | str) -> TrainedModels:
    from training.models import user_tower

    model_dir = Path(model_dir)
    if not (model_dir / "training.json").exists():
        raise CommandError(f"{model_dir} holds no trained models; run: python -m training train --out {model_dir}")
    info = json.loads((model_dir / "training.json").read_text())
    vectors = np.load(model_dir / "movie_vectors.npy")
    towers = {}
    for name, entry in info["towers"].items():
        config = user_tower.UserTowerConfig(**entry["config"])
        model = user_tower.build_model(vectors, info["rating_offset"], config)
        model.load_weights(model_dir / f"{name}.weights.h5")
        towers[name] = user_tower.TrainedUserTower(
            model, vectors, float(info["rating_offset"]), config, entry["history"]
        )
    seen, prior = None, None
    if (model_dir / "ranking.npz").exists():
        from training.models.ranking import SeenScore

        with np.load(model_dir / "ranking.npz") as z:
            seen = SeenScore(z["weights"], z["popularity"], lam=info["ranking"].get("ease_lambda"))
            prior = z["prior"].astype(np.float64)
    return TrainedModels(model_dir, info, vectors, towers, seen, prior)
