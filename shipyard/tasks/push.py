"""Task `push`: the built images under every release tag."""

from invoke import task

from shipyard import pipeline
from shipyard.tasks._common import announce, settings, task_errors


@task
@task_errors
def push(c):
    """Push every image built by `inv build` under all its tags."""
    announce(pipeline.timed(pipeline.push, settings(c)))
