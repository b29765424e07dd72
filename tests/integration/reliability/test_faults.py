"""Faults during a release: what the user sees, what is left, and that a retry works.

Every test first makes a good release, so the manifest on disk belongs to
it. The fault hits the next release of a new commit. Afterwards the old
manifest must be unchanged, no later phase's state may exist, and running
the failed phase again must finish the release.
"""

import json
import time
import uuid

import pytest

from tests.support.outcome import assert_clean_failure, assert_no_partial_output
from tests.support.project import make_project
from tests.support.proxies import FailingProxy, UnixSocketRelay
from tests.support.registry import Registry

pytestmark = pytest.mark.integration


def released(tmp_path, address):
    """Return a project released once to `address`, with a second commit on top."""
    project = make_project(tmp_path, address)
    first = project.inv("release", "--skip-preflight")
    assert first.returncode == 0, first.stderr
    (project.app / "website" / "site" / "news.html").write_text("<p>news</p>\n")
    project.commit("add news page")
    return project


def state(project, name):
    return project.root / ".shipyard" / "state" / f"{name}.json"


def finish(project, *phases):
    for phase in phases:
        result = project.inv(phase)
        assert result.returncode == 0, f"{phase}: {result.stderr}"
    data = json.loads(project.manifest_path.read_text())
    assert data["commit_sha"] == project.git("rev-parse", "HEAD")


def test_registry_stopped_mid_push(tmp_path, docker_engine):
    registry = Registry(tmp_path / "registry").start()
    try:
        project = released(tmp_path / "project", registry.address)
        before = project.manifest_path.read_bytes()
        assert project.inv("build").returncode == 0
        uploads = tmp_path / "registry" / "data" / "docker" / "registry" / "v2"

        push = _start_inv(project, "push")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and push.poll() is None:
            if any(uploads.rglob("_uploads/*")):
                break
            time.sleep(0.01)
        registry.stop()
        stdout, stderr = push.communicate(timeout=300)
        result = _completed(push, stdout, stderr)

        line = assert_clean_failure(result, "push of service", registry.address)
        assert "inv ecr-login" in line
        assert project.manifest_path.read_bytes() == before
        assert not state(project, "push").exists()
        assert_no_partial_output(project.root)

        registry = Registry(tmp_path / "registry", port=registry.port).start()
        finish(project, "push", "verify", "manifest")
    finally:
        registry.stop()


def test_registry_500_on_manifest_put(tmp_path, registry):
    proxy = FailingProxy(
        registry.address,
        lambda method, path: method == "PUT" and "/manifests/" in path,
        max_failures=200,
    ).start()
    try:
        project = released(tmp_path / "project", registry.address)
        before = project.manifest_path.read_bytes()
        project.config["registry"]["address"] = proxy.address
        project.write_config()
        project.commit("release through the proxy")
        assert project.inv("build").returncode == 0

        result = project.inv("push")

        assert_clean_failure(result, "push of service", proxy.address)
        assert proxy.failures > 0
        assert project.manifest_path.read_bytes() == before
        assert not state(project, "push").exists()
        assert_no_partial_output(project.root)

        proxy.max_failures = proxy.failures
        finish(project, "push", "verify", "manifest")
    finally:
        proxy.stop()


def test_registry_500_during_verify(tmp_path, registry):
    proxy = FailingProxy(
        registry.address,
        lambda method, path: method == "GET" and "/manifests/" in path,
        max_failures=0,
    ).start()
    try:
        project = released(tmp_path / "project", registry.address)
        before = project.manifest_path.read_bytes()
        project.config["registry"]["address"] = proxy.address
        project.write_config()
        project.commit("release through the proxy")
        for phase in ("build", "push"):
            assert project.inv(phase).returncode == 0
        # A single 500 is retried; one that persists through every retry fails.
        proxy.max_failures = 1
        retried = project.inv("verify")
        proxy.max_failures = 100
        proxy.failures = 0

        result = project.inv("verify")

        assert retried.returncode == 0, retried.stderr
        line = assert_clean_failure(result, proxy.address, "HTTP 500")
        assert "manifests" in line
        assert project.manifest_path.read_bytes() == before
        assert not state(project, "verify").exists()
        assert state(project, "push").exists()

        proxy.max_failures = 0
        finish(project, "verify", "manifest")
        assert proxy.failures == 3
    finally:
        proxy.stop()


def test_docker_unreachable_mid_build(tmp_path, registry):
    project = released(tmp_path / "project", registry.address)
    before = project.manifest_path.read_bytes()
    dockerfile = project.app / "website" / "Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text()
        + f"RUN echo {uuid.uuid4().hex} && sleep 20\n"
    )
    project.commit("slow build step")
    relay = UnixSocketRelay(tmp_path / "docker.sock").start()
    env = {"DOCKER_HOST": f"unix://{relay.path}"}
    log = project.root / ".shipyard" / "logs" / "build-website.log"

    build = _start_inv(project, "build", env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and build.poll() is None:
        if log.exists() and "sleep 20" in log.read_text(errors="replace"):
            break
        time.sleep(0.05)
    time.sleep(1)
    relay.cut()
    stdout, stderr = build.communicate(timeout=300)
    result = _completed(build, stdout, stderr)

    # Depending on where the cut lands, the build step or the image scan after
    # it fails. Either way the line names the service.
    assert_clean_failure(result, "website")
    assert project.manifest_path.read_bytes() == before
    assert not state(project, "build").exists()
    assert_no_partial_output(project.root)

    finish(project, "build", "push", "verify", "manifest")


def _start_inv(project, *args, env=None):
    import os
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "invoke", *args],
        cwd=project.root,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _completed(child, stdout, stderr):
    import subprocess

    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
