"""Image tags a release gets: short commit SHA, branch, UTC timestamp."""

import hashlib
import re

TAG_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
MAX_TAG_LENGTH = 128
DIRTY_SUFFIX = "-dirty"
_INVALID = re.compile(r"[^A-Za-z0-9_.-]+")


def branch_tag(branch, reserve=0):
    """Turn a git branch name into a valid image tag.

    Characters a tag cannot hold become `-`, leading `.` and `-` are
    dropped, and a name longer than `128 - reserve` characters is cut and
    given a hash of the full name, so two long branches that share a prefix
    still get different tags. `reserve` keeps room for a suffix.
    """
    limit = MAX_TAG_LENGTH - reserve
    tag = _INVALID.sub("-", branch).lstrip(".-")
    if not tag:
        tag = "branch-" + _short_hash(branch)
    if len(tag) > limit:
        digest = _short_hash(branch)
        tag = tag[: limit - len(digest) - 1].rstrip(".-") + "-" + digest
    return tag


def timestamp_tag(moment):
    """Return the UTC timestamp tag `YYYYMMDD-HHMMSS` for a datetime."""
    return moment.strftime("%Y%m%d-%H%M%S")


def release_tags(short_sha, branch, moment, dirty=False):
    """Return the three tags of a release, marked when the tree was dirty."""
    suffix = DIRTY_SUFFIX if dirty else ""
    tags = [
        short_sha + suffix,
        branch_tag(branch, reserve=len(suffix)) + suffix,
        timestamp_tag(moment) + suffix,
    ]
    return list(dict.fromkeys(tags))


def _short_hash(text):
    return hashlib.sha256(text.encode()).hexdigest()[:8]
