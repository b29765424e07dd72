"""`inv release` against a real engine and a real local registry."""

import json

import pytest

from tests.support.project import make_project
from tests.support.registry import Registry
from tests.support.net import free_port
from shipyard.registry_api import RegistryClient

pytestmark = pytest.mark.integration

SERVICES = ("auth", "frontend", "website")


def assert_clean_failure(result):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    return error_lines[0]


def test_release_pushes_every_tag(tmp_path, registry):
    project = make_project(tmp_path, registry.address)

    result = project.inv("release")

    assert result.returncode == 0, result.stderr
    assert "==> preflight" in result.stdout
    assert "3 scanned for secrets" in result.stdout
    data = json.loads(project.manifest_path.read_text())
    assert data["schema_version"] == 1
    assert data["commit_sha"] == project.git("rev-parse", "HEAD")
    assert data["branch"] == "main"
    assert sorted(data["images"]) == list(SERVICES)
    client = RegistryClient(registry.address)
    for name, image in data["images"].items():
        assert len(image["tags"]) == 3
        assert image["tags"][0] == data["commit_sha"][:7]
        assert image["tags"][1] == "main"
        assert image["reference"] == f"{image['repository']}@{image['digest']}"
        for tag in image["tags"]:
            found = client.manifest(f"finansecure/{name}", tag)
            assert found is not None, f"{name}:{tag} missing"
            assert found[0] == image["digest"]
        assert image["size_bytes"] > 0
    assert "Release summary" in result.stdout


def test_second_release_reuses_layer_cache(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    first = project.inv("release", "--skip-preflight")
    assert first.returncode == 0, first.stderr

    second = project.inv("build")

    assert second.returncode == 0, second.stderr
    for name in SERVICES:
        log = (tmp_path / ".shipyard" / "logs" / f"build-{name}.log").read_text()
        run_steps = [line for line in log.splitlines() if "] RUN " in line]
        assert run_steps, name
        assert log.count("CACHED") >= len(run_steps), name


def test_images_carry_oci_labels(tmp_path, registry):
    import subprocess

    project = make_project(tmp_path, registry.address, source_url="https://git.example/fin")
    result = project.inv("build")
    assert result.returncode == 0, result.stderr
    commit = project.git("rev-parse", "HEAD")

    inspected = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}",
         f"{registry.address}/finansecure/auth:{commit[:7]}"],
        capture_output=True, text=True, check=True,
    )
    labels = json.loads(inspected.stdout)
    assert labels["org.opencontainers.image.revision"] == commit
    assert labels["org.opencontainers.image.source"] == "https://git.example/fin"
    committed = project.git("show", "-s", "--format=%cI", "HEAD")
    assert labels["org.opencontainers.image.created"].endswith("Z")
    assert labels["org.opencontainers.image.created"][:10] == committed[:10]


