"""The website in a real chromium against the real function and a trained artifact set."""

from __future__ import annotations

import re
import unicodedata
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e import harness
from tests.e2e.pages import (
    axe_violations,
    catalog_rows,
    guided_cards,
    guided_ids,
    label,
    open_site,
    rate,
    rate_guided,
    result_ids,
    search,
    skip_guided,
    star_group,
    stars,
    stored_answers,
    wait_for_answer_to,
    wait_for_results,
)
from tests.fixtures.function_server import FunctionServer
from tests.fixtures.storage import free_port

pytestmark = pytest.mark.browser


def some_movies(catalog, n, start=0):
    return catalog["movies"][start : start + n]


def answer(function, ratings: list[dict], skipped: list[int] = ()) -> dict:
    """The function's own answer to the request the site makes."""
    status, _, body = function.request("POST", "/api/recommend", {"ratings": ratings, "skipped": list(skipped)})
    assert status == 200, body
    return body


def genre_text(genres) -> str:
    items = genres.split("|") if isinstance(genres, str) else list(genres or [])
    return " · ".join(g for g in items if g and not g.startswith("("))


def test_first_visit_goes_through_the_guided_panel_to_results(page, site, function):
    open_site(page, site.url)
    first = answer(function, [])["ask_next"]
    assert guided_ids(page) == [m["movie_id"] for m in first][: guided_cards(page).count()]
    assert guided_cards(page).count() >= 4
    if genre_text(first[0]["genres"]):
        expect(guided_cards(page).first).to_contain_text(genre_text(first[0]["genres"]))
    assert page.get_by_test_id("results").count() == 0

    skipped = skip_guided(page, 0)
    expect(guided_cards(page).first).not_to_have_attribute("data-movie-id", str(skipped))
    assert stored_answers(page)["skipped"] == [skipped]

    rated = {}
    for slot, value in [(1, 5), (2, 4.5), (3, 1)]:
        rated[rate_guided(page, slot, value)] = value
        wait_for_answer_to(page, len(rated))
    top, bottom = result_ids(page, "top"), result_ids(page, "bottom")
    assert len(top) == 10 and len(bottom) == 10
    assert not (set(rated) | {skipped}) & (set(top) | set(bottom))
    ratings = [{"movie_id": m, "rating": v} for m, v in reversed(rated.items())]  # newest first, as stored
    assert stored_answers(page)["ratings"] == ratings
    # The panel refilled from the latest answer; only the card just rated stays, showing its stars.
    asked_now = {m["movie_id"] for m in answer(function, ratings, [skipped])["ask_next"]}
    last = list(rated)[-1]
    shown = guided_ids(page)
    assert skipped not in shown
    assert set(shown) - {last} <= asked_now
    assert len(set(shown) - {last}) >= 3


def test_result_cards_show_genres_predicted_stars_and_the_functions_reason(page, site, function, catalog):
    picks = list(zip(some_movies(catalog, 4), [5, 5, 1, 1.5], strict=True))
    open_site(page, site.url)
    for movie, value in picks:
        rate(page, movie, value)
    ratings = [{"movie_id": m["movie_id"], "rating": v} for m, v in reversed(picks)]
    expected = answer(function, ratings)
    wait_for_answer_to(page, len(picks))
    assert result_ids(page, "top") == [r["movie_id"] for r in expected["top"]]
    cards = page.get_by_test_id("top").get_by_role("listitem")
    reasons = 0
    for i, rec in enumerate(expected["top"]):
        card = cards.nth(i)
        expect(card).to_contain_text(f"{rec['title']} ({rec['year']})" if rec["year"] else rec["title"])
        expect(card.get_by_role("img", name=f"predicted {round(rec['predicted_rating'], 1):.1f} stars")).to_be_visible()
        if genre_text(rec["genres"]):
            expect(card).to_contain_text(genre_text(rec["genres"]))
        if rec["because"]:
            reasons += 1
            first = rec["because"][0]
            glyphs = "★" * int(first["rating"]) + ("½" if first["rating"] % 1 else "")
            expect(card).to_contain_text(f"Because you rated {first['title']} {glyphs}")
        else:
            expect(card).not_to_contain_text("Because you rated")
    assert reasons >= 1, "no top card carries a reason"


