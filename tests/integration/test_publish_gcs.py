"""publish() to gs:// through the real google-cloud-storage client against gcp-storage-emulator."""

from __future__ import annotations

import json

import pytest
from google.cloud import storage

from screen_genius.loader import load_model, read_latest
from screen_genius.store import GcsStore, StoreUnavailable, open_store
from tests.fixtures.artifacts import build_artifact_set
from tests.fixtures.interrupt import InterruptAfter, Interrupted
from tests.fixtures.storage import BUCKET, emulator_env, free_port
from training.cli import main as cli
from training.publish import publish


class InterruptingGcsStore(InterruptAfter, GcsStore):
    """A GCS store that stops just before its n-th write or delete."""


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("sets")
    for i in (1, 2, 3):
        build_artifact_set(root / f"v{i}", version=f"v{i}", seed=i)
    return root


def names(prefix):
    return sorted(b.name for b in storage.Client().list_blobs(BUCKET, prefix=prefix + "/"))


def test_publish_uploads_every_file_then_points_latest_at_it(emulator, sets):
    uri = f"gs://{BUCKET}/layout"
    assert publish(sets / "v1", uri) == "v1"
    assert names("layout") == [
        "layout/latest.json",
        "layout/versions/v1/catalog.json",
        "layout/versions/v1/elicitation.npz",
        "layout/versions/v1/manifest.json",
        "layout/versions/v1/movie_vectors.npy",
        "layout/versions/v1/user_tower.tflite",
    ]
    latest_blob = storage.Client().bucket(BUCKET).get_blob("layout/latest.json")
    assert json.loads(latest_blob.download_as_bytes())["version"] == "v1"
    assert load_model(open_store(uri), "v1").version == "v1"


def test_keep_n_deletes_older_versions_in_the_bucket(emulator, sets):
    uri = f"gs://{BUCKET}/keep"
    for i in (1, 2, 3):
        publish(sets / f"v{i}", uri, keep=2)
    assert {n.split("/")[2] for n in names("keep") if "/versions/" in n} == {"v2", "v3"}


# Publishing v2 over v1 with keep=1: 5 file writes, latest.json, then 5 deletes of v1 = 11 operations.
OPERATIONS = 2 * 5 + 1


@pytest.mark.parametrize("stop_after", range(0, OPERATIONS + 1))
def test_interrupted_anywhere_latest_json_names_a_complete_version(emulator, sets, stop_after):
    prefix = f"interrupt-{stop_after}"
    uri = f"gs://{BUCKET}/{prefix}"
    publish(sets / "v1", uri, keep=1)
    with pytest.raises(Interrupted) if stop_after < OPERATIONS else _nothing():
        publish(sets / "v2", uri, keep=1, store=InterruptingGcsStore(BUCKET, prefix, after=stop_after))
    store = open_store(uri)
    latest = read_latest(store)
    assert load_model(store, latest["version"], latest["manifest_sha256"]).version == latest["version"]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_cli_publishes_to_the_emulator(emulator, sets, capsys):
    assert cli(["publish", "--from", str(sets / "v1"), "--to", f"gs://{BUCKET}/cli"]) == 0
    assert "published version v1" in capsys.readouterr().out


def test_unreachable_storage_is_reported_as_storage_unavailable(sets):
    with (
        emulator_env(f"http://127.0.0.1:{free_port()}"),
        pytest.raises(StoreUnavailable, match="cannot read gs://"),
    ):
        publish(sets / "v1", f"gs://{BUCKET}/down", store=GcsStore(BUCKET, "down", retry_s=0))
