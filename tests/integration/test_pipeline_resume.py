"""`run` resumes after a kill in any stage: finished stages are reused, half-written ones never, changed ones rebuilt.

Each run is a real `python -m training run --quick` process on small
synthetic data, SIGKILLed (no cleanup code runs) at a chosen point of one
stage: inside ingest once the store is written but not swapped in; before the
title embeddings are cached; once training has written every model file but
not the stamp; at the start of evaluate; after export; before publish. The
next run must reuse exactly the stages that had finished (ingest, title
embeddings, train, evaluate), rebuild the rest, and in the end publish. Then
a changed option rebuilds what depends on it, and --fresh rebuilds everything.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from training.stages import STAMP

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SOURCE = "synthetic:300,200,15000"
NAME = "synthetic-300-200-15000"

# Runs `python -m training ARGS...` with module:function replaced by one that SIGKILLs the process
# before calling the original ("before") or right after it returns ("after"); "after#N": after its Nth call.
DRIVER = """
import importlib, os, signal, sys
target, when, args = sys.argv[1], sys.argv[2], sys.argv[3:]
when, _, nth = when.partition("#")
calls = []
if target != "-":
    module, name = target.split(":")
    module = importlib.import_module(module)
    original = getattr(module, name)

    def killed(*a, **kw):
        if when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*a, **kw)
        calls.append(1)
        if len(calls) >= int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(module, name, killed)
from training.cli import main
sys.exit(main(args))
"""

KILLS = [  # (stage, function killed in, when)
    ("ingest", "training.ingest:finish", "after"),
    ("title embeddings", "training.models.titles_embedding:embed_titles", "before"),
    ("train", "training.models.fitting:train_models", "after"),
    ("evaluate", "training.evaluation.command:evaluate_all", "before"),
    ("export", "training.export:export_artifacts", "after"),
    ("publish", "training.publish:publish", "before"),
]


def run(work: Path, kill: tuple[str, str] = ("-", "-"), *extra: str) -> subprocess.CompletedProcess:
    args = [
        "run",
        "--dataset",
        SOURCE,
        "--to",
        str(work / "bucket"),
        "--quick",
        "--no-toys",
        "--no-progress",
        "--catalog-size",
        "100",
        "--work",
        str(work),
        *extra,
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-c", DRIVER, *kill, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


def stage_lines(out: str) -> dict[str, str]:
    """{stage: its '[stage] ...' line} from a run's output."""
    lines = {}
    for line in out.splitlines():
        if line.startswith("[stage] "):
            lines[line[len("[stage] ") :].split(":", 1)[0]] = line
    return lines


def reused(out: str) -> set[str]:
    return {stage for stage, line in stage_lines(out).items() if line.endswith("(reused)")}


