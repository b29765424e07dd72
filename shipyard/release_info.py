"""The identity of one release: commit, branch, time, tags and release id."""

from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from shipyard import gitinfo, tags
from shipyard.errors import ShipyardError


@dataclass(frozen=True)
class ReleaseInfo:
    commit_sha: str
    short_sha: str
    branch: str
    dirty: bool
    created_at: str  # ISO 8601, UTC, second precision, "Z" suffix
    tags: tuple
    release_id: str
    commit_time: str = ""  # committer date of the commit, ISO 8601 UTC

    def to_dict(self):
        return {**asdict(self), "tags": list(self.tags)}

    @classmethod
    def from_dict(cls, data):
        return cls(**{**data, "tags": tuple(data["tags"])})


def create(settings, allow_dirty=False, now=None, environ=None):
    """Read git and return the `ReleaseInfo` for a build starting `now`.

    Raises when the app folder has uncommitted changes, unless `allow_dirty`,
    which marks every tag and the release id with `-dirty`.
    """
    state = gitinfo.read(settings.app_dir, environ=environ)
    if state.dirty and not allow_dirty:
        shown = ", ".join(state.dirty_paths[:5])
        more = f" and {len(state.dirty_paths) - 5} more" if len(state.dirty_paths) > 5 else ""
        raise ShipyardError(
            f"working tree has uncommitted changes ({shown}{more}); commit them, or "
            "pass --allow-dirty to build a release marked dirty"
        )
    moment = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    short_sha = state.commit_sha[: settings.sha_length]
    release_tags = tags.release_tags(short_sha, state.branch, moment, state.dirty)
    suffix = tags.DIRTY_SUFFIX if state.dirty else ""
    return ReleaseInfo(
        commit_sha=state.commit_sha,
        short_sha=short_sha,
        branch=state.branch,
        dirty=state.dirty,
        created_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        tags=tuple(release_tags),
        release_id=f"{tags.timestamp_tag(moment)}-{short_sha}{suffix}",
        commit_time=state.commit_time,
    )


def check_same_commit(release, settings, phase):
    """Raise when HEAD moved since `release` was built."""
    state = gitinfo.read(settings.app_dir)
    if state.commit_sha != release.commit_sha:
        raise ShipyardError(
            f"HEAD is now {state.commit_sha[:12]} but the images were built from "
            f"{release.commit_sha[:12]}; run `inv build` again before `inv {phase}`"
        )
