"""The release phases in ECR mode: moto for the AWS APIs, a real registry for storage."""

import json

import pytest

from tests.support.argv_watcher import ArgvWatcher
from tests.support.moto_server import ACCOUNT_ID, TOKEN_PASSWORD, mirror_into_ecr
from tests.support.project import make_project

pytestmark = pytest.mark.integration

REPOSITORIES = ["finansecure/auth", "finansecure/frontend", "finansecure/website"]


def ecr_project(tmp_path, ecr_registry):
    return make_project(
        tmp_path, ecr_registry.address, registry={"address": ecr_registry.address}
    )


def test_ecr_release_phases(tmp_path, moto, ecr_registry):
    project = ecr_project(tmp_path, ecr_registry)
    env = moto.environment()
    outputs = []

    with ArgvWatcher(TOKEN_PASSWORD) as watcher:
        for phase in ("ecr-login", "build", "push"):
            result = project.inv(phase, env=env)
            outputs.append(result)
            assert result.returncode == 0, result.stderr
        mirror_into_ecr(moto, ecr_registry, REPOSITORIES)
        for phase in ("verify", "manifest"):
            result = project.inv(phase, env=env)
            outputs.append(result)
            assert result.returncode == 0, result.stderr

    data = json.loads(project.manifest_path.read_text())
    assert data["registry"] == {"kind": "ecr", "address": ecr_registry.address}
    assert sorted(data["images"]) == ["auth", "frontend", "website"]
    repositories = moto.client().describe_repositories()["repositories"]
    assert sorted(r["repositoryName"] for r in repositories) == REPOSITORIES
    for repository in repositories:
        assert repository["imageScanningConfiguration"]["scanOnPush"] is True
        assert repository["encryptionConfiguration"]["encryptionType"] == "AES256"

    assert watcher.samples > 10
    assert watcher.hits == []
    for result in outputs:
        assert TOKEN_PASSWORD not in result.stdout
        assert TOKEN_PASSWORD not in result.stderr
    for log in (tmp_path / ".shipyard").rglob("*.log"):
        assert TOKEN_PASSWORD not in log.read_text(errors="replace"), log
    assert TOKEN_PASSWORD not in project.manifest_path.read_text()


def test_ecr_login_creates_missing_repositories_only(tmp_path, moto, ecr_registry):
    project = ecr_project(tmp_path, ecr_registry)
    moto.client().create_repository(repositoryName="finansecure/auth")

    result = project.inv("ecr-login", env=moto.environment())

    assert result.returncode == 0, result.stderr
    assert "2 repositories created" in result.stdout
    existing = moto.client().describe_repositories(repositoryNames=["finansecure/auth"])
    scanning = existing["repositories"][0]["imageScanningConfiguration"]
    assert scanning["scanOnPush"] is True


def test_verify_fails_when_ecr_lacks_image(tmp_path, moto, ecr_registry):
    project = ecr_project(tmp_path, ecr_registry)
    env = moto.environment()
    for phase in ("ecr-login", "build", "push"):
        assert project.inv(phase, env=env).returncode == 0

    result = project.inv("verify", env=env)

    assert result.returncode == 1
    assert "DescribeImages" in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_token_rejected_by_registry(tmp_path, moto, docker_engine):
    from tests.support.registry import Registry

    other = Registry(tmp_path / "other", username="AWS", password="another-pass").start()
    try:
        project = make_project(tmp_path, other.address, registry={"address": other.address})
        result = project.inv("ecr-login", env=moto.environment())
    finally:
        other.stop()

    assert result.returncode == 1
    assert "docker login" in result.stderr
    assert TOKEN_PASSWORD not in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_aws_credentials(tmp_path, moto, ecr_registry):
    project = ecr_project(tmp_path, ecr_registry)
    env = moto.environment()
    del env["AWS_ACCESS_KEY_ID"]
    del env["AWS_SECRET_ACCESS_KEY"]

    result = project.inv("ecr-login", env=env)

    assert result.returncode == 1
    assert "no AWS credentials found" in result.stderr
    assert "Traceback" not in result.stderr


def test_account_id_must_be_twelve_digits(tmp_path, moto, ecr_registry):
    project = ecr_project(tmp_path, ecr_registry)
    env = {**moto.environment(), "AWS_ACCOUNT_ID": "12345"}

    result = project.inv("ecr-login", env=env)

    assert result.returncode == 2
    assert "AWS_ACCOUNT_ID" in result.stderr
    assert ACCOUNT_ID not in result.stderr


def test_argv_watcher_catches_leak():
    import subprocess

    with ArgvWatcher(TOKEN_PASSWORD) as watcher:
        subprocess.run(["sh", "-c", "sleep 0.3", "probe", TOKEN_PASSWORD], check=True)

    assert watcher.hits
