"""Users' ratings of catalog movies as a compact per-user (CSR) table.

Both training (Model 1, Model 2, baselines) and evaluation read ratings this
way: ``rows`` are catalog row indices (0..catalog_size-1), never movie ids, so
the catalog's row order is the one ordering every model and artifact shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CatalogRatings:
    """Ratings of ``n_items`` catalog movies by ``len(user_ids)`` users.

    user_ids: (n_users,) int32, sorted.
    indptr: (n_users + 1,) int64; user u's ratings are ``rows[indptr[u]:indptr[u+1]]``.
    rows: (n_ratings,) int32 catalog rows, ascending within a user.
    ratings: (n_ratings,) float32 stars.
    """

    user_ids: np.ndarray
    indptr: np.ndarray
    rows: np.ndarray
    ratings: np.ndarray
    n_items: int

    @classmethod
    def build(cls, user_ids: np.ndarray, rows: np.ndarray, ratings: np.ndarray, n_items: int) -> CatalogRatings:
        """From parallel (n,) arrays of user ids, catalog rows and ratings (any order).

        A user who rated the same movie twice keeps the last rating given.
        """
        user_ids = np.asarray(user_ids, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        ratings = np.asarray(ratings, dtype=np.float32)
        order = np.lexsort((rows, user_ids))
        user_ids, rows, ratings = user_ids[order], rows[order], ratings[order]
        if len(rows):
            last = np.ones(len(rows), dtype=bool)
            last[:-1] = (user_ids[1:] != user_ids[:-1]) | (rows[1:] != rows[:-1])
            user_ids, rows, ratings = user_ids[last], rows[last], ratings[last]
        users, counts = np.unique(user_ids, return_counts=True)
        indptr = np.zeros(len(users) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(users.astype(np.int32), indptr, rows.astype(np.int32), ratings, int(n_items))

    @classmethod
    def from_frame(cls, frame, catalog_ids: np.ndarray) -> CatalogRatings:
        """From a ratings frame (user_id, movie_id, rating); movies outside the catalog are dropped."""
        catalog_ids = np.asarray(catalog_ids, dtype=np.int64)
        movie_ids = frame["movie_id"].to_numpy(dtype=np.int64)
        order = np.argsort(catalog_ids, kind="stable")
        at = np.minimum(np.searchsorted(catalog_ids[order], movie_ids), max(len(catalog_ids) - 1, 0))
        keep = catalog_ids[order][at] == movie_ids if len(catalog_ids) else np.zeros(len(movie_ids), bool)
        rows = order[at] if len(catalog_ids) else np.zeros(len(movie_ids), np.int64)
        return cls.build(
            frame["user_id"].to_numpy()[keep], rows[keep], frame["rating"].to_numpy()[keep], len(catalog_ids)
        )

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_ratings(self) -> int:
        return len(self.rows)

    def counts(self) -> np.ndarray:
        """(n_users,) number of ratings per user."""
        return np.diff(self.indptr)

    def user(self, u: int | np.integer) -> tuple[np.ndarray, np.ndarray]:
        """(rows, ratings) of the u-th user (position, not id)."""
        a, b = self.indptr[u], self.indptr[u + 1]
        return self.rows[a:b], self.ratings[a:b]

    def subset(self, positions: np.ndarray) -> CatalogRatings:
        """The users at ``positions`` (sorted positions keep user_ids sorted)."""
        positions = np.sort(np.asarray(positions, dtype=np.int64))
        starts, ends = self.indptr[positions], self.indptr[positions + 1]
        counts = ends - starts
        indptr = np.zeros(len(positions) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        # every kept rating's position: its user's start plus its place within the user (no loop per user)
        take = np.repeat(starts - indptr[:-1], counts) + np.arange(indptr[-1])
        return CatalogRatings(self.user_ids[positions], indptr, self.rows[take], self.ratings[take], self.n_items)

    def dense(self, start: int, end: int, values: np.ndarray | float = 1.0) -> np.ndarray:
        """(end - start, n_items) float32: users start..end as a dense block over the catalog.

        ``values``: per rating of those users (``ratings[indptr[start]:indptr[end]]``-shaped), or one number;
        0 where a user did not rate. The catalog is a thousand movies, so blocks of a few thousand users
        turn sums over users into BLAS products (ALS, EASE, item-kNN at Netflix scale).
        """
        local = np.repeat(np.arange(end - start), np.diff(self.indptr[start : end + 1]))
        block = np.zeros((end - start, self.n_items), np.float32)
        block[local, self.rows[self.indptr[start] : self.indptr[end]]] = values
        return block

    def blocks(self, size: int = 16_384):
        """(start, end) of consecutive blocks of at most ``size`` users."""
        for start in range(0, self.n_users, size):
            yield start, min(start + size, self.n_users)

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(user positions, rows, ratings), each (n_ratings,)."""
        users = np.repeat(np.arange(self.n_users, dtype=np.int32), self.counts())
        return users, self.rows, self.ratings

    def mean(self) -> float:
        return float(self.ratings.mean()) if self.n_ratings else 0.0

    def item_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """(sums, counts) per catalog row, each (n_items,) float64 / int64."""
        sums = np.bincount(self.rows, weights=self.ratings, minlength=self.n_items)
        counts = np.bincount(self.rows, minlength=self.n_items)
        return sums, counts


def training_ratings(ds) -> CatalogRatings:
    """Catalog ratings of the training users (held-out users removed here, once)."""
    from training.errors import CommandError

    train = dataset_ratings(ds, "training")
    if train.n_ratings == 0:
        raise CommandError("the dataset has no training ratings of catalog movies; ingest more data")
    return train


def heldout_ratings(ds) -> CatalogRatings:
    """Catalog ratings of the held-out (cold-start test) users: evaluation only."""
    return dataset_ratings(ds, "heldout")


def dataset_ratings(ds, users: str = "training") -> CatalogRatings:
    """Catalog ratings of an ingested dataset's "training" users, "heldout" users or "all" users.

    The held-out (cold-start test) users of the published split are removed
    here, once; "all" is for user-level cross-validation, where every user is
    a test user in one fold.
    """
    if users not in ("training", "heldout", "all"):
        raise ValueError(f"users must be 'training', 'heldout' or 'all', not {users!r}")
    frame = ds.ratings(columns=["user_id", "movie_id", "rating"], catalog_only=True)
    if users != "all":
        heldout = np.isin(frame["user_id"].to_numpy(), ds.heldout_user_ids)
        frame = frame[heldout if users == "heldout" else ~heldout]
    return CatalogRatings.from_frame(frame, ds.catalog["movie_id"].to_numpy())
