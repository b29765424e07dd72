"""Registry login on the host: ECR tokens, and a host with a broken credsStore."""

import base64
import json
import os
import subprocess

import pytest

from tests.integration.deploy import harness
from tests.integration.deploy.conftest import V1, assert_runs
from tests.support.argv_watcher import ArgvWatcher
from tests.support.moto_server import TOKEN_PASSWORD

pytestmark = pytest.mark.integration


def push_images(registry, folder, version="v1"):
    """Build the test images, push them to `registry`; return service -> reference."""
    docker_config = folder / "docker-config"
    docker_config.mkdir(parents=True)
    (docker_config / "config.json").write_text("{}")
    subprocess.run(
        ["docker", "login", "-u", registry.username, "--password-stdin"]
        + [registry.address],
        input=registry.password,
        text=True,
        check=True,
        capture_output=True,
        env={**os.environ, "DOCKER_CONFIG": str(docker_config)},
    )
    images = {}
    for repository in ("web", "worker"):
        tag = f"{registry.address}/shipyardtest/{repository}:{version}"
        harness.build_image(folder / version, tag, version, harness.HEALTHY)
        images[repository] = harness.push(tag, docker_config)
        subprocess.run(["docker", "image", "rm", tag], check=False, capture_output=True)
    images["migrate"] = images["web"]
    return images


def test_ecr_deploy_logs_in_with_token(project, moto, ecr_registry, tmp_path):
    images = push_images(ecr_registry, tmp_path / "ecr-images")
    for reference in set(images.values()):
        subprocess.run(
            ["docker", "image", "rm", reference], check=False, capture_output=True
        )
    manifest = harness.release_manifest(*V1, images, ecr_registry.address, kind="ecr")
    path = project.write_manifest(manifest)
    # The registry replaces ECR under its own address, so the account
    # and region come from AWS_ACCOUNT_ID and AWS_REGION.
    project.config["registry"] = {"address": ecr_registry.address}
    project.write_config()
    encoded_token = base64.b64encode(f"AWS:{TOKEN_PASSWORD}".encode()).decode()

    with ArgvWatcher(TOKEN_PASSWORD) as watcher:
        result = project.inv("deploy", "--manifest", str(path), env=moto.environment())

    assert result.returncode == 0, result.stderr
    assert f"logged in to {ecr_registry.address}" in result.stdout
    assert project.current("primary") == manifest["release_id"]
    assert_runs(project, "primary", manifest)
    assert watcher.samples > 10
    assert watcher.hits == []
    compose_dir = project.compose_dirs["primary"]
    for secret in (TOKEN_PASSWORD, encoded_token):
        assert secret not in result.stdout
        assert secret not in result.stderr
        for written in compose_dir.rglob("*"):
            if written.is_file():
                assert secret not in written.read_text(errors="replace"), written
    assert list(compose_dir.glob(".docker-config.*")) == []


@pytest.fixture
def creds_store_host(ssh_hosts, tmp_path):
    """An sshd whose sessions get a HOME with `credsStore: ecr-login` set."""
    home = tmp_path / "remote-home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(
        json.dumps({"credsStore": "ecr-login"})
    )
    server = harness.SshHost(
        tmp_path / "sshd-creds-store",
        "127.0.0.4",
        f"{ssh_hosts['key']}.pub",
        extra_config=f"SetEnv HOME={home}\n",
    ).start()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(server.known_hosts_line())
    yield server, known_hosts, home
    server.stop()


def test_host_with_broken_creds_store_deploys(project, releases, creds_store_host):
    server, known_hosts, home = creds_store_host
    project.config["hosts"]["primary"].update(
        address=server.address, port=server.port, known_hosts=str(known_hosts)
    )
    project.write_config()
    probe = project.settings().hosts["primary"]

    from shipyard.deploy import remote

    connection = remote.connect(probe)
    try:
        seen_home = connection.run("echo $HOME", what="home").stdout.strip()
        helper = connection.run(
            "command -v docker-credential-ecr-login", what="helper", check=False
        )
    finally:
        connection.close()
    assert seen_home == str(home)
    assert helper.exit_code != 0

    result = project.inv(
        "deploy", "--manifest", str(project.write_manifest(releases["v1"]))
    )

    assert result.returncode == 0, result.stderr
    assert project.current("primary") == releases["v1"]["release_id"]
    assert_runs(project, "primary", releases["v1"])
    config = json.loads((home / ".docker" / "config.json").read_text())
    assert config == {"credsStore": "ecr-login"}
