"""A valid release manifest for tests that need one without a real release."""

DIGEST = "sha256:" + "ab" * 32


def sample_manifest(registry="127.0.0.1:1"):
    """Return a schema-1 manifest with one image, `auth`, in `registry`."""
    repository = f"{registry}/finansecure/auth"
    return {
        "schema_version": 1,
        "release_id": "20261204-100000-aaaaaaa",
        "commit_sha": "a" * 40,
        "short_sha": "aaaaaaa",
        "branch": "main",
        "dirty": False,
        "created_at": "2026-12-04T10:00:00Z",
        "registry": {"kind": "local", "address": registry},
        "images": {
            "auth": {
                "repository": repository,
                "tags": ["aaaaaaa", "main"],
                "digest": DIGEST,
                "size_bytes": 1000,
                "reference": f"{repository}@{DIGEST}",
            }
        },
    }
