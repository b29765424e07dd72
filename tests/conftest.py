"""Fixtures shared by every test.

The developer's own AWS, SSH, Docker and Invoke settings are kept out of
every test: HOME points at an empty folder and the variables that would
reach those settings are removed.
"""

import os
import subprocess

import pytest

from tests.support.registry import Registry

KEEP_OUT = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_ACCOUNT_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
    "DOCKER_CONFIG", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_HEAD_REF",
    "GITHUB_REF_NAME", "SHIPYARD_DEBUG", "SHIPYARD_REGISTRY_PASSWORD",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in KEEP_OUT:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("INVOKE_"):
            monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="session")
def docker_engine():
    """Fail, never skip, when the Docker engine is not running."""
    result = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(
            "the Docker engine is not running; run scripts/stack.sh first "
            f"({result.stderr.strip()[:200]})"
        )
    return result.stdout.strip()


@pytest.fixture
def registry(tmp_path, docker_engine):
    """A real registry without auth on a free loopback port."""
    running = Registry(tmp_path / "registry").start()
    yield running
    running.stop()


@pytest.fixture
def auth_registry(tmp_path, docker_engine):
    """A real registry with htpasswd basic auth (user `shipyard`)."""
    running = Registry(
        tmp_path / "auth-registry", username="shipyard", password="s3cret-Reg1stry-pw"
    ).start()
    yield running
    running.stop()


@pytest.fixture
def moto(tmp_path):
    """moto's server serving the ECR and STS APIs on a loopback port."""
    from tests.support.moto_server import MotoServer

    server = MotoServer(tmp_path / "moto").start()
    yield server
    server.stop()


@pytest.fixture
def ecr_registry(tmp_path, docker_engine):
    """A registry that accepts moto's ECR token, standing in for the ECR host."""
    from tests.support.moto_server import TOKEN_PASSWORD

    running = Registry(
        tmp_path / "ecr-registry", username="AWS", password=TOKEN_PASSWORD
    ).start()
    yield running
    running.stop()
