"""The per-host deploy lock: a folder created with `mkdir`, holding owner.json.

`mkdir` either creates the folder or fails, so two deploys can never both
take the lock. The owner file records who holds it (local user and host,
process id, release, commit) and a random token; only the holder of the
token releases it. The lock's age comes from the host's clock, so clock
skew between the deploying machine and the host does not matter.
"""

import getpass
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass

from shipyard.deploy import commands
from shipyard.errors import DeployError

WAIT_POLL_SECONDS = 2


class LockHeld(DeployError):
    """Another deploy holds the host's lock."""


@dataclass(frozen=True)
class LockStatus:
    age_seconds: int
    owner: dict

    def holder(self):
        """Return a one-line description of who holds the lock."""
        owner = self.owner
        if not owner:
            return f"an unknown holder (no owner file), taken {self.age_seconds} s ago"
        return (
            f"{owner.get('user', '?')}@{owner.get('local_host', '?')} "
            f"(pid {owner.get('pid', '?')}), {owner.get('action', 'deploy')} of "
            f"release {owner.get('release_id', '?')}, taken {self.age_seconds} s ago"
        )


def owner_record(action, release_id, commit_sha):
    """Return the owner file contents for a lock this process takes."""
    return {
        "token": uuid.uuid4().hex,
        "user": getpass.getuser(),
        "local_host": socket.gethostname(),
        "pid": os.getpid(),
        "action": action,
        "release_id": release_id,
        "commit_sha": commit_sha,
        "taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def parse_status(output):
    """Return a `LockStatus` from `commands.read_lock` output, or None."""
    lines = output.strip().splitlines()
    if not lines or lines[0].strip() == "none":
        return None
    try:
        age = int(lines[0].strip())
    except ValueError:
        age = 0
    try:
        owner = json.loads("\n".join(lines[1:])) if lines[1:] else {}
    except json.JSONDecodeError:
        owner = {}
    return LockStatus(age_seconds=max(age, 0), owner=owner)


def stale_reason(status, stale_after, local_host=None, pid_alive=None):
    """Return why the lock is stale, or "" when its holder may still be working.

    A lock is stale when it is older than `stale_after` seconds, or when it
    was taken on this machine by a process that no longer exists.
    """
    local_host = local_host or socket.gethostname()
    pid_alive = pid_alive or _pid_alive
    if status.age_seconds > stale_after:
        return f"older than {stale_after} s"
    owner = status.owner
    same_machine = owner.get("local_host") == local_host
    pid = owner.get("pid")
    if same_machine and isinstance(pid, int) and not pid_alive(pid):
        return f"its process {pid} on {local_host} is gone"
    return ""


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read(remote):
    compose_dir = remote.host.compose_dir
    output = remote.run(commands.read_lock(compose_dir), what="read the deploy lock")
    return parse_status(output.stdout)


def acquire(remote, record, stale_after, wait_seconds=0, break_stale=False, say=None):
    """Take the host's lock for `record`, waiting up to `wait_seconds`.

    Raises `LockHeld` naming the holder when the lock stays taken. A stale
    lock is broken only when `break_stale` is true.
    """
    deadline = time.monotonic() + max(wait_seconds, 0)
    compose_dir = remote.host.compose_dir
    payload = json.dumps(record)
    waited = False
    # Each pass either takes the lock, breaks a stale one or sleeps, so the
    # bound only matters when the lock keeps appearing and vanishing.
    for _ in range(int(wait_seconds / WAIT_POLL_SECONDS) + 10):
        result = remote.run(
            commands.take_lock(compose_dir), what="take the deploy lock", input=payload
        )
        if result.stdout.strip() == "taken":
            return
        status = read(remote)
        if status is None:
            continue
        reason = stale_reason(status, stale_after)
        if reason and break_stale:
            if say:
                say(f"broke a stale lock held by {status.holder()}: {reason}")
            remote.run(commands.break_lock(compose_dir), what="break the stale lock")
            continue
        if time.monotonic() >= deadline:
            raise LockHeld(_held_message(remote.name, status, reason))
        if say and not waited:
            say(
                f"waiting up to {wait_seconds} s for the lock held by {status.holder()}"
            )
        waited = True
        time.sleep(min(WAIT_POLL_SECONDS, max(deadline - time.monotonic(), 0.1)))
    raise LockHeld(f"{remote.name}: could not take the deploy lock; retry the deploy")


def _held_message(host_name, status, reason):
    message = f"{host_name}: deploy lock is held by {status.holder()}"
    if reason:
        return (
            f"{message}; the lock is stale ({reason}): break it with "
            f"`inv lock --host {host_name} --release --force` or rerun with "
            "--break-stale-lock"
        )
    return f"{message}; wait for it to finish or rerun with --wait-lock SECONDS"


def release(remote, token):
    remote.run(
        commands.release_lock(remote.host.compose_dir, token),
        what="release the deploy lock",
    )
