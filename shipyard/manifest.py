"""The release manifest (`image-manifest.json`): what a release pushed.

Schema version 1:

    {
      "schema_version": 1,
      "release_id": "20261204-153000-abc1234",
      "commit_sha": "<40 hex>",
      "short_sha": "abc1234",
      "branch": "main",
      "dirty": false,
      "created_at": "2026-12-04T15:30:00Z",
      "registry": {"kind": "local", "address": "127.0.0.1:5000"},
      "images": {
        "<service>": {
          "repository": "127.0.0.1:5000/finansecure/auth",
          "tags": ["abc1234", "main", "20261204-153000"],
          "digest": "sha256:<64 hex>",
          "size_bytes": 1234567,
          "reference": "127.0.0.1:5000/finansecure/auth@sha256:<64 hex>"
        }
      }
    }

Deploy reads it back with `read()`, which rejects anything else.
"""

import json
import os
import re
import tempfile
from pathlib import Path

from shipyard import imageref
from shipyard.errors import ShipyardError

SCHEMA_VERSION = 1
COMMIT = re.compile(r"^[0-9a-f]{40}$")
RELEASE_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{7,40}(-dirty)?$")


class ManifestError(ShipyardError):
    """A manifest file that is missing, unreadable or invalid."""

    exit_code = 2


def build(release, images, registry):
    """Return the manifest mapping for `release` and its pushed `images`.

    `release` is a `shipyard.release_info.ReleaseInfo`; `images` maps a
    service name to a mapping with repository, tags, digest and size_bytes.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "release_id": release.release_id,
        "commit_sha": release.commit_sha,
        "short_sha": release.short_sha,
        "branch": release.branch,
        "dirty": release.dirty,
        "created_at": release.created_at,
        "registry": {"kind": registry.kind, "address": registry.address},
        "images": {
            name: {
                "repository": image["repository"],
                "tags": list(image["tags"]),
                "digest": image["digest"],
                "size_bytes": image["size_bytes"],
                "reference": f"{image['repository']}@{image['digest']}",
            }
            for name, image in sorted(images.items())
        },
    }


def write_atomic(path, data):
    """Write `data` as JSON to `path` through a temporary file and a rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise ShipyardError(
            f"cannot write {path}: {error.strerror}; check the folder exists and "
            "is writable"
        ) from None
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, indent=2, sort_keys=False)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ShipyardError(f"cannot write {path}: {error.strerror}") from None


def read(path):
    """Load and validate the manifest at `path`; raise `ManifestError` if invalid."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ManifestError(
            f"manifest {path} not found; run `inv release` (or `inv manifest`) first, "
            "or pass --manifest PATH"
        ) from None
    except OSError as error:
        raise ManifestError(f"cannot read manifest {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ManifestError(
            f"manifest {path} is not UTF-8 text; point --manifest at the JSON file "
            "`inv manifest` wrote"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestError(
            f"manifest {path} is not valid JSON (line {error.lineno}: {error.msg}); "
            "rerun `inv manifest`"
        ) from None
    validate(data, path)
    return data


def validate(data, path="manifest"):
    """Raise `ManifestError` naming the first field of `data` that is invalid."""

    def fail(field, problem):
        raise ManifestError(f"{path}: {field} {problem}; rerun `inv release`")

    if not isinstance(data, dict):
        fail("top level", "must be a JSON object")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        fail("schema_version", f"is {version!r}, expected {SCHEMA_VERSION}")
    if not isinstance(data.get("commit_sha"), str) or not COMMIT.match(data["commit_sha"]):
        fail("commit_sha", "must be a 40-character hex commit")
    if not isinstance(data.get("release_id"), str) or not RELEASE_ID.match(
        data["release_id"]
    ):
        fail("release_id", f"{data.get('release_id')!r} is invalid")
    if not isinstance(data.get("branch"), str):
        fail("branch", "must be a string")
    images = data.get("images")
    if not isinstance(images, dict) or not images:
        fail("images", "must be a non-empty object of service name to image")
    for service, image in images.items():
        _validate_image(service, image, fail)


def _validate_image(service, image, fail):
    where = f"images.{service}"
    if not isinstance(image, dict):
        fail(where, "must be an object")
    for key in ("repository", "digest", "reference"):
        if not isinstance(image.get(key), str):
            fail(f"{where}.{key}", "is missing")
    if not imageref.SHA256_DIGEST.match(image["digest"]):
        fail(f"{where}.digest", f"{image['digest']!r} is not a sha256 digest")
    try:
        parsed = imageref.parse(image["reference"])
    except imageref.InvalidReference:
        fail(f"{where}.reference", f"{image['reference']!r} is not an image reference")
    if parsed.digest != image["digest"] or parsed.repository != image["repository"]:
        fail(f"{where}.reference", "does not match repository and digest")
    if not isinstance(image.get("tags"), list):
        fail(f"{where}.tags", "must be a list")
    size = image.get("size_bytes")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        fail(f"{where}.size_bytes", "must be a positive integer")
