"""MovieLens sources: the bundled sample and MovieLens CSV folders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from training.dataset import load_dataset
from training.ingest import ingest
from training.ingest.errors import IngestError

MOVIES = (
    "movieId,title,genres\n"
    "1,Toy Story (1995),Adventure|Animation\n"
    '2,"Deer Hunter, The (1978)",Drama|War\n'
    '3,"City of Lost Children, The (Cité des enfants perdus, La) (1995)",Drama\n'
    "4,Untitled Project,(no genres listed)\n"
)
RATINGS = (
    "userId,movieId,rating,timestamp\n"
    "1,1,4.0,964982703\n1,2,4.5,964981247\n2,1,0.5,964982224\n2,3,5.0,964983815\n3,2,3.5,964982931\n3,4,2.0,964982931\n"
)


def folder(tmp_path: Path, movies: str = MOVIES, ratings: str = RATINGS) -> Path:
    d = tmp_path / "ml"
    d.mkdir(exist_ok=True)
    (d / "movies.csv").write_text(movies, encoding="utf-8")
    (d / "ratings.csv").write_text(ratings)
    return d


def test_folder_titles_read_naturally_with_years(tmp_path):
    ingest(f"movielens:{folder(tmp_path)}", tmp_path / "store", catalog_size=3, heldout_fraction=0, progress=False)
    ds = load_dataset(tmp_path / "store")
    movies = ds.movies.set_index("movie_id")
    assert movies.loc[2, "title"] == "The Deer Hunter" and movies.loc[2, "year"] == 1978
    assert movies.loc[3, "title"] == "The City of Lost Children (Cité des enfants perdus, La)"
    assert movies.loc[3, "display_title"] == "The City of Lost Children"
    assert list(movies.loc[3, "aka"]) == ["La Cité des enfants perdus"]
    assert movies.loc[2, "display_title"] == "The Deer Hunter" and list(movies.loc[2, "aka"]) == []
    assert movies.loc[4, "title"] == "Untitled Project" and pd.isna(movies.loc[4, "year"])
    assert pd.isna(movies.loc[4, "genres"])
    ratings = ds.ratings()
    assert len(ratings) == 6 and ratings["rating"].tolist().count(0.5) == 1
    assert str(ratings["date"].min().date()) == "2000-07-30"


def test_catalog_is_most_rated_first_ties_by_id(tmp_path):
    ingest(f"movielens:{folder(tmp_path)}", tmp_path / "store", catalog_size=3, heldout_fraction=0, progress=False)
    catalog = load_dataset(tmp_path / "store").catalog
    assert catalog["movie_id"].tolist() == [1, 2, 3]
    assert catalog["n_ratings"].tolist() == [2, 2, 1]
    assert catalog["mean_rating"].tolist() == [2.25, 4.0, 5.0]


@pytest.mark.parametrize(
    "bad, line, words",
    [
        ("1,1,5.5,964982703", 2, "rating 5.5 is not on the scale 0.5 to 5 in steps of 0.5"),
        ("1,1,0,964982703", 2, "rating 0 is not on the scale"),
        ("1,1,3.25,964982703", 2, "rating 3.25"),
    ],
)
def test_ratings_off_the_half_star_scale_name_the_line(tmp_path, bad, line, words):
    ratings = "userId,movieId,rating,timestamp\n" + bad + "\n" + RATINGS.split("\n", 1)[1]
    with pytest.raises(IngestError) as err:
        ingest(f"movielens:{folder(tmp_path, ratings=ratings)}", tmp_path / "store", catalog_size=1, progress=False)
    assert f"ratings.csv, line {line}: {words}" in str(err.value)
    assert not (tmp_path / "store").exists()


def test_duplicate_ratings_are_refused_with_both_lines(tmp_path):
    ratings = RATINGS + "1,2,1.0,964982000\n"
    with pytest.raises(IngestError, match=r"ratings.csv, line 3: user 1 rates movie 2 twice \(again on line 8\)"):
        ingest(f"movielens:{folder(tmp_path, ratings=ratings)}", tmp_path / "store", catalog_size=1, progress=False)


def test_rated_movie_missing_from_movies_csv_is_refused(tmp_path):
    ratings = RATINGS + "4,99,3.0,964982000\n"
    with pytest.raises(IngestError, match=r"ratings.csv, line 8: movie 99 is rated but not in movies.csv"):
        ingest(f"movielens:{folder(tmp_path, ratings=ratings)}", tmp_path / "store", catalog_size=1, progress=False)


def test_wrong_format_and_missing_files_say_what_was_expected(tmp_path):
    wrong = folder(tmp_path, ratings="a,b\n1,2\n")
    with pytest.raises(IngestError, match="Expected a header userId,movieId,rating,timestamp"):
        ingest(f"movielens:{wrong}", tmp_path / "s", catalog_size=1, progress=False)
    (tmp_path / "ml" / "movies.csv").unlink()
    with pytest.raises(IngestError, match=r"movies\.csv: file not found"):
        ingest(f"movielens:{tmp_path / 'ml'}", tmp_path / "s", catalog_size=1, progress=False)


def test_catalog_larger_than_the_data_is_refused(tmp_path):
    with pytest.raises(IngestError, match="fewer than --catalog-size 10"):
        ingest(f"movielens:{folder(tmp_path)}", tmp_path / "store", catalog_size=10, progress=False)


def test_unknown_dataset_lists_the_sources(tmp_path):
    with pytest.raises(IngestError, match=r"(?s)unknown dataset .kaggle.*movielens-sample.*netflix:PATH"):
        ingest("kaggle", tmp_path / "store", progress=False)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "movielens-sample"
    ingest("movielens-sample", out, progress=False)
    return load_dataset(out)


def test_bundled_sample_is_the_real_movielens_data(sample):
    counts = sample.info["counts"]
    assert (counts["ratings"], counts["users"], counts["movies"]) == (100_004, 671, 9_066)
    assert sample.info["rating_scale"] == {"min": 0.5, "max": 5.0, "step": 0.5}
    assert len(sample.catalog) == 970 and sample.catalog["n_ratings"].is_monotonic_decreasing
    assert counts["heldout_users"] == 101  # ceil(0.15 * 671)
    titles = set(sample.catalog["title"])
    assert "The Shawshank Redemption" in titles and "Shawshank Redemption, The" not in titles


def test_catalog_counts_only_training_users(sample):
    ratings = sample.ratings()
    train = ratings[~ratings["user_id"].isin(sample.heldout_user_ids)]
    expected = train.groupby("movie_id").size()
    catalog = sample.catalog.set_index("movie_id")["n_ratings"]
    assert (expected.loc[catalog.index] == catalog).all()
    assert catalog.min() >= expected.drop(catalog.index).max()
