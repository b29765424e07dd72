"""Compose validation with the real `docker compose config`."""

import pytest

from shipyard.preflight import run
from tests.unit.preflight.helpers import example_settings, make_repo

pytestmark = pytest.mark.integration

APP = "examples/finansecure"
VALID = """services:
  web:
    image: busybox:1.36.1
    env_file: .env
    environment:
      - GREETING=${GREETING:-hello}
"""


def compose_findings(tmp_path, text, docker_engine):
    repo = make_repo(tmp_path / "repo", {f"{APP}/compose.yml": text})
    report = run(example_settings(repo), only=["compose-invalid"])
    return [(item.rule, item.file) for item in report.findings]


def test_file_needing_untracked_env_validates(tmp_path, docker_engine):
    assert compose_findings(tmp_path, VALID, docker_engine) == []


def test_invalid_port_fails(tmp_path, docker_engine):
    text = "services:\n  web:\n    image: busybox:1.36.1\n    ports: [bad]\n"
    found = compose_findings(tmp_path, text, docker_engine)
    assert found == [("compose-invalid", f"{APP}/compose.yml")]


def test_undefined_dependency_fails(tmp_path, docker_engine):
    text = "services:\n  web:\n    image: busybox:1.36.1\n    depends_on: [db]\n"
    found = compose_findings(tmp_path, text, docker_engine)
    assert found == [("compose-invalid", f"{APP}/compose.yml")]


def test_yaml_syntax_error_fails(tmp_path, docker_engine):
    text = "services:\n  web:\n    image: [unclosed\n"
    found = compose_findings(tmp_path, text, docker_engine)
    assert found == [("compose-invalid", f"{APP}/compose.yml")]


def test_example_app_passes_with_compose(tmp_path, docker_engine):
    repo = make_repo(tmp_path / "repo", {f"{APP}/compose.yml": VALID})
    report = run(example_settings(repo), skip=["aws-credentials"])
    assert report.findings == []


REQUIRED = """services:
  db:
    image: busybox:1.36.1
    environment:
      PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD in .env}
"""


def test_required_variable_filled_from_template(tmp_path, docker_engine):
    repo = make_repo(
        tmp_path / "repo",
        {f"{APP}/compose.yml": REQUIRED, f"{APP}/.env.example": "DB_PASSWORD=\n"},
    )

    report = run(example_settings(repo), only=["compose-invalid"])

    assert report.findings == []


def test_required_variable_without_template_fails(tmp_path, docker_engine):
    found = compose_findings(tmp_path, REQUIRED, docker_engine)

    assert found == [("compose-invalid", f"{APP}/compose.yml")]
