"""Task `release`: every release phase in order."""

from invoke import task

from shipyard import github
from shipyard.tasks._common import settings, task_errors


@task(
    help={
        "allow-dirty": "release a working tree with uncommitted changes, marked "
        "-dirty",
        "no-cache": "ignore the layer cache",
        "skip-preflight": "skip the preflight checks (not for production releases)",
    }
)
@task_errors
def release(c, allow_dirty=False, no_cache=False, skip_preflight=False):
    """Run preflight, ecr-login, build, push, verify and manifest in order.

    Stops at the first failure; the manifest is written only when every
    phase passed. Ends with a summary of phase times, images and digests.
    """
    from shipyard import pipeline
    from shipyard.summary import release_summary

    current = settings(c)
    results = pipeline.release(
        current,
        allow_dirty=allow_dirty,
        no_cache=no_cache,
        skip_preflight=skip_preflight,
    )
    print(release_summary(current, results))
    for result in results:
        github.write_step_summary(result)

