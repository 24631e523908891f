"""Where artifact sets live: a Cloud Storage prefix or a local directory.

``open_store("gs://bucket/prefix")`` and ``open_store("/some/dir")`` return
objects with the same four methods over keys relative to the prefix
(``"latest.json"``, ``"versions/v1/catalog.json"``), so publish and the
function's loader are written once for both. ``STORAGE_EMULATOR_HOST`` is
honoured by the google-cloud-storage client itself.

Files written to a directory, by ``LocalStore`` or by export before it
publishes, go through ``write_bytes_atomic`` / ``write_json_atomic``: a
temporary file beside the target, fsync, then one rename.

Failures come back as two kinds a caller can act on: ``NotFound`` (the key is
not there) and ``StoreUnavailable`` (storage could not be reached or refused
us; try again later).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from google.api_core.retry import Retry
    from google.cloud.storage import Bucket  # the client ships no type information: Any to mypy

T = TypeVar("T")


class NotFound(KeyError):
    """The key does not exist in the store."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the message
        return str(self.args[0]) if self.args else "not found"


class StoreUnavailable(OSError):
    """Storage could not be reached, or refused the request; worth retrying later."""


class Store(Protocol):
    """What ``open_store`` returns: ``LocalStore`` or ``GcsStore`` (and test doubles of them)."""

    uri: str

    def read(self, key: str) -> bytes: ...

    def write(self, key: str, data: bytes, *, content_type: str | None = None) -> None: ...

    def delete(self, key: str) -> None: ...

    def list(self, prefix: str = "") -> list[str]: ...


def open_store(uri: str, *, retry_s: float | None = None) -> LocalStore | GcsStore:
    """A store for ``uri``: ``gs://bucket[/prefix]`` or a local directory path.

    retry_s bounds how long a Cloud Storage call keeps retrying transient
    errors (None: the client's default policy; 0: no retries).
    """
    if uri.startswith("gs://"):
        bucket, _, prefix = uri[len("gs://") :].partition("/")
        if not bucket:
            raise ValueError(f"{uri!r} names no bucket: use gs://BUCKET/PREFIX")
        return GcsStore(bucket, prefix.strip("/"), retry_s=retry_s)
    if "://" in uri:
        raise ValueError(f"{uri!r}: only gs://bucket/prefix or a local directory is supported")
    return LocalStore(Path(uri))


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON to a temporary file beside ``path``, then rename it into place."""
    write_bytes_atomic(Path(path), (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LocalStore:
    """A directory on disk; keys are relative paths under it."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.uri = str(self.root)

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"unsafe key {key!r}")
        return self.root / key

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"{self._path(key)} does not exist") from None
        except OSError as e:
            raise StoreUnavailable(f"cannot read {self._path(key)}: {e}") from e

    def write(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Write ``data`` whole or not at all (temporary file, then rename)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, data)

    def list(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix`` (a folder-like prefix ending in '/' or ''), sorted."""
        base = self._path(prefix) if prefix else self.root
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # Remove folders left empty, up to the store root.
        parent = path.parent
        while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


class GcsStore:
    """A prefix in a Cloud Storage bucket, through the google-cloud-storage client."""

    def __init__(self, bucket: str, prefix: str, *, retry_s: float | None = None) -> None:
        self.bucket_name = bucket
        self.prefix = prefix
        self.uri = f"gs://{bucket}/{prefix}" if prefix else f"gs://{bucket}"
        self._retry_s = retry_s
        self._bucket: Bucket | None = None  # the client is created on first use

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _client_bucket(self) -> Bucket:
        if self._bucket is None:
            from google.auth.exceptions import DefaultCredentialsError
            from google.cloud import storage

            try:
                client = storage.Client()
            except DefaultCredentialsError as e:
                raise StoreUnavailable(
                    f"no Google Cloud credentials for {self.uri}: run "
                    "`gcloud auth application-default login`, or set STORAGE_EMULATOR_HOST for an emulator"
                ) from e
            self._bucket = client.bucket(self.bucket_name)
        return self._bucket

    def _retry(self) -> Retry | None:
        from google.cloud.storage.retry import DEFAULT_RETRY

        if self._retry_s is None:
            return cast("Retry", DEFAULT_RETRY)
        if self._retry_s <= 0:
            return None
        return cast("Retry", DEFAULT_RETRY.with_timeout(self._retry_s))

    def _call(self, what: str, key: str, fn: Callable[[], T]) -> T:
        from google.api_core import exceptions as gexc
        from google.auth.exceptions import TransportError
        from requests import exceptions as rexc

        try:
            return fn()
        except gexc.NotFound:
            raise NotFound(f"gs://{self.bucket_name}/{self._name(key)} does not exist") from None
        except (gexc.GoogleAPIError, rexc.RequestException, TransportError, OSError) as e:
            raise StoreUnavailable(f"cannot {what} gs://{self.bucket_name}/{self._name(key)}: {e}") from e

    def read(self, key: str) -> bytes:
        bucket = self._client_bucket()
        data: bytes = self._call(
            "read", key, lambda: bucket.blob(self._name(key)).download_as_bytes(retry=self._retry(), timeout=(5, 60))
        )
        return data

    def write(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        bucket = self._client_bucket()
        blob = bucket.blob(self._name(key))
        if key.endswith("latest.json"):
            blob.cache_control = "no-store"  # the pointer must never be served stale
        # Our writes are whole-object and idempotent, so retrying them is safe.
        self._call(
            "write",
            key,
            lambda: blob.upload_from_string(
                data, content_type=content_type or "application/octet-stream", retry=self._retry(), timeout=(5, 300)
            ),
        )

    def list(self, prefix: str = "") -> list[str]:
        bucket = self._client_bucket()
        start = len(self.prefix) + 1 if self.prefix else 0
        full = self._name(prefix) if prefix else (f"{self.prefix}/" if self.prefix else "")
        names = self._call(
            "list",
            prefix,
            lambda: [b.name for b in bucket.client.list_blobs(bucket, prefix=full, retry=self._retry())],
        )
        return sorted(n[start:] for n in names)

    def delete(self, key: str) -> None:
        bucket = self._client_bucket()
        with contextlib.suppress(NotFound):
            self._call("delete", key, lambda: bucket.blob(self._name(key)).delete(retry=self._retry()))
