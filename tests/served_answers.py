"""The function's answers to a fixed request file, recorded and compared: did a change alter what is served?

    python -m tests.served_answers requests PUBLISHED REQUESTS.json      # write the fixed request file
    python -m tests.served_answers record PUBLISHED REQUESTS.json OUT.json
    python -m tests.served_answers compare BEFORE.json AFTER.json

PUBLISHED is what ``python -m training run --to DIR`` published (a directory
with latest.json). The requests are a pure function of the published
catalog's movie ids and a seed: ``N_REQUESTS`` people rating 0 to 20 catalog
movies (half stars), some with ids the catalog lacks, a few naming movies
to skip. Answers come from the real function (``functions/main.py``'s
``recommend``, through functions-framework's WSGI app, one process), and are
compared exactly but for ``model_version`` (the publish's timestamp): the
same movies in the same order, the same stars and reasons, the same ``ask_next``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

N_REQUESTS = 60
SEED = 20261203
ROOT = Path(__file__).resolve().parents[1]


def catalog_ids(published: Path) -> list[int]:
    """The published catalog's movie ids, in catalog order."""
    latest = json.loads((published / "latest.json").read_text())
    catalog = json.loads((published / "versions" / latest["version"] / "catalog.json").read_text())
    return [int(m["movie_id"]) for m in catalog]


def make_requests(ids: list[int], n: int = N_REQUESTS, seed: int = SEED) -> list[dict]:
    """``n`` request bodies for POST /api/recommend, deterministic for the ids and the seed."""
    rng = np.random.default_rng(seed)
    unknown = max(ids) + 1_000_000  # an id no catalog holds
    out = []
    for i in range(n):
        k = int(rng.integers(0, 21)) if i else 0  # the first: nothing rated
        chosen = rng.choice(len(ids), size=min(k, len(ids)), replace=False)
        ratings = [{"movie_id": ids[c], "rating": float(rng.integers(1, 11)) / 2} for c in chosen]
        if i % 20 == 3:
            ratings.append({"movie_id": unknown + i, "rating": 4.0})
        body: dict = {"ratings": ratings}
        if i % 5 == 2:
            body["skipped"] = [ids[int(c)] for c in rng.choice(len(ids), size=3, replace=False)]
        out.append(body)
    return out


def record(published: Path, requests: list[dict]) -> list[dict]:
    """The function's (status, JSON body) for each request, served from ``published``."""
    os.environ["MODEL_URI"] = str(published)
    import functions_framework

    app = functions_framework.create_app(target="recommend", source=str(ROOT / "functions" / "main.py"))
    client = app.test_client()
    answers = []
    for body in requests:
        response = client.post("/api/recommend", json=body)
        answers.append({"request": body, "status": response.status_code, "answer": response.get_json()})
    return answers


def differences(before: list[dict], after: list[dict]) -> list[str]:
    """One line per request whose answer differs (empty when every answer is identical)."""
    if len(before) != len(after):
        return [f"{len(before)} answers before, {len(after)} after"]
    out = []
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        if a["request"] != b["request"]:
            out.append(f"request {i}: the requests differ")
        elif (a["status"], _content(a["answer"])) != (b["status"], _content(b["answer"])):
            out.append(f"request {i}: status {a['status']} -> {b['status']}; answers differ")
    return out


def _content(answer: dict) -> dict:
    """The answer without its ``model_version`` (a publish timestamp, new with every publish)."""
    return {key: value for key, value in answer.items() if key != "model_version"}


def main(argv: list[str]) -> int:
    command, *paths = argv
    if command == "requests":
        published, out = map(Path, paths)
        out.write_text(json.dumps(make_requests(catalog_ids(published)), indent=1))
    elif command == "record":
        published, requests, out = map(Path, paths)
        out.write_text(json.dumps(record(published, json.loads(requests.read_text())), indent=1, sort_keys=True))
    elif command == "compare":
        before, after = (json.loads(Path(p).read_text()) for p in paths)
        diff = differences(before, after)
        print("\n".join(diff) or f"all {len(before)} answers identical")
        return 1 if diff else 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
