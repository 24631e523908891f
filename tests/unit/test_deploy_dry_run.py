"""The set-up of a project and the deploy build, run against stand-in `gcloud` and `firebase`.

deploy/bootstrap.sh and every step of cloudbuild.yaml (with Cloud Build's
substitution rules) run for real, with the stand-ins of
tests/fixtures/cloud_standins.py first on PATH, which record each command line
and can refuse chosen commands (an IAM grant refused until IAM catches up, an
organisation policy that refuses allUsers). The tests check what was run, in
which order, with which flags; that every account gets exactly the roles
docs/deploy.md explains and nothing more; that refusals are retried or answered
as documented; and that substitution values stay data. The test and publish
builds and deploy/deploy.sh: tests/unit/test_deploy_builds.py. No real cloud is
reached (none can be from here), so what the clouds answer is not tested.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.fixtures.cloud_standins import Call, Cloud
from tests.unit.test_deploy_config import deploy_env

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "deploy" / "bootstrap.sh"
PROJECT = "demo-project-42"
BUCKET = f"{PROJECT}-screen-genius"


ENV = deploy_env()


def email(account_id: str) -> str:
    return f"{account_id}@{PROJECT}.iam.gserviceaccount.com"


TESTER = email(ENV["TEST_SA"])
PUBLISHER = email(ENV["PUBLISH_SA"])
DEPLOYER = email(ENV["DEPLOY_SA"])
RUNTIME = email(ENV["RUNTIME_SA"])
FN_BUILD = email(ENV["FUNCTION_BUILD_SA"])
PUBLIC_ROLE = f"projects/{PROJECT}/roles/{ENV['PUBLIC_ACCESS_ROLE']}"
GCF_SOURCES_ONLY = 'resource.name.startsWith("projects/_/buckets/gcf-v2-")'
MODEL_PREFIX_ONLY = (
    'resource.type == "storage.googleapis.com/Bucket" || '
    f'resource.name.startsWith("projects/_/buckets/{BUCKET}/objects/{ENV["MODEL_PREFIX"]}/")'
)
SOURCES = f"gs://{PROJECT}_cloudbuild"
TEST_LOGS = f"gs://{PROJECT}-screen-genius-test-logs"

# (where, resource, member, role, condition expression): everything bootstrap may grant on a new project.
EXPECTED_GRANTS = {
    ("bucket", SOURCES, TESTER, "roles/storage.objectViewer", None),
    ("bucket", TEST_LOGS, TESTER, "roles/storage.admin", None),
    ("project", PROJECT, PUBLISHER, "roles/logging.logWriter", None),
    ("bucket", SOURCES, PUBLISHER, "roles/storage.objectViewer", None),
    ("bucket", f"gs://{BUCKET}", PUBLISHER, "roles/storage.objectAdmin", MODEL_PREFIX_ONLY),
    ("project", PROJECT, DEPLOYER, "roles/logging.logWriter", None),
    ("bucket", SOURCES, DEPLOYER, "roles/storage.objectViewer", None),
    ("bucket", f"gs://{BUCKET}", DEPLOYER, "roles/storage.objectViewer", None),
    ("project", PROJECT, DEPLOYER, "roles/cloudfunctions.developer", None),
    ("service-account", RUNTIME, DEPLOYER, "roles/iam.serviceAccountUser", None),
    ("service-account", FN_BUILD, DEPLOYER, "roles/iam.serviceAccountUser", None),
    ("project", PROJECT, DEPLOYER, PUBLIC_ROLE, None),  # until the first deploy makes the service
    ("project", PROJECT, DEPLOYER, "roles/firebasehosting.admin", None),
    ("project", PROJECT, DEPLOYER, "roles/run.viewer", None),
    ("project", PROJECT, DEPLOYER, "roles/serviceusage.serviceUsageConsumer", None),
    ("bucket", f"gs://{BUCKET}", RUNTIME, "roles/storage.objectViewer", None),
    ("project", PROJECT, FN_BUILD, "roles/logging.logWriter", None),
    ("repository", ENV["FUNCTION_REPOSITORY"], FN_BUILD, "roles/artifactregistry.writer", None),
    ("project", PROJECT, FN_BUILD, "roles/storage.objectAdmin", GCF_SOURCES_ONLY),
}
APIS = {
    "cloudresourcemanager.googleapis.com",
    "serviceusage.googleapis.com",
    "iam.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",
    "artifactregistry.googleapis.com",
    "storage.googleapis.com",
    "logging.googleapis.com",
    "firebase.googleapis.com",
    "firebasehosting.googleapis.com",
}


# ---- bootstrap ------------------------------------------------------------------------------


def bootstrap(cloud: Cloud, *args: str, script: Path = BOOTSTRAP, **env: str):
    return cloud.run(["bash", str(script), *args], cwd=REPO, **{"BOOTSTRAP_RETRY_DELAYS": "0 0 0", **env})


def grants(calls: list[Call]) -> set[tuple]:
    found = set()
    for call in calls:
        w = call.words
        if "add-iam-policy-binding" not in w:
            continue
        where = {
            "projects": "project",
            "buckets": "bucket",
            "service-accounts": "service-account",
            "repositories": "repository",
            "services": "service",
        }[w[-3]]
        condition = call.flag("--condition")
        expression = None
        if condition and condition != "None":
            expression = dict(part.split("=", 1) for part in condition.split(","))["expression"]
        member = call.flag("--member")
        assert member.startswith("serviceAccount:"), f"{call}: grants to {member}, not to one of our service accounts"
        found.add((where, w[-1], member.removeprefix("serviceAccount:"), call.flag("--role"), expression))
    return found


def kind(call: Call) -> str:
    """A short name for a command: 'gcloud iam service-accounts create' -> 'service-account create'."""
    w = call.words
    if call.tool == "firebase":
        return w[0]
    table = {
        ("billing",): "billing",
        ("services", "enable"): "enable apis",
        ("storage", "buckets", "describe"): "bucket describe",
        ("storage", "buckets", "create"): "bucket create",
        ("iam", "service-accounts", "describe"): "service-account describe",
        ("iam", "service-accounts", "create"): "service-account create",
        ("iam", "roles", "describe"): "role describe",
        ("iam", "roles", "create"): "role create",
        ("iam", "roles", "update"): "role update",
        ("artifacts", "repositories", "describe"): "repository describe",
        ("artifacts", "repositories", "create"): "repository create",
        ("run", "services", "describe"): "service describe",
    }
    for prefix, name in table.items():
        if tuple(w[: len(prefix)]) == prefix:
            return name
    if "remove-iam-policy-binding" in w:
        return "revoke"
    return "grant" if "add-iam-policy-binding" in w else " ".join(w[:3])


@pytest.fixture
def cloud(tmp_path):
    return Cloud(tmp_path / "cloud")


@pytest.fixture
def bootstrapped(cloud):
    done = bootstrap(cloud, PROJECT)
    assert done.returncode == 0, done.stderr
    return cloud


def test_bootstrap_on_a_new_project_runs_every_step_in_order(bootstrapped):
    kinds = [kind(c) for c in bootstrapped.calls()]
    order = [
        "billing",
        "enable apis",
        "apps:list",
        "projects:addfirebase",
        "hosting:sites:get",
        "hosting:sites:create",
        *["bucket describe", "bucket create"] * 3,
        "repository describe",
        "repository create",
        *["service-account describe", "service-account create"] * 5,
        "role describe",
        "role create",
        "role update",
    ]
    assert kinds[: len(order)] == order
    rest = kinds[len(order) :]
    assert set(rest) == {"grant", "service describe", "revoke"} and rest.count("grant") == len(EXPECTED_GRANTS)
    assert bootstrapped.load()["exists"] == [
        f"firebase:{PROJECT}",
        f"site:{PROJECT}",
        f"gs://{BUCKET}",
        SOURCES,
        TEST_LOGS,
        f"repository:{ENV['FUNCTION_REPOSITORY']}",
        *(f"sa:{a}" for a in (TESTER, PUBLISHER, DEPLOYER, RUNTIME, FN_BUILD)),
        f"role:{ENV['PUBLIC_ACCESS_ROLE']}",
    ]


def test_bootstrap_enables_every_api_the_deploy_uses(bootstrapped):
    (enable,) = [c for c in bootstrapped.calls() if kind(c) == "enable apis"]
    assert enable.flag("--project") == PROJECT
    assert set(enable.words[2:]) == APIS


def test_bootstrap_adds_firebase_and_the_hosting_site_named_after_the_project(bootstrapped):
    calls = {kind(c): c for c in bootstrapped.calls() if c.tool == "firebase"}
    assert calls["projects:addfirebase"].words[1] == PROJECT
    assert calls["hosting:sites:create"].words[1] == PROJECT  # https://PROJECT.web.app
    assert calls["hosting:sites:create"].flag("--project") == PROJECT
    assert all(c.has("--non-interactive") for c in calls.values())


@pytest.fixture
def repo_copy(tmp_path):
    """The files bootstrap.sh reads and may write (deploy/, firebase.json), in a scratch copy."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "deploy", copy / "deploy")
    shutil.copy(REPO / "firebase.json", copy / "firebase.json")
    return copy


