"""The EDA figures: one function per figure, each returning a matplotlib Figure.

They cover what the original visualization notebook did: the rating
distribution, the long tails of ratings per movie and per user, mean rating
against popularity, release years, ratings over time, and where the catalog
cut-off falls in the popularity curve.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from training.report.stats import RatingStats

SIZE = (7.0, 4.0)


def rating_distribution(s: RatingStats):
    fig, ax = plt.subplots(figsize=SIZE)
    width = 0.8 * (s.rating_values[1] - s.rating_values[0] if len(s.rating_values) > 1 else 1)
    ax.bar(s.rating_values, s.rating_counts / s.rating_counts.sum() * 100, width=width, color="#4c72b0")
    ax.set(xlabel="rating (stars)", ylabel="share of ratings (%)", title="Rating distribution", xticks=s.rating_values)
    return fig


def _long_tail(ax_rank, ax_hist, counts: np.ndarray, what: str):
    ranked = np.sort(counts)[::-1]
    ax_rank.loglog(np.arange(1, len(ranked) + 1), ranked, color="#4c72b0")
    ax_rank.set(xlabel=f"{what} rank (most-rated first)", ylabel="ratings", title=f"Ratings per {what}")
    bins = np.logspace(0, np.log10(max(2, ranked[0])) + 0.01, 40)
    ax_hist.hist(counts, bins=bins, color="#55a868")
    ax_hist.set(
        xscale="log",
        yscale="log",
        xlabel=f"ratings per {what}",
        ylabel=f"{what}s",
        title=f"median {np.median(counts):,.0f}, mean {counts.mean():,.1f}, max {counts.max():,}",
    )


def ratings_per_movie(s: RatingStats):
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    _long_tail(a, b, s.movie_counts, "movie")
    fig.tight_layout()
    return fig


def ratings_per_user(s: RatingStats):
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    _long_tail(a, b, s.user_counts, "user")
    fig.tight_layout()
    return fig


def mean_rating_vs_popularity(s: RatingStats):
    fig, ax = plt.subplots(figsize=SIZE)
    ax.scatter(s.movie_counts, s.movie_means, s=4, alpha=0.3, color="#4c72b0", linewidths=0)
    edges = np.logspace(0, np.log10(s.movie_counts.max()) + 0.01, 15)
    which = np.digitize(s.movie_counts, edges)
    centers, means = [], []
    for b in np.unique(which):
        sel = which == b
        centers.append(np.exp(np.log(s.movie_counts[sel]).mean()))
        means.append(np.average(s.movie_means[sel], weights=s.movie_counts[sel]))
    ax.plot(centers, means, color="#c44e52", marker="o", label="mean of the bin")
    ax.set(xscale="log", xlabel="ratings of the movie", ylabel="mean rating", title="Mean rating against popularity")
    ax.legend()
    return fig


def release_years(movies: pd.DataFrame, s: RatingStats):
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    years = movies["year"].dropna().astype(int)
    a.hist(years, bins=np.arange(years.min(), years.max() + 2) if len(years) else 10, color="#4c72b0")
    a.set(
        xlabel="release year", ylabel="movies", title=f"Movies by release year ({movies['year'].isna().sum()} unknown)"
    )
    counts = pd.Series(s.movie_counts, index=s.movie_ids)
    by_year = movies.set_index("movie_id")["year"].reindex(counts.index)
    rated = pd.DataFrame({"year": by_year, "n": counts}).dropna().groupby("year")["n"].sum()
    b.bar(rated.index.astype(int), rated.to_numpy(), width=1.0, color="#55a868")
    b.set(xlabel="release year", ylabel="ratings", title="Ratings by the movie's release year")
    fig.tight_layout()
    return fig


def ratings_over_time(s: RatingStats):
    fig, ax = plt.subplots(figsize=SIZE)
    ax.plot(s.months.astype("datetime64[D]"), s.month_counts, color="#4c72b0")
    ax.set(xlabel="month", ylabel="ratings", title="Ratings over time")
    fig.autofmt_xdate()
    return fig


def catalog_cutoff(s: RatingStats, catalog_size: int):
    fig, ax = plt.subplots(figsize=SIZE)
    ranked = np.sort(s.movie_counts)[::-1]
    share = np.cumsum(ranked) / ranked.sum() * 100
    ax.plot(np.arange(1, len(ranked) + 1), share, color="#4c72b0")
    n = min(catalog_size, len(ranked))
    ax.axvline(n, color="#c44e52", linestyle="--")
    ax.annotate(
        f"catalog: top {n} movies\n{share[n - 1]:.1f}% of ratings\ncut-off at {ranked[n - 1]:,} ratings",
        xy=(n, share[n - 1]),
        xytext=(10, -60),
        textcoords="offset points",
        color="#c44e52",
    )
    ax.set(
        xscale="log",
        xlabel="movies, most-rated first",
        ylabel="cumulative share of ratings (%)",
        title="Where the catalog cut-off falls",
        ylim=(0, 101),
    )
    return fig
