"""training.atomic: a directory is replaced whole or not at all, even when the writer is killed.

The kill tests run a real writer process and SIGKILL it: at random moments,
and at the two instants that matter (the new directory complete but not yet
swapped in; swapped in but the old one not yet removed).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from training import atomic
from training.atomic import AtomicDirectory, atomic_directory

REPO = Path(__file__).resolve().parents[2]
FILES = 20


def write_version(directory: Path, version: int) -> None:
    for i in range(FILES):
        (directory / f"part-{i:02d}.txt").write_text(f"{version}\n" * 200)


def version_of(out: Path) -> int:
    """The one version every file of ``out`` holds; fails if the directory is partial or mixed."""
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"part-{i:02d}.txt" for i in range(FILES)], names
    versions = {line for p in out.iterdir() for line in p.read_text().splitlines()}
    assert len(versions) == 1, f"{out} mixes versions {sorted(versions)}"
    return int(versions.pop())


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


WRITER = textwrap.dedent("""
    import os, shutil, sys, time
    from pathlib import Path
    from training import atomic
    out, mode = Path(sys.argv[1]), sys.argv[2]
    FILES = {files}

    def write(directory, version):
        for i in range(FILES):
            (directory / f"part-{{i:02d}}.txt").write_text(f"{{version}}\\n" * 200)

    def announce_and_hang(what):
        print(what, flush=True)
        time.sleep(60)

    if mode == "no-exchange":
        atomic._renameat2 = None
    if mode == "before-swap":
        atomic.exchange = lambda a, b: announce_and_hang("staged")
    if mode == "after-swap":
        real = atomic.exchange
        atomic.exchange = lambda a, b: real(a, b) or True
        atomic.shutil.rmtree = lambda *a, **k: announce_and_hang("swapped")
    if mode == "between-renames":
        atomic._renameat2 = None
        real_rename, calls = os.rename, []
        def rename(src, dst):
            calls.append(dst)
            if len(calls) == 2:  # the old output is aside, the new one not yet in place
                announce_and_hang("aside")
            real_rename(src, dst)
        atomic.os.rename = rename
    version = int(sys.argv[3])
    while True:
        with atomic.atomic_directory(out) as staging:
            write(staging, version)
        if version == int(sys.argv[3]) and mode in ("loop", "no-exchange"):
            print("ready", flush=True)
        version += 1
""").format(files=FILES)


def start_writer(out: Path, mode: str, first_version: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(out), mode, str(first_version)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )


def kill_when(proc: subprocess.Popen, line: str, delay: float = 0.0) -> None:
    got = proc.stdout.readline().strip()
    assert got == line, f"writer said {got!r}, expected {line!r}"
    if delay:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()


def test_the_new_directory_replaces_the_old_one_whole(tmp_path):
    out = tmp_path / "out"
    with atomic_directory(out) as staging:
        (staging / "old-only.txt").write_text("old")
    with atomic_directory(out) as staging:
        write_version(staging, 2)
    assert version_of(out) == 2  # old-only.txt is gone: replaced, not merged
    assert siblings(out) == ["out"]
    assert oct(out.stat().st_mode & 0o777) == oct(atomic.DIRECTORY_MODE)


def test_an_error_in_the_block_leaves_the_old_directory_and_no_staging_directory(tmp_path):
    out = tmp_path / "out"
    with atomic_directory(out) as staging:
        write_version(staging, 1)
    with pytest.raises(KeyboardInterrupt), atomic_directory(out) as staging:
        write_version(staging, 2)
        raise KeyboardInterrupt
    assert version_of(out) == 1
    assert siblings(out) == ["out"]


def test_commit_twice_is_refused(tmp_path):
    staging = AtomicDirectory(tmp_path / "out")
    staging.commit()
    with pytest.raises(RuntimeError, match="already committed or aborted"):
        staging.commit()


@pytest.mark.parametrize("mode", ["loop", "no-exchange"])
def test_killed_at_random_moments_the_directory_is_always_one_complete_version(tmp_path, mode):
    out = tmp_path / "out"
    rng = random.Random(0)
    last = -1
    for attempt in range(12):
        first = (attempt + 1) * 1000
        proc = start_writer(out, mode, first)
        kill_when(proc, "ready", delay=rng.uniform(0.0, 0.05))
        if mode == "no-exchange":
            atomic.recover(out)  # killed between its two renames, the old output waits aside
        version = version_of(out)
        assert version >= first and version > last
        last = version
    with atomic_directory(out) as staging:  # the next writer clears every leftover
        write_version(staging, 0)
    assert siblings(out) == ["out"]


def test_killed_after_staging_but_before_the_swap_the_old_directory_is_untouched(tmp_path):
    out = tmp_path / "out"
    with atomic_directory(out) as staging:
        write_version(staging, 1)
    kill_when(start_writer(out, "before-swap", 2), "staged")
    assert version_of(out) == 1
    with atomic_directory(out) as staging:
        write_version(staging, 3)
    assert siblings(out) == ["out"]


def test_killed_after_the_swap_the_new_directory_is_in_place(tmp_path):
    out = tmp_path / "out"
    with atomic_directory(out) as staging:
        write_version(staging, 1)
    kill_when(start_writer(out, "after-swap", 2), "swapped")
    assert version_of(out) == 2
    assert len(siblings(out)) == 2  # the old output waits under the dead writer's staging name
    atomic.recover(out)
    assert siblings(out) == ["out"] and version_of(out) == 2


def test_without_an_atomic_exchange_the_old_directory_is_set_aside_never_deleted_before_the_new_is_in_place(tmp_path):
    out = tmp_path / "out"
    with atomic_directory(out) as staging:
        write_version(staging, 1)
    kill_when(start_writer(out, "between-renames", 2), "aside")
    assert not out.exists()
    (aside,) = [p for p in out.parent.iterdir() if p.name.startswith(".out.old-")]
    assert version_of(aside / "content") == 1
    atomic.recover(out)
    assert version_of(out) == 1
    assert siblings(out) == ["out"]
