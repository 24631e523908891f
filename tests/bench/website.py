"""Website benchmark: click on "Get recommendations" to results rendered, and production JS size.

In Debian's chromium (Playwright) against the real function (functions-framework)
behind ``vite preview``'s /api proxy, as `make site` serves it. Each sample is
measured inside the page: from the button's click to the first animation frame
after the new results are in the DOM. Targets: p50 <= 100 ms; JS <= 200 KB gzipped.

    python -m tests.bench --only website     # or: run(Path("reports/bench"))
Uses $SCREEN_GENIUS_E2E_MODEL_URI when set, else trains a --quick artifact set.
"""

from __future__ import annotations

import gzip
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tests.e2e import harness
from tests.e2e.pages import open_site, rate
from tests.fixtures.function_server import FunctionServer

SAMPLES = 40
RATED = 10
P50_TARGET_MS = 100.0
JS_TARGET_KB = 200.0

# Runs in the page: click, then wait for a newer answer in the DOM, then one frame.
CLICK_TO_RENDER_JS = """
async (n) => {
  const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Get recommendations');
  const results = () => document.querySelector('[data-testid="results"]');
  const samples = [];
  for (let i = 0; i < n; i += 1) {
    const seq = Number(results()?.dataset.seq ?? 0);
    const rendered = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        const r = results();
        if (r && r.dataset.state === 'ready' && Number(r.dataset.seq) > seq) {
          observer.disconnect();
          const dom = performance.now();
          requestAnimationFrame(() => resolve([dom, performance.now()]));
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const start = performance.now();
    button.click();
    const [dom, frame] = await rendered;
    samples.push({ dom: dom - start, frame: frame - start });
    await new Promise((r) => setTimeout(r, 30));
  }
  return samples;
}
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def build_site() -> dict:
    """Build frontend/dist and measure its JavaScript, raw and gzipped (level 9)."""
    if not (harness.FRONTEND / "node_modules" / "vite").exists():
        subprocess.run(["npm", "--prefix", str(harness.FRONTEND), "ci", "--ignore-scripts", "--no-audit", "--no-fund"], check=True)
    subprocess.run(["npm", "--prefix", str(harness.FRONTEND), "run", "build"], check=True,
                   stdout=subprocess.DEVNULL)
    scripts = sorted((harness.DIST / "assets").glob("*.js"))
    raw = sum(p.stat().st_size for p in scripts)
    gzipped = sum(len(gzip.compress(p.read_bytes(), 9)) for p in scripts)
    return {"js_files": len(scripts), "js_kb": round(raw / 1000, 1), "js_gzip_kb": round(gzipped / 1000, 1)}


def server_only_ms(function: FunctionServer, ratings: list[dict], n: int) -> list[float]:
    """The same request without the browser, for comparison."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        status, _, _ = function.request("POST", "/api/recommend", {"ratings": ratings})
        times.append((time.perf_counter() - start) * 1000)
        assert status == 200
    return times


def run(out_dir: Path) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    size = build_site()
    with tempfile.TemporaryDirectory(prefix="sg-bench-web-") as tmp:
        work = Path(tmp)
        model_uri = harness.artifacts_uri(work)
        with FunctionServer({"MODEL_URI": model_uri, "ALLOWED_ORIGINS": ""}, work / "function.log") as function, \
                harness.SitePreview(function.url, work / "preview.log") as site:
            status, _, catalog = function.request("GET", "/api/movies", timeout=120)
            assert status == 200, catalog
            step = catalog["rating_scale"]["step"]
            movies = catalog["movies"][:RATED]
            values = [catalog["rating_scale"]["max"] - (i % 8) * step for i in range(RATED)]
            ratings = [{"movie_id": m["movie_id"], "rating": v} for m, v in zip(movies, values)]
            with harness.open_browser() as context:
                page = context.pages[0]
                open_site(page, site.url)
                for movie, value in zip(movies, values):
                    rate(page, movie, value)
                page.evaluate(CLICK_TO_RENDER_JS, 3)  # warm-up: caches, JIT, first paint of the lists
                samples = page.evaluate(CLICK_TO_RENDER_JS, SAMPLES)
            direct = server_only_ms(function, ratings, SAMPLES)
    frame = [s["frame"] for s in samples]
    dom = [s["dom"] for s in samples]
    result = {
        "click_to_render_ms": {"p50": round(percentile(frame, 50), 1), "p90": round(percentile(frame, 90), 1),
                               "max": round(max(frame), 1), "samples": len(frame)},
        "click_to_dom_ms": {"p50": round(percentile(dom, 50), 1), "p90": round(percentile(dom, 90), 1)},
        "function_direct_ms": {"p50": round(statistics.median(direct), 1), "p90": round(percentile(direct, 90), 1)},
        "ratings": RATED,
        **size,
        "targets": {"click_to_render_p50_ms": P50_TARGET_MS, "js_gzip_kb": JS_TARGET_KB},
    }
    result["meets_targets"] = (result["click_to_render_ms"]["p50"] <= P50_TARGET_MS
                               and result["js_gzip_kb"] <= JS_TARGET_KB)
    (out_dir / "website.json").write_text(json.dumps(result, indent=2) + "\n")
    (out_dir / "website.md").write_text(markdown(result))
    return result


def markdown(r: dict) -> str:
    c, d, f = r["click_to_render_ms"], r["click_to_dom_ms"], r["function_direct_ms"]
    return "\n".join([
        "## Website",
        "",
        f"Chromium (headless, Playwright) -> vite preview /api proxy -> functions-framework; {r['ratings']} ratings, "
        f"{c['samples']} clicks after 3 warm-up clicks.",
        "",
        "| measure | p50 | p90 | target |",
        "| --- | --- | --- | --- |",
        f"| click to results rendered (next frame) | {c['p50']} ms | {c['p90']} ms | p50 <= {r['targets']['click_to_render_p50_ms']:.0f} ms |",
        f"| click to results in the DOM | {d['p50']} ms | {d['p90']} ms | |",
        f"| same request, function only (no browser, no proxy) | {f['p50']} ms | {f['p90']} ms | |",
        "",
        f"Production JavaScript: {r['js_files']} file(s), {r['js_kb']} KB, **{r['js_gzip_kb']} KB gzipped** "
        f"(target <= {r['targets']['js_gzip_kb']:.0f} KB).",
        "",
    ])


if __name__ == "__main__":
    import sys

    print(json.dumps(run(Path(sys.argv[1] if len(sys.argv) > 1 else "reports/bench")), indent=2))
