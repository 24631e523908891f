"""Replace a whole output directory so that no reader ever sees half of it.

Every command that writes a directory (ingest's store, export's artifact set,
the EDA report, the synthetic generator's raw files) writes into a staging
directory beside the destination and swaps it in only when it is complete:

    with atomic_directory("reports/eda") as staging:
        (staging / "index.html").write_text(...)
    # reports/eda now holds exactly what was written into staging

The old output is never deleted before the new one is in place. On Linux the
swap is one ``renameat2(RENAME_EXCHANGE)`` call: at every instant the
destination path names either the complete old directory or the complete new
one. Where the kernel or filesystem cannot exchange, the old directory is
first renamed aside (never deleted), the new one renamed into place, and only
then is the old one removed; a process killed between those two renames leaves
the old output whole under ``.<name>.old-<pid>-*``, and the next write to the
same destination puts it back before doing anything else.

A failure or Ctrl-C inside the ``with`` block removes the staging directory
and leaves the old output untouched. Leftovers of processes that were killed
(``.<name>.partial-<pid>-*``, ``.<name>.old-<pid>-*`` whose process is gone)
are removed by the next write to the same destination.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

DIRECTORY_MODE = 0o755  # mkdtemp makes staging private; outputs are ordinary directories
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _load_renameat2():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):  # not Linux, or glibc older than 2.28
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_renameat2 = _load_renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap the directory entries ``a`` and ``b``; False where the system cannot."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, f"cannot swap {b} into place: {os.strerror(err)}", str(a))


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (one owned by another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftovers(out: Path, kind: str) -> list[Path]:
    """Siblings ``.<name>.<kind>-<pid>-*`` left by processes that no longer run, oldest first."""
    found = []
    for path in out.parent.glob(f".{out.name}.{kind}-*"):
        pid = path.name[len(f".{out.name}.{kind}-") :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime)


def recover(out: Path | str) -> None:
    """Undo what killed writers left at ``out``: restore a set-aside old output, drop staging dirs."""
    out = Path(out)
    if not out.parent.is_dir():
        return
    old = _leftovers(out, "old")
    if not os.path.lexists(out):
        for path in reversed(old):  # the newest set-aside output
            if (path / "content").is_dir():
                os.rename(path / "content", out)
                break
    for path in old + _leftovers(out, "partial"):
        shutil.rmtree(path, ignore_errors=True)


class AtomicDirectory:
    """A staging directory beside ``out`` that ``commit()`` swaps in whole; ``abort()`` removes it.

    As a context manager: an exception in the block aborts; leaving the block
    normally commits unless ``commit()`` or ``abort()`` was already called.
    """

    def __init__(self, out: Path | str):
        self.out = Path(out).absolute()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        recover(self.out)
        self.path = Path(tempfile.mkdtemp(dir=self.out.parent, prefix=f".{self.out.name}.partial-{os.getpid()}-"))
        self.path.chmod(DIRECTORY_MODE)
        self._done = False

    def __enter__(self) -> AtomicDirectory:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._done:
            self.commit()

    def abort(self) -> None:
        """Remove the staging directory; the old output stays as it was."""
        self._done = True
        shutil.rmtree(self.path, ignore_errors=True)

    def commit(self) -> Path:
        """Put the staging directory at ``out``; an old output there is replaced whole, then removed."""
        if self._done:
            raise RuntimeError(f"{self.out}: this staging directory was already committed or aborted")
        self._done = True
        if not os.path.lexists(self.out):
            os.rename(self.path, self.out)
        elif exchange(self.path, self.out):
            shutil.rmtree(self.path, ignore_errors=True)  # the old output, now at the staging path
        else:
            aside = Path(tempfile.mkdtemp(dir=self.out.parent, prefix=f".{self.out.name}.old-{os.getpid()}-"))
            os.rename(self.out, aside / "content")
            os.rename(self.path, self.out)
            shutil.rmtree(aside, ignore_errors=True)
        return self.out


@contextlib.contextmanager
def atomic_directory(out: Path | str) -> Iterator[Path]:
    """Yield an empty staging directory; on leaving the block without an error it becomes ``out``."""
    with AtomicDirectory(out) as staging:
        yield staging.path


def write_file(path: Path | str, write) -> None:
    """Write one file whole or not at all: ``write(f)`` fills a temporary file beside ``path``, which is
    flushed to disk and renamed over ``path`` (a reader sees the old file or the new one, never half)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
