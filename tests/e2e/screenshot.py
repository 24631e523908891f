"""Screenshots of the website: `python -m tests.e2e.screenshot [docs/screenshot.png]`.

Writes the results view to the path given (rated through the guided panel and
search), and beside it ``*-first-visit.png`` (the guided panel on a first
visit), ``*-phone.png`` (390 x 844, touch, after rating: the bar leading to
the lists) and ``*-dark.png`` (1280 x 800 in dark mode, the first screen after
five ratings). Real function, real artifacts ($SCREEN_GENIUS_E2E_MODEL_URI, else a
--quick training run), Debian's chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.e2e import harness
from tests.e2e.pages import (
    guided_cards,
    open_site,
    rate,
    rate_guided,
    skip_guided,
    wait_for_answer_to,
    wait_for_results,
)
from tests.fixtures.function_server import FunctionServer

# (title prefix, stars) rated through search; movies missing from the catalog are left out.
PICKS = [("Pulp Fiction", 4.5), ("Star Wars: Episode IV", 5), ("Titanic", 2), ("Twister", 1.5)]


def main(out: Path) -> None:
    first_visit = out.with_name(out.stem + "-first-visit" + out.suffix)
    phone = out.with_name(out.stem + "-phone" + out.suffix)
    dark = out.with_name(out.stem + "-dark" + out.suffix)
    with tempfile.TemporaryDirectory(prefix="sg-shot-") as tmp:
        work = Path(tmp)
        model_uri = harness.artifacts_uri(work)
        with (
            FunctionServer({"MODEL_URI": model_uri, "ALLOWED_ORIGINS": ""}, work / "function.log") as function,
            harness.SitePreview(function.url, work / "preview.log") as site,
        ):
            movies = function.request("GET", "/api/movies", timeout=120)[2]["movies"]
            with harness.open_browser(width=1280, height=900) as context:
                page = context.pages[0]
                open_site(page, site.url)
                page.screenshot(path=str(first_visit))
                rate_guided(page, 0, 4)
                skip_guided(page, 1)
                rate_guided(page, 2, 5)
                for prefix, stars in PICKS:
                    match = next((m for m in movies if m["title"].startswith(prefix)), None)
                    if match:
                        rate(page, match, stars)
                wait_for_results(page, 0)
                page.get_by_label("Search movies").fill("")
                page.evaluate("document.activeElement.blur()")
                page.mouse.move(0, 0)
                page.wait_for_timeout(300)
                page.screenshot(path=str(out), full_page=True)
            with harness.open_browser(390, 844, has_touch=True, is_mobile=True) as context:
                page = context.pages[0]
                open_site(page, site.url)
                guided_cards(page).first.locator(".touch-star").nth(4).tap()
                guided_cards(page).nth(1).locator(".touch-star").nth(1).tap()
                wait_for_results(page, 0)
                page.wait_for_timeout(1500)  # let the "Updated" flash settle
                page.screenshot(path=str(phone))
            with harness.open_browser(1280, 800, color_scheme="dark") as context:
                page = context.pages[0]
                open_site(page, site.url)
                for i, value in enumerate([4, 2, 5, 1, 3]):
                    rate_guided(page, i % 3, value)
                    wait_for_answer_to(page, i + 1)
                    page.mouse.move(0, 0)
                page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
                page.screenshot(path=str(dark))
    print(f"wrote {out}, {first_visit}, {phone}, {dark}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png"))
