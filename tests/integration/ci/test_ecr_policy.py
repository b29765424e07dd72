"""`inv ecr-policy` against moto: lifecycle policy, tag immutability, protection.

moto stores the lifecycle policy but never runs it, so these tests check
the policy document and the tag rules moto enforces on PutImage.
"""

import hashlib
import json

import pytest

from shipyard import ecr_policy
from tests.support.project import make_project

REPOSITORIES = ["finansecure/auth", "finansecure/frontend", "finansecure/website"]
POLICY = {
    "enabled": True,
    "keep_images": 12,
    "untagged_days": 3,
    "protect_prefix": "keep-",
    "immutable_tags": True,
    "mutable_tags": ["main", "release-*"],
}


def policy_project(tmp_path, moto, **policy):
    for name in REPOSITORIES:
        moto.client().create_repository(repositoryName=name)
    address = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    return make_project(tmp_path, address, ecr_policy={**POLICY, **policy})


def put_image(moto, repository, tag, seed):
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "layers": [],
            "annotations": {"seed": str(seed)},
        }
    )
    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    moto.client().put_image(
        repositoryName=repository, imageManifest=body, imageTag=tag, imageDigest=digest
    )
    return digest


def test_policy_sets_lifecycle_rules(tmp_path, moto):
    project = policy_project(tmp_path, moto)

    result = project.inv("ecr-policy", env=moto.environment())

    assert result.returncode == 0, result.stderr
    for name in REPOSITORIES:
        found = moto.client().get_lifecycle_policy(repositoryName=name)
        rules = json.loads(found["lifecyclePolicyText"])["rules"]
        assert [rule["rulePriority"] for rule in rules] == [1, 2, 3]
        assert rules[0]["selection"]["tagPatternList"] == ["keep-*"]
        assert rules[1]["selection"]["tagStatus"] == "untagged"
        assert rules[1]["selection"]["countNumber"] == 3
        assert rules[2]["selection"]["tagStatus"] == "any"
        assert rules[2]["selection"]["countNumber"] == 12
    assert "keep 12 images" in result.stdout


def test_policy_sets_tag_immutability(tmp_path, moto):
    project = policy_project(tmp_path, moto)

    result = project.inv("ecr-policy", env=moto.environment())

    assert result.returncode == 0, result.stderr
    described = moto.client().describe_repositories(repositoryNames=REPOSITORIES)
    for repository in described["repositories"]:
        assert repository["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
        assert repository["imageTagMutabilityExclusionFilters"] == [
            {"filterType": "WILDCARD", "filter": "main"},
            {"filterType": "WILDCARD", "filter": "release-*"},
        ]


def test_immutable_sha_tag_but_branch_moves(tmp_path, moto):
    project = policy_project(tmp_path, moto)
    assert project.inv("ecr-policy", env=moto.environment()).returncode == 0
    client = moto.client()
    put_image(moto, "finansecure/auth", "0123456", seed=1)
    put_image(moto, "finansecure/auth", "main", seed=1)

    put_image(moto, "finansecure/auth", "main", seed=2)
    # ECR raises ImageTagAlreadyExistsException here; moto 5.2.5 raises
    # ImageAlreadyExistsException.
    with pytest.raises(client.exceptions.ImageAlreadyExistsException):
        put_image(moto, "finansecure/auth", "0123456", seed=2)


def test_policy_requires_opt_in(tmp_path, moto):
    project = policy_project(tmp_path, moto, enabled=False)

    result = project.inv("ecr-policy", env=moto.environment())

    assert result.returncode == 2
    assert "shipyard.ecr_policy.enabled is false" in result.stderr
    with pytest.raises(moto.client().exceptions.LifecyclePolicyNotFoundException):
        moto.client().get_lifecycle_policy(repositoryName="finansecure/auth")


def test_policy_requires_ecr(tmp_path):
    project = make_project(tmp_path, "127.0.0.1:5000", ecr_policy=POLICY)

    result = project.inv("ecr-policy")

    assert result.returncode == 2
    assert "needs ECR" in result.stderr


def test_policy_mutable_tags_limit():
    with pytest.raises(Exception) as raised:
        ecr_policy.tag_mutability({**POLICY, "mutable_tags": list("abcdef")})

    assert "at most 5 exclusions" in str(raised.value)


def test_protect_tags_release_digests(tmp_path, moto):
    project = policy_project(tmp_path, moto)
    images = {}
    for index, name in enumerate(["auth", "frontend", "website"]):
        digest = put_image(moto, f"finansecure/{name}", "0123456", seed=index)
        images[name] = {"digest": digest, "tags": ["0123456"]}
    manifest = project.root / "kept.json"
    manifest.write_text(json.dumps({"release_id": "20261204-101500-0123456",
                                    "images": images}))

    first = project.inv("ecr-policy", "--protect", str(manifest), env=moto.environment())
    again = project.inv("ecr-policy", "--protect", str(manifest), env=moto.environment())

    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    for name, image in images.items():
        found = moto.client().describe_images(
            repositoryName=f"finansecure/{name}",
            imageIds=[{"imageDigest": image["digest"]}],
        )["imageDetails"][0]
        assert "keep-20261204-101500-0123456" in found["imageTags"]
        assert found["imageDigest"] == image["digest"]


def test_protect_missing_image(tmp_path, moto):
    project = policy_project(tmp_path, moto)
    manifest = project.root / "kept.json"
    manifest.write_text(json.dumps({
        "release_id": "20261204-101500-0123456",
        "images": {"auth": {"digest": "sha256:" + "0" * 64, "tags": []}},
    }))

    result = project.inv("ecr-policy", "--protect", str(manifest), env=moto.environment())

    assert result.returncode == 1
    assert "ECR has no image finansecure/auth@sha256:" in result.stderr
    assert "Traceback" not in result.stderr
