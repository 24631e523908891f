"""`python -m training evaluate`: every model on the same cold-start protocol, toys on warm start.

Two protocols, one report (``crossval``):
- ``--folds 5`` (protocol v2, the one model decisions are judged on): every
  user is a test user once; per fold every model, the served one included,
  is trained from scratch on the other folds' users.
- no ``--folds`` (what ``run`` uses): the published split, the trained model
  directory against baselines and peers fitted on the same training users.

Both score the full-catalog top and bottom 10, accuracy and rated-target
ranking at k = 0, 1, 2, 4, 8, 16 and "all", with paired bootstrap intervals;
then the taste-contrast profiles, the >16-ratings subsets experiment and the
toy models' warm-start comparison. Writes reports/eval (HTML, PNG,
metrics.json); ``export`` copies the headline metrics into the manifest.

The command line is here; the run is ``runner``, the models ``roster``, the
targets ``targets``, the intervals ``bootstrap``, the report ``report``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from training.evaluation.results import SERVED_MODEL, STARS_ONLY, headline  # noqa: F401 (callers)
from training.evaluation.roster import warm_label, warm_start  # noqa: F401 (callers)
from training.evaluation.runner import assemble, cold_start_users, evaluate_all, evaluate_folds  # noqa: F401


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("data/movielens-sample"), help="ingested dataset directory")
    parser.add_argument(
        "--models",
        type=Path,
        default=Path("artifacts/models/movielens-sample"),
        help="model directory written by `train` (the published-split protocol)",
    )
    parser.add_argument("--out", type=Path, default=Path("reports/eval"), help="report directory")
    parser.add_argument(
        "--folds",
        type=int,
        default=0,
        metavar="N",
        help="user-level N-fold cross-validation, every model retrained per fold (protocol v2; "
        "the report's model decisions use --folds 5); default: the published split",
    )
    parser.add_argument("--quick", action="store_true", help="short training, fewer resamples (smoke tests)")
    parser.add_argument("--no-toys", action="store_true", help="skip the warm-start toy models")
    parser.add_argument("--cache", type=Path, default=Path("data/cache"), help="title-embedding cache directory")


def main(args: argparse.Namespace) -> int:
    from training.dataset import load_dataset

    ds = load_dataset(args.data)
    if args.folds:
        metrics = evaluate_folds(
            ds, args.folds, quick=args.quick, toys=not args.no_toys, cache_dir=args.cache, log=print
        )
        info = {}
    else:
        from training.models.fitting import load_models

        trained = load_models(args.models)
        metrics = evaluate_all(ds, trained, quick=args.quick, toys=not args.no_toys, log=print)
        info = trained.info
    print(f"report: {write(metrics, info, args.out)}")
    return 0


def write(metrics: dict, training_info: dict, out_dir: Path) -> Path:
    from training.evaluation.report import write_report

    return write_report(metrics, training_info, out_dir)
