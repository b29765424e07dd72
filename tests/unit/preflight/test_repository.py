"""Preflight over whole git repositories: env files, compose, detect-secrets."""

import json

import pytest

from shipyard.errors import UsageError
from shipyard.preflight import run, write_baseline
from tests.unit.preflight.helpers import (
    FAKE_AWS_KEY_ID,
    example_settings,
    git,
    make_repo,
)

OFFLINE = ("compose-invalid", "aws-credentials")
APP = "examples/finansecure"


def pairs(report):
    return sorted((item.rule, item.file, item.line) for item in report.findings)


def check(tmp_path, files, **preflight):
    repo = make_repo(tmp_path / "repo", files)
    return run(example_settings(repo, **preflight), skip=OFFLINE)


def test_example_app_passes(tmp_path):
    report = check(tmp_path, {})
    assert report.findings == []
    assert report.warnings == []


def test_env_templates_pass(tmp_path):
    files = {
        ".env.example": "OPENAI_API_KEY=sk-your-key-here\n",
        "jobs/.env.cron-backfill.example": "DB_PASSWORD=change-me\n",
        "app.env.sample": "A=1\n",
        "config/.env.template.dist": "A=1\n",
    }
    assert check(tmp_path, files).findings == []


@pytest.mark.parametrize(
    "name",
    [
        ".env",
        ".env.production",
        "prod.env",
        ".envrc",
        ".env.bak.2024-01-01",
        "a/b/.env",
    ],
)
def test_tracked_env_file_fails(tmp_path, name):
    report = check(tmp_path, {name: "A=1\n"})
    assert pairs(report) == [("env-file-tracked", name, 0)]


def test_ignored_but_tracked_env_file_fails(tmp_path):
    repo = make_repo(tmp_path / "repo", {".env": "A=1\n"})
    (repo / ".gitignore").write_text(".env\n")
    git(repo, "add", ".gitignore")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.test",
        "commit", "-q", "-m", "ignore")  # fmt: skip
    report = run(example_settings(repo), skip=OFFLINE)
    assert pairs(report) == [("env-file-tracked", ".env", 0)]


