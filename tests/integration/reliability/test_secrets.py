"""The registry password appears in no output, file or process argv of a release.

The release runs with `SHIPYARD_DEBUG=1`, which logs every command, against
a registry with basic auth. The password and its base64 `user:password`
form are searched for in stdout, stderr, every file shipyard wrote, and
the argv of every process sampled during the run. The one allowed place
for the base64 form is Docker's own client config, where `docker login`
stores it.
"""

import base64

import pytest

from tests.support.argv_watcher import ArgvWatcher
from tests.support.project import make_project

pytestmark = pytest.mark.integration


def test_release_leaks_no_password(tmp_path, auth_registry):
    password = auth_registry.password
    encoded = base64.b64encode(f"{auth_registry.username}:{password}".encode()).decode()
    project = make_project(
        tmp_path, auth_registry.address,
        registry={"username": auth_registry.username},
    )
    env = {"SHIPYARD_REGISTRY_PASSWORD": password, "SHIPYARD_DEBUG": "1"}

    with ArgvWatcher(password) as watcher:
        results = [project.inv(phase, env=env)
                   for phase in ("ecr-login", "build", "push", "verify", "manifest")]
        results.append(project.inv("release", "--skip-preflight", env=env))

    for result in results:
        assert result.returncode == 0, result.stderr
        assert password not in result.stdout
        assert password not in result.stderr
        assert encoded not in result.stdout
        assert encoded not in result.stderr
    assert watcher.samples > 10
    assert watcher.hits == []
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "auth-registry" not in p.parts]
    docker_config = tmp_path / ".shipyard" / "docker-config" / "config.json"
    assert project.manifest_path in written
    assert docker_config in written
    for path in written:
        text = path.read_bytes()
        assert password.encode() not in text, path
        if path != docker_config:
            assert encoded.encode() not in text, path
