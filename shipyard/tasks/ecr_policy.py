"""Task `ecr-policy`: lifecycle policy, tag immutability, protected releases."""

from invoke import task

from shipyard.tasks._common import read_manifest, settings, task_errors


@task(
    help={
        "protect": "instead of setting the policy, tag every image of this "
        "manifest file <protect_prefix><release_id> so the lifecycle policy "
        "never expires it",
    }
)
@task_errors
def ecr_policy(c, protect=None):
    """Set the lifecycle policy and tag immutability on every ECR repository.

    Opt-in: needs shipyard.ecr_policy.enabled: true. The lifecycle policy
    keeps images tagged <protect_prefix>* (default keep-*), expires untagged
    images after shipyard.ecr_policy.untagged_days and keeps the newest
    shipyard.ecr_policy.keep_images images. With
    shipyard.ecr_policy.immutable_tags, tags become immutable except those
    matching shipyard.ecr_policy.mutable_tags (the moving branch tag).
    """
    from shipyard import ecr_policy as policy

    current = settings(c)
    if protect is None:
        for line in policy.apply(current):
            print(f"ecr-policy: {line}")
        return
    data = read_manifest(protect)
    tag = policy.protect(current, data)
    print(f"ecr-policy: tagged {len(data['images'])} images {tag}")
