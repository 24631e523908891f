"""Ingest benchmark: Netflix-format synthetic data of the real data's shape.

Measures the columnar ingest of 100M ratings / 480K users / 17,770 movies
(targets: at most 60 s and 3 GB peak RSS on the 2-core machine), and, side by
side in the same run on a 5M-rating slice of the same files, the original
approach (a Python line loop into lists, then a DataFrame) as a ratio.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from tests.bench.measure import measure

FULL = (480_189, 17_770, 100_480_507)  # the Netflix Prize training set's shape
SLICE_RATINGS = 5_000_000


def generate(folder: str, users: int, movies: int, ratings: int) -> str:
    from training.ingest.synthetic import generate as gen

    return str(gen(Path(folder), users, movies, ratings, progress=False))


def ingest_new(folder: str, out: str, catalog_size: int = 970) -> dict:
    from training.ingest import ingest

    summary = ingest(f"netflix:{folder}", out, catalog_size=catalog_size, progress=False)
    return summary["counts"]


def ingest_original(folder: str) -> int:
    """The original notebook's way: read every line in Python into lists, then build a DataFrame."""
    import pandas as pd

    customers, ratings, dates, movies = [], [], [], []
    for path in sorted(Path(folder).glob("combined_data_*.txt")):
        movie = None
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.endswith(":"):
                    movie = int(line[:-1])
                else:
                    customer, rating, date = line.split(",")
                    customers.append(int(customer))
                    ratings.append(int(rating))
                    dates.append(date)
                    movies.append(movie)
    df = pd.DataFrame({"customer_id": customers, "rating": ratings, "date": pd.to_datetime(dates), "movie_id": movies})
    return len(df)


def make_slice(source: Path, dest: Path, n_ratings: int) -> Path:
    """The first ``n_ratings`` ratings of ``source`` as a Netflix folder of one file."""
    if (dest / "COMPLETE").exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy(source / "movie_titles.csv", dest / "movie_titles.csv")
    written = 0
    with open(dest / "combined_data_1.txt", "w") as out:
        for path in sorted(source.glob("combined_data_*.txt")):
            with open(path) as f:
                for line in f:
                    if not line.endswith(":\n"):
                        if written == n_ratings:
                            break
                        written += 1
                    out.write(line)
            if written == n_ratings:
                break
    (dest / "COMPLETE").touch()
    return dest


def run(out_dir: Path, size: tuple[int, int, int] = FULL, raw_root: Path = Path("data/raw")) -> dict:
    users, movies, ratings = size
    raw = raw_root / f"synthetic-{users}-{movies}-{ratings}"
    t = time.perf_counter()
    generate(str(raw), users, movies, ratings)
    generated_s = time.perf_counter() - t
    work = out_dir / "ingest-work"
    full = measure("tests.bench.ingest:ingest_new", str(raw), str(work / "full"))
    slice_dir = make_slice(raw, raw_root / f"netflix-slice-{SLICE_RATINGS}", min(SLICE_RATINGS, ratings))
    # A slice holds only the first few hundred movies' blocks: a smaller catalog fits it.
    new = measure("tests.bench.ingest:ingest_new", str(slice_dir), str(work / "slice"), 100)
    old = measure("tests.bench.ingest:ingest_original", str(slice_dir))
    shutil.rmtree(work, ignore_errors=True)
    n = full["result"]["ratings"]
    n_slice = new["result"]["ratings"]
    result = {
        "dataset": {
            "users": users,
            "movies": movies,
            "ratings_requested": ratings,
            "ratings": n,
            "raw_bytes": sum(p.stat().st_size for p in raw.glob("combined_data_*.txt")),
            "generate_seconds": round(generated_s, 1),
        },
        "ingest_full": {
            "seconds": round(full["seconds"], 2),
            "rows_per_s": round(n / full["seconds"]),
            "peak_rss_mb": round(full["peak_rss_mb"]),
            "targets": {"seconds": 60, "peak_rss_mb": 3072},
        },
        "slice": {
            "ratings": n_slice,
            "new": {
                "seconds": round(new["seconds"], 2),
                "rows_per_s": round(n_slice / new["seconds"]),
                "peak_rss_mb": round(new["peak_rss_mb"]),
            },
            "original": {
                "seconds": round(old["seconds"], 2),
                "rows_per_s": round(n_slice / old["seconds"]),
                "peak_rss_mb": round(old["peak_rss_mb"]),
            },
            "speedup": round(old["seconds"] / new["seconds"], 1),
            "memory_ratio": round(old["peak_rss_mb"] / new["peak_rss_mb"], 1),
        },
    }
    (out_dir / "ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    (out_dir / "ingest.md").write_text(markdown(result))
    return result


def markdown(r: dict) -> str:
    f, s = r["ingest_full"], r["slice"]
    d = r["dataset"]
    return (
        f"### Ingest (Netflix format, synthetic: {d['ratings']:,} ratings, {d['users']:,} users, "
        f"{d['movies']:,} movies, {d['raw_bytes'] / 1e9:.2f} GB of text)\n\n"
        "| run | ratings | seconds | ratings/s | peak RSS MB |\n|---|---:|---:|---:|---:|\n"
        f"| columnar ingest, full | {d['ratings']:,} | {f['seconds']} | {f['rows_per_s']:,} | {f['peak_rss_mb']:,} |\n"
        f"| columnar ingest, slice | {s['ratings']:,} | {s['new']['seconds']} | {s['new']['rows_per_s']:,} | "
        f"{s['new']['peak_rss_mb']:,} |\n"
        f"| original (Python loop + DataFrame), slice | {s['ratings']:,} | {s['original']['seconds']} | "
        f"{s['original']['rows_per_s']:,} | {s['original']['peak_rss_mb']:,} |\n\n"
        f"On the slice, the columnar ingest is {s['speedup']}x faster and uses {s['memory_ratio']}x less memory"
        " than the original approach. Targets for the full run: 60 s, 3,072 MB.\n"
    )
