"""The embedded default registry: a local OCI registry shipyard starts itself.

With no ECR settings, images go to `127.0.0.1:<port>`. When nothing responds
there, shipyard starts the `registry:2` image if the engine has it, else the
`docker-registry` binary (Debian's package of the CNCF distribution
registry), with its data under `registry.data_dir`.
"""

import logging
import shutil
import subprocess
import time

from shipyard import process
from shipyard.errors import RegistryError
from shipyard.registry_api import RegistryClient

log = logging.getLogger("shipyard.registry")

START_TIMEOUT = 20
REGISTRY_IMAGE = "registry:2"
CONTAINER_NAME = "shipyard-registry-{port}"

CONFIG_TEMPLATE = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {data}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


def ensure_running(settings):
    """Start the embedded registry unless something already responds on its port.

    Returns True when this call started it. Registries that are not the
    embedded default are only checked, never started.
    """
    registry = settings.registry
    if _answers(registry.address):
        return False
    if not registry.is_embedded:
        raise RegistryError(
            f"registry {registry.address} is not reachable; start it, or unset "
            "shipyard.registry.address to use the embedded local registry"
        )
    if _has_image(settings):
        # NOTE: the test stack has no registry:2 image (nothing can be pulled
        # there), so only the binary path runs in the test suite.
        _start_container(settings)
        started_from = f"the {REGISTRY_IMAGE} image"
    else:
        _start_binary(settings)
        started_from = "the docker-registry binary"
    _wait(registry.address)
    log.info(
        "started the embedded registry at %s (%s, data in %s)",
        registry.address,
        started_from,
        registry.data_dir,
    )
    return True


def stop(settings):
    """Stop an embedded registry that `ensure_running` started."""
    pid_file = settings.registry.data_dir / "registry.pid"
    if pid_file.exists():
        process.run(["kill", pid_file.read_text().strip()], check=False)
        pid_file.unlink(missing_ok=True)
    name = CONTAINER_NAME.format(port=settings.registry.port)
    process.run(["docker", "rm", "-f", name], check=False)


def _answers(address):
    return RegistryClient(address).reachable()


def _has_image(settings):
    result = process.run(
        ["docker", "image", "inspect", REGISTRY_IMAGE], check=False, timeout=30
    )
    return result.returncode == 0


def _start_container(settings):
    registry = settings.registry
    data = registry.data_dir / "data"
    data.mkdir(parents=True, exist_ok=True)
    process.run(
        [
            "docker", "run", "-d", "--restart", "unless-stopped",
            "--name", CONTAINER_NAME.format(port=registry.port),
            "-p", f"127.0.0.1:{registry.port}:5000",
            "-v", f"{data.resolve()}:/var/lib/registry",
            REGISTRY_IMAGE,
        ],
        what="start the registry container",
    )


def _start_binary(settings):
    binary = shutil.which("docker-registry") or shutil.which("registry")
    if not binary:
        raise RegistryError(
            "no registry at "
            f"{settings.registry.address} and no docker-registry binary to start "
            "one; install Debian's docker-registry package (scripts/stack.sh does) "
            "or configure shipyard.registry"
        )
    folder = settings.registry.data_dir
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yml"
    config.write_text(
        CONFIG_TEMPLATE.format(data=data.resolve(), port=settings.registry.port)
    )
    with open(folder / "registry.log", "ab") as output:
        child = subprocess.Popen(
            [binary, "serve", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    (folder / "registry.pid").write_text(f"{child.pid}\n")


def _wait(address):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if _answers(address):
            return
        time.sleep(0.2)
    raise RegistryError(
        f"the embedded registry did not respond at {address} within "
        f"{START_TIMEOUT} s; see its log in shipyard.registry.data_dir"
    )
