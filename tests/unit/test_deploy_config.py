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
    assert api["function"] == {"functionId": env["FUNCTION_ID"], "region": env["REGION"]}


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
