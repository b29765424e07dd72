"""Registry credentials and the remote command lines built for each step."""

import base64

import pytest

from shipyard import process
from shipyard.deploy import commands, login
from shipyard.errors import RegistryError

ECR_HOST = "222222222222.dkr.ecr.us-east-1.amazonaws.com"


class FakeEcr:
    """Records the region and registry ids that credentials_for requests."""

    def __init__(self, token):
        self.token = token
        self.calls = []

    def client(self, region):
        self.calls.append(region)
        return self

    def get_authorization_token(self, registryIds):
        self.calls.append(registryIds)
        return {"authorizationData": [{"authorizationToken": self.token}]}


class FakeSettings:
    class registry:
        username = "deployer"
        password_env = "SHIPYARD_REGISTRY_PASSWORD"


def test_ecr_registry_and_region_come_from_reference():
    assert login.ecr_target(ECR_HOST) == ("222222222222", "us-east-1")
    assert login.ecr_target(f"https://{ECR_HOST}/") == ("222222222222", "us-east-1")
    assert login.ecr_target("127.0.0.1:5000") is None


def test_ecr_token_uses_reference_region_and_is_masked():
    token = base64.b64encode(b"AWS:ecr-password-123456").decode()
    ecr = FakeEcr(token)
    credentials = login.credentials_for(ECR_HOST, FakeSettings, {}, ecr.client)
    assert ecr.calls == ["us-east-1", ["222222222222"]]
    assert credentials.username == "AWS"
    assert credentials.password == "ecr-password-123456"
    assert "ecr-password" not in repr(credentials)
    assert process.mask("token ecr-password-123456") == "token ***"


def test_plain_registry_password_from_environment():
    environ = {"SHIPYARD_REGISTRY_PASSWORD": "plain-Passw0rd"}
    credentials = login.credentials_for("127.0.0.1:5000", FakeSettings, environ)
    assert credentials.username == "deployer"
    assert credentials.password == "plain-Passw0rd"


def test_missing_password_is_error_without_secret():
    with pytest.raises(RegistryError) as error:
        login.credentials_for("127.0.0.1:5000", FakeSettings, {})
    assert "$SHIPYARD_REGISTRY_PASSWORD is empty" in str(error.value)


def test_login_line_reads_password_from_stdin():
    line = commands.login("127.0.0.1:5000", "deployer", "/srv/app/.docker-config.x")
    assert line == (
        "DOCKER_CONFIG=/srv/app/.docker-config.x docker login --username deployer "
        "--password-stdin 127.0.0.1:5000"
    )


def test_pull_uses_private_docker_config():
    line = commands.pull("r.example/app@sha256:" + "a" * 64, "/srv/app/.dc")
    assert line.startswith("DOCKER_CONFIG=/srv/app/.dc docker pull --quiet ")


def test_remote_lines_get_fixed_path():
    line = commands.prepared("docker ps")
    assert line == f"export PATH={commands.SAFE_PATH} LC_ALL=C; docker ps"


def test_compose_flavours_build_matching_commands():
    v2 = commands.compose_up("v2", "fin", "/srv/r/c.yml", "/srv")
    v1 = commands.compose_up("v1", "fin", "/srv/r/c.yml", "/srv")
    assert v2 == (
        "docker compose -p fin -f /srv/r/c.yml --project-directory /srv "
        "up -d --remove-orphans"
    )
    assert v1.startswith("docker-compose -p fin -f /srv/r/c.yml")


def test_containers_found_by_project_label():
    line = commands.inspect_project("fin")
    assert "--filter label=com.docker.compose.project=fin" in line


def test_values_are_shell_quoted():
    line = commands.switch_link("/srv/my app", "current", "r1")
    assert "'/srv/my app/current.tmp'" in line


class EcrOverrideSettings:
    class registry:
        is_ecr = True
        address = "127.0.0.1:5443"
        account_id = "333333333333"
        region = "ap-southeast-2"
        username = ""
        password_env = "SHIPYARD_REGISTRY_PASSWORD"


def test_ecr_address_override_uses_configured_account():
    token = base64.b64encode(b"AWS:override-password-123").decode()
    ecr = FakeEcr(token)
    credentials = login.credentials_for(
        "127.0.0.1:5443", EcrOverrideSettings, {}, ecr.client
    )
    assert ecr.calls == ["ap-southeast-2", ["333333333333"]]
    assert credentials.username == "AWS"
    assert credentials.password == "override-password-123"


def test_other_registry_is_not_ecr_override():
    assert login.configured_ecr_target("127.0.0.1:6000", EcrOverrideSettings) is None
    assert login.configured_ecr_target("127.0.0.1:5443", FakeSettings) is None