def test_results_come_back_after_a_reload(page, site, catalog):
    rated = some_movies(catalog, 3, start=10)
    open_site(page, site.url)
    for movie, value in zip(rated, [4, 2.5, 5], strict=True):
        rate(page, movie, value)
    wait_for_answer_to(page, 3)
    before = result_ids(page, "top")
    page.reload()
    wait_for_results(page, 0)  # no click, no rating: the stored ratings bring them back
    assert result_ids(page, "top") == before
    mine = page.get_by_role("list", name="Rated movies")
    assert page.get_by_role("heading", name="Your ratings (3)").is_visible()
    rows = mine.get_by_role("listitem")
    for i, (movie, value) in enumerate(reversed(list(zip(rated, [4, 2.5, 5], strict=True)))):  # newest first
        expect(rows.nth(i)).to_contain_text(movie["title"])
        assert star_group(rows.nth(i), movie).get_by_role("radio", name=stars(value), exact=True).is_checked()


def test_changing_a_rating_refreshes_the_results(page, site, function, catalog):
    rated = some_movies(catalog, 4)
    open_site(page, site.url)
    for movie in rated:
        rate(page, movie, 5)
    wait_for_answer_to(page, 4)
    before = result_ids(page, "top")
    low = catalog["rating_scale"]["min"]
    for movie in rated[:2]:  # love becomes hate: the model must move
        rate(page, movie, low)
    values = {m["movie_id"]: (low if m in rated[:2] else 5) for m in rated}
    ratings = [{"movie_id": m, "rating": v} for m, v in values.items()]
    expected = [r["movie_id"] for r in answer(function, ratings)["top"]]
    assert expected != before
    # No click: the lists become the function's answer for the changed ratings by themselves.
    page.wait_for_function(
        """(ids) => [...document.querySelectorAll('[data-testid="top"] li')]
                      .map((li) => Number(li.dataset.movieId)).join() === ids.join()""",
        arg=expected,
    )


def test_a_recommended_movie_can_be_rated_from_its_card(page, site, catalog):
    open_site(page, site.url)
    rate(page, catalog["movies"][0], 4)
    wait_for_results(page, 0)
    card = page.get_by_test_id("top").get_by_role("listitem").nth(1)
    movie_id = int(card.get_attribute("data-movie-id"))
    card.get_by_role("radiogroup").get_by_title("3 stars", exact=True).click()
    wait_for_answer_to(page, 2)
    assert stored_answers(page)["ratings"][0] == {"movie_id": movie_id, "rating": 3}
    first_row = page.get_by_role("list", name="Rated movies").get_by_role("listitem").first
    assert int(first_row.get_attribute("data-movie-id")) == movie_id
    page.get_by_role("heading", name="Screen Genius").click()  # move on; the next answer drops the card
    rate(page, catalog["movies"][1], 2)
    wait_for_answer_to(page, 3)
    assert movie_id not in result_ids(page, "top") + result_ids(page, "bottom")


def test_search_ignores_accents_punctuation_and_spacing(page, site, catalog):
    def plain(text):
        return "".join(c for c in unicodedata.normalize("NFKD", text).lower() if c.isalnum())

    open_site(page, site.url)
    for query, wanted in [("Leon", "leon"), ("WALL-E", "walle"), ("spiderman", "spiderman")]:
        titles = [m["title"] for m in catalog["movies"] if plain(m["title"]).startswith(wanted)]
        assert titles, f"the catalog has no {wanted!r} to find"
        search(page, query)
        for title in titles:
            expect(catalog_rows(page).filter(has_text=title).first).to_be_visible()
    search(page, "zzqqxx no such film")
    assert page.get_by_text("No movie matches").is_visible()


def test_keyboard_alone_goes_from_the_first_rating_to_the_results(page, site):
    open_site(page, site.url)
    first_id = guided_ids(page)[0]
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to your recommendations"
    page.keyboard.press("Tab")
    assert page.evaluate("Number(document.activeElement.closest('li')?.dataset.movieId)") == first_id
    for _ in range(7):  # 0.5 -> 4 stars
        page.keyboard.press("ArrowRight")
    wait_for_results(page, 0)
    assert stored_answers(page)["ratings"] == [{"movie_id": first_id, "rating": 4}]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "results"
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('[data-testid=\"top\"]')")
    assert page.get_by_test_id("top").is_visible()


