"""Reading an ingested ratings store: the one way the rest of training sees data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from screen_genius.scale import RatingScale
from training.errors import CommandError
from training.ingest.store import FORMAT_VERSION

REQUIRED = ("dataset.json", "split.json", "movies.parquet", "catalog.parquet", "ratings")


@dataclass(frozen=True)
class Dataset:
    """An ingested dataset. Tables load on first use."""

    path: Path

    @cached_property
    def info(self) -> dict:
        """dataset.json: name, source, rating_scale, counts, dates, skipped lines."""
        return json.loads((self.path / "dataset.json").read_text())

    @property
    def rating_scale(self) -> RatingScale:
        return RatingScale.from_dict(self.info["rating_scale"])

    @cached_property
    def movies(self) -> pd.DataFrame:
        """movie_id int32, title str, year Int16 (nullable), genres str or None."""
        return pq.read_table(self.path / "movies.parquet").to_pandas(types_mapper=_nullable_ints)

    @cached_property
    def catalog(self) -> pd.DataFrame:
        """The N most-rated movies; row order is the catalog index the models use."""
        return pq.read_table(self.path / "catalog.parquet").to_pandas(types_mapper=_nullable_ints)

    @cached_property
    def split(self) -> dict:
        return json.loads((self.path / "split.json").read_text())

    @cached_property
    def heldout_user_ids(self) -> np.ndarray:
        """Sorted int32 ids of the cold-start test users (never used for training)."""
        return np.asarray(self.split["heldout_user_ids"], dtype=np.int32)

    def ratings(self, columns: list[str] | None = None, catalog_only: bool = False) -> pd.DataFrame:
        """user_id int32, movie_id int32, rating float32, date datetime64 (or the ``columns`` asked for)."""
        data = pads.dataset(self.path / "ratings", format="parquet")
        flt = pads.field("movie_id").isin(self.catalog["movie_id"].to_numpy()) if catalog_only else None
        return data.to_table(columns=columns, filter=flt).to_pandas(date_as_object=False)

    def probe(self) -> pd.DataFrame | None:
        """The Netflix probe pairs (user_id, movie_id), or None for other sources."""
        path = self.path / "probe.parquet"
        return pq.read_table(path).to_pandas() if path.exists() else None


def load_dataset(path: Path | str) -> Dataset:
    """Open the store at ``path``; raise CommandError saying how to make one if it isn't there."""
    path = Path(path)
    missing = [name for name in REQUIRED if not (path / name).exists()]
    if missing:
        raise CommandError(
            f"{path} is not an ingested dataset (missing {', '.join(missing)}); "
            f"create it with: python -m training ingest --out {path}"
        )
    ds = Dataset(path)
    if ds.info.get("format_version") != FORMAT_VERSION:
        raise CommandError(
            f"{path} was written by another version of ingest "
            f"(format {ds.info.get('format_version')}, expected {FORMAT_VERSION}); ingest it again"
        )
    return ds


def _nullable_ints(arrow_type):
    import pyarrow as pa

    return pd.Int16Dtype() if arrow_type == pa.int16() else None
