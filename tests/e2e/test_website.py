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
    in_viewport,
    label,
    next_frame,
    open_site,
    rate,
    rate_guided,
    recommend_requests,
    result_ids,
    results_seq,
    search,
    skip_guided,
    skipped_rows,
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

    with page.expect_response(lambda r: "/api/recommend" in r.url):  # the skip's answer may refill the cards
        skipped = skip_guided(page, 0)
    next_frame(page)
    expect(guided_cards(page).first).not_to_have_attribute("data-movie-id", str(skipped))
    assert stored_answers(page)["skipped"] == [skipped]

    rated = {}
    for slot, value in [(1, 5), (2, 4.5), (3, 1)]:
        rated[rate_guided(page, slot, value)] = value
        wait_for_answer_to(page, len(rated))
    top, bottom = result_ids(page, "top"), result_ids(page, "bottom")
    assert len(top) == 10 and len(bottom) == 10
    # rated movies are never listed; a skipped one ("haven't seen it") may be: predicting it is the point
    assert not set(rated) & (set(top) | set(bottom))
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
            verb = {"liked": "liked", "disliked": "disliked"}.get(first.get("direction"), "rated")
            expect(card).to_contain_text(f"Because you {verb} {first['title']} ({stars(first['rating'])})")
        else:
            expect(card).not_to_contain_text("Because you")
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
    assert card.get_by_role("radio").count() == 0  # no row of stars that reads like a rating
    card.get_by_role("button", name=re.compile(r"^Seen it\? Rate it")).click()
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
    page.keyboard.press("Shift+Tab")
    assert focus_first_card_stars(page) == first_id
    for _ in range(7):  # a preview from ½ to 4 stars
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    wait_for_results(page, 0)
    assert stored_answers(page)["ratings"] == [{"movie_id": first_id, "rating": 4}]
    page.evaluate("document.querySelector('.skip-link').focus()")
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
    group.get_by_title("3½ stars", exact=True).hover()
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


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_no_serious_accessibility_violations_first_visit_and_after_ratings(site, screen, scheme):
    size, options = ((1280, 800), {}) if screen == "desktop" else ((390, 844), {"has_touch": True, "is_mobile": True})
    with harness.open_browser(*size, color_scheme=scheme, **options) as context:
        page = context.pages[0]
        page.set_default_timeout(15_000)
        open_site(page, site.url)
        assert axe_violations(page) == []
        for i, value in enumerate([4, 2, 5]):
            card = guided_cards(page).nth(i)
            if screen == "phone":
                card.locator(".touch-star").nth(int(value) - 1).tap()
            else:
                card.get_by_role("radiogroup").get_by_title(stars(value), exact=True).click()
            wait_for_answer_to(page, i + 1)
        page.mouse.move(0, 0)
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
        assert alert.inner_text() == "Recommendations are not available right now."
        assert "running" not in alert.inner_text()
        expect(page.get_by_test_id("countdown")).to_have_text(re.compile(r"^Trying again in \d+ s\.$"))
        assert page.get_by_role("button", name="Try again now").is_visible()


def test_catalog_unreachable_says_so_and_counts_down_to_a_retry(page, web_dir):
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with harness.SitePreview(nobody, web_dir / "preview-nobody.log") as preview:
        page.goto(preview.url)
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert "Could not load the movies" in alert.inner_text()
        assert page.get_by_role("button", name="Try again now").is_visible()


