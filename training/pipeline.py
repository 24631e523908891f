"""`python -m training run`: raw data to a published artifact set, in one process.

ingest -> train (Model 1, Model 2) -> evaluate (report) -> export -> publish.
TensorFlow is imported once; each step is the same code its own command runs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from training.cli import CommandError


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="movielens-sample", metavar="SOURCE",
                        help="where the ratings come from, as for `ingest` (default: movielens-sample)")
    parser.add_argument("--to", required=True, metavar="URI",
                        help="publish target: gs://bucket/prefix or a local directory")
    parser.add_argument("--quick", action="store_true", help="small, fast training profile for smoke runs")
    parser.add_argument("--work", type=Path, default=None,
                        help="where data/, reports/ and artifacts/ (models included) go (default: the current directory)")
    parser.add_argument("--no-toys", action="store_true", help="skip the warm-start toy models in evaluation")
    parser.add_argument("--catalog-size", type=int, default=970, help="most-rated movies the models score (default: 970)")
    parser.add_argument("--keep", type=int, default=5, help="published versions to keep (default: 5)")


def main(args: argparse.Namespace) -> int:
    from training import cli

    started = time.perf_counter()
    work = args.work or Path(".")
    from training.ingest import dataset_name

    name = dataset_name(args.dataset)  # the directory name `ingest` itself would choose
    suffix = "-quick" if args.quick else ""
    data_dir = work / "data" / name
    model_dir, report_dir = work / "artifacts" / "models" / f"{name}{suffix}", work / "reports" / f"eval{suffix}"
    artifact_dir = work / "artifacts" / f"{name}{suffix}"
    timings = {}

    def step(label):
        timings[label] = time.perf_counter()
        print(f"== {label}", flush=True)

    step("ingest")
    ingest_args = cli.build_parser(["ingest"]).parse_args(["ingest", "--dataset", args.dataset, "--out", str(data_dir),
                                                            "--no-progress", "--raw-dir", str(work / "data" / "raw"),
                                                            "--catalog-size", str(args.catalog_size)])
    code = __import__("training.ingest.command", fromlist=["main"]).main(ingest_args)
    if code:
        return code

    from training.dataset import load_dataset
    from training.evaluation import command as evaluate
    from training.export import ParityError, export_artifacts
    from training.models.fitting import load_models, train_models

    ds = load_dataset(data_dir)
    step("train")
    info = train_models(ds, model_dir, quick=args.quick, cache_dir=work / "data" / "cache", log=print)
    trained = load_models(model_dir)
    step("evaluate")
    metrics = evaluate.evaluate_all(ds, trained, quick=args.quick, toys=not args.no_toys, log=print)
    print(f"report: {evaluate.write(metrics, info, report_dir)}")
    step("export")
    try:
        manifest = export_artifacts(ds, trained, metrics, artifact_dir)
    except ParityError as e:
        raise CommandError(str(e)) from e
    step("publish")
    try:
        from training.publish import publish
    except ImportError as e:  # pragma: no cover - publish lives in another area
        raise CommandError(f"publishing is unavailable ({e}); the artifact set is in {artifact_dir}/") from e
    version = publish(artifact_dir, args.to, keep=args.keep)
    total = time.perf_counter() - started
    names = list(timings)
    spans = {n: (timings[names[i + 1]] if i + 1 < len(names) else time.perf_counter()) - timings[n]
             for i, n in enumerate(names)}
    print("timings: " + ", ".join(f"{n} {s:.1f} s" for n, s in spans.items()) + f"; total {total:.1f} s")
    served = metrics["cold_start"][evaluate.SERVED_MODEL]["16"]
    print(f"published version {version} of {manifest['dataset']} to {args.to} "
          f"(served model k=16: RMSE {served['rmse']:.4f}, NDCG@10 {served['ndcg@10']:.4f})")
    return 0
