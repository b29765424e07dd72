"""The push phase: every tag of every service's image, services in parallel.

`docker push` uploads each image once, under its first tag. The other tags
are added through the registry HTTP API by putting the same manifest bytes
under each tag name, which costs one request per tag instead of a second
and third `docker push` that would check every layer again. The tags
therefore resolve to one digest by construction.
"""

import re
from concurrent.futures import ThreadPoolExecutor

from shipyard import engine, login, process
from shipyard.errors import CommandError, RegistryError
from shipyard.registry_api import RegistryClient

PUSHED_DIGEST = re.compile(r"digest: (sha256:[a-f0-9]{64}) size: (\d+)")


def push_command(reference):
    return ["docker", "push", reference]


def push_all(settings, release, built):
    """Push each built image and give it every release tag.

    Returns `{service: {"repository", "tags", "digest"}}`. Raises
    `RegistryError` when a push or a tag request fails.
    """
    services = [settings.service(name) for name in built]
    credentials = login.credentials(settings) or ()
    with ThreadPoolExecutor(max_workers=max(1, len(services))) as pool:
        futures = {
            service.name: pool.submit(_push_one, settings, service, release, credentials)
            for service in services
        }
        return {name: future.result() for name, future in futures.items()}


def _push_one(settings, service, release, credentials):
    repository = settings.image_name(service)
    first, *others = release.tags
    reference = f"{repository}:{first}"
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
    digest = found.group(1)
    if others:
        client = RegistryClient(settings.registry.address, *credentials)
        for tag in others:
            client.put_tag(service.repository, digest, tag)
    return {"repository": repository, "tags": list(release.tags), "digest": digest}
