"""Publishing an artifact set: versioned upload, verification, then the pointer.

``publish(src_dir, uri)`` copies one exported artifact set (a directory with
``manifest.json`` and the files it lists) to ``<uri>/versions/<version>/``,
reads every file back and checks its size and sha256 against the manifest,
and only then rewrites ``<uri>/latest.json``. Whenever it is interrupted,
``latest.json`` still names a complete, verified version. Afterwards it keeps
the ``keep`` most recently published versions and deletes the rest (including
leftovers of interrupted publishes).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from screen_genius import manifest as manifest_lib
from screen_genius.manifest import LATEST, ManifestError, check_version_name, parse_latest, version_key
from screen_genius.store import NotFound, open_store

log = logging.getLogger("training.publish")

CONTENT_TYPES = {".json": "application/json", ".npy": "application/octet-stream", ".tflite": "application/octet-stream"}


class PublishError(ValueError):
    """The artifact set or the destination is not fit to publish to; the message says why."""


def check_artifact_set(src_dir: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and the bytes of every file it lists, after checking they match.

    Refuses a directory whose files differ from its manifest in any way:
    missing, extra, truncated or corrupted files.
    """
    src_dir = Path(src_dir)
    try:
        raw = (src_dir / manifest_lib.MANIFEST).read_bytes()
    except FileNotFoundError:
        raise PublishError(
            f"{src_dir} has no {manifest_lib.MANIFEST}: is it an exported artifact set (python -m training export)?"
        ) from None
    try:
        manifest = json.loads(raw)
        manifest_lib.validate(manifest)
        check_version_name(manifest["version"])
    except (ValueError, ManifestError) as e:
        raise PublishError(f"{src_dir}/{manifest_lib.MANIFEST} is not a valid manifest: {e}") from None
    present = {p.name for p in src_dir.iterdir() if p.is_file() and not p.name.startswith(".")} - {
        manifest_lib.MANIFEST
    }
    listed = set(manifest["files"])
    if listed - present:
        raise PublishError(f"{src_dir} lacks files its manifest lists: {', '.join(sorted(listed - present))}")
    if present - listed:
        raise PublishError(
            f"{src_dir} holds files its manifest does not list: {', '.join(sorted(present - listed))}; "
            "re-export, or remove them"
        )
    files = {}
    for name in sorted(listed):
        data = (src_dir / name).read_bytes()
        try:
            manifest_lib.verify_file(manifest, name, data)
        except ManifestError as e:
            raise PublishError(f"{src_dir}: {e}; re-export the artifact set") from None
        files[name] = data
    files[manifest_lib.MANIFEST] = raw
    return manifest, files


def publish(src_dir: Path | str, uri: str, keep: int = 5, *, store=None) -> str:
    """Publish the artifact set in ``src_dir`` to ``uri``; returns the version published.

    uri: ``gs://bucket/prefix`` or a local directory. keep: how many published
    versions to keep (at least 1). ``store`` overrides the store opened from uri.
    """
    if keep < 1:
        raise PublishError(f"keep must be at least 1, not {keep}")
    manifest, files = check_artifact_set(Path(src_dir))
    version = manifest["version"]
    store = store or open_store(uri)
    base = version_key(version)
    raw_manifest = files[manifest_lib.MANIFEST]

    try:
        existing = store.read(base + manifest_lib.MANIFEST)
    except NotFound:
        existing = None
    if existing is not None and existing != raw_manifest:
        raise PublishError(
            f"{store.uri}/{base} already holds a different version {version}; export with a new version name"
        )

    # The manifest goes last, so a version folder without one is visibly incomplete.
    names = [*sorted(n for n in files if n != manifest_lib.MANIFEST), manifest_lib.MANIFEST]
    for name in names:
        store.write(base + name, files[name], content_type=CONTENT_TYPES.get(Path(name).suffix))
    for name in names:
        data = store.read(base + name)
        if name == manifest_lib.MANIFEST:
            if data != raw_manifest:
                raise PublishError(f"{store.uri}/{base}{name} does not read back as written; nothing was switched")
            continue
        try:
            manifest_lib.verify_file(manifest, name, data)
        except ManifestError as e:
            raise PublishError(
                f"{store.uri}/{base}{name} failed verification after upload ({e}); latest.json was not changed"
            ) from None

    history, known = previous_history(store)
    latest = {
        "version": version,
        "manifest_sha256": manifest_lib.sha256_bytes(raw_manifest),
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "history": ([version] + [v for v in history if v != version])[:keep],
    }
    store.write(LATEST, (json.dumps(latest, indent=2, sort_keys=True) + "\n").encode(), content_type="application/json")

    if known:
        prune(store, keep=set(latest["history"]))
    else:
        log.warning("previous %s was unreadable: old versions are left in place", LATEST)
    return version


def previous_history(store) -> tuple[list[str], bool]:
    """Versions published before, newest first, and whether that list could be read."""
    try:
        latest = parse_latest(store.read(LATEST), store.uri)
    except NotFound:
        return [], True
    except ManifestError:
        return [], False
    history = latest.get("history")
    if not isinstance(history, list) or not all(isinstance(v, str) for v in history):
        history = []
    if latest["version"] not in history:
        history = [latest["version"], *history]
    return history, True


def prune(store, keep: set[str]) -> list[str]:
    """Delete every version folder not in ``keep``; returns the versions deleted."""
    by_version: dict[str, list[str]] = {}
    for key in store.list("versions/"):
        parts = key.split("/")
        if len(parts) >= 3:
            by_version.setdefault(parts[1], []).append(key)
    deleted = []
    for version, keys in sorted(by_version.items()):
        if version in keep:
            continue
        # Manifest first: a half-deleted folder reads as incomplete, never as whole.
        keys.sort(key=lambda k: (not k.endswith("/" + manifest_lib.MANIFEST), k))
        for key in keys:
            store.delete(key)
        deleted.append(version)
    return deleted
