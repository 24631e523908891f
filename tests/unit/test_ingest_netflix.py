"""The Netflix Prize reader: values, the real files' quirks, and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from training.ingest import ingest, netflix
from training.ingest.errors import IngestError

TITLES = (
    "1,2003,Dinosaur Planet\n"
    "2,NULL,Isle of Man TT 2004 Review\n"
    "3,1997,Character\n"
    "4,1994,Paula Abdul's Get Up & Dance\n"
    "5,2004,The Rise and Fall of ECW, Part 2\n"  # unquoted comma inside the title
    "6,1997,Sick: The Life & Death of Bob Flanagan, Supermasochist\n"
    "7,1992,Les Misérables\n"
)
COMBINED_1 = (
    "1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n885013,4,2005-10-19\n"
    "2:\n2059652,4,2005-09-05\n1488844,1,2004-02-29\n"
    "3:\n712664,5,2004-02-01\n"
)
COMBINED_2 = (
    "4:\n1488844,2,2000-01-01\n7,3,1999-11-11\n5:\n822109,4,2005-12-31\n6:\n712664,1,2003-03-03\n7:\n1,5,2001-01-01\n"
)
PROBE = "1:\n1488844\n822109\n4:\n7\n"


def write_folder(
    folder: Path, titles: str = TITLES, files=(COMBINED_1, COMBINED_2), probe: str | None = PROBE, newline: str = "\n"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "movie_titles.csv").write_bytes(titles.replace("\n", newline).encode("iso-8859-1"))
    for i, text in enumerate(files, start=1):
        (folder / f"combined_data_{i}.txt").write_bytes(text.replace("\n", newline).encode("ascii"))
    if probe is not None:
        (folder / "probe.txt").write_text(probe)
    return folder


def reference_parse(*texts: str) -> list[tuple[int, int, int, dt.date]]:
    """The obvious line-by-line reading, to check the vectorised parser against."""
    rows, movie = [], None
    for text in texts:
        for line in text.splitlines():
            if line.endswith(":"):
                movie = int(line[:-1])
            elif line:
                user, rating, date = line.split(",")
                rows.append((int(user), movie, int(rating), dt.date.fromisoformat(date)))
    return sorted(rows)


def stored(out: Path) -> list[tuple[int, int, int, dt.date]]:
    table = pq.read_table(out / "ratings").to_pylist()
    return sorted((r["user_id"], r["movie_id"], int(r["rating"]), r["date"]) for r in table)


def run(folder: Path, out: Path, **kw) -> dict:
    return ingest(f"netflix:{folder}", out, catalog_size=kw.pop("catalog_size", 3), progress=False, **kw)


def test_ratings_match_a_line_by_line_reading(tmp_path):
    summary = run(write_folder(tmp_path / "raw"), tmp_path / "store")
    assert stored(tmp_path / "store") == reference_parse(COMBINED_1, COMBINED_2)
    assert summary["counts"]["ratings"] == 11
    assert summary["rating_scale"] == {"min": 1.0, "max": 5.0, "step": 1.0}
    assert summary["dates"] == {"first": "1999-11-11", "last": "2005-12-31"}


def test_blocks_split_mid_movie_give_the_same_result(tmp_path, monkeypatch):
    folder = write_folder(tmp_path / "raw")
    run(folder, tmp_path / "whole")
    monkeypatch.setattr(netflix, "BLOCK", 7)  # every few bytes: headers and lines cut anywhere
    run(folder, tmp_path / "pieces")
    assert stored(tmp_path / "pieces") == stored(tmp_path / "whole")


def test_crlf_files_and_a_missing_final_newline_are_read(tmp_path):
    folder = write_folder(tmp_path / "raw", files=(COMBINED_1, COMBINED_2.rstrip("\n")), newline="\r\n")
    run(folder, tmp_path / "store")
    assert stored(tmp_path / "store") == reference_parse(COMBINED_1, COMBINED_2)


def test_movie_titles_keep_commas_decode_latin1_and_allow_null_years(tmp_path):
    run(write_folder(tmp_path / "raw"), tmp_path / "store")
    movies = {r["movie_id"]: r for r in pq.read_table(tmp_path / "store" / "movies.parquet").to_pylist()}
    assert movies[5]["title"] == "The Rise and Fall of ECW, Part 2"
    assert movies[6]["title"] == "Sick: The Life & Death of Bob Flanagan, Supermasochist"
    assert movies[7]["title"] == "Les Misérables"
    assert movies[2]["year"] is None and movies[1]["year"] == 2003


def test_probe_pairs_are_stored(tmp_path):
    summary = run(write_folder(tmp_path / "raw"), tmp_path / "store")
    probe = pq.read_table(tmp_path / "store" / "probe.parquet").to_pylist()
    assert sorted((p["user_id"], p["movie_id"]) for p in probe) == [(7, 4), (822109, 1), (1488844, 1)]
    assert summary["counts"]["probe_pairs"] == 3


def test_blank_lines_are_skipped_and_counted(tmp_path):
    folder = write_folder(tmp_path / "raw", files=(COMBINED_1 + "\n\n", COMBINED_2))
    summary = run(folder, tmp_path / "store")
    assert summary["skipped"] == {"blank_lines": 2}
    assert summary["counts"]["ratings"] == 11


@pytest.mark.parametrize(
    "text, line, words",
    [
        (COMBINED_1 + "1488845,3,2005-0", 10, "truncated"),  # cut off mid-line, no final newline
        ("1:\n1488844,6,2005-09-06\n", 2, "malformed"),  # rating off the 1-5 scale
        ("1:\n1488844,0,2005-09-06\n", 2, "malformed"),
        ("1:\n1488844,3,2005-02-30\n", 2, "malformed"),  # no such date
        ("1:\n1488844;3;2005-09-06\n", 2, "malformed"),
        ("1:\n14888\xe944,3,2005-09-06\n", 2, "malformed"),  # a byte no id has
        ("1488844,3,2005-09-06\n", 1, "before any"),
        ("1:\n1488844,3,2005-09-06\n99:\n1,1,2001-01-01\n", 3, "not in movie_titles.csv"),
        ("x1:\n", 1, "bad movie header"),
    ],
)
def test_bad_rating_lines_name_the_file_and_line(tmp_path, text, line, words):
    folder = tmp_path / "raw"
    write_folder(folder, files=())
    (folder / "combined_data_1.txt").write_bytes(text.encode("latin-1"))
    with pytest.raises(IngestError) as err:
        run(folder, tmp_path / "store")
    message = str(err.value)
    assert f"combined_data_1.txt, line {line}:" in message and words in message
    assert err.value.line == line


def test_a_movie_split_across_files_is_refused(tmp_path):
    folder = write_folder(tmp_path / "raw", files=(COMBINED_1, "1:\n5,5,2005-01-01\n"))
    with pytest.raises(IngestError, match=r"combined_data_2.txt, line 1: movie 1 appears again"):
        run(folder, tmp_path / "store")


def test_probe_pair_for_an_unknown_movie_is_refused(tmp_path):
    folder = write_folder(tmp_path / "raw", probe="1:\n1488844\n42:\n7\n")
    with pytest.raises(IngestError, match=r"probe.txt, line 3: probe names movie 42"):
        run(folder, tmp_path / "store")


@pytest.mark.parametrize(
    "titles, line, words",
    [
        ("1,2003,Dinosaur Planet\nx,1999,Oops\n", 2, "expected MovieID,YearOfRelease,Title"),
        ("1,20x3,Dinosaur Planet\n", 1, "neither a year nor NULL"),
        ("1,2003,Dinosaur Planet\n1,2003,Again\n", 2, "listed twice"),
    ],
)
def test_bad_movie_titles_name_the_line(tmp_path, titles, line, words):
    folder = write_folder(tmp_path / "raw", titles=titles, files=("1:\n1,3,2005-01-01\n",), probe=None)
    with pytest.raises(IngestError) as err:
        run(folder, tmp_path / "store", catalog_size=1)
    assert f"movie_titles.csv, line {line}:" in str(err.value) and words in str(err.value)


def test_missing_files_say_what_is_expected(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="no combined_data_"):
        run(tmp_path / "empty", tmp_path / "store")
    write_folder(tmp_path / "no-titles")
    (tmp_path / "no-titles" / "movie_titles.csv").unlink()
    with pytest.raises(IngestError, match=r"movie_titles\.csv: file not found"):
        run(tmp_path / "no-titles", tmp_path / "store")


def test_a_failed_ingest_leaves_the_previous_store_untouched_and_no_partial_files(tmp_path):
    good = write_folder(tmp_path / "good")
    out = tmp_path / "data" / "store"
    run(good, out)
    before = stored(out)
    bad = write_folder(tmp_path / "bad", files=(COMBINED_1 + "1488845,3,2005-0",))
    with pytest.raises(IngestError):
        run(bad, out)
    assert stored(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["store"]


def test_days_from_civil_agrees_with_the_calendar():
    dates = [
        dt.date(1970, 1, 1),
        dt.date(1999, 11, 11),
        dt.date(2000, 2, 29),
        dt.date(2005, 12, 31),
        dt.date(1969, 12, 31),
    ]
    got = netflix.days_from_civil(
        np.array([d.year for d in dates]), np.array([d.month for d in dates]), np.array([d.day for d in dates])
    )
    assert got.tolist() == [(d - dt.date(1970, 1, 1)).days for d in dates]
