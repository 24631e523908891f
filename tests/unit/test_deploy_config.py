"""Deployment configuration agrees with itself: firebase.json, cloudbuild.yaml, deploy/deploy.env.

The function's id and region live in deploy/deploy.env; firebase.json cannot
include files, so it repeats them and these tests keep the two in step.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def deploy_env() -> dict[str, str]:
    values = {}
    for line in (REPO / "deploy" / "deploy.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def hosting() -> dict:
    return json.loads((REPO / "firebase.json").read_text())["hosting"]


def cloudbuild() -> dict:
    return yaml.safe_load((REPO / "cloudbuild.yaml").read_text())


def step_script(step_id: str) -> str:
    (step,) = [s for s in cloudbuild()["steps"] if s["id"] == step_id]
    return step["args"][-1]


def test_deploy_env_names_the_function_and_a_region():
    env = deploy_env()
    assert env["FUNCTION_ID"] == "recommend"
    assert re.fullmatch(r"[a-z]+-[a-z]+\d", env["REGION"]), env["REGION"]


def test_firebase_api_rewrite_names_the_function_and_region_of_deploy_env():
    env = deploy_env()
    rewrites = hosting()["rewrites"]
    api = rewrites[0]
    assert api["source"] == "/api/**"
    # The Cloud Run service that backs the 2nd gen function has the function's id: Hosting routes to it
    # directly, with no functions listing to resolve (and no silent fallback when that listing is refused).
    assert api["run"] == {"serviceId": env["FUNCTION_ID"], "region": env["REGION"]}
    assert "function" not in api


def test_firebase_falls_back_to_index_html_after_the_api_rewrite():
    assert hosting()["rewrites"][-1] == {"source": "**", "destination": "/index.html"}


def test_firebase_serves_the_built_site_and_builds_it_before_deploy():
    config = hosting()
    assert config["public"] == "frontend/dist"
    assert any("run build" in command for command in config["predeploy"])


def test_cloudbuild_deploys_the_function_id_and_region_from_deploy_env():
    # What the step actually runs, flag by flag: tests/unit/test_deploy_dry_run.py.
    script = step_script("deploy-function")
    assert ". deploy/deploy.env" in script
    assert 'gcloud functions deploy "$$FUNCTION_ID"' in script
    assert '--region "$$REGION"' in script
    assert script.count("--region") == 1


def test_every_cloudbuild_substitution_is_declared_and_documented():
    text = (REPO / "cloudbuild.yaml").read_text()
    used = set(re.findall(r"\$\{(_[A-Z_]+)\}", text))
    declared = set(cloudbuild()["substitutions"])
    assert used <= declared, used - declared
    docs = (REPO / "docs" / "deploy.md").read_text()
    undocumented = {name for name in declared if f"`{name}`" not in docs}
    assert not undocumented, f"document these in docs/deploy.md: {sorted(undocumented)}"


def security_headers() -> dict[str, str]:
    (rule,) = [r for r in hosting()["headers"] if r["source"] == "**"]
    return {h["key"]: h["value"] for h in rule["headers"]}


def csp_directives() -> dict[str, list[str]]:
    policy = security_headers()["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}


def test_csp_allows_only_the_sites_own_scripts_styles_and_api():
    csp = csp_directives()
    assert csp["default-src"] == ["'none'"]  # anything not named below is refused
    for directive in ("script-src", "style-src", "connect-src", "img-src", "font-src"):
        assert csp[directive] == ["'self'"], directive  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]


def test_every_path_gets_nosniff_a_referrer_policy_and_no_framing():
    headers = security_headers()
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"  # frame-ancestors for browsers without CSP level 2


def test_permissions_policy_turns_off_the_powerful_features_the_site_does_not_use():
    features = dict(f.strip().split("=", 1) for f in security_headers()["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert features[feature] == "()", feature
    assert set(features.values()) == {"()"}  # the site uses none of them
