"""Fixtures for deploy tests: two SSH hosts, a registry with auth, releases.

Session fixtures start the sshd processes and the registry once and build
and push the test images once; each test gets its own compose folders and
compose project names, and brings its projects down afterwards.
"""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from shipyard import config
from tests.integration.deploy import harness
from tests.support.registry import Registry

PASSWORD = "deploy-Reg1stry-pw"
USERNAME = "shipyard"

V1 = ("20261204-100000-aaaaaaa", "a" * 40)
V2 = ("20261204-110000-bbbbbbb", "b" * 40)
V3 = ("20261204-120000-ccccccc", "c" * 40)
MISSING = ("20261204-130000-ddddddd", "d" * 40)

COMPOSE = """\
# Test stack: migrate runs once, then web serves HTTP; worker idles.
x-defaults: &defaults
  restart: unless-stopped
  stop_grace_period: 1s

services:
  migrate:
    image: {registry}/shipyardtest/web:latest
    command: ["true"]
    restart: "no"
    stop_grace_period: 1s
  web:
    <<: *defaults
    image: {registry}/shipyardtest/web:latest
    depends_on:
      migrate:
        condition: service_completed_successfully
    ports:
      - "127.0.0.1:${{WEB_PORT:-18080}}:8080"
  worker:
    <<: *defaults
    image: {registry}/shipyardtest/worker:latest
    command: ["sleep", "3600"]
    healthcheck:
      disable: true
"""


