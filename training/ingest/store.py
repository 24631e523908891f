"""The ratings store on disk, written so that no reader ever sees half of it.

Layout of a store directory:
    ratings/part-*.parquet  user_id int32, movie_id int32, rating float32, date date32
    movies.parquet          movie_id int32, title string, year int16 (null if unknown), genres string,
                            display_title string (the title a person reads), aka list<string> (other titles)
    catalog.parquet         the N most-rated movies, row order = catalog index
    probe.parquet           (Netflix only) user_id, movie_id of the official probe pairs
    split.json              held-out (cold-start) user ids and how they were chosen
    dataset.json            source, rating scale, counts, skipped lines

Everything is written into a staging directory beside the destination and
swapped in whole only when it is complete (training.atomic).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from training.atomic import AtomicDirectory

RATINGS_SCHEMA = pa.schema(
    [("user_id", pa.int32()), ("movie_id", pa.int32()), ("rating", pa.float32()), ("date", pa.date32())]
)
# ``title`` is what the title model reads (alternate titles included); ``display_title`` and
# ``aka`` are what the website shows and searches.
MOVIES_SCHEMA = pa.schema(
    [
        ("movie_id", pa.int32()),
        ("title", pa.string()),
        ("year", pa.int16()),
        ("genres", pa.string()),
        ("display_title", pa.string()),
        ("aka", pa.list_(pa.string())),
    ]
)
FORMAT_VERSION = 1


def ratings_batch(user_id, movie_id, rating, days) -> pa.RecordBatch:
    """A batch of ratings; ``days`` are days since 1970-01-01."""
    return pa.record_batch(
        [
            pa.array(np.asarray(user_id, dtype=np.int32)),
            pa.array(np.asarray(movie_id, dtype=np.int32)),
            pa.array(np.asarray(rating, dtype=np.float32)),
            pa.array(np.asarray(days, dtype=np.int32)).cast(pa.date32()),
        ],
        schema=RATINGS_SCHEMA,
    )


@dataclass(frozen=True)
class Kept:
    """A written batch kept in memory, compactly: 7 bytes a rating instead of 16."""

    user_id: np.ndarray  # int32
    movie_id: np.ndarray  # uint16 when ids allow, else int32
    half_stars: np.ndarray  # uint8, rating * 2
    first_day: int
    last_day: int


class RatingsPart:
    """One ratings part file; thread-safe to use one part per thread."""

    def __init__(self, path: Path, kept: list[Kept]):
        self._writer = pq.ParquetWriter(path, RATINGS_SCHEMA, compression="zstd")
        self._kept = kept

    def write(self, user_id, movie_id, rating, days) -> None:
        """Append ratings; ``days`` are days since 1970-01-01."""
        if len(user_id) == 0:
            return
        self._writer.write_batch(ratings_batch(user_id, movie_id, rating, days))
        movie_id = np.asarray(movie_id)
        small = movie_id.max() < 2**16 and movie_id.min() >= 0
        self._kept.append(
            Kept(
                np.asarray(user_id, dtype=np.int32),
                movie_id.astype(np.uint16 if small else np.int32),
                np.rint(np.asarray(rating, dtype=np.float32) * 2).astype(np.uint8),
                int(np.min(days)),
                int(np.max(days)),
            )
        )

    def close(self) -> None:
        self._writer.close()


class StoreWriter:
    """Context manager: writes a store in a temporary directory, moves it into place on success."""

    def __init__(self, out: Path | str):
        self.out = Path(out).resolve()
        self._staging = AtomicDirectory(self.out)
        self.tmp = self._staging.path
        (self.tmp / "ratings").mkdir()
        self._parts = 0
        self.kept: list[Kept] = []  # compact copies of every batch, for the split and catalog pass

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._staging.abort()

    def ratings_part(self) -> RatingsPart:
        """A new ratings part file; the caller writes batches to it and closes it."""
        path = self.tmp / "ratings" / f"part-{self._parts:05d}.parquet"
        self._parts += 1
        return RatingsPart(path, self.kept)

    def path(self, name: str) -> Path:
        return self.tmp / name

    def write_table(self, name: str, table: pa.Table) -> None:
        pq.write_table(table, self.tmp / name, compression="zstd")

    def write_json(self, name: str, obj) -> None:
        (self.tmp / name).write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")

    def commit(self) -> Path:
        """Move the finished store over ``out``; an older store there is replaced whole."""
        return self._staging.commit()
