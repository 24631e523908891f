"""Every install path resolves from public indexes: the constraints, and how torch is installed.

requirements/constraints.txt must resolve where Cloud Build and the Vertex image
install, with no local wheel folder. The resolution test asks pip itself
(``pip install --dry-run --isolated``: no pip.conf, no PIP_* variables, so no
local wheel folder or local index) against PyPI, which this machine reaches as a
package registry; where PyPI cannot be reached it is skipped, saying so.
requirements/install_torch.py decides where torch comes from; its plan and its
probe of the CPU index are checked here against a real local HTTP server.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "requirements"
PUBLIC_INDEX = "https://pypi.org/simple"
# What PyPI's torch pulls in on Linux x86_64 and the CPU index's build does not: its CUDA libraries.
CUDA_ONLY = ("nvidia-", "cuda-", "triton")


def load_install_torch():
    spec = importlib.util.spec_from_file_location("install_torch", REQUIREMENTS / "install_torch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


install_torch = load_install_torch()


def constraints() -> dict[str, str]:
    pins = {}
    for line in (REQUIREMENTS / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"constraints.txt: {line} is not a == pin"
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def test_no_pin_carries_a_local_version_label():
    local = {name: version for name, version in constraints().items() if "+" in version}
    assert not local, f"{local}: a +label exists on one index only; pin the public version (PEP 440 matches +cpu)"


def test_torch_pin_is_the_same_in_training_txt_and_the_constraints():
    assert constraints()["torch"] == install_torch.pinned_version()


def test_constraints_resolve_from_the_public_index_with_no_local_wheel_folder(tmp_path):
    if not reachable(f"{PUBLIC_INDEX}/pip/"):
        pytest.skip(f"{PUBLIC_INDEX} cannot be reached from here: the public resolution is unchecked on this machine")
    report = tmp_path / "report.json"
    pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--isolated", "--ignore-installed", "--quiet"]
    requirements = ["-r", str(REQUIREMENTS / "dev.txt"), "-c", str(REQUIREMENTS / "constraints.txt")]
    done = subprocess.run(
        [*pip, "--index-url", PUBLIC_INDEX, "--report", str(report), *requirements],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    installs = json.loads(report.read_text())["install"]
    local = [i["download_info"]["url"] for i in installs if not i["download_info"]["url"].startswith("https://")]
    assert not local, f"resolved from local files: {local}"
    resolved = {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in installs}
    pins = constraints()
    assert {n: v for n, v in resolved.items() if n in pins} == {n: pins[n] for n in resolved if n in pins}
    unused = sorted(set(pins) - set(resolved))
    assert not unused, f"constraints.txt pins what nothing installs: {unused}"
    unpinned = sorted(n for n in resolved if n not in pins)
    assert all(n.startswith(CUDA_ONLY) for n in unpinned), f"resolved without a pin: {unpinned}"


def test_torch_cpu_build_resolves_from_the_pytorch_cpu_index():
    index = install_torch.DEFAULT_INDEX
    if not install_torch.index_reachable(index):
        pytest.skip(f"{index} cannot be reached from here (only PyPI is): the CPU build's resolution is unchecked")
    version = install_torch.pinned_version()
    pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--isolated", "--ignore-installed", "--no-deps"]
    done = subprocess.run(
        [*pip, "--quiet", "--index-url", index, "--report", "-", f"torch=={version}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    (torch,) = json.loads(done.stdout)["install"]
    assert torch["metadata"]["version"] == f"{version}+cpu"


# ---- requirements/install_torch.py -----------------------------------------------------------


def test_installed_torch_of_the_pinned_version_is_left_alone_whatever_its_build():
    for installed in ("2.13.0+cpu", "2.13.0"):
        args, why = install_torch.plan("2.13.0", installed, "https://cpu.example/whl", True)
        assert args is None and "nothing to do" in why


def test_torch_comes_from_the_cpu_index_when_it_answers_without_its_dependencies():
    args, why = install_torch.plan("2.13.0", "2.12.1", "https://cpu.example/whl", True)
    assert args == ["install", "--no-deps", "--index-url", "https://cpu.example/whl", "torch==2.13.0"]
    assert "CPU build" in why


def test_an_unreachable_cpu_index_falls_back_to_the_configured_index_and_says_what_that_means():
    args, why = install_torch.plan("2.13.0", None, "https://cpu.example/whl", False)
    assert args == ["install", "--no-deps", "torch==2.13.0"]
    assert "cannot be reached" in why and "CUDA build" in why and "TORCH_INDEX" in why


class _Index(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/whl/cpu/torch/" else 404)
        self.end_headers()
        self.wfile.write(b"<html></html>")

    def log_message(self, *args):
        pass


@pytest.fixture
def local_index():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_probe_sees_an_index_that_answers_and_one_that_does_not(local_index):
    assert install_torch.index_reachable(f"{local_index}/whl/cpu")
    assert install_torch.index_reachable(f"{local_index}/missing")  # a 404 still means the host is there
    assert not install_torch.index_reachable("http://127.0.0.1:9/whl/cpu", timeout=2)  # nothing listens on port 9


def test_make_setup_installs_torch_with_the_script_before_the_other_requirements():
    makefile = (REPO / "Makefile").read_text()
    torch_at = makefile.index("$(PY) requirements/install_torch.py")
    assert torch_at < makefile.index("-r requirements/dev.txt -c requirements/constraints.txt")
    assert "requirements/install_torch.py" in makefile.split("REQUIREMENTS :=", 1)[1].split("\n\n", 1)[0]


def test_make_lock_writes_no_local_version_label():
    lock = (REPO / "Makefile").read_text().split("\nlock:", 1)[1].split("\n\n", 1)[0]
    line = "torch==2.13.0+cpu\nnumpy==2.3.4\n"
    (command,) = re.findall(r"sed -E '[^']*'", lock)
    out = subprocess.run(["sh", "-c", command], input=line, capture_output=True, text=True, check=True).stdout
    assert out == "torch==2.13.0\nnumpy==2.3.4\n"