def test_bootstrap_puts_buckets_repository_function_and_rewrite_in_the_one_region_given(cloud, repo_copy):
    done = bootstrap(cloud, PROJECT, "europe-west1", script=repo_copy / "deploy" / "bootstrap.sh")
    assert done.returncode == 0, done.stderr
    creates = [c for c in cloud.calls() if kind(c) == "bucket create"]
    assert [c.words[3] for c in creates] == [f"gs://{BUCKET}", SOURCES, TEST_LOGS]
    for create in creates:
        assert create.flag("--location") == "europe-west1"
        assert create.has("--uniform-bucket-level-access") and create.has("--public-access-prevention")
    (repository,) = [c for c in cloud.calls() if kind(c) == "repository create"]
    assert repository.flag("--location") == "europe-west1" and repository.flag("--repository-format") == "docker"
    written = (repo_copy / "deploy" / "deploy.env").read_text()
    assert "\nREGION=europe-west1\n" in written and "us-central1" not in written
    rewrite = json.loads((repo_copy / "firebase.json").read_text())["hosting"]["rewrites"][0]
    assert rewrite["run"] == {"serviceId": ENV["FUNCTION_ID"], "region": "europe-west1"}
    assert "commit both" in done.stderr


def test_dry_run_with_another_region_says_what_it_would_change_and_changes_nothing(cloud, repo_copy):
    before = (repo_copy / "deploy" / "deploy.env").read_text(), (repo_copy / "firebase.json").read_text()
    done = bootstrap(cloud, "--dry-run", PROJECT, "europe-west1", script=repo_copy / "deploy" / "bootstrap.sh")
    assert done.returncode == 0, done.stderr
    assert "would set REGION=europe-west1" in done.stdout
    assert ((repo_copy / "deploy" / "deploy.env").read_text(), (repo_copy / "firebase.json").read_text()) == before


