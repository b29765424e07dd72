"""Glue shared by the task modules: settings, error handling, logging."""

import functools
import json
import logging
import os
import sys

from invoke import Exit

from shipyard import config, github
from shipyard.errors import ShipyardError


def settings(c):
    """Return validated `Settings` from the Invoke context's config."""
    config.check_environment(os.environ)
    return config.load(c.config.get("shipyard", {}), root=os.getcwd())


def task_errors(body):
    """Turn a `ShipyardError` raised by `body` into one line and an exit code.

    Any other exception is a bug and keeps its traceback. With
    `SHIPYARD_DEBUG=1` a `ShipyardError` keeps its traceback too.
    """

    @functools.wraps(body)
    def wrapper(c, *args, **kwargs):
        _configure_logging()
        try:
            return body(c, *args, **kwargs)
        except ShipyardError as error:
            if github.in_actions():
                print(github.error_annotation(str(error)), flush=True)
            if os.environ.get("SHIPYARD_DEBUG") == "1":
                raise
            raise Exit(f"error: {error}", code=error.exit_code) from None
        except KeyboardInterrupt:
            raise Exit("error: interrupted", code=130) from None

    return wrapper


def _configure_logging():
    if logging.getLogger("shipyard").handlers:
        return
    level = logging.DEBUG if os.environ.get("SHIPYARD_DEBUG") == "1" else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("shipyard")
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def announce(result):
    """Print a phase's one-line result with its time.

    When GITHUB_STEP_SUMMARY is set (GitHub Actions sets it for each step),
    the result is also appended to that file as a markdown table.
    """
    print(f"{result.phase}: {result.detail} ({result.seconds:.1f} s)")
    github.write_step_summary(result)


def read_manifest(path):
    """Return the parsed manifest at `path`; raise `ShipyardError` when unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise ShipyardError(
            f"cannot read manifest {path}: {error}; run `inv manifest` first or "
            "pass the path of an existing image-manifest.json"
        ) from None
