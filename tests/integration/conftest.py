"""Pytest fixtures for the serving suites: an emulator bucket with a published set, and the function on it.

Module-scoped: each test module gets its own emulator, published set and function.
"""

from __future__ import annotations

import pytest

from tests.fixtures.artifacts import build_artifact_set
from tests.fixtures.function_server import FunctionServer
from tests.fixtures.serving import ALLOWED_ORIGIN, CATALOG_SIZE
from tests.fixtures.storage import BUCKET, running_emulator
from training.publish import publish


@pytest.fixture(scope="module")
def emulator():
    with running_emulator() as emu:
        yield emu


@pytest.fixture(scope="module")
def published(emulator, tmp_path_factory):
    """gs:// URI of a prefix in the emulator holding one published version v1."""
    src = tmp_path_factory.mktemp("artifacts") / "v1"
    build_artifact_set(src, version="v1", catalog_size=CATALOG_SIZE, n_subsets=2)
    uri = f"gs://{BUCKET}/serving-{emulator.port}"
    publish(src, uri)
    return uri


@pytest.fixture(scope="module")
def function(emulator, published, tmp_path_factory):
    """The function serving ``published`` on 127.0.0.1, stopped after the module."""
    env = {
        "MODEL_URI": published,
        "STORAGE_EMULATOR_HOST": emulator.host,
        "ALLOWED_ORIGINS": f"{ALLOWED_ORIGIN},http://localhost:5173",
    }
    with FunctionServer(env, tmp_path_factory.mktemp("function") / "function.log") as server:
        yield server
