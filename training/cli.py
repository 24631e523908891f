"""`python -m training <command>`: one entry point for every pipeline step.

Each command lives in its own module exposing ``register(parser)`` (adds its
options) and ``main(args) -> int``. Modules are imported only when their
command runs, so `ingest --help` does not pay for importing TensorFlow.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from training.errors import CommandError

# A constant, not the docstring's first line: `python -OO` strips docstrings.
DESCRIPTION = "One entry point for every pipeline step."
# command -> (module, one-line help)
COMMANDS = {
    "ingest": ("training.ingest.command", "raw ratings -> columnar store, movie table, catalog, user split"),
    "report": ("training.report.command", "EDA report (HTML + PNG figures) of an ingested dataset"),
    "train": ("training.models.command_train", "train Model 1 (movie vectors) and Model 2 (user tower)"),
    "evaluate": ("training.evaluation.command", "cold-start and warm-start evaluation against baselines"),
    "elicit": ("training.evaluation.command_elicit", "simulate newcomers to measure the ask_next strategies"),
    "export": ("training.export.command", "write the artifact set (manifest, catalog, vectors, TFLite tower)"),
    "publish": ("training.publish.command", "upload an artifact set to gs://bucket/prefix or a directory"),
    "run": ("training.pipeline", "everything: ingest, train, evaluate, export, publish"),
}


__all__ = ["COMMANDS", "CommandError", "build_parser", "main"]


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:  # import only the command that runs
            importlib.import_module(module).register(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.main(args) or 0)
    except CommandError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing was left half-written", file=sys.stderr)
        return 130
