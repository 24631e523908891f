"""The HTTP API of the function (DESIGN.md, functions/openapi.yaml).

Routes on the last segment of the path, so the same code answers behind the
Firebase rewrite (``/api/recommend``) and when called directly
(``/recommend``, ``POST /``). Every answer is JSON; every error is
``{"error": {"code", "message"}}`` with a status a client can act on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from flask import Response

from screen_genius import elicit
from screen_genius.loader import Model, ModelHolder, ModelUnavailable

if TYPE_CHECKING:
    from flask import Request

log = logging.getLogger("screen_genius.api")

MAX_BODY_BYTES = 64 * 1024
TOP_K = elicit.LISTED  # each list's length
MAX_SKIPPED = 2000
MAX_BECAUSE = 2  # reasons per listed movie
MIN_EFFECT = 0.05  # stars: a rating that moved a prediction less than this is not named as a reason
RETRY_AFTER_S = 5
JSON_TYPE = "application/json"


class ApiError(Exception):
    """An answer other than 200: status, a stable code and a message for a person."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


class Cors:
    """CORS for the origins in ALLOWED_ORIGINS only; credentials are never allowed."""

    def __init__(self, allowed: str = "") -> None:
        self.origins = {o.strip().rstrip("/") for o in allowed.split(",") if o.strip()}

    def headers(self, origin: str | None) -> dict[str, str]:
        if not origin:
            return {}
        if "*" in self.origins:
            return {"Access-Control-Allow-Origin": "*"}  # a wildcard, and therefore no credentials
        if origin in self.origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {"Vary": "Origin"}

    def preflight(self, origin: str | None, allow: str) -> dict[str, str]:
        headers = self.headers(origin)
        if "Access-Control-Allow-Origin" in headers:
            headers.update(
                {
                    "Access-Control-Allow-Methods": allow,
                    "Access-Control-Allow-Headers": "Content-Type",
                    "Access-Control-Max-Age": "3600",
                }
            )
        return headers


# last path segment -> allowed methods ("" is POST /)
ROUTES = {
    "recommend": ("POST",),
    "": ("POST",),
    "movies": ("GET", "HEAD"),
    "health": ("GET", "HEAD"),
}


def handle(request: Request, holder: ModelHolder, cors: Cors) -> Response:
    """Answer one request (a Flask/werkzeug request)."""
    body, status, headers = answer(request, holder, cors)
    headers["Content-Length"] = str(len(body))
    headers["X-Content-Type-Options"] = "nosniff"  # every answer is JSON or empty: never sniffed as HTML
    # An iterator makes the response "streamed", which stops functions-framework
    # from reading the whole request body before answering (it does so for any
    # other response): a 100 MB body is refused without being read.
    return Response(iter([body]), status=status, headers=headers)


def answer(request: Request, holder: ModelHolder, cors: Cors) -> tuple[bytes, int, dict[str, str]]:
    """(body, status, headers) for one request."""
    origin = request.headers.get("Origin")
    segments = [s for s in request.path.split("/") if s]
    route = segments[-1] if segments else ""
    try:
        methods = ROUTES.get(route)
        if methods is None:
            raise ApiError(
                404,
                "not_found",
                f"no such endpoint {request.path!r}; try POST /api/recommend, GET /api/movies or GET /api/health",
            )
        allow = ", ".join((*methods, "OPTIONS"))
        if request.method == "OPTIONS":
            return b"", 204, {"Allow": allow, **cors.preflight(origin, allow)}
        if request.method not in methods:
            raise ApiError(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {request.path}; use {' or '.join(methods)}",
                {"Allow": allow},
            )
        if route == "health":
            model = holder.model
            body = {"status": "ok", "model_version": model.version if model else None, "loaded": model is not None}
            return _json(body, 200, cors.headers(origin))
        if route == "movies":
            model = _model(holder)
            return (
                model.movies_json,
                200,
                {"Content-Type": JSON_TYPE, "Cache-Control": "public, max-age=60", **cors.headers(origin)},
            )
        pairs, skipped = parse_body(read_body(request))
        model = _model(holder)
        return _json(recommend(model, pairs, skipped), 200, cors.headers(origin))
    except ApiError as e:
        return _json({"error": {"code": e.code, "message": e.message}}, e.status, {**e.headers, **cors.headers(origin)})
    except Exception:  # a bug of ours: logged with its trace, answered without it
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return _json(
            {"error": {"code": "internal", "message": "internal error; it has been logged"}}, 500, cors.headers(origin)
        )