PERMISSION_DENIED = (
    "ERROR: (gcloud.storage.buckets.add-iam-policy-binding) PERMISSION_DENIED: "
    f"Service account {TESTER} does not exist."
)


def test_a_grant_refused_twice_while_iam_catches_up_is_retried_and_the_bootstrap_completes(tmp_path):
    cloud = Cloud(
        tmp_path / "cloud", refuse=[{"match": ["add-iam-policy-binding"], "times": 2, "stderr": PERMISSION_DENIED}]
    )
    done = bootstrap(cloud, PROJECT)
    assert done.returncode == 0, done.stderr
    grant_calls = [str(c) for c in cloud.calls() if kind(c) == "grant"]
    first = grant_calls[0]
    assert grant_calls[:3] == [first] * 3  # refused, refused, granted
    assert len(grant_calls) == len(EXPECTED_GRANTS) + 2
    assert grants(cloud.calls()) == EXPECTED_GRANTS
    assert done.stderr.count("refused, trying again") == 2 and "PERMISSION_DENIED" in done.stderr


def test_a_grant_still_refused_after_every_retry_stops_the_bootstrap_saying_what_to_do(tmp_path):
    cloud = Cloud(
        tmp_path / "cloud", refuse=[{"match": ["add-iam-policy-binding"], "times": -1, "stderr": PERMISSION_DENIED}]
    )
    done = bootstrap(cloud, PROJECT)
    assert done.returncode == 1
    grant_calls = [c for c in cloud.calls() if kind(c) == "grant"]
    assert len(grant_calls) == 4 and len({str(c) for c in grant_calls}) == 1  # 1 + 3 retries, then nothing more
    assert "refused 4 times" in done.stderr and "run bootstrap.sh again" in done.stderr
    assert PERMISSION_DENIED in done.stderr


def test_bootstrap_waits_with_growing_delays_by_default():
    text = BOOTSTRAP.read_text()
    (delays,) = re.findall(r'RETRY_DELAYS="\$\{BOOTSTRAP_RETRY_DELAYS:-([0-9 ]+)\}"', text)
    steps = [int(d) for d in delays.split()]
    assert steps == sorted(steps) and steps[0] >= 1 and 60 <= sum(steps) <= 300  # bounded: minutes, not forever


def test_an_account_that_never_accepted_the_firebase_terms_is_told_how(tmp_path):
    refusal = "Error: Failed to add Firebase to Google Cloud Platform project. (terms of service not accepted)"
    cloud = Cloud(tmp_path / "cloud", refuse=[{"match": ["projects:addfirebase"], "times": -1, "stderr": refusal}])
    done = bootstrap(cloud, PROJECT)
    assert done.returncode == 1
    assert "console.firebase.google.com" in done.stderr and "accept the Firebase terms" in done.stderr
    assert not [c for c in cloud.calls() if kind(c) in ("bucket create", "grant")]  # stopped before changing more


