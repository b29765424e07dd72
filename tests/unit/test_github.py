"""Step summary markdown, workflow command escaping and the release comment."""

import pytest

from shipyard import github, process
from shipyard.errors import ConfigError
from shipyard.pipeline import PhaseResult
from shipyard.scan_gate import blocking_counts

DIGEST = "sha256:" + "cd" * 32


def verify_result():
    images = {
        "web": {
            "repository": "shop/web",
            "tags": ["abc1234", "main"],
            "digest": DIGEST,
            "size_bytes": 5 * 1024 * 1024,
            "scan": {"status": "COMPLETE", "counts": {"HIGH": 1}, "failed": False},
        }
    }
    return PhaseResult("verify", seconds=2.25, detail="1 images", data={"images": images})


def test_error_annotation_escapes_newlines():
    line = github.error_annotation("first 100%\nsecond\r")

    assert line == "::error::first 100%25%0Asecond%0D"


def test_error_annotation_masks_secret():
    process.register_secret("hunter2-secret-value")

    line = github.error_annotation("login failed for hunter2-secret-value")

    assert "hunter2-secret-value" not in line
    assert "***" in line


def test_phase_markdown_verify_row():
    text = github.phase_markdown(verify_result())

    assert text.startswith("### shipyard verify: 1 images (2.2 s)\n")
    row = f"| web | `abc1234`, `main` | `{DIGEST}` | 5.0 MiB | passed: HIGH 1 | 2.2 s |"
    assert row in text.splitlines()


def test_phase_markdown_escapes_pipe():
    result = PhaseResult("ecr-login", seconds=1.0, detail="a | b")

    assert github.phase_markdown(result) == "### shipyard ecr-login: a \\| b (1.0 s)\n\n"


def test_write_step_summary_appends(tmp_path):
    path = tmp_path / "summary.md"
    path.write_text("before\n")
    environ = {"GITHUB_STEP_SUMMARY": str(path)}

    github.write_step_summary(verify_result(), environ)
    github.write_step_summary(verify_result(), environ)

    text = path.read_text()
    assert text.startswith("before\n")
    assert text.count("### shipyard verify") == 2


def test_write_step_summary_unset_does_nothing(tmp_path):
    github.write_step_summary(verify_result(), {})

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("scan", "text"),
    [
        (None, "—"),
        ({"skipped": "fail_on is NONE"}, "not checked (fail_on is NONE)"),
        ({"counts": {}, "failed": False}, "passed: no findings"),
        ({"counts": {"CRITICAL": 2}, "failed": True}, "failed: CRITICAL 2"),
    ],
)
def test_scan_text(scan, text):
    assert github.scan_text(scan) == text


def test_release_comment_lists_references():
    data = {
        "release_id": "20261204-101500-abc1234",
        "branch": "main",
        "short_sha": "abc1234",
        "registry": {"address": "127.0.0.1:5000"},
        "images": {
            "web": {"reference": f"127.0.0.1:5000/shop/web@{DIGEST}", "tags": ["abc1234"],
                    "size_bytes": 1024 * 1024},
        },
    }

    body = github.release_comment(data)

    assert "`20261204-101500-abc1234`" in body
    assert f"| web | `127.0.0.1:5000/shop/web@{DIGEST}` | 1.0 MiB | `abc1234` |" in body


def test_api_settings_names_every_missing_variable():
    with pytest.raises(ConfigError) as raised:
        github.api_settings({"GITHUB_API_URL": "http://127.0.0.1:9"})

    assert str(raised.value).startswith("GITHUB_TOKEN, GITHUB_REPOSITORY not set")


def test_api_settings_rejects_bad_repository():
    environ = {"GITHUB_TOKEN": "t0ken-value", "GITHUB_API_URL": "http://127.0.0.1:9",
               "GITHUB_REPOSITORY": "no-slash"}

    with pytest.raises(ConfigError) as raised:
        github.api_settings(environ)

    assert "owner/name" in str(raised.value)


def test_blocking_counts_at_or_above():
    counts = {"CRITICAL": 1, "HIGH": 2, "LOW": 5, "UNDEFINED": 3}

    assert blocking_counts(counts, "HIGH") == {"CRITICAL": 1, "HIGH": 2}
    assert blocking_counts(counts, "INFORMATIONAL") == {"CRITICAL": 1, "HIGH": 2,
                                                        "LOW": 5}
    assert blocking_counts({"MEDIUM": 4}, "CRITICAL") == {}
