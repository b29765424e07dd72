"""A throwaway copy of the example app as its own git repository, driven by `inv`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "finansecure"

SERVICES = [
    {"name": "auth", "context": "FinanSecure.Auth", "repository": "finansecure/auth",
     "max_size_mb": 50},
    {"name": "frontend", "context": "finansecure-web", "dockerfile": "Dockerfile.prod",
     "repository": "finansecure/frontend", "max_size_mb": 50},
    {"name": "website", "context": "website", "repository": "finansecure/website",
     "max_size_mb": 50},
]


class Project:
    def __init__(self, root, shipyard_config):
        self.root = Path(root)
        self.config = shipyard_config

    @property
    def app(self):
        return self.root / "app"

    @property
    def manifest_path(self):
        return self.root / "image-manifest.json"

    def write_config(self):
        (self.root / "invoke.yaml").write_text(
            yaml.safe_dump({"shipyard": self.config}, sort_keys=False)
        )

    def git(self, *args):
        return subprocess.run(
            ["git", "-C", str(self.root), *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def commit(self, message="change"):
        self.git("add", "-A")
        self.git("commit", "-qm", message)
        return self.git("rev-parse", "HEAD")

    def inv(self, *args, env=None, timeout=600):
        """Run `inv ARGS` in the project as a user would; return the CompletedProcess."""
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "invoke", *args],
            cwd=self.root,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )


def make_project(folder, registry_address, **overrides):
    """Copy the example app into `folder/app`, commit it, and return a `Project`."""
    folder = Path(folder)
    shutil.copytree(EXAMPLE, folder / "app")
    (folder / "tasks.py").write_text("from shipyard.tasks import namespace  # noqa\n")
    (folder / ".gitignore").write_text(".shipyard/\n/image-manifest.json\n")
    config = {
        "app_dir": "app",
        "project": "finansecure",
        "services": [dict(service) for service in SERVICES],
        "registry": {"address": registry_address, "start_local": False},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    project = Project(folder, config)
    project.write_config()
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    project.git("config", "user.email", "ci@shipyard.test")
    project.git("config", "user.name", "shipyard tests")
    project.commit("example app")
    return project
