"""What a user does on the website, in Playwright terms (shared by tests, benchmark, screenshot)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import harness

AXE_JS = harness.FRONTEND / "node_modules" / "axe-core" / "axe.min.js"


def label(movie: dict) -> str:
    return f"{movie['title']} ({movie['year']})" if movie.get("year") else movie["title"]


def stars(value: float) -> str:
    """The site's words for a rating: "1 star", "½ star", "4½ stars"."""
    whole = int(value)
    text = str(whole) if float(value).is_integer() else (f"{whole}½" if whole else "½")
    return f"{text} {'star' if value <= 1 else 'stars'}"


def open_site(page, url: str) -> None:
    """Load the site and wait for the guided panel's first cards."""
    page.goto(url)
    guided_cards(page).first.wait_for()


def search(page, text: str) -> None:
    page.get_by_label("Search movies").fill(text)


def recommend_requests(page) -> list:
    """Every POST /api/recommend the page sends from now on (a list that fills as they go)."""
    sent: list = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" and r.url.endswith("/api/recommend") else None)
    return sent


def skipped_rows(page):
    return page.get_by_role("list", name="Skipped movies", exact=True).get_by_role("listitem")


def catalog_rows(page):
    return page.get_by_role("list", name="Movies", exact=True).get_by_role("listitem")


def guided_cards(page):
    return page.get_by_role("list", name="Movies to rate", exact=True).get_by_role("listitem")


def guided_ids(page) -> list[int]:
    cards = guided_cards(page)
    return [int(cards.nth(i).get_attribute("data-movie-id")) for i in range(cards.count())]


def star_group(scope, movie: dict):
    return scope.get_by_role("radiogroup", name=f"Your rating for {label(movie)}", exact=True)


def click_star(group, value: float) -> None:
    """Click the star slice a pointer would click for ``value`` (mouse layout)."""
    group.get_by_title(stars(value), exact=True).click()


def rate(page, movie: dict, value: float) -> None:
    """Find the movie by searching its title, then click its star for ``value``."""
    search(page, movie["title"])
    click_star(star_group(page.get_by_role("list", name="Movies", exact=True), movie), value)


def guided_card(page, index: int):
    """(movie id, the card of that movie): the card at ``index`` now, pinned by its movie, so a click lands on it
    even when an answer arriving meanwhile reorders the cards (a lazy ``nth`` would follow the new order)."""
    movie_id = int(guided_cards(page).nth(index).get_attribute("data-movie-id"))
    return movie_id, guided_cards(page).and_(page.locator(f'[data-movie-id="{movie_id}"]'))


def rate_guided(page, index: int, value: float) -> int:
    """Rate the guided panel's card at ``index``; returns its movie id."""
    movie_id, card = guided_card(page, index)
    click_star(card.get_by_role("radiogroup"), value)
    return movie_id


def skip_guided(page, index: int) -> int:
    """Press "Haven't seen it" on the guided card at ``index``; returns its movie id."""
    movie_id, card = guided_card(page, index)
    card.get_by_role("button", name="Haven’t seen it", exact=False).click()
    return movie_id


def next_frame(page) -> None:
    """Until the page has rendered two more frames: what an answer that just arrived changes is on it."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def results_seq(page) -> int:
    results = page.get_by_test_id("results")
    return int(results.get_attribute("data-seq")) if results.count() else 0


def wait_for_results(page, after_seq: int = 0) -> None:
    """Until an answer newer than ``after_seq`` is rendered."""
    page.wait_for_function(
        """(seq) => {
             const r = document.querySelector('[data-testid="results"]');
             return r && r.dataset.state === 'ready' && Number(r.dataset.seq) > seq;
           }""",
        arg=after_seq,
    )


def wait_for_answer_to(page, ratings: int) -> None:
    """Until the answer for ``ratings`` ratings is rendered and no newer request is in flight."""
    page.wait_for_function(
        """(n) => {
             const r = document.querySelector('[data-testid="results"]');
             return r && r.dataset.state === 'ready' && Number(r.dataset.ratings) === n;
           }""",
        arg=ratings,
    )


def in_viewport(page, locator) -> bool:
    """The element lies wholly inside the window as it is scrolled now."""
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


def result_ids(page, which: str) -> list[int]:
    items = page.get_by_test_id(which).get_by_role("listitem")
    return [int(items.nth(i).get_attribute("data-movie-id")) for i in range(items.count())]


def stored_answers(page) -> dict:
    return page.evaluate("JSON.parse(localStorage.getItem('screen-genius.answers.v2') || 'null')")


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core (from node_modules, nothing downloaded) run on the page as it is now."""
    if not Path(AXE_JS).exists():
        raise harness.SetupError(f"{AXE_JS} is missing: run `make web-setup`")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [v for v in found if v["impact"] in impacts]
