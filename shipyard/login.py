"""Registry login for the release phases (`inv ecr-login`).

`docker login` gets the password on stdin, never in argv, and writes to
shipyard's private docker config folder, where `push` finds it.
"""

import logging

from shipyard import ecr, engine, local_registry, process
from shipyard.errors import ConfigError, RegistryError
from shipyard.registry_api import RegistryClient

log = logging.getLogger("shipyard.login")


def credentials(settings):
    """Return `(username, password)` for the registry, or None when it needs none."""
    registry = settings.registry
    if registry.is_ecr:
        return ecr.authorization(settings)
    if not registry.username:
        return None
    password = registry.password()
    if not password:
        raise ConfigError(
            f"shipyard.registry.username is {registry.username!r} but "
            f"{registry.password_env} is not set; export the registry password in "
            f"{registry.password_env}"
        )
    process.register_secret(password)
    return registry.username, password


def login(settings):
    """Prepare the registry for a push: start, create repositories, log in.

    Returns a short description of what was done, for the phase line.
    """
    registry = settings.registry
    done = []
    if registry.is_ecr:
        created = ecr.ensure_repositories(settings)
        done.append(f"{len(created)} repositories created" if created else "repositories present")
    elif local_registry.ensure_running(settings):
        done.append("embedded registry started")

    found = credentials(settings)
    if found is None:
        RegistryClient(registry.address).ping()
        done.append(f"{registry.address} needs no login")
        return ", ".join(done)
    username, password = found
    docker_login(settings, registry.address, username, password)
    RegistryClient(registry.address, username, password).ping()
    done.append(f"logged in to {registry.address} as {username}")
    return ", ".join(done)


def docker_login(settings, address, username, password):
    """Run `docker login` with the password on stdin; raise `RegistryError` on failure."""
    from python_on_whales import DockerClient
    from python_on_whales.exceptions import DockerException

    docker = DockerClient(config=engine.config_dir(settings))
    try:
        docker.login(server=address, username=username, password=password)
    except DockerException as error:
        detail = process.tail(error.stderr or error.stdout or "", 1)
        raise RegistryError(
            f"docker login to {address} as {username} failed: {detail.strip()}; "
            "check the registry address and credentials"
        ) from None
