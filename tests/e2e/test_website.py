"""The website in a real chromium against the real function and a trained artifact set."""

from __future__ import annotations

import pytest

from tests.e2e import harness
from tests.e2e.pages import (catalog_rows, get_recommendations, label, open_site, rate, result_ids, results_seq,
                             search, stars, wait_for_results)
from tests.fixtures.function_server import FunctionServer
from tests.fixtures.storage import free_port

pytestmark = pytest.mark.browser


def some_movies(catalog, n, start=0):
    return catalog["movies"][start:start + n]


def test_search_narrows_the_catalog_to_the_title(page, site, catalog):
    movie = catalog["movies"][len(catalog["movies"]) // 2]  # not on the first page
    open_site(page, site.url)
    search(page, movie["title"])
    rows = catalog_rows(page)
    assert 1 <= rows.count() < len(catalog["movies"])
    assert rows.filter(has_text=movie["title"]).count() >= 1
    search(page, "zzqqxx no such film")
    assert page.get_by_text("No movie matches").is_visible()


def test_rating_several_movies_gives_ten_best_and_ten_worst(page, site, catalog):
    rated = some_movies(catalog, 5)
    open_site(page, site.url)
    for movie, value in zip(rated, [5, 4.5, 1, 2, 3.5]):
        rate(page, movie, value)
    assert page.get_by_role("heading", name="Your ratings (5)").is_visible()
    get_recommendations(page)
    top, bottom = result_ids(page, "top"), result_ids(page, "bottom")
    assert len(top) == 10 and len(bottom) == 10
    assert not {m["movie_id"] for m in rated} & (set(top) | set(bottom))
    assert page.get_by_test_id("top").get_by_text("★").first.is_visible()


def test_changing_a_rating_refreshes_the_results(page, site, catalog):
    rated = some_movies(catalog, 4)
    open_site(page, site.url)
    for movie in rated:
        rate(page, movie, 5)
    get_recommendations(page)
    before = (result_ids(page, "top"), result_ids(page, "bottom"))
    seq = results_seq(page)
    for movie in rated[:2]:  # love becomes hate: the model must move
        rate(page, movie, 0.5 if catalog["rating_scale"]["step"] == 0.5 else 1)
    wait_for_results(page, seq)  # no click: the refresh is automatic
    after = (result_ids(page, "top"), result_ids(page, "bottom"))
    assert after != before


def test_ratings_survive_a_reload(page, site, catalog):
    rated = some_movies(catalog, 3, start=10)
    open_site(page, site.url)
    for movie, value in zip(rated, [4, 2.5, 5]):
        rate(page, movie, value)
    page.reload()
    mine = page.get_by_role("list", name="Rated movies")
    mine.wait_for()
    assert page.get_by_role("heading", name="Your ratings (3)").is_visible()
    for movie, value in zip(rated, [4, 2.5, 5]):
        group = mine.get_by_role("radiogroup", name=f"Your rating for {label(movie)}", exact=True)
        assert group.get_by_role("radio", name=stars(value), exact=True).is_checked()


def test_a_rating_can_be_cleared(page, site, catalog):
    movie = catalog["movies"][0]
    open_site(page, site.url)
    rate(page, movie, 3)
    page.get_by_role("list", name="Rated movies").get_by_role(
        "button", name=f"Clear rating for {label(movie)}").click()
    assert page.get_by_role("heading", name="Your ratings (0)").is_visible()


def test_stars_work_from_the_keyboard(page, site, catalog):
    movie = catalog["movies"][0]
    open_site(page, site.url)
    search(page, movie["title"])
    group = page.get_by_role("list", name="Movies", exact=True).get_by_role(
        "radiogroup", name=f"Your rating for {label(movie)}", exact=True)
    group.get_by_role("radio").first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    step, low = catalog["rating_scale"]["step"], catalog["rating_scale"]["min"]
    assert group.get_by_role("radio", name=stars(low + 2 * step), exact=True).is_checked()
    assert page.get_by_role("heading", name="Your ratings (1)").is_visible()


def test_fits_a_phone_screen(browser_context, site, catalog):
    page = browser_context.pages[0]
    page.set_viewport_size({"width": 375, "height": 740})
    open_site(page, site.url)
    rate(page, catalog["movies"][0], 4)
    get_recommendations(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than a phone screen"


def test_function_down_shows_an_error_that_says_what_to_do(page, web_dir, model_uri, catalog):
    function = FunctionServer({"MODEL_URI": model_uri, "ALLOWED_ORIGINS": ""}, web_dir / "function-down.log")
    with function, harness.SitePreview(function.url, web_dir / "preview-down.log") as preview:
        open_site(page, preview.url)
        rate(page, catalog["movies"][0], 4)
        function.stop()
        page.get_by_role("button", name="Get recommendations").click()
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert "try again" in alert.inner_text().lower()
        assert page.get_by_role("button", name="Try again").is_visible()


def test_catalog_unreachable_shows_a_retry(page, web_dir):
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with harness.SitePreview(nobody, web_dir / "preview-nobody.log") as preview:
        page.goto(preview.url)
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert "Could not load the movies" in alert.inner_text()
        assert page.get_by_role("button", name="Retry").is_visible()
