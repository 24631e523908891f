"""The artifact manifest: what one published model version holds.

``manifest.json`` lists every other file of the version with its size and
sha256, so a reader can refuse a truncated or corrupted artifact set. Export
writes it with ``write_manifest``; publish and the function check files
against it with ``verify_file``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from screen_genius.store import write_json_atomic

MANIFEST = "manifest.json"
LATEST = "latest.json"  # at the top of a published prefix: names the version to serve
REQUIRED_FILES = ("catalog.json", "movie_vectors.npy", "user_tower.tflite")
REQUIRED_FIELDS = ("version", "created_at", "dataset", "catalog_size", "rating_scale", "rating_offset", "files")


class ManifestError(ValueError):
    """The manifest or a file it lists is missing, malformed or corrupted."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_entry(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def write_manifest(directory: Path | str, **fields: Any) -> dict[str, Any]:
    """Write ``directory/manifest.json`` listing every other file in it; returns the manifest."""
    directory = Path(directory)
    files = {p.name: file_entry(p) for p in sorted(directory.iterdir()) if p.is_file() and p.name != MANIFEST}
    manifest = {**fields, "files": files}
    validate(manifest)
    write_json_atomic(directory / MANIFEST, manifest)
    return manifest


def validate(manifest: object) -> None:
    """Raise ManifestError unless ``manifest`` has the fields and files DESIGN.md requires."""
    if not isinstance(manifest, dict):
        raise ManifestError("manifest.json must hold a JSON object")
    missing = [k for k in REQUIRED_FIELDS if k not in manifest]
    if missing:
        raise ManifestError(f"manifest.json lacks {', '.join(missing)}")
    files = manifest["files"]
    if not isinstance(files, dict):
        raise ManifestError("manifest.json 'files' must be an object of name -> {size, sha256}")
    absent = [name for name in REQUIRED_FILES if name not in files]
    if absent:
        raise ManifestError(f"manifest.json lists no {', '.join(absent)}")
    for name, entry in files.items():
        if "/" in name or name in ("", ".", ".."):
            raise ManifestError(f"manifest.json lists an unsafe file name {name!r}")
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("size"), int)
            or not isinstance(entry.get("sha256"), str)
        ):
            raise ManifestError(f"manifest.json entry for {name} must be {{size: int, sha256: str}}")


def verify_file(manifest: dict[str, Any], name: str, data: bytes) -> None:
    """Raise ManifestError unless ``data`` is the file ``name`` the manifest lists."""
    entry = manifest["files"].get(name)
    if entry is None:
        raise ManifestError(f"{name} is not listed in manifest.json")
    if len(data) != entry["size"]:
        raise ManifestError(f"{name} is {len(data)} bytes, manifest.json says {entry['size']} (truncated?)")
    if sha256_bytes(data) != entry["sha256"]:
        raise ManifestError(f"{name} does not match its sha256 in manifest.json (corrupted?)")


# Published layout: <prefix>/latest.json -> <prefix>/versions/<version>/<file>.
def version_key(version: str) -> str:
    """The folder of one version under a published prefix, e.g. ``versions/v1/``."""
    return f"versions/{version}/"


def check_version_name(version: object) -> str:
    """``version`` if it can name a folder safely; raises ManifestError otherwise."""
    if not isinstance(version, str) or not version or "/" in version or "\\" in version or version.startswith("."):
        raise ManifestError(
            f"invalid version name {version!r}: need a non-empty name without '/' that does not start with '.'"
        )
    return version


def parse_latest(raw: bytes, where: str = "") -> dict[str, Any]:
    """``latest.json`` bytes -> {"version", "manifest_sha256", "published_at", "history"}; raises ManifestError."""
    try:
        latest = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ManifestError(f"{where}/{LATEST} is not valid JSON: {e}") from None
    if not isinstance(latest, dict):
        raise ManifestError(f"{where}/{LATEST} must hold a JSON object")
    check_version_name(latest.get("version"))
    return latest