def test_the_public_access_role_goes_on_the_service_once_it_exists(tmp_path):
    cloud = Cloud(tmp_path / "cloud", exists=[f"service:{ENV['FUNCTION_ID']}"])
    done = bootstrap(cloud, PROJECT)
    assert done.returncode == 0, done.stderr
    found = grants(cloud.calls())
    assert ("service", ENV["FUNCTION_ID"], DEPLOYER, PUBLIC_ROLE, None) in found
    assert ("project", PROJECT, DEPLOYER, PUBLIC_ROLE, None) not in found
    (service_grant,) = [c for c in cloud.calls() if kind(c) == "grant" and c.words[:2] == ["run", "services"]]
    assert service_grant.flag("--region") == ENV["REGION"]
    (removal,) = [c for c in cloud.calls() if kind(c) == "revoke" and c.flag("--role") == PUBLIC_ROLE]
    assert removal.words[:2] == ["projects", "remove-iam-policy-binding"]


def test_bootstrap_removes_the_broader_grants_of_the_earlier_set_up(bootstrapped):
    revoked = {(c.words[-1], c.flag("--member"), c.flag("--role")) for c in bootstrapped.calls() if kind(c) == "revoke"}
    assert revoked == {
        (f"gs://{BUCKET}", f"serviceAccount:{DEPLOYER}", "roles/storage.objectAdmin"),
        (PROJECT, f"serviceAccount:{DEPLOYER}", "roles/serviceusage.apiKeysViewer"),
        (PROJECT, f"serviceAccount:{DEPLOYER}", f"projects/{PROJECT}/roles/screenGeniusInvokerPolicy"),
        (PROJECT, f"serviceAccount:{FN_BUILD}", "roles/artifactregistry.writer"),
    }
    # None of them is one this set-up grants.
    assert not {(r, m.removeprefix("serviceAccount:"), role) for r, m, role in revoked} & {
        (g[1], g[2], g[3]) for g in EXPECTED_GRANTS
    }


def test_bootstrap_grants_exactly_the_roles_docs_deploy_md_explains(bootstrapped):
    assert grants(bootstrapped.calls()) == EXPECTED_GRANTS


def test_the_runtime_account_may_only_read_the_model_bucket(bootstrapped):
    runtime = {g for g in grants(bootstrapped.calls()) if g[2] == RUNTIME}
    assert runtime == {("bucket", f"gs://{BUCKET}", RUNTIME, "roles/storage.objectViewer", None)}


def test_no_account_gets_a_basic_or_iam_admin_role(bootstrapped):
    broad = {
        "roles/owner",
        "roles/editor",
        "roles/viewer",
        "roles/run.admin",
        "roles/cloudfunctions.admin",
        "roles/firebase.admin",
        "roles/resourcemanager.projectIamAdmin",
        "roles/iam.serviceAccountAdmin",
        "roles/cloudbuild.builds.builder",
        "roles/serviceusage.apiKeysViewer",
        "roles/artifactregistry.admin",
    }
    assert not {g[3] for g in grants(bootstrapped.calls())} & broad
    # Storage Admin only where Cloud Build needs it for a logs bucket: the test build's own.
    admins = {g for g in grants(bootstrapped.calls()) if g[3] == "roles/storage.admin"}
    assert admins == {("bucket", TEST_LOGS, TESTER, "roles/storage.admin", None)}
    # Project-wide object admin only for the function build, and only on Cloud Functions' source buckets.
    for where, _, member, role, condition in grants(bootstrapped.calls()):
        if where == "project" and role.startswith("roles/storage."):
            assert (member, condition) == (FN_BUILD, GCF_SOURCES_ONLY)
        if role.startswith("roles/artifactregistry."):
            assert where == "repository"  # the function's repository, not the project


def test_the_test_account_holds_no_project_role_and_no_model_access(bootstrapped):
    tester = {g for g in grants(bootstrapped.calls()) if g[2] == TESTER}
    assert tester == {
        ("bucket", SOURCES, TESTER, "roles/storage.objectViewer", None),
        ("bucket", TEST_LOGS, TESTER, "roles/storage.admin", None),
    }


def test_the_publish_account_may_write_only_the_model_prefix(bootstrapped):
    publisher = {g for g in grants(bootstrapped.calls()) if g[2] == PUBLISHER}
    writes = {g for g in publisher if g[3] not in ("roles/logging.logWriter", "roles/storage.objectViewer")}
    assert writes == {("bucket", f"gs://{BUCKET}", PUBLISHER, "roles/storage.objectAdmin", MODEL_PREFIX_ONLY)}


