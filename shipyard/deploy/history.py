"""Releases kept on a host, their deploy records, the audit log and pruning.

Layout under a host's compose_dir:

    releases/<release_id>/docker-compose.yml   the rewritten compose file
    releases/<release_id>/image-manifest.json  the release manifest
    releases/<release_id>/deploy.json          who deployed it, when, outcome
    current  -> releases/<release_id>          switched after a healthy deploy
    previous -> releases/<release_id>          what `current` was before
    audit.log                                  one JSON line per deploy
"""

import getpass
import json
import time
from dataclasses import dataclass

from shipyard.deploy import commands
from shipyard.errors import DeployError


@dataclass(frozen=True)
class Release:
    release_id: str
    record: dict  # deploy.json; {} when the folder has none

    @property
    def commit_sha(self):
        return self.record.get("commit_sha", "")


@dataclass(frozen=True)
class Links:
    current: str  # release id, "" when none
    previous: str


def utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def deploy_record(manifest, outcome, started_at, duration):
    """Return the deploy.json / audit log entry for one deploy or rollback."""
    return {
        "time": utc_now(),
        "started_at": started_at,
        "user": getpass.getuser(),
        "release_id": manifest["release_id"],
        "commit_sha": manifest["commit_sha"],
        "branch": manifest.get("branch", ""),
        "outcome": outcome,
        "duration_seconds": round(duration, 1),
    }


def parse_links(output):
    """Return `Links` from `commands.read_links` output."""
    values = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)

    def release_id(target):
        return target.rstrip("/").rsplit("/", 1)[-1] if target else ""

    return Links(release_id(values.get("current")), release_id(values.get("previous")))


def parse_releases(output):
    """Return kept `Release`s from `commands.list_releases` output, oldest first."""
    releases = []
    for line in output.splitlines():
        release_id, _, text = line.partition("\t")
        if not release_id.strip():
            continue
        try:
            record = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            record = {}
        releases.append(Release(release_id.strip(), record))
    return sorted(releases, key=lambda release: release.release_id)


def find_release(releases, wanted):
    """Return the release whose id, or commit sha or its prefix, is `wanted`.

    A commit prefix needs at least 7 characters. Raises `DeployError` when
    nothing or more than one release matches.
    """
    wanted = wanted.strip().lower()
    exact = [release for release in releases if release.release_id == wanted]
    if exact:
        return exact[0]
    matches = []
    if len(wanted) >= 7:
        matches = [r for r in releases if r.commit_sha.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    kept = ", ".join(release.release_id for release in releases) or "none"
    if matches:
        raise DeployError(
            f"commit {wanted} matches several kept releases "
            f"({', '.join(r.release_id for r in matches)}); pass the release id"
        )
    raise DeployError(
        f"no kept release matches {wanted!r}; kept releases: {kept}; "
        "see `inv releases --host HOST`"
    )


def releases_to_prune(release_ids, keep, protected):
    """Return the release ids to delete: all but the newest `keep` and `protected`.

    Release ids start with a UTC timestamp, so sorting them sorts by age.
    """
    ordered = sorted(release_ids)
    kept = set(ordered[-keep:]) | {release for release in protected if release}
    return [release for release in ordered if release not in kept]


def images_to_prune(pruned_manifests, kept_manifests):
    """Return image references of pruned releases that no kept release uses.

    References are compared by repository and digest, so an image that a
    kept release still needs (the rollback target, say) is never removed.
    """
    kept = {
        (image["repository"], image["digest"])
        for manifest in kept_manifests
        for image in manifest["images"].values()
    }
    removable = set()
    for manifest in pruned_manifests:
        for image in manifest["images"].values():
            if (image["repository"], image["digest"]) not in kept:
                removable.add(image["reference"])
    return sorted(removable)


def read_links(remote):
    output = remote.run(
        commands.read_links(remote.host.compose_dir), what="read the current release"
    )
    return parse_links(output.stdout)


def list_releases(remote):
    output = remote.run(
        commands.list_releases(remote.host.compose_dir), what="list releases"
    )
    return parse_releases(output.stdout)


def read_manifest(remote, release_id):
    """Return the manifest stored with `release_id` on the host, or None."""
    target = commands.path(
        commands.release_dir(remote.host.compose_dir, release_id),
        commands.MANIFEST_NAME,
    )
    output = remote.run(commands.read_file(target), what="read a release manifest")
    try:
        return json.loads(output.stdout) if output.stdout.strip() else None
    except json.JSONDecodeError:
        return None


def write_record(remote, release_id, record):
    target = commands.path(
        commands.release_dir(remote.host.compose_dir, release_id),
        commands.DEPLOY_RECORD,
    )
    remote.run(
        commands.write_file(target),
        what="write the deploy record",
        input=json.dumps(record),
    )


def append_audit(remote, record):
    target = commands.path(remote.host.compose_dir, commands.AUDIT_LOG)
    remote.run(
        commands.append_file(target),
        what="append to the audit log",
        input=json.dumps(record, sort_keys=True) + "\n",
    )


def prune(remote, keep, prune_images, protected):
    """Delete old release folders, and their images when `prune_images` is set.

    Returns the pruned release ids.
    """
    releases = [release.release_id for release in list_releases(remote)]
    doomed = releases_to_prune(releases, keep, protected)
    if not doomed:
        return []
    if prune_images:
        kept = [r for r in releases if r not in doomed]
        references = images_to_prune(
            _manifests(remote, doomed), _manifests(remote, kept)
        )
        if references:
            remote.run(commands.remove_images(references), what="remove old images")
    remote.run(
        commands.remove_releases(remote.host.compose_dir, doomed),
        what="remove old releases",
    )
    return doomed


def _manifests(remote, release_ids):
    manifests = (read_manifest(remote, release_id) for release_id in release_ids)
    return [manifest for manifest in manifests if manifest]
