"""The recommend function over real HTTP (functions-framework) with artifacts in the storage emulator."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from tests.fixtures.artifacts import movie_id
from tests.fixtures.serving import ALLOWED_ORIGIN, CATALOG_SIZE

RATINGS16 = [{"movie_id": movie_id(r), "rating": 0.5 + (r % 10) * 0.5} for r in range(16)]


def recommend(function, body, path="/api/recommend", **kw):
    return function.request("POST", path, body, **kw)


def error_code(response):
    status, headers, body = response
    assert headers["content-type"] == "application/json"
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Traceback" not in body["error"]["message"]
    return status, body["error"]["code"]


def test_concurrent_first_requests_load_the_model_once(function):
    assert function.request("GET", "/api/health")[2] == {"status": "ok", "model_version": None, "loaded": False}
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(recommend(function, {"ratings": RATINGS16}))) for _ in range(24)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r[0] for r in results] == [200] * 24
    assert all(r[2] == results[0][2] for r in results)
    assert function.log().count("loading model version v1") == 1
    assert function.request("GET", "/api/health")[2] == {"status": "ok", "model_version": "v1", "loaded": True}


@pytest.mark.parametrize("path", ["/api/recommend", "/recommend", "/", "/api/recommend/"])
def test_recommend_answers_on_every_route_with_top_and_bottom_ten(function, path):
    status, headers, body = recommend(function, {"ratings": RATINGS16}, path=path)
    assert status == 200 and headers["content-type"] == "application/json"
    assert set(body) == {"top", "bottom", "ask_next", "model_version", "used_ratings"}
    assert body["model_version"] == "v1" and body["used_ratings"] == 16
    assert len(body["top"]) == len(body["bottom"]) == 10
    top = [r["predicted_rating"] for r in body["top"]]
    bottom = [r["predicted_rating"] for r in body["bottom"]]
    assert top == sorted(top, reverse=True) and bottom == sorted(bottom)
    assert all(0.5 <= p <= 5.0 for p in top + bottom)
    rated = {r["movie_id"] for r in RATINGS16}
    assert not rated & {r["movie_id"] for r in body["top"] + body["bottom"]}
    assert set(body["top"][0]) == {"movie_id", "title", "year", "genres", "predicted_rating", "because"}
    assert len(body["ask_next"]) == 10 and set(body["ask_next"][0]) == {"movie_id", "title", "year", "genres"}
    assert not rated & {a["movie_id"] for a in body["ask_next"]}


def test_same_request_same_answer_whatever_the_order_of_ratings(function):
    many = [{"movie_id": movie_id(r), "rating": 1.0 + (r % 9) * 0.5} for r in range(30)]
    first = recommend(function, {"ratings": many})[2]
    again = recommend(function, {"ratings": list(reversed(many))})[2]
    assert first == again
    assert 16 < first["used_ratings"] <= 30  # two subsets of 16 from 30 ratings


def test_a_repeated_identical_rating_counts_once(function):
    body = recommend(function, {"ratings": RATINGS16[:3] + RATINGS16[:1]})[2]
    assert body["used_ratings"] == 3
    assert body == recommend(function, {"ratings": RATINGS16[:3]})[2]


def test_movies_lists_the_catalog_and_the_rating_scale(function):
    status, _, body = function.request("GET", "/api/movies")
    assert status == 200
    assert len(body["movies"]) == CATALOG_SIZE and body["movies"][0]["movie_id"] == movie_id(0)
    assert body["rating_scale"] == {"min": 0.5, "max": 5.0, "step": 0.5}
    assert all(m["genres"] == ["Drama"] for m in body["movies"])  # "Drama" in catalog.json, a list in the API
    assert body["model_version"] == "v1"


@pytest.mark.parametrize(
    "body, code",
    [
        (b"{not json", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        (b"[" * 50000 + b"]" * 10, "bad_json"),
        (b"", "bad_json"),
        ([], "invalid_request"),
        ({"ratings": {"movie_id": 101}}, "invalid_request"),
        ({"ratings": [101]}, "invalid_request"),
        ({"ratings": [{"movie_id": "101", "rating": 4}]}, "invalid_request"),
        ({"ratings": [{"movie_id": 101.0, "rating": 4}]}, "invalid_request"),
        ({"ratings": [{"movie_id": True, "rating": 4}]}, "invalid_request"),
        ({"ratings": [{"movie_id": 101, "rating": "4"}]}, "invalid_request"),
        ({"ratings": [{"movie_id": 101}]}, "invalid_request"),
        ({"ratings": [], "skipped": 101}, "invalid_request"),
        ({"ratings": [], "skipped": {"101": True}}, "invalid_request"),
        ({"ratings": [], "skipped": ["101"]}, "invalid_request"),
        ({"ratings": [], "skipped": [101.0]}, "invalid_request"),
        ({"ratings": [], "skipped": [False]}, "invalid_request"),
        ({"ratings": [], "skipped": [102]}, "unknown_movie"),
        ({"ratings": [{"movie_id": 101, "rating": 4}], "skipped": [108, 101]}, "rated_and_skipped"),
        ({"ratings": [], "skipped": [101] * 2001}, "too_many_skipped"),
        ({"ratings": [{"movie_id": 102, "rating": 4}]}, "unknown_movie"),
        ({"ratings": [{"movie_id": 10**30, "rating": 4}]}, "unknown_movie"),
        ({"ratings": [{"movie_id": 101, "rating": 4.25}]}, "rating_off_scale"),
        ({"ratings": [{"movie_id": 101, "rating": 0}]}, "rating_off_scale"),
        ({"ratings": [{"movie_id": 101, "rating": 5.5}]}, "rating_off_scale"),
        ({"ratings": [{"movie_id": 101, "rating": 10**400}]}, "rating_off_scale"),
        (b'{"ratings": [{"movie_id": 101, "rating": NaN}]}', "rating_off_scale"),
        ({"ratings": [{"movie_id": 101, "rating": 4}, {"movie_id": 101, "rating": 3}]}, "duplicate_movie"),
    ],
)
def test_client_mistakes_get_400_with_a_code_and_a_message(function, body, code):
    assert error_code(recommend(function, body)) == (400, code)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"ratings": [], "skipped": 101}, '"skipped"'),
        ({"ratings": [], "skipped": [108, "101"]}, "skipped[1]"),
        ({"ratings": [], "skipped": [108, 102]}, "skipped[1]"),
        ({"ratings": [{"movie_id": 101, "rating": 4}], "skipped": [108, 115, 101]}, "skipped[2]"),
        ({"ratings": [], "skipped": [101] * 2001}, '"skipped"'),
        ({"ratings": [{"movie_id": 101, "rating": 4}, {"movie_id": 102, "rating": 4}]}, "ratings[1]"),
    ],
)
def test_a_400_names_the_field_that_is_wrong(function, body, field):
    status, _, answer = recommend(function, body)
    assert status == 400 and field in answer["error"]["message"]


def test_no_ratings_yet_answers_200_with_lists_and_the_first_movies_to_ask(function):
    status, _, body = recommend(function, {"ratings": []})
    assert status == 200 and body["used_ratings"] == 0
    assert len(body["top"]) == len(body["bottom"]) == len(body["ask_next"]) == 10
    assert all(r["because"] == [] for r in body["top"] + body["bottom"])  # nothing rated, nothing to name


def test_ask_next_leaves_out_rated_skipped_and_listed_movies_whatever_their_order(function):
    ratings = RATINGS16[:5]
    first = recommend(function, {"ratings": []})[2]["ask_next"]
    skipped = [a["movie_id"] for a in first[:6] if a["movie_id"] not in {r["movie_id"] for r in ratings}]
    body = recommend(function, {"ratings": ratings, "skipped": skipped})[2]
    again = recommend(function, {"ratings": ratings[::-1], "skipped": skipped[::-1] + skipped[:2]})[2]
    assert body == again
    asked = {a["movie_id"] for a in body["ask_next"]}
    assert len(asked) == 10 and not asked & (set(skipped) | {r["movie_id"] for r in ratings})
    assert not asked & {r["movie_id"] for r in body["top"] + body["bottom"]}  # never twice on the page


def test_because_names_only_rated_movies_in_the_direction_each_movie_was_placed(function):
    body = recommend(function, {"ratings": RATINGS16})[2]
    rated = {r["movie_id"]: r["rating"] for r in RATINGS16}
    reasons = [(b, 1) for r in body["top"] for b in r["because"]] + [
        (b, -1) for r in body["bottom"] for b in r["because"]
    ]
    assert reasons  # the fixture's tower is strongly moved by single ratings
    for because, sign in reasons:
        assert rated[because["movie_id"]] == because["rating"]
        assert because["effect"] * sign >= 0.05


def test_the_most_skipped_ids_a_body_may_hold_fit_under_64_kib(function):
    body = {"ratings": RATINGS16, "skipped": [movie_id(r) for r in range(16, CATALOG_SIZE)] * 40}
    assert len(body["skipped"]) <= 2000 and len(json.dumps(body)) < 65536
    status, _, answer = recommend(function, body)
    assert status == 200 and answer["ask_next"] == []  # every unrated movie was skipped


def test_unknown_routes_are_404(function):
    assert error_code(function.request("GET", "/api/nothing")) == (404, "not_found")
    assert error_code(function.request("POST", "/api/recommendations", {"ratings": RATINGS16})) == (404, "not_found")


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("GET", "/api/recommend", "POST, OPTIONS"),
        ("PUT", "/", "POST, OPTIONS"),
        ("POST", "/api/movies", "GET, HEAD, OPTIONS"),
        ("DELETE", "/api/health", "GET, HEAD, OPTIONS"),
    ],
)
def test_wrong_methods_are_405_with_allow(function, method, path, allow):
    response = function.request(method, path)
    assert error_code(response) == (405, "method_not_allowed")
    assert response[1]["allow"] == allow


def test_a_body_over_64_kib_is_413(function):
    big = {"ratings": [{"movie_id": 101, "rating": 4}] * 3000}
    assert len(json.dumps(big)) > 65536
    assert error_code(recommend(function, big)) == (413, "payload_too_large")


def read_reply(sock) -> str:
    """One HTTP response off a raw socket: status line, headers and a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    )
    while len(body) < length:
        body += sock.recv(65536)
    return (head + b"\r\n\r\n" + body).decode()


