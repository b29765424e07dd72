"""Bad command-line arguments: a non-zero exit and one line naming the value.

Arguments that shipyard checks give an `error:` line and exit 2. Arguments
that Invoke's parser rejects (unknown options and tasks, a flag without its
value) give Invoke's own one-line message, which has no `error:` prefix.
"""

import json

import pytest

from tests.support.manifests import sample_manifest
from tests.support.outcome import assert_clean_failure
from tests.support.project import make_project

HOSTS = {"primary": {"address": "127.0.0.1", "port": 1, "compose_dir": "/srv/app",
                     "connect_timeout": 2}}

# (case id, arguments, text the error line must contain)
SHIPYARD_CASES = [
    ("deploy-wait-lock-negative", ["deploy", "--wait-lock", "-5"],
     ["--wait-lock", "-5"]),
    ("rollback-wait-lock-negative", ["rollback", "--wait-lock", "-1"],
     ["--wait-lock", "-1"]),
    ("preflight-format", ["preflight", "--format", "xml"], ["--format", "'xml'"]),
    ("preflight-only-rule", ["preflight", "--only", "no-such-rule"],
     ["'no-such-rule'"]),
    ("preflight-skip-rule", ["preflight", "--skip", "no-such-rule"],
     ["'no-such-rule'"]),
    ("deploy-unknown-host", ["deploy", "--host", "nosuch"], ["'nosuch'"]),
    ("rollback-unknown-host", ["rollback", "--host", "nosuch"], ["'nosuch'"]),
    ("releases-unknown-host", ["releases", "--host", "nosuch"], ["'nosuch'"]),
    ("lock-unknown-host", ["lock", "--host", "nosuch"], ["'nosuch'"]),
]

# Invoke's parser: its message names the value but has no `error:` prefix.
INVOKE_CASES = [
    ("release-unknown-option", ["release", "--bogus"], "'--bogus'"),
    ("build-flag-with-value", ["build", "--no-cache=maybe"], "'maybe'"),
    ("unknown-task", ["nosuchtask"], "'nosuchtask'"),
    ("manifest-output-without-value", ["manifest", "--output"], "output"),
    ("deploy-host-without-value", ["deploy", "--host"], "host"),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("bad-arguments"), "127.0.0.1:1",
                           hosts=HOSTS)
    project.manifest_path.write_text(json.dumps(sample_manifest()))
    return project


@pytest.mark.parametrize("arguments, needles", [c[1:] for c in SHIPYARD_CASES],
                         ids=[c[0] for c in SHIPYARD_CASES])
def test_bad_argument_rejected(project, arguments, needles):
    result = project.inv(*arguments)

    line = assert_clean_failure(result, *needles)
    assert result.returncode == 2
    assert "cannot connect" not in line


@pytest.mark.parametrize("arguments, needle", [c[1:] for c in INVOKE_CASES],
                         ids=[c[0] for c in INVOKE_CASES])
def test_bad_argument_rejected_by_invoke(project, arguments, needle):
    result = project.inv(*arguments)

    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]


def test_wait_lock_letters_rejected(project):
    result = project.inv("deploy", "--wait-lock", "abc")

    assert_clean_failure(result, "'abc'", "--wait-lock", "an integer")
    assert result.returncode == 2
