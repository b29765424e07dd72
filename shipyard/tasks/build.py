"""Task `build`: every service's image, in parallel."""

from invoke import task

from shipyard.tasks._common import announce, settings, task_errors


@task(
    help={
        "allow-dirty": "build from a working tree with uncommitted changes; tags "
        "and manifest get a -dirty mark",
        "no-cache": "ignore the layer cache and run every build step again",
    }
)
@task_errors
def build(c, allow_dirty=False, no_cache=False):
    """Build every service's image in parallel with BuildKit.

    Each image gets the release tags (short commit SHA, branch, UTC
    timestamp) and OCI labels (revision, source, created). Full build logs
    go to <output_dir>/logs/build-<service>.log. Reads shipyard.services and
    shipyard.build.
    """
    from shipyard import pipeline

    announce(
        pipeline.timed(
            pipeline.build, settings(c), allow_dirty=allow_dirty, no_cache=no_cache
        )
    )