def test_the_site_has_a_favicon(site):
    for path, kind in [("/favicon.ico", "image/"), ("/favicon.svg", "image/svg")]:
        with urllib.request.urlopen(site.url + path, timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith(kind), response.headers["Content-Type"]


# ---- rating that commits once ------------------------------------------------------------------


def focus_first_card_stars(page) -> int:
    """Tab from the top of the page into the first guided card's stars; returns that movie's id."""
    first_id = guided_ids(page)[0]
    for _ in range(6):  # the skip link, the header's two links, then the first card
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('.guided-card')"):
            break
    assert page.evaluate("Number(document.activeElement.closest('li')?.dataset.movieId)") == first_id
    assert page.evaluate("document.activeElement.type") == "radio"
    return first_id


def test_keyboard_arrows_preview_and_enter_sends_one_request_and_one_announcement(page, site):
    open_site(page, site.url)
    first_id = focus_first_card_stars(page)
    sent = recommend_requests(page)
    page.evaluate(  # every text the live region takes, in order
        """() => {
             window.announced = [];
             const region = document.querySelector('[data-testid="announcer"]');
             new MutationObserver(() => region.textContent && window.announced.push(region.textContent))
               .observe(region, {childList: true, characterData: true, subtree: true});
           }"""
    )
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(200)
    assert sent == [], "an arrow-key preview sent a request"
    assert stored_answers(page) in (None, {"ratings": [], "skipped": []})
    page.keyboard.press("Enter")
    wait_for_answer_to(page, 1)
    page.wait_for_timeout(700)  # past the pause: the Enter already committed, nothing more goes out
    assert len(sent) == 1
    assert stored_answers(page)["ratings"] == [{"movie_id": first_id, "rating": 4}]
    announcements = page.evaluate("window.announced")
    assert len(announcements) == 1, announcements
    assert announcements[0].startswith("Recommendations updated from your 1 rating.")


def test_an_arrow_preview_commits_by_itself_after_a_pause(page, site):
    open_site(page, site.url)
    first_id = focus_first_card_stars(page)
    sent = recommend_requests(page)
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_for_answer_to(page, 1)
    assert len(sent) == 1
    assert stored_answers(page)["ratings"] == [{"movie_id": first_id, "rating": 3}]


def test_number_keys_set_whole_stars_and_shift_adds_a_half(page, site):
    open_site(page, site.url)
    first_id = focus_first_card_stars(page)
    sent = recommend_requests(page)
    page.keyboard.press("4")
    wait_for_answer_to(page, 1)
    assert stored_answers(page)["ratings"] == [{"movie_id": first_id, "rating": 4}]
    page.keyboard.press("Shift+Digit2")
    page.wait_for_function(
        "(id) => JSON.parse(localStorage.getItem('screen-genius.answers.v2')).ratings[0].rating === 2.5", arg=first_id
    )
    wait_for_answer_to(page, 1)
    page.wait_for_function("() => document.querySelector('[data-testid=results]').dataset.state === 'ready'")
    assert len(sent) == 2  # one request per key press, none per preview


def test_on_a_phone_the_half_star_button_adds_half_a_star(site):
    with harness.open_browser(390, 844, has_touch=True, is_mobile=True) as context:
        page = context.pages[0]
        page.set_default_timeout(15_000)
        open_site(page, site.url)
        card = guided_cards(page).first
        movie_id = int(card.get_attribute("data-movie-id"))
        half = card.locator(".half-button")
        assert half.is_disabled()
        box = half.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
        card.locator(".touch-star").nth(2).tap()
        wait_for_answer_to(page, 1)
        card.get_by_role("button", name="+½ star: make it 3½ stars").tap()
        page.wait_for_function(
            "() => JSON.parse(localStorage.getItem('screen-genius.answers.v2')).ratings[0].rating === 3.5"
        )
        assert stored_answers(page)["ratings"] == [{"movie_id": movie_id, "rating": 3.5}]
        expect(half).to_have_accessible_name("−½ star: make it 3 stars")


# ---- layout ----------------------------------------------------------------------------------


def test_on_a_desktop_both_lists_start_in_the_first_screen_after_five_ratings(site):
    with harness.open_browser(1280, 800) as context:
        page = context.pages[0]
        page.set_default_timeout(15_000)
        open_site(page, site.url)
        for i in range(5):
            rate_guided(page, i % 3, [4, 2, 5, 1, 3][i])
            wait_for_answer_to(page, i + 1)
            page.mouse.move(0, 0)
        page.evaluate("window.scrollTo(0, 0)")
        for which in ("top", "bottom"):
            first = page.get_by_test_id(which).get_by_role("listitem").first
            assert in_viewport(page, first), f"the first of {which} is not in the first screen: {first.bounding_box()}"
        # "Your ratings" and the skipped movies are one click away.
        page.get_by_role("link", name="Your ratings (5)").click()
        assert in_viewport(page, page.get_by_role("heading", name="Your ratings (5)"))
        page.get_by_role("link", name=re.compile(r"^Haven’t seen")).click()
        assert in_viewport(page, page.get_by_role("heading", name=re.compile(r"^Haven’t seen")))


# ---- titles and copy -------------------------------------------------------------------------


def test_titles_read_as_people_write_them_and_other_titles_still_find_them(page, site, catalog):
    by_id = {m["movie_id"]: m for m in catalog["movies"]}
    amelie = next(m for m in catalog["movies"] if m["title"] == "Amélie")
    assert amelie["aka"] == ["Le Fabuleux destin d'Amélie Poulain"]
    assert any(m["title"] == "Dumb & Dumber" for m in catalog["movies"])
    assert not [m["title"] for m in catalog["movies"] if m["title"].endswith(")")]
    open_site(page, site.url)
    search(page, "fabuleux destin")
    rows = catalog_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Amélie (2001)")
    rate_guided(page, 0, 4.5)
    wait_for_answer_to(page, 1)
    text = page.locator("main").inner_text()
    assert "model" not in text.lower(), "developer wording in the visitor's view"
    assert str(catalog["model_version"]) not in page.locator("main").inner_text()
    for rec in result_ids(page, "top") + result_ids(page, "bottom"):
        assert "(" not in by_id[rec]["title"] or by_id[rec]["title"].startswith("(")
    mine = page.get_by_role("list", name="Rated movies")
    expect(mine.get_by_role("radio", name="4½ stars")).to_be_checked()


# ---- ways in without typing, forgiving search, skips --------------------------------------------


def test_browse_by_genre_lists_that_genre_most_rated_first_a_page_at_a_time(page, site, catalog):
    open_site(page, site.url)
    page.get_by_label("Genre").select_option("Comedy")
    comedies = [m for m in catalog["movies"] if "Comedy" in (m["genres"] or [])]
    expect(page.get_by_text(f"Comedy: {len(comedies)} movies, most rated first")).to_be_visible()
    rows = catalog_rows(page)
    expect(rows).to_have_count(25)
    shown = [int(rows.nth(i).get_attribute("data-movie-id")) for i in range(25)]
    assert shown == [m["movie_id"] for m in comedies[:25]]
    for i in range(25):
        expect(rows.nth(i)).to_contain_text("Comedy")
    page.get_by_role("button", name=re.compile(r"^Show 25 more")).click()
    expect(rows).to_have_count(50)
    page.get_by_label("Decade").select_option("1980")
    eighties = [m for m in comedies if m["year"] and 1980 <= m["year"] < 1990]
    expect(page.get_by_text(f"Comedy, 1980s: {len(eighties)} movies, most rated first")).to_be_visible()
    assert int(rows.first.get_attribute("data-movie-id")) == eighties[0]["movie_id"]


def test_search_forgives_typos(page, site):
    open_site(page, site.url)
    for typo, title in [("godfater", "The Godfather"), ("shawshenk", "The Shawshank Redemption")]:
        search(page, typo)
        expect(catalog_rows(page).first).to_contain_text(title)


def test_skipped_movies_are_listed_and_can_be_undone_and_clear_all_clears_them_with_undo(page, site):
    open_site(page, site.url)
    with page.expect_response(lambda r: "/api/recommend" in r.url):  # ask_next reads skips: its answer may
        skipped = skip_guided(page, 0)  # refill every card, so rate only once it is on the page
    next_frame(page)
    rated = rate_guided(page, 1, 4)
    wait_for_answer_to(page, 1)
    rows = skipped_rows(page)
    expect(rows).to_have_count(1)
    assert int(rows.first.get_attribute("data-movie-id")) == skipped
    page.get_by_role("button", name="Clear all 1 rating and 1 skip").click()
    assert stored_answers(page) == {"ratings": [], "skipped": []}
    expect(page.get_by_text("Cleared 1 rating and 1 skip.")).to_be_visible()
    page.get_by_role("button", name="Undo", exact=True).click()
    assert stored_answers(page) == {"ratings": [{"movie_id": rated, "rating": 4}], "skipped": [skipped]}
    rows.first.get_by_role("button", name=re.compile(r"^Undo “haven’t seen it”")).click()
    assert stored_answers(page)["skipped"] == []
    expect(page.get_by_role("heading", name="Haven’t seen (0)")).to_be_focused()


# ---- honest states ---------------------------------------------------------------------------


def test_a_503_on_the_catalog_counts_down_and_recovers_by_itself(page, web_dir, model_uri):
    """The real function with nothing published yet answers 503 (Retry-After 5); once a set is published it loads."""
    import shutil
    import time
    from pathlib import Path

    empty = web_dir / "not-yet-published"
    empty.mkdir(exist_ok=True)
    function = FunctionServer({"MODEL_URI": str(empty), "ALLOWED_ORIGINS": ""}, web_dir / "function-503.log")
    with function, harness.SitePreview(function.url, web_dir / "preview-503.log") as preview:
        page.goto(preview.url)
        countdown = page.get_by_test_id("countdown")
        expect(countdown).to_have_text(re.compile(r"^Trying again in [1-5] s\.$"))
        shown_at, first = time.monotonic(), int(re.search(r"\d+", countdown.inner_text())[0])
        expect(page.get_by_role("alert")).to_contain_text("The recommender is starting up.")
        shutil.copytree(Path(model_uri), empty, dirs_exist_ok=True)
        guided_cards(page).first.wait_for(timeout=20_000)  # no click
        waited = time.monotonic() - shown_at
        assert first - 1.5 <= waited <= first + 4, (first, waited)  # the countdown said when it would happen
        assert page.get_by_test_id("error").count() == 0


def test_a_503_on_recommend_counts_down_and_recovers_by_itself(page, site):
    open_site(page, site.url)
    failures = []

    def once_unavailable(route):
        if not failures:
            failures.append(route.request)
            route.fulfill(
                status=503,
                headers={"Retry-After": "2", "Content-Type": "application/json"},
                body='{"error": {"code": "model_unavailable", "message": "loading"}}',
            )
        else:
            route.continue_()

    page.route("**/api/recommend", once_unavailable)
    rate_guided(page, 0, 4)
    expect(page.get_by_test_id("countdown")).to_have_text(re.compile(r"^Trying again in [12] s\.$"))
    expect(page.get_by_role("alert")).to_have_text("The recommender is starting up.")
    wait_for_answer_to(page, 1)  # no click
    assert len(failures) == 1
    assert page.get_by_test_id("error").count() == 0


def test_a_slow_update_says_so_in_words(page, site):
    open_site(page, site.url)
    rate_guided(page, 0, 4)
    wait_for_answer_to(page, 1)

    def slow(route):
        page.wait_for_timeout(2500)
        route.continue_()

    page.route("**/api/recommend", slow)
    page.mouse.move(0, 0)
    rate_guided(page, 1, 2)
    expect(page.get_by_test_id("slow")).to_have_text(re.compile("taking longer than usual"), timeout=2_400)
    wait_for_answer_to(page, 2)
    assert page.get_by_test_id("slow").count() == 0


# ---- progress and the taste map ----------------------------------------------------------------


def test_the_progress_hint_counts_towards_good_lists(page, site):
    open_site(page, site.url)
    expect(page.get_by_test_id("progress")).to_contain_text("0 of 8")
    rate_guided(page, 0, 4)
    wait_for_answer_to(page, 1)
    expect(page.get_by_test_id("progress")).to_contain_text("1 of 8 Rate 7 more for sharper picks")


def test_the_taste_map_marks_rated_and_listed_movies_and_follows_each_rating(page, site, catalog):
    open_site(page, site.url)
    first = rate_guided(page, 0, 5)
    wait_for_answer_to(page, 1)
    page.mouse.move(0, 0)
    taste = page.get_by_test_id("taste-map")
    marks = taste.locator("g.mark")

    def kinds():
        return {
            (int(marks.nth(i).get_attribute("data-movie-id")), marks.nth(i).get_attribute("data-kind"))
            for i in range(marks.count())
        }

    placed = {m["movie_id"] for m in catalog["movies"] if "map" in m}
    expected = {(first, "rated")}
    expected |= {(m, "top") for m in result_ids(page, "top") if m in placed}
    expected |= {(m, "bottom") for m in result_ids(page, "bottom") if m in placed}
    assert kinds() == expected
    assert taste.locator(".map-dots circle").count() == len(placed)
    seq = results_seq(page)
    second = rate_guided(page, 1, 1)
    wait_for_results(page, seq)
    wait_for_answer_to(page, 2)
    now = kinds()
    assert (second, "rated") in now and (first, "rated") in now
    assert {m for m, k in now if k == "top"} == {m for m in result_ids(page, "top") if m in placed}
    # By keyboard: one Tab stop, the arrows go from mark to mark and the label says which.
    svg = taste.locator("svg")
    svg.focus()
    before = page.get_by_test_id("map-label").inner_text()
    page.keyboard.press("ArrowRight")
    after = page.get_by_test_id("map-label").inner_text()
    assert after != before and re.search(r": (you rated it|number \d+ of your (top|bottom) 10)", after)
