"""`inv notify` against a loopback server standing in for the GitHub REST API."""

import json

from tests.support.project import make_project
from tests.support.recording_server import RecordingServer

TOKEN = "ghs_notifyTestToken0123456789abcdef"
SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32


def manifest_file(project):
    data = {
        "schema_version": 1,
        "release_id": "20261204-101500-0123456",
        "commit_sha": SHA,
        "short_sha": SHA[:7],
        "branch": "main",
        "dirty": False,
        "created_at": "2026-12-04T10:15:00Z",
        "registry": {"kind": "local", "address": "127.0.0.1:5000"},
        "images": {
            "auth": {
                "repository": "127.0.0.1:5000/finansecure/auth",
                "tags": ["0123456", "main", "20261204-101500"],
                "digest": DIGEST,
                "size_bytes": 3 * 1024 * 1024,
                "reference": f"127.0.0.1:5000/finansecure/auth@{DIGEST}",
            }
        },
    }
    path = project.root / "release-manifest.json"
    path.write_text(json.dumps(data))
    return path


def github_env(server):
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": server.url,
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_SHA": SHA,
    }


def test_notify_posts_commit_comment(tmp_path):
    project = make_project(tmp_path, "127.0.0.1:5000")
    path = manifest_file(project)

    with RecordingServer() as server:
        result = project.inv("notify", "--manifest", str(path), env=github_env(server))

    assert result.returncode == 0, result.stderr
    assert len(server.requests) == 1
    request = server.requests[0]
    assert request["method"] == "POST"
    assert request["path"] == f"/repos/acme/shop/commits/{SHA}/comments"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Accept"] == "application/vnd.github+json"
    body = json.loads(request["body"])
    assert list(body) == ["body"]
    assert "20261204-101500-0123456" in body["body"]
    assert f"127.0.0.1:5000/finansecure/auth@{DIGEST}" in body["body"]
    assert "3.0 MiB" in body["body"]
    assert TOKEN not in body["body"]


def test_notify_masks_token_before_output(tmp_path):
    project = make_project(tmp_path, "127.0.0.1:5000")
    path = manifest_file(project)

    with RecordingServer() as server:
        result = project.inv("notify", "--manifest", str(path), env=github_env(server))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"::add-mask::{TOKEN}"
    assert [line for line in lines if TOKEN in line] == [lines[0]]
    assert TOKEN not in result.stderr


def test_notify_missing_variables(tmp_path):
    project = make_project(tmp_path, "127.0.0.1:5000")
    path = manifest_file(project)

    result = project.inv("notify", "--manifest", str(path), env={"GITHUB_ACTIONS": "true"})

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY not set" in errors[0]
    assert "::error::GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY" in result.stdout
    assert "Traceback" not in result.stderr


def test_notify_reports_api_rejection(tmp_path):
    project = make_project(tmp_path, "127.0.0.1:5000")
    path = manifest_file(project)
    reply = {"message": "Resource not accessible by integration"}

    with RecordingServer(status=403, reply=reply) as server:
        result = project.inv("notify", "--manifest", str(path), env=github_env(server))

    assert result.returncode == 1
    assert "HTTP 403: Resource not accessible by integration" in result.stderr
    assert "contents" in result.stderr
    assert TOKEN not in result.stderr
    assert "Traceback" not in result.stderr


def test_notify_rejects_invalid_sha(tmp_path):
    project = make_project(tmp_path, "127.0.0.1:5000")
    path = manifest_file(project)

    with RecordingServer() as server:
        result = project.inv(
            "notify", "--manifest", str(path), "--sha", "../../admin",
            env=github_env(server),
        )

    assert result.returncode == 2
    assert "not a hexadecimal commit SHA" in result.stderr
    assert server.requests == []
