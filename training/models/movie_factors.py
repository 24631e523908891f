"""Model 1 by alternating least squares: collaborative movie vectors with the title and year as their prior.

The same two-tower bilinear model as the Keras Model 1 (``movie_vectors``)
and the same 16-D layout (``layout``), fitted in closed form:

    rating = mu + b_movie + b_user + q_movie . p_user

Users' [p, b_user] and movies' [q, b_movie] are solved in turn by ridge
regression, batched: users go through in dense blocks over the catalog, so
Gram matrices and right-hand sides are BLAS products and one (n, 16, 16)
solve per block; no Python loop per user, nothing the size of all ratings.
Each movie's factors are pulled toward what its title embedding and release
year predict (``q ~ W f``, W refitted by ridge after every movie
step), so a movie with few ratings gets the factors its content suggests and a
well-rated one gets the ones its ratings say. This is what makes the vectors
useful to a new user: the ratings of similar people, not only the wording of
titles, decide where a movie lies (the Keras fit's factors came mostly from the
titles, and a ridge fold-in on them scored 0.90-0.97 RMSE at k = 16 against
0.874 for a plain ALS fold-in; docs/models.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from screen_genius import fold_in
from training import progress
from training.models import layout

CHUNK_USERS = 16_384  # users per dense block: (16K, catalog) float32 blocks and their (16K, 16, 16) Gram matrices


@dataclass
class MovieFactorsConfig:
    factors: int = layout.FACTORS
    reg_user: float = 8.0
    reg_movie: float = 8.0
    content_reg: float = 10.0  # ridge of the content -> factors map W
    iterations: int = 12
    bias_shrink: float = 5.0
    seed: int = 0


@dataclass
class MovieFactors:
    """``vectors``: (n_movies, 16) float32 in the layout of ``layout``; ``users``: (n_users, 15) [p, b_user]."""

    vectors: np.ndarray
    offset: float
    users: np.ndarray
    history: dict = field(default_factory=dict)


def _outer(a: np.ndarray) -> np.ndarray:
    """(n, D) -> (n, D (D + 1) / 2) float32: each row's outer product with itself, upper triangle only."""
    a = np.asarray(a, dtype=np.float32)
    i, j = np.triu_indices(a.shape[1])
    return a[:, i] * a[:, j]


def _symmetric(upper: np.ndarray, d: int) -> np.ndarray:
    """(n, D (D + 1) / 2) upper triangles -> (n, D, D) float64 symmetric matrices."""
    i, j = np.triu_indices(d)
    full = np.zeros((len(upper), d, d))
    full[:, i, j] = upper
    full[:, j, i] = upper
    return full


def _solve(gram: np.ndarray, rhs: np.ndarray, reg: np.ndarray, prior: np.ndarray | None) -> np.ndarray:
    """Batched ridge: (gram + diag(reg)) z = rhs + reg * prior, in float64. A row with no entries gets its prior."""
    gram = np.asarray(gram, dtype=np.float64) + np.diag(reg)[None]
    rhs = np.asarray(rhs, dtype=np.float64) + (0.0 if prior is None else reg[None] * prior)
    return np.linalg.solve(gram, rhs[..., None])[..., 0]


def solve_users(train, items: np.ndarray, mu: float, reg: np.ndarray) -> np.ndarray:
    """Every user's [p, b_user] (n_users, f + 1) given the movies' [q, b_movie] (n_items, f + 1).

    Per user: argmin sum_i (r_ui - mu - b_i - [q_i, 1] . z)^2 + sum_d reg_d z_d^2.
    Users are taken CHUNK_USERS at a time as dense blocks over the catalog, so
    each block's Gram matrices and right-hand sides are two BLAS products
    (the catalog is a thousand movies: dense is faster than sparse here, and
    nothing the size of all ratings is ever allocated).
    """
    f = items.shape[1] - 1
    other = np.concatenate([items[:, :f], np.ones((len(items), 1))], axis=1)
    outer, other32 = _outer(other), other.astype(np.float32)
    out = np.empty((train.n_users, f + 1))
    for start, end in train.blocks(CHUNK_USERS):
        a, b = train.indptr[start], train.indptr[end]
        pattern = train.dense(start, end, 1.0)
        values = train.dense(start, end, train.ratings[a:b] - mu - items[train.rows[a:b], f])
        out[start:end] = _solve(_symmetric(pattern @ outer, f + 1), values @ other32, reg, None)
    return out


