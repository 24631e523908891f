"""Screenshot of the website with results: `python -m tests.e2e.screenshot [docs/screenshot.png]`.

Real function, real artifacts ($SCREEN_GENIUS_E2E_MODEL_URI, else a --quick
training run), Debian's chromium. Rates a few well-known catalog movies first.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.e2e import harness
from tests.e2e.pages import get_recommendations, open_site, rate, search
from tests.fixtures.function_server import FunctionServer

# (title prefix, stars); movies missing from the catalog are skipped.
PICKS = [("Toy Story", 5), ("Pulp Fiction", 4.5), ("Star Wars: Episode IV", 5), ("Titanic", 2),
         ("Forrest Gump", 4), ("Twister", 1.5), ("The Silence of the Lambs", 3.5)]


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="sg-shot-") as tmp:
        work = Path(tmp)
        model_uri = harness.artifacts_uri(work)
        with FunctionServer({"MODEL_URI": model_uri, "ALLOWED_ORIGINS": ""}, work / "function.log") as function, \
                harness.SitePreview(function.url, work / "preview.log") as site:
            movies = function.request("GET", "/api/movies", timeout=120)[2]["movies"]
            with harness.open_browser(width=1280, height=1000) as context:
                page = context.pages[0]
                open_site(page, site.url)
                for prefix, stars in PICKS:
                    match = next((m for m in movies if m["title"].startswith(prefix)), None)
                    if match:
                        rate(page, match, stars)
                get_recommendations(page)
                search(page, "star")
                page.screenshot(path=str(out), full_page=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png"))
