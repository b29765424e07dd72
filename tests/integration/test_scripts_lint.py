"""The project's shell scripts pass shellcheck (installed by scripts/stack.sh)."""

import shutil
import subprocess

import pytest

from tests.support.project import REPO_ROOT

pytestmark = pytest.mark.integration

SCRIPTS = [
    "scripts/stack.sh",
    "scripts/bootstrap.sh",
    "scripts/test",
    "scripts/release-example",
    "scripts/test-hosts",
    ".ci/run",
]


def test_shell_scripts_pass_shellcheck():
    assert shutil.which("shellcheck"), "shellcheck missing; run scripts/stack.sh"

    result = subprocess.run(
        ["shellcheck", *SCRIPTS], cwd=REPO_ROOT, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stdout


def test_shellcheck_catches_unquoted_variable(tmp_path):
    script = tmp_path / "bad.sh"
    script.write_text("#!/bin/sh\nrm -rf $1/*\n")

    result = subprocess.run(["shellcheck", script], capture_output=True, text=True)

    assert result.returncode != 0
    assert "SC2086" in result.stdout
