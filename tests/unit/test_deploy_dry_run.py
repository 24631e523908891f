"""The whole deploy path, run against stand-in `gcloud` and `firebase` command lines.

deploy/bootstrap.sh and every step of cloudbuild.yaml (with Cloud Build's
substitution rules) run for real, with the stand-ins of
tests/fixtures/cloud_standins.py first on PATH, which record each command line.
The tests check what was run, in which order, with which flags; that the
function runs as its own account; that every account gets exactly the roles
docs/deploy.md explains and nothing more; and that substitution values stay
data. They fail when a role, a flag or a step goes missing. No real cloud is
reached (none can be from here), so what the clouds answer is not tested.
"""

from __future__ import annotations

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
RUNTIME = f"{ENV['RUNTIME_SA']}@{PROJECT}.iam.gserviceaccount.com"
DEPLOYER = f"{ENV['DEPLOY_SA']}@{PROJECT}.iam.gserviceaccount.com"
FN_BUILD = f"{ENV['FUNCTION_BUILD_SA']}@{PROJECT}.iam.gserviceaccount.com"
INVOKER_ROLE = f"projects/{PROJECT}/roles/{ENV['INVOKER_POLICY_ROLE']}"
GCF_SOURCES_ONLY = 'resource.name.startsWith("projects/_/buckets/gcf-v2-")'

# (where, resource, member, role, condition expression): everything bootstrap may grant.
EXPECTED_GRANTS = {
    ("bucket", f"gs://{BUCKET}", RUNTIME, "roles/storage.objectViewer", None),
    ("project", PROJECT, DEPLOYER, "roles/logging.logWriter", None),
    ("bucket", f"gs://{PROJECT}_cloudbuild", DEPLOYER, "roles/storage.objectViewer", None),
    ("bucket", f"gs://{BUCKET}", DEPLOYER, "roles/storage.objectAdmin", None),
    ("project", PROJECT, DEPLOYER, "roles/cloudfunctions.developer", None),
    ("service-account", RUNTIME, DEPLOYER, "roles/iam.serviceAccountUser", None),
    ("service-account", FN_BUILD, DEPLOYER, "roles/iam.serviceAccountUser", None),
    ("project", PROJECT, DEPLOYER, INVOKER_ROLE, None),
    ("project", PROJECT, DEPLOYER, "roles/firebasehosting.admin", None),
    ("project", PROJECT, DEPLOYER, "roles/run.viewer", None),
    ("project", PROJECT, DEPLOYER, "roles/serviceusage.apiKeysViewer", None),
    ("project", PROJECT, DEPLOYER, "roles/serviceusage.serviceUsageConsumer", None),
    ("project", PROJECT, FN_BUILD, "roles/logging.logWriter", None),
    ("project", PROJECT, FN_BUILD, "roles/artifactregistry.writer", None),
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


def bootstrap(cloud: Cloud, *args: str):
    return cloud.run(["bash", str(BOOTSTRAP), *args], cwd=REPO)


def grants(calls: list[Call]) -> set[tuple]:
    found = set()
    for call in calls:
        w = call.words
        if "add-iam-policy-binding" not in w:
            continue
        where = {"projects": "project", "buckets": "bucket", "service-accounts": "service-account"}[w[-3]]
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
    }
    for prefix, name in table.items():
        if tuple(w[: len(prefix)]) == prefix:
            return name
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
        "bucket describe",
        "bucket create",
        "bucket describe",
        "bucket create",
        "service-account describe",
        "service-account create",
    ] * 1
    assert kinds[: len(order)] == order
    rest = kinds[len(order) :]
    assert rest[:4] == ["service-account describe", "service-account create"] * 2
    assert rest[4:7] == ["role describe", "role create", "role update"]
    assert set(rest[7:]) == {"grant"} and len(rest[7:]) == len(EXPECTED_GRANTS)
    assert bootstrapped.load()["exists"] == [
        f"firebase:{PROJECT}",
        f"site:{PROJECT}",
        f"gs://{BUCKET}",
        f"gs://{PROJECT}_cloudbuild",
        f"sa:{RUNTIME}",
        f"sa:{DEPLOYER}",
        f"sa:{FN_BUILD}",
        f"role:{ENV['INVOKER_POLICY_ROLE']}",
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


def test_bootstrap_makes_both_buckets_in_the_region_with_uniform_access_and_no_public_access(cloud):
    done = bootstrap(cloud, PROJECT, "europe-west1")
    assert done.returncode == 0, done.stderr
    creates = [c for c in cloud.calls() if kind(c) == "bucket create"]
    assert [c.words[3] for c in creates] == [f"gs://{BUCKET}", f"gs://{PROJECT}_cloudbuild"]
    for create in creates:
        assert create.flag("--location") == "europe-west1"
        assert create.has("--uniform-bucket-level-access") and create.has("--public-access-prevention")
    assert "REGION" in done.stderr and "firebase.json" in done.stderr  # says the rewrite's region must follow


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
        "roles/storage.admin",
        "roles/resourcemanager.projectIamAdmin",
        "roles/iam.serviceAccountAdmin",
        "roles/cloudbuild.builds.builder",
    }
    assert not {g[3] for g in grants(bootstrapped.calls())} & broad
    # Project-wide object admin only for the function build, and only on Cloud Functions' source buckets.
    for where, _, member, role, condition in grants(bootstrapped.calls()):
        if where == "project" and role.startswith("roles/storage."):
            assert (member, condition) == (FN_BUILD, GCF_SOURCES_ONLY)


