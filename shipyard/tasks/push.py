"""Task `push`: the built images under every release tag."""

from invoke import task

from shipyard.tasks._common import announce, settings, task_errors


@task
@task_errors
def push(c):
    """Push every image built by `inv build` under all its tags."""
    from shipyard import pipeline

    announce(pipeline.timed(pipeline.push, settings(c)))
