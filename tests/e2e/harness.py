"""Real pieces for the website's browser tests and benchmark, each on 127.0.0.1 and a free port.

- ``artifacts_uri``: a published artifact set from ``python -m training run --quick``.
- ``FunctionServer`` (tests/fixtures): functions-framework serving ``recommend``.
- ``SitePreview``: ``vite preview`` serving ``frontend/dist`` and proxying ``/api`` to
  a function, as Firebase Hosting's rewrite does in production.
- ``HostingEmulator``: the Firebase Hosting emulator serving the built site with
  the repository's firebase.json (demo project, offline).
- ``open_browser``: Debian's chromium driven by Playwright, fresh profile, nothing downloaded.

Every server runs in its own process group and is stopped with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.fixtures.process import BackgroundProcess
from tests.fixtures.storage import free_port

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "frontend"
DIST = FRONTEND / "dist"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Reuse an artifact set instead of training one (a directory or gs:// URI).
ARTIFACTS_ENV = "SCREEN_GENIUS_E2E_MODEL_URI"


class SetupError(RuntimeError):
    """A prerequisite is missing; the message says which command provides it."""


def require_site() -> None:
    if not (DIST / "index.html").exists():
        raise SetupError(f"{DIST}/index.html is missing: run `make web-setup` then `npm --prefix frontend run build`")
    if not (FRONTEND / "node_modules" / "vite").exists():
        raise SetupError("frontend/node_modules is missing: run `make web-setup`")


def require_chromium() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        raise SetupError(f"no chromium at {CHROMIUM}: run `make web-setup` (apt-get install chromium) or set CHROMIUM")
    return CHROMIUM


def train_artifacts(to: Path, log_path: Path) -> str:
    """Publish a quick-profile artifact set of the bundled dataset into ``to``; returns the URI.

    Only what the website is served is trained: ``--no-toys`` skips the warm-start toy models,
    which the function never loads. Intermediate data, models and reports go next to ``to``
    (``--work``), not into the checkout.
    """
    cmd = [
        sys.executable,
        "-m",
        "training",
        "run",
        "--dataset",
        "movielens-sample",
        "--quick",
        "--no-toys",
        "--to",
        str(to),
        "--work",
        str(Path(to).parent / "work"),
    ]
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)  # a fresh work dir (the bench's) may not hold it yet
    with open(log_path, "wb") as log:
        done = subprocess.run(
            cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"}
        )
    if done.returncode != 0:
        tail = log_path.read_text(errors="replace")[-4000:]
        raise SetupError(f"`{' '.join(cmd[1:])}` failed with {done.returncode}:\n{tail}")
    return str(to)


def artifacts_uri(work_dir: Path) -> str:
    """The artifact set to serve: $SCREEN_GENIUS_E2E_MODEL_URI, else one trained now into work_dir."""
    return os.environ.get(ARTIFACTS_ENV) or train_artifacts(work_dir / "bucket", work_dir / "training.log")


def wait_http(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout} s:\n{log_path.read_text(errors='replace')}")


class SitePreview(BackgroundProcess):
    """``vite preview`` of frontend/dist with ``/api`` proxied to ``api_url``."""

    def __init__(self, api_url: str, log_path: Path, port: int | None = None):
        self.api_url = api_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)

    def start(self) -> SitePreview:
        require_site()
        vite = FRONTEND / "node_modules" / "vite" / "bin" / "vite.js"
        self._spawn(
            ["node", str(vite), "preview", "--host", "127.0.0.1", "--port", str(self.port), "--strictPort"],
            FRONTEND,
            {"SCREEN_GENIUS_API_URL": self.api_url},
        )
        wait_http(self.url + "/", self.proc, self.log_path)
        return self


class HostingEmulator(BackgroundProcess):
    """The Firebase Hosting emulator with the repository's firebase.json, project demo-screen-genius.

    It runs from a scratch directory holding a copy of firebase.json plus the
    emulator's ports, and a link to frontend/dist at the same relative path.
    """

    PROJECT = "demo-screen-genius"

    def __init__(self, work_dir: Path):
        self.work_dir = Path(work_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.work_dir / "hosting-emulator.log"

    def start(self) -> HostingEmulator:
        require_site()
        config = json.loads((REPO / "firebase.json").read_text())
        config["emulators"] = {
            "hosting": {"host": "127.0.0.1", "port": self.port},
            "hub": {"host": "127.0.0.1", "port": free_port()},
            "logging": {"host": "127.0.0.1", "port": free_port()},
            "ui": {"enabled": False},
            "singleProjectMode": True,
        }
        (self.work_dir / "frontend").mkdir(parents=True, exist_ok=True)
        link = self.work_dir / "frontend" / "dist"
        if not link.exists():
            link.symlink_to(DIST, target_is_directory=True)
        (self.work_dir / "firebase.json").write_text(json.dumps(config, indent=2))
        firebase = FRONTEND / "node_modules" / ".bin" / "firebase"
        if not firebase.exists():
            raise SetupError("firebase-tools is missing: run `make web-setup`")
        env = {
            "NO_UPDATE_NOTIFIER": "1",
            "FIREBASE_CLI_DISABLE_UPDATE_CHECK": "true",
            "CI": "true",
            "HOME": str(self.work_dir / "home"),
        }  # no user config or credentials are read
        self._spawn(
            [str(firebase), "emulators:start", "--only", "hosting", "--project", self.PROJECT], self.work_dir, env
        )
        wait_http(self.url + "/", self.proc, self.log_path, timeout=120)
        return self


@contextlib.contextmanager
def open_browser(width: int = 1280, height: int = 900, **options):
    """A Playwright BrowserContext on Debian's chromium with a fresh profile; closed on exit.

    ``options`` go to Playwright's context (e.g. ``has_touch=True, is_mobile=True`` for a phone).
    """
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    profile = tempfile.mkdtemp(prefix="sg-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": width, "height": height},
                **options,
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
