"""The built site in a real chromium under exactly the headers firebase.json sets.

The Firebase Hosting emulator serves frontend/dist with the repository's
firebase.json (the same code path as tests/e2e/test_firebase_hosting.py), so the
page runs under the configured Content-Security-Policy, Permissions-Policy and
the rest. `/api/**` is answered by the real local function: the emulator can
reach no Cloud Run service, so the browser's requests to the site's own
`/api/...` are forwarded to it, after the browser has checked them against
`connect-src`. A visitor's whole path (guided ratings to results) must run
without one CSP violation or header complaint in the console; a violation fails
the test with the directive, the blocked resource and where it came from.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.e2e import harness
from tests.e2e.pages import open_site, rate_guided, result_ids, wait_for_answer_to

pytestmark = pytest.mark.browser

WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push({
  directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample,
}));
"""
# What chromium prints for a refused resource or a header it cannot parse.
COMPLAINTS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy", "Refused to")


def configured_headers() -> dict[str, str]:
    rules = json.loads((harness.REPO / "firebase.json").read_text())["hosting"]["headers"]
    (rule,) = [r for r in rules if r["source"] == "**"]
    return {h["key"].lower(): h["value"] for h in rule["headers"]}


@pytest.fixture(scope="module")
def hosting(tmp_path_factory):
    with harness.HostingEmulator(tmp_path_factory.mktemp("hosting-csp")) as emulator:
        yield emulator


def forward_api_to(function_url: str):
    """A Playwright route handler that answers /api/... from the local function."""

    def handle(route):
        request = route.request
        path = "/" + request.url.split("/", 3)[3]
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "accept")}
        outgoing = urllib.request.Request(
            function_url + path, data=request.post_data_buffer, headers=headers, method=request.method
        )
        try:
            with urllib.request.urlopen(outgoing, timeout=60) as response:
                status, got, body = response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            status, got, body = error.code, dict(error.headers.items()), error.read()
        route.fulfill(status=status, headers=got, body=body)

    return handle


@pytest.fixture
def watched_page(browser_context, hosting, function):
    browser_context.add_init_script(WATCH)
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.set_default_timeout(15_000)
    page.console_complaints = []
    page.on(
        "console",
        lambda m: page.console_complaints.append(m.text) if any(c in m.text for c in COMPLAINTS) else None,
    )
    page.route(f"{hosting.url}/api/**", forward_api_to(function.url))
    return page


def violations(page) -> list:
    return page.evaluate("window.__cspViolations") + page.console_complaints


def test_a_visitor_goes_from_first_load_to_results_with_no_csp_violation(watched_page, hosting):
    page = watched_page
    response = page.goto(hosting.url + "/")
    wanted = configured_headers()
    assert {k: response.headers.get(k) for k in wanted} == wanted  # the page really runs under them
    open_site(page, hosting.url + "/")
    for slot, value in [(0, 5), (1, 4), (2, 1)]:
        rate_guided(page, slot, value)
        wait_for_answer_to(page, slot + 1)
    assert len(result_ids(page, "top")) == 10
    page.goto(hosting.url + "/some/deep/link")  # the SPA fallback runs under the same policy
    page.get_by_test_id("results").wait_for()
    found = violations(page)
    assert not found, (
        "the site breaks its Content-Security-Policy (firebase.json); change the site, not the policy, "
        "unless the policy must allow something new:\n" + "\n".join(map(str, found))
    )


def test_the_policy_is_enforced_and_a_violation_is_seen(watched_page, hosting):
    """The watch above can see a violation: an injected inline script is refused and reported."""
    page = watched_page
    open_site(page, hosting.url + "/")
    ran = page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.__inlineRan = true';
                   document.head.appendChild(s); return window.__inlineRan === true; }"""
    )
    assert ran is False
    page.wait_for_function("window.__cspViolations.length > 0")
    (violation,) = page.evaluate("window.__cspViolations")
    assert violation["directive"].startswith("script-src")
    connect = page.evaluate("() => fetch('https://elsewhere.example/x').then(() => 'fetched', (e) => 'refused')")
    assert connect == "refused"
    assert any(v["directive"].startswith("connect-src") for v in page.evaluate("window.__cspViolations"))
