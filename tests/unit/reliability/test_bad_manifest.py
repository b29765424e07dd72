"""Bad manifests and compose files: `inv deploy` rejects each before any SSH.

The host in the config listens nowhere (port 1), so a manifest that passed
validation would fail with a connection error instead of naming the field.
"""

import json

import pytest

from tests.support.manifests import sample_manifest
from tests.support.outcome import assert_clean_failure
from tests.support.project import make_project

REGISTRY = "127.0.0.1:1"
REPOSITORY = f"{REGISTRY}/finansecure/auth"


def good_manifest():
    return sample_manifest(REGISTRY)


def changed(**top):
    data = good_manifest()
    data.update(top)
    return json.dumps(data)


def image_changed(**fields):
    data = good_manifest()
    data["images"]["auth"].update(fields)
    return json.dumps(data)


def image_without(field):
    data = good_manifest()
    del data["images"]["auth"][field]
    return json.dumps(data)


# (case id, file content as text or bytes, text the error line must contain)
CASES = [
    ("truncated-json", json.dumps(good_manifest())[:120], ["not valid JSON"]),
    ("empty-file", "", ["not valid JSON"]),
    ("binary", b"\xff\xfe\x00\x01garbage", ["not UTF-8"]),
    ("top-level-list", "[1, 2]", ["top level"]),
    ("schema-version-2", changed(schema_version=2), ["schema_version", "2"]),
    ("schema-version-string", changed(schema_version="1"), ["schema_version", "'1'"]),
    ("schema-version-missing", json.dumps(
        {k: v for k, v in good_manifest().items() if k != "schema_version"}),
     ["schema_version", "None"]),
    ("commit-short", changed(commit_sha="abc1234"), ["commit_sha"]),
    ("commit-uppercase", changed(commit_sha="A" * 40), ["commit_sha"]),
    ("release-id-invalid", changed(release_id="latest"), ["release_id", "'latest'"]),
    ("branch-number", changed(branch=7), ["branch"]),
    ("images-empty", changed(images={}), ["images"]),
    ("images-list", changed(images=["auth"]), ["images"]),
    ("image-not-object", changed(images={"auth": "x"}), ["images.auth"]),
    ("digest-md5", image_changed(digest="md5:abc"), ["images.auth.digest", "md5:abc"]),
    ("digest-short", image_changed(digest="sha256:abc"),
     ["images.auth.digest", "sha256:abc"]),
    ("reference-other-digest", image_changed(reference=f"{REPOSITORY}@sha256:{'0' * 64}"),
     ["images.auth.reference"]),
    ("reference-garbage", image_changed(reference="not a reference"),
     ["images.auth.reference", "not a reference"]),
    ("repository-missing", image_without("repository"), ["images.auth.repository"]),
    ("size-zero", image_changed(size_bytes=0), ["images.auth.size_bytes"]),
    ("size-bool", image_changed(size_bytes=True), ["images.auth.size_bytes"]),
    ("tags-string", image_changed(tags="main"), ["images.auth.tags"]),
]


COMPOSE = """\
services:
  auth:
    image: 127.0.0.1:1/finansecure/auth:latest
"""

# (case id, compose file text, text the error line must contain)
COMPOSE_CASES = [
    ("yaml-syntax", "services: [\n", ["docker-compose.yml", "invalid YAML"]),
    ("service-not-defined", "services:\n  web:\n    image: x\n",
     ["docker-compose.yml", "auth"]),
    ("services-missing", "version: '3'\n", ["docker-compose.yml"]),
    ("services-list", "services:\n  - auth\n", ["docker-compose.yml"]),
    ("top-level-list", "- services\n", ["docker-compose.yml"]),
    ("empty-file", "", ["docker-compose.yml"]),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = make_project(
        tmp_path_factory.mktemp("bad-manifest"),
        REGISTRY,
        hosts={"primary": {"address": "127.0.0.1", "port": 1,
                           "compose_dir": "/srv/app", "connect_timeout": 2}},
    )
    (project.root / "compose").mkdir()
    (project.root / "compose" / "docker-compose.yml").write_text(COMPOSE)
    return project


@pytest.fixture
def good_path(tmp_path):
    path = tmp_path / "image-manifest.json"
    path.write_text(json.dumps(good_manifest()))
    return path


@pytest.mark.parametrize("content, needles", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_manifest_rejected(project, tmp_path, content, needles):
    path = tmp_path / "image-manifest.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    before = path.read_bytes()

    result = project.inv("deploy", "--manifest", str(path))

    line = assert_clean_failure(result, *needles)
    assert "cannot connect" not in line
    assert path.read_bytes() == before


def test_manifest_folder_rejected(project, tmp_path):
    result = project.inv("deploy", "--manifest", str(tmp_path))

    assert_clean_failure(result, str(tmp_path), "Is a directory")


def test_manifest_missing_rejected(project, tmp_path):
    missing = tmp_path / "nowhere.json"

    result = project.inv("deploy", "--manifest", str(missing))

    assert_clean_failure(result, str(missing), "not found")


def test_good_manifest_reaches_host(project, good_path):
    """The control case: a valid manifest gets past validation to the SSH step."""
    result = project.inv("deploy", "--manifest", str(good_path))

    assert_clean_failure(result, "127.0.0.1:1")


@pytest.mark.parametrize("text, needles", [c[1:] for c in COMPOSE_CASES],
                         ids=[c[0] for c in COMPOSE_CASES])
def test_bad_compose_rejected(project, good_path, text, needles):
    compose = project.root / "compose" / "docker-compose.yml"
    compose.write_text(text)
    try:
        result = project.inv("deploy", "--manifest", str(good_path))
    finally:
        compose.write_text(COMPOSE)

    line = assert_clean_failure(result, *needles)
    assert "cannot connect" not in line
