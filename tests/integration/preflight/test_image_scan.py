"""Scanning built images with the real Docker engine (busybox base)."""

import subprocess
import uuid

import pytest

from shipyard.preflight.image_scan import Limits, scan_image
from tests.unit.preflight.helpers import FAKE_AWS_KEY_ID, FAKE_PRIVATE_KEY_HEADER

pytestmark = pytest.mark.integration


@pytest.fixture
def build_image(tmp_path, docker_engine):
    built = []

    def build(files, dockerfile):
        context = tmp_path / f"context-{len(built)}"
        for name, text in {**files, "Dockerfile": dockerfile}.items():
            target = context / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        tag = f"shipyard-preflight-test:{uuid.uuid4().hex[:12]}"
        subprocess.run(
            ["docker", "build", "-q", "-t", tag, str(context)],
            check=True, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        built.append(tag)
        return tag

    yield build
    for tag in built:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60)


def messages(found):
    return sorted(item.message for item in found)


def test_clean_image_passes(build_image):
    tag = build_image({"site/index.html": "<p>hello</p>\n"},
                      "FROM busybox:1.36.1\nCOPY site /srv/www\n")  # fmt: skip
    assert scan_image(tag) == []


def test_secret_files_in_layers_fail(build_image):
    files = {
        "app/.env": "A=1\n",
        "app/.env.example": "A=change-me\n",
        "app/keys/deploy.pem": FAKE_PRIVATE_KEY_HEADER + "\nAAAA\n",
        "app/.aws/credentials": "[default]\n",
        "app/.git/config": "[core]\n",
        "app/.npmrc": "//registry.npmjs.org/:_authToken=FakeNpmToken123\n",
        "app/.pypirc": "[pypi]\nusername = __token__\npassword = FakePypi1\n",
    }
    tag = build_image(files, "FROM busybox:1.36.1\nCOPY app /app\n")
    found = messages(scan_image(tag))
    assert "env file: /app/.env" in found
    assert "private key: /app/keys/deploy.pem" in found
    assert "AWS credentials file: /app/.aws/credentials" in found
    assert ".git folder: /app/.git/config" in found
    assert ".npmrc with a credential: /app/.npmrc" in found
    assert ".pypirc with a credential: /app/.pypirc" in found
    assert not any(".env.example" in message for message in found)


def test_file_deleted_in_later_layer_still_fails(build_image):
    tag = build_image(
        {"app/.env": "A=1\n"},
        "FROM busybox:1.36.1\nCOPY app /app\nRUN rm /app/.env\n",
    )
    assert "env file: /app/.env" in messages(scan_image(tag))


def test_detect_secrets_runs_over_added_text_files(build_image):
    files = {"app/settings.py": f"KEY_ID = '{FAKE_AWS_KEY_ID}'\n"}
    tag = build_image(files, "FROM busybox:1.36.1\nCOPY app /app\n")
    found = scan_image(tag)
    assert [item.rule for item in found] == ["image-secret"]
    assert "AWS Access Key" in found[0].message
    assert "/app/settings.py" in found[0].message
    assert FAKE_AWS_KEY_ID not in found[0].message


def test_limit_is_reported(build_image):
    files = {f"app/f{index}.txt": "hello\n" for index in range(3)}
    tag = build_image(files, "FROM busybox:1.36.1\nCOPY app /app\n")
    found = scan_image(tag, Limits(max_files=1))
    assert [item.severity for item in found] == ["warning"]
    assert "max_files of 1" in found[0].message


def test_missing_image_is_an_error(docker_engine):
    from shipyard.errors import DockerUnavailable

    with pytest.raises(DockerUnavailable, match="docker save"):
        scan_image("shipyard-preflight-test:does-not-exist")
