"""ModelHolder: lazy single load, checksums, refusal of bad versions, refresh and atomic swap."""

from __future__ import annotations

import logging
import threading

import pytest

from screen_genius.loader import ModelHolder, ModelUnavailable
from screen_genius.store import LocalStore, StoreUnavailable
from tests.fixtures.artifacts import build_artifact_set
from training.publish import publish


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class CountingStore(LocalStore):
    """A local store that counts reads and can be switched off like a storage outage."""

    def __init__(self, root):
        super().__init__(root)
        self.reads = []
        self.down = False
        self.gate = None  # an Event the first read waits on, to line requests up

    def read(self, key):
        if self.gate is not None:
            self.gate.wait(10)
        if self.down:
            raise StoreUnavailable("storage is down (test)")
        self.reads.append(key)
        return super().read(key)


@pytest.fixture
def bucket(tmp_path):
    build_artifact_set(tmp_path / "v1", version="v1")
    publish(tmp_path / "v1", str(tmp_path / "bucket"))
    return tmp_path / "bucket"


def holder_on(store, refresh_s=300.0, clock=None):
    holder = ModelHolder(str(store.root), refresh_s=refresh_s, clock=clock or Clock())
    holder._store = store
    return holder


def test_nothing_is_loaded_until_first_use(bucket):
    store = CountingStore(bucket)
    holder = holder_on(store)
    assert holder.model is None and store.reads == []
    assert holder.get().version == "v1"
    assert holder.model.version == "v1" and holder.loads == 1


def test_concurrent_first_requests_cause_exactly_one_load(bucket):
    store = CountingStore(bucket)
    store.gate = threading.Event()
    holder = holder_on(store)
    results = []
    threads = [threading.Thread(target=lambda: results.append(holder.get().version)) for _ in range(16)]
    for t in threads:
        t.start()
    store.gate.set()
    for t in threads:
        t.join()
    assert results == ["v1"] * 16
    assert holder.loads == 1
    assert store.reads.count("versions/v1/user_tower.tflite") == 1


def test_storage_down_at_cold_start_is_unavailable_then_the_next_request_recovers(bucket):
    store = CountingStore(bucket)
    store.down = True
    holder = holder_on(store)
    with pytest.raises(ModelUnavailable, match="storage is down"):
        holder.get()
    store.down = False
    assert holder.get().version == "v1"


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_artifact_is_refused_with_a_logged_reason(bucket, caplog, damage):
    path = bucket / "versions" / "v1" / "user_tower.tflite"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else data[:-1] + bytes([data[-1] ^ 1]))
    holder = holder_on(LocalStore(bucket))
    with caplog.at_level(logging.ERROR, logger="screen_genius"), pytest.raises(ModelUnavailable):
        holder.get()
    reason = "truncated" if damage == "truncate" else "sha256"
    assert any("user_tower.tflite" in r.getMessage() and reason in r.getMessage() for r in caplog.records)


def test_a_manifest_not_matching_latest_json_is_refused(bucket):
    manifest = bucket / "versions" / "v1" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"dataset": "test-fixture"', '"dataset": "tampered"'))
    with pytest.raises(ModelUnavailable, match=r"does not match the sha256 in latest\.json"):
        holder_on(LocalStore(bucket)).get()


def test_latest_json_is_reread_only_after_refresh_s(bucket, tmp_path):
    store, clock = CountingStore(bucket), Clock()
    holder = holder_on(store, refresh_s=300, clock=clock)
    holder.get()
    build_artifact_set(tmp_path / "v2", version="v2", seed=1)
    publish(tmp_path / "v2", str(bucket))
    clock.now = 299.0
    assert holder.get().version == "v1"
    assert store.reads.count("latest.json") == 1
    clock.now = 300.0
    assert holder.get().version == "v2"
    assert store.reads.count("latest.json") == 2


def test_a_bad_new_version_is_refused_and_the_current_one_keeps_serving(bucket, tmp_path, caplog):
    store, clock = CountingStore(bucket), Clock()
    holder = holder_on(store, refresh_s=10, clock=clock)
    current = holder.get()
    build_artifact_set(tmp_path / "v2", version="v2", seed=1)
    publish(tmp_path / "v2", str(bucket))
    vectors = bucket / "versions" / "v2" / "movie_vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:-8])
    clock.now = 10.0
    with caplog.at_level(logging.ERROR, logger="screen_genius"):
        assert holder.get() is current
    assert any(
        "refused new model version" in r.getMessage() and "movie_vectors.npy" in r.getMessage() for r in caplog.records
    )
    clock.now = 20.0  # the refused version is not downloaded again
    reads = len(store.reads)
    assert holder.get() is current
    assert store.reads[reads:] == ["latest.json"]
    build_artifact_set(tmp_path / "v3", version="v3", seed=2)
    publish(tmp_path / "v3", str(bucket))
    clock.now = 30.0
    assert holder.get().version == "v3"


def test_storage_down_during_refresh_keeps_serving(bucket):
    store, clock = CountingStore(bucket), Clock()
    holder = holder_on(store, refresh_s=10, clock=clock)
    current = holder.get()
    store.down = True
    clock.now = 10.0
    assert holder.get() is current


def test_an_unset_model_uri_says_what_to_set():
    with pytest.raises(ModelUnavailable, match="MODEL_URI is not set"):
        ModelHolder("").get()


def test_nothing_published_says_so(tmp_path):
    with pytest.raises(ModelUnavailable, match="nothing published"):
        ModelHolder(str(tmp_path)).get()
