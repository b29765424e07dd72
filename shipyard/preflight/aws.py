"""Check the AWS credentials the ECR registry needs, with STS GetCallerIdentity.

boto3 honours `AWS_ENDPOINT_URL`, so the check runs against a moto server
in tests.
"""

from shipyard.preflight.findings import finding

EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
WHERE = "AWS credentials"


def check(registry):
    """Return `aws-credentials` findings for `registry` (a config `Registry`)."""
    if not registry.region:
        return [
            _finding(
                "no AWS region set; set AWS_REGION or shipyard.registry.aws_region"
            )
        ]
    try:
        identity = _caller_identity(registry.region)
    except _Failure as failure:
        return [_finding(str(failure))]
    account = identity.get("Account", "")
    if account != registry.account_id:
        return [
            _finding(
                f"credentials belong to account {account}, but AWS_ACCOUNT_ID is "
                f"{registry.account_id}"
            )
        ]
    return []


class _Failure(Exception):
    pass


def _caller_identity(region):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        TokenRetrievalError,
    )

    config = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2})
    try:
        client = boto3.session.Session().client(
            "sts", region_name=region, config=config
        )
        return client.get_caller_identity()
    except NoCredentialsError:
        raise _Failure(
            "no AWS credentials found (environment, profile or SSO)"
        ) from None
    except TokenRetrievalError:
        raise _Failure("the AWS SSO session has expired; run aws sso login") from None
    except ClientError as error:
        raise _Failure(_client_error(error)) from None
    except BotoCoreError as error:
        raise _Failure(f"STS GetCallerIdentity failed: {error}") from None


def _client_error(error):
    code = error.response.get("Error", {}).get("Code", "")
    if code in EXPIRED_CODES:
        return f"the AWS credentials have expired ({code}); log in again"
    return f"STS rejected the AWS credentials ({code or 'unknown error'})"


def _finding(message):
    return finding("aws-credentials", WHERE, 0, message)
