"""The push phase: every tag of every service's image, services in parallel."""

import re
from concurrent.futures import ThreadPoolExecutor

from shipyard import engine, process
from shipyard.errors import CommandError, RegistryError

PUSHED_DIGEST = re.compile(r"digest: (sha256:[a-f0-9]{64}) size: (\d+)")


def push_command(reference):
    return ["docker", "push", reference]


def push_all(settings, release, built):
    """Push each built image under every release tag.

    Returns `{service: {"repository", "tags", "digest"}}`. Raises
    `RegistryError` when a push fails or two tags of one image got
    different digests.
    """
    services = [settings.service(name) for name in built]
    with ThreadPoolExecutor(max_workers=max(1, len(services))) as pool:
        futures = {
            service.name: pool.submit(_push_one, settings, service, release)
            for service in services
        }
        return {name: future.result() for name, future in futures.items()}


def _push_one(settings, service, release):
    repository = settings.image_name(service)
    digests = {}
    for tag in release.tags:
        reference = f"{repository}:{tag}"
        try:
            result = process.run(
                push_command(reference),
                env=engine.docker_env(settings),
                what=f"push of {reference}",
                timeout=1800,
            )
        except CommandError as error:
            raise RegistryError(
                f"push of service {service.name} failed: {error}; check that "
                f"registry {settings.registry.address} is up and `inv ecr-login` ran"
            ) from None
        found = PUSHED_DIGEST.search(result.stdout)
        if not found:
            raise RegistryError(
                f"push of {reference} printed no digest; the registry may not have "
                "stored it"
            )
        digests[tag] = found.group(1)
    if len(set(digests.values())) != 1:
        raise RegistryError(
            f"service {service.name}: tags were pushed with different digests "
            f"({digests}); rebuild with `inv build`"
        )
    return {
        "repository": repository,
        "tags": list(release.tags),
        "digest": next(iter(digests.values())),
    }