def stamped(path: Path) -> bool:
    return (path / STAMP).is_file()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Every killed run in order, then the run that completes: (stage killed or None, process, state after)."""
    work = tmp_path_factory.mktemp("resume")
    data, models = work / "data" / NAME, work / "artifacts" / "models" / f"{NAME}-quick"
    runs = []
    for stage, target, when in [*KILLS, (None, "-", "-")]:
        done = run(work, (target, when))
        state = {
            "store": stamped(data),
            "models": stamped(models),
            "published": (work / "bucket" / "latest.json").exists(),
            "siblings": sorted(p.name for p in data.parent.iterdir()) if data.parent.exists() else [],
        }
        runs.append((stage, done, state))
    return work, runs


def test_each_killed_run_died_in_the_stage_it_was_killed_in(history):
    _, runs = history
    for stage, done, _ in runs[:-1]:
        assert done.returncode == -9, (stage, done.stdout[-2000:], done.stderr[-2000:])
        started = [line[3:] for line in done.stdout.splitlines() if line.startswith("== ")]
        assert started[-1] == stage and stage not in stage_lines(done.stdout), done.stdout[-2000:]


def test_a_store_killed_before_it_was_swapped_in_is_not_there_and_not_reused(history):
    _, runs = history
    _, _, after_ingest_kill = runs[0]
    assert not after_ingest_kill["store"]
    _, next_run, _ = runs[1]
    assert "ingest" not in reused(next_run.stdout)  # rebuilt from the raw files


def test_every_finished_stage_is_reused_by_the_next_run(history):
    _, runs = history
    expected = [  # what each run (killed in stage ...) found finished by the runs before it
        ("ingest", set()),
        ("title embeddings", set()),  # the store was killed before it was swapped in
        ("train", {"ingest"}),  # the embeddings were killed before they were cached
        ("evaluate", {"ingest", "title embeddings"}),  # train was killed after writing, before its stamp
        ("export", {"ingest", "title embeddings", "train"}),  # evaluate was killed before it wrote anything
        ("publish", {"ingest", "title embeddings", "train", "evaluate"}),
        (None, {"ingest", "title embeddings", "train", "evaluate"}),
    ]
    assert [stage for stage, _, _ in runs] == [stage for stage, _ in expected]
    for (stage, done, _), (_, want) in zip(runs, expected, strict=True):
        assert reused(done.stdout) == want, (stage, done.stdout[-3000:])


def test_model_files_written_without_their_stamp_are_never_reused(history):
    _, runs = history
    (_, _, after_train_kill), (_, next_run, after_next) = runs[2], runs[3]
    assert not after_train_kill["models"]
    assert "train" not in reused(next_run.stdout) and after_next["models"]


def test_the_resumed_run_publishes_and_leaves_no_staging_behind(history):
    work, runs = history
    _, done, state = runs[-1]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert state["published"] and not runs[-2][2]["published"]
    assert state["siblings"] == sorted(["cache", NAME, "raw"])
    assert not [p for p in (work / "artifacts" / "models").iterdir() if p.name.startswith(".")]
    record = json.loads((work / "reports" / "run-quick.json").read_text())
    assert [s["name"] for s in record["stages"]] == [s for s, _, _ in KILLS]
    assert all(s["seconds"] >= 0 and s["peak_rss_bytes"] > 0 for s in record["stages"])


def test_a_changed_option_rebuilds_the_stages_that_depend_on_it_and_fresh_rebuilds_all(history):
    work, _ = history
    changed = run(work, ("training.evaluation.command:evaluate_all", "before"), "--catalog-size", "120")
    assert reused(changed.stdout) == set(), changed.stdout[-3000:]
    assert "its inputs changed (catalog_size)" in changed.stdout  # ingest
    assert re.search(r"artifacts/models/\S+: its inputs changed \([^)]*dataset", changed.stdout)  # train: a new store
    fresh = run(work, ("training.evaluation.command:evaluate_all", "before"), "--catalog-size", "120", "--fresh")
    assert reused(fresh.stdout) == set() and fresh.stdout.count(": --fresh") == 3, fresh.stdout[-3000:]  # + evaluate
    again = run(work, ("training.publish:publish", "before"), "--catalog-size", "120")
    assert reused(again.stdout) == {"ingest", "title embeddings", "train"}, again.stdout[-3000:]
    finished = run(work, ("training.publish:publish", "before"), "--catalog-size", "120")
    assert reused(finished.stdout) == {"ingest", "title embeddings", "train", "evaluate"}, finished.stdout[-3000:]


def test_a_run_killed_inside_training_resumes_from_the_parts_it_had_finished(tmp_path):
    """Model 1 and the first tower finished, the second tower had not: the rerun trains only what was left."""
    killed = run(tmp_path, ("training.models.checkpoints:cached_part", "after#2"))
    assert killed.returncode == -9, killed.stdout[-3000:] + killed.stderr[-3000:]
    parts = tmp_path / "artifacts" / "models" / f".{NAME}-quick.parts"
    assert sorted(p.name for p in parts.glob("*.npz")) == ["model1.npz", "tower-set-seed0.npz"]
    resumed = run(tmp_path)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "reusing model1" in resumed.stdout and "reusing tower-set-seed0" in resumed.stdout
    assert "reusing tower-set-seed1" not in resumed.stdout and "reusing ranking" not in resumed.stdout
    assert not parts.exists()  # the model directory is in place: its parts are gone
    training = json.loads((tmp_path / "artifacts" / "models" / f"{NAME}-quick" / "training.json").read_text())
    assert len(training["towers"]["user_tower"]["history"]["members"]) == 2


def test_parts_kept_for_other_inputs_are_not_reused(tmp_path):
    killed = run(tmp_path, ("training.models.checkpoints:cached_part", "after#1"))
    assert killed.returncode == -9
    changed = run(tmp_path, ("training.evaluation.command:evaluate_all", "before"), "--catalog-size", "120")
    assert "reusing model1" not in changed.stdout, changed.stdout[-3000:]  # a new store: a new train key