def test_stars_preview_up_to_the_pointer_with_large_targets_and_enough_contrast(page, site, catalog):
    movie = catalog["movies"][0]
    open_site(page, site.url)
    search(page, movie["title"])
    group = star_group(page.get_by_role("list", name="Movies", exact=True), movie)
    group.get_by_title("3.5 stars", exact=True).hover()
    assert group.locator(".star-slot.filled").count() == 7
    for box in (group.locator(".star-slot").nth(i).bounding_box() for i in range(group.locator(".star-slot").count())):
        assert box["width"] >= 24 and box["height"] >= 24, box
    page.mouse.move(0, 0)
    group.get_by_title("2 stars", exact=True).click()
    page.mouse.move(0, 0)
    on = group.locator(".star-slot.filled .star-glyph").first.evaluate("e => getComputedStyle(e).color")
    off = group.locator(".star-slot:not(.filled) .star-glyph").first.evaluate("e => getComputedStyle(e).color")
    assert contrast(on) >= 3 and contrast(off) >= 3, (on, off)


def contrast(rgb: str) -> float:
    """Contrast of a CSS rgb() colour against white (WCAG)."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return 1.05 / (luminance + 0.05)


def test_on_a_phone_the_lists_are_one_tap_away_after_rating(site):
    with harness.open_browser(390, 844, has_touch=True, is_mobile=True) as context:
        page = context.pages[0]
        page.set_default_timeout(15_000)
        open_site(page, site.url)
        targets = guided_cards(page).first.locator(".touch-star")
        assert targets.count() == 5
        box = targets.first.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
        targets.nth(3).tap()
        wait_for_results(page, 0)
        bar = page.get_by_test_id("results-bar")
        first_title = page.get_by_test_id("top").get_by_role("listitem").first.locator(".movie-title").inner_text()
        expect(bar).to_contain_text(f"1. {first_title.split(' (')[0]}")
        assert in_viewport(page, bar), "the results bar is not on screen after rating"
        bar.tap()
        assert in_viewport(page, page.get_by_test_id("top").get_by_role("listitem").first)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"page is {overflow}px wider than a phone screen"


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0


def test_no_serious_accessibility_violations_on_first_visit_and_with_results(page, site):
    open_site(page, site.url)
    assert axe_violations(page) == []
    rate_guided(page, 0, 4)
    rate_guided(page, 1, 2)
    wait_for_results(page, 0)
    assert axe_violations(page) == []


def test_removing_a_rating_keeps_focus_in_the_list(page, site, catalog):
    movies = some_movies(catalog, 2)
    open_site(page, site.url)
    for movie in movies:
        rate(page, movie, 3)
    mine = page.get_by_role("list", name="Rated movies")
    mine.get_by_role("button", name=f"Clear rating for {label(movies[1])}").click()
    assert page.get_by_role("heading", name="Your ratings (1)").is_visible()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Clear rating for {label(movies[0])}"


def test_function_down_shows_an_error_for_a_visitor(page, web_dir, model_uri):
    function = FunctionServer({"MODEL_URI": model_uri, "ALLOWED_ORIGINS": ""}, web_dir / "function-down.log")
    with function, harness.SitePreview(function.url, web_dir / "preview-down.log") as preview:
        open_site(page, preview.url)
        function.stop()
        rate_guided(page, 0, 4)
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert alert.inner_text().startswith("Recommendations are not available right now. Please try again")
        assert "running" not in alert.inner_text()
        assert page.get_by_role("button", name="Try again").is_visible()


def test_catalog_unreachable_shows_a_retry(page, web_dir):
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with harness.SitePreview(nobody, web_dir / "preview-nobody.log") as preview:
        page.goto(preview.url)
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert "Could not load the movies" in alert.inner_text()
        assert page.get_by_role("button", name="Retry").is_visible()


def test_the_site_has_a_favicon(site):
    for path, kind in [("/favicon.ico", "image/"), ("/favicon.svg", "image/svg")]:
        with urllib.request.urlopen(site.url + path, timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith(kind), response.headers["Content-Type"]