@pytest.fixture(scope="session")
def deploy_registry(tmp_path_factory):
    running = Registry(
        tmp_path_factory.mktemp("deploy-registry"), username=USERNAME, password=PASSWORD
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def releases(deploy_registry, tmp_path_factory):
    """Manifests v1, v2 (healthy), v3 (never healthy) and one with a missing image."""
    _require_engine()
    folder = tmp_path_factory.mktemp("images")
    docker_config = folder / "docker-config"
    docker_config.mkdir()
    (docker_config / "config.json").write_text("{}")
    subprocess.run(
        [
            "docker",
            "login",
            "-u",
            USERNAME,
            "--password-stdin",
            deploy_registry.address,
        ],
        input=PASSWORD,
        text=True,
        check=True,
        capture_output=True,
        env={**os.environ, "DOCKER_CONFIG": str(docker_config)},
    )
    registry = deploy_registry.address
    manifests, local_tags = {}, []
    for name, (release_id, commit), check in (
        ("v1", V1, harness.HEALTHY),
        ("v2", V2, harness.HEALTHY),
        ("v3", V3, harness.NEVER_HEALTHY),
    ):
        images = {}
        for repository in ("web", "worker"):
            tag = f"{registry}/shipyardtest/{repository}:{name}"
            harness.build_image(folder / name, tag, name, check)
            images[repository] = harness.push(tag, docker_config)
            local_tags.append(tag)
        images["migrate"] = images["web"]
        manifests[name] = harness.release_manifest(release_id, commit, images, registry)
    missing = dict(manifests["v1"]["images"]["web"])
    missing_reference = f"{missing['repository']}@sha256:{'0' * 64}"
    manifests["missing"] = harness.release_manifest(
        MISSING[0],
        MISSING[1],
        {
            "web": missing_reference,
            "worker": manifests["v2"]["images"]["worker"]["reference"],
            "migrate": missing_reference,
        },
        registry,
    )
    # Remove the local copies so each deploy has to log in and pull.
    subprocess.run(
        ["docker", "image", "rm", *local_tags], check=False, capture_output=True
    )
    return manifests


def _require_engine():
    result = subprocess.run(
        ["docker", "info"], check=False, capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.fail(f"the Docker engine is not running: {result.stderr[-200:]}")


@pytest.fixture(scope="session")
def ssh_hosts(tmp_path_factory):
    """Two sshd servers, `primary` on 127.0.0.2 and `backup` on 127.0.0.3."""
    if not (shutil.which("sshd") or os.path.exists("/usr/sbin/sshd")):
        pytest.fail("sshd is not installed; run scripts/stack.sh")
    folder = tmp_path_factory.mktemp("ssh")
    client_key = harness.make_key(folder / "client_key")
    hosts = {}
    for name, address in (("primary", "127.0.0.2"), ("backup", "127.0.0.3")):
        hosts[name] = harness.SshHost(
            folder / name, address, f"{client_key}.pub"
        ).start()
    known_hosts = folder / "known_hosts"
    known_hosts.write_text("".join(host.known_hosts_line() for host in hosts.values()))
    yield {"hosts": hosts, "key": client_key, "known_hosts": known_hosts}
    for host in hosts.values():
        host.stop()


class DeployProject:
    """A project folder with a compose file and an invoke.yaml for the test hosts."""

    def __init__(self, root, ssh, registry):
        self.root = Path(root)
        self.ssh = ssh
        self.registry = registry
        suffix = uuid.uuid4().hex[:8]
        self.projects = {"primary": f"syp{suffix}", "backup": f"syb{suffix}"}
        self.compose_dirs = {
            name: self.root / "hosts" / name / "app" for name in self.projects
        }
        (self.root / "app" / "web").mkdir(parents=True)
        (self.root / "app" / "web" / "Dockerfile").write_text("FROM busybox:1.36.1\n")
        (self.root / "compose").mkdir()
        (self.root / "compose" / "docker-compose.yml").write_text(
            COMPOSE.format(registry=registry.address)
        )
        (self.root / "tasks.py").write_text(
            "from shipyard.tasks import namespace  # noqa\n"
        )
        self.config = {
            "app_dir": "app",
            "project": "shipyardtest",
            "services": [{"name": "web", "context": "web"}],
            "registry": {
                "address": registry.address,
                "start_local": False,
                "username": USERNAME,
            },
            "hosts": {
                name: self._host(name, index)
                for index, name in enumerate(self.projects)
            },
            "deploy": {
                "health_timeout": 30,
                "stable_seconds": 2,
                "keep_releases": 5,
                "lock_stale_after": 600,
            },
        }
        self.write_config()

    def _host(self, name, index):
        host = self.ssh["hosts"][name]
        compose_dir = self.compose_dirs[name]
        compose_dir.mkdir(parents=True)
        port = harness.free_port()
        (compose_dir / ".env").write_text(f"WEB_PORT={port}\n")
        return {
            "address": host.address,
            "port": host.port,
            "user": "root",
            "key": str(self.ssh["key"]),
            "known_hosts": str(self.ssh["known_hosts"]),
            "compose_dir": str(compose_dir),
            "connect_timeout": 5,
            "project_name": self.projects[name],
        }

    def write_config(self):
        (self.root / "invoke.yaml").write_text(
            yaml.safe_dump({"shipyard": self.config}, sort_keys=False)
        )

    def settings(self):
        return config.load(self.config, root=self.root)

    def write_manifest(self, manifest, name="image-manifest.json"):
        from shipyard import manifest as manifest_module

        path = self.root / name
        manifest_module.write_atomic(path, manifest)
        return path

    def inv(self, *args, timeout=300, env=None):
        env = {**os.environ, "SHIPYARD_REGISTRY_PASSWORD": PASSWORD, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "invoke", *args],
            check=False,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def containers(self, host):
        """Return service -> (status, image id) for the host's compose project."""
        label = f"label=com.docker.compose.project={self.projects[host]}"
        ids = subprocess.run(
            ["docker", "ps", "-aq", "--filter", label],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if not ids:
            return {}
        fmt = '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{.Image}}'
        lines = subprocess.run(
            ["docker", "inspect", "--format", fmt, *ids],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        return {line.split()[0]: tuple(line.split()[1:]) for line in lines}

    def container_ids(self, host):
        label = f"label=com.docker.compose.project={self.projects[host]}"
        return sorted(
            subprocess.run(
                ["docker", "ps", "-aq", "--no-trunc", "--filter", label],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
        )

    def running_digests(self, host):
        """Return service -> repo digests of the image each container runs."""
        digests = {}
        for service, (_status, image_id) in self.containers(host).items():
            out = subprocess.run(
                [
                    "docker",
                    "image",
                    "inspect",
                    "--format",
                    "{{json .RepoDigests}}",
                    image_id,
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            digests[service] = {entry.split("@")[1] for entry in yaml.safe_load(out)}
        return digests

    def current(self, host):
        link = self.compose_dirs[host] / "current"
        return os.readlink(link).rsplit("/", 1)[-1] if link.is_symlink() else ""

    def audit(self, host):
        import json

        path = self.compose_dirs[host] / "audit.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def down(self):
        for project in self.projects.values():
            subprocess.run(
                [
                    "docker",
                    "compose",
                    "-p",
                    project,
                    "down",
                    "--remove-orphans",
                    "-t",
                    "1",
                ],
                check=False,
                capture_output=True,
                timeout=120,
            )


@pytest.fixture
def project(tmp_path, ssh_hosts, deploy_registry, releases, monkeypatch):
    monkeypatch.setenv("SHIPYARD_REGISTRY_PASSWORD", PASSWORD)
    made = DeployProject(tmp_path / "project", ssh_hosts, deploy_registry)
    yield made
    made.down()


def assert_runs(project, host, manifest):
    """Assert every released service on `host` runs the manifest's digest."""
    digests = project.running_digests(host)
    for service, image in manifest["images"].items():
        assert image["digest"] in digests.get(service, set()), (service, digests)
