"""A bounded load test on loopback: 10,000 requests at concurrency 32, no errors."""

from __future__ import annotations

from tests.fixtures.artifacts import movie_id
from tests.fixtures.load import run_load


def test_ten_thousand_requests_at_concurrency_32_all_succeed(function):
    body = {"ratings": [{"movie_id": movie_id(r), "rating": 0.5 + (r % 10) * 0.5} for r in range(16)]}
    result = run_load(function.port, body, total=10_000, concurrency=32)
    assert result["errors"] == []
    assert result["statuses"] == {200: 10_000}
    assert function.log().count("loading model version") == 1
