"""The ECR scan gate against moto's DescribeImageScanFindings.

What moto 5.2.5 does, which these tests rely on: PutImage never starts a
scan, even with scan on push, so DescribeImageScanFindings raises
ScanNotFoundException until StartImageScan runs. After that it returns
status COMPLETE with one HIGH finding (CVE-9999-9999), unless a result was
queued through moto's `/moto-api/static/ecr/scan-finding-results`.
"""

import hashlib
import json
import time

import pytest
import requests

from shipyard import config, scan_gate
from shipyard.errors import VerifyError
from tests.support.moto_server import REGION
from tests.support.project import EXAMPLE

REPOSITORY = "finansecure/auth"


@pytest.fixture
def ecr(moto, monkeypatch):
    for name, value in moto.environment().items():
        monkeypatch.setenv(name, value)
    return moto.client()


def settings(scan_on_push=True, **verify):
    return config.load(
        {
            "app_dir": str(EXAMPLE),
            "services": [{"name": "auth", "context": "FinanSecure.Auth",
                          "repository": REPOSITORY}],
            "registry": {"scan_on_push": scan_on_push},
            "verify": {"scan_timeout": 5, "scan_poll_interval": 1, **verify},
        }
    )


def put_image(ecr, scan_on_push=True, scan=True):
    """Create the repository and one image in moto; return its digest."""
    ecr.create_repository(
        repositoryName=REPOSITORY,
        imageScanningConfiguration={"scanOnPush": scan_on_push},
    )
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + "1" * 64, "size": 10},
            "layers": [],
        }
    )
    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    ecr.put_image(repositoryName=REPOSITORY, imageManifest=body, imageTag="0123456",
                  imageDigest=digest)
    if scan:
        ecr.start_image_scan(repositoryName=REPOSITORY, imageId={"imageDigest": digest})
    return digest


def queue_result(moto, digest, status="COMPLETE", counts=None):
    """Queue the next DescribeImageScanFindings response for `digest` in moto."""
    result = {
        "registryId": "123456789012",
        "repositoryName": REPOSITORY,
        "imageId": {"imageDigest": digest},
        "imageScanStatus": {"status": status, "description": f"scan {status}"},
        "imageScanFindings": {"findingSeverityCounts": counts or {}},
    }
    response = requests.post(
        f"{moto.url}/moto-api/static/ecr/scan-finding-results",
        json={"results": [result], "region": REGION},
        timeout=10,
    )
    assert response.status_code in (200, 201)


def test_moto_default_finding_is_one_high(ecr):
    digest = put_image(ecr)

    found = ecr.describe_image_scan_findings(
        repositoryName=REPOSITORY, imageId={"imageDigest": digest}
    )

    assert found["imageScanStatus"]["status"] == "COMPLETE"
    assert found["imageScanFindings"]["findingSeverityCounts"] == {"HIGH": 1}


def test_gate_passes_below_threshold(ecr):
    digest = put_image(ecr)

    record = scan_gate.check(settings(fail_on="CRITICAL"), REPOSITORY, digest)

    assert record["status"] == "COMPLETE"
    assert record["counts"] == {"HIGH": 1}
    assert record["failed"] is False


@pytest.mark.parametrize("threshold", ["HIGH", "MEDIUM", "LOW", "INFORMATIONAL"])
def test_gate_fails_at_or_above_threshold(ecr, threshold):
    digest = put_image(ecr)

    with pytest.raises(VerifyError) as raised:
        scan_gate.check(settings(fail_on=threshold), REPOSITORY, digest)

    assert f"found 1 HIGH (threshold {threshold})" in str(raised.value)
    assert digest in str(raised.value)


def test_gate_fails_on_critical(ecr, moto):
    digest = put_image(ecr)
    queue_result(moto, digest, counts={"CRITICAL": 2, "LOW": 4})

    with pytest.raises(VerifyError) as raised:
        scan_gate.check(settings(fail_on="CRITICAL"), REPOSITORY, digest)

    assert "found 2 CRITICAL (threshold CRITICAL)" in str(raised.value)


def test_gate_lists_blocking_counts_by_severity(ecr, moto):
    digest = put_image(ecr)
    queue_result(moto, digest, counts={"CRITICAL": 1, "MEDIUM": 3, "LOW": 9})

    with pytest.raises(VerifyError) as raised:
        scan_gate.check(settings(fail_on="MEDIUM"), REPOSITORY, digest)

    assert "found 1 CRITICAL, 3 MEDIUM (threshold MEDIUM)" in str(raised.value)


def test_gate_none_skips_scan(ecr):
    digest = put_image(ecr, scan=False)

    record = scan_gate.check(settings(fail_on="NONE"), REPOSITORY, digest)

    assert record == {"skipped": "fail_on is NONE"}


def test_gate_times_out_without_scan(ecr):
    digest = put_image(ecr, scan=False)
    started = time.monotonic()

    with pytest.raises(VerifyError) as raised:
        scan_gate.check(
            settings(scan_timeout=2, scan_poll_interval=1), REPOSITORY, digest
        )

    elapsed = time.monotonic() - started
    assert "did not finish within 2 s" in str(raised.value)
    assert "last status: not started" in str(raised.value)
    assert 2 <= elapsed < 10


def test_gate_starts_scan_without_scan_on_push(ecr):
    digest = put_image(ecr, scan_on_push=False, scan=False)

    record = scan_gate.check(settings(scan_on_push=False), REPOSITORY, digest)

    assert record["counts"] == {"HIGH": 1}


def test_gate_rejects_failed_scan(ecr, moto):
    digest = put_image(ecr)
    queue_result(moto, digest, status="UNSUPPORTED_IMAGE")

    with pytest.raises(VerifyError) as raised:
        scan_gate.check(settings(), REPOSITORY, digest)

    assert "ended with status UNSUPPORTED_IMAGE" in str(raised.value)
    assert "NONE" in str(raised.value)


def test_gate_waits_for_running_scan(ecr, moto):
    digest = put_image(ecr)
    queue_result(moto, digest, status="IN_PROGRESS")

    with pytest.raises(VerifyError) as raised:
        scan_gate.check(
            settings(scan_timeout=2, scan_poll_interval=1), REPOSITORY, digest
        )

    assert "last status: IN_PROGRESS" in str(raised.value)
