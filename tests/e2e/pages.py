"""What a user does on the website, in Playwright terms (shared by tests, benchmark, screenshot)."""

from __future__ import annotations


def label(movie: dict) -> str:
    return f"{movie['title']} ({movie['year']})" if movie.get("year") else movie["title"]


def stars(value: float) -> str:
    text = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    return f"{text} {'star' if value == 1 else 'stars'}"


def open_site(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("list", name="Movies", exact=True).wait_for()


def search(page, text: str) -> None:
    page.get_by_label("Search movies").fill(text)


def catalog_rows(page):
    return page.get_by_role("list", name="Movies", exact=True).get_by_role("listitem")


def rate(page, movie: dict, value: float) -> None:
    """Find the movie by searching its title, then click its star for ``value``."""
    search(page, movie["title"])
    group = page.get_by_role("list", name="Movies", exact=True).get_by_role(
        "radiogroup", name=f"Your rating for {label(movie)}", exact=True)
    group.get_by_title(stars(value), exact=True).click()  # the star slice a pointer clicks


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


def result_ids(page, which: str) -> list[int]:
    items = page.get_by_test_id(which).get_by_role("listitem")
    return [int(items.nth(i).get_attribute("data-movie-id")) for i in range(items.count())]


def get_recommendations(page) -> None:
    seq = results_seq(page)
    page.get_by_role("button", name="Get recommendations").click()
    wait_for_results(page, seq)
