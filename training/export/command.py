"""`python -m training export`: the artifact set of DESIGN.md from a model directory and its evaluation."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.errors import CommandError


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("data/movielens-sample"), help="ingested dataset directory")
    parser.add_argument(
        "--models",
        type=Path,
        default=Path("artifacts/models/movielens-sample"),
        help="model directory written by `train`",
    )
    parser.add_argument(
        "--metrics",
        type=Path,
        default=Path("reports/eval/metrics.json"),
        help="metrics.json written by `evaluate` (headline metrics and n_subsets go in the manifest)",
    )
    parser.add_argument("--out", type=Path, default=Path("artifacts/movielens-sample"), help="artifact set directory")


def main(args: argparse.Namespace) -> int:
    from training.dataset import load_dataset
    from training.export import ParityError, export_artifacts
    from training.models.fitting import load_models

    if not args.metrics.exists():
        raise CommandError(f"{args.metrics} not found; run: python -m training evaluate --out {args.metrics.parent}")
    metrics = json.loads(args.metrics.read_text())
    try:
        manifest = export_artifacts(load_dataset(args.data), load_models(args.models), metrics, args.out)
    except ParityError as e:
        raise CommandError(str(e)) from e
    print(f"artifact set {manifest['version']} written to {args.out}/ ({', '.join(manifest['files'])})")
    return 0