def test_the_deploy_account_can_no_longer_write_the_model_or_read_api_keys(bootstrapped):
    deployer = {(g[1], g[3]) for g in grants(bootstrapped.calls()) if g[2] == DEPLOYER}
    assert (f"gs://{BUCKET}", "roles/storage.objectViewer") in deployer
    assert not {role for _, role in deployer} & {"roles/storage.objectAdmin", "roles/serviceusage.apiKeysViewer"}


def test_the_public_access_role_holds_only_what_making_a_service_public_takes(bootstrapped):
    role_calls = [c for c in bootstrapped.calls() if kind(c) in ("role create", "role update")]
    assert len(role_calls) == 2
    for call in role_calls:
        assert call.words[3] == ENV["PUBLIC_ACCESS_ROLE"] and call.flag("--project") == PROJECT
        assert sorted(call.flag("--permissions").split(",")) == [
            "run.services.get",
            "run.services.getIamPolicy",
            "run.services.setIamPolicy",
            "run.services.update",
        ]


def test_every_granted_role_is_explained_in_docs_deploy_md_with_the_step_that_needs_it():
    docs = (REPO / "docs" / "deploy.md").read_text()
    for _, _, member, role, _ in EXPECTED_GRANTS:
        name = role.rsplit("/", 1)[-1] if role.startswith("projects/") else role
        account = member.split("@")[0]
        rows = [
            line
            for line in docs.splitlines()
            if line.startswith("|") and f"`{name}`" in line and f"`{account}`" in line
        ]
        assert rows, f"docs/deploy.md: no table row naming `{name}` for `{account}`"
        cells = [cell.strip() for cell in rows[0].strip().strip("|").split("|")]
        assert len(cells) == 5, f"docs/deploy.md: account | role | on | needed by | why, not {cells}"
        needed_by, reason = cells[3], cells[4]
        assert needed_by, f"docs/deploy.md: say which step needs `{name}` for `{account}`"
        assert len(reason) >= 30, f"docs/deploy.md: say why `{account}` needs `{name}` (got {reason!r})"


def test_bootstrap_run_again_creates_nothing_and_grants_the_same(bootstrapped):
    first = grants(bootstrapped.calls())
    bootstrapped.clear_log()
    again = bootstrap(bootstrapped, PROJECT)
    assert again.returncode == 0, again.stderr
    kinds = [kind(c) for c in bootstrapped.calls()]
    assert not [k for k in kinds if k.endswith("create") or k == "projects:addfirebase"], kinds
    assert grants(bootstrapped.calls()) == first
    assert "= exists:" in again.stderr


def test_bootstrap_stops_before_changing_anything_when_billing_is_off(tmp_path):
    cloud = Cloud(tmp_path / "cloud", billing="False")
    done = bootstrap(cloud, PROJECT)
    assert done.returncode == 1
    assert "billing is not enabled" in done.stderr and "gcloud billing projects link" in done.stderr
    assert [kind(c) for c in cloud.calls()] == ["billing"]


def test_bootstrap_refuses_a_malformed_project_id_and_runs_nothing(cloud):
    done = bootstrap(cloud, "My_Project")
    assert done.returncode == 2 and "not a Google Cloud project id" in done.stderr
    assert cloud.calls() == []


def test_dry_run_prints_every_command_of_a_real_run_and_runs_none(cloud, tmp_path):
    dry = bootstrap(cloud, "--dry-run", PROJECT)
    assert dry.returncode == 0, dry.stderr
    assert cloud.calls() == [], "--dry-run ran commands"
    printed = []
    for line in dry.stdout.splitlines():
        if not line or line.startswith(("#", " ")):
            continue
        for command in line.split(" || "):
            argv = shlex.split(command.replace(" >/dev/null 2>&1", ""))
            printed.append([Path(argv[0]).name, *argv[1:]])
    real = Cloud(tmp_path / "real")
    assert bootstrap(real, PROJECT).returncode == 0
    # The real run asks whether the service exists yet (the dry run assumes not, and says so).
    assert printed == [[c.tool, *c.argv] for c in real.calls() if kind(c) != "service describe"]
    assert "until the first deploy creates service" in dry.stdout


def test_dry_run_prints_the_plan_account_by_account(cloud):
    dry = bootstrap(cloud, "--dry-run", PROJECT)
    headings = [line for line in dry.stdout.splitlines() if line.startswith("## ")]
    for account in (TESTER, PUBLISHER, DEPLOYER, RUNTIME, FN_BUILD):
        (heading,) = [h for h in headings if account in h]
        assert ":" in heading.split(account, 1)[1], heading  # says what the account may do


