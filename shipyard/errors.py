"""Error types that stand for user mistakes and environment problems.

The task layer turns any `ShipyardError` into one line on stderr and a
non-zero exit. Anything else is a bug and keeps its traceback.
"""


class ShipyardError(Exception):
    """A failure the user can act on; `str()` is the whole message."""

    exit_code = 1


class ConfigError(ShipyardError):
    """Invalid or missing configuration."""

    exit_code = 2


class UsageError(ShipyardError):
    """Invalid command-line arguments."""

    exit_code = 2


class CommandError(ShipyardError):
    """An external command failed."""

    def __init__(self, message, command=None, returncode=None, stderr_tail=""):
        super().__init__(message)
        self.command = command
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class DockerUnavailable(ShipyardError):
    """The Docker engine cannot be reached."""


class RegistryError(ShipyardError):
    """The registry refused a request or cannot be reached."""


class BuildError(ShipyardError):
    """A service failed to build."""


class VerifyError(ShipyardError):
    """The registry does not hold what the release pushed."""


class StateError(ShipyardError):
    """An earlier phase's output is missing or stale."""


class PreflightFailed(ShipyardError):
    """Preflight found problems."""


class DeployError(ShipyardError):
    """A deploy or rollback failed."""
