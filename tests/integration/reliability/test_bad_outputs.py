"""Broken Dockerfiles, unwritable output folders and a full disk, run through `inv`.

One project is released once for the module; each case changes one thing,
runs a phase, and puts the project back.
"""

import subprocess

import pytest

from tests.support.net import free_port
from tests.support.outcome import assert_clean_failure, assert_no_partial_output
from tests.support.project import make_project

pytestmark = pytest.mark.integration

# (case id, Dockerfile text for the website service, text the error line must contain)
DOCKERFILES = [
    ("unknown-instruction", "FROMM busybox:1.36.1\n", ["website", "FROMM"]),
    ("empty", "", ["website"]),
    ("copy-missing-file", "FROM busybox:1.36.1\nCOPY no-such-file /x\n",
     ["website", "no-such-file"]),
    ("run-fails", "FROM busybox:1.36.1\nRUN exit 7\n", ["website", "RUN exit 7"]),
    ("blank-base", "ARG BASE\nFROM $BASE\n", ["website"]),
    ("base-not-found", f"FROM 127.0.0.1:{free_port()}/no/such-image:1\n",
     ["website", "no/such-image"]),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory, docker_engine):
    from tests.support.registry import Registry

    folder = tmp_path_factory.mktemp("bad-outputs")
    registry = Registry(folder / "registry").start()
    project = make_project(folder / "project", registry.address)
    result = project.inv("release", "--skip-preflight")
    assert result.returncode == 0, result.stderr
    yield project
    registry.stop()


@pytest.mark.parametrize("text, needles", [c[1:] for c in DOCKERFILES],
                         ids=[c[0] for c in DOCKERFILES])
def test_broken_dockerfile_rejected(project, text, needles):
    dockerfile = project.app / "website" / "Dockerfile"
    original = dockerfile.read_text()
    before = project.manifest_path.read_bytes()
    dockerfile.write_text(text)
    try:
        result = project.inv("build", "--allow-dirty")
    finally:
        dockerfile.write_text(original)

    assert_clean_failure(result, *needles)
    assert project.manifest_path.read_bytes() == before
    assert not (project.root / ".shipyard" / "state" / "build.json").exists()
    assert_no_partial_output(project.root)


def test_output_dir_below_file(project, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file\n")

    result = project.inv("build", env={"INVOKE_SHIPYARD_OUTPUT_DIR": str(blocker / "out")})

    assert_clean_failure(result, str(blocker / "out"))
    assert blocker.read_text() == "a regular file\n"


def test_manifest_below_file(project, tmp_path):
    _verified(project)
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file\n")
    target = blocker / "image-manifest.json"

    result = project.inv("manifest", "--output", str(target))

    assert_clean_failure(result, str(target))
    assert blocker.read_text() == "a regular file\n"


def test_manifest_on_read_only_mount(project, tmp_path):
    _verified(project)
    folder = tmp_path / "read-only"
    folder.mkdir()
    _mount(["--bind", str(folder), str(folder)])
    try:
        _mount(["-o", "remount,bind,ro", str(folder)])
        result = project.inv("manifest", "--output", str(folder / "m.json"))
        listed = list(folder.iterdir())
    finally:
        subprocess.run(["umount", str(folder)], check=True)

    assert_clean_failure(result, str(folder / "m.json"), "Read-only")
    assert listed == []


def test_manifest_on_full_disk(project, tmp_path):
    _verified(project)
    folder = _full_tmpfs(tmp_path)
    try:
        result = project.inv("manifest", "--output", str(folder / "m.json"))
        listed = sorted(p.name for p in folder.iterdir())
    finally:
        subprocess.run(["umount", str(folder)], check=True)

    assert_clean_failure(result, str(folder / "m.json"), "No space left")
    assert listed == ["filler"]


def test_build_on_full_disk(project, tmp_path):
    folder = _full_tmpfs(tmp_path)
    try:
        result = project.inv(
            "build", env={"INVOKE_SHIPYARD_OUTPUT_DIR": str(folder / "out")}
        )
        leftover = [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()]
    finally:
        subprocess.run(["umount", str(folder)], check=True)

    assert_clean_failure(result, str(folder / "out"), "No space left")
    assert "filler" in leftover


def test_full_disk_leaves_no_empty_file(project, tmp_path):
    folder = _full_tmpfs(tmp_path)
    try:
        project.inv("build", env={"INVOKE_SHIPYARD_OUTPUT_DIR": str(folder / "out")})
        empty = [p for p in folder.rglob("*") if p.is_file() and p.stat().st_size == 0]
    finally:
        subprocess.run(["umount", str(folder)], check=True)

    assert empty == []


def _verified(project):
    """Make sure the verify state exists, so `inv manifest` has its input."""
    for phase in ("build", "push", "verify"):
        result = project.inv(phase)
        assert result.returncode == 0, result.stderr


def _mount(arguments):
    result = subprocess.run(["mount", *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"mount {' '.join(arguments)} failed: {result.stderr.strip()}")


def _full_tmpfs(tmp_path):
    """Mount a 64 KiB tmpfs under `tmp_path`, fill it, and return its path."""
    folder = tmp_path / "full"
    folder.mkdir()
    _mount(["-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)])
    with open(folder / "filler", "wb") as filler:
        try:
            filler.write(b"\0" * 128 * 1024)
            filler.flush()
        except OSError:
            pass
    return folder