def _json(body: dict[str, Any], status: int, headers: dict[str, str]) -> tuple[bytes, int, dict[str, str]]:
    data = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
    return data, status, {"Content-Type": JSON_TYPE, "Cache-Control": "no-store", **headers}


def _model(holder: ModelHolder) -> Model:
    try:
        return holder.get()
    except ModelUnavailable as e:
        raise ApiError(
            503,
            "model_unavailable",
            f"the model cannot be loaded right now ({e}); retry in {RETRY_AFTER_S} s",
            {"Retry-After": str(RETRY_AFTER_S)},
        ) from None


def read_body(request: Request) -> bytes:
    """The request body, refused with 413 past MAX_BODY_BYTES without reading the rest of it."""
    too_large = ApiError(413, "payload_too_large", f"request body is over {MAX_BODY_BYTES} bytes")
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise too_large
    stream = request.stream
    chunks: list[bytes] = []
    total = 0
    while total <= MAX_BODY_BYTES:
        chunk = stream.read(MAX_BODY_BYTES + 1 - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > MAX_BODY_BYTES:
        raise too_large
    return b"".join(chunks)


def parse_body(body: bytes) -> tuple[list[tuple[int, float]], list[int]]:
    """The ratings of a recommend request as (movie_id, rating) pairs, and its skipped ids; raises ApiError(400)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise ApiError(
            400,
            "bad_json",
            f'request body is not valid JSON ({e}); send {{"ratings": [{{"movie_id": 1, "rating": 4.5}}]}}',
        ) from None
    if not isinstance(payload, dict) or "ratings" not in payload:
        raise ApiError(400, "invalid_request", 'request body must be a JSON object with a "ratings" list')
    ratings = payload["ratings"]
    if not isinstance(ratings, list):
        raise ApiError(400, "invalid_request", '"ratings" must be a list of {"movie_id": int, "rating": number}')
    pairs: list[tuple[int, float]] = []
    for i, item in enumerate(ratings):
        if not isinstance(item, dict) or "movie_id" not in item or "rating" not in item:
            raise ApiError(400, "invalid_request", f'ratings[{i}] must be an object with "movie_id" and "rating"')
        movie_id, rating = item["movie_id"], item["rating"]
        if not _is_int(movie_id):
            raise ApiError(400, "invalid_request", f"ratings[{i}].movie_id must be an integer")
        if not isinstance(rating, (int, float)) or isinstance(rating, bool):
            raise ApiError(400, "invalid_request", f"ratings[{i}].rating must be a number")
        try:
            rating = float(rating)
        except OverflowError:  # an integer too large for a float is off any scale
            rating = float("inf")
        pairs.append((movie_id, rating))
    skipped = payload.get("skipped", [])
    if not isinstance(skipped, list):
        raise ApiError(
            400, "invalid_request", '"skipped" must be a list of movie ids (integers) the person has not seen'
        )
    if len(skipped) > MAX_SKIPPED:
        raise ApiError(
            400, "too_many_skipped", f'"skipped" lists {len(skipped)} ids; at most {MAX_SKIPPED} are accepted'
        )
    for i, movie_id in enumerate(skipped):
        if not _is_int(movie_id):
            raise ApiError(400, "invalid_request", f"skipped[{i}] must be an integer movie id")
    return pairs, skipped


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def taste_directions(by_movie: dict[int, float], offset: float) -> dict[int, str]:
    """movie_id -> "liked" or "disliked": each rating against the person's own average rating.

    A rating at or above their average is "liked", below it "disliked". When
    every rating is the same (one rating, say) the average tells nothing, and
    the rating is read against the dataset's average rating (``offset``).
    """
    values = list(by_movie.values())
    mean = sum(values) / len(values) if values else offset
    if max(values, default=mean) == min(values, default=mean):
        mean = offset
    return {m: "liked" if r >= mean else "disliked" for m, r in by_movie.items()}


def recommend(model: Model, pairs: list[tuple[int, float]], skipped: Sequence[int] = ()) -> dict[str, Any]:
    """The answer to one recommend request (DESIGN.md, "HTTP API"); raises ApiError(400).

    top / bottom: the 10 best and worst unrated movies, best first and worst
    first by the stars shown, each with ``because``: up to 2 of the person's
    ratings that moved its place in the direction it was placed, after
    removing the shift each rating gives the whole catalog, none below
    MIN_EFFECT stars: those whose direction (``taste_directions``) agrees with
    the list first (liked for the top, disliked for the bottom), each group
    largest first (``Explained.reasons``). ask_next: the 10
    unrated, unskipped movies to rate next, by the manifest's strategy
    (``screen_genius.elicit``; the served one also leaves out top and bottom).
    """
    scale = model.scale
    by_movie: dict[int, float] = {}
    for i, (movie_id, rating) in enumerate(pairs):
        if movie_id not in model.row_of:
            raise ApiError(
                400,
                "unknown_movie",
                f"ratings[{i}].movie_id {movie_id} is not in the catalog; GET /api/movies lists it",
            )
        if not scale.contains(rating):
            raise ApiError(
                400, "rating_off_scale", f"ratings[{i}].rating {rating} is off the scale: use {scale.describe()}"
            )
        if by_movie.setdefault(movie_id, rating) != rating:
            raise ApiError(400, "duplicate_movie", f"movie {movie_id} is rated twice with different ratings")
    skipped_rows: list[int] = []
    for i, movie_id in enumerate(skipped):
        row = model.row_of.get(movie_id)
        if row is None:
            raise ApiError(
                400, "unknown_movie", f"skipped[{i}] {movie_id} is not in the catalog; GET /api/movies lists it"
            )
        if movie_id in by_movie:
            raise ApiError(
                400, "rated_and_skipped", f"skipped[{i}] {movie_id} is also rated; a movie is either rated or skipped"
            )
        skipped_rows.append(row)
    rows = np.fromiter((model.row_of[m] for m in by_movie), dtype=np.int64, count=len(by_movie))
    ratings = np.fromiter(by_movie.values(), dtype=np.float32, count=len(by_movie))
    explained = model.scorer.explain(rows, ratings)
    predicted = explained.predicted
    best, worst, deep = model.scorer.rank_deep(predicted, rows, TOP_K, model.ask_unlisted_top)
    listed = np.concatenate([best, worst])
    unasked = np.concatenate([deep, worst])  # the top ask_unlisted_top (best among them) and the bottom list
    ask = model.ask_next(rows, ratings, np.asarray(skipped_rows, dtype=np.int64), unasked, predicted)
    signs = np.concatenate([np.ones(len(best)), -np.ones(len(worst))])
    direction = taste_directions(by_movie, model.scorer.offset)
    catalog = model.catalog
    rated: dict[int, tuple[Any, Any, float, str]] = {}  # rated row -> what a reason says of that rating
    for row in explained.rated_rows.tolist():
        movie_id = catalog[row]["movie_id"]
        rated[row] = (movie_id, catalog[row].get("title"), by_movie[movie_id], direction[movie_id])
    liked = np.array([rated[row][3] == "liked" for row in explained.rated_rows.tolist()], dtype=bool)
    reasons = explained.reasons(listed, signs, MAX_BECAUSE, MIN_EFFECT, liked)
    shown = predicted[listed].tolist()

    def rec(i: int) -> dict[str, Any]:
        because = []
        for row, effect in reasons[i]:
            movie_id, title, rating, direction = rated[row]
            because.append(
                {
                    "movie_id": movie_id,
                    "title": title,
                    "rating": rating,
                    "effect": round(effect, 3),
                    "direction": direction,
                }
            )
        return {**model.display[int(listed[i])], "predicted_rating": round(shown[i], 3), "because": because}

    return {
        "top": [rec(i) for i in range(len(best))],
        "bottom": [rec(len(best) + i) for i in range(len(worst))],
        "ask_next": [model.display[r] for r in ask],
        "model_version": model.version,
        "used_ratings": explained.used,
    }
