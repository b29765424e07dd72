"""Helpers for preflight tests: Dockerfile checks and throwaway git repositories."""

import shutil
import subprocess
from pathlib import Path

from shipyard import config
from shipyard.preflight import dockerfile_check
from shipyard.preflight.findings import RULES

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_APP = REPO_ROOT / "examples" / "finansecure"
DIGEST = "sha256:" + "0123456789abcdef" * 4

# Fake secrets assembled at run time, so this file holds no literal one.
FAKE_AWS_KEY_ID = "AKIA" + "FAKEEXAMPLE00000"
FAKE_PRIVATE_KEY_HEADER = "-----BEGIN " + "RSA PRIVATE KEY-----"
FAKE_GITHUB_TOKEN = "ghp" + "_" + "FAKEfakeFAKEfake0123456789abcdefABCD"


def dockerfile_findings(text, *, build_args=None, require_digest=False, rules=None):
    """Return (rule, line) pairs for Dockerfile `text`."""
    found = dockerfile_check.check(
        "Dockerfile",
        text,
        build_args=build_args or {},
        platform="linux/amd64",
        require_digest=require_digest,
        rules=set(rules or RULES),
    )
    return [(item.rule, item.line) for item in found], found


def git(repo, *args):
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
    )


def make_repo(path, files=None, *, example=True):
    """Create a git repository at `path`, commit `files` (and the example app)."""
    path.mkdir(parents=True, exist_ok=True)
    if example:
        shutil.copytree(EXAMPLE_APP, path / "examples" / "finansecure")
    for name, text in (files or {}).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@example.test",
        "commit", "-q", "-m", "initial")  # fmt: skip
    return path


def example_settings(root, **preflight):
    """Return settings for the example app under `root`, as invoke.yaml sets them."""
    mapping = {
        "app_dir": "examples/finansecure",
        "project": "finansecure",
        "services": [
            {
                "name": "auth",
                "context": "FinanSecure.Auth",
                "repository": "finansecure/auth",
            },
            {
                "name": "frontend",
                "context": "finansecure-web",
                "dockerfile": "Dockerfile.prod",
                "repository": "finansecure/frontend",
            },
            {
                "name": "website",
                "context": "website",
                "repository": "finansecure/website",
            },
        ],
        "preflight": preflight,
    }
    return config.load(mapping, root=root, environ={})
