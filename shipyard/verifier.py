"""The verify phase: the registry has every image under every tag.

Checks each tag through the registry HTTP API: present, resolving to the
digest the push reported, compressed size above zero and within the
service's `max_size_mb`. For ECR it also asks DescribeImages, which must
list the same digest, every tag and a size within the limit, and applies
the scan gate (`shipyard.scan_gate`).
"""

from shipyard import ecr, login, scan_gate
from shipyard.errors import VerifyError
from shipyard.registry_api import RegistryClient


def verify_all(settings, pushed):
    """Return `({service: {digest, size_bytes, tags, repository}}, request_count)`."""
    found = login.credentials(settings)
    client = RegistryClient(settings.registry.address, *(found or ()))
    results = {}
    for name, image in pushed.items():
        service = settings.service(name)
        results[name] = _verify_image(settings, client, service, image)
    return results, client.requests


def _verify_image(settings, client, service, image):
    repository = service.repository
    size = None
    for tag in image["tags"]:
        found = client.manifest(repository, tag)
        if found is None:
            raise VerifyError(
                f"{settings.image_name(service)}:{tag} is missing from the registry; "
                "run `inv push` again"
            )
        digest, media_type, body = found
        if digest != image["digest"]:
            raise VerifyError(
                f"{settings.image_name(service)}:{tag} resolves to {digest}, but the "
                f"push reported {image['digest']}; another push moved the tag, so "
                "run the release again"
            )
        if size is None:
            size = client.image_size(repository, body, media_type)
    _check_size(settings, service, size, "registry manifest")
    scan = {"skipped": "no scanner in a plain registry"}
    if settings.registry.is_ecr:
        _verify_in_ecr(settings, service, image)
        scan = scan_gate.check(settings, repository, image["digest"])
    return {**image, "size_bytes": size, "scan": scan}


def _verify_in_ecr(settings, service, image):
    record = ecr.describe_image(settings, service.repository, image["digest"])
    if record is None:
        raise VerifyError(
            f"ECR DescribeImages has no {service.repository}@{image['digest']}; "
            "run `inv push` again"
        )
    missing = sorted(set(image["tags"]) - set(record.get("imageTags", [])))
    if missing:
        raise VerifyError(
            f"ECR image {service.repository}@{image['digest']} lacks tags "
            f"{', '.join(missing)}; run `inv push` again"
        )
    _check_size(settings, service, record.get("imageSizeInBytes", 0), "ECR")


def _check_size(settings, service, size, source):
    if not size or size <= 0:
        raise VerifyError(
            f"service {service.name}: {source} reports size {size} for the image; "
            "the push is incomplete, so run `inv push` again"
        )
    if size > service.max_size_bytes:
        limit = service.max_size_bytes / 1024 / 1024
        raise VerifyError(
            f"service {service.name}: image is {size / 1024 / 1024:.1f} MiB "
            f"compressed, over its limit of {limit:g} MiB; shrink the image or raise "
            f"max_size_mb for {service.name}"
        )
