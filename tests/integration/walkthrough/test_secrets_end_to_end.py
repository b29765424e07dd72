"""A release and a deploy to two hosts leak the registry password nowhere.

The registry requires basic auth. Every output, every file shipyard wrote
locally and on the hosts (logs, state, audit log, release folders), and
the argv of every process sampled during the run are searched for the
password and its base64 `user:password` form. Docker's own client config
files are the one place `docker login` stores the base64 form.
"""

import base64
import shutil

import pytest

from tests.support.argv_watcher import ArgvWatcher
from tests.support.project import REPO_ROOT, make_project

pytestmark = pytest.mark.integration


def written_files(*folders):
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and path.name != "config.json":
                yield path


def test_release_and_deploy_leak_no_password(tmp_path, auth_registry, test_hosts):
    folder, _ = test_hosts
    password = auth_registry.password
    encoded = base64.b64encode(f"{auth_registry.username}:{password}".encode()).decode()
    project = make_project(tmp_path, auth_registry.address, registry={
        "address": auth_registry.address, "username": auth_registry.username,
    })
    (tmp_path / "compose").mkdir()
    shutil.copy(REPO_ROOT / "compose" / "docker-compose.local.yml", tmp_path / "compose")
    project.commit("add the compose stack")
    env = {"SHIPYARD_REGISTRY_PASSWORD": password, "SHIPYARD_DEBUG": "1"}
    hosts = str(folder / "invoke.yaml")

    with ArgvWatcher(password) as watcher:
        results = [
            project.inv("release", "--skip-preflight", env=env),
            project.inv("-f", hosts, "deploy", "--host", "all", env=env),
            project.inv("-f", hosts, "releases", "--host", "primary", env=env),
        ]

    for result in results:
        assert result.returncode == 0, result.stderr
        for text in (result.stdout, result.stderr):
            assert password not in text
            assert encoded not in text
    assert watcher.samples > 10
    assert watcher.hits == []
    checked = 0
    for path in written_files(tmp_path / ".shipyard", folder):
        content = path.read_bytes()
        assert password.encode() not in content, path
        assert encoded.encode() not in content, path
        checked += 1
    assert checked > 10
    assert (folder / "primary" / "compose" / "audit.log").exists()
