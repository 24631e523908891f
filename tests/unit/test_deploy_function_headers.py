"""Every answer of the function, served by functions-framework over real HTTP, carries nosniff.

The function answers JSON (or nothing: preflight, HEAD); `X-Content-Type-Options: nosniff`
stops a browser from sniffing any of it as HTML or script. The site's own headers are in
firebase.json (tests/unit/test_deploy_config.py, tests/e2e/test_security_headers.py).
"""

from __future__ import annotations

import pytest

from tests.fixtures.function_server import FunctionServer

ORIGIN = "https://site.example"


@pytest.fixture(scope="module")
def function(tmp_path_factory):
    work = tmp_path_factory.mktemp("function")
    (work / "models").mkdir()  # nothing published: the model answers are 503s, which must carry it too
    server = FunctionServer({"MODEL_URI": str(work / "models"), "ALLOWED_ORIGINS": ORIGIN}, work / "function.log")
    with server:
        yield server


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("GET", "/api/health", None, {}),
        ("HEAD", "/api/health", None, {}),
        ("GET", "/api/movies", None, {}),
        ("POST", "/api/recommend", {"ratings": []}, {}),
        ("POST", "/api/recommend", b"not json", {"Content-Type": "application/json"}),
        ("GET", "/api/nowhere", None, {}),
        ("DELETE", "/api/movies", None, {}),
        ("OPTIONS", "/api/recommend", None, {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}),
    ],
)
def test_every_answer_says_nosniff(function, method, path, body, headers):
    status, got, _ = function.request(method, path, body=body, headers=headers)
    assert status < 600
    assert got.get("x-content-type-options") == "nosniff", (method, path, status, got)
