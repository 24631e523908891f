"""The production build stays small: all JavaScript at most 200 KB gzipped."""

from __future__ import annotations

import gzip

from tests.e2e import harness

BUDGET_KB = 200


def test_production_javascript_is_within_budget():
    harness.require_site()
    scripts = sorted((harness.DIST / "assets").glob("*.js"))
    assert scripts, "no JavaScript in frontend/dist/assets"
    gzipped_kb = sum(len(gzip.compress(p.read_bytes(), 9)) for p in scripts) / 1000
    assert gzipped_kb <= BUDGET_KB, f"{gzipped_kb:.1f} KB gzipped > {BUDGET_KB} KB: {[p.name for p in scripts]}"


def test_build_has_no_source_maps_or_dev_files():
    harness.require_site()
    names = {p.name for p in harness.DIST.rglob("*") if p.is_file()}
    assert not {n for n in names if n.endswith(".map")}
    assert "index.html" in names
