"""Task `verify`: the registry holds what the push reported."""

from invoke import task

from shipyard.tasks._common import announce, settings, task_errors


@task
@task_errors
def verify(c):
    """Check the registry holds every image under every tag, with one digest.

    Also checks the compressed size is above zero and within the service's
    max_size_mb, and, for ECR, that DescribeImages agrees.
    """
    from shipyard import pipeline

    announce(pipeline.timed(pipeline.verify, settings(c)))
