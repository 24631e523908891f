"""firebase.json as the Firebase Hosting emulator serves it (demo project, offline).

The emulator proxies function rewrites only to deployed functions, so the
rewrite is checked by where the emulator says it would send `/api/**`: the
function id and region that cloudbuild.yaml deploys (deploy/deploy.env).
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request

import pytest

from tests.e2e import harness
from tests.unit.test_deploy_config import deploy_env

IMMUTABLE = "public, max-age=31536000, immutable"
# Firebase Hosting's header rules are globs matched with minimatch; superstatic (the engine of
# the Hosting emulator, in firebase-tools) exposes the matcher it applies to every request.
MATCHER = """
const {configMatcher} = require("superstatic/lib/utils/patterns");
const [rules, paths] = JSON.parse(process.argv[1]);
const out = {};
for (const path of paths) {
  out[path] = {};
  for (const rule of rules) if (configMatcher(path, rule))
    for (const h of rule.headers) out[path][h.key.toLowerCase()] = h.value;
}
console.log(JSON.stringify(out));
"""


def headers_set_by_rules(paths: list[str]) -> dict[str, dict[str, str]]:
    """The headers firebase.json's rules set on each path, as Hosting's own glob matcher decides (last rule wins)."""
    rules = json.loads((harness.REPO / "firebase.json").read_text())["hosting"]["headers"]
    done = subprocess.run(
        ["node", "-e", MATCHER, json.dumps([rules, paths])],
        cwd=harness.FRONTEND,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_header_rules_leave_the_api_its_own_cache_control():
    api = ["/api", "/api/movies", "/api/recommend", "/api/health", "/api/a/b"]
    got = headers_set_by_rules(api)
    assert got == {path: {} for path in api}, got


def test_header_rules_cache_the_app_shell_never_and_hashed_assets_for_a_year():
    got = headers_set_by_rules(["/", "/index.html", "/some/deep/link", "/apiary", "/assets/index-abc123.js"])
    assert got == {
        "/": {"cache-control": "no-cache"},
        "/index.html": {"cache-control": "no-cache"},
        "/some/deep/link": {"cache-control": "no-cache"},
        "/apiary": {"cache-control": "no-cache"},
        "/assets/index-abc123.js": {"cache-control": IMMUTABLE},
    }


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


@pytest.fixture(scope="module")
def hosting(tmp_path_factory):
    with harness.HostingEmulator(tmp_path_factory.mktemp("hosting")) as emulator:
        yield emulator


def test_serves_the_built_index_without_caching(hosting):
    index = (harness.DIST / "index.html").read_bytes()
    for path in ("/", "/index.html"):
        status, headers, body = get(hosting.url + path)
        assert (status, body) == (200, index), path
        assert headers["cache-control"] == "no-cache", path


def test_unknown_paths_fall_back_to_the_app(hosting):
    status, headers, body = get(hosting.url + "/some/deep/link")
    assert status == 200
    assert body == (harness.DIST / "index.html").read_bytes()
    assert headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_for_a_year(hosting):
    assets = sorted((harness.DIST / "assets").iterdir())
    assert assets, "frontend/dist/assets is empty"
    for asset in assets:
        status, headers, body = get(f"{hosting.url}/assets/{asset.name}")
        assert status == 200 and body == asset.read_bytes(), asset.name
        assert headers["cache-control"] == IMMUTABLE, asset.name


def test_api_rewrite_targets_the_function_and_region_cloudbuild_deploys(hosting):
    env = deploy_env()
    status, _, body = get(hosting.url + "/api/movies")
    # Offline, the emulator cannot reach the live function and says which one it tried.
    assert status >= 500
    assert f"live Function {env['REGION']}/{env['FUNCTION_ID']}" in body.decode(errors="replace")
    target = f"https://{env['REGION']}-{hosting.PROJECT}.cloudfunctions.net/{env['FUNCTION_ID']}"
    assert re.search(rf"Rewriting /api/movies to {re.escape(target)}\b", hosting.log()), hosting.log()[-2000:]
