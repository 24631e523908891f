"""Model 1 as it was before issue 12 (kept only as the benchmark's "before"; never imported by training).

ALS with each side's Gram matrices from one sparse product over every rating,
and the training RMSE from (n_ratings, 15) temporaries: 27 s for 12
iterations at 10M ratings and about 34 s an iteration at 100M on the 2-core
machine. ``training.models.movie_factors`` replaced it with dense catalog
blocks; ``tests/bench/scale.py`` times both on the same data.
"""

from __future__ import annotations

import numpy as np

from training.models import layout
from training.models.movie_factors import MovieFactors, MovieFactorsConfig

CHUNK_ROWS = 200_000


def ridge_rows(
    indptr: np.ndarray,
    cols: np.ndarray,
    targets: np.ndarray,
    other: np.ndarray,
    reg: np.ndarray,
    prior: np.ndarray | None = None,
) -> np.ndarray:
    """Per row r of a CSR table: argmin_z sum_j (t_rj - a_j . z)^2 + sum_d reg_d (z_d - prior_rd)^2.

    indptr (R + 1,), cols (nnz,), targets (nnz,): the table; other (C, D): a_j per column;
    reg (D,): ridge per coordinate; prior (R, D) or None (zero). Returns (R, D) float64.
    Rows with no entries get their prior.
    """
    from scipy import sparse

    n_rows, d = len(indptr) - 1, other.shape[1]
    other = np.asarray(other, dtype=np.float64)
    reg = np.asarray(reg, dtype=np.float64)
    prior_ = np.zeros((n_rows, d)) if prior is None else np.asarray(prior, dtype=np.float64)
    # Each row's Gram matrix is the sum of its columns' outer products: one sparse @ dense product
    # ((R, C) 0/1 pattern times (C, D*D) outer products) instead of a Python loop or (nnz, D, D) temporaries.
    outer = (other[:, :, None] * other[:, None, :]).reshape(len(other), d * d)
    pattern = sparse.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(n_rows, len(other)))
    values = sparse.csr_matrix((np.asarray(targets, dtype=np.float64), cols, indptr), shape=(n_rows, len(other)))
    out = np.empty((n_rows, d))
    for start in range(0, n_rows, CHUNK_ROWS):
        end = min(start + CHUNK_ROWS, n_rows)
        gram = (pattern[start:end] @ outer).reshape(end - start, d, d) + np.diag(reg)[None]
        rhs = values[start:end] @ other + reg[None] * prior_[start:end]
        out[start:end] = np.linalg.solve(gram, rhs[..., None])[..., 0]  # no entries: gram = diag(reg), z = prior
    return out


def _transpose(train):
    """The ratings as a per-movie CSR table: (indptr (n_movies + 1,), user positions, ratings)."""
    users, rows, ratings = train.triples()
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(train.n_items + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=train.n_items), out=indptr[1:])
    return indptr, users[order], ratings[order].astype(np.float64)


def fit_movie_factors(
    train, features: np.ndarray, offset: float, config: MovieFactorsConfig | None = None, log=None
) -> MovieFactors:
    """Fit on ``train`` (CatalogRatings of training users only); ``features``: (n_movies, F) title + year."""
    config = config or MovieFactorsConfig()
    rng = np.random.default_rng(config.seed)
    f = config.factors
    mu = train.mean()
    sums, counts = train.item_stats()
    item_bias = (sums - counts * mu) / (counts + config.bias_shrink)
    feats = np.asarray(features, dtype=np.float64)
    feats = np.concatenate([feats, np.ones((len(feats), 1))], axis=1)
    items = np.concatenate([rng.normal(0, 0.1, (train.n_items, f)), item_bias[:, None]], axis=1)  # [q, b_movie]
    users = np.zeros((train.n_users, f + 1))  # [p, b_user]
    m_indptr, m_users, m_ratings = _transpose(train)
    reg_u = np.full(f + 1, config.reg_user)
    reg_m = np.full(f + 1, config.reg_movie)
    history: dict[str, list[float]] = {"train_rmse": []}
    for _ in range(config.iterations):
        other = np.concatenate([items[:, :f], np.ones((train.n_items, 1))], axis=1)
        users = ridge_rows(train.indptr, train.rows, train.ratings - mu - items[train.rows, f], other, reg_u)
        # content prior for the movie factors: W maps title + year features to factors
        w = np.linalg.solve(feats.T @ feats + config.content_reg * np.eye(feats.shape[1]), feats.T @ items[:, :f])
        prior = np.concatenate([feats @ w, np.zeros((train.n_items, 1))], axis=1)
        reg_prior = reg_m.copy()
        reg_prior[f] = config.bias_shrink  # the bias is shrunk toward 0, as the item-mean baseline's
        other = np.concatenate([users[:, :f], np.ones((train.n_users, 1))], axis=1)
        items = ridge_rows(m_indptr, m_users, m_ratings - mu - users[m_users, f], other, reg_prior, prior)
        pred = (
            mu
            + items[train.rows, f]
            + np.repeat(users[:, f], train.counts())
            + np.einsum("ij,ij->i", items[train.rows, :f], np.repeat(users[:, :f], train.counts(), axis=0))
        )
        history["train_rmse"].append(float(np.sqrt(np.mean((pred - train.ratings) ** 2))))
    vectors = layout.movie_vectors(items[:, :f], mu - offset + items[:, f])
    if log:
        log(f"Model 1 (ALS): training rmse {history['train_rmse'][-1]:.4f} after {config.iterations} iterations")
    return MovieFactors(vectors=vectors, offset=float(offset), users=users, history=history)
