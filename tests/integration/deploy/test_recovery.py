"""Pruning, lock waits, Ctrl-C and dropped connections during real deploys."""

import os
import selectors
import signal
import subprocess
import sys
import time

import pytest

from shipyard.deploy import deployer
from tests.integration.deploy import harness
from tests.integration.deploy.conftest import PASSWORD, assert_runs
from tests.support.outcome import assert_clean_failure

pytestmark = pytest.mark.integration


def quiet(host, message, started=None):
    print(f"{host}: {message}")


def deploy(project, manifest, say=quiet):
    return deployer.deploy(
        project.settings(), "primary", manifest, deployer.Options(), say=say
    )


def mixed_release(releases, release_id, web, worker):
    """Return a manifest with the web image of release `web`, the worker of `worker`."""
    images = {
        "web": releases[web]["images"]["web"]["reference"],
        "worker": releases[worker]["images"]["worker"]["reference"],
    }
    images["migrate"] = images["web"]
    commit = release_id[-7:] * 6
    return harness.release_manifest(
        release_id, commit[:40], images, releases[web]["registry"]["address"]
    )


def image_present(reference):
    found = subprocess.run(
        ["docker", "image", "inspect", reference], capture_output=True, check=False
    )
    return found.returncode == 0


def test_prune_removes_only_unused_images(project, releases):
    project.config["deploy"].update(keep_releases=2, prune_images=True)
    first = mixed_release(releases, "20261205-100000-1111111", "v2", "v2")
    second = mixed_release(releases, "20261205-110000-2222222", "v1", "v2")
    third = mixed_release(releases, "20261205-120000-3333333", "v1", "v1")

    for manifest in (first, second, third):
        deploy(project, manifest)

    kept = sorted(
        p.name for p in (project.compose_dirs["primary"] / "releases").iterdir()
    )
    assert kept == [second["release_id"], third["release_id"]]
    assert_runs(project, "primary", third)
    # Only the first release used the v2 web image.
    assert not image_present(first["images"]["web"]["reference"])
    # The previous release still needs the v2 worker, the current one v1.
    assert image_present(second["images"]["worker"]["reference"])
    assert image_present(third["images"]["web"]["reference"])
    assert image_present(third["images"]["worker"]["reference"])


def start_inv(project, *args):
    """Start `inv ARGS` in the project without waiting; stdout and stderr are pipes."""
    return subprocess.Popen(
        [sys.executable, "-m", "invoke", *(str(arg) for arg in args)],
        cwd=project.root,
        env={**os.environ, "SHIPYARD_REGISTRY_PASSWORD": PASSWORD},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_wait_lock_succeeds_after_holder_ends(project, releases):
    lock = project.compose_dirs["primary"] / "deploy.lock"
    holder = start_inv(
        project,
        "deploy",
        "--manifest",
        project.write_manifest(releases["v1"], "v1.json"),
    )
    try:
        deadline = time.monotonic() + 60
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert lock.exists()

        waiter = project.inv(
            "deploy",
            "--manifest",
            str(project.write_manifest(releases["v2"], "v2.json")),
            "--wait-lock",
            "120",
        )
        _, holder_err = holder.communicate(timeout=120)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)

    assert holder.returncode == 0, holder_err
    assert waiter.returncode == 0, waiter.stderr
    assert "waiting up to 120 s for the lock held by" in waiter.stdout
    assert project.current("primary") == releases["v2"]["release_id"]
    assert_runs(project, "primary", releases["v2"])
    audit = project.audit("primary")
    assert [entry["release_id"] for entry in audit] == [
        releases["v1"]["release_id"],
        releases["v2"]["release_id"],
    ]
    assert not lock.exists()


def read_until(process, text, timeout):
    """Return stdout lines of `process` up to the first containing `text`."""
    lines = []
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not selector.select(timeout=1):
            continue
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"{text!r} not printed within {timeout} s: {lines}")


def test_ctrl_c_during_health_wait_restores_previous(project, releases):
    deploy(project, releases["v1"])
    manifest = project.write_manifest(releases["v3"], "v3.json")
    process = start_inv(project, "deploy", "--manifest", manifest)
    try:
        read_until(process, f"started release {releases['v3']['release_id']}", 120)
        time.sleep(1)
        process.send_signal(signal.SIGINT)
        rest, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    result = subprocess.CompletedProcess(process.args, process.returncode, rest, stderr)
    assert process.returncode == 130
    assert_clean_failure(result, "was interrupted", "running")
    assert project.current("primary") == releases["v1"]["release_id"]
    assert_runs(project, "primary", releases["v1"])
    assert not (project.compose_dirs["primary"] / "deploy.lock").exists()
    assert project.audit("primary")[-1]["outcome"] == "failed, rolled back"


def test_drop_during_health_wait_recovers(project, releases, ssh_hosts):
    deploy(project, releases["v1"])
    server = ssh_hosts["hosts"]["primary"]
    dropped = []

    def drop_after_start(host, message, started=None):
        quiet(host, message, started)
        if message.startswith("started release") and not dropped:
            dropped.extend(server.drop_sessions())

    with pytest.raises(deployer.DeployFailed) as failure:
        deploy(project, releases["v2"], say=drop_after_start)

    assert dropped
    assert "SSH connection lost during the start" in str(failure.value)
    assert project.current("primary") == releases["v1"]["release_id"]
    assert_runs(project, "primary", releases["v1"])
    assert not (project.compose_dirs["primary"] / "deploy.lock").exists()

    deploy(project, releases["v2"])
    assert project.current("primary") == releases["v2"]["release_id"]
    assert_runs(project, "primary", releases["v2"])
