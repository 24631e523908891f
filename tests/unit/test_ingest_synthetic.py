"""The synthetic generator: Netflix format, requested size, real-data-like skew, deterministic."""

import hashlib

import numpy as np
import pytest

from training.dataset import load_dataset
from training.ingest import ingest
from training.ingest.errors import IngestError
from training.ingest.synthetic import generate, parse_spec


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    ingest("synthetic:3000,400,60000", root / "store", catalog_size=200, raw_dir=root / "raw", progress=False)
    return root, load_dataset(root / "store")


def test_files_are_in_the_netflix_layout(synthetic):
    root, _ = synthetic
    raw = root / "raw" / "synthetic-3000-400-60000"
    names = sorted(p.name for p in raw.iterdir())
    assert names == [
        "COMPLETE.json",
        "combined_data_1.txt",
        "combined_data_2.txt",
        "combined_data_3.txt",
        "combined_data_4.txt",
        "movie_titles.csv",
        "probe.txt",
    ]
    first = (raw / "combined_data_1.txt").read_text().splitlines()[:2]
    assert first[0] == "1:" and len(first[1].split(",")) == 3


def test_requested_size_and_whole_star_scale(synthetic):
    _, ds = synthetic
    ratings = ds.ratings()
    assert abs(len(ratings) - 60_000) <= 600  # repeats dropped; at most 1% short
    assert set(np.unique(ratings["rating"])) <= {1, 2, 3, 4, 5}
    assert not ratings.duplicated(["user_id", "movie_id"]).any()
    assert ds.info["counts"]["probe_pairs"] > 0


def test_popularity_and_activity_are_skewed_like_the_real_data(synthetic):
    _, ds = synthetic
    ratings = ds.ratings()
    per_movie = np.sort(ratings.groupby("movie_id").size().to_numpy())[::-1]
    per_user = np.sort(ratings.groupby("user_id").size().to_numpy())[::-1]
    assert per_movie[: len(per_movie) // 10].sum() > 0.4 * per_movie.sum()
    assert per_user[: len(per_user) // 10].sum() > 0.25 * per_user.sum()


def test_ratings_carry_planted_structure(synthetic):
    _, ds = synthetic
    ratings = ds.ratings()
    means = ratings.groupby("movie_id")["rating"].agg(["mean", "size"])
    assert means[means["size"] >= 50]["mean"].std() > 0.25  # movies differ, not uniform noise


def test_generation_is_deterministic(tmp_path):
    a = generate(tmp_path / "a", 500, 50, 4000, seed=7, progress=False)
    b = generate(tmp_path / "b", 500, 50, 4000, seed=7, progress=False)
    c = generate(tmp_path / "c", 500, 50, 4000, seed=8, progress=False)
    assert digest(a) == digest(b) != digest(c)


@pytest.mark.parametrize("spec", ["10,10", "a,b,c", "0,10,10", "10,10,60"])
def test_bad_specs_are_explained(spec):
    with pytest.raises(IngestError, match="synthetic:"):
        parse_spec(spec)