# ---- Cloud Build ----------------------------------------------------------------------------

BUILTINS = {"PROJECT_ID": PROJECT, "PROJECT_NUMBER": "123456789012", "BUILD_ID": "b-1", "LOCATION": "global"}
_TOKEN = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|.?)")


class SubstitutionError(ValueError):
    pass


def substitute(text: str, values: dict[str, str]) -> str:
    """Cloud Build's rule: $$ is a literal $; $NAME and ${NAME} must be substitutions; any other $ is refused."""

    def one(match: re.Match) -> str:
        if match.group(1) == "$":
            return "$"
        name = match.group(2) or match.group(3)
        if name is None:
            raise SubstitutionError(f"bare '$' before {match.group(1)!r} in {text[:80]!r}: escape it as $$")
        if name not in values:
            raise SubstitutionError(
                f"${name} is neither a declared substitution nor a built-in (use $${name} for a shell variable)"
            )
        return values[name]

    return _TOKEN.sub(one, text)


def cloudbuild() -> dict:
    return yaml.safe_load((REPO / "cloudbuild.yaml").read_text())


def substitution_values(**overrides: str) -> dict[str, str]:
    declared = {k: str(v) for k, v in cloudbuild()["substitutions"].items()}
    unknown = set(overrides) - set(declared)
    assert not unknown, f"not declared in cloudbuild.yaml: {unknown}"
    return {**BUILTINS, **declared, "_BUCKET": BUCKET, **overrides}


def walk_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from walk_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_strings(value)


@pytest.fixture
def workspace(tmp_path, cloud):
    """What Cloud Build's /workspace holds when a step starts: the repository (the parts the steps read),
    the virtual environment `make test` left (its activate script) and firebase-tools."""
    ws = tmp_path / "workspace"
    shutil.copytree(REPO / "deploy", ws / "deploy")
    (ws / ".venv" / "bin").mkdir(parents=True)
    (ws / ".venv" / "bin" / "activate").write_text("# the venv `make test` made\n")
    (ws / "frontend" / "node_modules" / ".bin").mkdir(parents=True)
    (ws / "frontend" / "node_modules" / ".bin" / "firebase").symlink_to(cloud.bin / "firebase")
    return ws


def run_step(cloud: Cloud, workspace: Path, step_id: str, **substitutions: str):
    """Run one step as Cloud Build does: substitute its fields, set options.env and the step's env, run its args."""
    config = cloudbuild()
    values = substitution_values(**substitutions)
    (step,) = [s for s in config["steps"] if s["id"] == step_id]
    env = {}
    for entry in [*config["options"].get("env", []), *step.get("env", [])]:
        key, _, value = substitute(entry, values).partition("=")
        env[key] = value
    args = [substitute(a, values) for a in step["args"]]
    assert step["entrypoint"] == "bash"
    return cloud.run(["bash", *args], cwd=workspace, **env)


def test_cloudbuild_runs_check_deploy_function_public_access_deploy_hosting_one_after_another():
    steps = cloudbuild()["steps"]
    assert [s["id"] for s in steps] == ["check", "deploy-function", "public-access", "deploy-hosting"]
    assert not [s["id"] for s in steps if "waitFor" in s], "waitFor would let steps run out of order"


def test_the_deploy_build_runs_no_tests_and_installs_no_python_packages():
    for step in cloudbuild()["steps"]:
        code = "\n".join(line for line in step["args"][-1].splitlines() if not line.strip().startswith("#"))
        assert not re.search(r"\bmake\b|pip install|pytest|python -m training", code), step["id"]


def test_every_dollar_in_cloudbuild_is_a_substitution_or_escaped():
    values = substitution_values()
    for text in walk_strings(cloudbuild()):
        substitute(text, values)  # raises on anything Cloud Build would refuse


def test_substitutions_reach_scripts_only_as_environment_variables():
    for step in cloudbuild()["steps"]:
        script = step["args"][-1]
        inlined = re.findall(r"(?<!\$)\$\{?_[A-Z_]+", script.replace("$$", ""))
        assert not inlined, f"step {step['id']} pastes {inlined} into its script; pass it through options.env"


def test_hostile_substitution_values_stay_data(cloud, workspace):
    prefix = 'x"; touch pwned-prefix; echo "'
    origins = "https://a.example,$(touch pwned-origins)`touch pwned-tick`"
    done = run_step(cloud, workspace, "deploy-function", _PREFIX=prefix, _ALLOWED_ORIGINS=origins)
    assert done.returncode == 0, done.stderr
    assert not list(workspace.glob("pwned*"))
    (deploy,) = [c for c in cloud.calls() if c.words[:2] == ["functions", "deploy"]]
    env_vars = deploy.flag("--set-env-vars")
    assert f"MODEL_URI=gs://{BUCKET}/{prefix}|" in env_vars and f"ALLOWED_ORIGINS={origins}|" in env_vars


