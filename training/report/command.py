"""`python -m training report`: the EDA report of an ingested dataset."""

from __future__ import annotations

import argparse
import html
from pathlib import Path

import numpy as np

from training.atomic import atomic_directory
from training.dataset import load_dataset
from training.report import figures
from training.report.stats import gather


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("data/movielens-sample"),
        help="ingested dataset directory (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, default=Path("reports/eda"), help="report directory (default: %(default)s)")


def main(args: argparse.Namespace) -> int:
    index = write_report(args.data, args.out)
    print(f"EDA report: {index}")
    return 0


def write_report(data: Path, out: Path) -> Path:
    """Write index.html and its PNG figures into ``out`` (replaced whole, never half-written)."""
    ds = load_dataset(data)
    stats = gather(ds)
    catalog_size = len(ds.catalog)
    plots = [
        ("rating_distribution", "Rating distribution", figures.rating_distribution(stats)),
        ("ratings_per_movie", "Ratings per movie (long tail)", figures.ratings_per_movie(stats)),
        ("ratings_per_user", "Ratings per user (long tail)", figures.ratings_per_user(stats)),
        ("mean_vs_popularity", "Mean rating against popularity", figures.mean_rating_vs_popularity(stats)),
        ("release_years", "Release years", figures.release_years(ds.movies, stats)),
        ("ratings_over_time", "Ratings over time", figures.ratings_over_time(stats)),
        ("catalog_cutoff", "Where the catalog cut-off falls", figures.catalog_cutoff(stats, catalog_size)),
    ]
    out = Path(out)
    with atomic_directory(out) as tmp:
        for name, _, fig in plots:
            fig.savefig(tmp / f"{name}.png", dpi=110, bbox_inches="tight")
            figures.plt.close(fig)
        (tmp / "index.html").write_text(_html(ds, stats, plots))
    return out / "index.html"


def _html(ds, stats, plots) -> str:
    info = ds.info
    c = info["counts"]
    ranked = np.sort(stats.movie_counts)[::-1]
    n = min(len(ds.catalog), len(ranked))
    density = c["ratings"] / (c["users"] * c["movies"]) * 100
    rows = [
        ("source", info["source"]),
        ("ratings", f"{c['ratings']:,}"),
        ("users", f"{c['users']:,} ({c['heldout_users']:,} held out as cold-start test users)"),
        ("movies rated", f"{c['movies']:,}"),
        ("density", f"{density:.3f}% of user x movie pairs"),
        ("rating scale", ds.rating_scale.describe()),
        ("mean rating", f"{(stats.rating_values * stats.rating_counts).sum() / stats.rating_counts.sum():.3f}"),
        ("dates", f"{info['dates']['first']} to {info['dates']['last']}"),
        (
            "catalog",
            f"{n} most-rated movies hold {ranked[:n].sum() / ranked.sum() * 100:.1f}% of ratings; "
            f"the last has {ranked[n - 1]:,} ratings",
        ),
    ]
    if c.get("probe_pairs"):
        rows.append(("probe pairs", f"{c['probe_pairs']:,}"))
    if info.get("skipped"):
        rows.append(("skipped", ", ".join(f"{k}: {v:,}" for k, v in info["skipped"].items())))
    table = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    body = "\n".join(
        f'<h2 id="{name}">{html.escape(title)}</h2>\n<img src="{name}.png" alt="{html.escape(title)}">'
        for name, title, _ in plots
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EDA: {html.escape(info["name"])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}th,td{{text-align:left;padding:.25em 1em .25em 0}}img{{max-width:100%}}</style>
</head><body>
<h1>Exploratory data analysis: {html.escape(info["name"])}</h1>
<table>{table}</table>
{body}
</body></html>
"""
