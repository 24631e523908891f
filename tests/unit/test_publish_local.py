"""publish() and `python -m training publish` into a local directory."""

from __future__ import annotations

import contextlib
import json

import pytest

from screen_genius.loader import load_model, read_latest
from screen_genius.store import LocalStore
from tests.fixtures.artifacts import build_artifact_set
from tests.fixtures.interrupt import InterruptAfter, Interrupted
from training.cli import main as cli
from training.publish import PublishError, publish


class InterruptingStore(InterruptAfter, LocalStore):
    """A local store that stops (like a killed process) just before its n-th write or delete."""


def artifact_set(tmp_path, version, seed=0):
    build_artifact_set(tmp_path / version, version=version, seed=seed)
    return tmp_path / version


def test_publish_lays_out_a_version_and_points_latest_at_it(tmp_path):
    assert publish(artifact_set(tmp_path, "v1"), str(tmp_path / "bucket")) == "v1"
    bucket = tmp_path / "bucket"
    assert sorted(p.name for p in (bucket / "versions" / "v1").iterdir()) == [
        "catalog.json",
        "elicitation.npz",
        "manifest.json",
        "movie_vectors.npy",
        "user_tower.tflite",
    ]
    latest = json.loads((bucket / "latest.json").read_text())
    assert latest["version"] == "v1" and latest["history"] == ["v1"]
    for name in ("catalog.json", "manifest.json", "movie_vectors.npy", "user_tower.tflite"):
        assert (bucket / "versions" / "v1" / name).read_bytes() == (tmp_path / "v1" / name).read_bytes()
    assert load_model(LocalStore(bucket), "v1").version == "v1"


def test_keep_n_prunes_the_oldest_versions_and_leftovers(tmp_path):
    bucket = tmp_path / "bucket"
    (bucket / "versions" / "half-uploaded").mkdir(parents=True)
    (bucket / "versions" / "half-uploaded" / "catalog.json").write_text("[]")
    for i in range(1, 5):
        publish(artifact_set(tmp_path, f"v{i}", seed=i), str(bucket), keep=2)
    assert sorted(p.name for p in (bucket / "versions").iterdir()) == ["v3", "v4"]
    assert json.loads((bucket / "latest.json").read_text())["history"] == ["v4", "v3"]


def test_republishing_an_older_version_makes_it_latest_again(tmp_path):
    bucket = str(tmp_path / "bucket")
    publish(artifact_set(tmp_path, "v1"), bucket)
    publish(artifact_set(tmp_path, "v2", seed=2), bucket)
    publish(tmp_path / "v1", bucket)
    assert read_latest(LocalStore(tmp_path / "bucket"))["history"] == ["v1", "v2"]


def test_a_different_artifact_set_under_an_existing_version_name_is_refused(tmp_path):
    bucket = str(tmp_path / "bucket")
    publish(artifact_set(tmp_path, "v1"), bucket)
    build_artifact_set(tmp_path / "other", version="v1", seed=5)
    with pytest.raises(PublishError, match="already holds a different version v1"):
        publish(tmp_path / "other", bucket)
    assert load_model(LocalStore(tmp_path / "bucket"), "v1").manifest == json.loads(
        (tmp_path / "v1" / "manifest.json").read_text()
    )


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / "movie_vectors.npy").write_bytes((d / "movie_vectors.npy").read_bytes()[:-4]), "truncated"),
        (lambda d: (d / "catalog.json").write_text("[]"), "catalog.json"),
        (lambda d: (d / "user_tower.tflite").unlink(), "lacks files its manifest lists: user_tower.tflite"),
        (lambda d: (d / "notes.txt").write_text("hi"), "does not list: notes.txt"),
        (lambda d: (d / "manifest.json").write_text("{"), "not a valid manifest"),
        (lambda d: (d / "manifest.json").unlink(), "has no manifest.json"),
    ],
    ids=["truncated", "corrupted", "missing", "unlisted", "bad-manifest", "no-manifest"],
)
def test_an_artifact_set_not_matching_its_manifest_is_refused_and_nothing_is_written(tmp_path, damage, message):
    src = artifact_set(tmp_path, "v1")
    damage(src)
    with pytest.raises(PublishError, match=message):
        publish(src, str(tmp_path / "bucket"))
    assert not (tmp_path / "bucket").exists()


@pytest.mark.parametrize("stop_after", range(0, 16))
def test_interrupted_anywhere_latest_json_names_a_complete_version(tmp_path, stop_after):
    bucket = tmp_path / "bucket"
    for i in (1, 2):
        publish(artifact_set(tmp_path, f"v{i}", seed=i), str(bucket), keep=2)
    src = artifact_set(tmp_path, "v3", seed=3)
    with contextlib.suppress(Interrupted):
        publish(src, str(bucket), keep=2, store=InterruptingStore(bucket, after=stop_after))
    latest = read_latest(LocalStore(bucket))
    assert latest["version"] in ("v2", "v3")
    assert load_model(LocalStore(bucket), latest["version"], latest["manifest_sha256"]).version == latest["version"]
    # and the next publish completes the job
    publish(src, str(bucket), keep=2)
    assert sorted(p.name for p in (bucket / "versions").iterdir()) == ["v2", "v3"]


def test_cli_publishes_and_reports_the_version(tmp_path, capsys):
    assert (
        cli(["publish", "--from", str(artifact_set(tmp_path, "v1")), "--to", str(tmp_path / "bucket"), "--keep", "3"])
        == 0
    )
    assert "published version v1" in capsys.readouterr().out


def test_cli_turns_a_bad_artifact_set_into_one_actionable_error(tmp_path, capsys):
    assert cli(["publish", "--from", str(tmp_path / "nowhere"), "--to", str(tmp_path / "bucket")]) == 2
    assert "has no manifest.json" in capsys.readouterr().err


def test_cli_refuses_keep_below_one_and_unsupported_uris(tmp_path, capsys):
    src = str(artifact_set(tmp_path, "v1"))
    assert cli(["publish", "--from", src, "--to", str(tmp_path / "b"), "--keep", "0"]) == 2
    assert cli(["publish", "--from", src, "--to", "s3://bucket/x"]) == 2
    err = capsys.readouterr().err
    assert "keep must be at least 1" in err and "only gs://bucket/prefix" in err