def set_env_vars(call: Call) -> dict[str, str]:
    raw = call.flag("--set-env-vars")
    assert raw.startswith("^|^"), "use ^|^ so that values may hold commas"
    return dict(item.split("=", 1) for item in raw[3:].split("|"))


def test_deploy_function_runs_as_the_runtime_account_with_the_measured_settings(cloud, workspace):
    done = run_step(cloud, workspace, "deploy-function", _MIN_INSTANCES="1", _MAX_INSTANCES="7")
    assert done.returncode == 0, done.stderr
    (deploy,) = [c for c in cloud.calls() if c.tool == "gcloud"]
    assert deploy.words[:3] == ["functions", "deploy", ENV["FUNCTION_ID"]]
    expected = {
        "--project": PROJECT,
        "--region": ENV["REGION"],
        "--runtime": ENV["FUNCTION_RUNTIME"],
        "--entry-point": "recommend",
        "--source": "functions",
        "--service-account": RUNTIME,
        "--build-service-account": f"projects/{PROJECT}/serviceAccounts/{FN_BUILD}",
        "--cpu": ENV["FUNCTION_CPU"],
        "--memory": ENV["FUNCTION_MEMORY"],
        "--concurrency": ENV["FUNCTION_CONCURRENCY"],
        "--timeout": ENV["FUNCTION_TIMEOUT"],
        "--docker-repository": f"projects/{PROJECT}/locations/{ENV['REGION']}/repositories/"
        + ENV["FUNCTION_REPOSITORY"],
        "--min-instances": "1",
        "--max-instances": "7",
    }
    assert {flag: deploy.flag(flag) for flag in expected} == expected
    for switch in ("--gen2", "--trigger-http", "--quiet"):
        assert deploy.has(switch), switch
    # Who may call it is public-access's work: an allUsers binding refused here would fail the deploy.
    assert not deploy.has("--allow-unauthenticated") and not deploy.has("--no-allow-unauthenticated")
    assert set_env_vars(deploy) == {
        "MODEL_URI": f"gs://{BUCKET}/screen-genius",
        "ALLOWED_ORIGINS": f"https://{PROJECT}.web.app,https://{PROJECT}.firebaseapp.com",
        "THREADS": ENV["FUNCTION_CONCURRENCY"],
        "WORKERS": "1",
    }


def test_measured_settings_are_ones_cloud_run_accepts():
    assert float(ENV["FUNCTION_CPU"]) >= 1, "concurrency above 1 needs at least one whole vCPU"
    assert int(ENV["FUNCTION_CONCURRENCY"]) > 1
    assert re.fullmatch(r"\d+Mi", ENV["FUNCTION_MEMORY"]) and int(ENV["FUNCTION_MEMORY"][:-2]) >= 512
    assert re.fullmatch(r"\d+s", ENV["FUNCTION_TIMEOUT"]) and 10 <= int(ENV["FUNCTION_TIMEOUT"][:-1]) <= 300


def test_function_worker_threads_match_the_concurrency(cloud, workspace, monkeypatch):
    """functions-framework (the pinned version) reads THREADS and WORKERS; the deploy sets both."""
    from functions_framework._http.gunicorn import GunicornApplication

    assert run_step(cloud, workspace, "deploy-function").returncode == 0
    (deploy,) = [c for c in cloud.calls() if c.tool == "gcloud"]
    for key, value in set_env_vars(deploy).items():
        monkeypatch.setenv(key, value)
    server = GunicornApplication(app=None, host="127.0.0.1", port=0, debug=False)
    assert server.options["threads"] == int(deploy.flag("--concurrency"))
    assert server.options["workers"] == 1


def test_deploy_runtime_is_the_python_the_tests_run_on():
    assert ENV["FUNCTION_RUNTIME"] == f"python{sys.version_info.major}{sys.version_info.minor}"
    # The Cloud Build test step runs on Debian bookworm, whose python3 is 3.11 as well.
    assert cloudbuild()["substitutions"]["_BUILD_IMAGE"].endswith("-bookworm")


def test_build_image_is_a_node_lts_line_in_support():
    image = cloudbuild()["substitutions"]["_BUILD_IMAGE"]
    major = int(re.fullmatch(r"node:(\d+)-bookworm", image).group(1))
    assert major % 2 == 0 and major >= 24, f"{image}: Node {major} is not an LTS line in support (20 ended 2026-04)"


