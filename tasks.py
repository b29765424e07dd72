"""Invoke entry point: `inv --list` shows shipyard's tasks."""

from shipyard.tasks import namespace  # noqa: F401