def test_the_invoker_policy_role_holds_only_the_two_cloud_run_iam_permissions(bootstrapped):
    role_calls = [c for c in bootstrapped.calls() if kind(c) in ("role create", "role update")]
    assert len(role_calls) == 2
    for call in role_calls:
        assert call.words[3] == ENV["INVOKER_POLICY_ROLE"] and call.flag("--project") == PROJECT
        assert sorted(call.flag("--permissions").split(",")) == [
            "run.services.getIamPolicy",
            "run.services.setIamPolicy",
        ]


def test_every_granted_role_is_explained_in_docs_deploy_md():
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
        reason = rows[0].rstrip("| ").rsplit("|", 1)[-1].strip()
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
    assert printed == [[c.tool, *c.argv] for c in real.calls()]


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


def test_cloudbuild_runs_check_test_publish_deploy_function_deploy_hosting_one_after_another():
    steps = cloudbuild()["steps"]
    assert [s["id"] for s in steps] == ["check", "test", "publish", "deploy-function", "deploy-hosting"]
    assert not [s["id"] for s in steps if "waitFor" in s], "waitFor would let steps run out of order"


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
        "--min-instances": "1",
        "--max-instances": "7",
    }
    assert {flag: deploy.flag(flag) for flag in expected} == expected
    for switch in ("--gen2", "--trigger-http", "--allow-unauthenticated"):
        assert deploy.has(switch), switch
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


def test_deploy_hosting_deploys_only_hosting_to_the_build_project(cloud, workspace):
    assert run_step(cloud, workspace, "deploy-hosting").returncode == 0
    (deploy,) = cloud.calls()
    assert deploy.tool == "firebase" and deploy.words == ["deploy"]
    assert deploy.flag("--only") == "hosting" and deploy.flag("--project") == PROJECT
    assert deploy.has("--non-interactive")


def test_publish_trains_and_publishes_only_when_asked(cloud, workspace):
    done = run_step(cloud, workspace, "publish")
    assert done.returncode == 0 and cloud.calls() == []
    assert "keeps serving" in done.stdout
    done = run_step(cloud, workspace, "publish", _PUBLISH_MODEL="true")
    assert done.returncode == 0, done.stderr
    (python,) = cloud.calls()
    assert python.argv == [
        "-m",
        "training",
        "run",
        "--dataset",
        "movielens-sample",
        "--to",
        f"gs://{BUCKET}/screen-genius",
    ]


def test_test_step_runs_make_test(cloud, workspace):
    assert run_step(cloud, workspace, "test").returncode == 0
    assert [c.tool for c in cloud.calls()] == ["apt-get", "apt-get", "make"]
    assert cloud.calls()[-1].argv == ["test"]


def test_check_passes_for_the_build_account_with_a_published_model(tmp_path, workspace):
    cloud = Cloud(workspace.parent / "cloud", account=DEPLOYER, exists=[f"gs://{BUCKET}/screen-genius/latest.json"])
    done = run_step(cloud, workspace, "check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_refuses_a_build_running_as_another_account_and_names_the_right_one(workspace):
    cloud = Cloud(workspace.parent / "cloud", account="123-compute@developer.gserviceaccount.com")
    done = run_step(cloud, workspace, "check", _PUBLISH_MODEL="true")
    assert done.returncode == 1
    assert f"--service-account projects/{PROJECT}/serviceAccounts/{DEPLOYER}" in done.stdout


def test_check_refuses_to_deploy_before_any_model_is_published(workspace):
    cloud = Cloud(workspace.parent / "cloud", account=DEPLOYER)
    done = run_step(cloud, workspace, "check")
    assert done.returncode == 1 and "_PUBLISH_MODEL=true" in done.stdout
    assert run_step(cloud, workspace, "check", _PUBLISH_MODEL="true").returncode == 0


@pytest.mark.parametrize(
    "overrides, message",
    [({"_BUCKET": ""}, "set the _BUCKET substitution"), ({"_PUBLISH_MODEL": "yes"}, "must be true or false")],
)
def test_check_refuses_bad_substitutions(workspace, overrides, message):
    cloud = Cloud(workspace.parent / "cloud", account=DEPLOYER)
    done = run_step(cloud, workspace, "check", **overrides)
    assert done.returncode == 1 and message in done.stdout


def test_no_build_step_changes_iam(cloud, workspace):
    for step in cloudbuild()["steps"]:
        run_step(cloud, workspace, step["id"], _PUBLISH_MODEL="true")
    iam = [str(c) for c in cloud.calls() if any("iam-policy" in w or w == "iam" for w in c.words)]
    assert not iam, iam
