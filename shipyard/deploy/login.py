"""Registry credentials for the host's `docker login`, fetched fresh each time.

For ECR the registry and region come from the image reference
(`ACCOUNT.dkr.ecr.REGION.amazonaws.com/...`), not from the local AWS
default region, because a release may live in another region.

A registry address that is not an ECR host name (a proxy or a VPC endpoint
name) is still ECR when it equals `shipyard.registry.address` and
AWS_ACCOUNT_ID is set. The account and region then come from the settings,
as for the push. For any other registry the username comes from `shipyard.registry.username` and the
password from the environment variable named by
`shipyard.registry.password_env`.
"""

import base64
import re
from dataclasses import dataclass, field

from shipyard import imageref, process
from shipyard.errors import RegistryError

ECR_HOST = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)"
    r"\.amazonaws\.com(\.cn)?$"
)


@dataclass(frozen=True)
class Credentials:
    registry: str
    username: str
    password: str = field(repr=False)


def registries(manifest):
    """Return the registry hosts the manifest's images come from, sorted."""
    hosts = set()
    for image in manifest["images"].values():
        hosts.add(imageref.parse(image["reference"]).registry)
    return sorted(host for host in hosts if host)


def ecr_target(registry):
    """Return `(account_id, region)` when `registry` is an ECR host, else None."""
    host = registry.removeprefix("https://").removeprefix("http://").rstrip("/")
    match = ECR_HOST.match(host)
    if not match:
        return None
    return match["account"], match["region"]


def configured_ecr_target(registry, settings):
    """Return `(account_id, region)` when `registry` is the configured ECR address."""
    configured = settings.registry
    if not getattr(configured, "is_ecr", False):
        return None
    host = registry.removeprefix("https://").removeprefix("http://").rstrip("/")
    if host != configured.address:
        return None
    return configured.account_id, configured.region


def credentials_for(registry, settings, environ, ecr_client=None):
    """Return `Credentials` for `registry`, or None when no login is configured.

    `ecr_client(region)` returns a boto3 ECR client; the default builds one.
    Every password is registered as a secret, so logs and errors mask it.
    """
    target = ecr_target(registry) or configured_ecr_target(registry, settings)
    if target:
        return _ecr_credentials(registry, *target, ecr_client or _boto3_ecr)
    username = settings.registry.username
    if not username:
        return None
    password = environ.get(settings.registry.password_env, "")
    if not password:
        raise RegistryError(
            f"registry {registry}: shipyard.registry.username is set but "
            f"${settings.registry.password_env} is empty; export the password "
            "in that variable"
        )
    process.register_secret(password)
    return Credentials(registry, username, password)


def _boto3_ecr(region):
    import boto3

    return boto3.client("ecr", region_name=region)


def _ecr_credentials(registry, account_id, region, ecr_client):
    from shipyard.ecr import aws_errors

    with aws_errors(f"ECR GetAuthorizationToken for {registry}"):
        response = ecr_client(region).get_authorization_token(registryIds=[account_id])
    data = response["authorizationData"][0]
    token = data["authorizationToken"]
    process.register_secret(token)
    username, _, password = base64.b64decode(token).decode().partition(":")
    if not password:
        raise RegistryError(
            f"ECR returned an authorization token without a password for {registry}"
        )
    process.register_secret(password)
    return Credentials(registry, username, password)
