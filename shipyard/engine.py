"""The local Docker engine: availability check and the environment shipyard uses.

Every docker command shipyard runs uses a private client config folder
(`<output_dir>/docker-config`, via `DOCKER_CONFIG`). Logins made by
`inv ecr-login` land there and later phases find them, and a credential
helper configured in the user's own `~/.docker/config.json` cannot break
them.
"""

import os

from shipyard import manifest, process
from shipyard.errors import DockerUnavailable, ShipyardError


def config_dir(settings):
    """Return the private docker client config folder, created with mode 0700."""
    folder = settings.output_dir / "docker-config"
    config = folder / "config.json"
    if config.exists():
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise ShipyardError(
            f"cannot create {folder}: {error.strerror}; check that "
            "shipyard.output_dir is writable"
        ) from None
    manifest.write_atomic(config, {"auths": {}})
    config.chmod(0o600)
    return folder


def docker_env(settings):
    """Return the environment entries every docker command of shipyard gets."""
    return {"DOCKER_CONFIG": str(config_dir(settings)), "DOCKER_BUILDKIT": "1"}


def check(settings):
    """Raise `DockerUnavailable` unless the engine and buildx respond."""
    result = process.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        env=docker_env(settings),
        check=False,
        timeout=30,
    )
    if result.returncode != 0:
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        raise DockerUnavailable(
            f"the Docker engine at {host} is not reachable; start dockerd "
            "(scripts/stack.sh does) or set DOCKER_HOST"
        )
    result = process.run(
        ["docker", "buildx", "version"], env=docker_env(settings), check=False, timeout=30
    )
    if result.returncode != 0:
        raise DockerUnavailable(
            "docker buildx is not installed; install the buildx CLI plugin "
            "(scripts/stack.sh does)"
        )
    return result.stdout.strip()