def test_untracked_env_file_passes(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (repo / ".env").write_text("DB_PASSWORD=FakeLocal123\n")
    assert run(example_settings(repo), skip=OFFLINE).findings == []


def test_env_allowlist_accepts_a_path(tmp_path):
    files = {"deploy/ci.env": "A=1\n", "other/.env": "A=1\n"}
    report = check(tmp_path, files, env_allowlist=["deploy/*.env"])
    assert pairs(report) == [("env-file-tracked", "other/.env", 0)]


def test_secrets_in_a_template_fail(tmp_path):
    text = f"AWS_ACCESS_KEY_ID={FAKE_AWS_KEY_ID}\nAWS_SECRET_ACCESS_KEY={'fake' * 10}\n"
    report = check(tmp_path, {".env.example": text})
    assert pairs(report) == [
        ("secret-in-env-file", ".env.example", 1),
        ("secret-in-env-file", ".env.example", 2),
    ]


def test_aws_keys_in_tracked_ini_fail_whether_or_not_valid(tmp_path):
    text = f"AWS_ACCESS_KEY_ID={FAKE_AWS_KEY_ID}\nAWS_SECRET_ACCESS_KEY={'fake' * 10}\n"
    report = check(tmp_path, {"config/aws.ini": text})
    rules = {(rule, line) for rule, _, line in pairs(report)}
    assert ("detect-secrets", 1) in rules
    assert ("detect-secrets", 2) in rules


def test_unquoted_secret_in_extensionless_files_fails(tmp_path):
    files = {
        f"{APP}/website/Dockerfile": "FROM busybox:1.36.1\nENV DB_PASSWORD=Zq8vFAKE2NwX\n",
        ".env.production": "DB_PASSWORD=Zq8vFAKE2NwX\n",
    }
    report = check(tmp_path, files)
    assert ("secret-in-dockerfile", f"{APP}/website/Dockerfile", 2) in pairs(report)
    assert ("secret-in-env-file", ".env.production", 1) in pairs(report)


def test_one_finding_per_secret_line(tmp_path):
    dockerfile = 'FROM busybox:1.36.1\nENV DB_PASSWORD2="Zq8vFAKE2NwX"\n'
    report = check(tmp_path, {f"{APP}/website/Dockerfile": dockerfile})
    assert pairs(report) == [("secret-in-dockerfile", f"{APP}/website/Dockerfile", 2)]


COMPOSE = """services:
  db:
    image: postgres:16.4
    environment:
      - MONGO_INITDB_ROOT_PASSWORD_FILE=/run/secrets/db_password
      - AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}
      - POSTGRES_PASSWORD=FakeCompose1
  web:
    image: busybox:1.36.1
    environment:
      DATABASE_URL: mysql://u:FakePw2x@db/app
      API_TOKEN: ${API_TOKEN:-FakeDefault9}
      WORKERS: "4"
"""


def test_compose_environment_values_are_judged(tmp_path):
    report = check(tmp_path, {f"{APP}/compose.yml": COMPOSE})
    lines = [line for rule, _, line in pairs(report) if rule == "secret-in-compose"]
    assert lines == [7, 11, 12]


def test_compose_references_pass(tmp_path):
    text = COMPOSE.split("      - POSTGRES_PASSWORD")[0]
    assert check(tmp_path, {f"{APP}/compose.yml": text}).findings == []


def test_seeded_base_image_mistake_fails(tmp_path):
    files = {f"{APP}/website/Dockerfile": "FROM busybox\nUSER nobody\n"}
    report = check(tmp_path, files)
    assert pairs(report) == [("base-image-unpinned", f"{APP}/website/Dockerfile", 1)]


def test_service_build_args_resolve_from(tmp_path):
    files = {f"{APP}/website/Dockerfile": "ARG BASE\nFROM ${BASE}\n"}
    repo = make_repo(tmp_path / "repo", files)
    settings = example_settings(repo, build_args={"BASE": "busybox:1.36.1"})
    assert run(settings, skip=OFFLINE).findings == []
    report = run(settings, skip=OFFLINE, build_args={"BASE": "busybox"})
    assert [item.rule for item in report.findings] == ["base-image-unpinned"]


def test_require_digest_from_config(tmp_path):
    report = check(tmp_path, {}, require_digest=True)
    rules = {item.rule for item in report.findings}
    assert rules == {"base-image-no-digest"}
    assert len(report.findings) == 4


def test_missing_dockerignore_is_a_warning(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (repo / APP / "website" / ".dockerignore").unlink()
    git(repo, "add", "-A")
    report = run(example_settings(repo), skip=OFFLINE)
    assert report.failed is False
    assert [item.rule for item in report.warnings] == ["dockerignore-missing"]


def test_dockerignore_without_git_is_a_warning(tmp_path):
    files = {f"{APP}/website/.dockerignore": ".env\n.env.*\n"}
    report = check(tmp_path, files)
    assert [item.rule for item in report.warnings] == ["dockerignore-missing"]
    assert ".git" in report.warnings[0].message


def test_only_and_skip_select_rules(tmp_path):
    repo = make_repo(tmp_path / "repo", {".env": "DB_PASSWORD=FakeValue12\n"})
    settings = example_settings(repo)
    only = run(settings, only=["env-file-tracked"])
    assert {item.rule for item in only.findings} == {"env-file-tracked"}
    skipped = run(
        settings, skip=["env-file-tracked,compose-invalid", "aws-credentials"]
    )
    assert {item.rule for item in skipped.findings} == {"secret-in-env-file"}


def test_unknown_rule_is_a_usage_error(tmp_path):
    repo = make_repo(tmp_path / "repo")
    with pytest.raises(UsageError, match="no-such-rule"):
        run(example_settings(repo), only=["no-such-rule"])


def test_config_skip_applies(tmp_path):
    repo = make_repo(tmp_path / "repo", {".env": "A=1\n"})
    settings = example_settings(repo, skip=["env-file-tracked", *OFFLINE])
    assert run(settings).findings == []


def test_baseline_suppresses_audited_secret(tmp_path):
    files = {
        "src/settings.py": "API_KEY = 'Zq8vFAKE2NwXyz'\n",
        f"{APP}/website/Dockerfile": "FROM busybox:1.36.1\nENV DB_PASSWORD=Zq8vFAKE2NwX\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    settings = example_settings(repo)
    assert {item.rule for item in run(settings, skip=OFFLINE).findings} == {
        "detect-secrets",
        "secret-in-dockerfile",
    }
    assert write_baseline(settings) == 2
    baseline = json.loads((repo / ".secrets.baseline").read_text())
    assert "Zq8vFAKE2NwX" not in json.dumps(baseline)
    assert run(settings, skip=OFFLINE).findings == []


def test_baseline_entry_marked_secret_still_fails(tmp_path):
    repo = make_repo(
        tmp_path / "repo", {"src/settings.py": "API_KEY = 'Zq8vFAKE2NwXyz'\n"}
    )
    settings = example_settings(repo)
    write_baseline(settings)
    path = repo / ".secrets.baseline"
    baseline = json.loads(path.read_text())
    for entries in baseline["results"].values():
        for entry in entries:
            entry["is_secret"] = True
    path.write_text(json.dumps(baseline))
    assert [item.rule for item in run(settings, skip=OFFLINE).findings] == [
        "detect-secrets"
    ]


def test_not_a_git_repository_is_a_config_error(tmp_path):
    from shipyard.errors import ConfigError

    repo = make_repo(tmp_path / "repo")
    settings = example_settings(repo)
    (repo / ".git").rename(repo / "git-moved")
    with pytest.raises(ConfigError, match="not inside a git repository"):
        run(settings)
