"""The fixed request file and the answer comparison of ``tests/served_answers.py``.

``test_published_set_serves_the_recorded_answers`` checks a real published set against answers recorded
before a change; it needs both (SG_ANSWERS_BEFORE: the recorded answers, SG_ANSWERS_PUBLISHED: the set
``python -m training run --to DIR`` published after the change), which a clean clone does not have.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests import served_answers


def test_the_request_file_is_a_pure_function_of_the_catalog_with_50_or_more_answerable_requests():
    ids = list(range(100, 1070))
    a, b = served_answers.make_requests(ids), served_answers.make_requests(list(ids))
    assert a == b and len(a) >= 50
    answerable = [r for r in a if all(x["movie_id"] in ids for x in r["ratings"])]
    assert len(answerable) >= 50
    assert a[0] == {"ratings": []}
    assert all(x["rating"] * 2 == int(x["rating"] * 2) and 0.5 <= x["rating"] <= 5 for r in a for x in r["ratings"])


def test_differences_ignore_only_the_model_version():
    before = [{"request": {"ratings": []}, "status": 200, "answer": {"top": [1, 2], "model_version": "v1"}}]
    same = [{"request": {"ratings": []}, "status": 200, "answer": {"top": [1, 2], "model_version": "v2"}}]
    moved = [{"request": {"ratings": []}, "status": 200, "answer": {"top": [2, 1], "model_version": "v1"}}]
    assert served_answers.differences(before, same) == []
    assert served_answers.differences(before, moved) == ["request 0: status 200 -> 200; answers differ"]
    assert served_answers.differences(before, []) == ["1 answers before, 0 after"]


@pytest.mark.slow
def test_published_set_serves_the_recorded_answers():
    before, published = os.environ.get("SG_ANSWERS_BEFORE"), os.environ.get("SG_ANSWERS_PUBLISHED")
    if not (before and published):
        pytest.skip("set SG_ANSWERS_BEFORE (recorded answers) and SG_ANSWERS_PUBLISHED (a published set)")
    recorded = json.loads(Path(before).read_text())
    answers = served_answers.record(Path(published), [r["request"] for r in recorded])
    assert len(answers) >= 50
    assert served_answers.differences(recorded, answers) == []
