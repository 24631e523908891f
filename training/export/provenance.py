"""Where an artifact set came from: the ``provenance`` field of manifest.json.

    {"data":     {"name", "source", "counts", "dataset_json_sha256", "split_json_sha256"},
     "training": {"profile", "seed", "movie_vectors", "user_tower", "n_training_users", "n_training_ratings"},
     "code":     {"commit", "dirty"} or null}

``dataset_json_sha256`` fingerprints the ingested store: dataset.json holds the
source, rating scale, counts, date range and skipped lines, so two stores with
the same hash were ingested from the same data the same way. ``split_json_sha256``
fingerprints the held-out users. ``code`` is the git commit the export ran from
(``dirty``: tracked files had local changes), else the ``SOURCE_REVISION``
environment variable (Cloud Build's source archive carries no .git), else null.
docs/serving.md ("Trace a served version back to its data") shows how to use it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def code_revision(root: Path = REPO) -> dict | None:
    """The git commit of ``root`` and whether tracked files differ from it; else $SOURCE_REVISION; else None."""

    def git(*args: str) -> subprocess.CompletedProcess | None:
        try:
            return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None

    head = git("rev-parse", "--verify", "HEAD")
    if head is not None and head.returncode == 0:
        status = git("status", "--porcelain", "--untracked-files=no")
        dirty = None if status is None or status.returncode != 0 else bool(status.stdout.strip())
        return {"commit": head.stdout.strip(), "dirty": dirty}
    revision = os.environ.get("SOURCE_REVISION", "").strip()
    return {"commit": revision, "dirty": None} if revision else None


def provenance(ds, trained, served_model: str, root: Path = REPO) -> dict:
    """The manifest's ``provenance`` for dataset ``ds`` (training.dataset.Dataset) and ``trained`` models."""
    info = ds.info
    training = getattr(trained, "info", {}) or {}
    towers = training.get("towers", {})
    tower_config = towers.get(served_model, {}).get("config")
    return {
        "data": {
            "name": info.get("name"),
            "source": info.get("source"),
            "counts": info.get("counts"),
            "dataset_json_sha256": sha256_file(ds.path / "dataset.json"),
            "split_json_sha256": sha256_file(ds.path / "split.json"),
        },
        "training": {
            "profile": "quick" if training.get("quick") else "full",
            "seed": (tower_config or {}).get("seed"),
            "movie_vectors": training.get("movie_vectors", {}).get("config"),
            "user_tower": tower_config,
            "n_training_users": training.get("n_training_users"),
            "n_training_ratings": training.get("n_training_ratings"),
        },
        "code": code_revision(root),
    }
