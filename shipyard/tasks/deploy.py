"""Tasks `deploy`, `rollback`, `releases` and `lock`: the release on the hosts.

Each task reads `shipyard.hosts` and `shipyard.deploy` from the Invoke
config. The deploy modules import Fabric, paramiko and ruamel.yaml inside
the functions that need them, so `inv --list` stays fast.
"""

from invoke import task

from shipyard.tasks._common import settings, task_errors

HOST_HELP = (
    "host name from shipyard.hosts, or `all` for every host in deploy.order "
    "(default: primary)"
)
KEY_HELP = "accept and save an unknown SSH host key (a changed key is still rejected)"


def _options(
    current,
    accept_new_host_key=False,
    wait_lock=0,
    break_stale_lock=False,
    no_fleet_rollback=False,
):
    from shipyard.deploy.deployer import Options

    if wait_lock < 0:
        from shipyard.errors import UsageError

        raise UsageError(f"--wait-lock: {wait_lock} is negative; pass seconds >= 0")
    return Options(
        accept_new_host_key=accept_new_host_key,
        wait_lock=wait_lock,
        break_stale_lock=break_stale_lock,
        fleet_rollback=current.deploy["fleet_rollback"] and not no_fleet_rollback,
    )


@task(
    help={
        "host": HOST_HELP,
        "manifest": "release manifest to deploy (default: shipyard.manifest)",
        "dry-run": "print per host and service the digest change, change nothing",
        "wait-lock": "seconds to wait for another deploy's lock (default 0)",
        "break-stale-lock": "break the host's lock when it is stale",
        "accept-new-host-key": KEY_HELP,
        "no-fleet-rollback": "with --host all, leave hosts already switched on the "
        "new release when a later host fails",
    }
)
@task_errors
def deploy(
    c,
    host="primary",
    manifest=None,
    dry_run=False,
    wait_lock=0,
    break_stale_lock=False,
    accept_new_host_key=False,
    no_fleet_rollback=False,
):
    """Deploy the release in the manifest to a host, or to all hosts in order.

    Per host over one SSH connection: take the deploy lock, log in to the
    registry, pull every image by digest, write the release, `compose up`,
    wait for the health gate, then switch `current`. A release that fails
    the gate is replaced by the previous one and the task exits non-zero.
    Reads shipyard.hosts and shipyard.deploy.
    """
    from shipyard.deploy import deployer

    current = settings(c)
    options = _options(
        current, accept_new_host_key, wait_lock, break_stale_lock, no_fleet_rollback
    )
    release = deployer.load_manifest(current, manifest)
    if dry_run:
        deployer.plan(current, host, release, options)
        return
    deployer.deploy(current, host, release, options)


@task(
    help={
        "host": HOST_HELP,
        "to": "release id or commit sha (7+ characters) of a kept release "
        "(default: the previous release)",
        "wait-lock": "seconds to wait for another deploy's lock (default 0)",
        "break-stale-lock": "break the host's lock when it is stale",
        "accept-new-host-key": KEY_HELP,
    }
)
@task_errors
def rollback(
    c,
    host="primary",
    to=None,
    wait_lock=0,
    break_stale_lock=False,
    accept_new_host_key=False,
):
    """Return a host to its previous release, or to any kept release with --to.

    Logs in to the registry afresh, pulls the release's images by digest,
    starts it and waits for the health gate. Reads shipyard.hosts and
    shipyard.deploy.
    """
    from shipyard.deploy import deployer

    current = settings(c)
    options = _options(current, accept_new_host_key, wait_lock, break_stale_lock)
    deployer.rollback(current, host, to, options)


@task(help={"host": HOST_HELP, "accept-new-host-key": KEY_HELP})
@task_errors
def releases(c, host="primary", accept_new_host_key=False):
    """List the releases kept on a host, newest first.

    `*` marks the current release and `<` the previous one; each line shows
    the commit, who deployed it, when, and the outcome.
    """
    from shipyard.deploy import deployer

    current = settings(c)
    options = _options(current, accept_new_host_key)
    for line in deployer.release_lines(current, host, options):
        print(line)


@task(
    help={
        "host": HOST_HELP,
        "release": "break the lock when it is stale (the holder is gone or too old)",
        "force": "with --release, break the lock even when it does not look stale",
        "accept-new-host-key": KEY_HELP,
    }
)
@task_errors
def lock(c, host="primary", release=False, force=False, accept_new_host_key=False):
    """Show who holds a host's deploy lock, or break a stale one with --release.

    A lock is stale when it is older than shipyard.deploy.lock_stale_after
    seconds (by the host's clock) or its process on this machine is gone.
    """
    from shipyard.deploy import deployer
    from shipyard.errors import UsageError

    if force and not release:
        raise UsageError("--force only works with --release")
    current = settings(c)
    options = _options(current, accept_new_host_key)
    for line in deployer.lock_status(
        current, host, options, release=release, force=force
    ):
        print(line)
