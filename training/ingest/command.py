"""`python -m training ingest`: raw ratings -> ratings store."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from training import ingest as ingest_module


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "datasets:\n" + ingest_module.SOURCES_HELP
    parser.add_argument(
        "--dataset",
        default="movielens-sample",
        metavar="SOURCE",
        help="where the ratings come from (default: movielens-sample)",
    )
    parser.add_argument("--out", type=Path, help="store directory (default: data/<dataset name>)")
    parser.add_argument(
        "--catalog-size",
        type=int,
        default=ingest_module.DEFAULT_CATALOG_SIZE,
        help="how many of the most-rated movies the models score (default: %(default)s)",
    )
    parser.add_argument(
        "--heldout-fraction",
        type=float,
        default=ingest_module.DEFAULT_HELDOUT_FRACTION,
        help="share of users held out as cold-start test users (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the user split and synthetic data")
    parser.add_argument(
        "--raw-dir",
        type=Path,
        default=Path("data/raw"),
        help="where synthetic raw files are generated (default: %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> int:
    out = args.out or Path("data") / ingest_module.dataset_name(args.dataset)
    start = time.perf_counter()
    summary = ingest_module.ingest(
        args.dataset,
        out,
        catalog_size=args.catalog_size,
        heldout_fraction=args.heldout_fraction,
        seed=args.seed,
        raw_dir=args.raw_dir,
        progress=not args.no_progress,
    )
    c = summary["counts"]
    print(
        f"ingested {c['ratings']:,} ratings by {c['users']:,} users of {c['movies']:,} movies "
        f"in {time.perf_counter() - start:.1f} s -> {out}/"
    )
    print(f"catalog: {c['catalog']} most-rated movies; held out: {c['heldout_users']:,} cold-start users")
    if summary["skipped"]:
        print("skipped: " + json.dumps(summary["skipped"]))
    return 0
