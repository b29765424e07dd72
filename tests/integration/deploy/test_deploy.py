"""Deploys, rollbacks and failures against real sshd, compose and registry."""

import pytest

from shipyard.deploy import deployer
from tests.integration.deploy.conftest import assert_runs

pytestmark = pytest.mark.integration


def quiet(host, message, started=None):
    print(f"{host}: {message}")


def deploy(project, manifest, host="primary", **options):
    return deployer.deploy(
        project.settings(), host, manifest, deployer.Options(**options), say=quiet
    )


def test_deploy_v1_then_v2_runs_manifest_digests(project, releases):
    project.config["hosts"]["primary"]["http_checks"] = [
        {"url": f"http://127.0.0.1:{_web_port(project)}/health", "status": 200}
    ]
    result = deploy(project, releases["v1"])
    assert result.ok
    assert project.current("primary") == releases["v1"]["release_id"]
    assert_runs(project, "primary", releases["v1"])

    deploy(project, releases["v2"])
    assert project.current("primary") == releases["v2"]["release_id"]
    assert_runs(project, "primary", releases["v2"])
    states = project.containers("primary")
    assert states["migrate"][0] == "exited"
    assert states["web"][0] == "running"
    assert [entry["outcome"] for entry in project.audit("primary")] == [
        "deployed",
        "deployed",
    ]


def _web_port(project):
    text = (project.compose_dirs["primary"] / ".env").read_text()
    return text.strip().split("=")[1]
