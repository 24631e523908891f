"""Install the CPU build of the pinned torch into the running interpreter, before everything else.

    python requirements/install_torch.py        # `make setup`, the Cloud Build steps, the Vertex image

requirements/training.txt pins ``torch==VERSION``; on PyPI that version is, for
Linux x86_64, the CUDA build (about 3 GB with its nvidia-* wheels). PyTorch's
CPU index holds ``VERSION+cpu`` (about 200 MB), which satisfies the same pin
(PEP 440: a pin without a local label ignores the candidate's ``+cpu``). So:

1. torch VERSION already installed (any build): nothing to do.
2. The CPU index (``TORCH_INDEX``, default https://download.pytorch.org/whl/cpu)
   answers: ``pip install --no-deps --index-url TORCH_INDEX torch==VERSION``.
   Its dependencies come later, pinned, from the ordinary index with
   requirements/constraints.txt.
3. It does not answer: say so, then ``pip install --no-deps torch==VERSION``
   from pip's configured index and wheel folders. A local folder holding the
   ``+cpu`` wheel wins (it sorts above the plain version); from PyPI alone this
   is the CUDA build.

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_INDEX = "https://download.pytorch.org/whl/cpu"
PROBE_TIMEOUT_S = 10.0


def pinned_version(requirements: Path = HERE / "training.txt") -> str:
    """The VERSION of the ``torch==VERSION`` line, without a local label (it must resolve on PyPI too)."""
    for line in requirements.read_text().splitlines():
        match = re.fullmatch(r"torch==(\S+)", line.split("#")[0].strip())
        if match:
            return match.group(1)
    raise SystemExit(f"error: {requirements} has no 'torch==VERSION' line")


def installed_version() -> str | None:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def index_reachable(index: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether ``INDEX/torch/`` answers at all (any HTTP status counts: the host is there)."""
    try:
        with urllib.request.urlopen(f"{index.rstrip('/')}/torch/", timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def plan(version: str, installed: str | None, index: str, reachable: bool) -> tuple[list[str] | None, str]:
    """What to run (pip's arguments, or None) and the line that says why."""
    if installed is not None and installed.split("+", 1)[0] == version:
        return None, f"torch {installed} is installed: nothing to do"
    if reachable:
        return (
            ["install", "--no-deps", "--index-url", index, f"torch=={version}"],
            f"torch {version}: the CPU build from {index}",
        )
    return (
        ["install", "--no-deps", f"torch=={version}"],
        f"torch {version}: the PyTorch CPU index {index} cannot be reached, so torch comes from pip's configured "
        "index and wheel folders. A local +cpu wheel is taken if there is one; from PyPI alone, on Linux x86_64, "
        "this is the CUDA build (about 3 GB with its nvidia-* packages). Set TORCH_INDEX to a reachable copy of "
        "the CPU index to avoid that.",
    )


def main() -> int:
    index = os.environ.get("TORCH_INDEX", DEFAULT_INDEX)
    version = pinned_version()
    installed = installed_version()
    needed = installed is None or installed.split("+", 1)[0] != version
    args, why = plan(version, installed, index, needed and index_reachable(index))
    print(f"install_torch: {why}", file=sys.stderr)
    if args is None:
        return 0
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *args[1:]])
    if done.returncode == 0:
        print(f"install_torch: installed torch {installed_version()}", file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
