"""The EDA report renders every figure and states the dataset's numbers."""

import re

import pytest

from training.ingest import ingest
from training.report.command import write_report

FIGURES = {
    "rating_distribution",
    "ratings_per_movie",
    "ratings_per_user",
    "mean_vs_popularity",
    "release_years",
    "ratings_over_time",
    "catalog_cutoff",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    ingest("synthetic:2000,300,30000", root / "store", catalog_size=100, raw_dir=root / "raw", progress=False)
    return write_report(root / "store", root / "eda"), root


def test_every_figure_is_a_png_linked_from_the_page(report):
    index, _ = report
    page = index.read_text()
    linked = set(re.findall(r'<img src="([a-z_]+)\.png"', page))
    assert linked == FIGURES
    for name in FIGURES:
        assert (index.parent / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_page_states_counts_scale_and_catalog(report):
    index, _root = report
    page = index.read_text()
    assert "1 to 5 in steps of 1" in page
    assert "100 most-rated movies hold" in page
    assert re.search(r"<th>ratings</th><td>\d{2},\d{3}</td>", page)


def test_rewriting_replaces_the_report_whole(report):
    index, root = report
    (index.parent / "stale.png").write_bytes(b"old")
    write_report(root / "store", index.parent)
    assert not (index.parent / "stale.png").exists()
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []
