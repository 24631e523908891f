"""The test and publish builds, and deploy/deploy.sh, which runs the three builds in order.

Each build runs as its own account (tests/unit/test_deploy_dry_run.py checks the
grants): the tests as an account with no project role, the publish as one that
may write the model prefix only, the deploy as the deploy account. The builds'
steps run for real (bash, Cloud Build's substitution rules) and deploy.sh runs
for real in a scratch git checkout, all against the recording stand-ins of
tests/fixtures/cloud_standins.py. Cloud Build itself was never reached: whether
it accepts these files and accounts is not tested here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.fixtures.cloud_standins import Cloud
from tests.unit.test_deploy_config import deploy_env
from tests.unit.test_deploy_dry_run import BUILTINS, substitute, walk_strings

REPO = Path(__file__).resolve().parents[2]
PROJECT = BUILTINS["PROJECT_ID"]
BUCKET = f"{PROJECT}-screen-genius"
ENV = deploy_env()
# Cloud Build's default pool machine types (machineType), vCPUs and GB of memory.
MACHINES = {"E2_MEDIUM": (1, 4), "E2_HIGHCPU_8": (8, 8), "E2_HIGHCPU_32": (32, 32), "N1_HIGHCPU_8": (8, 7.2)}


def config(name: str) -> dict:
    return yaml.safe_load((REPO / name).read_text())


def run_step(cloud: Cloud, workspace: Path, name: str, step_id: str, **overrides: str):
    conf = config(name)
    values = {**BUILTINS, **{k: str(v) for k, v in conf.get("substitutions", {}).items()}, **overrides}
    (step,) = [s for s in conf["steps"] if s["id"] == step_id]
    env = dict(substitute(e, values).split("=", 1) for e in [*conf["options"].get("env", []), *step.get("env", [])])
    assert step["entrypoint"] == "bash"
    return cloud.run(["bash", *[substitute(a, values) for a in step["args"]]], cwd=workspace, **env)


@pytest.fixture
def cloud(tmp_path):
    return Cloud(tmp_path / "cloud")


@pytest.fixture
def workspace(tmp_path):
    ws = tmp_path / "workspace"
    shutil.copytree(REPO / "deploy", ws / "deploy")
    (ws / ".venv" / "bin").mkdir(parents=True)
    (ws / ".venv" / "bin" / "activate").write_text("# what `make setup` made\n")
    return ws


@pytest.mark.parametrize("name", ["deploy/test.cloudbuild.yaml", "deploy/publish.cloudbuild.yaml"])
def test_every_dollar_is_a_substitution_or_escaped(name):
    conf = config(name)
    values = {**BUILTINS, **{k: str(v) for k, v in conf.get("substitutions", {}).items()}}
    for text in walk_strings(conf):
        substitute(text, values)


# ---- the test build -------------------------------------------------------------------------


def test_test_build_runs_make_test_with_ci_set_on_python_3_11(cloud, workspace):
    done = run_step(cloud, workspace, "deploy/test.cloudbuild.yaml", "test")
    assert done.returncode == 0, done.stderr
    assert [c.tool for c in cloud.calls()] == ["apt-get", "apt-get", "make"]
    assert cloud.calls()[-1].argv == ["test"]
    (step,) = config("deploy/test.cloudbuild.yaml")["steps"]
    assert "CI=true" in step["env"]
    assert config("deploy/test.cloudbuild.yaml")["substitutions"]["_BUILD_IMAGE"].endswith("-bookworm")  # Python 3.11


def test_test_build_logs_to_a_bucket_so_its_account_needs_no_project_role():
    options = config("deploy/test.cloudbuild.yaml")["options"]
    assert options["logging"] == "GCS_ONLY"  # Cloud Logging would take roles/logging.logWriter on the project
    assert "serviceAccount" not in config("deploy/test.cloudbuild.yaml")  # deploy.sh names the test account


@pytest.mark.parametrize("name", ["deploy/test.cloudbuild.yaml", "deploy/publish.cloudbuild.yaml"])
def test_heavy_builds_name_a_machine_with_room_for_what_was_measured(name):
    machine = config(name)["options"]["machineType"]
    cpus, memory_gb = MACHINES[machine]
    assert cpus >= 8 and memory_gb >= 8  # docs/deploy.md, "Build machines": peaks measured with headroom


# ---- the publish build ----------------------------------------------------------------------


def test_publish_build_sets_up_then_trains_and_publishes_to_the_model_prefix(cloud, workspace):
    done = run_step(cloud, workspace, "deploy/publish.cloudbuild.yaml", "publish", _BUCKET=BUCKET, _REVISION="abc")
    assert done.returncode == 0, done.stderr
    calls = cloud.calls()
    assert [c.tool for c in calls] == ["apt-get", "apt-get", "make", "python"]
    assert calls[2].argv == ["setup"]
    assert calls[3].argv == [
        "-m",
        "training",
        "run",
        "--dataset",
        "movielens-sample",
        "--to",
        f"gs://{BUCKET}/screen-genius",
    ]


def test_publish_build_writes_only_where_its_account_may_write():
    assert config("deploy/publish.cloudbuild.yaml")["substitutions"]["_PREFIX"] == ENV["MODEL_PREFIX"]
    assert config("cloudbuild.yaml")["substitutions"]["_PREFIX"] == ENV["MODEL_PREFIX"]  # and the function reads


def test_publish_build_refuses_an_empty_bucket_before_installing_anything(cloud, workspace):
    done = run_step(cloud, workspace, "deploy/publish.cloudbuild.yaml", "publish")
    assert done.returncode == 1 and "set the _BUCKET substitution" in done.stdout
    assert cloud.calls() == []


# ---- deploy/deploy.sh -----------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path):
    """A scratch git checkout holding what deploy.sh reads."""
    repo = tmp_path / "checkout"
    shutil.copytree(REPO / "deploy", repo / "deploy")
    shutil.copy(REPO / "cloudbuild.yaml", repo / "cloudbuild.yaml")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "x"], check=True)
    return repo


def deploy(cloud: Cloud, checkout: Path, *args: str):
    return cloud.run(["bash", str(checkout / "deploy" / "deploy.sh"), *args], cwd=checkout)


def submits(cloud: Cloud) -> list:
    return [c for c in cloud.calls() if c.words[:2] == ["builds", "submit"]]


def account(name: str) -> str:
    return f"projects/{PROJECT}/serviceAccounts/{ENV[name]}@{PROJECT}.iam.gserviceaccount.com"


def test_first_deploy_tests_then_publishes_then_deploys_each_as_its_own_account(cloud, checkout):
    done = deploy(cloud, checkout, "--publish-model", PROJECT)
    assert done.returncode == 0, done.stderr
    test, publish, deploy_build = submits(cloud)
    assert (test.flag("--config"), test.flag("--service-account")) == (
        "deploy/test.cloudbuild.yaml",
        account("TEST_SA"),
    )
    assert test.flag("--gcs-log-dir") == f"gs://{PROJECT}-screen-genius-test-logs/logs"
    assert (publish.flag("--config"), publish.flag("--service-account")) == (
        "deploy/publish.cloudbuild.yaml",
        account("PUBLISH_SA"),
    )
    revision = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert (
        publish.flag("--substitutions") == f"_BUCKET={BUCKET},_PREFIX=screen-genius,_REVISION={revision.stdout.strip()}"
    )
    assert (deploy_build.flag("--config"), deploy_build.flag("--service-account")) == (
        "cloudbuild.yaml",
        account("DEPLOY_SA"),
    )
    assert deploy_build.flag("--substitutions") == f"^;^_BUCKET={BUCKET}"


def test_after_the_first_deploy_the_public_access_role_moves_onto_the_service(cloud, checkout):
    assert deploy(cloud, checkout, "--publish-model", PROJECT).returncode == 0
    role = f"projects/{PROJECT}/roles/{ENV['PUBLIC_ACCESS_ROLE']}"
    member = f"serviceAccount:{ENV['DEPLOY_SA']}@{PROJECT}.iam.gserviceaccount.com"
    moves = [c for c in cloud.calls() if "iam-policy-binding" in " ".join(c.words)]
    assert [c.words[:3] for c in moves] == [
        ["run", "services", "add-iam-policy-binding"],
        ["projects", "remove-iam-policy-binding", PROJECT],
    ]
    assert all((c.flag("--member"), c.flag("--role")) == (member, role) for c in moves)


def test_a_later_deploy_publishes_nothing_and_moves_no_role(tmp_path, checkout):
    cloud = Cloud(tmp_path / "cloud", exists=[f"service:{ENV['FUNCTION_ID']}"])
    done = deploy(
        cloud,
        checkout,
        "--set",
        "_MIN_INSTANCES=1",
        "--set",
        "_ALLOWED_ORIGINS=https://a.example,https://b.example",
        PROJECT,
    )
    assert done.returncode == 0, done.stderr
    assert [c.flag("--config") for c in submits(cloud)] == ["deploy/test.cloudbuild.yaml", "cloudbuild.yaml"]
    assert submits(cloud)[-1].flag("--substitutions") == (
        f"^;^_BUCKET={BUCKET};_MIN_INSTANCES=1;_ALLOWED_ORIGINS=https://a.example,https://b.example"
    )
    assert not [c for c in cloud.calls() if "iam-policy-binding" in " ".join(c.words)]


def test_failing_tests_stop_before_anything_is_published_or_deployed(tmp_path, checkout):
    refuse = [{"match": ["builds submit", "test.cloudbuild.yaml"], "times": -1, "stderr": "ERROR: build FAILURE"}]
    cloud = Cloud(tmp_path / "cloud", refuse=refuse)
    done = deploy(cloud, checkout, "--publish-model", PROJECT)
    assert done.returncode != 0
    assert [c.flag("--config") for c in submits(cloud)] == ["deploy/test.cloudbuild.yaml"]


def test_a_tree_changed_while_the_tests_ran_is_not_deployed(tmp_path, checkout):
    touch = [{"match": ["builds submit", "test.cloudbuild.yaml"], "times": 1, "touch": str(checkout / "edited.py")}]
    cloud = Cloud(tmp_path / "cloud", refuse=touch)
    done = deploy(cloud, checkout, PROJECT)
    assert done.returncode == 1 and "changed after the tests started" in done.stderr
    assert [c.flag("--config") for c in submits(cloud)] == ["deploy/test.cloudbuild.yaml"]


def test_dry_run_prints_the_three_builds_and_runs_none(cloud, checkout):
    done = deploy(cloud, checkout, "--dry-run", "--publish-model", PROJECT)
    assert done.returncode == 0, done.stderr
    assert cloud.calls() == []
    printed = [line for line in done.stdout.splitlines() if line.startswith("gcloud builds submit")]
    assert len(printed) == 3
    assert ["test.cloudbuild" in printed[0], "publish.cloudbuild" in printed[1], "cloudbuild.yaml" in printed[2]] == [
        True
    ] * 3


def test_deploy_refuses_a_malformed_project_and_an_unknown_option(cloud, checkout):
    assert deploy(cloud, checkout, "Bad_Project").returncode == 2
    assert deploy(cloud, checkout, "--publish", PROJECT).returncode == 2
    assert cloud.calls() == []
