"""`python -m training train`: Model 1 (movie vectors) then Model 2 (user tower).

Reads an ingested dataset, trains on the training users only (held-out
users are never read), and writes a model directory:

    movie_vectors.npy            (catalog_size, 16) float32, Model 1's output
    user_tower.weights.h5        Model 2 (served): set tower + catalog scorer
    seed_cnn.weights.h5          the original CNN tower (with --seed-cnn)
    training.json                offset, configs, training curves, timings
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.cli import CommandError
from training.models.catalog_ratings import CatalogRatings, dataset_ratings

PROFILES = {
    # Model 1 epochs, Model 2 epochs / patience
    "full": {"movie_vectors": {}, "user_tower": {}},
    "quick": {"movie_vectors": {"epochs": 2}, "user_tower": {"epochs": 3, "patience": 3, "width": 32, "ensemble": 2}},
}


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("data/movielens-sample"), help="ingested dataset directory")
    parser.add_argument("--out", type=Path, default=Path("artifacts/models/movielens-sample"), help="model directory to write")
    parser.add_argument("--quick", action="store_true", help="tiny training profile for smoke tests (seconds)")
    parser.add_argument("--seed-cnn", action="store_true",
                        help="also train the original CNN tower, to compare against in `evaluate`")
    parser.add_argument("--cache", type=Path, default=Path("data/cache"), help="title-embedding cache directory")
    parser.add_argument("--seed", type=int, default=0, help="training seed")


def main(args: argparse.Namespace) -> int:
    from training.dataset import load_dataset

    train_models(load_dataset(args.data), args.out, quick=args.quick, seed_cnn=args.seed_cnn,
                 cache_dir=args.cache, seed=args.seed, log=print)
    print(f"models written to {args.out}/")
    return 0


def training_ratings(ds) -> CatalogRatings:
    """Catalog ratings of the training users (held-out users removed here, once)."""
    train = dataset_ratings(ds, "training")
    if train.n_ratings == 0:
        raise CommandError("the dataset has no training ratings of catalog movies; ingest more data")
    return train


def heldout_ratings(ds) -> CatalogRatings:
    """Catalog ratings of the held-out (cold-start test) users: evaluation only."""
    return dataset_ratings(ds, "heldout")


def catalog_features(ds, cache_dir) -> np.ndarray:
    from training.models import movie_vectors, titles_embedding

    titles = ds.catalog["title"].astype(str).tolist()
    embeddings = titles_embedding.embed_titles(titles, cache_dir)
    years, _ = titles_embedding.year_features(ds.catalog["year"].tolist())
    return movie_vectors.movie_features(embeddings, years)


def train_models(ds, out_dir: Path, quick: bool = False, seed_cnn: bool = False, cache_dir=None, seed: int = 0,
                 log=print) -> dict:
    """Train Model 1 and Model 2 on ``ds``'s training users; write ``out_dir``; return training.json."""
    from training.models import movie_vectors, user_tower

    profile = PROFILES["quick" if quick else "full"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = {}
    started = time.perf_counter()
    train = training_ratings(ds)
    offset = user_tower.rating_offset(train.mean(), ds.rating_scale.step)
    log(f"training users: {train.n_users:,}, catalog ratings: {train.n_ratings:,}, offset {offset}")

    t = time.perf_counter()
    features = catalog_features(ds, cache_dir)
    timings["title_embeddings_s"] = time.perf_counter() - t

    t = time.perf_counter()
    m1_config = movie_vectors.MovieVectorsConfig(seed=seed, **profile["movie_vectors"])
    vectors = movie_vectors.fit_movie_vectors(train, features, offset, m1_config)
    timings["movie_vectors_s"] = time.perf_counter() - t
    log(f"Model 1: movie vectors {vectors.vectors.shape}, val rmse {vectors.history.get('val_rmse', [float('nan')])[-1]:.4f}"
        f" ({timings['movie_vectors_s']:.1f} s)")
    np.save(out_dir / "movie_vectors.npy", vectors.vectors)

    towers = {}
    for name, kind in [("user_tower", "set")] + ([("seed_cnn", "seed_cnn")] if seed_cnn else []):
        t = time.perf_counter()
        options = dict(profile["user_tower"])
        if kind == "seed_cnn":  # the original design: one CNN tower, no ensemble
            options["ensemble"] = 1
        config = user_tower.UserTowerConfig(tower=kind, seed=seed, **options)
        trained = user_tower.train_user_tower(train, vectors.vectors, offset, config, log)
        trained.model.save_weights(out_dir / f"{name}.weights.h5")
        timings[f"{name}_s"] = time.perf_counter() - t
        towers[name] = {"config": dataclasses.asdict(config), "history": trained.history}
        log(f"Model 2 [{name}]: best epoch {trained.history.get('best_epoch')}, "
            f"val rmse {min(trained.history['val_rmse'] or [float('nan')]):.4f} ({timings[f'{name}_s']:.1f} s)")

    timings["total_s"] = time.perf_counter() - started
    info = {"dataset": ds.info.get("name"), "catalog_size": int(len(ds.catalog)), "rating_offset": offset,
            "rating_scale": ds.rating_scale.to_dict(), "n_training_users": train.n_users,
            "n_training_ratings": train.n_ratings, "quick": quick,
            "movie_vectors": {"config": dataclasses.asdict(m1_config), "history": vectors.history},
            "towers": towers, "timings": timings}
    (out_dir / "training.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


@dataclass
class TrainedModels:
    """A model directory loaded back: movie vectors, offset and the trained towers (TrainedUserTower)."""

    directory: Path
    info: dict
    movie_vectors: np.ndarray
    towers: dict

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
        towers[name] = user_tower.TrainedUserTower(model, vectors, float(info["rating_offset"]), config, entry["history"])
    return TrainedModels(model_dir, info, vectors, towers)
