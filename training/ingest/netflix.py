"""The Netflix Prize files, as distributed.

    combined_data_1.txt .. combined_data_4.txt
        "MovieID:" header lines, each followed by "CustomerID,Rating,Date" lines
        (Rating 1-5, Date YYYY-MM-DD)
    movie_titles.csv
        MovieID,YearOfRelease,Title: ISO-8859-1, titles contain unquoted commas,
        the year can be NULL
    probe.txt (optional)
        "MovieID:" header lines, each followed by "CustomerID" lines

The rating files (about 2 GB of text for 100M ratings) are parsed with numpy
on 8 MiB blocks: every line of a block is checked and decoded at once, using
the fixed-width tail ",R,YYYY-MM-DD" of a rating line. The original read them
with a Python loop into lists, which took minutes and about 10 GB.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NoReturn

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from screen_genius.scale import WHOLE_STARS
from training.ingest.errors import IngestError, show_line
from training.ingest.store import MOVIES_SCHEMA, StoreWriter

BLOCK = 8 << 20  # bytes per parse step: large enough for numpy, small enough to keep RSS flat
NL, CR, COMMA, COLON, DASH, ZERO = 10, 13, 44, 58, 45, 48
TAIL = 13  # len(",R,YYYY-MM-DD")
MAX_ID_DIGITS = 9  # customer and movie ids must fit in int32


def rating_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("combined_data_*.txt"))
    if not files:
        raise IngestError(
            "no combined_data_*.txt files",
            folder,
            hint="point netflix:PATH at the folder holding the Netflix Prize files",
        )
    return files


def ingest_netflix(writer: StoreWriter, folder: Path, progress: bool = True) -> dict:
    """Parse a Netflix Prize folder into the store; returns what ingest.finish needs."""
    if not folder.is_dir():
        raise IngestError("not a folder", folder, hint="netflix:PATH names the folder holding the Netflix Prize files")
    files = rating_files(folder)
    movies = read_movie_titles(folder / "movie_titles.csv")
    known = np.zeros(int(movies["movie_id"].to_numpy().max()) + 1, dtype=bool)
    known[movies["movie_id"].to_numpy()] = True
    probe_path = folder / "probe.txt"
    probe = read_probe(probe_path, known) if probe_path.exists() else None

    total = sum(f.stat().st_size for f in files)
    bar = tqdm(total=total, unit="B", unit_scale=True, desc="ingest netflix", disable=not progress)
    seen_movies: dict[int, tuple[Path, int]] = {}
    # Files are independent: parse two at a time (numpy releases the GIL), one part file each.
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        results = list(pool.map(lambda f: parse_rating_file(f, writer, known, bar), files))
    bar.close()
    blank_lines = sum(blank for _, blank in results)
    for path, (headers, _) in zip(files, results, strict=True):
        for movie_id, line in headers:
            if movie_id in seen_movies:
                first = seen_movies[movie_id]
                raise IngestError(
                    f"movie {movie_id} appears again (first at {first[0].name} line {first[1]})",
                    path,
                    line,
                    hint="each movie's ratings must form one block",
                )
            seen_movies[movie_id] = (path, line)

    found = {
        "movies": movies,
        "rating_scale": WHOLE_STARS,
        "source": f"netflix:{folder}",
        "skipped": {"blank_lines": blank_lines} if blank_lines else {},
    }
    if probe is not None:
        users, movie_ids = probe
        writer.write_table(
            "probe.parquet",
            pa.table({"user_id": pa.array(users, pa.int32()), "movie_id": pa.array(movie_ids, pa.int32())}),
        )
        found["probe_pairs"] = len(users)
    return found


def parse_rating_file(path: Path, writer: StoreWriter, known: np.ndarray, bar: tqdm):
    """Parse one combined_data file into its own part.

    Returns ([(movie_id, header line number)], number of blank lines skipped).
    """
    headers: list[tuple[int, int]] = []
    part = writer.ratings_part()
    current = -1  # movie of the block that continues into the next block
    line_base = 0  # lines before this block
    blank_lines = 0
    try:
        with open(path, "rb") as f:
            rest = b""
            while True:
                data = f.read(BLOCK)
                buf = rest + data
                if not data:
                    if not buf:
                        break
                    # End of file without a final newline: parse the last line, flagged.
                    block, rest, open_tail = buf + b"\n", b"", True
                else:
                    cut = buf.rfind(b"\n") + 1
                    if cut == 0:  # no line end yet: keep reading
                        rest = buf
                        continue
                    block, rest, open_tail = buf[:cut], buf[cut:], False
                batch, current, block_headers, n_lines, n_blank = parse_block(
                    np.frombuffer(block, dtype=np.uint8), current, known, path, line_base, open_tail
                )
                headers.extend(block_headers)
                blank_lines += n_blank
                part.write(*batch)
                line_base += n_lines
                bar.update(len(block) - open_tail)
                if not data:
                    break
    finally:
        part.close()
    return headers, blank_lines


def parse_block(buf: np.ndarray, current: int, known: np.ndarray, path: Path, line_base: int, open_tail: bool):
    """Decode a block of whole lines.

    Returns ((user, movie, rating, days) arrays, the movie at the end, [(movie, line)] headers,
    line count, blank lines).
    """
    ends = np.flatnonzero(buf == NL)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    ends = ends - ((ends > starts) & (buf[np.maximum(ends - 1, 0)] == CR))  # tolerate CRLF
    length = ends - starts

    def fail(i: int | np.integer, why: str, hint: str = "") -> NoReturn:
        line = bytes(buf[starts[i] : ends[i]])
        last = open_tail and i == len(ends) - 1
        raise IngestError(
            f"{why}: {show_line(line)}",
            path,
            line_base + i + 1,
            hint
            or (
                "the file looks truncated; download it again"
                if last
                else "expected 'MovieID:' or 'CustomerID,Rating,Date' with Rating 1-5"
            ),
        )

    blank = length == 0  # carries nothing: skipped, and counted in dataset.json
    is_header = ~blank & (buf[np.maximum(ends - 1, 0)] == COLON)

    # Headers: a few per block, decoded one by one.
    header_idx = np.flatnonzero(is_header)
    header_ids = np.empty(len(header_idx), dtype=np.int64)
    for j, i in enumerate(header_idx):
        text = bytes(buf[starts[i] : ends[i] - 1])
        if not text.isdigit() or len(text) > MAX_ID_DIGITS:
            fail(i, "bad movie header")
        movie = int(text)
        if movie >= len(known) or not known[movie]:
            fail(i, f"movie {movie} is not in movie_titles.csv", "add it there, or remove its block")
        header_ids[j] = movie

    rows = np.flatnonzero(~is_header & ~blank)
    s, e = starts[rows], ends[rows]
    n = e - s
    ok = n >= TAIL + 1
    e_ok = np.where(ok, e, TAIL + 1)  # keep indexing in bounds for lines already known bad
    tail = np.stack([buf[e_ok - k] for k in range(TAIL, 0, -1)], axis=1)  # (rows, 13): ",R,YYYY-MM-DD"
    digits = tail - ZERO
    is_digit = digits <= 9  # uint8 wraps below '0'
    ok &= (tail[:, 0] == COMMA) & (tail[:, 2] == COMMA) & (tail[:, 7] == DASH) & (tail[:, 10] == DASH)
    ok &= (digits[:, 1] >= 1) & (digits[:, 1] <= 5) & is_digit[:, 1]
    ok &= is_digit[:, [3, 4, 5, 6, 8, 9, 11, 12]].all(axis=1)
    wide = digits.astype(np.int32)  # uint8 arithmetic would wrap
    year = wide[:, 3] * 1000 + wide[:, 4] * 100 + wide[:, 5] * 10 + wide[:, 6]
    month = wide[:, 8] * 10 + wide[:, 9]
    day = wide[:, 11] * 10 + wide[:, 12]
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= days_in_month(year, month))

    id_len = n - TAIL
    ok &= (id_len >= 1) & (id_len <= MAX_ID_DIGITS)
    customer = np.zeros(len(rows), dtype=np.int64)
    scale = 1
    for k in range(MAX_ID_DIGITS):
        has = k < id_len
        d = buf[np.where(has & ok, e_ok - TAIL - 1 - k, 0)] - ZERO
        ok &= ~has | (d <= 9)
        customer += np.where(has, d, 0).astype(np.int64) * scale
        scale *= 10
    ok &= customer <= np.iinfo(np.int32).max

    if not ok.all():
        fail(int(rows[np.argmax(~ok)]), "malformed rating line")

    # The movie of each rating line: the last header above it (or the block carried in).
    block_of_line = np.cumsum(is_header)[rows]
    movie_of = np.concatenate([[current], header_ids])[block_of_line]
    if len(rows) and movie_of[0] < 0:
        fail(int(rows[0]), "rating line before any 'MovieID:' header", "the file must start with a 'MovieID:' line")
    new_current = int(header_ids[-1]) if len(header_ids) else current
    headers = [(int(m), line_base + int(i) + 1) for m, i in zip(header_ids, header_idx, strict=True)]
    batch = (customer, movie_of, digits[:, 1], days_from_civil(year, month, day))
    return batch, new_current, headers, len(ends), int(blank.sum())


def days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    table = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    return table[np.clip(month, 0, 12)] + (leap & (month == 2))


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm), vectorised."""
    y = year.astype(np.int64) - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (month.astype(np.int64) + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return (era * 146097 + doe - 719468).astype(np.int32)


def read_movie_titles(path: Path) -> pa.Table:
    """movie_titles.csv -> movie table. ISO-8859-1 (UTF-8 accepted too); split on the first two commas only."""
    if not path.is_file():
        raise IngestError("file not found", path, hint="movie_titles.csv comes with the Netflix Prize files")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-1")  # the encoding the Netflix Prize files use
    ids, years, titles = [], [], []
    seen: dict[int, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.lstrip("\ufeff").split(",", 2)
        if len(parts) != 3 or not parts[0].strip().isdigit():
            raise IngestError(f"expected MovieID,YearOfRelease,Title: {line[:80]!r}", path, number)
        movie = int(parts[0])
        year_text = parts[1].strip()
        if year_text.upper() == "NULL" or year_text == "":
            year = None
        elif year_text.isdigit() and 1800 <= int(year_text) <= 2100:
            year = int(year_text)
        else:
            raise IngestError(f"year {year_text!r} is neither a year nor NULL", path, number)
        if movie in seen:
            raise IngestError(f"movie {movie} listed twice (first on line {seen[movie]})", path, number)
        seen[movie] = number
        ids.append(movie)
        years.append(year)
        titles.append(" ".join(parts[2].split()))
    if not ids:
        raise IngestError("no movies listed", path)
    return pa.table(
        {
            "movie_id": pa.array(ids, pa.int32()),
            "title": pa.array(titles, pa.string()),
            "year": pa.array(years, pa.int16()),
            "genres": pa.array([None] * len(ids), pa.string()),
            "display_title": pa.array(titles, pa.string()),  # Netflix titles carry no alternates
            "aka": pa.array([[] for _ in ids], pa.list_(pa.string())),
        },
        schema=MOVIES_SCHEMA,
    )


def read_probe(path: Path, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """probe.txt -> (user_ids, movie_ids) of the official probe pairs."""
    users, movies = [], []
    movie = -1
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            line = raw.strip()
            if not line:
                continue
            if line.endswith(b":"):
                if not line[:-1].isdigit():
                    raise IngestError(f"bad movie header {show_line(raw)}", path, number)
                movie = int(line[:-1])
                if movie >= len(known) or not known[movie]:
                    raise IngestError(
                        f"probe names movie {movie}, which is not in movie_titles.csv",
                        path,
                        number,
                        "use the probe.txt that came with these files",
                    )
            elif line.isdigit() and len(line) <= MAX_ID_DIGITS:
                if movie < 0:
                    raise IngestError("customer line before any 'MovieID:' header", path, number)
                users.append(int(line))
                movies.append(movie)
            else:
                raise IngestError(f"expected 'MovieID:' or 'CustomerID': {show_line(raw)}", path, number)
    return np.asarray(users, dtype=np.int32), np.asarray(movies, dtype=np.int32)
