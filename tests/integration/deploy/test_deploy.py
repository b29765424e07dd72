"""Deploys, rollbacks and failures against real sshd, compose and registry."""

import time

import pytest

from shipyard.deploy import deployer
from tests.integration.deploy.conftest import assert_runs

pytestmark = pytest.mark.integration


def quiet(host, message, started=None):
    suffix = f" ({time.monotonic() - started:.1f} s)" if started is not None else ""
    print(f"{host}: {message}{suffix}")


def deploy(project, manifest, host="primary", **options):
    return deployer.deploy(
        project.settings(), host, manifest, deployer.Options(**options), say=quiet
    )


def test_deploy_v1_then_v2_runs_manifest_digests(project, releases):
    project.config["hosts"]["primary"]["http_checks"] = [
        {"url": f"http://127.0.0.1:{_web_port(project)}/health", "status": 200}
    ]
    result = deploy(project, releases["v1"])
    assert result.ok
    assert project.current("primary") == releases["v1"]["release_id"]
    assert_runs(project, "primary", releases["v1"])

    deploy(project, releases["v2"])
    assert project.current("primary") == releases["v2"]["release_id"]
    assert_runs(project, "primary", releases["v2"])
    states = project.containers("primary")
    assert states["migrate"][0] == "exited"
    assert states["web"][0] == "running"
    assert [entry["outcome"] for entry in project.audit("primary")] == [
        "deployed",
        "deployed",
    ]


def _web_port(project):
    text = (project.compose_dirs["primary"] / ".env").read_text()
    return text.strip().split("=")[1]


def test_rollback_returns_previous_then_to_commit(project, releases):
    deploy(project, releases["v1"])
    deploy(project, releases["v2"])
    options = deployer.Options()

    deployer.rollback(project.settings(), "primary", None, options, say=quiet)
    assert project.current("primary") == releases["v1"]["release_id"]
    assert_runs(project, "primary", releases["v1"])

    deployer.rollback(
        project.settings(),
        "primary",
        releases["v2"]["commit_sha"][:10],
        options,
        say=quiet,
    )
    assert project.current("primary") == releases["v2"]["release_id"]
    assert_runs(project, "primary", releases["v2"])
    assert project.audit("primary")[-1]["outcome"] == "rollback done"


def test_never_healthy_release_rolls_back(project, releases):
    deploy(project, releases["v1"])
    with pytest.raises(deployer.DeployFailed) as failure:
        deploy(project, releases["v3"])
    assert "web (unhealthy)" in str(failure.value)
    assert project.current("primary") == releases["v1"]["release_id"]
    assert_runs(project, "primary", releases["v1"])
    last = project.audit("primary")[-1]
    assert last["release_id"] == releases["v3"]["release_id"]
    assert last["outcome"] == "failed, rolled back"


def test_unpullable_image_changes_nothing(project, releases):
    deploy(project, releases["v1"])
    before = project.container_ids("primary")
    with pytest.raises(deployer.DeployFailed) as failure:
        deploy(project, releases["missing"])
    assert "nothing was changed" in str(failure.value)
    assert project.container_ids("primary") == before
    assert project.current("primary") == releases["v1"]["release_id"]
    releases_dir = project.compose_dirs["primary"] / "releases"
    assert not (releases_dir / releases["missing"]["release_id"]).exists()
    assert not (project.compose_dirs["primary"] / "deploy.lock").exists()


def test_dropped_connection_keeps_previous_release(project, releases, ssh_hosts):
    deploy(project, releases["v1"])
    server = ssh_hosts["hosts"]["primary"]
    dropped = []

    def drop_after_pull(host, message, started=None):
        quiet(host, message, started)
        if message.startswith("pulled") and not dropped:
            dropped.extend(server.drop_sessions())

    with pytest.raises(deployer.DeployFailed):
        deployer.deploy(
            project.settings(),
            "primary",
            releases["v2"],
            deployer.Options(),
            say=drop_after_pull,
        )
    assert dropped
    assert project.current("primary") == releases["v1"]["release_id"]
    assert_runs(project, "primary", releases["v1"])
    assert not (project.compose_dirs["primary"] / "deploy.lock").exists()

    deploy(project, releases["v2"])
    assert_runs(project, "primary", releases["v2"])


