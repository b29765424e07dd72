"""GitHub Actions output: secrets masked before any output, and the step summary."""

import pytest

from tests.support.project import make_project

pytestmark = pytest.mark.integration

PASSWORD = "s3cret-Reg1stry-pw"


def actions_env(password):
    return {"GITHUB_ACTIONS": "true", "SHIPYARD_REGISTRY_PASSWORD": password}


def test_login_masks_password_first(tmp_path, auth_registry):
    project = make_project(
        tmp_path, auth_registry.address,
        registry={"address": auth_registry.address, "username": "shipyard"},
    )

    result = project.inv("ecr-login", env=actions_env(PASSWORD))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"::add-mask::{PASSWORD}"
    assert [line for line in lines if PASSWORD in line] == [lines[0]]
    assert PASSWORD not in result.stderr


def test_rejected_password_masked_in_error(tmp_path, auth_registry):
    wrong = "wrong-Passw0rd-value"
    project = make_project(
        tmp_path, auth_registry.address,
        registry={"address": auth_registry.address, "username": "shipyard"},
    )

    result = project.inv("ecr-login", env=actions_env(wrong))

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"::add-mask::{wrong}"
    annotations = [line for line in lines if line.startswith("::error::")]
    assert len(annotations) == 1
    assert wrong not in annotations[0]
    assert wrong not in result.stderr
    assert "Traceback" not in result.stderr


def test_release_writes_step_summary(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    summary = tmp_path / "step-summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}

    result = project.inv("release", "--skip-preflight", env=env)

    assert result.returncode == 0, result.stderr
    text = summary.read_text()
    for phase in ("ecr-login", "build", "push", "verify", "manifest"):
        assert text.count(f"### shipyard {phase}:") == 1
    assert "not checked (no scanner in a plain registry)" in text
