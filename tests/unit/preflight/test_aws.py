"""AWS credential check against moto's STS, and its failure messages."""

import pytest

from shipyard import config
from shipyard.preflight import aws

ACCOUNT = "123456789012"  # the account moto answers with


def registry(account=ACCOUNT):
    return config.Registry(
        kind="ecr",
        address=f"{account}.dkr.ecr.eu-west-1.amazonaws.com",
        port=5000,
        start_local=False,
        data_dir=None,
        username="",
        password_env="",
        account_id=account,
        region="eu-west-1",
        scan_on_push=True,
    )


@pytest.fixture
def moto_env(moto, monkeypatch):
    for name, value in moto.environment().items():
        monkeypatch.setenv(name, value)
    return moto


def test_valid_credentials_pass(moto_env):
    assert aws.check(registry()) == []


def test_other_account_fails(moto_env):
    found = aws.check(registry("210987654321"))
    assert [item.rule for item in found] == ["aws-credentials"]
    assert "belong to account 123456789012" in found[0].message


def test_missing_credentials_message(moto_env, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    found = aws.check(registry())
    assert "no AWS credentials found" in found[0].message


def test_expired_credentials_message(monkeypatch):
    from botocore.exceptions import ClientError

    def expired(region):
        error = {"Error": {"Code": "ExpiredToken", "Message": "expired"}}
        raise aws._Failure(aws._client_error(ClientError(error, "GetCallerIdentity")))

    monkeypatch.setattr(aws, "_caller_identity", expired)
    found = aws.check(registry())
    assert "have expired (ExpiredToken)" in found[0].message


def test_rejected_credentials_message(moto_env, monkeypatch):
    from botocore.exceptions import ClientError

    def rejected(region):
        error = {"Error": {"Code": "InvalidClientTokenId", "Message": "bad"}}
        raise aws._Failure(aws._client_error(ClientError(error, "GetCallerIdentity")))

    monkeypatch.setattr(aws, "_caller_identity", rejected)
    assert "rejected" in aws.check(registry())[0].message
