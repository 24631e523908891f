"""`python -m training train`: Model 1 (movie vectors), Model 2 (user tower) and the list ranking.

Reads an ingested dataset, trains on the training users only (held-out
users are never read), and writes the model directory ``training.models.fitting``
describes.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("data/movielens-sample"), help="ingested dataset directory")
    parser.add_argument(
        "--out", type=Path, default=Path("artifacts/models/movielens-sample"), help="model directory to write"
    )
    parser.add_argument("--quick", action="store_true", help="tiny training profile for smoke tests (seconds)")
    parser.add_argument(
        "--seed-cnn", action="store_true", help="also train the original CNN tower, to compare against in `evaluate`"
    )
    parser.add_argument("--cache", type=Path, default=Path("data/cache"), help="title-embedding cache directory")
    parser.add_argument("--seed", type=int, default=0, help="training seed")


def main(args: argparse.Namespace) -> int:
    from training.dataset import load_dataset
    from training.models.fitting import train_models

    train_models(
        load_dataset(args.data),
        args.out,
        quick=args.quick,
        seed_cnn=args.seed_cnn,
        cache_dir=args.cache,
        seed=args.seed,
        log=print,
    )
    print(f"models written to {args.out}/")
    return 0
