"""GET /api/movies: display titles, `aka` and the taste map's places, from catalog.json."""

from __future__ import annotations

import json

import pytest

from screen_genius.loader import build_model
from screen_genius.manifest import ManifestError
from tests.fixtures.artifacts import build_artifact_set


@pytest.fixture(scope="module")
def artifact_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("set")
    build_artifact_set(directory, catalog_size=40)
    return directory


def model_with(artifact_dir, edit=None):
    """The model built from the fixture's files, with catalog.json's records changed by ``edit``."""
    catalog = json.loads((artifact_dir / "catalog.json").read_text())
    for i, record in enumerate(catalog):
        if edit:
            edit(i, record)
    manifest = json.loads((artifact_dir / "manifest.json").read_text())
    return build_model(
        manifest,
        json.dumps(catalog, ensure_ascii=False).encode(),
        (artifact_dir / "movie_vectors.npy").read_bytes(),
        (artifact_dir / "user_tower.tflite").read_bytes(),
        (artifact_dir / "elicitation.npz").read_bytes(),
    )


def movies(model) -> list[dict]:
    return json.loads(model.movies_json)["movies"]


def test_movies_carry_aka_and_map_from_the_catalog(artifact_dir):
    def edit(i, record):
        record["aka"] = ["Le Fabuleux destin d'Amélie Poulain"] if i == 0 else []
        record["map"] = [i / 39, 1 - i / 39]

    listed = movies(model_with(artifact_dir, edit))
    assert listed[0]["aka"] == ["Le Fabuleux destin d'Amélie Poulain"]
    assert listed[1]["aka"] == []
    assert listed[0]["map"] == [0.0, 1.0] and listed[39]["map"] == [1.0, 0.0]


def test_a_catalog_without_aka_or_map_still_loads_with_empty_aka_and_no_map(artifact_dir):
    listed = movies(model_with(artifact_dir))
    assert all(m["aka"] == [] for m in listed)
    assert not any("map" in m for m in listed)


@pytest.mark.parametrize("place", [[0.5], [0.2, 1.5], ["0.1", 0.2], None, [True, 0.5]])
def test_a_map_place_off_the_unit_square_is_refused_naming_the_movie(artifact_dir, place):
    def edit(i, record):
        record["map"] = place if i == 3 else [0.5, 0.5]

    with pytest.raises(ManifestError, match=r"movie 122 has map .*expected \[x, y\] in \[0, 1\]"):
        model_with(artifact_dir, edit)


def test_recommendations_use_the_display_title(artifact_dir):
    from screen_genius.api import recommend

    def edit(i, record):
        record["title"] = f"Shown {i}"

    model = model_with(artifact_dir, edit)
    body = recommend(model, [(101, 5.0)])
    assert all(r["title"].startswith("Shown ") for r in body["top"] + body["bottom"] + body["ask_next"])