def solve_items(train, users: np.ndarray, mu: float, reg: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Every movie's [q, b_movie] (n_items, f + 1) given the users' [p, b_user], pulled toward ``prior``.

    Per movie: argmin sum_u (r_ui - mu - b_u - [p_u, 1] . z)^2 + sum_d reg_d (z_d - prior_d)^2.
    The Gram matrices and right-hand sides are sums over users, accumulated
    block by block (float64 between blocks).
    """
    f = users.shape[1] - 1
    d = f + 1
    gram = np.zeros((train.n_items, d * (d + 1) // 2))
    rhs = np.zeros((train.n_items, d))
    for start, end in train.blocks(CHUNK_USERS):
        a, b = train.indptr[start], train.indptr[end]
        other = np.concatenate([users[start:end, :f], np.ones((end - start, 1))], axis=1)
        local = np.repeat(np.arange(end - start), np.diff(train.indptr[start : end + 1]))
        pattern = train.dense(start, end, 1.0)
        values = train.dense(start, end, train.ratings[a:b] - mu - users[start:end, f][local])
        gram += pattern.T @ _outer(other)
        rhs += values.T @ other.astype(np.float32)
    return _solve(_symmetric(gram, d), rhs, reg, prior)


def train_rmse(train, items: np.ndarray, users: np.ndarray, mu: float) -> float:
    """RMSE of mu + b_movie + b_user + q . p on ``train``'s ratings, block by block (dense over the catalog)."""
    f = items.shape[1] - 1
    movies = np.concatenate([items[:, :f], np.ones((len(items), 1))], axis=1).T.astype(np.float32)
    sse = 0.0
    for start, end in train.blocks(CHUNK_USERS):
        a, b = train.indptr[start], train.indptr[end]
        pred = users[start:end].astype(np.float32) @ movies + (mu + items[:, f]).astype(np.float32)[None]
        error = (pred - train.dense(start, end, train.ratings[a:b])) * train.dense(start, end, 1.0)
        sse += float(np.einsum("ij,ij->", error, error, dtype=np.float64))
    return float(np.sqrt(sse / max(train.n_ratings, 1)))


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
    reg_u = np.full(f + 1, config.reg_user)
    reg_prior = np.full(f + 1, config.reg_movie)
    reg_prior[f] = config.bias_shrink  # the bias is shrunk toward 0, as the item-mean baseline's
    history: dict[str, list[float]] = {"train_rmse": []}
    for _ in progress.bar(range(config.iterations), desc="Model 1 (ALS)", unit="iteration"):
        users = solve_users(train, items, mu, reg_u)
        # content prior for the movie factors: W maps title + year features to factors
        w = np.linalg.solve(feats.T @ feats + config.content_reg * np.eye(feats.shape[1]), feats.T @ items[:, :f])
        prior = np.concatenate([feats @ w, np.zeros((train.n_items, 1))], axis=1)
        items = solve_items(train, users, mu, reg_prior, prior)
        history["train_rmse"].append(train_rmse(train, items, users, mu))
    vectors = layout.movie_vectors(items[:, :f], mu - offset + items[:, f])
    if log:
        log(f"Model 1 (ALS): training rmse {history['train_rmse'][-1]:.4f} after {config.iterations} iterations")
    return MovieFactors(vectors=vectors, offset=float(offset), users=users, history=history)


def without_users(
    factors: MovieFactors,
    train,
    drop: np.ndarray,
    features: np.ndarray,
    config: MovieFactorsConfig | None = None,
    iterations: int = 2,
) -> np.ndarray:
    """(n_movies, 16) movie vectors as if the users of ``drop`` had not been in Model 1's fit.

    ``factors`` was fitted on ``train``; ``drop`` (train.n_users,) bool marks
    the users to take out. Starting from the fit, ``iterations`` more ALS
    iterations (users, content prior, movies) run on the other users' ratings
    alone: a sixth of the fit at the default 12, cheap at any size. What it
    is for: a fold-in on these vectors scores the dropped users as it would
    score newcomers, whose ratings were never in the fit (a fold-in on the
    fitted vectors scores them with their own ratings already inside the
    movies, and rewards too little shrinkage).
    """
    config = config or MovieFactorsConfig()
    f = config.factors
    mu = train.mean()
    vectors = np.asarray(factors.vectors, dtype=np.float64)
    items = np.concatenate([vectors[:, :f], vectors[:, [layout.MOVIE_BIAS]] - (mu - factors.offset)], axis=1)
    feats = np.asarray(features, dtype=np.float64)
    feats = np.concatenate([feats, np.ones((len(feats), 1))], axis=1)
    reg_u = np.full(f + 1, config.reg_user)
    reg_prior = np.full(f + 1, config.reg_movie)
    reg_prior[f] = config.bias_shrink
    kept = train.subset(np.flatnonzero(~np.asarray(drop, dtype=bool)))
    for _ in range(iterations):
        users = solve_users(kept, items, mu, reg_u)
        w = np.linalg.solve(feats.T @ feats + config.content_reg * np.eye(feats.shape[1]), feats.T @ items[:, :f])
        prior = np.concatenate([feats @ w, np.zeros((train.n_items, 1))], axis=1)
        items = solve_items(kept, users, mu, reg_prior, prior)
    return layout.movie_vectors(items[:, :f], mu - factors.offset + items[:, f])


FOLD_IN_REGS = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0)  # fold-in ridges chosen among on validation users


def fold_in_stars(
    vectors: np.ndarray, offset: float, given_rows: np.ndarray, given_ratings: np.ndarray, reg: float = 8.0
) -> np.ndarray:
    """(B, n_movies) float64 stars of the exact ridge fold-in on ``vectors``: the user tower's starting point.

    Per user, [p, b_user] = argmin sum (r - offset - b_movie - q.p - b_user)^2 + reg |[p, b_user]|^2 over the
    given movies (``given_rows`` (B, K), -1 = empty); nothing given gives offset + b_movie. The function's
    implementation (``screen_genius.fold_in``), with the tower's default starting ridge.
    """
    return fold_in.fold_in_stars(vectors, offset, given_rows, given_ratings, reg)
