"""Running `python -m training run` on Vertex AI: the job spec, the image build and the submission.

deploy/vertex/cloudbuild.yaml's steps run for real (bash, with Cloud Build's
substitution rules) against stand-in `gcloud` and `docker` command lines that
record their arguments (tests/fixtures/cloud_standins.py). The Dockerfile
cannot be built here (no Docker), so it is checked statically: what it
installs, copies and runs. Vertex AI and Artifact Registry were never reached:
what they would answer is not tested.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.fixtures.cloud_standins import Cloud
from tests.unit.test_deploy_dry_run import BUILTINS, SubstitutionError, substitute

REPO = Path(__file__).resolve().parents[2]
VERTEX = REPO / "deploy" / "vertex"
PROJECT, BUCKET = BUILTINS["PROJECT_ID"], f"{BUILTINS['PROJECT_ID']}-screen-genius"
BIG = "synthetic:480189,17770,100000000"
TRAINER = f"screen-genius-trainer@{PROJECT}.iam.gserviceaccount.com"


def load_job_spec_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("vertex_job_spec", VERTEX / "job_spec.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


job_spec_module = load_job_spec_module()
job_spec, SpecError = job_spec_module.job_spec, job_spec_module.SpecError


def config() -> dict:
    return yaml.safe_load((VERTEX / "cloudbuild.yaml").read_text())


def values(**overrides: str) -> dict[str, str]:
    declared = {k: str(v) for k, v in config()["substitutions"].items()}
    assert not set(overrides) - set(declared), f"not declared: {set(overrides) - set(declared)}"
    return {**BUILTINS, **declared, "_BUCKET": BUCKET, "_SERVICE_ACCOUNT": TRAINER, **overrides}


# ---- the job spec ---------------------------------------------------------------------------


def test_job_runs_the_training_run_command_and_publishes_straight_to_the_bucket():
    spec = job_spec(
        "IMAGE", "n1-highmem-16", BIG, f"gs://{BUCKET}/screen-genius", run_args="--no-toys", service_account=TRAINER
    )
    (pool,) = spec["workerPoolSpecs"]
    assert pool["replicaCount"] == 1 and pool["containerSpec"]["imageUri"] == "IMAGE"
    args = pool["containerSpec"]["args"]
    assert args[:5] == ["run", "--dataset", BIG, "--to", f"gs://{BUCKET}/screen-genius"]  # commas stay one argument
    assert args[args.index("--work") + 1].startswith("/tmp/")  # local disk, not the FUSE-mounted bucket
    assert args[-1] == "--no-toys" and "--no-progress" in args
    assert pool["machineSpec"] == {"machineType": "n1-highmem-16"}  # no accelerator unless asked
    assert spec["serviceAccount"] == TRAINER  # never Vertex AI's service agent, which cannot write the bucket


def test_accelerator_and_service_account_reach_the_spec():
    spec = job_spec(
        "IMAGE",
        "g2-standard-8",
        "movielens-sample",
        "gs://b/p",
        "NVIDIA_L4",
        1,
        service_account="trainer@p.iam.gserviceaccount.com",
    )
    assert spec["workerPoolSpecs"][0]["machineSpec"] == {
        "machineType": "g2-standard-8",
        "acceleratorType": "NVIDIA_L4",
        "acceleratorCount": 1,
    }
    assert spec["serviceAccount"] == "trainer@p.iam.gserviceaccount.com"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"machine_type": "n1 highmem"}, "not a machine type"),
        ({"to": "/local/dir"}, "not gs://BUCKET/PREFIX"),
        ({"to": "gs://"}, "not gs://BUCKET/PREFIX"),
        ({"dataset": ""}, "_DATASET is empty"),
        ({"accelerator_type": "NVIDIA_TESLA_T4"}, "together"),
        ({"accelerator_count": 2}, "together"),
        ({"accelerator_type": "NVIDIA_TESLA_A100", "accelerator_count": 1}, "runs on a2-"),
        ({"accelerator_type": "TPU_V9", "accelerator_count": 1}, "unknown _ACCELERATOR_TYPE"),
        ({"run_args": "--to gs://elsewhere/x"}, "may not set --to"),
        ({"run_args": "--work=/gcs/b"}, "may not set --work"),
        ({"run_args": "'unclosed"}, "shell-style"),
        ({"service_account": ""}, "_SERVICE_ACCOUNT is empty"),
    ],
)
def test_bad_values_are_refused_with_what_to_change(kwargs, message):
    base = {
        "image": "IMAGE",
        "machine_type": "n1-highmem-16",
        "dataset": "movielens-sample",
        "to": "gs://b/p",
        "service_account": TRAINER,
    }
    with pytest.raises(SpecError, match=message):
        job_spec(**{**base, **kwargs})


# ---- the build file ---------------------------------------------------------------------------


def test_steps_check_build_then_submit_in_order():
    steps = config()["steps"]
    assert [s["id"] for s in steps] == ["job-spec", "build-image", "submit-job"]
    assert not [s for s in steps if "waitFor" in s]


def test_every_dollar_is_a_substitution_or_escaped():
    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for v in node.values():
                yield from strings(v)
        elif isinstance(node, list):
            for v in node:
                yield from strings(v)

    for text in strings(config()):
        substitute(text, values())
    with pytest.raises(SubstitutionError):
        substitute("$UNDECLARED", values())


def test_substitutions_reach_scripts_only_as_environment_variables():
    for step in config()["steps"]:
        inlined = re.findall(r"(?<!\$)\$\{?_[A-Z_]+", step["args"][-1].replace("$$", ""))
        assert not inlined, f"step {step['id']} pastes {inlined} into its script"


def test_machine_type_and_accelerator_are_substitutions():
    declared = config()["substitutions"]
    wanted = {"_MACHINE_TYPE", "_ACCELERATOR_TYPE", "_ACCELERATOR_COUNT", "_BUCKET", "_PREFIX", "_DATASET"}
    assert wanted <= set(declared)
    assert declared["_ACCELERATOR_TYPE"] == "" and declared["_ACCELERATOR_COUNT"] == "0"  # CPU unless asked


@pytest.fixture
def cloud(tmp_path):
    cloud = Cloud(tmp_path / "cloud")
    docker = cloud.bin / "docker"  # the same recording stand-in, under docker's name
    shutil.copy(cloud.bin / "gcloud", docker)
    docker.chmod(0o755)
    return cloud


@pytest.fixture
def workspace(tmp_path):
    ws = tmp_path / "workspace"
    shutil.copytree(REPO / "deploy", ws / "deploy")
    return ws


def run_step(cloud: Cloud, workspace: Path, step_id: str, **overrides: str) -> subprocess.CompletedProcess:
    conf, subs = config(), values(**overrides)
    (step,) = [s for s in conf["steps"] if s["id"] == step_id]
    env = dict(substitute(e, subs).split("=", 1) for e in [*conf["options"]["env"], *step.get("env", [])])
    assert step["entrypoint"] == "bash"
    return cloud.run(["bash", *[substitute(a, subs) for a in step["args"]]], cwd=workspace, **env)


def run_all(cloud, workspace, **overrides) -> list[subprocess.CompletedProcess]:
    done = []
    for step in config()["steps"]:
        done.append(run_step(cloud, workspace, step["id"], **overrides))
        if done[-1].returncode:
            break
    return done


def test_the_image_is_built_from_the_repository_and_pushed_then_the_job_runs_it(cloud, workspace):
    done = run_all(cloud, workspace, _DATASET=BIG, _REVISION="abc123")
    assert [d.returncode for d in done] == [0, 0, 0], [d.stderr for d in done]
    image = f"us-central1-docker.pkg.dev/{PROJECT}/screen-genius/training:abc123"
    build, push, create = cloud.calls()
    assert (build.tool, push.tool, create.tool) == ("docker", "docker", "gcloud")
    assert build.argv == ["build", "-f", "deploy/vertex/Dockerfile", "--build-arg", "GPU=false", "-t", image, "."]
    assert push.argv == ["push", image]
    assert create.words[:3] == ["ai", "custom-jobs", "create"]
    assert create.flag("--project") == PROJECT and create.flag("--region") == "us-central1"
    assert create.flag("--display-name") == f"screen-genius-run-{BUILTINS['BUILD_ID']}"
    spec = json.loads((workspace / create.flag("--config")).read_text())
    container = spec["workerPoolSpecs"][0]["containerSpec"]
    assert container["imageUri"] == image  # the image just pushed
    assert container["args"][:5] == ["run", "--dataset", BIG, "--to", f"gs://{BUCKET}/screen-genius"]


def test_an_accelerator_builds_the_gpu_image_and_asks_for_the_gpu(cloud, workspace):
    done = run_all(
        cloud, workspace, _MACHINE_TYPE="n1-standard-16", _ACCELERATOR_TYPE="NVIDIA_TESLA_T4", _ACCELERATOR_COUNT="1"
    )
    assert [d.returncode for d in done] == [0, 0, 0], [d.stderr for d in done]
    build = cloud.calls()[0]
    assert "GPU=true" in build.argv and build.flag("-t").split("/")[-1].startswith("training-gpu:b-1")
    spec = json.loads((workspace / "vertex-job.json").read_text())
    assert spec["workerPoolSpecs"][0]["machineSpec"] == {
        "machineType": "n1-standard-16",
        "acceleratorType": "NVIDIA_TESLA_T4",
        "acceleratorCount": 1,
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"_BUCKET": ""}, "set the _BUCKET substitution"),
        ({"_SERVICE_ACCOUNT": ""}, "_SERVICE_ACCOUNT is empty"),
        ({"_ACCELERATOR_TYPE": "NVIDIA_TESLA_T4", "_ACCELERATOR_COUNT": "one"}, "whole number"),
        ({"_MACHINE_TYPE": "a2-highgpu-1g", "_ACCELERATOR_TYPE": "NVIDIA_TESLA_T4", "_ACCELERATOR_COUNT": "1"}, "n1-"),
    ],
)
def test_bad_substitutions_stop_the_build_before_any_image_or_job(cloud, workspace, overrides, message):
    done = run_all(cloud, workspace, **overrides)
    assert len(done) == 1 and done[0].returncode != 0
    assert message in done[0].stdout + done[0].stderr
    assert cloud.calls() == []


def test_hostile_substitution_values_stay_data(cloud, workspace):
    dataset = 'netflix:/gcs/b/x"; touch pwned-dataset; echo "'
    run_args = "--no-toys $(touch pwned-args) `touch pwned-tick`"
    done = run_all(cloud, workspace, _DATASET=dataset, _RUN_ARGS=run_args)
    assert [d.returncode for d in done] == [0, 0, 0], [d.stderr for d in done]
    assert not list(workspace.glob("pwned*"))
    args = json.loads((workspace / "vertex-job.json").read_text())["workerPoolSpecs"][0]["containerSpec"]["args"]
    assert args[2] == dataset and args[-5:] == shlex.split(run_args)  # words for `run`, never commands


# ---- the image (static: no Docker here) ------------------------------------------------------


def dockerfile() -> str:
    return (VERTEX / "Dockerfile").read_text()


def test_image_runs_python_3_11_on_bookworm_as_the_tests_and_the_function_do():
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", dockerfile(), re.M)


def test_image_installs_the_pinned_training_requirements_and_runs_the_training_cli():
    text = dockerfile()
    assert "pip install -r requirements/training.txt -c requirements/constraints.txt" in text
    # torch first, the CPU build (requirements/install_torch.py), never the multi-GB CUDA torch by accident
    assert text.index("python requirements/install_torch.py") < text.index("pip install -r requirements/training.txt")
    assert 'ENTRYPOINT ["python", "-m", "training"]' in text
    assert "HF_HUB_OFFLINE=1" in text  # the title model ships in a package; nothing is downloaded at run time


@pytest.mark.parametrize("package", ["tensorflow-cpu"])
def test_the_versions_the_dockerfile_reads_from_the_requirements_are_there(package):
    (command,) = re.findall(rf"sed -n 's/\^{package}==//p' requirements/training\.txt", dockerfile())
    found = subprocess.run(["sh", "-c", command], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", found), f"{package}: {found!r}"


def test_everything_the_dockerfile_copies_exists_and_is_in_its_build_context():
    ignore = [
        line
        for line in (VERTEX / "Dockerfile.dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert ignore[0] == "*"
    allowed = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    for source in re.findall(r"^COPY (\S+) ", dockerfile(), re.M):
        assert (REPO / source).exists(), source
        assert any(source.rstrip("/") == a or source.startswith(a + "/") for a in allowed), source


def test_the_training_code_in_the_image_is_what_the_package_installs():
    import tomllib

    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert packages["where"] == [".", "functions"] and set(packages["include"]) == {"training*", "screen_genius*"}
    copied = re.findall(r"^COPY (\S+) ", dockerfile(), re.M)
    assert {"pyproject.toml", "training/", "functions/screen_genius/"} <= set(copied)


def test_docs_name_every_substitution_and_say_the_service_was_not_reached():
    doc = (REPO / "docs" / "vertex.md").read_text()
    for name in config()["substitutions"]:
        assert name in doc, name
    assert "not reached" in doc.lower()


def test_docs_submit_the_build_as_its_own_account_and_run_the_job_as_the_trainer():
    doc = (REPO / "docs" / "vertex.md").read_text()
    run = doc.split("## Run it", 1)[1].split("```", 2)[1]
    assert "--service-account projects/PROJECT/serviceAccounts/screen-genius-vertex-build@" in run
    assert "_SERVICE_ACCOUNT=screen-genius-trainer@" in run


def test_the_image_build_names_a_machine_bigger_than_the_default():
    assert config()["options"]["machineType"] == "E2_HIGHCPU_8"
