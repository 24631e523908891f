"""The stages of `run`: what each one cost, and reuse of what a finished one left.

``Stages.stage(name)`` times a stage and, at its end, logs one line with its
wall time and the process's peak RSS so far (``resource.getrusage``):

    [stage] train: 412.3 s, peak RSS 5.21 GB

``Stages.cached(name, out, inputs, build)`` is a stage whose result is a
directory. ``inputs`` describes everything the result depends on (content
hashes of the files it reads, options, code version); its sha256 is the
stage's key. When ``out`` holds a stamp (``STAGE.json``) with the same key,
the stage is skipped and ``out`` is reused. Otherwise ``build(staging)``
writes a fresh staging directory, the stamp is written into it last, and
``training.atomic`` swaps it in whole. So a run killed anywhere leaves either
the previous complete directory (with the previous key, which the rerun
compares against its own) or a staging directory that nothing ever reads and
the next write removes: a half-written result is never reused, and a
result whose inputs changed is rebuilt. ``fresh=True`` rebuilds every stage.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import resource
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from training.atomic import atomic_directory, pid_alive

STAMP = "STAGE.json"
_BLOCK = 8 << 20


def peak_rss_bytes() -> int:
    """The process's peak resident set size so far, in bytes (children not included)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # Linux reports KiB, macOS bytes


def file_digest(path: Path | str) -> str:
    """sha256 of a file's bytes (read in 8 MiB blocks: a 2.6 GB Netflix folder hashes in seconds)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def files_digest(paths: list[Path], root: Path | None = None) -> dict[str, str]:
    """{name (relative to ``root``): sha256} of the given files, sorted by name."""
    out = {}
    for path in sorted(Path(p) for p in paths):
        out[str(path.relative_to(root)) if root else path.name] = file_digest(path)
    return out


def source_digest(packages: list[str]) -> str:
    """sha256 over the Python sources of the given packages or modules (dotted names): the code's version.

    Content, not a git commit: an uncommitted edit changes it too, a checkout
    of the same code elsewhere does not.
    """
    h = hashlib.sha256()
    for name in sorted(packages):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ValueError(f"no module or package named {name!r} to take the code version of")
        origin = Path(spec.origin)
        files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
        for path in files:
            if "__pycache__" in path.parts:
                continue
            h.update(f"{name}:{path.relative_to(origin.parent)}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def package_versions(names: list[str]) -> dict[str, str | None]:
    """Installed versions of distributions whose numerics a result depends on (None when absent)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def inputs_key(inputs: dict) -> str:
    """The stage key: sha256 of the inputs as canonical JSON."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def read_stamp(out: Path | str) -> dict | None:
    """The stamp of a finished stage directory, or None (missing, unreadable: not finished)."""
    try:
        stamp = json.loads((Path(out) / STAMP).read_text())
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) and "key" in stamp else None


def remove_nested_leftovers(out: Path) -> None:
    """Remove staging directories that a killed build nested beside ours (``..<name>.partial-<pid>-*``).

    A build that itself writes atomically (ingest's store) stages beside the
    stage's staging directory, so its leftovers are named after that one;
    ``training.atomic`` removes only ``.<name>.partial-*``.
    """
    prefix = f"..{out.name}.partial-"
    for path in out.parent.glob(f"{prefix}*"):
        pid = path.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def changed(before: dict | None, after: dict) -> str:
    """Which inputs differ, in words: 'its inputs changed (code, dataset)'."""
    if not isinstance(before, dict):
        return "its inputs changed"

    def text(value) -> str:
        return json.dumps(value, sort_keys=True, default=str)

    keys = sorted(k for k in set(before) | set(after) if text(before.get(k)) != text(after.get(k)))
    return "its inputs changed" + (f" ({', '.join(keys)})" if keys else "")


@dataclass
class StageRecord:
    name: str
    seconds: float = 0.0
    peak_rss_bytes: int = 0
    reused: bool = False

    def line(self) -> str:
        return f"[stage] {self.name}: {self.seconds:.1f} s, peak RSS {self.peak_rss_bytes / 1e9:.2f} GB" + (
            " (reused)" if self.reused else ""
        )


@dataclass
class Stages:
    """A run's stages in order, each timed; ``fresh`` rebuilds cached stages even when their inputs match."""

    log: Callable[[str], None] = print
    fresh: bool = False
    records: list[StageRecord] = field(default_factory=list)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[StageRecord]:
        """Time the block as stage ``name``; log its line at the end (also when it fails)."""
        record = StageRecord(name)
        self.records.append(record)
        self.log(f"== {name}")
        started = time.perf_counter()
        try:
            yield record
        finally:
            record.seconds = time.perf_counter() - started
            record.peak_rss_bytes = peak_rss_bytes()
            self.log(record.line())

    def cached(self, name: str, out: Path | str, inputs: dict, build: Callable[[Path], object]) -> bool:
        """Reuse ``out`` if its stamp's key is that of ``inputs`` (and not ``fresh``), else build it; True if reused."""
        out = Path(out)
        key = inputs_key(inputs)
        with self.stage(name) as record:
            stamp = read_stamp(out)
            if not self.fresh and stamp is not None and stamp["key"] == key:
                record.reused = True
                self.log(f"  reusing {out} (finished {stamp.get('finished_at', '?')}; inputs unchanged)")
                return True
            if stamp is not None:
                self.log(f"  rebuilding {out}: " + ("--fresh" if self.fresh else changed(stamp.get("inputs"), inputs)))
            remove_nested_leftovers(out)
            with atomic_directory(out) as staging:
                build(staging)
                stamp = {
                    "stage": name,
                    "key": key,
                    "inputs": inputs,
                    "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                }
                (staging / STAMP).write_text(json.dumps(stamp, indent=2, sort_keys=True, default=str) + "\n")
            return False

    def summary(self) -> str:
        return "stages: " + ", ".join(
            f"{r.name} {r.seconds:.1f} s" + (" (reused)" if r.reused else "") for r in self.records
        )

    def to_dict(self) -> list[dict]:
        return [
            {"name": r.name, "seconds": round(r.seconds, 3), "peak_rss_bytes": r.peak_rss_bytes, "reused": r.reused}
            for r in self.records
        ]
