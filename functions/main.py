"""Screen Genius recommendations: the `recommend` Cloud Function.

Deploy with this directory as the source and `recommend` as the entry point;
run locally with
`functions-framework --source functions/main.py --target recommend`.

Environment:
  MODEL_URI        gs://bucket/prefix or a local directory holding latest.json
  MODEL_REFRESH_S  re-read latest.json at most this often (seconds, default 300)
  ALLOWED_ORIGINS  comma-separated origins allowed by CORS (default: none)
"""

from __future__ import annotations

import os

# One BLAS thread per request thread: set before numpy loads. The answer's linear
# algebra is small (15 x 15 solves), and OpenBLAS's own threads, one set per
# request thread, only contend for the instance's cores (10x slower at 100 ratings).
for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")

import logging  # noqa: E402
import threading  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import functions_framework  # noqa: E402

from screen_genius.api import Cors, handle  # noqa: E402
from screen_genius.loader import ModelHolder  # noqa: E402

if TYPE_CHECKING:
    from flask import Request, Response

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

# Created on first use and kept for the life of the instance: the artifact set
# is loaded by the first request, not at import, so a cold start stays short.
_holder: ModelHolder | None = None
_cors: Cors | None = None
_lock = threading.Lock()


def _globals() -> tuple[ModelHolder, Cors]:
    global _holder, _cors
    if _holder is None:
        with _lock:
            if _holder is None:
                _cors = Cors(os.environ.get("ALLOWED_ORIGINS", ""))
                _holder = ModelHolder(
                    os.environ.get("MODEL_URI", ""),
                    refresh_s=float(os.environ.get("MODEL_REFRESH_S", "300")),
                    storage_retry_s=float(os.environ.get("MODEL_STORAGE_RETRY_S", "2")),
                )
    assert _cors is not None  # set before _holder, under the lock
    return _holder, _cors


@functions_framework.http
def recommend(request: Request) -> Response:
    """HTTP entry point: POST /api/recommend, GET /api/movies, GET /api/health."""
    holder, cors = _globals()
    return handle(request, holder, cors)
