"""Faults over real HTTP: storage down at cold start, damaged artifacts, refresh to a new or bad version."""

from __future__ import annotations

import pytest
from google.cloud import storage

from tests.fixtures.artifacts import build_artifact_set, movie_id
from tests.fixtures.function_server import FunctionServer
from tests.fixtures.storage import BUCKET, free_port, running_emulator
from training.publish import publish

BODY = {"ratings": [{"movie_id": movie_id(r), "rating": 4.0} for r in range(5)]}


def blob(prefix, key):
    return storage.Client().bucket(BUCKET).blob(f"{prefix}/{key}")


def test_storage_down_at_cold_start_is_503_with_retry_after_and_the_next_request_after_it_returns_succeeds(tmp_path):
    port = free_port()
    env = {
        "MODEL_URI": f"gs://{BUCKET}/models",
        "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}",
        "MODEL_STORAGE_RETRY_S": "0",
    }
    build_artifact_set(tmp_path / "v1", version="v1")
    with FunctionServer(env, tmp_path / "fn.log") as fn:
        status, headers, body = fn.request("POST", "/api/recommend", BODY)
        assert status == 503 and int(headers["retry-after"]) > 0
        assert body["error"]["code"] == "model_unavailable"
        assert fn.request("GET", "/api/movies")[0] == 503
        assert fn.request("GET", "/api/health")[2]["loaded"] is False
        with running_emulator(port):
            publish(tmp_path / "v1", f"gs://{BUCKET}/models")
            status, _, body = fn.request("POST", "/api/recommend", BODY)
            assert status == 200 and body["model_version"] == "v1"


@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_a_damaged_artifact_in_storage_is_refused_with_a_logged_reason(tmp_path, damage):
    build_artifact_set(tmp_path / "v1", version="v1")
    with running_emulator() as emu:
        publish(tmp_path / "v1", f"gs://{BUCKET}/models")
        data = (tmp_path / "v1" / "catalog.json").read_bytes()
        bad = data[:-10] if damage == "truncated" else data.replace(b"Movie 3", b"Movie 8")
        blob("models", "versions/v1/catalog.json").upload_from_string(bad)
        env = {"MODEL_URI": f"gs://{BUCKET}/models", "STORAGE_EMULATOR_HOST": emu.host}
        with FunctionServer(env, tmp_path / "fn.log") as fn:
            status, headers, body = fn.request("POST", "/api/recommend", BODY)
            assert status == 503 and "retry-after" in headers
            assert "catalog.json" in body["error"]["message"]
            reason = "truncated" if damage == "truncated" else "sha256"
            assert any(
                "model not loaded" in line and "catalog.json" in line and reason in line
                for line in fn.log().splitlines()
            )


def test_refresh_swaps_to_a_new_version_and_refuses_a_bad_one_while_the_current_keeps_serving(tmp_path):
    for i in (1, 2, 3):
        build_artifact_set(tmp_path / f"v{i}", version=f"v{i}", seed=i)
    with running_emulator() as emu:
        uri = f"gs://{BUCKET}/models"
        publish(tmp_path / "v1", uri)
        env = {"MODEL_URI": uri, "STORAGE_EMULATOR_HOST": emu.host, "MODEL_REFRESH_S": "0"}
        with FunctionServer(env, tmp_path / "fn.log") as fn:
            v1 = fn.request("POST", "/api/recommend", BODY)[2]
            assert v1["model_version"] == "v1"

            publish(tmp_path / "v2", uri)
            blob("models", "versions/v2/user_tower.tflite").upload_from_string(b"not a model")
            for _ in range(3):
                assert fn.request("POST", "/api/recommend", BODY)[2] == v1
            refusals = [line for line in fn.log().splitlines() if "refused new model version" in line]
            assert len(refusals) == 1 and "user_tower.tflite" in refusals[0] and "still serving v1" in refusals[0]

            publish(tmp_path / "v3", uri)
            v3 = fn.request("POST", "/api/recommend", BODY)[2]
            assert v3["model_version"] == "v3" and v3["top"] != v1["top"]
            assert fn.request("GET", "/api/health")[2]["model_version"] == "v3"
