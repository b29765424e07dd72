"""The files preflight looks at: git's index, Dockerfiles, compose and env files."""

import fnmatch
import platform
import posixpath
from dataclasses import dataclass
from pathlib import Path

from shipyard import process
from shipyard.errors import CommandError, ConfigError
from shipyard.preflight.env_files import is_env_file

DOCKERFILE_PATTERNS = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile",
                       "Containerfile", "Containerfile.*")  # fmt: skip
COMPOSE_PATTERNS = ("compose*.yml", "compose*.yaml", "docker-compose*.yml",
                    "docker-compose*.yaml")  # fmt: skip
MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class Project:
    top: Path  # top folder of the git repository
    tracked: tuple  # POSIX paths relative to `top`, from git's index

    def relative(self, path):
        """Return `path` relative to the repository top, POSIX style."""
        try:
            return Path(path).resolve().relative_to(self.top).as_posix()
        except ValueError:
            return str(path)

    def text(self, relative):
        """Return the text of a tracked file, or None when it cannot be read."""
        try:
            return (self.top / relative).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None


def load(root):
    """Return the `Project` for the git repository containing `root`."""
    try:
        result = process.run(["git", "-C", root, "rev-parse", "--show-toplevel"],
                             timeout=30, what="git rev-parse")  # fmt: skip
    except CommandError:
        raise ConfigError(
            f"{root} is not inside a git repository; preflight checks what git tracks"
        ) from None
    top = Path(result.stdout.strip()).resolve()
    listing = process.run(["git", "-C", top, "ls-files", "-z"], timeout=60,
                          what="git ls-files")  # fmt: skip
    tracked = tuple(path for path in listing.stdout.split("\0") if path)
    return Project(top=top, tracked=tracked)


def _matches(path, patterns):
    name = posixpath.basename(path)
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def dockerfiles(project):
    """Return the tracked Dockerfiles."""
    return [path for path in project.tracked if _matches(path, DOCKERFILE_PATTERNS)]


def env_files(project):
    """Return the tracked env files, templates included."""
    return [path for path in project.tracked if is_env_file(path)]


def compose_files(project, settings):
    """Return compose files: `deploy.compose_file` plus tracked ones in the app dir.

    Each entry is (absolute path, path shown in findings).
    """
    files = {}
    configured = settings.root / settings.deploy["compose_file"]
    if configured.is_file():
        files[configured.resolve()] = project.relative(configured)
    app_dir = project.relative(settings.app_dir)
    for path in project.tracked:
        inside = app_dir in (".", "") or path.startswith(app_dir.rstrip("/") + "/")
        if inside and _matches(path, COMPOSE_PATTERNS):
            files[(project.top / path).resolve()] = path
    return list(files.items())


def host_platform(configured):
    """Return the build platform: the configured one or this machine's."""
    if configured:
        return configured
    machine = platform.machine().lower()
    return f"linux/{MACHINES.get(machine, machine)}"
