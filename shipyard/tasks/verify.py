"""Task `verify`: the registry has what the push reported."""

import dataclasses

from invoke import task

from shipyard.tasks._common import announce, settings, task_errors


@task(
    help={
        "fail-on": "ECR scan gate: fail on findings of this severity or above "
        "(CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, or NONE to skip the gate; "
        "default: shipyard.verify.fail_on)",
    }
)
@task_errors
def verify(c, fail_on=None):
    """Check that the registry has every image under every tag, with one digest.

    Also checks the compressed size is above zero and within the service's
    max_size_mb, and, for ECR, that DescribeImages agrees and that the scan
    on push found nothing at or above the --fail-on severity. The scan wait
    is bounded by shipyard.verify.scan_timeout, polled every
    shipyard.verify.scan_poll_interval seconds.
    """
    from shipyard import config, pipeline

    current = settings(c)
    if fail_on is not None:
        threshold = config.check_fail_on(fail_on, key="--fail-on")
        current = dataclasses.replace(
            current, verify={**current.verify, "fail_on": threshold}
        )
    announce(pipeline.timed(pipeline.verify, current))
