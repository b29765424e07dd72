"""Rendering reports and the `inv preflight` task's exit codes."""

import io
import json
import os
import subprocess
import sys

from shipyard.preflight import Report, render
from shipyard.preflight.findings import WARNING, finding
from tests.unit.preflight.helpers import make_repo

INVOKE_YAML = """shipyard:
  app_dir: examples/finansecure
  project: finansecure
  services:
    - {name: auth, context: FinanSecure.Auth, repository: finansecure/auth}
    - {name: frontend, context: finansecure-web, dockerfile: Dockerfile.prod,
       repository: finansecure/frontend}
    - {name: website, context: website, repository: finansecure/website}
"""
TASKS_PY = "from shipyard.tasks import namespace  # noqa: F401\n"


def sample_report():
    report = Report(checks=["env-file-tracked"])
    report.add(
        [
            finding("env-file-tracked", ".env", 0, "env file .env is tracked by git"),
            finding("base-image-latest", "app/Dockerfile", 3, "uses latest"),
            finding(
                "dockerignore-missing",
                "app/.dockerignore",
                0,
                "missing",
                severity=WARNING,
            ),  # fmt: skip
        ]
    )
    return report


def test_text_groups_by_file():
    stream = io.StringIO()
    render(sample_report(), "text", stream)
    text = stream.getvalue()
    assert text.index(".env\n") < text.index("app/.dockerignore\n")
    assert "line 3: error [base-image-latest]" in text
    assert "\x1b[" not in text


def test_json_lists_findings_and_warnings():
    stream = io.StringIO()
    render(sample_report(), "json", stream)
    data = json.loads(stream.getvalue())
    assert data["failed"] is True
    assert [item["rule"] for item in data["findings"]] == [
        "env-file-tracked",
        "base-image-latest",
    ]
    assert data["warnings"][0]["severity"] == "warning"
    assert data["findings"][1]["hint"]


def test_github_annotations(monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    stream = io.StringIO()
    render(sample_report(), "text", stream)
    lines = stream.getvalue().splitlines()
    assert "::error file=app/Dockerfile,line=3,title=base-image-latest::" in "\n".join(
        lines
    )
    assert any(line.startswith("::warning file=app/.dockerignore,") for line in lines)


def invoke(repo, *args):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    inv = os.path.join(os.path.dirname(sys.executable), "inv")
    return subprocess.run(
        [inv, "preflight", *args], cwd=repo, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def task_repo(tmp_path, files=None):
    files = {"invoke.yaml": INVOKE_YAML, "tasks.py": TASKS_PY, **(files or {})}
    return make_repo(tmp_path / "repo", files)


def test_task_passes_on_example_app(tmp_path):
    result = invoke(task_repo(tmp_path), "--skip", "compose-invalid")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "preflight passed" in result.stdout


def test_task_exits_1_on_findings(tmp_path):
    repo = task_repo(tmp_path, {".env": "DB_PASSWORD=Zq8vFAKE2NwX\n"})
    result = invoke(repo, "--skip", "compose-invalid", "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert {item["rule"] for item in data["findings"]} == {
        "env-file-tracked",
        "secret-in-env-file",
    }
    assert "Zq8vFAKE2NwX" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_task_exits_2_on_unknown_rule(tmp_path):
    result = invoke(task_repo(tmp_path), "--only", "no-such-rule")
    assert result.returncode == 2
    assert "unknown rule id 'no-such-rule'" in result.stderr
    assert "Traceback" not in result.stderr


def test_task_exits_2_on_invalid_build_arg(tmp_path):
    result = invoke(task_repo(tmp_path), "--build-arg", "NOVALUE")
    assert result.returncode == 2
    assert "use NAME=VALUE" in result.stderr
