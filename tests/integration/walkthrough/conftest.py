"""Stand-in hosts started by scripts/test-hosts, as the README walkthrough does."""

import os
import subprocess

import pytest

from tests.support.net import free_port
from tests.support.project import REPO_ROOT


@pytest.fixture
def test_hosts(tmp_path, docker_engine):
    folder = tmp_path / "hosts"
    env = {
        "SHIPYARD_TEST_HOSTS_DIR": str(folder),
        "SHIPYARD_TEST_HOSTS_SSH_PORT": str(free_port("127.0.0.2")),
        "SHIPYARD_TEST_HOSTS_APP_PORT": str(free_port()),
        "SHIPYARD_TEST_HOSTS_PROJECT": f"walk{os.getpid()}",
    }
    script = REPO_ROOT / "scripts" / "test-hosts"
    full_env = {**os.environ, **env}
    subprocess.run([script, "start"], check=True, env=full_env, capture_output=True)
    yield folder, int(env["SHIPYARD_TEST_HOSTS_APP_PORT"])
    subprocess.run([script, "stop"], check=True, env=full_env, capture_output=True)
    for name in ("primary", "backup"):
        subprocess.run(
            ["docker", "compose", "-p", f"walk{os.getpid()}-{name}", "down", "--timeout", "1"],
            capture_output=True,
            cwd=folder / name / "compose",
        )


