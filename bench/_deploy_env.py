"""A throwaway deploy setup for the deploy benchmarks: registry, images, SSH hosts.

`DeployBench` starts a registry without auth on a free loopback port and
builds and pushes one healthy release per name in `releases`. It starts
one sshd per host on its own loopback address and free port, at LogLevel
DEBUG1 so that its log shows each connection and each exec request. It
then writes a project folder with invoke.yaml, tasks.py, the compose file
and one manifest per release. Every host drives this machine's Docker engine, so
hosts differ by compose folder, compose project name and published ports.

The built images stay in the engine, so a deploy's `docker pull` by
digest only asks the registry for the manifest and downloads no layer.
"""

import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import yaml
from _common import INV, timed

from shipyard import manifest as manifest_module
from tests.integration.deploy import harness
from tests.support.net import free_port
from tests.support.registry import Registry

# Two services like compose/docker-compose.local.yml: each has a health
# check (from the image's HEALTHCHECK, every second) and a published port.
COMPOSE = """\
x-app: &app
  restart: unless-stopped
  stop_grace_period: 1s

services:
  web:
    <<: *app
    image: {registry}/shipyardbench/web:latest
    ports:
      - "127.0.0.1:${{WEB_PORT:-18080}}:8080"
  api:
    <<: *app
    image: {registry}/shipyardbench/api:latest
    ports:
      - "127.0.0.1:${{API_PORT:-18081}}:8080"
"""

ACCEPTED = re.compile(r"Accepted publickey for ")
EXEC_REQUEST = re.compile(r"session_input_channel_req: session \d+ req exec")


class DeployBench:
    """Registry, images, sshd hosts and a project folder; use as a context manager."""

    def __init__(self, addresses, releases=("v1", "v2")):
        self.addresses = list(addresses)
        self.release_names = list(releases)
        self.folder = Path(tempfile.mkdtemp(prefix="shipyard-deploy-bench-"))
        self.root = self.folder / "project"
        self.suffix = uuid.uuid4().hex[:6]
        self.hosts = {}
        self.ports = {}
        self.manifests = {}
        self.manifest_paths = {}
        self.registry = None
        self.extra_projects = []

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _start(self):
        self.registry = Registry(self.folder / "registry").start()
        self._build_releases()
        key = harness.make_key(self.folder / "client_key")
        self.key = key

        known = []
        for index, address in enumerate(self.addresses):
            name = f"h{index}"
            host = harness.SshHost(self.folder / "ssh" / name, address, f"{key}.pub")
            host.config.write_text(
                host.config.read_text().replace("LogLevel ERROR", "LogLevel DEBUG1")
            )
            self.hosts[name] = host.start()
            known.append(host.known_hosts_line())
        (self.folder / "known_hosts").write_text("".join(known))

        (self.root / "app" / "web").mkdir(parents=True)
        (self.root / "app" / "web" / "Dockerfile").write_text("FROM busybox:1.36.1\n")
        (self.root / "compose").mkdir()
        (self.root / "compose" / "docker-compose.yml").write_text(
            COMPOSE.format(registry=self.registry.address)
        )
        (self.root / "tasks.py").write_text(
            "from shipyard.tasks import namespace  # noqa\n"
        )

        for name in self.hosts:
            compose_dir = self.compose_dir(name)
            compose_dir.mkdir(parents=True)
            web, api = free_port(), free_port()
            self.ports[name] = {"web": web, "api": api}
            (compose_dir / ".env").write_text(f"WEB_PORT={web}\nAPI_PORT={api}\n")

        for release, manifest in self.manifests.items():
            path = self.root / f"manifest-{release}.json"
            manifest_module.write_atomic(path, manifest)
            self.manifest_paths[release] = path
        self.write_config(list(self.hosts))

    def _build_releases(self):
        registry = self.registry.address
        for index, name in enumerate(self.release_names):
            images = {}
            for service in ("web", "api"):
                tag = f"{registry}/shipyardbench/{service}:{name}"
                harness.build_image(
                    self.folder / "images" / name / service,
                    tag,
                    f"{service}-{name}",
                    harness.HEALTHY,
                )
                images[service] = harness.push(tag, self.folder)
            commit = f"{index + 1:x}" * 40
            release_id = f"20261204-1{index}0000-{commit[:7]}"
            self.manifests[name] = harness.release_manifest(
                release_id, commit, images, registry
            )

    def compose_dir(self, name):
        return self.root / "hosts" / name / "app"

    def project(self, name):
        return f"syb{self.suffix}{name}"

    def write_config(self, host_names):
        """Write invoke.yaml configuring `host_names`, in that deploy order."""
        hosts = {}
        for name in host_names:
            host = self.hosts[name]
            hosts[name] = {
                "address": host.address,
                "port": host.port,
                "user": "root",
                "key": str(self.key),
                "known_hosts": str(self.folder / "known_hosts"),
                "compose_dir": str(self.compose_dir(name)),
                "connect_timeout": 5,
                "project_name": self.project(name),
            }
        config = {
            "app_dir": "app",
            "project": "shipyardbench",
            "services": [{"name": "web", "context": "web"}],
            "registry": {"address": self.registry.address, "start_local": False},
            "hosts": hosts,
            "deploy": {
                "health_timeout": 120,
                "stable_seconds": 2,
                "keep_releases": 5,
                "lock_stale_after": 600,
                "order": list(host_names),
            },
        }
        (self.root / "invoke.yaml").write_text(
            yaml.safe_dump({"shipyard": config}, sort_keys=False)
        )

    def release_id(self, release):
        return self.manifests[release]["release_id"]

    def release_compose(self, name, release):
        """Return the rewritten, digest-pinned compose file a deploy left on host `name`."""
        return (
            self.compose_dir(name)
            / "releases"
            / self.release_id(release)
            / "docker-compose.yml"
        )

    def deploy(self, host, release):
        """Run `inv deploy` and return `(seconds, CompletedProcess)`."""
        return timed(
            [
                INV,
                "deploy",
                "--host",
                host,
                "--manifest",
                str(self.manifest_paths[release]),
            ],
            cwd=self.root,
            timeout=900,
        )

    def rollback(self, host):
        return timed([INV, "rollback", "--host", host], cwd=self.root, timeout=900)

    def sshd_counts(self, name):
        """Return `(connections, exec requests)` logged so far by host `name`'s sshd."""
        text = (self.hosts[name].folder / "sshd.log").read_text(errors="replace")
        return len(ACCEPTED.findall(text)), len(EXEC_REQUEST.findall(text))

    def close(self):
        projects = [self.project(name) for name in self.hosts] + self.extra_projects
        for project in projects:
            down = ["docker", "compose", "-p", project, "down", "--remove-orphans"]
            subprocess.run(
                down + ["-t", "1"], check=False, capture_output=True, timeout=120
            )
        for host in self.hosts.values():
            host.stop()
        if self.registry:
            self.registry.stop()
            references = [
                image["reference"]
                for manifest in self.manifests.values()
                for image in manifest["images"].values()
            ]
            if references:
                ids = subprocess.run(
                    ["docker", "image", "inspect", "--format", "{{.Id}}", *references],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout.split()
                subprocess.run(
                    ["docker", "image", "rm", "-f", *sorted(set(ids))],
                    check=False,
                    capture_output=True,
                )
        shutil.rmtree(self.folder, ignore_errors=True)