def test_fleet_failure_on_backup_reverts_primary(project, releases):
    deploy(project, releases["v1"], host="all")
    assert project.current("backup") == releases["v1"]["release_id"]
    # The backup's HTTP check now requests a page the image does not serve.
    port = (project.compose_dirs["backup"] / ".env").read_text().split("=")[1].strip()
    project.config["hosts"]["backup"]["http_checks"] = [
        {"url": f"http://127.0.0.1:{port}/missing", "status": 200, "timeout": 2}
    ]
    project.config["deploy"]["health_timeout"] = 8

    with pytest.raises(deployer.DeployFailed) as failure:
        deploy(project, releases["v2"], host="all")
    assert "backup" in str(failure.value)
    for host in ("primary", "backup"):
        assert project.current(host) == releases["v1"]["release_id"], host
        assert_runs(project, host, releases["v1"])
    assert project.audit("primary")[-1]["outcome"] == "reverted by fleet rollback"


def test_prompting_command_fails_fast(project):
    from shipyard.deploy import remote

    host = project.settings().hosts["primary"]
    connection = remote.connect(host)
    try:
        started = time.monotonic()
        result = connection.run(
            "read answer && echo got $answer", what="read", check=False
        )
        assert time.monotonic() - started < 10
        assert result.exit_code == 1
        assert result.stdout == ""
        path = connection.run("echo $PATH", what="path").stdout.strip()
        assert path == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    finally:
        connection.close()


def test_rollback_logs_in_afresh_to_pull(project, releases):
    import subprocess

    deploy(project, releases["v1"])
    deploy(project, releases["v2"])
    project.down()
    for image in releases["v1"]["images"].values():
        subprocess.run(
            ["docker", "image", "rm", "--force", image["reference"]],
            capture_output=True,
            check=False,
        )

    deployer.rollback(project.settings(), "primary", None, deployer.Options(), say=quiet)

    assert project.current("primary") == releases["v1"]["release_id"]
    assert_runs(project, "primary", releases["v1"])


def _started_at(project, host):
    import subprocess

    label = f"label=com.docker.compose.project={project.projects[host]}"
    ids = subprocess.run(
        ["docker", "ps", "-q", "--filter", label],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    return subprocess.run(
        ["docker", "inspect", "--format", "{{.Id}} {{.State.StartedAt}}", *ids],
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")


def test_unchanged_release_restarts_nothing(project, releases):
    deploy(project, releases["v1"])
    before = _started_at(project, "primary")
    lines = []

    result = deployer.deploy(
        project.settings(), "primary", releases["v1"], deployer.Options(),
        say=lambda host, message, started=None: lines.append(message),
    )

    assert result.ok
    assert any("nothing to change" in line for line in lines)
    assert not any(line.startswith("pulled") for line in lines)
    assert _started_at(project, "primary") == before
    assert project.audit("primary")[-1]["outcome"] == "deployed"


def test_unchanged_release_with_stopped_service_redeploys(project, releases):
    import subprocess

    deploy(project, releases["v1"])
    label = f"label=com.docker.compose.service=web"
    ids = subprocess.run(
        ["docker", "ps", "-q", "--filter", label, "--filter",
         f"label=com.docker.compose.project={project.projects['primary']}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    subprocess.run(["docker", "stop", "-t", "1", *ids], check=True, capture_output=True)
    lines = []

    result = deployer.deploy(
        project.settings(), "primary", releases["v1"], deployer.Options(),
        say=lambda host, message, started=None: lines.append(message),
    )

    assert result.ok
    assert not any("nothing to change" in line for line in lines)
    assert project.containers("primary")["web"][0] == "running"
    assert_runs(project, "primary", releases["v1"])
