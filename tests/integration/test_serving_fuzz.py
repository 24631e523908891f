"""Property-based fuzzing of the running function from functions/openapi.yaml: no 5xx, responses as documented."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCHEMA = schemathesis.openapi.from_path(Path(__file__).resolve().parents[2] / "functions" / "openapi.yaml")
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def test_the_openapi_document_describes_every_endpoint():
    assert {(op.method.upper(), op.path) for op in OPERATIONS} == {
        ("POST", "/api/recommend"),
        ("GET", "/api/movies"),
        ("GET", "/api/health"),
    }


def test_fuzzed_requests_never_get_a_5xx_and_match_the_document(function):
    from schemathesis.generation import GenerationMode

    strategy = st.one_of(
        *[
            op.as_strategy(generation_mode=mode)
            for op in OPERATIONS
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
    )

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=strategy)
    def check(case):
        response = case.call(base_url=function.url, timeout=30)
        assert response.status_code < 500, (case.as_curl_command(), response.text)
        if response.status_code in (200, 400):
            case.operation.validate_response(response)

    check()
