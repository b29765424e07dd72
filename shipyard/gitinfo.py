"""What git records about the release: commit, branch, and a dirty tree."""

import os
from datetime import datetime, timezone
from dataclasses import dataclass
from pathlib import Path

from shipyard import process
from shipyard.errors import CommandError, ShipyardError


@dataclass(frozen=True)
class GitState:
    top: Path
    commit_sha: str
    branch: str
    dirty_paths: tuple
    remote_url: str
    commit_time: str = ""  # committer date, ISO 8601 UTC with a "Z" suffix

    @property
    def dirty(self):
        return bool(self.dirty_paths)


def read(path, environ=None):
    """Return the `GitState` of the repository containing `path`.

    The branch comes from git, or, when HEAD is detached as in CI checkouts,
    from `GITHUB_HEAD_REF` (pull requests) and then `GITHUB_REF_NAME`.
    Dirty means tracked changes or untracked files under `path`.
    """
    environ = os.environ if environ is None else environ
    path = Path(path)
    top = Path(_git(path, "rev-parse", "--show-toplevel"))
    commit = _git(path, "rev-parse", "--verify", "HEAD^{commit}", fail=_no_commit)
    branch = _git(path, "rev-parse", "--abbrev-ref", "HEAD")
    if branch == "HEAD":
        branch = environ.get("GITHUB_HEAD_REF") or environ.get("GITHUB_REF_NAME") or ""
        if not branch:
            raise ShipyardError(
                "HEAD is detached and neither GITHUB_HEAD_REF nor GITHUB_REF_NAME is "
                "set; check out a branch or set GITHUB_REF_NAME"
            )
    status = _git(path, "status", "--porcelain", "--", ".")
    dirty = tuple(line[3:] for line in status.splitlines() if line.strip())
    remote = process.run(
        ["git", "-C", path, "config", "--get", "remote.origin.url"], check=False
    ).stdout.strip()
    seconds = _git(path, "show", "-s", "--format=%ct", "HEAD")
    commit_time = datetime.fromtimestamp(int(seconds), timezone.utc)
    return GitState(
        top,
        commit,
        branch,
        dirty,
        _public_url(remote),
        commit_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _no_commit(path):
    return f"the git repository at {path} has no commit yet; commit the app first"


def _git(path, *args, fail=None):
    try:
        result = process.run(["git", "-C", path, *args], what=f"git {args[0]}")
    except CommandError as error:
        if "not a git repository" in (error.stderr_tail or ""):
            raise ShipyardError(
                f"{path} is not inside a git repository; shipyard tags images by "
                "commit, so run `git init` and commit the app"
            ) from None
        if fail:
            raise ShipyardError(fail(path)) from None
        raise
    return result.stdout.strip()


def _public_url(url):
    """Drop credentials from a remote URL (`https://user:token@host/...`)."""
    if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return url
