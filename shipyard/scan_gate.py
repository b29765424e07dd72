"""The ECR scan gate of `inv verify`: no image with findings at or above a severity.

ECR scans an image after the push when the repository has scan on push.
The gate polls DescribeImageScanFindings for the pushed digest until the
scan completes or `shipyard.verify.scan_timeout` runs out, then fails the
release when any finding is at or above `shipyard.verify.fail_on`.
"""

import logging
import time

from shipyard import ecr
from shipyard.config import SCAN_SEVERITIES
from shipyard.errors import VerifyError

log = logging.getLogger("shipyard.scan_gate")

# Statuses after which the findings will not change for this scan.
FINISHED = ("COMPLETE", "ACTIVE")
# Statuses that mean no findings will come: the gate cannot pass on them.
UNUSABLE = (
    "FAILED",
    "UNSUPPORTED_IMAGE",
    "FINDINGS_UNAVAILABLE",
    "SCAN_ELIGIBILITY_EXPIRED",
    "LIMIT_EXCEEDED",
    "IMAGE_ARCHIVED",
)


def check(settings, repository, digest, clock=time.monotonic, sleep=time.sleep):
    """Wait for the scan of `repository@digest` and apply the threshold.

    Returns the scan record for the verify state: status, severity counts,
    threshold. Raises `VerifyError` when findings reach the threshold, the
    scan is unusable, or it does not finish within the timeout.
    """
    threshold = settings.verify["fail_on"]
    if threshold == "NONE":
        return {"skipped": "fail_on is NONE"}
    found = wait_for_findings(settings, repository, digest, clock, sleep)
    counts = found.get("imageScanFindings", {}).get("findingSeverityCounts", {})
    blocking = blocking_counts(counts, threshold)
    record = {
        "status": found["imageScanStatus"]["status"],
        "counts": dict(sorted(counts.items())),
        "threshold": threshold,
        "failed": bool(blocking),
    }
    if blocking:
        listed = ", ".join(f"{count} {severity}" for severity, count in blocking.items())
        raise VerifyError(
            f"ECR scan of {repository}@{digest} found {listed} (threshold "
            f"{threshold}); fix the image, or raise the threshold with --fail-on "
            "or shipyard.verify.fail_on"
        )
    return record


def blocking_counts(counts, threshold):
    """Return the severity counts at or above `threshold`, most severe first."""
    rank = SCAN_SEVERITIES.index(threshold)
    return {
        severity: counts[severity]
        for severity in reversed(SCAN_SEVERITIES[rank:])
        if counts.get(severity)
    }


def wait_for_findings(settings, repository, digest, clock=time.monotonic,
                      sleep=time.sleep):
    """Poll DescribeImageScanFindings until the scan finishes; return the response.

    A repository without scan on push (`shipyard.registry.scan_on_push:
    false`) gets one StartImageScan when no scan exists yet.
    """
    timeout = settings.verify["scan_timeout"]
    interval = settings.verify["scan_poll_interval"]
    deadline = clock() + timeout
    client = ecr.client(settings)
    started = settings.registry.scan_on_push
    status = "not started"
    # One poll per interval plus the first, so the loop is bounded even if
    # `sleep` returns early.
    for _ in range(timeout // interval + 2):
        found = _describe_findings(client, repository, digest)
        if found is None and not started:
            _start_scan(client, repository, digest)
            started = True
        elif found is not None:
            status = found["imageScanStatus"]["status"]
            if status in FINISHED:
                return found
            if status in UNUSABLE:
                description = found["imageScanStatus"].get("description", "")
                raise VerifyError(
                    f"ECR scan of {repository}@{digest} ended with status {status}"
                    f"{': ' + description if description else ''}; the scan gate "
                    "cannot pass without findings (set shipyard.verify.fail_on to "
                    "NONE to skip it)"
                )
        if clock() >= deadline:
            break
        log.info("waiting for the ECR scan of %s (%s)", repository, status)
        sleep(min(interval, max(deadline - clock(), 0)))
    raise VerifyError(
        f"ECR scan of {repository}@{digest} did not finish within {timeout} s "
        f"(last status: {status}); check that the repository scans on push, or "
        "raise shipyard.verify.scan_timeout"
    )


def _describe_findings(client, repository, digest):
    with ecr.aws_errors(f"ECR DescribeImageScanFindings {repository}"):
        try:
            return client.describe_image_scan_findings(
                repositoryName=repository,
                imageId={"imageDigest": digest},
                maxResults=1,
            )
        except client.exceptions.ScanNotFoundException:
            return None


def _start_scan(client, repository, digest):
    with ecr.aws_errors(f"ECR StartImageScan {repository}"):
        client.start_image_scan(
            repositoryName=repository, imageId={"imageDigest": digest}
        )
    log.info("started an ECR scan of %s@%s", repository, digest)
