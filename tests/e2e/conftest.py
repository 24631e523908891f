"""Fixtures for the website's browser tests: real function, real artifacts, real chromium.

These tests need the built site, node_modules and chromium, which `make test-web`
sets up; so they run when SCREEN_GENIUS_WEB_TESTS=1 (as `make test-web` sets)
and are skipped, saying so, in a plain `pytest tests`.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.e2e import harness
from tests.fixtures.function_server import FunctionServer

ENABLED = os.environ.get("SCREEN_GENIUS_WEB_TESTS") == "1"
# The same patience as the pages' default timeout: the machine is often shared and loaded.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(config, items):
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="website tests run with `make test-web` (SCREEN_GENIUS_WEB_TESTS=1)")
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def web_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="session")
def model_uri(web_dir):
    return harness.artifacts_uri(web_dir)


@pytest.fixture(scope="session")
def function(web_dir, model_uri):
    server = FunctionServer({"MODEL_URI": model_uri, "ALLOWED_ORIGINS": ""}, web_dir / "function.log")
    with server:
        yield server


@pytest.fixture(scope="session")
def site(web_dir, function):
    with harness.SitePreview(function.url, web_dir / "preview.log") as preview:
        yield preview


@pytest.fixture(scope="session")
def catalog(function):
    status, _, body = function.request("GET", "/api/movies", timeout=120)
    assert status == 200, body
    return body


@pytest.fixture
def browser_context():
    with harness.open_browser() as context:
        yield context


@pytest.fixture
def page(browser_context):
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.set_default_timeout(15_000)
    return page
