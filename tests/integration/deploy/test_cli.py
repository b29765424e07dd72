"""`inv deploy`, `releases`, `lock` as a user runs them: output and errors."""

import json
import os
import subprocess
import time

import pytest

from tests.integration.deploy import harness

pytestmark = pytest.mark.integration


def assert_one_error(result, *fragments):
    """Assert a non-zero exit with exactly one `error:` line and no traceback."""
    assert result.returncode != 0, result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def test_unknown_host_is_one_error(project):
    result = project.inv("releases", "--host", "staging")
    assert_one_error(result, "unknown host 'staging'", "primary")


def test_unreachable_host_is_one_error(project):
    project.config["hosts"]["primary"]["port"] = harness.free_port("127.0.0.2")
    project.write_config()
    result = project.inv("releases", "--host", "primary")
    assert_one_error(result, "primary: cannot connect to 127.0.0.2")


def test_bad_key_file_is_one_error(project, tmp_path):
    key = tmp_path / "broken_key"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n")
    project.config["hosts"]["primary"]["key"] = str(key)
    project.write_config()
    result = project.inv("releases", "--host", "primary")
    assert_one_error(result, "is not a valid private key")


def test_changed_host_key_is_rejected(project, ssh_hosts, tmp_path):
    other = harness.make_key(tmp_path / "other_host_key")
    server = ssh_hosts["hosts"]["primary"]
    public = (tmp_path / "other_host_key.pub").read_text().split()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(
        f"[{server.address}]:{server.port} {public[0]} {public[1]}\n"
    )
    project.config["hosts"]["primary"]["known_hosts"] = str(known_hosts)
    project.write_config()

    result = project.inv("releases", "--host", "primary", "--accept-new-host-key")
    assert_one_error(result, "does not match", "ssh-keygen -R", "--accept-new-host-key")
    assert known_hosts.read_text().count("\n") == 1
    assert other.exists()


def test_unknown_host_key_needs_explicit_accept(project, tmp_path):
    known_hosts = tmp_path / "empty_known_hosts"
    project.config["hosts"]["primary"]["known_hosts"] = str(known_hosts)
    project.write_config()

    rejected = project.inv("releases", "--host", "primary")
    assert_one_error(rejected, "not found in", "--accept-new-host-key")
    assert not known_hosts.exists()

    accepted = project.inv("releases", "--host", "primary", "--accept-new-host-key")
    assert accepted.returncode == 0, accepted.stderr
    assert "accepted new host key" in accepted.stderr
    assert "[127.0.0.2]" in known_hosts.read_text()


def test_dead_backup_stops_fleet_before_any_change(project, releases):
    project.config["hosts"]["backup"]["port"] = harness.free_port("127.0.0.3")
    project.write_config()
    manifest = project.write_manifest(releases["v1"])
    started = time.monotonic()
    result = project.inv("deploy", "--host", "all", "--manifest", str(manifest))
    assert time.monotonic() - started < 60
    assert_one_error(result, "backup aborted")
    assert "primary: aborted" in result.stdout
    assert project.current("primary") == ""
    assert project.containers("primary") == {}


def test_dry_run_prints_plan_and_changes_nothing(project, releases):
    first = project.inv(
        "deploy", "--manifest", str(project.write_manifest(releases["v1"], "v1.json"))
    )
    assert first.returncode == 0, first.stderr
    before = project.container_ids("primary")

    plan = project.inv(
        "deploy",
        "--dry-run",
        "--manifest",
        str(project.write_manifest(releases["v2"], "v2.json")),
    )
    assert plan.returncode == 0, plan.stderr
    old = releases["v1"]["images"]["web"]["digest"][:19]
    new = releases["v2"]["images"]["web"]["digest"][:19]
    assert f"primary: web: {old} -> {new}" in plan.stdout
    assert project.container_ids("primary") == before
    assert project.current("primary") == releases["v1"]["release_id"]

    listing = project.inv("releases", "--host", "primary")
    assert listing.returncode == 0, listing.stderr
    assert f"* {releases['v1']['release_id']}" in listing.stdout
    assert "deployed" in listing.stdout


def _write_lock(project, owner, age_seconds=0):
    folder = project.compose_dirs["primary"] / "deploy.lock"
    folder.mkdir()
    (folder / "owner.json").write_text(json.dumps(owner))
    if age_seconds:
        stamp = time.time() - age_seconds
        os.utime(folder, (stamp, stamp))
    return folder


def test_held_lock_rejects_second_deploy(project, releases):
    import socket

    _write_lock(
        project,
        {
            "user": "alice",
            "local_host": socket.gethostname(),
            "pid": os.getpid(),
            "release_id": "20261204-090000-1111111",
            "token": "t1",
        },
    )
    manifest = project.write_manifest(releases["v1"])
    result = project.inv("deploy", "--manifest", str(manifest), "--wait-lock", "3")
    assert_one_error(result, "deploy lock is held by alice@", "--wait-lock")
    assert project.current("primary") == ""

    status = project.inv("lock", "--host", "primary")
    assert "locked by alice@" in status.stdout
    assert "active" in status.stdout


def test_stale_lock_is_reported_and_broken(project, releases):
    import socket

    finished = subprocess.Popen(["true"])
    finished.wait(timeout=10)
    dead_pid = finished.pid
    lock = _write_lock(
        project,
        {
            "user": "bob",
            "local_host": socket.gethostname(),
            "pid": dead_pid,
            "release_id": "20261204-090000-2222222",
            "token": "t2",
        },
    )
    manifest = project.write_manifest(releases["v1"])
    refused = project.inv("deploy", "--manifest", str(manifest))
    assert_one_error(refused, "stale", "--break-stale-lock")

    status = project.inv("lock", "--host", "primary")
    assert "stale" in status.stdout

    broken = project.inv("deploy", "--manifest", str(manifest), "--break-stale-lock")
    assert broken.returncode == 0, broken.stderr
    assert "broke a stale lock held by bob@" in broken.stdout
    assert not lock.exists()


def test_old_lock_is_stale_by_host_clock(project):
    _write_lock(
        project,
        {"user": "carol", "local_host": "laptop.example", "pid": 1, "token": "t3"},
        age_seconds=7200,
    )
    status = project.inv("lock", "--host", "primary")
    assert "stale (older than 600 s)" in status.stdout

    released = project.inv("lock", "--host", "primary", "--release")
    assert released.returncode == 0, released.stderr
    assert "broke the lock held by carol@" in released.stdout