def test_broken_dockerfile_names_service(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    dockerfile = project.app / "finansecure-web" / "Dockerfile.prod"
    dockerfile.write_text(
        dockerfile.read_text().replace("echo \"ok\" > out/health", "exit 3")
    )
    project.commit("break the front end")

    result = project.inv("release", "--skip-preflight")

    line = assert_clean_failure(result)
    assert "frontend" in line
    assert "RUN" in line
    assert "auth" not in line
    assert not project.manifest_path.exists()
    assert (tmp_path / ".shipyard" / "logs" / "build-frontend.log").exists()


def test_registry_down_is_clear_error(tmp_path, docker_engine):
    address = f"127.0.0.1:{free_port()}"
    project = make_project(tmp_path, address)

    result = project.inv("release", "--skip-preflight")

    line = assert_clean_failure(result)
    assert address in line
    assert "not reachable" in line
    assert not project.manifest_path.exists()


def test_registry_stopped_before_push(tmp_path):
    stopped = Registry(tmp_path / "registry").start()
    project = make_project(tmp_path, stopped.address)
    assert project.inv("ecr-login").returncode == 0
    assert project.inv("build").returncode == 0
    stopped.stop()

    result = project.inv("push")

    line = assert_clean_failure(result)
    assert "push of service" in line
    assert not project.manifest_path.exists()


def test_docker_engine_missing(tmp_path, registry):
    project = make_project(tmp_path, registry.address)

    result = project.inv(
        "build", env={"DOCKER_HOST": f"unix://{tmp_path}/no-such-docker.sock"}
    )

    line = assert_clean_failure(result)
    assert "Docker engine" in line
    assert "not reachable" in line


def test_unknown_config_key(tmp_path, registry):
    project = make_project(tmp_path, registry.address, registry={"adress": "x"})

    result = project.inv("release", "--skip-preflight")

    line = assert_clean_failure(result)
    assert "shipyard.registry.adress" in line
    assert result.returncode == 2


def test_missing_service_context(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    project.config["services"][1]["context"] = "no-such-folder"
    project.write_config()

    result = project.inv("build")

    line = assert_clean_failure(result)
    assert "shipyard.services[1].context" in line
    assert "no-such-folder" in line


def test_dirty_tree_rejected(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    (project.app / "website" / "site" / "new.html").write_text("<p>draft</p>\n")

    refused = project.inv("build")
    allowed = project.inv("release", "--skip-preflight", "--allow-dirty")

    line = assert_clean_failure(refused)
    assert "uncommitted changes" in line
    assert "--allow-dirty" in line
    assert allowed.returncode == 0, allowed.stderr
    data = json.loads(project.manifest_path.read_text())
    assert data["dirty"] is True
    assert data["release_id"].endswith("-dirty")
    for image in data["images"].values():
        assert all(tag.endswith("-dirty") for tag in image["tags"])


def test_phases_run_as_separate_processes(tmp_path, registry):
    project = make_project(tmp_path, registry.address)

    early = project.inv("push")
    steps = [project.inv(name) for name in ("ecr-login", "build", "push", "verify", "manifest")]

    line = assert_clean_failure(early)
    assert "inv build" in line
    for step in steps:
        assert step.returncode == 0, step.stderr
    assert json.loads(project.manifest_path.read_text())["images"]


def test_manifest_needs_verify(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    assert project.inv("build").returncode == 0
    assert project.inv("push").returncode == 0

    result = project.inv("manifest")

    line = assert_clean_failure(result)
    assert "inv verify" in line
    assert not project.manifest_path.exists()


def test_size_limit_fails_verify(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    project.config["services"][2]["max_size_mb"] = 0.01
    project.write_config()

    result = project.inv("release", "--skip-preflight")

    line = assert_clean_failure(result)
    assert "website" in line
    assert "max_size_mb" in line
    assert not project.manifest_path.exists()


def test_detached_head_uses_ci_branch(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    project.git("checkout", "-q", "--detach")

    without = project.inv("build")
    with_ref = project.inv(
        "release", "--skip-preflight", env={"GITHUB_REF_NAME": "release/2026.12"}
    )

    line = assert_clean_failure(without)
    assert "GITHUB_REF_NAME" in line
    assert with_ref.returncode == 0, with_ref.stderr
    data = json.loads(project.manifest_path.read_text())
    assert data["branch"] == "release/2026.12"
    assert "release-2026.12" in data["images"]["auth"]["tags"]


def test_embedded_registry_started(tmp_path, docker_engine):
    import os
    import signal

    port = free_port()
    project = make_project(tmp_path, "", registry={
        "address": "", "start_local": True, "port": port,
        "data_dir": ".shipyard/registry",
    })
    pid_file = tmp_path / ".shipyard" / "registry" / "registry.pid"
    try:
        result = project.inv("release", "--skip-preflight")
        again = project.inv("ecr-login")
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)

    assert result.returncode == 0, result.stderr
    assert f"started the embedded registry at 127.0.0.1:{port}" in result.stderr
    assert "started the embedded registry" not in again.stderr
    data = json.loads(project.manifest_path.read_text())
    assert data["registry"]["address"] == f"127.0.0.1:{port}"
    assert (tmp_path / ".shipyard" / "registry" / "data" / "docker").is_dir()


def test_registry_with_basic_auth(tmp_path, auth_registry):
    project = make_project(tmp_path, auth_registry.address, registry={
        "address": auth_registry.address, "username": auth_registry.username,
    })
    secret = {"SHIPYARD_REGISTRY_PASSWORD": auth_registry.password}

    without_password = project.inv("ecr-login")
    result = project.inv("release", "--skip-preflight", env=secret)

    line = assert_clean_failure(without_password)
    assert "SHIPYARD_REGISTRY_PASSWORD" in line
    assert result.returncode == 0, result.stderr
    assert f"logged in to {auth_registry.address} as shipyard" in result.stdout
    for text in (result.stdout, result.stderr, without_password.stderr):
        assert auth_registry.password not in text
    for log in (tmp_path / ".shipyard").rglob("*.log"):
        assert auth_registry.password not in log.read_text(errors="replace")


def test_push_without_login_rejected(tmp_path, auth_registry):
    project = make_project(tmp_path, auth_registry.address, registry={
        "address": auth_registry.address,
    })

    result = project.inv("release", "--skip-preflight")

    line = assert_clean_failure(result)
    assert auth_registry.address in line
    assert not project.manifest_path.exists()


def test_build_progress_on_terminal(tmp_path, registry):
    import os
    import pty
    import subprocess
    import sys

    project = make_project(tmp_path, registry.address)
    leader, follower = pty.openpty()
    env = {**os.environ, "CI": "", "TERM": "xterm"}
    child = subprocess.Popen(
        [sys.executable, "-m", "invoke", "build"], cwd=tmp_path, env=env,
        stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    child.wait(timeout=300)
    os.close(leader)
    screen = b"".join(chunks).decode(errors="replace")

    assert child.returncode == 0, screen
    assert "\x1b[" in screen
    assert "built" in screen
    assert "build started" not in screen


def test_preflight_failure_stops_release(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    (project.app / ".env").write_text("POSTGRES_PASSWORD=Xy7FAKEq9\n")
    project.git("add", "-f", "app/.env")
    project.commit("track an env file")

    result = project.inv("release")

    line = assert_clean_failure(result)
    assert line.startswith("error: preflight:")
    assert "env-file-tracked" in result.stdout
    assert "==> build" not in result.stdout
    assert "Xy7FAKEq9" not in result.stdout + result.stderr
    assert not project.manifest_path.exists()


def test_secret_in_image_stops_release(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    context = project.app / "website"
    (context / "site" / "deploy_key").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nFAKEKEYMATERIAL\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )
    project.config["preflight"] = {"skip": ["detect-secrets"]}
    project.write_config()
    project.commit("ship a key by mistake")

    result = project.inv("release", "--skip-preflight")

    line = assert_clean_failure(result)
    assert "image scan found" in line
    assert "deploy_key" in result.stdout
    assert "==> push" not in result.stdout
    assert not project.manifest_path.exists()


def test_rebuilt_commit_keeps_digest_and_scan(tmp_path, registry):
    project = make_project(tmp_path, registry.address)
    first = project.inv("release", "--skip-preflight")
    first_images = json.loads(project.manifest_path.read_text())["images"]

    second = project.inv("release", "--skip-preflight")
    second_images = json.loads(project.manifest_path.read_text())["images"]

    assert first.returncode == 0, first.stderr
    assert "3 scanned for secrets" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "0 scanned for secrets, 3 unchanged since a clean scan" in second.stdout
    for name, image in first_images.items():
        assert second_images[name]["digest"] == image["digest"], name
