"""shipyard's own repository passes its own preflight, so `scripts/release-example` works."""

import subprocess
import sys

import pytest

from tests.support.project import REPO_ROOT

pytestmark = pytest.mark.integration


def test_repository_passes_preflight(docker_engine):
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "preflight"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "preflight passed" in result.stdout
