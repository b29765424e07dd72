"""moto's server on loopback, standing in for the ECR and STS APIs."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.net import free_port, wait_for_port

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
# The password moto's GetAuthorizationToken hands out for the default account.
TOKEN_PASSWORD = f"{ACCOUNT_ID}-auth-token"


class MotoServer:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._child = None

    def start(self):
        binary = shutil.which("moto_server", path=str(Path(sys.executable).parent))
        self.folder.mkdir(parents=True, exist_ok=True)
        self._log = open(self.folder / "moto.log", "ab")
        self._child = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        wait_for_port(self.port)
        return self

    def stop(self):
        if self._child and self._child.poll() is None:
            self._child.terminate()
            self._child.wait(timeout=10)
            self._log.close()

    def environment(self):
        """Return the variables that point boto3 and shipyard at this server."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "AKIAMOTOTESTING00000",
            "AWS_SECRET_ACCESS_KEY": "moto-test-secret-key-not-real-0000000000",
            "AWS_ACCOUNT_ID": ACCOUNT_ID,
            "AWS_REGION": REGION,
        }

    def client(self, service="ecr"):
        import boto3

        env = self.environment()
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )


def mirror_into_ecr(moto, registry, repositories):
    """Record in moto's ECR every tag the registry holds, as ECR does on a push.

    The registry stands in for ECR's storage and moto for its API, so this
    copies each manifest with its digest into moto with PutImage. moto does
    not scan on push, so a repository with scan on push gets one
    StartImageScan per digest here; moto then answers
    DescribeImageScanFindings with its fixed result (one HIGH finding).
    """
    import requests

    from shipyard.registry_api import RegistryClient

    client = RegistryClient(registry.address, registry.username, registry.password)
    ecr = moto.client()
    for repository in repositories:
        listed = requests.get(
            f"http://{registry.address}/v2/{repository}/tags/list",
            auth=(registry.username, registry.password),
            timeout=10,
        ).json()
        digests = set()
        for tag in listed.get("tags") or []:
            digest, media_type, body = client.manifest(repository, tag)
            ecr.put_image(
                repositoryName=repository,
                imageManifest=body.decode(),
                imageTag=tag,
                imageManifestMediaType=media_type,
                imageDigest=digest,
            )
            digests.add(digest)
        described = ecr.describe_repositories(repositoryNames=[repository])
        if described["repositories"][0]["imageScanningConfiguration"]["scanOnPush"]:
            for digest in sorted(digests):
                ecr.start_image_scan(
                    repositoryName=repository, imageId={"imageDigest": digest}
                )
