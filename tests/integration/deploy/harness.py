"""Test hosts for deploys: sshd processes on loopback, test images, manifests.

Each `SshHost` is a real `sshd` on its own loopback address and port with
key-only login and its own host key. Every host drives this machine's
Docker engine, so tests tell hosts apart by compose folder and compose
project name.
"""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

from shipyard import manifest as manifest_module
from tests.support.net import free_port

SSHD_CONFIG = """\
Port {port}
ListenAddress {address}
HostKey {host_key}
PidFile {pid_file}
AuthorizedKeysFile {authorized_keys}
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
LogLevel ERROR
"""

DOCKERFILE = """\
FROM busybox:1.36.1
RUN mkdir -p /srv/www && echo ok > /srv/www/health && echo {version} > /srv/www/version
HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD {check}
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/srv/www"]
"""

HEALTHY = "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1"
NEVER_HEALTHY = "false"


def run(argv, **kwargs):
    return subprocess.run(
        [str(part) for part in argv],
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    )


def make_key(path):
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path])
    return Path(path)


class SshHost:
    """A real sshd on `address`, accepting `client_key` for root.

    `extra_config` is appended to sshd_config, for example `SetEnv HOME=...`
    to give the sessions a home folder of their own.
    """

    def __init__(self, folder, address, client_public_key, extra_config=""):
        self.folder = Path(folder)
        self.address = address
        self.port = free_port(address)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.host_key = make_key(self.folder / "host_key")
        authorized = self.folder / "authorized_keys"
        authorized.write_text(Path(client_public_key).read_text())
        self.config = self.folder / "sshd_config"
        self.config.write_text(
            SSHD_CONFIG.format(
                port=self.port,
                address=address,
                host_key=self.host_key,
                pid_file=self.folder / "sshd.pid",
                authorized_keys=authorized,
            )
            + extra_config
        )
        self.process = None

    def known_hosts_line(self):
        public = (self.folder / "host_key.pub").read_text().split()
        return f"[{self.address}]:{self.port} {public[0]} {public[1]}\n"

    def start(self, timeout=10.0):
        binary = shutil.which("sshd") or "/usr/sbin/sshd"
        if not os.path.exists(binary):
            raise RuntimeError("sshd not installed; run scripts/stack.sh")
        os.makedirs("/run/sshd", exist_ok=True)
        self.log = open(self.folder / "sshd.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [binary, "-D", "-e", "-f", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
        )
        self._wait_listening(timeout)
        return self

    def _wait_listening(self, timeout):
        import socket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"sshd exited: {(self.folder / 'sshd.log').read_text()[-500:]}"
                )
            try:
                with socket.create_connection((self.address, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"sshd on {self.address}:{self.port} did not start")

    def session_pids(self):
        """Return the pids of the per-connection sshd processes under this server."""
        children, frontier = [], [self.process.pid]
        for _ in range(4):
            found = []
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                if parent in frontier:
                    found.append(int(entry.name))
            children += found
            frontier = found
            if not found:
                break
        return children

    def drop_sessions(self):
        """Kill every open SSH session of this server, leaving the server up."""
        pids = self.session_pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return pids

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process:
            self.log.close()
        self.process = None


def build_image(folder, tag, version, check):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Dockerfile").write_text(DOCKERFILE.format(version=version, check=check))
    run(["docker", "buildx", "build", "--load", "-q", "-t", tag, str(folder)])


def push(reference, docker_config):
    """Push `reference` and return its `repository@sha256:...` digest reference."""
    run(
        ["docker", "push", "-q", reference],
        env={**os.environ, "DOCKER_CONFIG": str(docker_config)},
    )
    repository = reference.rsplit(":", 1)[0]
    digests = json.loads(
        run(
            [
                "docker",
                "image",
                "inspect",
                "--format",
                "{{json .RepoDigests}}",
                reference,
            ]
        ).stdout
    )
    for digest in digests:
        if digest.startswith(repository + "@"):
            return digest
    raise RuntimeError(f"no repo digest for {reference}: {digests}")


def release_manifest(release_id, commit_sha, images, registry_address, kind="local"):
    """Return a manifest mapping service -> `repository@digest` reference."""
    info = SimpleNamespace(
        release_id=release_id,
        commit_sha=commit_sha,
        short_sha=commit_sha[:7],
        branch="main",
        dirty=False,
        created_at="2026-12-04T10:00:00Z",
    )
    entries = {}
    for service, reference in images.items():
        repository, digest = reference.split("@")
        entries[service] = {
            "repository": repository,
            "tags": [commit_sha[:7]],
            "digest": digest,
            "size_bytes": 2000000,
        }
    registry = SimpleNamespace(kind=kind, address=registry_address)
    data = manifest_module.build(info, entries, registry)
    manifest_module.validate(data)
    return data
