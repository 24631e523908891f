"""Synthetic Netflix Prize files of any size, shaped like the real data.

Ratings come from a planted low-rank model (rank 8 user and movie factors,
user and movie biases, noise), rounded and clipped to 1-5 stars. Who rates
what follows the real data's skew: movie popularity and user activity are
log-normal, so a few movies and users hold most ratings, and popular movies
are rated a little higher. Dates spread over 1999-11-11 .. 2005-12-31,
growing over time. The files are written in the Netflix format
(combined_data_1..4.txt, movie_titles.csv, probe.txt) and then ingested by the
same parser as the real files, so benchmarks exercise the real path.

The planted model's strengths are calibrated against the Netflix Prize's
ladder of probe RMSEs: global mean about 1.13, item mean + user bias about
0.98 (13% less), a tuned SVD about 0.90 (another 8% less: the part of the
error that is taste). On these files, with the probe pairs held out, the same
ladder measured (2026-11-27; tests/unit/test_synthetic_ladder.py):

    synthetic:4800,1777,1000000      1.131, 0.982, 0.904 (ratios 0.868, 0.921)
    synthetic:48000,17770,10000000   1.110, 0.961, 0.890 (ratios 0.865, 0.926)

Before the calibration (taste 2.2, noise 0.85) the 1M ladder was 1.132,
1.030, 0.835: far too much of the error was learnable taste.

Generation is deterministic for a given (users, movies, ratings, seed).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from training.atomic import atomic_directory
from training.ingest.errors import IngestError
from training.ingest.netflix import TAIL

GENERATOR = 2  # bump when the files a spec gives change (2: calibrated to the Netflix ladder)
RANK = 8
# The planted model, calibrated so that the ladder of baselines shows the Netflix Prize's gaps (see the
# module docstring): star = round(MEAN + b_user + b_movie + TASTE * p_user . q_movie + noise), clipped to 1..5.
MEAN = 3.55
USER_BIAS_SD = 0.42
MOVIE_BIAS_SD = 0.52
POPULARITY_BIAS_SD = 0.15  # popular movies are rated a little higher
TASTE = 1.5  # p and q are N(0, 1/RANK) per coordinate, so TASTE * p . q has sd TASTE / sqrt(RANK)
NOISE_SD = 0.93
N_FILES = 4
FIRST_DAY = 10_906  # 1999-11-11
LAST_DAY = 13_148  # 2005-12-31
MAX_CUSTOMER_ID = 2_649_429  # the real data's largest id; ids are a sparse subset as in the real files


def parse_spec(spec: str) -> tuple[int, int, int]:
    try:
        users, movies, ratings = (int(x.replace("_", "")) for x in spec.split(","))
    except ValueError:
        raise IngestError(f"synthetic:{spec} is not synthetic:USERS,MOVIES,RATINGS (three whole numbers)") from None
    if users < 1 or movies < 1 or ratings < 1:
        raise IngestError(f"synthetic:{spec}: users, movies and ratings must all be positive")
    if ratings > users * movies // 2:
        raise IngestError(f"synthetic:{spec}: at most users*movies/2 = {users * movies // 2:,} ratings fit")
    return users, movies, ratings


def generate(folder: Path, users: int, movies: int, ratings: int, seed: int = 0, progress: bool = True) -> Path:
    """Write the files into ``folder`` (reused when a complete one for the same spec is there)."""
    spec = {"users": users, "movies": movies, "ratings": ratings, "seed": seed, "generator": GENERATOR}
    done = folder / "COMPLETE.json"
    if done.exists() and json.loads(done.read_text()) == spec:
        return folder
    with atomic_directory(folder) as tmp:
        _write(tmp, users, movies, ratings, seed, progress)
        (tmp / "COMPLETE.json").write_text(json.dumps(spec))
    return folder


def _write(folder: Path, n_users: int, n_movies: int, n_ratings: int, seed: int, progress: bool) -> None:
    rng = np.random.default_rng(seed)
    customer_ids = _customer_ids(rng, n_users)
    activity = rng.lognormal(0.0, 1.1, n_users)
    popularity = rng.lognormal(0.0, 1.8, n_movies)
    counts = _counts(popularity, n_ratings, n_users)
    user_factors = rng.normal(0, 1 / np.sqrt(RANK), (n_users, RANK)).astype(np.float32)
    movie_factors = rng.normal(0, 1 / np.sqrt(RANK), (n_movies, RANK)).astype(np.float32)
    user_bias = rng.normal(0, USER_BIAS_SD, n_users).astype(np.float32)
    log_pop = np.log(popularity)
    movie_bias = (
        rng.normal(0, MOVIE_BIAS_SD, n_movies) + POPULARITY_BIAS_SD * (log_pop - log_pop.mean()) / log_pop.std()
    ).astype(np.float32)
    years = np.clip(np.round(rng.normal(1994, 12, n_movies)), 1915, 2005).astype(int)

    with open(folder / "movie_titles.csv", "w", encoding="iso-8859-1") as f:
        for m in range(n_movies):
            year = "NULL" if m % 997 == 996 else str(years[m])  # a few unknown years, as in the real file
            f.write(f"{m + 1},{year},Synthetic Movie {m + 1}, Part {m % 7 + 1}\n")  # unquoted comma, as real titles

    cum_activity = np.cumsum(activity)
    cum_activity /= cum_activity[-1]
    boundaries = np.searchsorted(np.cumsum(counts), np.arange(1, N_FILES) * n_ratings / N_FILES)
    file_of_movie = np.searchsorted(boundaries, np.arange(n_movies), side="right")
    with (
        open(folder / "probe.txt", "wb") as probe,
        tqdm(total=n_ratings, unit="ratings", unit_scale=True, desc="generate synthetic", disable=not progress) as bar,
    ):
        for k in range(N_FILES):
            members = np.flatnonzero(file_of_movie == k)
            with open(folder / f"combined_data_{k + 1}.txt", "wb") as out:
                for group in _groups(members, counts, target=4_000_000):
                    movie, user = _draw_raters(rng, group, counts, cum_activity)
                    score = (
                        MEAN
                        + user_bias[user]
                        + movie_bias[movie]
                        + TASTE * np.einsum("ij,ij->i", user_factors[user], movie_factors[movie])
                        + rng.normal(0, NOISE_SD, len(user)).astype(np.float32)
                    )
                    stars = np.clip(np.rint(score), 1, 5).astype(np.uint8)
                    days = FIRST_DAY + ((LAST_DAY - FIRST_DAY) * np.sqrt(rng.random(len(user)))).astype(np.int64)
                    _write_block(out, probe, rng, movie, customer_ids[user], stars, days)
                    bar.update(len(user))


def _customer_ids(rng: np.random.Generator, n_users: int) -> np.ndarray:
    """Distinct customer ids, a sparse subset of 1..max as in the real files, in random order."""
    top = max(MAX_CUSTOMER_ID, int(n_users * 1.2))
    ids = rng.choice(top, size=n_users, replace=False) + 1
    return ids.astype(np.int64)


def _counts(popularity: np.ndarray, n_ratings: int, n_users: int) -> np.ndarray:
    """Ratings per movie: proportional to popularity, each at least 1 and at most half the users."""
    cap = max(1, n_users // 2)
    counts = np.zeros(len(popularity), dtype=np.int64)
    weights = popularity.copy()
    remaining = n_ratings
    while remaining > 0:
        open_ = counts < cap
        share = weights * open_
        add = np.floor(remaining * share / share.sum()).astype(np.int64)
        add = np.minimum(add, cap - counts)
        if add.sum() == 0:  # hand out the last few to the most popular open movies
            order = np.argsort(-share)[:remaining]
            add[order[share[order] > 0]] = 1
        counts += add
        remaining = n_ratings - counts.sum()
    return counts


def _groups(members: np.ndarray, counts: np.ndarray, target: int):
    """Consecutive runs of movies holding about ``target`` ratings each."""
    start = 0
    running = np.cumsum(counts[members])
    while start < len(members):
        base = running[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(running, base + target, side="right")))
        yield members[start:stop]
        start = stop


def _draw_raters(rng, group: np.ndarray, counts: np.ndarray, cum_activity: np.ndarray):
    """Distinct raters for each movie of ``group``, drawn in proportion to user activity.

    Returns (movie, user) index arrays grouped by movie, users in random order
    within a movie. Draws with replacement, drops repeats and tops up; a movie
    that still lacks raters after a few rounds keeps the ones it has.
    """
    n_users = len(cum_activity)
    want = counts[group]
    keys = np.empty(0, dtype=np.int64)  # row-in-group * n_users + user, sorted, distinct
    for _ in range(10):
        need = want - np.bincount(keys // n_users, minlength=len(group))
        if not need.any():
            break
        draws = np.ceil(need * 1.3).astype(np.int64) + 2 * (need > 0)
        rows = np.repeat(np.arange(len(group), dtype=np.int64), draws)
        users = np.minimum(np.searchsorted(cum_activity, rng.random(len(rows))), n_users - 1)
        new = _distinct_sorted(rows * n_users + users)
        if len(keys):  # drop raters already chosen
            at = np.minimum(np.searchsorted(keys, new), len(keys) - 1)
            new = new[keys[at] != new]
        new = new[_shuffle_within(new // n_users, rng)]
        r = new // n_users
        rank = np.arange(len(new)) - np.searchsorted(r, np.arange(len(group)))[r]
        keys = np.sort(np.concatenate([keys, new[rank < need[r]]]))
    rows = keys // n_users
    order = _shuffle_within(rows, rng)
    return group[rows[order]], (keys % n_users)[order]


def _distinct_sorted(x: np.ndarray) -> np.ndarray:
    x = np.sort(x)
    return x[np.concatenate([[True], x[1:] != x[:-1]])] if len(x) else x


def _shuffle_within(groups: np.ndarray, rng) -> np.ndarray:
    """An order that keeps ``groups`` (non-negative, < 2**31) ascending and shuffles inside each."""
    return np.argsort(groups << 32 | rng.integers(0, 1 << 32, len(groups), dtype=np.int64))


def _write_block(out, probe, rng, movie: np.ndarray, customer: np.ndarray, stars: np.ndarray, days: np.ndarray):
    """Write rating lines grouped under 'MovieID:' headers; about 1.4% of pairs also go to probe.txt."""
    text = _format_lines(customer, stars, days)
    widths = _digits(customer) + TAIL + 1
    offsets = np.concatenate([[0], np.cumsum(widths)])
    bounds = np.flatnonzero(np.diff(movie)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [len(movie)]])
    in_probe = rng.random(len(movie)) < 0.014
    for a, b in zip(starts, stops, strict=True):
        m = int(movie[a]) + 1
        out.write(f"{m}:\n".encode())
        out.write(text[offsets[a] : offsets[b]])
        picked = customer[a:b][in_probe[a:b]]
        if len(picked):
            probe.write(f"{m}:\n".encode() + b"".join(b"%d\n" % c for c in picked))


def _digits(x: np.ndarray) -> np.ndarray:
    return np.maximum(1, np.floor(np.log10(np.maximum(x, 1))).astype(np.int64) + 1)


def _format_lines(customer: np.ndarray, stars: np.ndarray, days: np.ndarray) -> bytes:
    """'CustomerID,Rating,YYYY-MM-DD\\n' for every rating, built with numpy (no Python loop)."""
    n = len(customer)
    width = 7 + TAIL + 1
    grid = np.zeros((n, width), dtype=np.uint8)
    c = customer.copy()
    for k in range(6, -1, -1):  # right-aligned customer id in columns 0..6
        grid[:, k] = 48 + c % 10
        c //= 10
    y, mo, d = _civil_from_days(days)
    tail = grid[:, 7:]
    tail[:, 0] = 44
    tail[:, 1] = 48 + stars
    tail[:, 2] = 44
    for k, v in enumerate((y // 1000, y // 100 % 10, y // 10 % 10, y % 10)):
        tail[:, 3 + k] = 48 + v
    tail[:, 7] = 45
    tail[:, 8], tail[:, 9] = 48 + mo // 10, 48 + mo % 10
    tail[:, 10] = 45
    tail[:, 11], tail[:, 12] = 48 + d // 10, 48 + d % 10
    tail[:, 13] = 10
    keep = np.ones((n, width), dtype=bool)
    keep[:, :7] = np.arange(7) >= (7 - _digits(customer))[:, None]  # drop the id's leading zeros
    return grid[keep].tobytes()


def _civil_from_days(days: np.ndarray):
    """Inverse of days_from_civil: (year, month, day) arrays of days since 1970-01-01."""
    z = days.astype(np.int64) + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d
