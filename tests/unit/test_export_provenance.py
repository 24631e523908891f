"""The manifest's provenance: data fingerprint, training configuration, code revision."""

from __future__ import annotations

import hashlib
import json
import subprocess
from types import SimpleNamespace

import pytest

from training.dataset import Dataset
from training.export.provenance import code_revision, provenance

INFO = {"name": "movielens-sample", "source": "movielens-sample", "counts": {"ratings": 100, "users": 7, "movies": 9}}
TRAINING = {
    "quick": True,
    "n_training_users": 6,
    "n_training_ratings": 80,
    "movie_vectors": {"config": {"epochs": 2, "seed": 3}},
    "towers": {
        "user_tower": {"config": {"epochs": 3, "seed": 3, "ensemble": 2}, "history": {}},
        "seed_cnn": {"config": {"epochs": 9, "seed": 3}, "history": {}},
    },
}


@pytest.fixture
def store(tmp_path):
    (tmp_path / "dataset.json").write_text(json.dumps(INFO))
    (tmp_path / "split.json").write_text(json.dumps({"heldout_user_ids": [1, 2]}))
    return Dataset(tmp_path)


def git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def test_data_fingerprint_is_the_sha256_of_dataset_json_with_source_and_counts(store, tmp_path):
    got = provenance(store, SimpleNamespace(info=TRAINING), "user_tower", root=tmp_path)["data"]
    assert got == {
        "name": "movielens-sample",
        "source": "movielens-sample",
        "counts": INFO["counts"],
        "dataset_json_sha256": hashlib.sha256((tmp_path / "dataset.json").read_bytes()).hexdigest(),
        "split_json_sha256": hashlib.sha256((tmp_path / "split.json").read_bytes()).hexdigest(),
    }


def test_another_ingest_of_other_data_gets_another_fingerprint(store, tmp_path):
    before = provenance(store, SimpleNamespace(info=TRAINING), "user_tower", root=tmp_path)["data"]
    (tmp_path / "dataset.json").write_text(json.dumps({**INFO, "counts": {**INFO["counts"], "ratings": 101}}))
    after = provenance(store, SimpleNamespace(info=TRAINING), "user_tower", root=tmp_path)["data"]
    assert after["dataset_json_sha256"] != before["dataset_json_sha256"]


def test_training_configuration_is_the_served_towers(store, tmp_path):
    got = provenance(store, SimpleNamespace(info=TRAINING), "user_tower", root=tmp_path)["training"]
    assert got == {
        "profile": "quick",
        "seed": 3,
        "movie_vectors": {"epochs": 2, "seed": 3},
        "user_tower": {"epochs": 3, "seed": 3, "ensemble": 2},
        "n_training_users": 6,
        "n_training_ratings": 80,
    }


def test_code_revision_is_the_git_commit_and_says_when_tracked_files_changed(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_REVISION", raising=False)
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.py").write_text("x = 1\n")
    git(repo, "add", "a.py")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one")
    commit = git(repo, "rev-parse", "HEAD")
    assert code_revision(repo) == {"commit": commit, "dirty": False}
    (repo / "untracked.txt").write_text("not code\n")
    assert code_revision(repo) == {"commit": commit, "dirty": False}
    (repo / "a.py").write_text("x = 2\n")
    assert code_revision(repo) == {"commit": commit, "dirty": True}


def test_without_git_the_revision_comes_from_source_revision_or_is_null(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_REVISION", raising=False)
    assert code_revision(tmp_path) is None
    monkeypatch.setenv("SOURCE_REVISION", "8ee3e10")
    assert code_revision(tmp_path) == {"commit": "8ee3e10", "dirty": None}