def test_deploy_hosting_installs_the_site_without_install_scripts_and_deploys_only_hosting(cloud, workspace):
    assert run_step(cloud, workspace, "deploy-hosting").returncode == 0
    npm, deploy = cloud.calls()
    assert (
        npm.tool == "npm" and npm.words == ["ci"] and npm.has("--ignore-scripts") and npm.flag("--prefix") == "frontend"
    )
    assert deploy.tool == "firebase" and deploy.words == ["deploy"]
    assert deploy.flag("--only") == "hosting" and deploy.flag("--project") == PROJECT
    assert deploy.has("--non-interactive")


DOMAIN_RESTRICTED = (
    "ERROR: (gcloud.run.services.add-iam-policy-binding) FAILED_PRECONDITION: One or more users named "
    "in the policy do not belong to a permitted customer."
)


def test_public_access_lets_all_users_invoke_the_service(cloud, workspace):
    done = run_step(cloud, workspace, "public-access")
    assert done.returncode == 0, done.stderr
    (binding,) = cloud.calls()
    assert binding.words == ["run", "services", "add-iam-policy-binding", ENV["FUNCTION_ID"]]
    assert (binding.flag("--member"), binding.flag("--role")) == ("allUsers", "roles/run.invoker")
    assert (binding.flag("--project"), binding.flag("--region")) == (PROJECT, ENV["REGION"])


def test_where_the_organisation_refuses_all_users_the_invoker_iam_check_is_turned_off(tmp_path, workspace):
    cloud = Cloud(tmp_path / "drs", refuse=[{"match": ["allUsers"], "times": -1, "stderr": DOMAIN_RESTRICTED}])
    done = run_step(cloud, workspace, "public-access")
    assert done.returncode == 0, done.stderr
    binding, update = cloud.calls()
    assert binding.flag("--member") == "allUsers"
    assert update.words == ["run", "services", "update", ENV["FUNCTION_ID"]] and update.has("--no-invoker-iam-check")
    assert (update.flag("--project"), update.flag("--region")) == (PROJECT, ENV["REGION"])
    assert "domain restricted sharing" in done.stdout and "invoker IAM check" in done.stdout


def test_public_access_without_the_role_stops_and_names_the_cause(tmp_path, workspace):
    denied = "ERROR: PERMISSION_DENIED: Permission 'run.services.setIamPolicy' denied on resource"
    cloud = Cloud(tmp_path / "denied", refuse=[{"match": ["allUsers"], "times": -1, "stderr": denied}])
    done = run_step(cloud, workspace, "public-access")
    assert done.returncode == 1
    assert len(cloud.calls()) == 1  # no fallback: only the organisation's refusal of allUsers falls back
    assert ENV["PUBLIC_ACCESS_ROLE"] in done.stderr and "bootstrap.sh" in done.stderr


def test_check_passes_for_the_build_account_with_a_published_model(tmp_path, workspace):
    cloud = Cloud(workspace.parent / "cloud", account=DEPLOYER, exists=[f"gs://{BUCKET}/screen-genius/latest.json"])
    done = run_step(cloud, workspace, "check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_refuses_a_build_running_as_another_account_and_names_the_right_one(workspace):
    cloud = Cloud(workspace.parent / "cloud", account="123-compute@developer.gserviceaccount.com")
    done = run_step(cloud, workspace, "check")
    assert done.returncode == 1
    assert f"--service-account projects/{PROJECT}/serviceAccounts/{DEPLOYER}" in done.stdout


def test_check_refuses_to_deploy_before_any_model_is_published(workspace):
    cloud = Cloud(workspace.parent / "cloud", account=DEPLOYER)
    done = run_step(cloud, workspace, "check")
    assert done.returncode == 1 and "deploy/deploy.sh --publish-model" in done.stdout


@pytest.mark.parametrize(
    "overrides, message",
    [({"_BUCKET": ""}, "set the _BUCKET substitution")],
)
def test_check_refuses_bad_substitutions(workspace, overrides, message):
    cloud = Cloud(workspace.parent / "cloud", account=DEPLOYER)
    done = run_step(cloud, workspace, "check", **overrides)
    assert done.returncode == 1 and message in done.stdout


def test_no_build_step_grants_a_role_or_touches_accounts(cloud, workspace):
    for step in cloudbuild()["steps"]:
        run_step(cloud, workspace, step["id"])
    iam = [c for c in cloud.calls() if any("iam-policy" in w or w == "iam" for w in c.words)]
    # The one IAM change a deploy makes: anyone may invoke the function's service (public-access).
    assert [(c.words[:2], c.flag("--member"), c.flag("--role")) for c in iam] == [
        (["run", "services"], "allUsers", "roles/run.invoker")
    ]
