"""The build job of build-and-push.yml, step by step, against the local stack.

Each `inv` step of the job runs in its own process, in the workflow's
order, the way the runner runs it (`bash -e -c`), with GITHUB_ACTIONS=true
and a step summary file. ECR is moto for the API and a real registry that
accepts moto's token for storage, as in the release ECR tests. Steps that
only set up the runner (checkout, Python, AWS credentials) are not run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.moto_server import TOKEN_PASSWORD, mirror_into_ecr
from tests.support.project import REPO_ROOT, make_project

pytestmark = pytest.mark.integration

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "build-and-push.yml"
REPOSITORIES = ["finansecure/auth", "finansecure/frontend", "finansecure/website"]
SERVICES = ["auth", "frontend", "website"]


def build_job():
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]["build"]


def inv_steps():
    """Return the `run:` lines of the build job that call shipyard, in order."""
    return [
        step["run"].strip()
        for step in build_job()["steps"]
        if step.get("run", "").strip().startswith("inv ")
    ]


def run_step(project, command, env):
    full_env = {
        **os.environ,
        **env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    return subprocess.run(
        ["bash", "-e", "-c", command],
        cwd=project.root,
        env=full_env,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def secret_lines(result, secret):
    return [
        line for line in (result.stdout + result.stderr).splitlines() if secret in line
    ]


@pytest.fixture
def ci_run(tmp_path, moto, ecr_registry):
    """Run every shipyard step of the build job; return the project and outputs."""
    project = make_project(
        tmp_path, ecr_registry.address, registry={"address": ecr_registry.address}
    )
    summary = tmp_path / "step-summary.md"
    summary.write_text("")
    env = {
        **moto.environment(),
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    outputs = {}
    for command in inv_steps():
        result = run_step(project, command, env)
        outputs[command] = result
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        if command == "inv push":
            # ECR records a push itself, but moto needs each image put into it.
            mirror_into_ecr(moto, ecr_registry, REPOSITORIES)
    return project, env, summary, outputs


def test_build_job_step_order():
    assert inv_steps() == [
        "inv ecr-login",
        "inv build",
        "inv push",
        "inv verify",
        "inv manifest",
    ]


def test_build_job_uploads_manifest():
    uploads = [
        step
        for step in build_job()["steps"]
        if step.get("uses", "").startswith("actions/upload-artifact@")
        and step.get("if") is None
    ]
    assert len(uploads) == 1
    assert uploads[0]["with"]["path"] == "image-manifest.json"
    assert uploads[0]["with"]["if-no-files-found"] == "error"


def test_ci_steps_release(ci_run):
    project, _env, summary, _outputs = ci_run

    data = json.loads(project.manifest_path.read_text())
    assert sorted(data["images"]) == SERVICES
    for image in data["images"].values():
        assert image["digest"].startswith("sha256:")
        assert image["reference"].endswith(image["digest"])

    text = summary.read_text()
    for phase in ("ecr-login", "build", "push", "verify", "manifest"):
        assert text.count(f"### shipyard {phase}:") == 1
    assert text.count("| service | tags | digest | size | scan | time |") == 4
    verify_section = text.split("### shipyard verify:")[1].split("### shipyard")[0]
    for name in SERVICES:
        row = next(
            line
            for line in verify_section.splitlines()
            if line.startswith(f"| {name} |")
        )
        assert data["images"][name]["digest"] in row
        assert "MiB" in row
        assert "passed: HIGH 1" in row
        assert f"`{data['short_sha']}`" in row


def test_ci_steps_mask_ecr_token(ci_run):
    project, _env, summary, outputs = ci_run

    login = outputs["inv ecr-login"]
    first = secret_lines(login, TOKEN_PASSWORD)[0]
    assert first == f"::add-mask::{TOKEN_PASSWORD}"
    for command, result in outputs.items():
        for line in secret_lines(result, TOKEN_PASSWORD):
            assert line.startswith("::add-mask::"), (command, line)
    assert TOKEN_PASSWORD not in summary.read_text()
    assert TOKEN_PASSWORD not in project.manifest_path.read_text()


def test_ci_steps_scan_gate_annotation(ci_run):
    project, env, _summary, _outputs = ci_run

    result = run_step(project, "inv verify --fail-on HIGH", env)

    assert result.returncode == 1
    annotations = [
        line for line in result.stdout.splitlines() if line.startswith("::error::")
    ]
    assert len(annotations) == 1
    assert "found 1 HIGH (threshold HIGH)" in annotations[0]
    assert "error: ECR scan of finansecure/" in result.stderr
    for line in secret_lines(result, TOKEN_PASSWORD):
        assert line.startswith("::add-mask::")


def test_ci_steps_fresh_process_needs_state(tmp_path, moto, ecr_registry):
    project = make_project(
        tmp_path, ecr_registry.address, registry={"address": ecr_registry.address}
    )
    env = {**moto.environment(), "GITHUB_ACTIONS": "true"}

    result = run_step(project, "inv verify", env)

    assert result.returncode == 1
    assert "`inv verify` needs the output of `inv push`" in result.stderr
    assert "::error::" in result.stdout