def test_a_huge_declared_body_is_refused_before_it_is_sent(function):
    """Content-Length says 100 MB; only 10 bytes are ever sent, yet 413 comes back."""
    with socket.create_connection(("127.0.0.1", function.port), timeout=10) as s:
        s.sendall(
            b"POST /api/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100000000\r\n\r\n{"ratings"'
        )
        reply = read_reply(s)
    assert reply.startswith("HTTP/1.1 413") and "payload_too_large" in reply


def test_a_chunked_body_over_64_kib_is_413_after_reading_only_the_cap(function):
    with socket.create_connection(("127.0.0.1", function.port), timeout=10) as s:
        s.sendall(b"POST /api/recommend HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 40000
        for _ in range(2):  # 80,000 bytes sent, the stream left open
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        reply = read_reply(s)
    assert reply.startswith("HTTP/1.1 413") and "payload_too_large" in reply


def test_cors_allows_listed_origins_only_and_never_credentials(function):
    _, headers, _ = recommend(function, {"ratings": RATINGS16}, headers={"Origin": ALLOWED_ORIGIN})
    assert headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "access-control-allow-credentials" not in headers and "Origin" in headers["vary"]
    _, headers, _ = recommend(function, {"ratings": RATINGS16}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in headers
    _, headers, _ = recommend(function, {"ratings": {}}, headers={"Origin": "http://localhost:5173"})
    assert headers["access-control-allow-origin"] == "http://localhost:5173"  # errors carry CORS too


def test_preflight_answers_listed_origins_and_ignores_others(function):
    pre = {
        "Origin": ALLOWED_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    status, headers, body = function.request("OPTIONS", "/api/recommend", headers=pre)
    assert status == 204 and body == b""
    assert headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"].lower() == "content-type"
    assert "access-control-allow-credentials" not in headers
    status, headers, _ = function.request(
        "OPTIONS", "/api/recommend", headers={**pre, "Origin": "https://evil.example"}
    )
    assert status == 204 and "access-control-allow-origin" not in headers
