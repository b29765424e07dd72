"""Amazon ECR through boto3: login tokens, repositories, image records.

boto3 reads credentials the usual way (environment, profile, instance
role) and honours `AWS_ENDPOINT_URL`, which is how the tests point it at
moto.
"""

import base64
import contextlib
import logging

from shipyard import process
from shipyard.errors import RegistryError, ShipyardError

log = logging.getLogger("shipyard.ecr")


@contextlib.contextmanager
def aws_errors(action):
    """Turn botocore exceptions into one-line `ShipyardError`s naming `action`."""
    from botocore import exceptions

    try:
        yield
    except exceptions.NoCredentialsError:
        raise ShipyardError(
            f"{action}: no AWS credentials found; set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run on a host with an "
            "instance role"
        ) from None
    except exceptions.EndpointConnectionError as error:
        raise ShipyardError(
            f"{action}: AWS endpoint {error.kwargs.get('endpoint_url')} is not "
            "reachable; check AWS_REGION and AWS_ENDPOINT_URL"
        ) from None
    except exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        message = process.mask(error.response.get("Error", {}).get("Message", ""))
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            raise ShipyardError(
                f"{action}: the AWS credentials have expired; refresh them (for "
                "example `aws sso login`) and retry"
            ) from None
        raise ShipyardError(f"{action} failed: {code}: {message}") from None
    except exceptions.BotoCoreError as error:
        raise ShipyardError(f"{action} failed: {process.mask(str(error))}") from None


def client(settings, service="ecr"):
    import boto3

    return boto3.client(service, region_name=settings.registry.region)


def authorization(settings):
    """Return `(username, password)` for `docker login` to the ECR registry.

    The password is registered as a secret before this returns, so no log
    line or error message can show it.
    """
    registry = settings.registry
    with aws_errors("ECR GetAuthorizationToken"):
        response = client(settings).get_authorization_token(
            registryIds=[registry.account_id]
        )
    data = response["authorizationData"][0]
    process.register_secret(data["authorizationToken"])
    decoded = base64.b64decode(data["authorizationToken"]).decode()
    username, _, password = decoded.partition(":")
    process.register_secret(password)
    if not password:
        raise RegistryError("ECR returned an authorization token without a password")
    return username, password


def ensure_repositories(settings):
    """Create each service's repository if missing; return the names created.

    New repositories get scan on push and AES256 encryption. An existing
    repository with scan on push turned off has it turned on.
    """
    ecr = client(settings)
    created = []
    for service in settings.services:
        name = service.repository
        with aws_errors(f"ECR DescribeRepositories {name}"):
            existing = _describe_repository(ecr, name)
        if existing is None:
            with aws_errors(f"ECR CreateRepository {name}"):
                ecr.create_repository(
                    repositoryName=name,
                    imageScanningConfiguration={"scanOnPush": settings.registry.scan_on_push},
                    encryptionConfiguration={"encryptionType": "AES256"},
                    imageTagMutability="MUTABLE",
                )
            created.append(name)
            log.info("created ECR repository %s (scan on push, AES256)", name)
            continue
        scanning = existing.get("imageScanningConfiguration", {})
        if settings.registry.scan_on_push and not scanning.get("scanOnPush"):
            with aws_errors(f"ECR PutImageScanningConfiguration {name}"):
                ecr.put_image_scanning_configuration(
                    repositoryName=name,
                    imageScanningConfiguration={"scanOnPush": True},
                )
            log.info("turned on scan on push for ECR repository %s", name)
    return created


def _describe_repository(ecr, name):
    try:
        found = ecr.describe_repositories(repositoryNames=[name])
    except ecr.exceptions.RepositoryNotFoundException:
        return None
    return found["repositories"][0]


def describe_image(settings, repository, digest):
    """Return ECR's record of `repository@digest`, or None when ECR has none."""
    ecr = client(settings)
    with aws_errors(f"ECR DescribeImages {repository}"):
        try:
            found = ecr.describe_images(
                repositoryName=repository, imageIds=[{"imageDigest": digest}]
            )
        except (
            ecr.exceptions.ImageNotFoundException,
            ecr.exceptions.RepositoryNotFoundException,
        ):
            return None
    details = found.get("imageDetails", [])
    return details[0] if details else None
