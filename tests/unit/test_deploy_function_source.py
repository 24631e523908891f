"""What `gcloud functions deploy --source functions` uploads and installs.

- functions/.gcloudignore lets through only the function's code and requirements,
  whatever a test run or a local experiment left in functions/.
- functions/requirements.txt pins every package the function installs, at the
  version the tests ran with.

gcloud is not needed: ``upload_list`` applies .gcloudignore the way gcloud does
(gitignore rules, matched per path prefix, last matching pattern wins, a leading
``*`` only matches top-level names). Where gcloud is installed, a second test
checks that gcloud itself agrees.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from importlib.metadata import distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS = REPO / "functions"
# What a test run, an editor or a local publish may leave in functions/.
CLUTTER = [
    "__pycache__/main.cpython-311.pyc",
    "screen_genius/__pycache__/api.cpython-311.pyc",
    ".pytest_cache/v/cache/lastfailed",
    ".env",
    "artifacts/latest.json",
    "artifacts/versions/v1/user_tower.tflite",
    "tests/test_local.py",
    "scratch.py",
    "screen_genius/notes.txt",
    "screen_genius/experiments/try.py",
    ".venv/bin/python",
    "main.py.orig",
    "openapi.yaml",
]


def _part_matches(parts: list[str], path: str) -> bool:
    """gitignore-style match of a pattern's '/'-separated parts against a path, right to left."""
    if not parts:
        return True
    if "**" in parts:
        raise AssertionError("this matcher does not implement '**'; extend it before using '**' in .gcloudignore")
    *rest, last = parts
    head, name = os.path.split(path)
    if last == "*" and not rest and head:
        return False  # gcloud: a pattern that is only '*' matches top-level names only
    return fnmatch.fnmatchcase(name, last) and (not rest or (bool(head) and _part_matches(rest, head)))


def upload_list(directory: Path) -> list[str]:
    """Files under ``directory`` that gcloud would upload, given its .gcloudignore."""
    patterns = []
    for line in (directory / ".gcloudignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line.lstrip("!")
        must_be_dir = line.endswith("/")
        patterns.append((negated, must_be_dir, line.strip("/").split("/")))

    def included(path: str, is_dir: bool) -> bool:
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            prefix, prefix_is_dir = "/".join(parts[:i]), i < len(parts) or is_dir
            verdict = None
            for negated, must_be_dir, pattern in patterns:
                if (prefix_is_dir or not must_be_dir) and _part_matches(pattern, prefix):
                    verdict = not negated
            if verdict:  # ignored: nothing below an ignored directory comes back
                return False
        return True

    found = []
    for root, dirs, files in os.walk(directory):
        rel = Path(root).relative_to(directory).as_posix()
        rel = "" if rel == "." else rel + "/"
        dirs[:] = [d for d in dirs if included(rel + d, True)]
        found += [rel + f for f in files if included(rel + f, False)]
    return sorted(found)


def function_code() -> list[str]:
    """The function's own files: main.py, requirements.txt and the screen_genius package's modules."""
    code = ["main.py", "requirements.txt"]
    code += [f"screen_genius/{p.name}" for p in (FUNCTIONS / "screen_genius").glob("*.py")]
    return sorted(code)


@pytest.fixture
def cluttered_functions(tmp_path):
    """A copy of functions/ with what test runs and local experiments leave behind."""
    copy = tmp_path / "functions"
    shutil.copytree(FUNCTIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for name in CLUTTER:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_text("left behind\n")
    return copy


def test_upload_is_only_the_function_code_and_requirements(cluttered_functions):
    assert upload_list(cluttered_functions) == function_code()


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not installed; the test above covers the rules")
def test_gcloud_itself_uploads_only_the_function_code_and_requirements(cluttered_functions, tmp_path):
    done = subprocess.run(
        ["gcloud", "meta", "list-files-for-upload", str(cluttered_functions)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud-config"), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split()) == function_code()


def requirement_lines() -> list[Requirement]:
    lines = (FUNCTIONS / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in (x.split("#")[0].strip() for x in lines) if line]


def installed_closure(roots: list[str]) -> dict[str, str]:
    """Every distribution that installing ``roots`` pulls in here (markers evaluated), name -> version."""
    found: dict[str, str] = {}
    stack = list(roots)
    while stack:
        name = stack.pop()
        key = canonicalize_name(name)
        if key in found:
            continue
        dist = distribution(name)
        found[key] = dist.version
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                stack.append(req.name)
    return found


def test_requirements_pin_every_package_the_function_installs_at_the_tested_version():
    reqs = requirement_lines()
    unpinned = [str(r) for r in reqs if len(r.specifier) != 1 or next(iter(r.specifier)).operator != "=="]
    assert not unpinned, f"pin these with == in functions/requirements.txt: {unpinned}"
    pinned = {canonicalize_name(r.name): next(iter(r.specifier)).version for r in reqs}
    direct = ["functions-framework", "numpy", "google-cloud-storage", "ai-edge-litert"]
    assert set(map(canonicalize_name, direct)) <= set(pinned)
    needed = installed_closure(direct)
    missing = sorted(set(needed) - set(pinned))
    assert not missing, f"functions/requirements.txt does not pin {missing}: add them at {[needed[m] for m in missing]}"
    wrong = {name: (pinned[name], needed[name]) for name in needed if pinned[name] != needed[name]}
    assert not wrong, f"pinned version differs from the tested one (pinned, tested): {wrong}"
    extra = sorted(set(pinned) - set(needed))
    assert not extra, f"functions/requirements.txt pins packages the function does not need: {extra}"


def test_requirements_leave_out_tensorflow_torch_and_pandas():
    names = {canonicalize_name(r.name) for r in requirement_lines()}
    assert not names & {"tensorflow", "tensorflow-cpu", "torch", "pandas", "keras"}
