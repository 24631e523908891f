"""catalog.json at export: display titles, `aka`, and the taste map's places."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.export import catalog_records
from training.export.taste_map import taste_map


def test_taste_map_is_in_the_unit_square_and_deterministic():
    vectors = np.random.default_rng(0).normal(size=(200, 16)).astype(np.float32)
    places = taste_map(vectors)
    assert places.shape == (200, 2)
    assert places.min() >= 0 and places.max() <= 1
    assert np.array_equal(places, taste_map(vectors.copy()))
    assert places[:, 0].std() > 0.1 and places[:, 1].std() > 0.1  # spread out, not a dot


def test_taste_map_puts_two_groups_of_alike_movies_at_opposite_ends_of_its_first_axis():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=16), rng.normal(size=16)
    vectors = np.concatenate([a + rng.normal(0, 0.05, (50, 16)), b + rng.normal(0, 0.05, (50, 16))])
    x = taste_map(vectors)[:, 0]
    assert abs(x[:50].mean() - x[50:].mean()) > 0.9
    assert x[:50].std() < 0.05 and x[50:].std() < 0.05


def test_taste_map_does_not_flip_when_the_vectors_are_negated():
    """The sign of each axis is fixed by the data, so a re-fit that flips a factor draws the same map."""
    vectors = np.random.default_rng(2).normal(size=(100, 16))
    assert np.allclose(taste_map(vectors), taste_map(-vectors))


@pytest.mark.parametrize("n", [0, 1])
def test_taste_map_of_fewer_than_two_movies_is_the_centre(n):
    assert taste_map(np.zeros((n, 16))).tolist() == [[0.5, 0.5]] * n


def test_catalog_records_show_the_display_title_and_keep_the_other_titles():
    catalog = pd.DataFrame(
        {
            "movie_id": [4973, 231],
            "title": ["Amelie (Fabuleux destin d'Amélie Poulain, Le)", "Dumb & Dumber (Dumb and Dumber)"],
            "year": pd.array([2001, None], dtype="Int16"),
            "genres": ["Comedy|Romance", None],
            "display_title": ["Amélie", "Dumb & Dumber"],
            "aka": [np.array(["Le Fabuleux destin d'Amélie Poulain"], dtype=object), np.array([], dtype=object)],
            "n_ratings": [10, 9],
            "mean_rating": [4.1, 3.2],
        }
    )
    records = catalog_records(catalog, np.array([[0.25, 0.75], [1.0, 0.0]]))
    assert records[0] == {
        "movie_id": 4973,
        "title": "Amélie",
        "aka": ["Le Fabuleux destin d'Amélie Poulain"],
        "year": 2001,
        "genres": "Comedy|Romance",
        "n_ratings": 10,
        "mean_rating": 4.1,
        "map": [0.25, 0.75],
    }
    assert records[1]["title"] == "Dumb & Dumber" and records[1]["aka"] == [] and records[1]["year"] is None


def test_catalog_records_from_a_store_without_display_titles_use_the_title_and_no_map():
    catalog = pd.DataFrame({"movie_id": [1], "title": ["Heat"], "year": [1995], "genres": ["Crime"]})
    assert catalog_records(catalog) == [{"movie_id": 1, "title": "Heat", "aka": [], "year": 1995, "genres": "Crime"}]
