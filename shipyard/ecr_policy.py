"""ECR repository policy: lifecycle rules, tag immutability, protected releases.

The lifecycle policy has three rules, evaluated by ECR in priority order:

1. images with a tag starting with `protect_prefix` (default `keep-`) are
   matched first. By ECR's lifecycle evaluation rules, an image that matches
   the tag selection of a higher-priority rule cannot be expired by a
   lower-priority rule, so these images stay.
2. untagged images expire `untagged_days` after their push.
3. any other image beyond the newest `keep_images` expires. Every release
   image carries its commit SHA tag, so this keeps the last N releases.

`protect()` adds `<protect_prefix><release_id>` to each image of a manifest,
which is how a release kept on a host is kept in ECR too.
"""

import logging
import re

from shipyard import ecr
from shipyard.errors import ConfigError, ShipyardError

log = logging.getLogger("shipyard.ecr_policy")

# Matching count for the protecting rule. The rule never expires anything in
# practice; it exists so that rule 3 cannot expire what it matches.
PROTECTED_COUNT = 9999
# Limits on imageTagMutabilityExclusionFilters as botocore 1.44 (1 to 5
# filters) and moto 5.2.5 (this pattern) validate them.
MAX_EXCLUSIONS = 5
EXCLUSION_FILTER = re.compile(r"^[0-9a-zA-Z._*-]{1,128}$")


def lifecycle_policy(policy):
    """Return the lifecycle policy document for the `shipyard.ecr_policy` mapping."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": "keep images of releases kept on hosts "
                f"(tags {policy['protect_prefix']}*)",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": [f"{policy['protect_prefix']}*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": PROTECTED_COUNT,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"expire untagged images after "
                f"{policy['untagged_days']} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": policy["untagged_days"],
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 3,
                "description": f"keep the newest {policy['keep_images']} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": policy["keep_images"],
                },
                "action": {"type": "expire"},
            },
        ]
    }


def tag_mutability(policy):
    """Return the PutImageTagMutability arguments for the policy mapping."""
    if not policy["immutable_tags"]:
        return {"imageTagMutability": "MUTABLE"}
    tags = policy["mutable_tags"]
    if not tags:
        return {"imageTagMutability": "IMMUTABLE"}
    if len(tags) > MAX_EXCLUSIONS:
        raise ConfigError(
            f"shipyard.ecr_policy.mutable_tags: ECR accepts at most {MAX_EXCLUSIONS} "
            f"exclusions, got {len(tags)}; use a wildcard such as 'release-*'"
        )
    for tag in tags:
        if not EXCLUSION_FILTER.match(tag):
            raise ConfigError(
                f"shipyard.ecr_policy.mutable_tags: {tag!r} is not a valid ECR "
                "exclusion filter; use letters, digits, '.', '_', '-' and '*'"
            )
    return {
        "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
        "imageTagMutabilityExclusionFilters": [
            {"filterType": "WILDCARD", "filter": tag} for tag in tags
        ],
    }


def apply(settings):
    """Put the lifecycle policy and tag mutability on every service's repository.

    Returns one line per repository describing what was set.
    """
    _require_ecr(settings)
    policy = settings.ecr_policy
    document = lifecycle_policy(policy)
    mutability = tag_mutability(policy)
    client = ecr.client(settings)
    done = []
    for service in settings.services:
        name = service.repository
        with ecr.aws_errors(f"ECR PutLifecyclePolicy {name}"):
            client.put_lifecycle_policy(
                repositoryName=name, lifecyclePolicyText=_json(document)
            )
        with ecr.aws_errors(f"ECR PutImageTagMutability {name}"):
            client.put_image_tag_mutability(repositoryName=name, **mutability)
        line = (
            f"{name}: keep {policy['keep_images']} images and "
            f"{policy['protect_prefix']}* tags, tags "
            f"{mutability['imageTagMutability']}"
        )
        log.info("%s", line)
        done.append(line)
    return done


def protect(settings, manifest_data):
    """Tag each image of a manifest `<protect_prefix><release_id>` in ECR.

    Adding a tag keeps the digest: the image manifest is read with
    BatchGetImage and put back under the new tag. Returns the tag.
    """
    _require_ecr(settings)
    tag = f"{settings.ecr_policy['protect_prefix']}{manifest_data['release_id']}"
    client = ecr.client(settings)
    for name, image in sorted(manifest_data["images"].items()):
        repository = settings.service(name).repository
        _add_tag(client, repository, image["digest"], tag)
    return tag


def _add_tag(client, repository, digest, tag):
    with ecr.aws_errors(f"ECR BatchGetImage {repository}"):
        found = client.batch_get_image(
            repositoryName=repository, imageIds=[{"imageDigest": digest}]
        )
    if not found.get("images"):
        raise ShipyardError(
            f"ECR has no image {repository}@{digest}; the release cannot be "
            "protected because it is gone or was never pushed"
        )
    image = found["images"][0]
    arguments = {
        "repositoryName": repository,
        "imageManifest": image["imageManifest"],
        "imageTag": tag,
        "imageDigest": digest,
    }
    if image.get("imageManifestMediaType"):
        arguments["imageManifestMediaType"] = image["imageManifestMediaType"]
    with ecr.aws_errors(f"ECR PutImage {repository}:{tag}"):
        try:
            client.put_image(**arguments)
        except client.exceptions.ImageAlreadyExistsException:
            log.info("%s@%s already has tag %s", repository, digest, tag)
            return
    log.info("tagged %s@%s as %s", repository, digest, tag)


def _require_ecr(settings):
    if not settings.registry.is_ecr:
        raise ConfigError(
            "`inv ecr-policy` needs ECR; set AWS_ACCOUNT_ID and AWS_REGION (or "
            "shipyard.registry.aws_account_id and aws_region)"
        )
    if not settings.ecr_policy["enabled"]:
        raise ConfigError(
            "shipyard.ecr_policy.enabled is false; set it to true in invoke.yaml "
            "to let shipyard manage the repositories' lifecycle and tag "
            "mutability"
        )


def _json(document):
    import json

    return json.dumps(document, indent=2, sort_keys=True)
