"""firebase.json as the Firebase Hosting emulator serves it (demo project, offline).

The emulator proxies Cloud Run rewrites only to services it can look up, so the
rewrite is checked twice: by where the emulator says it would send `/api/**`,
and by what firebase-tools' own deploy code (convertConfig) puts in the version
it releases: the Cloud Run service id and region that cloudbuild.yaml deploys
(deploy/deploy.env), even when listing the project's functions is refused.
"""

from __future__ import annotations

import json
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


def security_headers() -> dict[str, str]:
    rules = json.loads((harness.REPO / "firebase.json").read_text())["hosting"]["headers"]
    (rule,) = [r for r in rules if r["source"] == "**"]
    return {h["key"].lower(): h["value"] for h in rule["headers"]}


def test_header_rules_leave_the_api_its_own_cache_control():
    api = ["/api", "/api/movies", "/api/recommend", "/api/health", "/api/a/b"]
    got = headers_set_by_rules(api)
    assert all("cache-control" not in got[path] for path in api), got


def test_header_rules_cache_the_app_shell_never_and_hashed_assets_for_a_year():
    got = headers_set_by_rules(["/", "/index.html", "/some/deep/link", "/apiary", "/assets/index-abc123.js"])
    assert {path: h.get("cache-control") for path, h in got.items()} == {
        "/": "no-cache",
        "/index.html": "no-cache",
        "/some/deep/link": "no-cache",
        "/apiary": "no-cache",
        "/assets/index-abc123.js": IMMUTABLE,
    }


def test_header_rules_give_every_path_the_security_headers():
    paths = ["/", "/index.html", "/some/deep/link", "/assets/index-abc123.js", "/favicon.svg", "/api/movies"]
    wanted = security_headers()
    assert {"content-security-policy", "x-content-type-options", "referrer-policy", "permissions-policy"} <= set(wanted)
    for path, got in headers_set_by_rules(paths).items():
        assert {k: got.get(k) for k in wanted} == wanted, path


# firebase-tools' deploy code: the rewrites of the version `firebase deploy --only hosting` releases,
# with the project's functions listing refused (403), as it is for an account without that permission.
CONVERT = """
const lib = process.argv[1];
const backend = require(lib + "/deploy/functions/backend");
const {FirebaseError} = require(lib + "/error");
backend.existingBackend = async () => { throw new FirebaseError("listing refused", {status: 403}); };
const {convertConfig} = require(lib + "/deploy/hosting/convertConfig");
const config = JSON.parse(process.argv[2]);
const deploy = {config: {site: "demo-screen-genius", ...config}, version: "sites/demo-screen-genius/versions/v1"};
convertConfig({projectId: "demo-screen-genius"}, {functions: {}}, deploy)
  .then((out) => console.log(JSON.stringify(out)))
  .catch((e) => { console.error(String(e)); process.exit(1); });
"""


def test_deployed_api_rewrite_names_the_cloud_run_service_even_when_functions_cannot_be_listed():
    env = deploy_env()
    hosting_config = json.loads((harness.REPO / "firebase.json").read_text())["hosting"]
    lib = harness.FRONTEND / "node_modules" / "firebase-tools" / "lib"
    done = subprocess.run(
        ["node", "-e", CONVERT, str(lib), json.dumps(hosting_config)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    rewrites = json.loads(done.stdout)["rewrites"]
    assert rewrites[0] == {"glob": "/api/**", "run": {"serviceId": env["FUNCTION_ID"], "region": env["REGION"]}}
    assert rewrites[-1] == {"glob": "**", "path": "/index.html"}


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


def test_serves_the_built_index_without_caching_and_with_the_security_headers(hosting):
    index = (harness.DIST / "index.html").read_bytes()
    for path in ("/", "/index.html"):
        status, headers, body = get(hosting.url + path)
        assert (status, body) == (200, index), path
        assert headers["cache-control"] == "no-cache", path
        assert {k: headers.get(k) for k in security_headers()} == security_headers(), path


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


def test_api_rewrite_targets_the_cloud_run_service_and_region_cloudbuild_deploys(hosting):
    env = deploy_env()
    status, _, _ = get(hosting.url + "/api/movies")
    # Offline, the emulator cannot look up the live service; its log says which one it tried.
    assert status >= 500
    service = f"/projects/{hosting.PROJECT}/locations/{env['REGION']}/services/{env['FUNCTION_ID']}"
    assert f'Looking up Cloud Run service "{service}"' in hosting.log(), hosting.log()[-2000:]
